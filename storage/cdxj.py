"""CDXJ index of a crawl's WARC files, as pywb and OpenWayback read it.

The indexing itself is cdxj_indexer's (the library pywb uses): SURT keys,
timestamps, the default JSON fields, POST/PUT request bodies appended to the key,
and a global sort across all files. This module only feeds it named streams and
collects its text output into a binary stream.

cdxj_indexer reads every record's decoded payload into a temporary file before
indexing it (``buffer_record_content`` in its ``buffering_record_iter``, which
runs whenever POST bodies are appended to keys). No index field needs a
response's payload (the digest is the ``WARC-Payload-Digest`` header), but a
decompression bomb archived as sent would be expanded there, to disk, whole.
:class:`_Indexer` pairs records the same way with cdxj_indexer's own helpers and
reads only what the key needs: the body of a POST or PUT request.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import json
import re
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, BinaryIO

import surt
from cdxj_indexer.bufferiter import buffer_record_content, concur_req_resp, join_req_resp
from cdxj_indexer.main import CDXJIndexer, SortingWriter
from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParser
from warcio.timeutils import iso_date_to_timestamp

from newstrail.errors import NewstrailError, StoreError
from newstrail.storage._payload import patch_warcio_brotli, show_text

__all__ = [
    "BODY_METHODS",
    "cdxj_line",
    "merge_cdxj",
    "merge_cdxj_files",
    "sort_cdxj_lines",
    "write_cdxj",
    "write_cdxj_streams",
]

# The index never decodes through warcio, but whoever reads the files it indexes
# with warcio in this process (checks, tests) needs a working brotli decoder.
patch_warcio_brotli()


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


#: Request methods whose body cdxj_indexer appends to the key (``post_append``).
BODY_METHODS = frozenset({"POST", "PUT"})


def _buffer_request_body(record: Any) -> None:
    """Give ``record`` the ``buffered_stream`` cdxj_indexer reads a request body from.

    Only a POST or PUT request's body is read (as cdxj_indexer does, decoded);
    every other record gets an empty one, and its payload is never decoded.
    """
    method = record.http_headers.protocol if record.http_headers is not None else ""
    if record.rec_type == "request" and str(method).upper() in BODY_METHODS:
        buffer_record_content(record)
    else:
        record.buffered_stream = io.BytesIO()


def _paired_records(records: Any, url_key: Any) -> Iterator[Any]:
    """cdxj_indexer's ``buffering_record_iter`` (post_append, no record digests),
    without decoding payloads: the same records, offsets, lengths and keys."""
    previous = None
    for record in records:
        _buffer_request_body(record)
        record.file_offset = records.get_record_offset()
        record.file_length = records.get_record_length()
        request, response = concur_req_resp(previous, record)
        if not request or not response:
            if previous:
                yield from _done(previous)
            previous = record
            continue
        join_req_resp(request, response, True, url_key)
        yield from _done(previous)
        yield from _done(record)
        previous = None
    if previous:
        yield from _done(previous)


def _done(record: Any) -> Iterator[Any]:
    """Yield ``record``, then close its buffered body (a request body may be a temp file)."""
    try:
        yield record
    finally:
        record.buffered_stream.close()


class _Indexer(CDXJIndexer):  # type: ignore[misc]  # cdxj_indexer ships no type hints
    """cdxj_indexer's indexer, reading records through :func:`_paired_records`."""

    def process_one(self, input_: Any, output: Any, filename: Any) -> None:
        self.curr_filename = self.force_filename or self._resolve_rel_path(filename)
        records = self._create_record_iter(input_)
        self._write_header(output, filename)
        for record in _paired_records(records, self.get_url_key):
            if not self.include_records or self.filter_record(record):
                self.process_index_entry(records, record, filename, output)


def _check_name(name: str) -> str:
    if not name or "/" in name or "\\" in name or name.endswith(".open"):
        raise ValueError(f"not the name of a finished WARC file: {name!r}")
    return name


def write_cdxj_streams(warcs: Iterable[tuple[str, BinaryIO]], out: BinaryIO) -> int:
    """Index ``(filename, stream)`` WARC files into ``out`` as sorted CDXJ lines.

    ``filename`` becomes each line's ``filename`` field: the WARC file's name as
    stored in the crawl's ``warc/`` folder, which is what a replay tool resolves
    against that folder. Streams need not be seekable (a store's read stream
    will do). Returns the number of lines written. A file that is not a valid
    WARC raises :class:`StoreError`, its unparsable bytes shown as a literal.
    """
    sink = _Utf8Sink(out)
    # One sorter for all files: the index is sorted as a whole, not per file.
    sorter = SortingWriter(sink)
    for name, stream in warcs:
        indexer = _Indexer(
            sorter,
            [stream],
            filename=_check_name(name),
            post_append=True,
            sort=False,
        )
        try:
            indexer.process_all()
        except (OSError, NewstrailError):
            raise
        except Exception as exc:  # warcio raises bare Exceptions on malformed input
            # Its messages quote the bytes it could not parse: never print those raw.
            reason = show_text(f"{type(exc).__name__}: {exc}")
            raise StoreError(f"{name}: not a readable WARC file ({reason})") from None
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


def merge_cdxj(indexes: Iterable[Iterable[bytes]], out: BinaryIO) -> int:
    """Merge sorted CDXJ indexes (iterables of lines) into ``out``, still sorted.

    CDXJ is sorted by SURT key then timestamp, so indexes made separately (per
    WARC file, per worker) merge line by line (``heapq.merge``): memory holds one
    line of each index, whatever the crawl's size. Returns the lines written.
    """
    lines = 0
    for line in heapq.merge(*indexes):
        out.write(line if line.endswith(b"\n") else line + b"\n")
        lines += 1
    return lines


def merge_cdxj_files(parts: Iterable[Path], out: Path) -> int:
    """Merge sorted CDXJ files into the file ``out`` (see :func:`merge_cdxj`)."""
    with contextlib.ExitStack() as stack:
        sources = [stack.enter_context(open(part, "rb")) for part in parts]
        with open(out, "wb") as sink:
            return merge_cdxj(sources, sink)


#: An HTTP head parsed as warcio's record loader parses a response's (no verification).
_HTTP_HEAD = StatusAndHeadersParser(ArcWarcRecordLoader.HTTP_TYPES, verify=False)
_MIME_END = re.compile(r"[;\s]")


def cdxj_line(
    url: str,
    date: str,
    record_type: str,
    http_head: bytes,
    payload_digest: str | None,
    length: int,
    offset: int,
    filename: str,
) -> str:
    """The CDXJ line cdxj_indexer writes for a ``response`` or ``revisit`` record of a
    GET: made by whoever writes the record, from what it writes, so that a WARC file
    need not be read back to be indexed.

    ``date`` is the record's ``WARC-Date``, ``http_head`` its block's HTTP head as
    written (empty for a revisit without one), ``length`` and ``offset`` its gzip
    member's. The fields, their order and their values are cdxj_indexer's default
    ones (``url``, ``mime``, ``status``, ``digest``, ``length``, ``offset``,
    ``filename``; the SURT key; the timestamp to the second); a POST or PUT, whose
    body goes into the key, is left to :func:`write_cdxj`.
    """
    index: dict[str, str] = {"url": url}
    http = _HTTP_HEAD.parse(io.BytesIO(http_head)) if http_head else None
    if record_type == "revisit":
        index["mime"] = "warc/revisit"
    elif http is not None:
        mime = http.get_header("content-type")
        if mime is not None:
            index["mime"] = _MIME_END.split(mime, 1)[0].strip() if mime else mime
    if http is not None:
        index["status"] = http.get_statuscode()
    if payload_digest is not None:
        index["digest"] = payload_digest
    index.update(length=str(length), offset=str(offset), filename=filename)
    try:
        key = surt.surt(url)
    except Exception:  # cdxj_indexer's fallback: the URL itself
        key = url
    return f"{key} {iso_date_to_timestamp(date)} {json.dumps(index)}\n"


def sort_cdxj_lines(lines: Iterable[str], out: BinaryIO, *, run_size: int | None = None) -> int:
    """Write CDXJ ``lines`` into ``out`` sorted as cdxj_indexer sorts an index: as
    strings, runs of at most ``run_size`` characters (its default, 32 MB) sorted in
    memory and merged from temporary files, so a file of a million small records
    costs no more memory than one of a few. Returns the number of lines written."""
    sink = _Utf8Sink(out)
    sorter = SortingWriter(sink, run_size)
    for line in lines:
        sorter.write(line)
    sorter.flush()
    return sink.lines
