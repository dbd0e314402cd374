"""CDXJ index of a crawl's WARC files, as pywb and OpenWayback read it.

The indexing itself is cdxj_indexer's (the library pywb uses): SURT keys,
timestamps, the default JSON fields, POST/PUT request bodies appended to the key,
and a global sort across all files. This module only feeds it named streams and
collects its text output into a binary stream.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from contextlib import closing
from pathlib import Path
from typing import BinaryIO

from cdxj_indexer.main import CDXJIndexer, SortingWriter

from newstrail.errors import StoreError

__all__ = ["write_cdxj", "write_cdxj_streams"]


class _Utf8Sink:
    """The text file cdxj_indexer writes to, encoding into a binary stream."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.lines = 0

    def write(self, text: str) -> int:
        self.out.write(text.encode("utf-8"))
        self.lines += text.count("\n")
        return len(text)

    def flush(self) -> None:
        self.out.flush()


def _check_name(name: str) -> str:
    if not name or "/" in name or "\\" in name or name.endswith(".open"):
        raise ValueError(f"not the name of a finished WARC file: {name!r}")
    return name


def write_cdxj_streams(warcs: Iterable[tuple[str, BinaryIO]], out: BinaryIO) -> int:
    """Index ``(filename, stream)`` WARC files into ``out`` as sorted CDXJ lines.

    ``filename`` becomes each line's ``filename`` field: the WARC file's name as
    stored in the crawl's ``warc/`` folder, which is what a replay tool resolves
    against that folder. Streams need not be seekable (a store's read stream
    will do). Returns the number of lines written.
    """
    sink = _Utf8Sink(out)
    # One sorter for all files: the index is sorted as a whole, not per file.
    sorter = SortingWriter(sink)
    for name, stream in warcs:
        indexer = CDXJIndexer(
            sorter,
            [stream],
            filename=_check_name(name),
            post_append=True,
            sort=False,
        )
        indexer.process_all()
    sorter.flush()
    return sink.lines


def write_cdxj(warc_files: Iterable[Path], out: BinaryIO) -> int:
    """Index local, finished WARC files into ``out``; each is named by its file name."""

    def named_streams() -> Generator[tuple[str, BinaryIO], None, None]:
        for path in map(Path, warc_files):
            # One open at a time: a crawl can have more files than open-file slots.
            try:
                fh = open(path, "rb")  # noqa: SIM115 - closed by the with below
            except OSError as exc:
                raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
            with fh:
                yield path.name, fh

    with closing(named_streams()) as streams:
        return write_cdxj_streams(streams, out)
