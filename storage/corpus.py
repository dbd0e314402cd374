"""Text records as JSON Lines, plain or gzip, written and read as streams.

Compressed output is one gzip member per record (as in WARC files): the file is
valid gzip after every record, so a crash loses at most the record being
written, and appending to an existing file is still valid gzip.
"""

from __future__ import annotations

import contextlib
import gzip
import heapq
import io
import itertools
import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, BinaryIO

from newstrail.errors import StoreError
from newstrail.records import TextRecord
from newstrail.storage.gzip_members import GzipMembers

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["TextRecordWriter", "read_text_records", "sort_text_records"]

_GZIP_MAGIC = b"\x1f\x8b"


class TextRecordWriter:
    """Writes :class:`~newstrail.records.TextRecord` objects, one JSON object a line.

    ``target`` is a path (gzip-compressed when its name ends with ``.gz``; the
    writer opens and closes it, truncating unless ``append``) or a binary stream
    (compressed when ``compress``, at ``compresslevel``; left open). Each record
    is flushed to the operating system as soon as it is written.
    """

    def __init__(
        self,
        target: str | os.PathLike[str] | IO[bytes],
        *,
        compress: bool | None = None,
        append: bool = False,
        compresslevel: int = 6,
    ) -> None:
        if isinstance(target, str | os.PathLike):
            path = Path(target)
            try:
                self.stream: IO[bytes] = open(path, "ab" if append else "wb")  # noqa: SIM115
            except OSError as exc:
                raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None
            self._owned = True
            default_compress = path.name.endswith(".gz")
        else:
            self.stream = target
            self._owned = False
            default_compress = False
        self.compress = default_compress if compress is None else compress
        self.compresslevel = compresslevel
        self._members = GzipMembers()
        self.count = 0

    def write(self, record: TextRecord) -> None:
        """Append one record and flush it."""
        data = (record.to_json() + "\n").encode("utf-8")
        if self.compress:
            # A gzip member of its own (a file cut short keeps every record before
            # the cut), from one deflate stream kept for the writer; no time in the
            # header, so the same records always give the same bytes.
            data = b"".join(self._members.member([data], self.compresslevel))
        self.stream.write(data)
        self.stream.flush()
        self.count += 1

    def close(self) -> None:
        """Close the file if this writer opened it (a given stream is left open)."""
        if self._owned and not self.stream.closed:
            self.stream.close()

    def __enter__(self) -> TextRecordWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _Prefixed(io.RawIOBase):
    """``head`` followed by the rest of ``stream``: lets us sniff without seeking."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            data, self._head = self._head[: len(view)], self._head[len(view) :]
        else:
            data = self._stream.read(len(view))
        view[: len(data)] = data
        return len(data)


def read_text_records(
    stream: IO[bytes] | BinaryIO,
    *,
    compressed: bool | None = None,
    allow_truncated: bool = False,
) -> Iterator[TextRecord]:
    """Yield the records of a JSONL stream, plain or gzip (sniffed when ``compressed`` is None).

    A last record cut short (a crash while writing) raises StoreError, unless
    ``allow_truncated``, which ends the iteration there instead: that is how to
    recover the records of a crawl that died.
    """
    head = b""
    while len(head) < 2 and (more := stream.read(2 - len(head))):
        head += more
    raw = io.BufferedReader(_Prefixed(head, stream))
    if compressed is None:
        compressed = head == _GZIP_MAGIC
    source: Iterable[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
    lineno = 0
    pending = b""
    try:
        for line in source:
            lineno += 1
            if not line.endswith(b"\n"):
                pending = line
                break
            if line.strip():
                yield _parse(line, lineno)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        if allow_truncated:
            return
        raise StoreError(f"text records cut short after line {lineno}: {exc}") from None
    if pending.strip():
        # Only our writer's last line lacks a newline when it was cut off mid-write;
        # a hand-made file may simply omit the final newline.
        try:
            record = _parse(pending, lineno)
        except StoreError:
            if allow_truncated:
                return
            raise StoreError(f"text records cut short at line {lineno}") from None
        yield record


def _parse(line: bytes, lineno: int) -> TextRecord:
    try:
        data = json.loads(line)
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        return TextRecord.from_dict(data)
    except (UnicodeDecodeError, json.JSONDecodeError, TypeError) as exc:
        raise StoreError(f"invalid text record at line {lineno}: {exc}") from None


def sort_text_records(
    records: Iterable[TextRecord],
    key: Callable[[TextRecord], tuple[str, ...]],
    folder: Path,
    *,
    run_size: int = 2000,
) -> Iterator[TextRecord]:
    """``records`` in the order of ``key``, holding at most ``run_size`` of them in memory.

    An external merge sort: runs of ``run_size`` records are sorted and written to
    gzip files in ``folder``, then merged (``heapq.merge``). The runs are removed
    once the iterator is exhausted or closed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    runs: list[Path] = []
    source = iter(records)
    try:
        while batch := list(itertools.islice(source, run_size)):
            run = folder / f"run-{len(runs):05d}.jsonl.gz"
            with TextRecordWriter(run) as writer:
                for record in sorted(batch, key=key):
                    writer.write(record)
            runs.append(run)
        with contextlib.ExitStack() as stack:
            streams = [read_text_records(stack.enter_context(open(run, "rb"))) for run in runs]
            yield from heapq.merge(*streams, key=key)
    finally:
        for run in runs:
            run.unlink(missing_ok=True)
