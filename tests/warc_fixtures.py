"""Hostile WARCs for the storage tests: every content coding, and bombs of each.

Bombs are built streaming (a repeated compressed block, or a compressor fed
zeros) so that none is ever held expanded, and cached once per test session.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import brotli
import pytest
from backports import zstd

from newstrail.storage.warc import RollingWarcWriter

CODINGS = ("gzip", "deflate", "br", "zstd")

PAGE = (
    b"<!doctype html><html><head><meta charset='utf-8'><title>Troops leave the city</title>"
    b"</head><body><article><h1>Troops leave the city</h1>"
    + b"".join(
        b"<p>Paragraph %d: the last troops left the city on Tuesday, officials said, "
        b"after a week of talks between the two governments about the border.</p>" % i
        for i in range(12)
    )
    + b"</article></body></html>"
)

_MIB = 1024 * 1024
#: What each bomb expands to.
BOMB_DECODED = 10 * 1024 * _MIB


def encode(body: bytes, coding: str) -> bytes:
    """``body`` as a server sends it with ``Content-Encoding: coding``."""
    if coding in ("gzip", "x-gzip"):
        return gzip.compress(body, mtime=0)  # the same bytes every time
    if coding == "deflate":
        return zlib.compress(body)
    if coding == "br":
        # Quality 5, as servers compress pages on the fly (11 takes 20 s on 12 MB).
        return bytes(brotli.compress(body, quality=5))
    if coding == "zstd":
        return zstd.compress(body)
    raise ValueError(coding)


def _deflate_zeros() -> tuple[bytes, bytes, bytes]:
    """Raw deflate of zeros: a first block, a block repeated (each 1 MiB of zeros), an end."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    zeros = bytes(_MIB)
    # A full flush ends each block on a byte boundary with no back-references past
    # it, so once the compressor is warm every MiB compresses to the same bytes.
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH) == block
    return first, block, compressor.flush(zlib.Z_FINISH)


def write_bomb(path: Path, coding: str) -> Path:
    """Write a payload of ``coding`` that expands to ``BOMB_DECODED`` zero bytes."""
    mebibytes = BOMB_DECODED // _MIB
    with path.open("wb") as out:
        if coding in ("gzip", "deflate"):
            first, block, end = _deflate_zeros()
            if coding == "gzip":
                out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff")
            else:
                out.write(b"\x78\xda")
            out.write(first)
            for _ in range(mebibytes - 1):
                out.write(block)
            out.write(end)
            if coding == "gzip":
                zeros, crc = bytes(_MIB), 0
                for _ in range(mebibytes):
                    crc = zlib.crc32(zeros, crc)
                out.write(struct.pack("<II", crc, BOMB_DECODED & 0xFFFFFFFF))
            else:
                # Adler-32 of n zero bytes: a stays 1, b grows by 1 per byte.
                out.write(struct.pack(">I", ((BOMB_DECODED % 65521) << 16) | 1))
        elif coding == "br":
            compressor = brotli.Compressor(quality=0, lgwin=24)
            zeros = bytes(16 * _MIB)
            for _ in range(mebibytes // 16):
                out.write(compressor.process(zeros))
            out.write(compressor.finish())
        elif coding == "zstd":
            # A zstd body may hold many frames, one after the other.
            frame = zstd.compress(bytes(1024 * _MIB))
            for _ in range(mebibytes // 1024):
                out.write(frame)
        else:
            raise ValueError(coding)
    return path


def _cached(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[Path, bool]:
    """A folder of the session's temp dir, and whether an earlier test module filled it.

    Each test module importing these fixtures gets fixtures of its own, so a
    session-scoped one alone would still build the bombs once per module.
    """
    directory = tmp_path_factory.getbasetemp() / "warc-fixtures" / name
    done = directory / ".done"
    if done.exists():
        return directory, True
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.iterdir():
        stale.unlink()
    return directory, False


def _mark_done(directory: Path) -> None:
    (directory / ".done").touch()


@pytest.fixture(scope="session")
def bomb_payloads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One bomb file per coding, each expanding to 10 GiB."""
    directory, done = _cached(tmp_path_factory, "bombs")
    paths = {coding: directory / f"bomb.{coding}" for coding in CODINGS}
    if not done:
        for coding, path in paths.items():
            write_bomb(path, coding)
        _mark_done(directory)
    return paths


def html_headers(coding: str | None) -> list[tuple[str, str]]:
    headers = [("Content-Type", "text/html; charset=utf-8")]
    if coding:
        headers.append(("Content-Encoding", coding))
    return headers


def write_warc(directory: Path, pages: Iterable[tuple[str, str | None, bytes | Path]]) -> Path:
    """One WARC file of ``(url, coding, body)`` responses; a Path body is streamed."""
    with RollingWarcWriter(
        directory, "hostile", clock=lambda: datetime(2024, 5, 1, tzinfo=UTC)
    ) as writer:
        for url, coding, body in pages:
            if isinstance(body, Path):
                with body.open("rb") as stream:
                    writer.write_exchange(
                        url,
                        status=200,
                        reason="OK",
                        response_headers=html_headers(coding),
                        response_body=stream,
                    )
            else:
                writer.write_exchange(
                    url,
                    status=200,
                    reason="OK",
                    response_headers=html_headers(coding),
                    response_body=body,
                )
    [path] = writer.files
    return path


@pytest.fixture(scope="session")
def encodings_warc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A WARC of the same article sent in every coding, and as a chain of two."""
    pages: list[tuple[str, str | None, bytes | Path]] = [
        (f"https://news.example/{coding}", coding, encode(PAGE, coding)) for coding in CODINGS
    ]
    pages.append(("https://news.example/x-gzip", "x-gzip", encode(PAGE, "gzip")))
    pages.append(("https://news.example/chain", "gzip, br", encode(encode(PAGE, "gzip"), "br")))
    pages.append(("https://news.example/identity", None, PAGE))
    return _cached_warc(tmp_path_factory, "encodings", pages)


@pytest.fixture(scope="session")
def bombs_warc(tmp_path_factory: pytest.TempPathFactory, bomb_payloads: dict[str, Path]) -> Path:
    """A WARC with a bomb of every coding, between two ordinary pages."""
    pages: list[tuple[str, str | None, bytes | Path]] = [
        ("https://news.example/before", "gzip", encode(PAGE, "gzip"))
    ]
    pages += [(f"https://news.example/bomb/{c}", c, p) for c, p in bomb_payloads.items()]
    pages.append(("https://news.example/after", "br", encode(PAGE, "br")))
    return _cached_warc(tmp_path_factory, "bombs-warc", pages)


def _cached_warc(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    pages: list[tuple[str, str | None, bytes | Path]],
) -> Path:
    directory, done = _cached(tmp_path_factory, name)
    if done:
        [path] = directory.glob("*.warc.gz")
        return path
    path = write_warc(directory, pages)
    _mark_done(directory)
    return path
