"""Everything a crawl does with one HTML page, bounded: article, outlinks, feeds.

:func:`analyse_page` decodes and caps the body once (``newstrail.extract.prepare_html``:
``ExtractionConfig.max_html_bytes``) and runs on that text the extraction, the
outlinks and the feed discovery, so that no page, however large or odd, costs more
than a few seconds and a bounded amount of memory. It is what the extraction pool's
workers run (``newstrail.extract_pool``).

The outlinks are exactly those of Scrapy's ``LinkExtractor(tags=("a", "area"),
attrs=("href",), deny_extensions=[*IGNORED_EXTENSIONS, "xml", "rss", "json"],
unique=True, strip=True)`` (the crawl's ``page_link_extractor``), limited to http and
https: the ``<base href>`` in the first 4 KiB, HTML5 whitespace stripped from each
href, ``safe_url_string(urljoin(base, href))``, files by extension denied, the first
of equal URLs kept, text the element's text. At most
``max_links`` are kept; ``links_total`` counts the distinct ones, within the capped
body when the body was cut ("html-truncated" in ``limits``).

The module is core: it imports neither Scrapy nor Prefect.
"""

from __future__ import annotations

import itertools
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree
from w3lib.html import get_base_url, strip_html5_whitespace
from w3lib.url import safe_url_string

from newstrail.discovery import feed_links
from newstrail.extract import Article, ExtractionConfig, extract_prepared, prepare_html
from newstrail.frontier import static_trap_reason
from newstrail.relevance import Relevance, RelevanceModel
from newstrail.stories import StoryIndex, StorySketch
from newstrail.urls import link_key

__all__ = [
    "DEFAULT_MAX_LINKS",
    "DEFAULT_MAX_REQUISITES",
    "IGNORED_EXTENSIONS",
    "PageLink",
    "PageScoring",
    "PageWork",
    "analyse_page",
    "css_requisites",
    "fast_article",
]

DEFAULT_MAX_LINKS = 1000
#: How far below the relevance threshold a page's fast text may score and still get
#: the full extraction (measured: ``bench/fast_pass.py``).
FAST_MARGIN = 0.1

#: Page requisites (embedded resources, linked PDF documents) kept of one page.
DEFAULT_MAX_REQUISITES = 50

# Scrapy's scrapy.linkextractors.IGNORED_EXTENSIONS, copied so the core needs no
# Scrapy (a test checks the two lists stay equal).
IGNORED_EXTENSIONS = [
    # archives
    "7z", "7zip", "bz2", "rar", "tar", "tar.gz", "xz", "zip",
    # images
    "mng", "pct", "bmp", "gif", "jpg", "jpeg", "png", "pst", "psp", "tif", "tiff", "ai",
    "drw", "dxf", "eps", "ps", "svg", "cdr", "ico", "webp",
    # audio
    "mp3", "wma", "ogg", "wav", "ra", "aac", "mid", "au", "aiff",
    # video
    "3gp", "asf", "asx", "avi", "mov", "mp4", "mpg", "qt", "rm", "swf", "wmv", "m4a",
    "m4v", "flv", "webm",
    # office suites
    "xls", "xlsm", "xlsx", "xltm", "xltx", "potm", "potx", "ppt", "pptm", "pptx", "pps",
    "doc", "docb", "docm", "docx", "dotm", "dotx", "odt", "ods", "odg", "odp",
    # other
    "css", "pdf", "exe", "bin", "rss", "dmg", "iso", "apk", "jar", "sh", "rb", "js",
    "hta", "bat", "cpl", "msi", "msp", "py",
]  # fmt: skip

# Feeds and sitemaps reach the crawl through their own channels.
_DENIED = frozenset(f".{ext}" for ext in [*IGNORED_EXTENSIONS, "xml", "rss", "json"])
_LINK_TAGS = frozenset({"a", "area"})
_XHTML = "{http://www.w3.org/1999/xhtml}"
_string = etree.XPath("string()")


@dataclass(frozen=True)
class PageLink:
    """One outlink: its absolute URL and the text of its element (stripped).

    A page analysed with a :class:`PageScoring` also has what the crawl admits the
    link by: ``drop``, why it is never fetched (``"not-http"``, ``"not-coverage"``,
    ``"trap"``: ``newstrail.urls``, ``newstrail.frontier``), else its canonical URL
    ``key`` and its expected relevance ``score`` (``RelevanceModel.score_link``).
    """

    url: str
    text: str
    key: str | None = None
    drop: str | None = None
    score: float | None = None


@dataclass(frozen=True)
class PageScoring:
    """What scores a page as the crawl would: its relevance model, numbered by
    ``generation`` (the crawl's model grows when a seed given only by URL is
    fetched, and a page scored by an older one is scored again). Story sketches
    are made for the crawl's ``StoryIndex()`` (its default parameters)."""

    model: RelevanceModel
    generation: int = 0
    #: Whether a page scoring below ``threshold - margin`` on its fast text keeps
    #: that text (False: every page gets the full extraction).
    fast: bool = True
    margin: float = FAST_MARGIN


@dataclass
class PageWork:
    """What :func:`analyse_page` found on one page.

    ``article`` is the extracted article (None for no article). ``links`` are the
    page's ``<a>``/``<area>`` outlinks, absolute, de-duplicated, in page order, at
    most ``max_links``; ``links_total`` counts the distinct outlinks before that cap.
    ``feeds`` are the feeds the page announces. ``limits`` names the limits the page
    reached: the article's (``newstrail.extract``) plus ``"links-capped"``.
    """

    article: Article | None
    links: list[PageLink]
    links_total: int
    feeds: list[str]
    limits: list[str] = field(default_factory=list)
    #: The page's requisites: images (``src``, ``srcset``), stylesheets, scripts,
    #: icons, ``og:image``, preloaded fonts, and linked PDF documents; absolute,
    #: de-duplicated, in page order, at most ``max_requisites``.
    requisites: list[str] = field(default_factory=list)
    #: With a :class:`PageScoring`: the article's relevance and story sketch, and
    #: the generation of the model that scored it (None, None, -1 without).
    relevance: Relevance | None = None
    story: StorySketch | None = None
    scored_by: int = -1


def _tag(element: etree._Element) -> str:
    tag = element.tag
    if isinstance(tag, str) and tag.startswith(_XHTML):
        return tag[len(_XHTML) :]
    return tag if isinstance(tag, str) else ""


def _hrefs(root: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    for element in root.iter(etree.Element):
        if _tag(element) in _LINK_TAGS:
            href = element.get("href")
            if href is not None:
                yield element, href


def _parse(text: str) -> etree._Element | None:
    if not text.strip():
        return None
    try:
        return lxml_html.document_fromstring(text)
    except (ValueError, etree.ParserError):
        return None


def _outlinks(
    root: etree._Element | None, text: str, url: str, encoding: str, max_links: int
) -> tuple[list[PageLink], int]:
    if root is None:
        return [], 0
    base = get_base_url(text[:4096], url)
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}"
    scheme = urlsplit(url).scheme
    links: list[PageLink] = []
    seen: set[str] = set()
    for element, href in _hrefs(root):
        absolute = _resolve(base, origin, url, scheme, strip_html5_whitespace(href), encoding)
        if absolute is None or absolute in seen:
            continue
        seen.add(absolute)
        if len(links) < max_links:
            links.append(PageLink(absolute, str(_string(element)).strip()))
    return links, len(seen)


# The same hrefs come back page after page (a site's navigation, links between its
# articles): a process keeps what the last of them resolved to. Only hrefs whose
# URL does not depend on the page's own path are kept: absolute URLs, whatever
# the page, and paths from the root, per site.
_MAX_RESOLVED = 20_000
_resolved: dict[tuple[str, str, str], str | None] = {}


def _resolve(base: str, origin: str, url: str, scheme: str, href: str, encoding: str) -> str | None:
    """The absolute http(s) URL ``href`` names on the page at ``url`` whose base URL
    is ``base``, or None (not http, a file type the crawl does not follow, or
    bogus). The page's URL adds only its scheme to an absolute URL."""
    if href.startswith(("http://", "https://")):
        key: tuple[str, str, str] | None = (scheme, href, encoding)
    elif href.startswith("/") and not href.startswith("//"):
        key = (scheme + " " + origin, href, encoding)
    else:
        key = None
    if key is not None and key in _resolved:
        return _resolved[key]
    found = _resolve_href(base, url, href, encoding)
    if key is not None:
        if len(_resolved) >= _MAX_RESOLVED:
            _resolved.clear()
        _resolved[key] = found
    return found


def _resolve_href(base: str, url: str, href: str, encoding: str) -> str | None:
    try:
        joined = urljoin(base, href)
        # Queries are percent-encoded in the page's encoding, as browsers do.
        absolute = urljoin(url, safe_url_string(joined, encoding=encoding))
        parts = urlsplit(absolute)
    except ValueError:
        return None  # a bogus href, as Scrapy skips it
    if parts.scheme not in ("http", "https"):
        return None
    if posixpath.splitext(parts.path)[1].lower() in _DENIED:
        return None
    return absolute


_ICON_RELS = frozenset({"icon", "shortcut", "apple-touch-icon", "stylesheet", "preload"})
_IMAGE_META = frozenset({"og:image", "og:image:url", "og:image:secure_url", "twitter:image"})
# Each reference at most 512 characters long (256 unquoted), matched without backtracking
# (possessive quantifiers): the scan from every "url(" of a hostile stylesheet
# stops there instead of running on (a longer reference, in practice a data: URL,
# is not fetched anyway).
_CSS_URL = re.compile(
    r"""url\(\s*+(?:"([^"]{0,512}+)"|'([^']{0,512}+)'|([^)"'\s]{0,256}+))\s*+\)"""
    r"""|@import\s++(?:"([^"]{0,512}+)"|'([^']{0,512}+)')"""
)
#: Bytes of a stylesheet read for its url(...) and @import references.
MAX_CSS_BYTES = 512 * 1024


def _srcset(value: str) -> Iterator[str]:
    for candidate in value.split(","):
        parts = candidate.strip().split()
        if parts:
            yield parts[0]


def _requisite_refs(root: etree._Element) -> Iterator[str]:
    for element in root.iter(etree.Element):
        tag = _tag(element)
        if tag == "script":
            src = element.get("src")
            if src:
                yield src
        elif tag in ("img", "source", "input", "video", "audio", "embed", "track"):
            for attribute in ("src", "poster"):
                value = element.get(attribute)
                if value:
                    yield value
            srcset = element.get("srcset")
            if srcset:
                yield from _srcset(srcset)
        elif tag == "link":
            rel = set((element.get("rel") or "").lower().split())
            if rel & _ICON_RELS and element.get("href"):
                preload = "preload" in rel and not rel & (_ICON_RELS - {"preload"})
                if not preload or (element.get("as") or "").lower() in ("style", "font", "image"):
                    yield str(element.get("href"))
        elif tag == "meta":
            name = (element.get("property") or element.get("name") or "").lower()
            if name in _IMAGE_META and element.get("content"):
                yield str(element.get("content"))
        elif tag == "a":
            href = element.get("href") or ""
            # By string: a hostile href must not stop the page's analysis.
            if href.split("#", 1)[0].split("?", 1)[0].strip().lower().endswith(".pdf"):
                yield href


def _absolute(refs: Iterator[str], base: str, limit: int) -> list[str]:
    found: list[str] = []
    for ref in refs:
        try:
            absolute = urljoin(base, strip_html5_whitespace(ref))
            parts = urlsplit(absolute)
        except ValueError:
            continue
        absolute = absolute.split("#", 1)[0]
        if parts.scheme in ("http", "https") and absolute not in found:
            found.append(absolute)
            if len(found) >= limit:
                break
    return found


def _requisites(root: etree._Element | None, text: str, url: str, limit: int) -> list[str]:
    """The requisites of a page, from its prepared text (a page over the HTML cap has
    lost its scripts there, and with them their ``src``)."""
    if limit <= 0 or root is None:
        return []
    return _absolute(_requisite_refs(root), get_base_url(text[:4096], url), limit)


def css_requisites(css: bytes, url: str, limit: int = DEFAULT_MAX_REQUISITES) -> list[str]:
    """What a stylesheet loads (``url(...)``: fonts, images; ``@import``), absolute,
    from its first :data:`MAX_CSS_BYTES`; ``data:`` URLs are not fetched."""
    text = css[:MAX_CSS_BYTES].decode("utf-8", "replace")
    refs = (
        next(g for g in m.groups() if g is not None)
        for m in _CSS_URL.finditer(text)
        if any(g for g in m.groups())
    )
    # At most a few times the limit looked at: a stylesheet naming one image
    # thousands of times is not joined thousands of times.
    wanted = itertools.islice((r for r in refs if not r.lower().startswith("data:")), 4 * limit)
    return _absolute(wanted, url, limit)


def analyse_page(
    html: bytes,
    url: str,
    *,
    content_type: str | None = None,
    config: ExtractionConfig | None = None,
    max_links: int = DEFAULT_MAX_LINKS,
    max_requisites: int = DEFAULT_MAX_REQUISITES,
    scoring: PageScoring | None = None,
    full: bool = False,
) -> PageWork:
    """Extract a page's article, outlinks and feeds, within the configured limits.

    ``content_type`` is the HTTP Content-Type (its charset is honoured). The body is
    decoded and capped once (``ExtractionConfig.max_html_bytes``), and all three
    read that text. With ``scoring``, the article is also scored and sketched and
    the links canonicalised and scored (:func:`score_page`), so that a crawl's
    reactor only looks the results up.

    With a ``scoring`` whose ``fast`` is on, and unless ``full``, the page's main
    text is first taken the fast way (:func:`fast_article`) and scored; only a page
    scoring at least ``threshold - margin`` on it, or with under
    ``min_text_length`` characters of it, gets the full extraction (trafilatura
    and the second opinions). Any other keeps the fast text, and its limits say
    ``"fast-text"``: it is not related whichever text is scored.
    """
    config = config or ExtractionConfig()
    text, article_limits, encoding = prepare_html(html, config, content_type=content_type)
    root = _parse(text)
    article: Article | None = None
    relevance: Relevance | None = None
    fast = scoring is not None and scoring.fast and not full
    if fast and scoring is not None:
        article = fast_article(text, root, url, article_limits, config.min_text_length)
        if article is None:
            # Little main text the fast way (a section front, a listing): the full
            # extraction may still find an article there, and its score steers the
            # page's links.
            fast = False
        else:
            model = scoring.model
            cut = model.threshold - scoring.margin
            relevance = model.score(article.text, article.title, explain_under=cut)
            if relevance.score >= cut:
                fast, relevance = False, None
    if not fast:
        article = extract_prepared(text, url, config, article_limits)
    links, total = _outlinks(root, text, url, encoding, max_links)
    limits = list(article.limits if article is not None else article_limits)
    if total > max_links:
        limits.append("links-capped")
    requisites = _requisites(root, text, url, max_requisites)
    feeds = feed_links(text, url, root) if root is not None else []
    work = PageWork(article, links, total, feeds, limits, requisites)
    if scoring is not None:
        score_page(work, scoring, relevance)
    return work


_SKETCHER = StoryIndex()
_canonical_href = etree.XPath(
    "//link[contains(concat(' ', normalize-space(@rel), ' '), ' canonical ')]/@href"
    " | //meta[@property='og:url']/@content"
)


def fast_article(
    text: str,
    root: etree._Element | None,
    url: str,
    limits: tuple[str, ...] = (),
    min_chars: int = 200,
) -> Article | None:
    """The page's main text the fast way (resiliparse's main-content extraction,
    about 4 ms a real page against 90 for the full extraction), with the title and
    canonical URL; no author or date. None under ``min_chars`` characters (as the
    full extraction's ``min_text_length``). Its limits add ``"fast-text"``."""
    tree = HTMLTree.parse(text)
    body = extract_plain_text(tree, main_content=True, alt_texts=False, noscript=False)
    blocks = [" ".join(line.split()) for line in body.split("\n")]
    main = "\n\n".join(block for block in blocks if block)
    if len(main) < min_chars:
        return None
    canonical = None
    if root is not None:
        for href in _canonical_href(root):
            try:
                canonical = urljoin(url, str(href).strip())
            except ValueError:
                continue
            break
    title = " ".join((tree.title or "").split()) or None
    return Article(
        text=main,
        title=title,
        author=None,
        date=None,
        sitename=None,
        language=None,
        canonical_url=canonical,
        description=None,
        date_source=None,
        boilerplate_removed=0,
        limits=(*limits, "fast-text"),
    )


def score_page(work: PageWork, scoring: PageScoring, relevance: Relevance | None = None) -> None:
    """Score ``work``'s article and links with ``scoring`` and sketch its story, in
    place; ``relevance`` is the article's, when already scored."""
    model = scoring.model
    if work.article is not None:
        article = work.article
        work.relevance = relevance or model.score(article.text, article.title, article.date)
        work.story = _SKETCHER.sketch(article.text)
    global _admitted_for
    if _admitted_for is not scoring:
        # Another profile (or another crawl's): earlier answers no longer hold.
        _admitted.clear()
        _admitted_for = scoring
    links = []
    for link in work.links:
        found = _admitted.get((link.url, link.text))
        if found is None:
            found = _admission(link, model)
            if len(_admitted) >= _MAX_ADMITTED:
                _admitted.clear()
            _admitted[(link.url, link.text)] = found
        links.append(found)
    work.links = links
    work.scored_by = scoring.generation


# Links recur from page to page (navigation, related stories, the same story linked
# from many pages): a process keeps what it found of the last links it admitted,
# for the scoring it found them with.
_MAX_ADMITTED = 50_000
_admitted: dict[tuple[str, str], PageLink] = {}
_admitted_for: PageScoring | None = None


def _admission(link: PageLink, model: RelevanceModel) -> PageLink:
    key, drop = link_key(link.url)
    if key is None:
        return PageLink(link.url, link.text, drop=drop)
    if static_trap_reason(key) is not None:
        return PageLink(link.url, link.text, key, drop="trap")
    return PageLink(link.url, link.text, key, score=model.score_link(link.text, key))
