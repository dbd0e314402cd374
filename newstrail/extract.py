"""Main text and metadata of a news page: trafilatura, tuned, plus our own post-filters.

The pipeline is a chain of plain functions over one parsed tree:

1. ``_decode`` turns response bytes into text (BOM, UTF-8, declared charset, guess).
2. ``_page_metadata`` reads what the publisher declared for search engines (JSON-LD,
   Open Graph, meta tags) plus the visible ``<h1>``s; ``_choose_title`` picks the
   headline; ``_byline_zone`` collects the visible texts around it, where
   ``_visible_date`` and ``_visible_byline`` find the date and the author the page
   shows. htmldate and trafilatura's byline search only run for what is still missing.
3. ``_page_hints`` records texts that the markup marks as boilerplate (figure captions,
   containers named like author bios, newsletter boxes, related links, share bars,
   promos, comment sections) or as quotes.
4. trafilatura extracts the main text; readability gives a second opinion, and when
   the two disagree justext a third: the candidate the others agree with most wins,
   and justext's text extends a winner that covers under half of the page
   (``newstrail.candidates``). A recall-oriented retry and trafilatura's baseline take
   over when that finds (almost) nothing.
5. ``_filter_lines`` drops the boilerplate lines trafilatura keeps: skip links, search
   prompts, comment forms, newsletter prompts, "Read more" teasers, share prompts,
   captions, pull quotes repeating the body and their attribution, tables of contents,
   tag lists, the repeated headline, timestamps, author bios, publisher blurbs,
   contact and social lines, copyright notices, print and reprint furniture, shouted
   link promos, image URLs leaking from markup, sentence-long lines printed twice.
6. ``_repair`` undoes mojibake (UTF-8 read as Latin-1) in the text and metadata.

Work per page is bounded (``prepare_html``): a body over ``max_html_bytes`` loses its
scripts (except JSON-LD), styles and comments, and what is still over the cap is cut
at a tag boundary; above ``max_second_opinion_lines`` lines of trafilatura's text the
second opinions (readability, justext) are skipped, since justext's paragraph
revision is quadratic in the number of paragraphs. ``Article.limits`` names the
limits a page reached, with stable names:

- ``"html-truncated"``: the body was cut to ``max_html_bytes``;
- ``"second-opinions-skipped"``: readability and justext were not asked.

Boilerplate that only shows as such across pages (the same blurb on every article of
a site) is ``newstrail.boilerplate``'s job, at the end of a crawl.

Every rule is general (markup, wording, repetition); none is keyed to a site. The
module imports neither Scrapy nor Prefect.
"""

from __future__ import annotations

import codecs
import datetime
import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html import unescape
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

from ftfy import fix_encoding
from htmldate import find_date
from lxml.etree import XPath
from trafilatura import bare_extraction, baseline, load_html
from trafilatura.metadata import extract_author
from trafilatura.settings import Document
from trafilatura.utils import detect_encoding
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    resolve_encoding,
)

from newstrail.candidates import choose, justext_lines, page_lengths, readability_lines

__all__ = [
    "Article",
    "ExtractionConfig",
    "PreparedHtml",
    "extract_article",
    "extract_prepared",
    "looks_like_html",
    "prepare_html",
]


@dataclass(frozen=True)
class ExtractionConfig:
    """Extraction options, built once and passed to every call.

    ``favor_precision``, ``favor_recall`` and ``include_tables`` are trafilatura's
    switches (the defaults scored best on our evaluation sets). ``min_text_length``
    (characters, after filtering) separates articles from other pages: below it
    ``extract_article`` returns None. Under ``fallback_length`` trafilatura's result
    counts as a miss and the fallbacks are tried. ``max_link_share`` is the largest
    share of the text that may consist of link texts before the page counts as a list
    of links (a home or section page). ``post_filters`` switches our boilerplate
    filters off, to compare with plain trafilatura. ``second_opinion`` checks
    trafilatura's text against readability's, and when the two agree less than
    ``min_agreement`` (shingle F1) asks justext too and keeps the extraction the other
    two agree with most (``newstrail.candidates``); it needs the post-filters, since
    the candidates are compared after filtering.

    ``max_html_bytes`` bounds the work on one page (512 KiB: trafilatura's time grows
    faster than the page, and at the cap the worst pages we measured, 20,000 to
    50,000 short paragraphs or link rows, take 1.5 to 2.6 s, against 3.3 to 6.2 s at
    1 MiB; article pages are far smaller once scripts and styles are gone). Above it
    the body's scripts (except JSON-LD), styles and comments are dropped, then it is
    cut at the last tag start before the cap.
    ``max_second_opinion_lines`` skips readability and
    justext when trafilatura's text has more lines than that (articles have a few
    hundred at most; justext's revision is quadratic in them).
    """

    favor_precision: bool = False
    favor_recall: bool = False
    include_tables: bool = True
    min_text_length: int = 200
    fallback_length: int = 250
    max_link_share: float = 0.6
    post_filters: bool = True
    second_opinion: bool = True
    min_agreement: float = 0.9
    max_html_bytes: int = 512 * 1024
    max_second_opinion_lines: int = 1000


@dataclass
class Article:
    """The main text and metadata of one page.

    ``text`` holds one block (paragraph, heading, list item, table row) per entry,
    entries separated by a blank line, so ``text.split("\\n\\n")`` gives the blocks
    back. ``date`` is ``YYYY-MM-DD``, as written (no time zone conversion): a date in
    the URL or the meta tags, else the date the page shows with its headline, else
    one only JSON-LD declares. ``date_source`` says where it came from: ``url`` (a
    date in the URL path), ``meta`` (meta tags such as article:published_time),
    ``time`` (a ``<time>`` element marked as the publication date), ``byline`` (shown
    near the headline and declared nowhere), ``json-ld`` or ``htmldate`` (heuristics
    over the page); a date both shown and declared is credited to the declaration.
    ``canonical_url`` comes from ``<link rel=canonical>``, else ``og:url``, made
    absolute against the page URL; None when the page declares neither.
    ``boilerplate_removed`` counts the lines our post-filters dropped. ``limits``
    names the work limits the page reached (see the module docstring), empty for
    normal pages.
    """

    text: str
    title: str | None
    author: str | None
    date: str | None
    sitename: str | None
    language: str | None
    canonical_url: str | None
    description: str | None
    date_source: str | None
    boilerplate_removed: int
    limits: tuple[str, ...] = ()


DEFAULT_CONFIG = ExtractionConfig()


# --- Content sniffing -------------------------------------------------------------

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Types a server may send for HTML it did not label, or labelled generically.
_SNIFF_TYPES = frozenset(
    {"", "text/plain", "application/octet-stream", "application/xml", "text/xml", "unknown/unknown"}
)
_BINARY_MAGIC = (
    b"%PDF-",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"II*\x00",
    b"MM\x00*",
    b"OggS",
    b"ID3",
    b"fLaC",
    b"\x1aE\xdf\xa3",
    b"wOFF",
    b"wOF2",
    b"%!PS",
    b"{\\rtf",
    b"\xd0\xcf\x11\xe0",
)
# The WHATWG MIME sniffing standard's HTML signatures, plus common first tags.
_HTML_START = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p"
    rb"|meta|link|section|article|header|main|!--)[\s>/]",
    re.IGNORECASE,
)
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:rdf|urlset|sitemapindex|opml)[\s>]", re.IGNORECASE)


def looks_like_html(content_type: str | None, body_start: bytes) -> bool:
    """Decide whether a response body is an HTML page worth extracting.

    ``content_type`` is the Content-Type header (parameters allowed, None when
    missing); ``body_start`` the first bytes of the body (512 suffice). HTML types are
    accepted unless the body is plainly something else (servers mislabel PDFs, images
    and JSON); generic or missing types are sniffed; feeds, sitemaps, JSON, PDFs,
    images and other media are rejected.
    """
    media = (content_type or "").split(";", 1)[0].strip().lower()
    head = _strip_bom(body_start).lstrip()[:1024]
    if head.startswith(_BINARY_MAGIC) or (head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE")):
        return False
    has_html_tag = re.search(rb"<html[\s>]", head, re.IGNORECASE) is not None
    if _FEED_ROOT.search(head) and not has_html_tag:
        return False  # feeds and sitemaps, even when served as text/html
    if media in _HTML_TYPES:
        return not head.startswith((b"{", b"[")) or _HTML_START.search(head) is not None
    if media not in _SNIFF_TYPES and not media.endswith("+xml"):
        return False
    # XML is XHTML when its root is <html>; other XML (and +xml types) is data.
    if media.endswith("xml") or head.startswith(b"<?xml"):
        return has_html_tag
    return _HTML_START.match(_skip_leading_markup(head)) is not None


def _strip_bom(data: bytes) -> bytes:
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if data.startswith(bom):
            rest = data[len(bom) :]
            # UTF-16 markup sniffs like ASCII once the NULs are gone.
            return rest if bom == codecs.BOM_UTF8 else rest.replace(b"\x00", b"")
    return data


def _skip_leading_markup(head: bytes) -> bytes:
    # Processing instructions and comments may precede the first tag.
    while head.startswith((b"<?", b"<!--")):
        closing = b"?>" if head.startswith(b"<?") else b"-->"
        end = head.find(closing)
        if end < 0:
            break
        head = head[end + len(closing) :].lstrip()
    return head


# --- Decoding ---------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


# Share of invalid bytes under which a page declared UTF-8 is read as UTF-8 anyway:
# one stray byte in a UTF-8 page must not send it to detection, which guesses a
# legacy charset and turns every accented letter into mojibake.
_MAX_INVALID_UTF8 = 0.01


def _mostly_utf8(data: bytes) -> str | None:
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - data.count("\ufffd".encode())
    return text if invalid < _MAX_INVALID_UTF8 * max(len(data), 1) else None


def _decode(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode an HTML body: BOM, UTF-8, the HTTP charset, the page's, then a guess.

    Valid UTF-8 wins over a declared legacy charset: templates hard-coding
    ``charset=iso-8859-1`` while serving UTF-8 are common, whereas legacy text that
    happens to be valid UTF-8 beyond ASCII practically never occurs. A page declared
    UTF-8 (by the HTTP header or the page) that is mostly valid UTF-8 (under 1 %
    invalid bytes) is read as UTF-8 with the bad bytes replaced, never re-guessed.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    http = http_content_type_encoding(content_type) if content_type else None
    declared = html_body_declared_encoding(data)
    # resolve_encoding maps labels the WHATWG way (latin-1 is really cp1252).
    labels = [resolve_encoding(label) for label in (http, declared) if label]
    if labels[:1] == ["utf-8"]:  # the HTTP charset, else the page's
        text = _mostly_utf8(data)
        if text is not None:
            return text, "utf-8"
    for encoding in _chain(labels, lambda: detect_encoding(data)):
        try:
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace"), "utf-8"


# --- Bounding the work --------------------------------------------------------------

# Scripts other than JSON-LD (the metadata reads it), styles and comments: dropped
# from an oversized body before the cap, so heavy inline scripts do not cut pages.
_HEAVY_START = re.compile(rb"<(script|style)\b[^>]*>|<!--", re.IGNORECASE)
_HEAVY_END = {
    b"script": re.compile(rb"</script\s*>", re.IGNORECASE),
    b"style": re.compile(rb"</style\s*>", re.IGNORECASE),
}
_COMMENT_END = re.compile(rb"-->")
_JSON_LD = re.compile(rb"application/ld\+json", re.IGNORECASE)


def _strip_heavy_markup(data: bytes) -> bytes:
    # A scan that only moves forward: a regex with lazy ``.*?`` rescans to the end of
    # the page for every unclosed ``<script``, quadratic on a hostile page. An
    # unclosed element runs to the end of the page, as in a browser.
    kept: list[bytes] = []
    position = 0
    while (start := _HEAVY_START.search(data, position)) is not None:
        name = (start.group(1) or b"").lower()
        end = (_HEAVY_END[name] if name else _COMMENT_END).search(data, start.end())
        stop = end.end() if end is not None else len(data)
        keep_to = stop if name == b"script" and _JSON_LD.search(start.group(0)) else start.start()
        kept.append(data[position:keep_to])
        position = stop
    kept.append(data[position:])
    return b"".join(kept)


class PreparedHtml(NamedTuple):
    """A body decoded and bounded by :func:`prepare_html`."""

    text: str
    limits: tuple[str, ...]
    encoding: str
    """The encoding the bytes were decoded with ("utf-8" for a ``str``)."""


def prepare_html(
    html: bytes | str, config: ExtractionConfig | None = None, *, content_type: str | None = None
) -> PreparedHtml:
    """Decode a body and bound it to ``config.max_html_bytes``: text, limits, encoding.

    Under the cap the body is only decoded (see ``extract_article``). Over it,
    scripts (except JSON-LD), styles and comments go first, then the rest is cut at
    the last ``<`` before the cap, and the limits say ``"html-truncated"``. A ``str``
    is measured in UTF-8 bytes.
    """
    config = config or DEFAULT_CONFIG
    data = html if isinstance(html, bytes) else None
    if data is None:
        text = str(html)
        if len(text) <= config.max_html_bytes // 4 or len(text.encode()) <= config.max_html_bytes:
            return PreparedHtml(text, (), "utf-8")
        data = text.encode()
        content_type = "text/html; charset=utf-8"
    elif len(data) <= config.max_html_bytes:
        text, encoding = _decode(data, content_type)
        return PreparedHtml(text, (), encoding)
    limits: tuple[str, ...] = ()
    data = _strip_heavy_markup(data)
    if len(data) > config.max_html_bytes:
        cut = data.rfind(b"<", 0, config.max_html_bytes)
        data = data[: cut if cut > 0 else config.max_html_bytes]
        limits = ("html-truncated",)
    text, encoding = _decode(data, content_type)
    return PreparedHtml(text, limits, encoding)


def _chain(first: list[str | None], rest: Any) -> Iterator[str]:
    # Detection (charset_normalizer) is slow: only run it when the declaration fails.
    yield from (encoding for encoding in first if encoding)
    yield from rest()


# --- Text keys --------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def _key(text: str) -> str:
    """Comparison key of a text: its words, case-folded, one space apart.

    trafilatura and lxml's ``text_content`` differ in spacing and in punctuation
    around inline markup; the words are what both keep.
    """
    return " ".join(_WORD.findall(text.casefold()))


# UTF-8 read as Latin-1 or cp1252, as templates and databases store it now and then:
# "â€™" or "â\x80\x99" for a right quote, "Ã©" for "é", "Â®" for "®".
_MOJIBAKE = re.compile("[\u00c2\u00c3][\u0080-\u00bf]|\u00e2(?:[\u0080-\u00bf]|\u20ac)")


def _repair(text: str) -> str:
    """Undo mojibake (ftfy's encoding fix, asked only when the text shows its marks)."""
    return fix_encoding(text) if _MOJIBAKE.search(text) else text


def _clean(text: object) -> str | None:
    if not isinstance(text, str):
        return None
    # Meta contents and JSON-LD strings now and then arrive HTML-escaped twice.
    text = unescape(text) if "&" in text else text
    return " ".join(unicodedata.normalize("NFC", _repair(text)).split()) or None


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


_ISO_DATE = re.compile(r"((?:19|20)\d\d)-([01]\d)-([0-3]\d)")
_URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-]?([01]\d)[/-]?([0-3]\d)(?:/|[-_]|$)")
# "/2023/october/03/", "/2023/oct/3/"
_URL_MONTH_DATE = re.compile(
    r"/((?:19|20)\d\d)/(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
    r"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)/([0-3]?\d)(?:/|$)",
    re.IGNORECASE,
)
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


def _iso_date(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    match = _ISO_DATE.search(value[:40])
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:  # "2025-02-30"
        return None


def _ymd(year: str | int, month: str | int, day: str | int) -> str | None:
    """``YYYY-MM-DD`` when the parts make a real date from 1990 on, else None."""
    try:
        date = datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return date.isoformat() if 1990 <= date.year <= 2100 else None


def _url_date(url: str) -> str | None:
    path = urlsplit(url).path
    if match := _URL_DATE.search(path):
        return _iso_date("-".join(match.groups()))
    if match := _URL_MONTH_DATE.search(path):
        year, month, day = match.groups()
        return _ymd(year, _MONTHS[month[:3].lower()], day)
    return None


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


_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "or", "ne", "go"})


def _host_label(url: str) -> str:
    """The label of the registered domain: "example" for news.example.co.uk."""
    labels = (_hostname(url) or "").split(".")
    if len(labels) > 2 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        labels.pop()
    return labels[-2 if len(labels) > 1 else -1].replace("-", "")


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


# --- The byline zone: what the page shows around its headline -----------------------

_VISIBLE_TEXTS = XPath(
    "//body//text()[normalize-space()][not(ancestor::script or ancestor::style"
    " or ancestor::noscript or ancestor::template or ancestor::svg or ancestor::select)]"
)
_ZONE_AFTER = 1000  # characters of visible text after the headline that can hold a byline
_ZONE_BEFORE = 250  # ... and before it (dates and kickers above the headline)
_ZONE_NODE = 200  # longer texts are body text, whose dates and names are about other things


@dataclass
class _Zone:
    """Visible texts near the headline, each with its element: after it in document
    order, and before it nearest first."""

    after: list[tuple[str, Any]] = field(default_factory=list)
    before: list[tuple[str, Any]] = field(default_factory=list)


def _find_headline(tree: Any, title: str | None) -> Any:
    key = _key(title or "")
    if not key:
        return None
    h1s = list(tree.iter("h1"))
    for element in h1s:
        if _key(element.text_content()).startswith(key):
            return element
    for element in tree.iter("h2", "h3"):
        if _key(element.text_content()) == key:
            return element
    return h1s[0] if h1s else None


def _container(text: Any) -> Any:
    """The element whose content a text node is (a tail belongs to the parent)."""
    parent = text.getparent()
    return parent.getparent() if text.is_tail and parent is not None else parent


def _byline_zone(tree: Any, title: str | None) -> _Zone:
    """The visible texts around the headline: ``_ZONE_AFTER`` characters after it and
    ``_ZONE_BEFORE`` before it."""
    zone = _Zone()
    headline = _find_headline(tree, title)
    if headline is None:
        return zone
    inside = set(headline.iter())
    texts = _VISIBLE_TEXTS(tree)
    start = next((i for i, text in enumerate(texts) if _container(text) in inside), None)
    if start is None:
        return zone
    length = 0
    for text in texts[start + 1 :]:
        element = _container(text)
        if element in inside:
            continue
        zone.after.append((str(text).strip(), element))
        length += len(zone.after[-1][0])
        if length > _ZONE_AFTER:
            break
    length = 0
    for text in reversed(texts[:start]):
        zone.before.append((str(text).strip(), _container(text)))
        length += len(zone.before[-1][0])
        if length > _ZONE_BEFORE:
            break
    return zone


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_MONTH_NAME = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_YEAR = r"((?:19|20)\d\d)"
_VISIBLE_DATES = (
    # "March 9, 2026", "Dec 18 2025", "Sept. 4th, 2025"
    (re.compile(rf"\b{_MONTH_NAME}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}\b", re.I), "mdy"),
    # "9 March 2026", "24 Apr 2000", "16th of December, 2025"
    (
        re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_NAME},?\s+{_YEAR}\b", re.I),
        "dmy",
    ),
    (re.compile(rf"\b{_YEAR}-(\d\d)-(\d\d)\b"), "iso"),
    # Numeric dates: month first with slashes (US), day first with dots (Europe); a
    # first number above 12 can only be a day.
    (re.compile(rf"\b(\d{{1,2}})/(\d{{1,2}})/{_YEAR}\b"), "slash"),
    (re.compile(rf"\b(\d{{1,2}})\.(\d{{1,2}})\.{_YEAR}\b"), "dot"),
)
_UPDATED = re.compile(r"\b(?:updated|modified|revised|refreshed)\b", re.IGNORECASE)


def _dates_in(text: str) -> list[tuple[int, str, bool]]:
    """Dates written in a short text, with their offsets, in order, each flagged when
    its day and month could be swapped (numeric, both 12 or less)."""
    found: list[tuple[int, str, bool]] = []
    for pattern, order in _VISIBLE_DATES:
        for match in pattern.finditer(text):
            a, b, c = match.groups()
            ambiguous = False
            if order == "mdy":
                date = _ymd(c, _MONTHS[a[:3].lower()], b)
            elif order == "dmy":
                date = _ymd(c, _MONTHS[b[:3].lower()], a)
            elif order == "iso":
                date = _ymd(a, b, c)
            elif order == "slash":
                date = _ymd(c, b, a) if int(a) > 12 else _ymd(c, a, b)
                ambiguous = int(a) <= 12 and int(b) <= 12 and a != b
            else:
                date = _ymd(c, a, b) if int(b) > 12 else _ymd(c, b, a)
                ambiguous = int(a) <= 12 and int(b) <= 12 and a != b
            if date:
                found.append((match.start(), date, ambiguous))
    return sorted(found)


@dataclass(frozen=True)
class _ShownDate:
    date: str
    distance: int  # characters of visible text between the headline and the date
    updated: bool  # labelled as an update ("Updated", "Last modified")
    ambiguous: bool  # numeric, with day and month both 12 or less


def _shown_dates(texts: list[tuple[str, Any]], *, below: bool) -> list[_ShownDate]:
    """The dates shown in short texts near the headline (bylines, datelines).

    Per text the date nearest the headline: the first one below it, the last one
    above it. A ``<time>`` element's machine-readable datetime wins over its text.
    """
    shown: list[_ShownDate] = []
    distance = 0
    for index, (text, element) in enumerate(texts):
        distance += len(text)
        if len(text) > _ZONE_NODE:
            continue
        dates = _dates_in(text)
        if not dates:
            continue
        offset, date, ambiguous = dates[0 if below else -1]
        time = element if element.tag == "time" else element.find("time")
        if time is not None and (machine := _iso_date(time.get("datetime"))):
            date, ambiguous = machine, False
        # The label stands before the date, in the same text or in the one before it
        # ("Updated on", then the date), unless that one has a date of its own.
        previous = index - 1 if below else index + 1
        label = text[:offset]
        if 0 <= previous < len(texts) and not _dates_in(texts[previous][0]):
            label = texts[previous][0][-40:] + " " + label
        updated = _UPDATED.search(label) is not None
        shown.append(_ShownDate(date, distance - len(text), updated, ambiguous))
    return shown


_NEAR_HEADLINE = 300  # characters: a byline is this close; dates further down are the body's


def _visible_date(zone: _Zone) -> _ShownDate | None:
    """The date shown with the headline: the first one under it (bylines sit there),
    unless it is far below and one stands right above the headline; a publication
    date over an update shown next to it."""
    below = _shown_dates(zone.after, below=True)
    above = _shown_dates(zone.before, below=False)
    near = [shown for shown in below if shown.distance <= _NEAR_HEADLINE] + [
        shown for shown in above if shown.distance <= _NEAR_HEADLINE
    ]
    if not near:
        return next(iter(below + above), None)
    return next((shown for shown in near if not shown.updated), near[0])


# Dates in order of trust. A date in the URL path is fixed at publication, and so is
# what the meta tags declare (article:published_time and kin, read by search engines
# and link previews); a ``<time>`` marked as the publication date comes next.
_DECLARED_FIRST = ("url", "meta", "time")
# JSON-LD comes after the date shown with the headline: page builders and SEO plugins
# fill it in on their own, often with the date the page was first drafted, which on
# a guide kept up to date is years older than the date the page shows.
_DECLARED_LAST = ("json-ld", "json-ld-page")
# A page cannot show a date before it was published: a declared date this many days
# after the shown one is the date of a migration or a re-import.
_MIGRATION_DAYS = 2


def _days_between(earlier: str, later: str) -> int:
    return (datetime.date.fromisoformat(later) - datetime.date.fromisoformat(earlier)).days


def _choose_date(meta: _Meta, tree: Any, url: str, zone: _Zone) -> tuple[str | None, str | None]:
    """The publication date, as ``(YYYY-MM-DD, source)``.

    A date in the URL or the meta tags comes first: the date shown under the headline
    is often the last update's, labelled so or not. A shown date days before the
    declared one wins, though: the declaration records a migration. The shown date
    comes next, before a date that only JSON-LD declares; htmldate's heuristics come
    last. A date both shown and declared is credited to the declaration.
    """
    first, last = (
        [(date, source) for wanted in order for source, date in meta.dates if source == wanted]
        for order in (_DECLARED_FIRST, _DECLARED_LAST)
    )
    visible = _visible_date(zone)
    shown = None if visible is None else visible.date
    if visible is not None and visible.ambiguous:
        # "03/10/2023": the declarations say which of the two readings is meant.
        swapped = f"{visible.date[:4]}-{visible.date[8:]}-{visible.date[5:7]}"
        if any(date == swapped for date, _ in first + last):
            shown = swapped
    if first and not (shown and _days_between(shown, first[0][0]) > _MIGRATION_DAYS):
        return first[0]
    if shown is not None:
        source = next((source for known, source in first + last if known == shown), "byline")
        return shown, source.removesuffix("-page")
    if last:
        return last[0][0], "json-ld"
    # Extensive search (dates in the text) is slower but finds a fifth more dates.
    found = _iso_date(find_date(tree, url=url, original_date=True, extensive_search=True))
    return (found, "htmldate") if found else (None, None)


def _choose_author(meta: _Meta, tree: Any, zone: _Zone, url: str) -> str | None:
    """Declared authors first; otherwise the visible byline under the headline, else
    the byline trafilatura finds in the markup.

    A declared name that is the site's own (an organisation credited as author) gives
    way to a person named in the visible byline. When the byline prints the declared
    names ("A, B and C"), its wording is kept.
    """
    declared = next(filter(None, (_clean_author(author) for _, author in meta.authors)), None)
    visible = _visible_byline(zone)
    if declared is None:
        # extract_author is not in trafilatura's __all__, but it is the byline search
        # of extract_metadata, which would also run htmldate and more we do not need.
        return visible or _clean_author(extract_author(tree))
    if visible is None:
        return declared
    organisation = _key(declared) in {_key(meta.sitename or ""), *meta.organisations}
    if (organisation or _names_host(declared, url)) and _looks_like_names(visible):
        return visible
    if _name_keys(visible) == _name_keys(declared):
        return visible
    return declared


def _name_keys(names: str) -> list[str]:
    return [_key(name) for name in _NAME_SEPARATORS.split(names) if _key(name)]


def _names_host(name: str, url: str) -> bool:
    """Whether a name spells the site's host ("Rapid7" on rapid7.com)."""
    label = _host_label(url)
    squashed = _key(name).replace(" ", "")
    if len(label) < 4 or len(squashed) < 3 or len(name.split()) > 5:
        return False
    return label in squashed or squashed in label


_BYLINE_LABEL = re.compile(
    r"^(?:(?:written|posted|words|story|text|article)\s+by|by|authors?|written|writer)\b\s*:?\s*",
    re.IGNORECASE,
)
_NOT_AUTHOR_LABEL = re.compile(
    r"\b(?:reviewed|edited|fact[-\s]?checked|photos?|illustrations?|image)\s+by\b", re.IGNORECASE
)
_NAME_SEPARATORS = re.compile(r"\s*(?:,|\band\b|&)\s*")
_NAME_WORD = re.compile(r"^(?:[A-Z][\w.'\u2019-]*|de|la|le|van|von|der|da|di|al|bin|el|du)$")
_BYLINE_NODES = 12  # bylines sit among the first texts under the headline


def _looks_like_names(text: str) -> bool:
    """One or more person names: one to five capitalised words (or particles) each."""
    names = [name for name in _NAME_SEPARATORS.split(text) if name]
    return bool(names) and all(
        1 <= len(name.split()) <= 5 and all(_NAME_WORD.match(word) for word in name.split())
        for name in names
    )


def _visible_byline(zone: _Zone) -> str | None:
    """The author named under the headline: "By Jane Doe", "Written by" then a name,
    or a name marked up as the author (rel/itemprop/class "author", "byline")."""
    texts = zone.after[:_BYLINE_NODES]
    for index, (text, element) in enumerate(texts):
        if len(text) > 120 or _NOT_AUTHOR_LABEL.search(text):
            continue
        label = _BYLINE_LABEL.match(text)
        if label is not None:
            rest = text[label.end() :]
            if not rest and index + 1 < len(texts):
                rest = texts[index + 1][0]
            if (author := _clean_author(rest)) and _looks_like_names(author):
                return author
            continue
        author = _clean_author(text) if _marked_as_author(element) else None
        if author and _looks_like_names(author):
            return author
    # No label, no markup: a lone name right under the headline, next to a date or a
    # reading time, is the byline.
    for index, (text, _) in enumerate(texts[:_UNLABELLED_BYLINE_NODES]):
        if len(text) > 40 or not _looks_like_names(text) or len(text.split()) < 2:
            continue
        near = texts[max(0, index - 2) : index + 3]
        if any(_dates_in(other) or _READING_TIME.search(other) for other, _ in near):
            return text
    return None


_UNLABELLED_BYLINE_NODES = 4
_READING_TIME = re.compile(r"\b\d+\s*min(?:ute)?s?\b", re.IGNORECASE)


_AUTHOR_MARKUP = re.compile(
    r"(?:^|[\s_-])(?:author|authors|byline|by-line|writer|contributor)(?:[-_]?name)?(?=$|[\s_-])",
    re.IGNORECASE,
)


def _marked_as_author(element: Any) -> bool:
    for candidate in (element, element.getparent()):
        if candidate is None:
            continue
        if (
            "author" in (candidate.get("rel") or "")
            or "author" in (candidate.get("itemprop") or "").lower()
        ):
            return True
        if _AUTHOR_MARKUP.search(f"{candidate.get('class') or ''} {candidate.get('id') or ''}"):
            return True
    return False


def _hostname(url: str) -> str | None:
    host = urlsplit(url).hostname
    return host.removeprefix("www.") if host else None


# --- Boilerplate hints from the markup --------------------------------------------

# Class/id names of containers whose text is never article body, matched on name
# boundaries ("related-posts" and "post_related" hit, "unrelated" does not).
_HINT_NAMES = re.compile(
    r"""(?:^|[\s_-])(?:
        author[-_]?(?:bio|box|info|about|desc(?:ription)?|details|card|profile|block)
        |about[-_]?(?:the[-_]?)?author|bio|biography|contributor[-_]?bio
        |newsletters?|signup|sign[-_]up|subscribe|subscription|optin|opt[-_]in|mailing[-_]?list
        |related|recommended|recommendations|read[-_]?(?:more|next|also)|more[-_](?:stories|articles)
        |also[-_]like|you[-_]may[-_]like|most[-_](?:popular|read|viewed)|trending
        |share|sharing|sharebar|social[-_]?(?:share|links|icons|buttons|media)
        |promo|promotion|sponsored|advert|advertisement|ad[-_]?(?:slot|unit|container|wrapper)
        |comments?|comment[-_]?(?:form|respond)|respond|disqus
        |caption|wp[-_]caption[-_]text|credit|(?:photo|image|img)[-_]?credits?
        |breadcrumbs?|skip[-_]?(?:link|links|to[-_]content)|screen[-_]reader[-_]text|sr[-_]only
        |visually[-_]hidden|cookies?|consent|gdpr
        |publisher[-_]?(?:info|blurb|about|note)|republish(?:ing)?
    )(?=$|[\s_-])""",
    re.IGNORECASE | re.VERBOSE,
)
_QUOTE_NAMES = re.compile(
    r"(?:^|[\s_-])(?:pull[-_]?quote|pullquote|quote|blockquote|pull)(?=$|[\s_-])", re.IGNORECASE
)
# Attribution under a pull quote: "- Name" or "— Name, role". The name is one to five
# capitalised words, so a dashed list item ("- Easy setup for ...") is not one.
_NAME = r"[A-Z][\w.'\u2019-]*(?:\s+(?:[A-Z][\w.'\u2019-]*|de|la|van|von|al|bin|el)){0,4}"
_ATTRIBUTION = re.compile(rf"^\s*[-\u2013—―]\s*{_NAME}(?:\s*,\s*[^,]{{1,60}})?\s*$")
# A quote and its attribution run together: "... bigger foothold - Donald Trump".
_TRAILING_ATTRIBUTION = re.compile(
    rf"^(.{{30,}}?)\s+[-\u2013—―]\s*({_NAME}(?:\s*,\s*[^,]{{1,60}})?)\s*$"
)
_DASHES = "-\u2013—―"
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCK_TAGS = ("p", "li", *_HEADINGS, "blockquote", "dd", "dt", "td", "th", "pre")
_MIN_LINK_TEXT_WORDS = 2
_MIN_TEASER_WORDS = 6
# A boilerplate-named container holding more of the page's paragraph text than this
# is a layout wrapper whose name happens to match ("post-share-enabled").
_MAX_CONTAINER_SHARE = 0.4


class _Hints:
    """What the markup says about texts, as sets of text keys.

    ``boilerplate``: texts in boilerplate-named containers and captions. ``quotes``:
    texts of quote elements. ``body``: texts of blocks outside boilerplate containers.
    ``teasers``: texts of links to where a "Read more" link points (teaser headlines).
    ``links``: link texts of two words or more. ``body`` and ``links`` are built on
    first use, since most pages never need them.
    """

    def __init__(self, root: Any = None) -> None:
        self.boilerplate: set[str] = set()
        self.quotes: set[str] = set()
        self.teasers: set[str] = set()  # headlines linking where a "Read more" links
        self.inside: set[Any] = set()  # elements within boilerplate containers
        self._root = root
        self.page_urls: set[str] = set()  # the page's URL and canonical URL

    @functools.cached_property
    def body(self) -> set[str]:
        if self._root is None:
            return set()
        blocks = self._root.iter(*_BLOCK_TAGS)
        return {_key(block.text_content()) for block in blocks if block not in self.inside}

    @functools.cached_property
    def link_paragraphs(self) -> set[str]:
        """Keys of paragraphs whose whole text is one link: inline promos and teasers."""
        if self._root is None:
            return set()
        keys = set()
        for paragraph in self._root.iter("p"):
            links = paragraph.findall(".//a")
            key = _key(paragraph.text_content())
            if len(links) == 1 and key and key == _key(links[0].text_content()):
                keys.add(key)
        return keys

    @functools.cached_property
    def links(self) -> set[str]:
        if self._root is None:
            return set()
        return {key for key in self.link_texts if key.count(" ") + 1 >= _MIN_LINK_TEXT_WORDS}

    @functools.cached_property
    def link_texts(self) -> set[str]:
        """Keys of every link text, one word or more."""
        if self._root is None:
            return set()
        return {_key(link.text_content()) for link in self._root.iter("a")} - {""}

    def link_text_share(self, lines: list[str]) -> float:
        """Share of the lines' text that is link text: whole lines, or the link a line
        opens with (a teaser's headline before its summary). Unlike ``_link_share``
        (is the whole extraction a list of headlines?) every line counts, one-word
        menu links too."""
        total = linked = 0
        for line in lines:
            key = _key(line)
            total += len(key)
            if key in self.link_texts:
                linked += len(key)
            else:
                opening = (text for text in self.link_texts if key.startswith(text + " "))
                linked += max(map(len, opening), default=0)
        return linked / total if total else 0.0


def _unslug(identifier: str | None) -> str:
    """An id, unless it is a slug of some text (four words or more), which names nothing."""
    if not identifier or identifier.count("-") + identifier.count("_") >= 3:
        return ""
    return identifier


def _block_texts(element: Any) -> Iterator[str]:
    """Keys of the element's text and of each descendant block's text."""
    yield _key(element.text_content())
    for child in element.iter(*_BLOCK_TAGS, "div", "span", "a", "figcaption", "cite", "q"):
        if child is not element:
            yield _key(child.text_content())


def _page_hints(tree: Any) -> _Hints:
    """Collect the texts the markup marks as boilerplate, quotes or teaser headlines."""
    body = tree.find("body")
    root = body if body is not None else tree
    hints = _Hints(root)
    hinted: list[Any] = list(root.iter("figcaption"))
    quotes: list[Any] = list(root.iter("blockquote", "aside", "q"))
    for element in root.xpath(".//*[@class or @id]"):
        if element.tag in _HEADINGS:
            # A heading's id is a slug of its own text ("social-media-tips").
            continue
        names = f"{element.get('class') or ''} {_unslug(element.get('id'))}"
        if _HINT_NAMES.search(names) and not _in_code(element):
            hinted.append(element)
        lowered = names.lower()
        # Substring tests first: the regex on every named element is a hot spot.
        if ("quote" in lowered or "pull" in lowered) and _QUOTE_NAMES.search(names):
            quotes.append(element)
    hints.teasers = _teaser_headlines(root)
    for element in quotes:
        hints.quotes.update(_block_texts(element))
        if match := _TRAILING_ATTRIBUTION.match(" ".join(element.text_content().split())):
            hints.quotes.add(_key(match.group(1)))
    total = sum(len(p.text_content()) for p in root.iter("p")) if hinted else 0
    for element in hinted:
        if element in hints.inside:
            continue
        share = sum(len(p.text_content()) for p in element.iter("p")) / (total or 1)
        if share > _MAX_CONTAINER_SHARE or element.find(".//h1") is not None:
            continue
        hints.inside.update(element.iter())
        hints.boilerplate.update(_block_texts(element))
    hints.boilerplate.discard("")
    hints.quotes.discard("")
    return hints


# Links whose whole text is "Read more", "Continue reading" and the like, found by
# XPath (lowercasing and prefix tests in C rather than a Python loop over all links).
_LOWER = "translate(normalize-space(), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
_READ_MORE_LINKS = XPath(
    f".//a[@href][string-length(normalize-space()) < 30][starts-with({_LOWER}, 'read more')"
    f" or starts-with({_LOWER}, 'continue reading') or starts-with({_LOWER}, 'read the full')"
    f" or starts-with({_LOWER}, 'read full')]"
)


def _teaser_headlines(root: Any) -> set[str]:
    """Texts of links pointing where a "Read more" link points: teaser headlines."""
    targets = {link.get("href") for link in _READ_MORE_LINKS(root)}
    if not targets:
        return set()
    keys = (_key(link.text_content()) for link in root.iter("a") if link.get("href") in targets)
    # Article headlines are sentences; shorter link texts to the same place are product
    # or section names ("Acer Nitro 16"), which "best of" lists keep as headings.
    return {key for key in keys if key.count(" ") + 1 >= _MIN_TEASER_WORDS}


def _in_code(element: Any) -> bool:
    # Syntax highlighters name code tokens "comment", "share" and the like.
    return bool(element.xpath("ancestor-or-self::*[self::pre or self::code]"))


# --- Line filters -----------------------------------------------------------------

_SHORT = 200  # longer lines are body text whatever their wording

# Whole lines that are page furniture, whatever the markup around them.
_BOILERPLATE_LINE = re.compile(
    r"""^(?:
        skip\s+to\s+(?:the\s+)?(?:main\s+)?(?:content|navigation|search|footer|menu|article)
        |jump\s+to\s+(?:the\s+)?(?:main\s+)?(?:content|navigation|search)
        |type\s+(?:to|and\s+(?:hit|press)\s+enter\s+to)\s+search|search\s+for:?
        |press\s+enter\s+to\s+search|start\s+typing\s+to\s+search
        |toggle\s+(?:navigation|menu|search)|(?:open|close)\s+(?:the\s+)?(?:menu|search|navigation)
        |leave\s+a\s+(?:comment|reply)(?:\s+cancel\s+reply)?|cancel\s+reply|post\s+(?:a\s+)?comment
        |add\s+(?:a\s+)?comment|join\s+the\s+(?:conversation|discussion)
        |your\s+email\s+address\s+will\s+not\s+be\s+published.*|required\s+fields\s+are\s+marked.*
        |save\s+my\s+name,?\s+email,?\s+and\s+website.*|notify\s+me\s+of\s+(?:new|follow-up).*
        |you\s+must\s+be\s+logged\s+in\s+to\s+post\s+a\s+comment.*|comments\s+are\s+closed.*
        |\d+\s+comments?|no\s+comments(?:\s+yet)?|be\s+the\s+first\s+to\s+comment.*
        |(?:read|view|see)\s+more(?:\s+(?:stories|articles|news))?|continue\s+reading
        |read\s+(?:the\s+)?(?:full|rest\s+of\s+the)\s+(?:story|article|post)
        |share\s+(?:this|on\s+\w+|via\s+\w+|(?:this|the)\s+(?:article|story|post|page))?
        |click\s+to\s+(?:share|email|print)\b.*|tweet|email|print|copy\s+link
        |(?:sign\s+up|subscribe)\s+(?:(?:now\s+)?(?:to|for)\s+)?(?:our|the|my)?\s*[\w'\u2019.\s]{0,40}newsletters?.*
        |stay\s+(?:informed|updated|up\s+to\s+date|in\s+the\s+know)\s+with\s+.{0,60}newsletters?
        |sign\s+up\s+(?:to|for)\s+(?:get|receive)\s+the\s+latest\b.*
        |(?:get|receive)\s+(?:the\s+latest|our)\b.{0,80}\b(?:inbox|newsletters?)\b.*
        |enter\s+your\s+email(?:\s+address)?.*|by\s+(?:entering|submitting|providing)\s+your\s+email.*
        |thanks?\s+(?:you\s+)?for\s+(?:subscribing|signing\s+up).*|you(?:'|\u2019)re\s+(?:now\s+)?subscribed.*
        |advertisement|sponsored\s+content|\d+\s+min(?:ute)?s?\s+read|learn\s+more
        |you\s+(?:might|may)\s+also\s+(?:like|enjoy|be\s+interested\s+in)
        |(?:related|recommended|more)\s+(?:articles|posts|stories|reading|coverage)
        |most\s+(?:read|popular|viewed)|trending\s+now|recommended\s+for\s+you
        |order\s+reprints|print\s+(?:this\s+)?article|this\s+article\s+has\s+been\s+sent\s+to.*
        |this\s+copy\s+is\s+for\s+your\s+personal,?\s+non-commercial\s+use\b.*
        |an\s+error\s+(?:has\s+)?occurred.{0,40}|please\s+try\s+again\s+later
        |tags?(?:\s*:.*)?|tagged\s+(?:with|in|as)\s*:.*|filed\s+under\s*:.*|related\s+topics
        |comments?|tell\s+us\s+what\s+you\s+think.*|like\s+this\s+(?:story|article|post)\?.*
        |subscribe\s+to\s+.{0,40}\b(?:youtube|channel|podcast)\b.*
    )\W*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Lines that are data, not prose: a machine timestamp, a bare URL (markup leaking
# into the text from hidden fields or microdata): the page's own URL, an image URL.
# Other bare URLs are kept: articles list their sources that way.
_DATA_LINE = re.compile(
    r"^(?:https?://\S+\.(?:jpe?g|png|gif|webp|svg)(?:\?\S*)?"
    r"|(?:19|20)\d\d-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)$",
    re.IGNORECASE,
)
# Headings opening a list of links to other articles.
_RELATED_HEADING = re.compile(
    r"""^(?:you\s+(?:might|may)\s+also\s+(?:like|enjoy)
    |related(?:\s+(?:articles|posts|stories|coverage|content|reading|news))?
    |(?:more|recommended)\s+(?:articles|posts|stories|reading)
    |read\s+next|most\s+(?:read|popular|viewed)|trending\s+now|don'?t\s+miss)\W*$""",
    re.IGNORECASE | re.VERBOSE,
)
_TAGS_HEADING = re.compile(r"^(?:tags?|tagged(?:\s+(?:with|in|as))?|filed\s+under)\W*$", re.I)
_TOC_HEADING = re.compile(
    r"^(?:table\s+of\s+contents?|contents|in\s+this\s+(?:article|post|guide|story)|on\s+this\s+page"
    r"|jump\s+to(?:\s+section)?|quick\s+links|article\s+contents)\W*$",
    re.IGNORECASE,
)
_READ_MORE = re.compile(r"^(?:(?:read|view|see)\s+more|continue\s+reading)\W*$", re.IGNORECASE)
_READ_MORE_TAIL = re.compile(r"\s*(?:read|view|see)\s+more\s*[»\u203a→>…]+\s*$", re.IGNORECASE)
_TEASER_PREFIX = re.compile(
    r"^(?:read\s+more|read\s+also|also\s+read|related|see\s+also|more\s+on\s+this)\s*[:»\u203a→|-]\s*(?=\S)",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^by\s+\S.{0,75}$", re.IGNORECASE)
# A line of timestamps: "Updated at 1:23 p.m.", "Published on: February 14, 2025",
# "Posted Jan. 3, 2019 at 3:08 PM | Updated Nov. 22, 2026 at 10:26 AM".
_STAMP = re.compile(r"^(?:-\s+)?(?:last\s+)?(?:updated|published|posted|modified)\b", re.I)
_TIME = re.compile(r"\b\d{1,2}:\d\d(?::\d\d)?\s*(?:[ap]\.?m\.?)?(?:\s+[A-Z]{2,4}\b)?", re.I)
_STAMP_WORDS = re.compile(
    r"\b(?:last|updated|published|posted|modified|on|at|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*)\b",
    re.I,
)
_MAX_STAMP = 120
_MAX_DATE_LINE = 40
# Newsletter prompts in a publisher's own words: "Sign up for The Daily Brief today to
# get the free newsletter", "The best of Example, delivered to your inbox every morning".
_NEWSLETTER = re.compile(
    r"\b(?:sign\s+up|subscribe|join)\b.{0,80}\bnewsletters?\b|\bdelivered\s+(?:to|in|into)\s+your\s+inbox\b",
    re.IGNORECASE,
)
_MAX_PROMPT = 200
_SENTENCE_END = re.compile(r"[.!?…:;][\"'”\u2019)\]]*$")
_PUBLISHER_WORDS = re.compile(
    r"\b(?:republish\w*|independent|coverage|journalism|subscribe|support\s+us|newsroom"
    r"|all\s+rights\s+reserved|copyright|learn\s+more|non-?profit)\b",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(
    r"^(?:©|\(c\)|copyright\b).{0,150}$"
    # The legal notice and the how-to-cite box of science news sites.
    r"|^this\s+(?:document|article|material|content)\s+is\s+(?:subject\s+to|protected\s+by)"
    r"\s+copyright\b.{0,300}$|^citation\s*:.{0,300}\bretrieved\b.{0,60}\bfrom\s+https?://\S+$",
    re.IGNORECASE,
)
_SOCIAL = (
    r"(?:twitter|x|facebook|instagram|linkedin|youtube|tiktok|threads|bluesky|mastodon|telegram)"
)
# Contact and social lines closing an article: "Write to Jane at jane@example.com",
# "Follow us on Twitter and Facebook", "Follow her @jane".
_CONTACT = re.compile(
    rf"\bfollow\b.{{0,60}}\bon\s+{_SOCIAL}\b|\bfollow\s+(?:us|him|her|me|them)\s+@\w"
    r"|^[\w.+-]+@[\w-]+\.[\w.]+$|\b(?:email|e-mail|write\s+to|contact|reached\s+at)\b.{0,60}@",
    re.IGNORECASE,
)
_MAX_CONTACT = 250  # characters: longer lines are prose that happens to mention an address
_BIO_START = re.compile(r"^(?:he|she|they)\s+(?:is|was|has|writes|covers)\b", re.IGNORECASE)
_MIN_QUOTE_WORDS = 8  # pull quotes are sentences; shorter repeats are headings
_MIN_REPEAT_WORDS = 5
_HEAD_BLOCKS = 4  # the repeated headline and the byline sit among the first blocks
_TAIL_BLOCKS = 6  # author bio and publisher blurb sit among the last blocks


def _filter_lines(
    lines: list[str], hints: _Hints, title: str | None, author: str | None, sitename: str | None
) -> list[str | None]:
    """Say why each line is boilerplate (a short reason), or None for lines to keep."""
    keys = [_key(line) for line in lines]
    reasons: list[str | None] = [None] * len(lines)
    _mark_pull_quotes(lines, keys, hints, reasons)
    for i, line in enumerate(lines):
        if not reasons[i]:
            reasons[i] = _line_reason(line.strip(), keys[i], hints)
    _mark_read_more(lines, keys, hints, reasons)
    _mark_link_lists(lines, keys, hints, reasons)
    # The headline repeated above the text, and the byline there.
    title_key = _key(title or "")
    for i in [i for i, reason in enumerate(reasons) if reason is None][:_HEAD_BLOCKS]:
        if title_key and keys[i] == title_key:
            reasons[i] = "title"
        elif _BYLINE.match(lines[i]):
            reasons[i] = "byline"
        elif len(lines[i]) <= _MAX_DATE_LINE and keys[i].count(" ") < 4 and _dates_in(lines[i]):
            reasons[i] = "date"  # the page's date alone on a line by the headline
    _mark_page_end(lines, keys, reasons, author, sitename)
    _mark_repeats(lines, keys, reasons)
    return reasons


def _mark_repeats(lines: list[str], keys: list[str], reasons: list[str | None]) -> None:
    """A sentence-long line printed twice is a template repeating itself (a headline in
    a share box, a promo shown twice, the whole article printed twice); the first copy
    stays. A short line without a sentence's end repeated on its own is structure
    (the same subheading or table row for every product reviewed), unless a repeated
    neighbour shows a repeated block."""
    seen: set[str] = set()
    repeated = [False] * len(lines)
    for i, key in enumerate(keys):
        if reasons[i] is None:
            repeated[i] = key in seen and key.count(" ") + 1 >= _MIN_REPEAT_WORDS
            seen.add(key)
    for i, line in enumerate(lines):
        if not repeated[i]:
            continue
        sentence = keys[i].count(" ") + 1 >= _MIN_QUOTE_WORDS or _SENTENCE_END.search(line)
        in_block = (i > 0 and repeated[i - 1]) or (i + 1 < len(lines) and repeated[i + 1])
        if sentence or in_block:
            reasons[i] = "repeat"


def _is_timestamp(line: str) -> bool:
    """Whether a line holds dates and times and the words introducing them, nothing else."""
    if len(line) > _MAX_STAMP or not _STAMP.match(line):
        return False
    rest = _TIME.sub(" ", line)
    for pattern, _ in _VISIBLE_DATES:
        rest = pattern.sub(" ", rest)
    if rest == line:
        return False  # neither a date nor a time
    return not re.search(r"\w", _STAMP_WORDS.sub(" ", rest))


def _is_shouting(line: str) -> bool:
    """All capitals, ten letters or more."""
    return line.isupper() and sum(char.isalpha() for char in line) >= 10


def _line_reason(line: str, key: str, hints: _Hints) -> str | None:
    if not key:
        # Symbols only ("»", "|", "•"): separators and icons.
        return "symbols" if len(line) < 4 else None
    if _DATA_LINE.match(line) or line in hints.page_urls:
        return "data"
    short = len(line) <= _SHORT
    if _is_timestamp(line):
        return "data"
    lowered = line.lower()
    prompt = "newsletter" in lowered or "inbox" in lowered  # cheap test before the regex
    if prompt and len(line) <= _MAX_PROMPT and _NEWSLETTER.search(line):
        return "newsletter"
    if short and _BOILERPLATE_LINE.match(line.removeprefix("- ")):
        return "phrase"
    if key in hints.teasers:
        return "teaser"
    # Markup-based rules yield when the same text also stands outside every
    # boilerplate container (a heading repeated in a sidebar's table of contents).
    if key in hints.boilerplate and key not in hints.body:
        return "markup"
    if short and _is_shouting(line) and key.count(" ") >= 2 and key in hints.link_paragraphs:
        return "teaser"  # "CLICK HERE TO GET THE APP", "STAR OPENS UP ABOUT ...": promos
    if short and (_TEASER_PREFIX.match(line) or _READ_MORE_TAIL.search(line)):
        # In the body's own paragraphs too, when what follows the prefix is a link.
        rest = _key(_TEASER_PREFIX.sub("", line, count=1))
        return None if key in hints.body and rest not in hints.links else "teaser"
    return None


def _mark_pull_quotes(
    lines: list[str], keys: list[str], hints: _Hints, reasons: list[str | None]
) -> None:
    """Pull quotes: quoted text repeating the body, and their "- Name" attribution.

    Both conditions must hold. Repetition alone is legitimate (an interview's
    recurring question, a recipe's recurring step), and so are quotes (blockquotes
    hold real quotes and embedded posts): the text must come from a quote element
    (blockquote, aside, q, a quote-named class) or carry an attribution.
    """
    quote_keys: list[str] = []
    attributed: list[bool] = []
    for i, line in enumerate(lines):
        match = _TRAILING_ATTRIBUTION.match(line)
        quote_keys.append(_key(match.group(1)) if match else keys[i])
        attributed.append(match is not None or _next_is_attribution(lines, i))
    for i, key in enumerate(quote_keys):
        if key.count(" ") + 1 < _MIN_QUOTE_WORDS or len(lines[i]) > 600 or lines[i][0] in _DASHES:
            continue
        if key not in hints.quotes and not attributed[i]:
            continue
        inside_longer = any(
            key in other and len(other) > len(key) for j, other in enumerate(keys) if j != i
        )
        # Of equal lines drop the attributed one, or else every copy after the first.
        earlier_copy = any(keys[j] == key and not attributed[j] for j in range(i))
        equal_elsewhere = any(keys[j] == key for j in range(len(keys)) if j != i)
        if inside_longer or earlier_copy or (attributed[i] and equal_elsewhere):
            reasons[i] = "pull-quote"
            if _next_is_attribution(lines, i):
                reasons[i + 1] = "pull-quote"


def _next_is_attribution(lines: list[str], i: int) -> bool:
    return i + 1 < len(lines) and len(lines[i + 1]) < 100 and bool(_ATTRIBUTION.match(lines[i + 1]))


def _mark_read_more(
    lines: list[str], keys: list[str], hints: _Hints, reasons: list[str | None]
) -> None:
    """A "Read more" marker and the teaser headline before it."""
    for i, line in enumerate(lines):
        if not _READ_MORE.match(line.strip()):
            continue
        reasons[i] = "teaser"
        j = i - 1
        while j >= 0 and reasons[j]:
            j -= 1
        if j < 0 or len(lines[j]) > _SHORT:
            continue
        headline = not _SENTENCE_END.search(lines[j]) and keys[j] not in hints.body
        if keys[j] in hints.links or headline:
            reasons[j] = "teaser"


def _mark_link_lists(
    lines: list[str], keys: list[str], hints: _Hints, reasons: list[str | None]
) -> None:
    """Related-articles boxes, tag lists and tables of contents: heading plus entries."""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if len(stripped) <= 80 and _RELATED_HEADING.match(stripped):
            reasons[i] = "related"
            j = i + 1
            while j < len(lines) and len(lines[j]) <= _SHORT and keys[j] in hints.links:
                reasons[j] = "related"
                j += 1
        elif _TAGS_HEADING.match(stripped) and i + 1 < len(lines):
            # The tags under the heading: one line of links or of comma-separated words.
            nxt = lines[i + 1]
            if len(nxt) <= 300 and (keys[i + 1] in hints.links or nxt.count(",") >= 2):
                reasons[i + 1] = "tags"
        elif len(stripped) <= 40 and _TOC_HEADING.match(stripped):
            reasons[i] = "toc"
            j = i + 1
            # Entries are links, or repeat a heading further down.
            while j < len(lines) and len(lines[j]) <= 150:
                if keys[j] not in hints.links and keys[j] not in keys[j + 1 :]:
                    break
                reasons[j] = "toc"
                j += 1


def _mark_page_end(
    lines: list[str],
    keys: list[str],
    reasons: list[str | None],
    author: str | None,
    sitename: str | None,
) -> None:
    """Author bio, publisher blurb, copyright and contact lines: they close the page, so
    look at the last blocks."""
    authors = {_key(name) for name in re.split(r",\s*|\s+and\s+|\s*&\s*", author or "")} - {""}
    # A bio opens with the person's name or first name: "Jane (Doe) is a reporter".
    persons = {name for name in authors if " " in name}
    bio_openings = tuple(
        f"{subject} {verb} "
        for subject in persons | {name.split(" ")[0] for name in persons}
        for verb in ("is", "was", "has", "writes", "covers", "joined")
    )
    headings = {f"about {name}" for name in authors} | {"about the author", "about the authors"}
    site_key = _key(sitename or "")
    tail = [i for i, reason in enumerate(reasons) if reason is None][-_TAIL_BLOCKS:]
    for pos, i in enumerate(tail):
        key = keys[i]
        if key in authors or key in headings:
            reasons[i] = "author-bio"
            if pos + 1 < len(tail):
                # The bio under the name: "Jane is ...", "She has ...".
                nxt = tail[pos + 1]
                if keys[nxt].startswith(bio_openings) or _BIO_START.match(lines[nxt]):
                    reasons[nxt] = "author-bio"
        elif key.startswith(bio_openings):
            # Persons only: a one-word author is usually the organisation, whose
            # self-description may be the content itself.
            reasons[i] = "author-bio"
        elif (
            site_key
            and key.startswith(f"{site_key} ")
            and pos >= len(tail) - 3
            and _PUBLISHER_WORDS.search(lines[i])
        ):
            reasons[i] = "publisher"
        elif pos >= len(tail) - 2 and _COPYRIGHT.match(lines[i].strip()):
            reasons[i] = "copyright"
        elif pos >= len(tail) - 3 and len(lines[i]) <= _MAX_CONTACT and _CONTACT.search(lines[i]):
            reasons[i] = "contact"


# --- Extraction -------------------------------------------------------------------


def _trafilatura(tree: Any, url: str, config: ExtractionConfig, *, recall: bool) -> str | None:
    document = bare_extraction(
        tree,
        url=url,
        favor_precision=config.favor_precision and not recall,
        favor_recall=config.favor_recall or recall,
        include_comments=False,
        include_tables=config.include_tables,
        # trafilatura's own fallback (readability and justext against its result) is
        # what the second opinion does, over filtered lines: running both pays twice.
        fast=config.second_opinion and config.post_filters and not recall,
        # Metadata comes from _page_metadata: trafilatura's costs a third of its time
        # (htmldate, a byline search on a copy of the tree) and is rarely needed.
        with_metadata=False,
    )
    return document.text if isinstance(document, Document) else None


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _link_share(lines: list[str], hints: _Hints) -> float:
    """Share of the text in lines that are link texts (lists of headlines)."""
    total = sum(map(len, lines)) or 1
    # Link lists are runs of short lines; when long paragraphs carry most of the
    # text, the page's link texts need not be collected.
    if sum(len(line) for line in lines if len(line) <= _SHORT) < 0.5 * total:
        return 0.0
    return sum(len(line) for line in lines if _key(line) in hints.links) / total


def _unnest_documents(tree: Any) -> None:
    """Put content printed after ``</html>`` back in the body.

    Templates now and then print more of the page after the closing tags. Browsers
    show it as part of the body; libxml2 makes it a second root element, which the
    extractors never look at. (A nested ``<html>`` tag libxml2 ignores, as browsers do.)
    """
    body = tree.find("body")
    if body is None:
        return
    trailing = tree.getnext()
    while trailing is not None:
        following = trailing.getnext()
        if trailing.tag == "html":
            for child in list(trailing):
                if child.tag == "body":
                    body.extend(list(child))
                elif child.tag != "head":
                    body.append(child)
        trailing = following


def extract_article(
    html: bytes | str,
    url: str,
    config: ExtractionConfig | None = None,
    *,
    content_type: str | None = None,
) -> Article | None:
    """Extract the main text and metadata of a news page.

    ``html`` is the response body: bytes are decoded by BOM, then as UTF-8, then by
    ``content_type``'s charset (the HTTP header), then by the charset the page
    declares, then by detection; a page declared UTF-8 that is mostly valid UTF-8 is
    read as UTF-8 with the bad bytes replaced. Pass ``str`` when the encoding is
    settled already. ``url`` is the page's URL, used to make the canonical URL
    absolute and as a date hint. The work is bounded by ``config.max_html_bytes``
    and ``config.max_second_opinion_lines``; ``Article.limits`` says which applied.

    Returns None when the page has no article text: empty or unparsable, shorter than
    ``config.min_text_length`` after filtering, or mostly link texts (a home or section
    page).
    """
    config = config or DEFAULT_CONFIG
    text, limits, _ = prepare_html(html, config, content_type=content_type)
    return extract_prepared(text, url, config, limits)


def extract_prepared(
    text: str, url: str, config: ExtractionConfig, limits: tuple[str, ...] = ()
) -> Article | None:
    """``extract_article`` on a body that ``prepare_html`` returned, with its limits."""
    tree = load_html(text) if text.strip() else None
    if tree is None:
        return None
    _unnest_documents(tree)
    meta = _page_metadata(tree, url)
    hints = _page_hints(tree) if config.post_filters else _Hints(tree)
    hints.page_urls = {url, *filter(None, [meta.canonical_url])}
    title = _choose_title(meta, url)
    zone = _byline_zone(tree, title)
    author = _choose_author(meta, tree, zone, url)
    sitename = meta.sitename or _hostname(url)

    def filtered(raw: str | None) -> tuple[list[str], int]:
        lines = _lines(raw)
        if not config.post_filters:
            return lines, 0
        reasons = _filter_lines(lines, hints, title, author, sitename)
        kept = [line for line, reason in zip(lines, reasons, strict=True) if reason is None]
        return kept, len(lines) - len(kept)

    lines, removed = filtered(_trafilatura(tree, url, config, recall=False))
    limits = tuple(limits)
    if (
        config.second_opinion
        and config.post_filters
        and len(lines) > config.max_second_opinion_lines
    ):
        limits += ("second-opinions-skipped",)
    elif config.second_opinion and config.post_filters:
        # A mistake of one extractor alone is outvoted (newstrail.candidates).
        second = filtered("\n".join(readability_lines(tree)))
        third: list[tuple[list[str], int]] = []

        def justext() -> list[str]:
            third.append(filtered("\n".join(justext_lines(tree))))
            return third[0][0]

        chosen, _ = choose(
            lines,
            second[0],
            justext,
            config.min_agreement,
            page_lengths(tree),
            hints.link_text_share,
        )
        lines, removed = [(lines, removed), second, *third][chosen]
    if sum(map(len, lines)) < config.fallback_length:
        # trafilatura found next to nothing: retry favouring recall, then take its
        # baseline (all paragraphs, or the JSON-LD articleBody); keep the longest.
        _, baseline_text, _ = baseline(tree)
        retry = _trafilatura(tree, url, config, recall=True)
        for candidate in (filtered(retry), filtered(baseline_text)):
            if sum(map(len, candidate[0])) > sum(map(len, lines)):
                lines, removed = candidate
    if sum(map(len, lines)) < config.min_text_length:
        return None
    if _link_share(lines, hints) > config.max_link_share:
        return None

    date, date_source = _choose_date(meta, tree, url, zone)
    return Article(
        text=_repair("\n\n".join(lines)),
        title=title,
        author=author,
        date=date,
        sitename=sitename,
        language=meta.language,
        canonical_url=meta.canonical_url,
        description=meta.description,
        date_source=date_source,
        boilerplate_removed=removed,
        limits=limits,
    )
