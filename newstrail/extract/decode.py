"""Response bytes to text (BOM, UTF-8, the HTTP charset, the page's, a guess), and the
bound on work per page: heavy markup dropped and the body capped (``prepare_html``)."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from trafilatura.utils import detect_encoding
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    resolve_encoding,
)

from newstrail.extract.model import DEFAULT_CONFIG, ExtractionConfig

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
