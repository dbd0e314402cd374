"""The WARC archiver: every network response the crawler receives, exactly as it came.

It listens to ``response_downloaded``, which fires once per network response
before any downloader middleware has decompressed, redirected or retried it, so
redirects, error pages, retries and robots.txt are all archived. It is an
extension, not a middleware, because it only observes.
"""

from __future__ import annotations

import contextlib
import http
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.core.engine import ExecutionEngine
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

from newstrail import __version__
from newstrail.articles import WarcPointer
from newstrail.config import CrawlConfig
from newstrail.errors import StoreError
from newstrail.spiders.context import crawl_context
from newstrail.spiders.handler import SENT_META, WIRE_META, WireBytes, truncation
from newstrail.spiders.items import PageItem
from newstrail.storage import open_store
from newstrail.storage.captures import CAPTURES_NAME, Capture, CaptureLog, payload_digest
from newstrail.storage.cdxj import merge_cdxj_files, write_cdxj
from newstrail.storage.staging import CrawlOutputs
from newstrail.storage.warc import ExchangeRefs, RollingWarcWriter, warc_date
from newstrail.urls import canonical_url

__all__ = ["REVISIT_META", "WARC_META", "WarcArchiver"]

logger = logging.getLogger(__name__)

# request.meta key under which the archiver leaves (WarcPointer, fetch time) for the spider.
WARC_META = "newstrail_warc"
# request.meta key set when the response was archived as a revisit of an earlier capture.
REVISIT_META = "newstrail_revisit"
# request.meta key: a 304's status line and headers as received (its revisit has none).
NOT_MODIFIED_META = "newstrail_not_modified"


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


def stop_on_write_error(
    crawler: Crawler, exc: BaseException, folder: Path, *, close: bool = True
) -> None:
    """Stop the crawl because a record could not be written, keeping the first reason.

    Scrapy's signal dispatch and item processing log and swallow a component's
    exception, so a record that cannot be written would vanish while the crawl
    goes on: fetching stops instead, and ``run_crawl`` turns the reason kept in
    the ``newstrail/store_error`` stat into the crawl's error. ``close=False``
    when the crawl is closing already.
    """
    assert crawler.stats is not None
    if crawler.stats.get_value("newstrail/store_error") is not None:
        return
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    where = getattr(exc, "filename", None) or folder
    message = reason if isinstance(exc, StoreError) else f"cannot write {where}: {reason}"
    crawler.stats.set_value("newstrail/store_error", message)
    logger.error("stopping the crawl: %s", message)
    if close and crawler.engine is not None:
        deferred_from_coro(_close_spider(crawler.engine))


async def _close_spider(engine: ExecutionEngine) -> None:
    # The crawl may be closing by the time this runs (a file stored as it closes).
    with contextlib.suppress(RuntimeError):
        await engine.close_spider_async(reason="store_error")


def write_failed(crawler: Crawler) -> bool:
    """Whether the crawl is stopping because something could not be written."""
    assert crawler.stats is not None
    return crawler.stats.get_value("newstrail/store_error") is not None


def _head_lines(head: bytes) -> list[str]:
    """A response head's lines as WARC field values: bytes outside printable ASCII
    (and ``%``) written ``%XX``, so that the exact bytes can be read back."""
    lines = []
    for line in head.splitlines():
        if line:
            lines.append(
                "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x25 else f"%{b:02X}" for b in line)
            )
    return lines


class WarcArchiver:
    """Write request, response and metadata records; store each WARC file as it is finished."""

    def __init__(self, crawler: Crawler, config: CrawlConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.workdir = config.crawl_workdir
        self.outputs = CrawlOutputs(
            open_store(config.store), config.collection, config.crawl_id, self.workdir
        )
        self.index_dir = self.workdir / "index"
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self.writer = RollingWarcWriter(
            self.workdir / "warc",
            prefix=config.worker_file(f"newstrail-{config.collection}-{config.crawl_id}"),
            max_size=config.warc_max_size,
            warcinfo=self._warcinfo(),
            on_close=self._file_finished,
            # Each finished file's index, made as its records are written.
            index_dir=self.index_dir,
        )
        self._storing: Deferred[None] | None = None
        self.captures = CaptureLog(self.index_dir / config.worker_file(CAPTURES_NAME))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchiver:
        archiver = cls(crawler, crawler.settings["NEWSTRAIL_CONFIG"])
        crawler.signals.connect(archiver.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(archiver.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(archiver.spider_closed, signal=signals.spider_closed)
        return archiver

    def _warcinfo(self) -> dict[str, str]:
        import json

        return {
            "software": f"newstrail/{__version__} (Scrapy)",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": f"{self.config.collection}/{self.config.crawl_id}",
            "http-header-user-agent": self.config.user_agent,
            "robots": "obey" if self.config.obey_robots else "ignore",
            "description": f"newstrail crawl of seed set {self.config.seeds.name}",
            "newstrail-settings": json.dumps(self.config.settings_summary(), sort_keys=True),
        }

    def _file_finished(self, path: Path) -> None:
        # Indexing and storing a finished file take long enough to hold up the
        # reactor, whose timers pace requests to each host: they run in a thread,
        # one file after another, and the crawl waits for them when it closes.
        if self._storing is None:
            self._storing = self._store_later(path)
        else:
            self._storing.addCallback(lambda _: self._store_later(path))

    def _store_later(self, path: Path) -> Deferred[None]:
        storing: Deferred[None] = deferToThread(self._store_finished, path)
        storing.addErrback(self._store_failed)
        return storing

    def _store_failed(self, failure: Failure) -> Failure | None:
        # On the reactor thread. The file stays in the staging folder: --resume stores it.
        exc = failure.value
        if isinstance(exc, OSError | StoreError):
            self._fail(exc)
            return None
        return failure

    def _store_finished(self, path: Path) -> None:
        # Index the file while it is still local, then store it: the store is the
        # archive, the staging folder only ever holds what is not yet stored. The
        # writer has made the index of most files as it wrote them (not of a file
        # with a POST, or whose lines it could not keep): the others are read back.
        part = self.index_dir / (path.name + ".cdxj")
        if not part.exists():
            try:
                with part.open("wb") as out:
                    write_cdxj([path], out)
            except BaseException:
                # No index part cut short: --resume indexes a file that has none.
                part.unlink(missing_ok=True)
                raise
        # Hashed as it was written: the upload need not read it twice.
        self.outputs.store_file(path, "warc", sha256=self.writer.sha256(path))
        logger.info("stored %s", path.name)

    def _fail(self, exc: BaseException, *, close: bool = True) -> None:
        stop_on_write_error(self.crawler, exc, self.workdir, close=close)

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        """Archive one exchange; on a write failure, stop the crawl instead of losing it."""
        try:
            self._archive(response, request, spider)
        except (OSError, StoreError) as exc:
            # No WARC pointer in meta, so no text record points at a missing record.
            request.meta.pop(WARC_META, None)
            self._fail(exc)

    def _archive(self, response: Response, request: Request, spider: Spider) -> None:
        # Both records are dated when the request went out (WARC 1.1: when capture
        # began), to the microsecond.
        sent = request.meta.get(SENT_META)
        now = sent if isinstance(sent, datetime) else datetime.now(UTC)
        when = warc_date(now)
        parsed = urlparse_cached(request)
        req_headers = _header_pairs(request.headers)
        if not any(name.lower() == "host" for name, _ in req_headers):
            req_headers.insert(0, ("Host", parsed.netloc))
        try:
            reason = http.HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        ip = str(response.ip_address) if response.ip_address is not None else None
        headers = _header_pairs(response.headers)
        canonical = canonical_url(request.url)
        context = crawl_context(self.crawler)
        prior = context.prior.get(canonical) if context is not None else None
        # The payload's digest decides a revisit only against an earlier capture;
        # otherwise the writer's, computed as it writes the record, is the one kept.
        digest = (
            payload_digest(response.body) if prior is not None and response.status != 304 else ""
        )
        common: dict[str, Any] = {
            "method": request.method,
            "request_headers": req_headers,
            "request_body": request.body,
            "status": response.status,
            "reason": reason,
            "protocol": response.protocol or "HTTP/1.1",
            "ip": ip,
            "date": now,
        }
        revisit = prior is not None and (
            response.status == 304 or (200 <= response.status < 300 and digest == prior.digest)
        )
        write: Callable[..., ExchangeRefs]
        if prior is not None and revisit:
            # The same payload as an earlier capture: a revisit record, not a second copy.
            write = partial(
                self.writer.write_revisit_exchange,
                request.url,
                refers_to_record_id=prior.record_id,
                refers_to_uri=prior.url,
                refers_to_date=prior.date,
                payload_digest=prior.digest,
                headers=headers,
                **common,
            )
        else:
            write = partial(
                self.writer.write_exchange,
                request.url,
                response_headers=headers,
                response_body=response.body,
                # Stopped at a size limit, cut short by the server, or timed out.
                truncated=truncation(response.flags),
                **common,
            )
        wire = request.meta.get(WIRE_META)
        try:
            # The request and the response's head as they went over the wire.
            _, ref = write(
                wire_request=wire.request if isinstance(wire, WireBytes) else None,
                wire_response_head=wire.response_head if isinstance(wire, WireBytes) else None,
            )
        except ValueError as exc:
            # Bytes no WARC reader could take as a request or status line: the heads
            # are built from what Scrapy parsed, and the case counted.
            logger.warning("%s: archived with rebuilt heads: %s", request.url, exc)
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newstrail/wire_heads_rebuilt")
            _, ref = write()
        assert self.crawler.stats is not None
        if prior is not None and revisit:
            request.meta[REVISIT_META] = prior.record_id
            kind, digest = "revisit", prior.digest
            self.crawler.stats.inc_value("newstrail/warc_revisits")
            if response.status == 304 and isinstance(wire, WireBytes) and wire.response_head:
                # The revisit's block is empty (see write_revisit_exchange): the 304's
                # own head goes into the page's metadata record.
                request.meta[NOT_MODIFIED_META] = wire.response_head
        else:
            request.meta.pop(REVISIT_META, None)
            kind = "response"
            if response.status != 304:
                digest = ref.payload_digest or ""
            self.crawler.stats.inc_value("newstrail/warc_responses")
        self.captures.write(
            Capture(
                url=request.url,
                canonical_url=canonical,
                kind=kind,
                date=when,
                status=response.status,
                mime=(response.headers.get(b"Content-Type") or b"").decode("latin-1"),
                digest=digest,
                record_id=ref.record_id,
                filename=ref.filename,
                offset=ref.offset,
                etag=_header(response, b"ETag"),
                last_modified=_header(response, b"Last-Modified"),
                refers_to=prior.record_id if kind == "revisit" and prior else None,
            )
        )
        # fetched_at is the record's WARC-Date, so re-extraction gives the same value.
        request.meta[WARC_META] = (WarcPointer(ref.filename, ref.offset, ref.record_id), when)

    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        if not isinstance(item, PageItem) or item.warc is None:
            return
        fields = item.metadata_fields()
        head = response.meta.get(NOT_MODIFIED_META)
        if isinstance(head, bytes):
            fields.extend(("not-modified-response", line) for line in _head_lines(head))
        try:
            self.writer.write_metadata(item.url, fields, concurrent_to=item.warc.record_id)
        except (OSError, StoreError) as exc:
            self._fail(exc)
            return

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        """Finish the WARC file, wait for the files being stored, store the index.

        After a write failure the staging folder is left as a killed crawl leaves
        it (``newstrail crawl --resume`` indexes and stores what it holds), and a
        failure while closing is the crawl's error, not a traceback.
        """
        try:
            self.writer.close()
        except (OSError, StoreError) as exc:
            self._fail(exc, close=False)
        if self._storing is not None:
            # Failures while storing are the crawl's error already (_store_failed).
            await maybe_deferred_to_future(self._storing)
        try:
            self.captures.close()
        except (OSError, StoreError) as exc:
            self._fail(exc, close=False)
        if write_failed(self.crawler):
            return
        try:
            self._store_index()
        except (OSError, StoreError) as exc:
            self._fail(exc, close=False)

    def _store_index(self) -> None:
        self.outputs.store_file(self.captures.path, "index")
        parts = sorted(self.index_dir.glob("*.cdxj"))
        if parts:
            merged = self.workdir / self.config.worker_file("index.cdxj")
            merge_cdxj_files(parts, merged)
            self.outputs.store_file(merged, "index")
            for part in parts:
                part.unlink()
