"""Content sniffing: is a response an HTML page, whatever its Content-Type says."""

from __future__ import annotations

import codecs
import re

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
