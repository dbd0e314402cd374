"""Text records from archived WARC files, as ``newstrail extract`` gives them.

Files come from anywhere, so they are read as untrusted: a payload is decoded
only up to a cap (a decompression bomb is archived as sent and must not expand
here), a file cut short gives the records before the cut, and a corrupt one is
named with its offset and bytes shown as a literal, never echoed raw.

Each page is analysed as a crawl analyses it, with the same limits: the same
analysis (:func:`newstrail.pagework.analyse_page`, which reads at most
``ExtractionConfig.max_html_bytes`` of HTML and skips the second opinions where
their cost explodes) in worker processes, each page within a time limit past
which its worker is replaced and the page is left out and counted, as in a crawl.
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator

from newstrail.articles import WarcPointer, article_record, memento_canonical_url
from newstrail.errors import NewstrailError
from newstrail.extract import looks_like_html
from newstrail.extract_pool import DEFAULT_TIMEOUT, ExtractionPool, ExtractionTimeout, Task
from newstrail.pagework import PageWork, analyse_page
from newstrail.records import TextRecord
from newstrail.relevance import Relevance, RelevanceModel
from newstrail.storage._payload import MAX_DECODED_BYTES, DecodedPayload, read_payload, show_bytes

__all__ = ["ExtractReport", "records_from_warcs"]

#: A metadata record is a few lines of fields; more than this is not one of ours.
_MAX_METADATA_BYTES = 1024 * 1024
#: Bytes of a damaged record read to tell what is wrong with it.
_DAMAGE_PEEK = 4 * 1024 * 1024
_CHUNK = 64 * 1024


Fields = dict[str, list[str]]


#: Pages in the workers' hands or waiting for them at once, per worker.
_IN_FLIGHT_PER_WORKER = 2


@dataclass
class ExtractReport:
    """What :func:`records_from_warcs` met besides articles, for the caller to tell.

    ``problems`` has one line per file that could not be read to its end (cut
    short or corrupt): the records before that point were read. ``truncated``
    counts pages extracted from their first bytes only (``html-truncated`` in
    their records: over the HTML cap, or over the decoding cap); ``timed_out``
    and ``failed`` list the URLs of pages whose analysis ran past the time limit
    or whose worker died (no record, as in a crawl); ``undecodable`` counts
    payloads whose content coding failed to decode (extracted from what decoded
    before the failure, if any).
    """

    problems: dict[Path, str] = field(default_factory=dict)
    truncated: int = 0
    timed_out: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    undecodable: int = 0

    def problem(self, path: Path, message: str) -> None:
        # Files are read twice (metadata first); a file's first problem is the one told.
        self.problems.setdefault(path, f"{path}: {message}")


@dataclass
class _Page:
    """An HTML response record on its way through the extraction pool."""

    path: Path
    offset: int
    url: str
    record_id: str
    fetched_at: str
    status: int
    complete: bool
    work: Future[PageWork]


def _complete_records(
    path: Path,
    report: ExtractReport,
    wanted: Callable[[Any], int],
) -> Iterator[tuple[Any, int, DecodedPayload | None]]:
    """``(record, offset, payload)`` for each record of ``path`` that is whole.

    ``wanted(record)`` says how many decoded payload bytes to read (0: none); the
    payload is read before the record's end is checked, so a record cut short is
    never handed out. Reading stops at the first record cut short or unreadable,
    with a line in ``report``.
    """
    fh = _open(path)
    with fh:
        size = path.stat().st_size
        iterator = ArchiveIterator(fh)
        try:
            for record in iterator:
                offset = iterator.offset  # where this record starts
                cap = wanted(record)
                payload = read_payload(record, cap) if cap else None
                iterator.read_to_end()
                if _cut_short(iterator, record):
                    report.problem(path, f"cut short in the record at offset {offset}")
                    return
                yield record, offset, payload
            # A member cut before its first line ends the iteration without an error.
            if iterator.offset < size:
                report.problem(path, f"cut short in the record at offset {iterator.offset}")
        except Exception as exc:  # warcio raises bare Exceptions on malformed input
            if isinstance(exc, NewstrailError):
                raise
            # The offset of the record being read when it failed: warcio moves it on
            # to the next record once one has been read to its end.
            report.problem(path, _damage(path, iterator.offset))


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise NewstrailError(f"{path}: no such file") from None
    except OSError as exc:
        raise NewstrailError(f"{path}: cannot read: {exc.strerror}") from None


def _cut_short(iterator: Any, record: Any) -> bool:
    """Whether the record just read ended before its Content-Length or its gzip member did."""
    if getattr(record.raw_stream, "limit", 0) > 0:
        return True
    decompressor = iterator.reader.decompressor if iterator.reader is not None else None
    return decompressor is not None and not getattr(decompressor, "eof", True)


def _damage(path: Path, offset: int) -> str:
    """What is wrong with the record at ``offset``, with its first bytes as a literal.

    A gzip member that ends before its end of stream was cut short (the usual
    damage: a copy or a download interrupted); anything else is not a record.
    """
    with path.open("rb") as fh:
        fh.seek(offset)
        head = fh.read(_DAMAGE_PEEK)
    if head[:2] != b"\x1f\x8b":
        return f"no valid WARC record at offset {offset}, it starts {show_bytes(head)}"
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        start = decompressor.decompress(head, 40)
        # Whether the member ends: decoded only so far, as the file may hold anything.
        decoded = len(start)
        while not decompressor.eof and decompressor.unconsumed_tail and decoded < _DAMAGE_PEEK:
            decoded += len(decompressor.decompress(decompressor.unconsumed_tail, _CHUNK))
    except zlib.error:
        return f"no valid gzip member at offset {offset}, it starts {show_bytes(head)}"
    if not decompressor.eof and len(head) < _DAMAGE_PEEK:
        return f"cut short in the record at offset {offset}"
    return f"no valid WARC record at offset {offset}, it starts {show_bytes(start)}"


def _crawl_metadata(path: Path, report: ExtractReport) -> dict[str, Fields]:
    """The crawl's metadata records (why fetched, relevance), by response record id."""
    found: dict[str, Fields] = {}

    def wanted(record: Any) -> int:
        if record.rec_type != "metadata":
            return 0
        return _MAX_METADATA_BYTES if record.rec_headers.get_header("WARC-Concurrent-To") else 0

    for record, _offset, payload in _complete_records(path, report, wanted):
        if payload is None:
            continue
        target = record.rec_headers.get_header("WARC-Concurrent-To")
        fields: Fields = {}
        for line in payload.body.decode("utf-8", "replace").splitlines():
            name, sep, value = line.partition(":")
            if sep:
                fields.setdefault(name.strip(), []).append(value.strip())
        found[target] = fields
    return found


def _one(fields: Fields, name: str, default: str | None = None) -> str | None:
    values = fields.get(name)
    return values[0] if values else default


def _relevance(fields: Fields) -> Relevance:
    score = _one(fields, "relevance")
    if score is None:
        return Relevance(0.0, False, (), 0.0)
    return Relevance(
        score=float(score),
        related=_one(fields, "related") == "true",
        matched_terms=tuple((_one(fields, "matched-terms") or "").split()),
        threshold=float(_one(fields, "relevance-threshold") or 0),
        passages=tuple(fields.get("matched-passage", [])),
        reason=_one(fields, "not-related-because"),
    )


def _provenance(fields: Fields) -> dict[str, object]:
    """The record fields the crawl added from its provenance, read back from metadata."""
    if "via-channel" not in fields:
        return {}
    return {
        "story_id": _one(fields, "story-id"),
        "duplicate_of": _one(fields, "duplicate-of"),
        "not_related_reason": _one(fields, "not-related-because"),
        "channel": _one(fields, "via-channel"),
        "hop": int(_one(fields, "hop") or 0),
        "parent": _one(fields, "parent"),
        "seed": _one(fields, "seed"),
        "chain": fields.get("chain", []),
    }


def records_from_warcs(
    paths: Sequence[Path],
    model: RelevanceModel | None = None,
    *,
    report: ExtractReport | None = None,
    max_bytes: int = MAX_DECODED_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
    workers: int | None = None,
    task: Task = analyse_page,
) -> Iterator[TextRecord]:
    """One text record per HTML response record with article text in the WARC files.

    Relevance comes from ``model`` when given, otherwise from the crawl's own
    metadata records (a response without one scores 0 and is not related);
    provenance (channel, hop, parent, seed) always from those records. A page's
    metadata record may sit in a later file than its response (files roll over
    while pages are processed), so all files are read for metadata first.

    A payload is decoded (gzip, deflate, br, zstd) up to ``max_bytes``: a longer
    page is extracted from what decoded (a decompression bomb decodes no
    further), and its record says ``html-truncated``. Pages are analysed in
    ``workers`` processes (default: one per CPU), each within ``timeout``
    seconds; ``task`` replaces the analysis (tests). Records come in file order.
    A file that is cut short or corrupt gives the records before the damage;
    ``report`` (when given) says which files, and counts the limits met. A file
    that cannot be opened raises :class:`NewstrailError` before any record is
    given.
    """
    report = report if report is not None else ExtractReport()
    metadata: dict[str, Fields] = {}
    for path in paths:
        metadata.update(_crawl_metadata(path, report))
    # The workers start with the first page, so a WARC without HTML costs nothing.
    pool = ExtractionPool(workers, timeout=timeout, task=task)
    window = pool.workers * _IN_FLIGHT_PER_WORKER
    pending: deque[_Page] = deque()
    try:
        for path in paths:
            for page in _pages(path, report, max_bytes, pool):
                pending.append(page)
                if len(pending) >= window:
                    record = _record(pending.popleft(), metadata, model, report)
                    if record is not None:
                        yield record
        while pending:
            record = _record(pending.popleft(), metadata, model, report)
            if record is not None:
                yield record
    finally:
        pool.close(cancel_pending=True)


def _pages(
    path: Path, report: ExtractReport, max_bytes: int, pool: ExtractionPool
) -> Iterator[_Page]:
    """Each whole HTML response record of ``path``, handed to the pool."""

    def wanted(record: Any) -> int:
        if record.rec_type != "response" or record.http_headers is None:
            return 0
        status = int(record.http_headers.get_statuscode() or 0)
        return max_bytes if 200 <= status < 300 else 0

    for record, offset, payload in _complete_records(path, report, wanted):
        if payload is None:
            continue
        if payload.error is not None:
            report.undecodable += 1
            if not payload.body:
                continue
        content_type = record.http_headers.get_header("Content-Type")
        if not looks_like_html(content_type, payload.body[:2048]):
            continue
        url = record.rec_headers.get_header("WARC-Target-URI")
        work = pool.submit(payload.body, url, content_type=content_type)
        yield _Page(
            path=path,
            offset=offset,
            url=url,
            record_id=record.rec_headers.get_header("WARC-Record-ID"),
            fetched_at=record.rec_headers.get_header("WARC-Date") or "",
            status=int(record.http_headers.get_statuscode() or 0),
            complete=payload.complete,
            work=work,
        )


def _record(
    page: _Page,
    metadata: dict[str, Fields],
    model: RelevanceModel | None,
    report: ExtractReport,
) -> TextRecord | None:
    try:
        work = page.work.result()
    except ExtractionTimeout:
        report.timed_out.append(page.url)
        return None
    except Exception:  # a worker that died, or an analysis that failed
        report.failed.append(page.url)
        return None
    article = work.article
    if article is None:
        return None
    limits = list(work.limits)
    if not page.complete and "html-truncated" not in limits:
        limits.append("html-truncated")
    if "html-truncated" in limits:
        report.truncated += 1
    fields = metadata.get(page.record_id, {})
    if model is not None:
        relevance = model.score(article.text, article.title, article.date)
    else:
        relevance = _relevance(fields)
    text_record = article_record(
        url=page.url,
        article=article,
        relevance=relevance,
        warc=WarcPointer(page.path.name, page.offset, page.record_id),
        fetched_at=page.fetched_at,
        status=page.status,
    )
    text_record.limits = limits
    text_record.extra.update(_provenance(fields))
    original = _one(fields, "memento-original-url")
    if original:
        # A memento (a page the live web had lost, fetched from a web archive).
        text_record.source = "archive"
        text_record.original_url = original
        text_record.memento_url = page.url
        text_record.memento_datetime = _one(fields, "memento-datetime")
        text_record.canonical_url = memento_canonical_url(original, page.url, article)
    archive = _one(fields, "memento-archive") or _one(fields, "via-archive")
    if archive:
        text_record.extra["archive"] = archive
    return text_record
