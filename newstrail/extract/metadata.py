"""What the publisher declared for search engines (JSON-LD, Open Graph, meta tags)
and the visible headlines: title, site name, language, declared dates and authors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from newstrail.extract.dates import _dates_in, _iso_date, _url_date
from newstrail.extract.text import _clean, _key, _names_host

# --- Metadata ---------------------------------------------------------------------


@dataclass
class _Meta:
    """Metadata candidates in document order, each tagged with its source."""

    titles: list[tuple[str, str]] = field(default_factory=list)
    h1: list[str] = field(default_factory=list)
    authors: list[tuple[str, str]] = field(default_factory=list)
    dates: list[tuple[str, str]] = field(default_factory=list)
    sitename: str | None = None
    language: str | None = None
    canonical_url: str | None = None
    description: str | None = None
    organisations: set[str] = field(default_factory=set)  # keys of organisation names


_ARTICLE_TYPE = re.compile(r"(?:Article|BlogPosting|Posting|ReportageNews|Report)$")
_PAGE_TYPE = re.compile(r"Page$")
_ORGANISATION_TYPE = re.compile(r"(?:Organization|Corporation|NewsMediaOrganization|Brand)$")
_META_DATE_NAMES = frozenset(
    {
        "article:published_time",
        "article:published",
        "og:published_time",
        "og:article:published_time",
        "datepublished",
        "date",
        "pubdate",
        "publishdate",
        "publish-date",
        "publish_date",
        "published_time",
        "published-date",
        "publication_date",
        "dc.date",
        "dc.date.issued",
        "dc.date.created",
        "dcterms.date",
        "dcterms.issued",
        "dcterms.created",
        "citation_publication_date",
        "citation_date",
        "sailthru.date",
        "parsely-pub-date",
        "article.published",
    }
)
_META_AUTHOR_NAMES = frozenset(
    {
        "author",
        "article:author",
        "og:article:author",
        "parsely-author",
        "sailthru.author",
        "dc.creator",
        "dcterms.creator",
        "citation_author",
        "byl",
    }
)


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _json_ld_nodes(tree: Any) -> list[dict[str, Any]]:
    """All JSON-LD objects of the page, flattened out of lists and ``@graph``."""
    nodes: list[dict[str, Any]] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            # strict=False: publishers leave raw newlines and tabs inside strings.
            stack = _as_list(json.loads(script.text, strict=False))
        except ValueError:
            continue
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                nodes.append(item)
                stack.extend(_as_list(item.get("@graph")))
    return nodes


def _types(node: dict[str, Any]) -> list[str]:
    return [t.rsplit("/", 1)[-1] for t in _as_list(node.get("@type")) if isinstance(t, str)]


def _ld_names(value: object, by_id: dict[str, dict[str, Any]]) -> list[str]:
    """Names in a JSON-LD person/organisation value: strings, objects or ``@id`` refs."""
    names: list[str] = []
    for item in _as_list(value):
        if isinstance(item, dict) and "name" not in item and isinstance(item.get("@id"), str):
            # Yoast and similar emit {"@id": ...} pointing at a Person elsewhere.
            item = by_id.get(item["@id"], item)
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, list):
            name = name[0] if name else None
        cleaned = _clean(name)
        if cleaned and not cleaned.startswith(("http://", "https://")):
            names.append(cleaned)
    return names


def _join_names(names: Iterable[str]) -> str | None:
    unique = list(dict.fromkeys(names))
    return ", ".join(unique) if unique else None


def _page_metadata(tree: Any, url: str) -> _Meta:
    """Metadata the publisher declared (JSON-LD, meta tags) and the visible headline."""
    meta = _Meta()
    _json_ld_metadata(tree, meta)

    canonical_link = og_url = None
    languages: list[str | None] = [
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
    ]
    head = tree.find("head")
    for element in (head if head is not None else tree).iter("meta", "link"):
        if element.tag == "link":
            rel = (element.get("rel") or "").lower().split()
            if "canonical" in rel and canonical_link is None:
                canonical_link = _absolute(element.get("href"), url)
            continue
        content = _clean(element.get("content"))
        if not content:
            continue
        name = (
            element.get("property") or element.get("name") or element.get("itemprop") or ""
        ).lower()
        if name in ("og:title", "twitter:title"):
            meta.titles.append((name.split(":")[0], content))
        elif name == "og:site_name":
            meta.sitename = meta.sitename or content
        elif name == "og:url":
            og_url = og_url or _absolute(content, url)
        elif name in ("og:description", "description"):
            meta.description = meta.description or content
        elif name == "og:locale" or (element.get("http-equiv") or "").lower() == "content-language":
            languages.append(content)
        elif name in _META_DATE_NAMES and (date := _iso_date(content)):
            meta.dates.append(("meta", date))
        elif name in _META_AUTHOR_NAMES and not content.startswith(("http://", "https://")):
            meta.authors.append(("meta", content))
    # A canonical link is the publisher's explicit statement; og:url is for sharing.
    meta.canonical_url = canonical_link or og_url
    meta.language = next((code for code in map(_language_code, languages) if code), meta.language)

    for element in tree.iter("time"):
        marked = (element.get("itemprop") or "").lower() == "datepublished"
        if marked or "pubdate" in element.attrib:
            if date := _iso_date(element.get("datetime") or element.text_content()):
                meta.dates.append(("time", date))
            break
    title_element = tree.find(".//title")
    if title_element is not None and (title := _clean(title_element.text_content())):
        meta.titles.append(("title", title))
    meta.h1 = [title for h1 in tree.iter("h1") if (title := _clean(_heading_text(h1)))]
    if date := _url_date(url):
        meta.dates.append(("url", date))
    return meta


def _heading_text(element: Any) -> str:
    """An element's text with its line breaks as spaces ("WEEKEND<br>CODING")."""
    if element.find(".//br") is None:
        return str(element.text_content())
    pieces: list[str] = []

    def walk(node: Any) -> None:
        if node.tag == "br":
            pieces.append(" ")
        elif isinstance(node.tag, str) and node.text:  # not a comment
            pieces.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                pieces.append(child.tail)

    walk(element)
    return "".join(pieces)


def _json_ld_metadata(tree: Any, meta: _Meta) -> None:
    nodes = _json_ld_nodes(tree)
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str)}
    articles = [node for node in nodes if any(_ARTICLE_TYPE.search(t) for t in _types(node))]
    pages = [node for node in nodes if any(_PAGE_TYPE.search(t) for t in _types(node))]
    for source, group in (("json-ld", articles), ("json-ld-page", pages)):
        for node in group:
            if title := _clean(node.get("headline")):
                meta.titles.append((source, title))
            if author := _join_names(_ld_names(node.get("author"), by_id)):
                meta.authors.append((source, author))
            if date := _iso_date(node.get("datePublished")) or _iso_date(node.get("dateCreated")):
                meta.dates.append((source, date))
            publisher = _ld_names(node.get("publisher"), by_id)
            meta.sitename = meta.sitename or (publisher[0] if publisher else None)
            meta.language = meta.language or _language_code(node.get("inLanguage"))
            meta.description = meta.description or _clean(node.get("description"))
    for node in nodes:
        types = _types(node)
        if "WebSite" in types:
            meta.sitename = meta.sitename or _clean(node.get("name"))
        if any(_ORGANISATION_TYPE.search(t) for t in types) and (name := _clean(node.get("name"))):
            meta.organisations.add(_key(name))
        for field_name in ("author", "publisher"):
            for item in _as_list(node.get(field_name)):
                if isinstance(item, dict) and any(
                    _ORGANISATION_TYPE.search(t) for t in _types(item)
                ):
                    meta.organisations.update(_key(name) for name in _ld_names(item, by_id))


def _absolute(href: str | None, base: str) -> str | None:
    if not href or not href.strip():
        return None
    absolute = urljoin(base, href.strip())
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def _language_code(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    code = re.split(r"[-_\s]", value.strip(), maxsplit=1)[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


_TITLE_SPLIT = re.compile(r"\s+[|\-\u2013—:·•»]\s+")
# A visible headline rarely carries a " | Section" tail, but when it does the bar is
# no part of the headline (dashes and colons are: "Iraq - the aftermath").
_HEADLINE_TAIL = re.compile(r"\s+\|\s+")
# Below this word overlap with every declared title, a single <h1> is a section or
# site heading ("Our Blog", "Latest news") rather than the headline.
_MIN_HEADLINE_OVERLAP = 0.2


def _site_parts(meta: _Meta, url: str) -> set[str]:
    """Keys of the parts of declared titles that name the site rather than the page.

    The declared site name, parts that spell the host name ("Move.org", "The Motley
    Fool" on fool.com), and otherwise the last part of a split title (the " | Site"
    suffix convention).
    """
    sites = {_key(meta.sitename or "")}
    split = [parts for _, title in meta.titles if len(parts := _TITLE_SPLIT.split(title)) > 1]
    sites.update(_key(part) for parts in split for part in parts if _names_host(part, url))
    sites.discard("")
    if not any(_key(part) in sites for parts in split for part in parts):
        sites.update(_key(parts[-1]) for parts in split)
    return sites


def _without_site(title: str, sites: set[str]) -> str:
    """A declared title without the parts naming the site, at either end."""
    # Odd items are the separators, kept between the parts that stay.
    pieces = re.split(f"({_TITLE_SPLIT.pattern})", title)
    while len(pieces) > 2 and _key(pieces[-1]) in sites:
        del pieces[-2:]
    while len(pieces) > 2 and _key(pieces[0]) in sites:
        del pieces[:2]
    return "".join(pieces)


# What an <h1> may print around the headline: a date, a byline, a kicker ("Blog:").
_HEADLINE_EXTRA = re.compile(r"^(?:posted|published|updated|by|written)\b", re.IGNORECASE)


def _headline_in(h1: str, title: str) -> bool:
    """Whether an <h1> is a declared title plus furniture: a date, a byline or a
    kicker printed in the same element ("Dec 18 2025 Title", "Title Posted on ... by
    ...", "Blog: Title")."""
    h1_key, key = _key(h1), _key(title)
    if key.count(" ") < 2 or h1_key == key:
        return False
    if h1_key.startswith(key + " "):
        extra = h1_key[len(key) + 1 :]
    elif h1_key.endswith(" " + key):
        extra = h1_key[: -len(key) - 1]
    else:
        return False
    if _dates_in(h1) and not _dates_in(title):
        return True
    if _HEADLINE_EXTRA.match(extra):
        return True
    return " " not in extra and h1.lower().startswith(extra + ":")


def _part_of(h1: str, titles: Iterable[str]) -> bool:
    """Whether an <h1> opens or closes a declared title ("Site Blog: Headline")."""
    key = _key(h1)
    return key.count(" ") >= 2 and any(
        other.startswith(key + " ") or other.endswith(" " + key) for other in map(_key, titles)
    )


def _choose_title(meta: _Meta, url: str) -> str | None:
    """The headline as readers see it.

    An ``<h1>`` matching a declared title (Open Graph, Twitter, ``<title>``, JSON-LD,
    whole or one of its " | "-separated parts) is the headline; so is one that opens
    or closes a declared title, and a page's single ``<h1>`` sharing words with the
    declared titles. An ``<h1>`` printing a declared title with a date, byline or
    kicker gives way to the title. Logo ``<h1>``s holding the site name are skipped.
    Otherwise a JSON-LD headline (the longer declared title when it was cut short),
    else the first declared title, without the parts naming the site.
    """
    sites = _site_parts(meta, url)
    titles = [_without_site(title, sites) for _, title in meta.titles]
    declared: set[str] = set()
    declared_words: list[set[str]] = []
    for _, title in meta.titles:
        for part in [title, *_TITLE_SPLIT.split(title)]:
            declared.add(_key(part))
            declared_words.append(set(_key(part).split()))
    # Responsive templates print the headline twice (one <h1> per layout): one headline.
    first_of: dict[str, str] = {}
    for h1 in meta.h1:
        first_of.setdefault(_key(h1), h1)
    headlines = [h1 for key, h1 in first_of.items() if key not in sites]
    for h1 in headlines:
        headline = _HEADLINE_TAIL.split(h1)[0]
        if _key(h1) in declared or _key(headline) in declared:
            return headline
        if framed := next((title for title in titles if _headline_in(h1, title)), None):
            return framed
    for h1 in headlines:
        if _part_of(h1, titles) and not _names_host(h1, url):
            return _HEADLINE_TAIL.split(h1)[0]
    if len(headlines) == 1:
        h1 = headlines[0]
        words = set(_key(h1).split())
        overlap = max(
            (len(words & other) / len(words | other) for other in declared_words if other),
            default=1.0,
        )
        if overlap >= _MIN_HEADLINE_OVERLAP:
            return _HEADLINE_TAIL.split(h1)[0]
    for (source, _), title in zip(meta.titles, titles, strict=True):
        if source.startswith("json-ld"):
            # A headline cut short ("... Solutions (Including") another title completes.
            key = _key(title)
            longer = (
                other
                for other in titles
                if _key(other).startswith(key + " ") and _key(_TITLE_SPLIT.split(other)[0]) != key
            )
            return next(longer, title)
    for _, title in meta.titles:
        parts = _TITLE_SPLIT.split(title)
        return next((part for part in parts if _key(part) not in sites), parts[0])
    return None


_AUTHOR_PREFIX = re.compile(
    r"^(?:(?:read\s+)?more\s+(?:about|from)|(?:(?:this\s+(?:post|article)\s+(?:was|is)\s+)?"
    r"(?:written|posted|published|reviewed|edited|words|story|text|article|photos?))\s+by"
    r"|by|authors?|written|posted)\b[:\s]*",
    re.IGNORECASE,
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_MONTH_ONLY = re.compile(rf"^{_MONTH}$", re.IGNORECASE)
# Job titles printed after the name, in the same element: "Jane Doe Tech Reporter".
_AUTHOR_ROLE = re.compile(
    r"(?<=[a-z])\s+(?:(?:senior|staff|contributing|lead|tech|technology|chief|head|managing"
    r"|associate|deputy|former|freelance)\s+)*(?:writer|reporter|editor|correspondent|founder"
    r"|co-founder|journalist|columnist|contributor)\b.*$"
    # A date run on: "Jane Doe December", "Jane Doe Dec 4" (not "Theresa May").
    rf"|\s+(?:(?:january|february|september|october|november|december)\b|{_MONTH}\s+\d).*$",
)
# Bylines run on into dates, roles and reviewer credits: cut there.
_AUTHOR_TAIL = re.compile(
    rf"\s*(?:[|•·]|\b(?:updated|published|posted|reviewed\s+by|fact[-\s]checked\s+by|last"
    rf"|on\s+{_MONTH}|{_MONTH}\s+\d|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|\d+\s+min)\b).*$",
    re.IGNORECASE,
)


def _clean_author(author: str | None) -> str | None:
    """Trim a byline to the names: no "By", no dates, names joined by ", "."""
    if not author:
        return None
    # trafilatura separates names with "; "; bylines print them with commas.
    author = " ".join(author.replace("; ", ", ").split())
    author = _AUTHOR_TAIL.sub("", _AUTHOR_PREFIX.sub("", author)).strip(" ,;:-\"'\u201c\u201d")
    author = _AUTHOR_ROLE.sub("", author)
    if len(author) < 3 or len(author.split()) > 12 or _MONTH_ONLY.match(author):
        return None
    return author
