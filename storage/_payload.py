"""A WARC record's HTTP payload, decoded as a browser would but never without a bound.

Archived responses keep their body as the server sent it: gzip, deflate, brotli
or zstd. Reading one back means undoing those codings, and a small body can
expand without end (a decompression bomb), so decoding here is streaming and
stops at a cap. The decoders are urllib3's, which bound every step of their
output (urllib3 >= 2.6), including chains such as ``gzip, br``.

warcio's own decoding (``record.content_stream()``) expands each 16 KiB read
whole, and its brotli path was written for brotlipy: with Google's Brotli, the
one Scrapy requires, it fails on any ``br`` response. :func:`patch_warcio_brotli`
registers a working brotli decoder with warcio, so that code using warcio in
this process can read such records; newstrail itself never decodes through
warcio.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

import brotli
from urllib3.exceptions import DecodeError, ProtocolError
from urllib3.response import HTTPResponse
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader

__all__ = [
    "MAX_DECODED_BYTES",
    "DecodedPayload",
    "content_codings",
    "patch_warcio_brotli",
    "raw_payload",
    "read_payload",
    "show_bytes",
    "show_text",
]

#: Decoded bytes read from one payload at most, unless the caller says otherwise.
MAX_DECODED_BYTES = 8 * 1024 * 1024

_CHUNK = 64 * 1024

#: Codings decoded, as Scrapy's HttpCompressionMiddleware decodes them during a crawl.
_DECODED = frozenset({"gzip", "x-gzip", "deflate", "br", "zstd"})


@dataclass(frozen=True)
class DecodedPayload:
    """The first bytes of a payload, decoded.

    ``complete`` is False when the decoded payload is longer than the cap: ``body``
    then holds its first ``cap`` bytes. ``error`` says why decoding stopped early
    (a corrupt coding); ``body`` is what was decoded before it. A coding cut short
    decodes, as browsers show it, to what arrived, without an error.
    """

    body: bytes
    complete: bool
    error: str | None = None


def show_bytes(data: bytes, limit: int = 32) -> str:
    """``data`` as a Python bytes literal cut to ``limit`` bytes, fit for a one-line message."""
    shown = repr(bytes(data[:limit]))
    return shown + "..." if len(data) > limit else shown


def show_text(text: str, limit: int = 80) -> str:
    """``text`` for a one-line message, cut to ``limit``: as is if printable, else a literal."""
    cut = text[:limit]
    shown = cut if cut.isprintable() else repr(cut)
    return shown + "..." if len(text) > limit else shown


def content_codings(http_headers: Any) -> list[str]:
    """The codings to undo, in the order to undo them (the last one applied first).

    As Scrapy does: the list is read from the end and stops at the first coding
    it cannot decode (anything further out is left alone), so ``identity`` and
    unknown codings leave the body as it is.
    """
    applied: list[str] = []
    for name, value in http_headers.headers:
        if name.lower() == "content-encoding":
            applied.extend(c.strip().lower() for c in value.split(",") if c.strip())
    undo = []
    for coding in reversed(applied):
        if coding not in _DECODED:
            break
        undo.append(coding)
    return undo


def raw_payload(record: Any) -> BinaryIO:
    """The payload of an HTTP record as received: de-chunked, still content-coded."""
    stream = record.raw_stream
    headers = record.http_headers
    transfer = headers.get_header("Transfer-Encoding") if headers is not None else None
    if (transfer or "").strip().lower() == "chunked":
        # Only in WARCs of other tools: newstrail de-chunks before writing. warcio's
        # reader falls back to the raw bytes when the body is not chunked after all.
        return cast(BinaryIO, ChunkedDataReader(stream))
    return cast(BinaryIO, stream)


def read_payload(record: Any, cap: int = MAX_DECODED_BYTES) -> DecodedPayload:
    """Decode the payload of an HTTP ``record`` (warcio's), reading at most ``cap`` bytes of it.

    The raw payload is read in small chunks and decoded as it goes; memory stays
    about ``cap`` whatever the payload expands to, and nothing is written to disk.
    """
    raw = raw_payload(record)
    undo = content_codings(record.http_headers) if record.http_headers is not None else []
    if not undo:
        body = _read_up_to(raw, cap + 1)
        return DecodedPayload(body[:cap], len(body) <= cap)
    response = HTTPResponse(
        body=_Borrowed(raw),
        # urllib3 takes the codings in the order they were applied.
        headers={"Content-Encoding": ", ".join(reversed(undo))},
        status=200,
        preload_content=False,
        decode_content=True,
    )
    parts: list[bytes] = []
    size = 0
    error = None
    try:
        while size <= cap:
            part = response.read(min(_CHUNK, cap + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
    except (DecodeError, ProtocolError, zlib.error, brotli.error, EOFError) as exc:
        error = f"cannot decode {', '.join(reversed(undo))} body: {_reason(exc)}"
    body = b"".join(parts)
    return DecodedPayload(body[:cap], len(body) <= cap, error)


class _Borrowed(io.RawIOBase):
    """A stream lent to urllib3, which closes its body at the end: the record's
    stream is warcio's, still needed to find the next record."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
    parts = []
    while size > 0:
        part = stream.read(min(_CHUNK, size))
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _reason(exc: BaseException) -> str:
    # urllib3 wraps the decoder's error: its message is the useful part.
    inner = exc.args[1] if isinstance(exc, DecodeError) and len(exc.args) > 1 else exc
    return str(inner) or type(inner).__name__


class _WarcioBrotli:
    """Google Brotli's decompressor with the interface warcio's reader expects (brotlipy's)."""

    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()
        # warcio reads this to find the end of a gzip member; a brotli stream has none.
        self.unused_data = b""

    def decompress(self, data: bytes) -> bytes:
        return cast(bytes, self._decompressor.process(data))

    def flush(self) -> bytes:
        return b""


def patch_warcio_brotli() -> None:
    """Make warcio's ``content_stream()`` decode ``br`` bodies with Google's Brotli.

    warcio 1.8.1 sets an attribute on ``brotli.Decompressor()`` that Google's
    Brotli does not allow (it was written for brotlipy, which has the same import
    name and which Scrapy cannot use), so every brotli response fails with an
    AttributeError. Registering a decoder in warcio's own table of decoders is
    the extension point it offers; it lasts for this process only.
    """
    BufferedReader.DECOMPRESSORS["br"] = _WarcioBrotli
