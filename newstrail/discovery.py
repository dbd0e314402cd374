"""Discovery channels beyond outlinks: feeds and sitemaps, parsed into scored candidates.

Feeds are parsed with feedparser; sitemaps (including sitemap indexes and
Google News sitemaps) with defusedxml, because sitemaps come from servers we do
not control and must not be able to expand entities or load DTDs.

The work on one listing is bounded (:func:`read_feed`, :func:`read_sitemap`): a
feed is read up to :data:`FEED_MAX_ENTRIES` entries and :data:`FEED_MAX_BYTES`
(feedparser takes about 2.5 ms an entry), a sitemap up to
:data:`SITEMAP_MAX_ENTRIES` entries (a fifth of the sitemap protocol's maximum).
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice
from urllib.parse import urljoin

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from lxml import etree
from lxml import html as lxml_html

from newstrail.urls import is_http_url

__all__ = [
    "COMMON_FEED_PATHS",
    "Candidate",
    "feed_links",
    "parse_feed",
    "parse_sitemap",
    "read_feed",
    "read_sitemap",
]

#: Entries of one feed that are read; a feed's entries come newest first.
FEED_MAX_ENTRIES = 500
#: Bytes of one feed that are read (entries with enormous summaries).
FEED_MAX_BYTES = 2 * 1024 * 1024
#: Entries of one sitemap that are read (the protocol allows 50,000; reading and
#: scoring 10,000 takes about 0.8 s, news sitemaps hold at most 1,000).
SITEMAP_MAX_ENTRIES = 10_000
#: Bytes of a gzipped sitemap (``sitemap.xml.gz``, sent as a file, not as a content
#: coding) that are unpacked: far more than 10,000 entries take, and no bomb.
SITEMAP_MAX_UNPACKED = 16 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"

_ENTRY_END = re.compile(rb"</(?:[A-Za-z0-9_-]+:)?(?:item|entry)\s*>", re.IGNORECASE)

# Where sites that do not announce their feeds usually keep them.
COMMON_FEED_PATHS = ("/feed", "/rss.xml", "/feed.xml", "/atom.xml")
_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json"}


@dataclass(frozen=True)
class Candidate:
    """A URL found in a feed or sitemap, with what the listing said about it."""

    url: str
    title: str = ""
    summary: str = ""
    published: date | None = None
    is_sitemap: bool = False  # an index entry: another sitemap, not a page


def feed_links(html: bytes | str, base_url: str, tree: etree._Element | None = None) -> list[str]:
    """Feeds a page announces with ``<link rel="alternate" type="application/rss+xml">``;
    ``tree``, the page already parsed as a document, saves parsing it again."""
    if tree is None:
        try:
            tree = lxml_html.fromstring(html)
        except (ValueError, TypeError, lxml_html.etree.ParserError):
            return []
    found = []
    for link in tree.iterfind(".//link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().strip()
        href = link.get("href")
        if "alternate" in rel and kind in _FEED_TYPES and href:
            url = urljoin(base_url, href.strip())
            if is_http_url(url) and url not in found:
                found.append(url)
    return found


def _struct_date(value: object) -> date | None:
    if value is None:
        return None
    try:
        return date(value.tm_year, value.tm_mon, value.tm_mday)  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return None


def parse_feed(body: bytes, base_url: str) -> list[Candidate]:
    """Entries of an RSS or Atom feed; an unparsable feed yields none."""
    parsed = feedparser.parse(body, response_headers={"content-location": base_url})
    out = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        url = urljoin(base_url, str(link).strip())
        if not is_http_url(url):
            continue
        summary = lxml_text(str(entry.get("summary", "")))
        published = _struct_date(entry.get("published_parsed") or entry.get("updated_parsed"))
        out.append(Candidate(url, str(entry.get("title", "")), summary[:1000], published))
    return out


def lxml_text(fragment: str) -> str:
    """Plain text of an HTML fragment (feed summaries often carry markup)."""
    if "<" not in fragment:
        return fragment.strip()
    try:
        return " ".join(lxml_html.fromstring(f"<div>{fragment}</div>").text_content().split())
    except (ValueError, lxml_html.etree.ParserError):
        return fragment


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _parse_date(text: str | None) -> date | None:
    if not text:
        return None
    text = text.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.date()


def parse_sitemap(body: bytes, base_url: str) -> Iterator[Candidate]:
    """Entries of a sitemap or sitemap index, streaming; malformed XML ends the listing.

    Google News entries carry their ``news:title`` and ``news:publication_date``,
    so they can be scored before they are fetched.
    """
    stream = io.BytesIO(body)
    try:
        for _, element in iterparse(stream, events=("end",), forbid_dtd=True):
            kind = _local(element.tag)
            if kind not in {"url", "sitemap"}:
                continue
            loc = title = lastmod = published = ""
            for child in element.iter():
                name = _local(child.tag)
                text = (child.text or "").strip()
                if name == "loc" and not loc:
                    loc = text
                elif name == "lastmod":
                    lastmod = text
                elif name == "title":
                    title = text
                elif name == "publication_date":
                    published = text
            element.clear()
            if not loc:
                continue
            url = urljoin(base_url, loc)
            if is_http_url(url):
                yield Candidate(
                    url,
                    title=title,
                    published=_parse_date(published or lastmod),
                    is_sitemap=kind == "sitemap",
                )
    except (SyntaxError, DefusedXmlException):
        return


def read_feed(body: bytes, base_url: str) -> tuple[list[Candidate], list[str]]:
    """A feed's entries within the limits, and the limits it reached.

    The body is cut after its :data:`FEED_MAX_ENTRIES`-th entry and at
    :data:`FEED_MAX_BYTES` before feedparser sees it (feedparser reads a cut feed
    as far as it goes); the limit reached is named ``"feed-truncated"``.
    """
    limits: list[str] = []
    if len(body) > FEED_MAX_BYTES:
        body = body[: body.rfind(b">", 0, FEED_MAX_BYTES) + 1]
        limits.append("feed-truncated")
    ends = _ENTRY_END.finditer(body)
    first = list(islice(ends, FEED_MAX_ENTRIES))
    if first and next(ends, None) is not None:
        body = body[: first[-1].end()]
        if not limits:
            limits.append("feed-truncated")
    return parse_feed(body, base_url), limits


def read_sitemap(body: bytes, base_url: str) -> tuple[list[Candidate], list[str]]:
    """A sitemap's entries within the limits, and the limits it reached.

    At most :data:`SITEMAP_MAX_ENTRIES` entries are read; past them the limit
    ``"sitemap-truncated"`` is reached. A gzipped sitemap (``sitemap.xml.gz``, as
    news sites often serve them) is unpacked up to :data:`SITEMAP_MAX_UNPACKED`
    bytes (``"sitemap-truncated"`` past them), and one that does not unpack gives
    ``"sitemap-undecodable"``.
    """
    limits: list[str] = []
    if body[:2] == _GZIP_MAGIC:
        body, unpacked = _gunzip(body, SITEMAP_MAX_UNPACKED)
        if unpacked is None:
            return [], ["sitemap-undecodable"]
        if not unpacked:
            limits.append("sitemap-truncated")
    entries = parse_sitemap(body, base_url)
    found = list(islice(entries, SITEMAP_MAX_ENTRIES))
    if next(entries, None) is not None and not limits:
        limits.append("sitemap-truncated")
    return found, limits


def _gunzip(data: bytes, cap: int) -> tuple[bytes, bool | None]:
    """Up to ``cap`` unpacked bytes of gzip ``data``; whether that was all (None: unreadable)."""
    unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = unpacker.decompress(data, cap)
    except zlib.error:
        return b"", None
    if unpacker.eof:
        return out, True
    # Stopped at the cap, or the file ends before its gzip stream does (cut short).
    return (out, False) if out else (b"", None)
