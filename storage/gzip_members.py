"""One gzip member per record, from a deflate stream kept per compression level."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from typing import Any

from zlib_ng import zlib_ng

__all__ = ["GzipMembers"]


class GzipMembers:
    """Each record's gzip member, from one deflate stream per level kept for a file's
    writer (a WARC file's, a text records file's), not a compressor made (and its
    third of a megabyte allocated and freed: a mapping of its own, past the
    crawler's fixed mmap threshold) per record.

    After a record, a full flush ends its deflate data on a byte boundary and clears
    the stream's history, so nothing later refers back into it; an empty final block
    and the gzip trailer (CRC-32, size) close the member, as pigz closes its blocks.
    Each member is a whole gzip file of its own, read from its offset like any other.
    A record cut short leaves its stream unclean: that stream is dropped.
    """

    #: Empty deflate block with BFINAL set (fixed Huffman codes, end of block only).
    _FINAL_BLOCK = b"\x03\x00"

    def __init__(self) -> None:
        self._streams: dict[int, Any] = {}

    @staticmethod
    def _header(level: int) -> bytes:
        # zlib's own: no name, no time; XFL 4 for its fastest level, 2 for its best.
        extra = 4 if level == 1 else 2 if level == 9 else 0
        return b"\x1f\x8b\x08\x00\x00\x00\x00\x00" + bytes((extra, 3))

    def member(self, parts: Iterable[bytes], level: int) -> Iterator[bytes]:
        """The member of the record whose bytes are ``parts``, in pieces."""
        stream = self._streams.pop(level, None)
        if stream is None:
            stream = zlib_ng.compressobj(level, zlib_ng.DEFLATED, -zlib_ng.MAX_WBITS)
        yield self._header(level)
        crc = size = 0
        for part in parts:
            crc = zlib_ng.crc32(part, crc)
            size += len(part)
            yield stream.compress(part)
        yield stream.flush(zlib_ng.Z_FULL_FLUSH) + self._FINAL_BLOCK
        yield struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF)
        # Only a member written to its end gives its stream back.
        self._streams[level] = stream
