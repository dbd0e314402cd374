"""Downloader middlewares: refuse non-public addresses, keep to the page budget."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as ScrapyMetaRefresh
from scrapy.dupefilters import BaseDupeFilter
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import HtmlResponse, Response, TextResponse

from newstrail.config import CrawlConfig
from newstrail.extract import looks_like_html
from newstrail.netguard import AddressPolicy
from newstrail.spiders.context import crawl_context
from newstrail.spiders.handler import truncation
from newstrail.spiders.resolver import policy_from_settings, request_refusal
from newstrail.urls import canonical_url, host_key

__all__ = [
    "BODY_META",
    "EXTRACT_META",
    "LISTING_META",
    "META_KEY",
    "REQUISITE_META",
    "ROBOTS_MAX_BYTES",
    "AddressGuardMiddleware",
    "BudgetMiddleware",
    "DecompressionMiddleware",
    "MetaRefreshMiddleware",
    "PageBodyMiddleware",
    "RedirectDupeFilter",
    "SizeLimitMiddleware",
    "TrapMiddleware",
]

logger = logging.getLogger(__name__)

# Requests made by the coverage spider carry their crawl context under this key;
# requests without it (robots.txt) are Scrapy's own.
META_KEY = "newstrail"
# A page request the spider will extract is marked with this; the page's body then
# travels under BODY_META, out of the response (see PageBodyMiddleware).
EXTRACT_META = "newstrail_extract"
BODY_META = "newstrail_body"
# Set on feed and sitemap requests: their bodies travel under BODY_META too.
LISTING_META = "newstrail_listing"
#: A memento's request (spiders/past.py): original URL, memento datetime, archive.
MEMENTO_META = "newstrail_memento"
#: An archive's CDX request (spiders/past.py): an ArchiveLookup.
ARCHIVE_META = "newstrail_archive"
# Set on page requisites (images, stylesheets, scripts...): how far from the page
# (0: the page's own, 1: a stylesheet's). Archived, never extracted or followed.
REQUISITE_META = "newstrail_requisite"
# RFC 9309 (2.5): crawlers must parse at least 500 KiB of a robots.txt, and may
# ignore what follows.
ROBOTS_MAX_BYTES = 500 * 1024
# request.meta key: (bytes read so far, the transfer's limit).
_READ = "newstrail_bytes_read"


class StartRequestsMiddleware:
    """Scrapy's StartSpiderMiddleware for the start requests only: it marks them
    ``is_start_request`` (which Scrapy's priority queues read), and, unlike Scrapy's,
    adds no step to every callback's outputs, where it does nothing."""

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item_or_request in start:
            if isinstance(item_or_request, Request):
                item_or_request.meta.setdefault("is_start_request", True)
            yield item_or_request


class AddressGuardMiddleware:
    """Refuse a request whose host is a non-global IP literal, unless allowed.

    Host names are checked where the connection gets its addresses, by the
    crawl's DNS resolver (``newstrail.spiders.resolver.PolicyResolver``): the address
    checked is the address connected to, so DNS rebinding cannot slip through.
    An IP literal needs no lookup, so it is refused here, before robots.txt and
    the budget, and is never queued for a connection.
    """

    def __init__(self, crawler: Crawler, policy: AddressPolicy) -> None:
        self.crawler = crawler
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        return cls(crawler, policy_from_settings(crawler.settings))

    def process_request(self, request: Request) -> None:
        reason = request_refusal(self.policy, request)
        if reason:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newstrail/refused_address")
            raise IgnoreRequest(f"refused {request.url}: {reason}")


class TrapMiddleware:
    """Drop queued requests whose URL pattern the spider has since closed as a trap,
    and any request whose URL is over ``URLLENGTH_LIMIT`` characters (Scrapy's
    setting, 2,083 by default; 0 for none)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_url_length = crawler.settings.getint("URLLENGTH_LIMIT")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TrapMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if self.max_url_length and len(request.url) > self.max_url_length:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newstrail/url_too_long_dropped")
            raise IgnoreRequest(f"URL over {self.max_url_length} characters")
        context = crawl_context(self.crawler)
        if context is None or META_KEY not in request.meta:
            return
        # Until a pattern is closed, no URL need be canonicalised (1.7% of the
        # crawler's time on the throughput bench).
        if context.traps.closed_any and not context.traps.allows(canonical_url(request.url)):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newstrail/trap_requests_dropped")
            raise IgnoreRequest("URL pattern closed as a crawler trap")


class BudgetMiddleware:
    """Send at most ``budget`` page requests, seeds included.

    robots.txt requests and retries of a page do not count.
    """

    def __init__(self, crawler: Crawler, budget: int) -> None:
        self.crawler = crawler
        self.budget = budget
        self.sent = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BudgetMiddleware:
        config: CrawlConfig = crawler.settings["NEWSTRAIL_CONFIG"]
        return cls(crawler, config.budget)

    @property
    def exhausted(self) -> bool:
        return self.sent >= self.budget

    def process_request(self, request: Request) -> None:
        if META_KEY not in request.meta or REQUISITE_META in request.meta:
            # robots.txt, and page requisites, which have a budget of their own.
            return
        if request.meta.get("retry_times"):
            # A retry is the same page again, bounded by RETRY_TIMES; counting it
            # would let a failing seed use the budget reserved for seeds not yet sent.
            return
        provenance = request.meta[META_KEY]
        # Seeds (and a re-crawl's known articles) come first, but one may wait on its
        # host's robots.txt, or on Scrapy taking start requests lazily, while pages
        # discovered meanwhile are sent: those may only use the budget that the ones
        # not yet sent leave (the spider admits no more of them than the budget).
        context = crawl_context(self.crawler)
        pending = context.seeds_pending if context is not None else set()
        # A gone page whose archive lookup was sent holds one request back for its
        # memento, so a recovery begun is finished within the budget.
        recoveries = context.recoveries_pending if context is not None else set()
        recovering = _recovering(request)
        recoveries.discard(recovering)
        if getattr(provenance, "channel", None) in ("seed", "known-article"):
            pending.discard(provenance.seed)
            reserved = 0
        else:
            reserved = len(pending) + len(recoveries)
        # A distributed crawl counts its budget across all workers (in Redis).
        shared = context.shared_budget if context is not None else None
        spent = self.sent + reserved >= self.budget if shared is None else not shared.take()
        if spent:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newstrail/over_budget_dropped")
            raise IgnoreRequest("page budget spent")
        self.sent += 1
        if recovering and MEMENTO_META not in request.meta:
            recoveries.add(recovering)  # a lookup sent: its memento's request is held
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("newstrail/pages_requested", self.sent)


def _recovering(request: Request) -> str:
    """The gone page an archive lookup or a memento request is for, else ''."""
    memento = request.meta.get(MEMENTO_META)
    if isinstance(memento, dict):
        return str(memento.get("original_url", ""))
    return str(getattr(request.meta.get(ARCHIVE_META), "original", "") or "")


class RedirectDupeFilter(BaseDupeFilter):
    """Drop a redirect whose target the crawl has already requested.

    The spider filters links on canonical URLs before it makes requests, so
    only requests made by the redirect middleware need checking here, against
    the spider's own set of requested URLs.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__()
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectDupeFilter:
        return cls(crawler)

    def request_seen(self, request: Request) -> bool:
        if "redirect_urls" not in request.meta:
            return False
        context = crawl_context(self.crawler)
        if context is None:
            return False
        key = canonical_url(request.url)
        if key in context.seen:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newstrail/redirect_to_seen")
            return True
        context.seen.add(key)
        return False

    def log(self, request: Request, spider: Spider) -> None:
        logger.debug("redirect to a page already requested: %s", request.url)


class PageBodyMiddleware:
    """Take the body of a page that goes to extraction out of its response.

    Scrapy stops downloading while the responses its scraper holds exceed
    ``SCRAPER_SLOT_MAX_ACTIVE_SIZE`` (5 MB), counting each by its body; the spider
    holds a page's response while the page is extracted in a worker process, so one
    large page would stop the crawl for as long as its extraction takes. The body
    moves to ``request.meta[BODY_META]`` (the spider pops it and hands it to the
    pool) and the spider gets the response with an empty body. Outermost among the
    downloader middlewares, so this runs after decompression and redirects; the
    WARC record was written from the body as downloaded (``response_downloaded``).

    Since Scrapy no longer sees those bodies, this middleware also holds back a
    page's download while the pages waiting for analysis are over their limit
    (``CrawlContext.analysis_room``): a download faster than extraction would
    otherwise queue bodies without end. A request held here counts as one being
    downloaded, so the engine stops taking requests from the scheduler.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageBodyMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        if not request.meta.get(EXTRACT_META):
            return
        context = crawl_context(self.crawler)
        if context is not None and context.analysis_room is not None:
            await context.analysis_room()

    def process_response(self, request: Request, response: Response) -> Response:
        if not 200 <= response.status < 300 or truncation(response.flags) is not None:
            # A body that is not whole is archived, never analysed.
            return response
        if request.meta.get(LISTING_META):
            # A feed or sitemap, read in a thread (a large sitemap takes seconds).
            request.meta[BODY_META] = response.body
            return response.replace(body=b"")
        if not request.meta.get(EXTRACT_META):
            return response
        if not isinstance(response, TextResponse):
            return response
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        if not looks_like_html(content_type, response.body[:2048]):
            return response
        request.meta[BODY_META] = response.body
        return response.replace(body=b"")


class SizeLimitMiddleware:
    """Stop a transfer at its size limit and keep what came.

    A page's limit is ``DOWNLOAD_MAXSIZE``. Scrapy cancels a download past it
    (or refuses one whose headers announce more) and nothing is left; here the
    transfer is stopped once the limit has come (``StopDownload``) and the
    response goes on as far as it came: the archive writes it with
    ``WARC-Truncated: length`` and the spider does not extract it.

    A robots.txt's limit is :data:`ROBOTS_MAX_BYTES`. RFC 9309 lets a crawler stop
    reading a robots.txt at 500 KiB and obey the rules in what it read; cancelling
    the download instead would leave no rules at all, which Scrapy treats as
    allow-all. So it is stopped the same way, whatever size its headers announce,
    and the body is then cut at the last line end within the limit. The cut is
    made between decompression (590) and the robots.txt middleware (100), so a
    compressed robots.txt is cut once inflated; its inflating is bounded by
    ``DOWNLOAD_MAXSIZE`` like any page's.

    A robots.txt also goes through its host's download slot (the spider's pages name
    theirs by ``host_key``; Scrapy's robots.txt request names none, and landed in a
    slot of its own): the host's delay then runs between it and the first page, which
    otherwise followed it at once, sooner than the Crawl-delay the file asks for.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.maxsize: int = crawler.settings.getint("DOWNLOAD_MAXSIZE")

    def process_request(self, request: Request) -> None:
        if self._is_robots(request):
            request.meta.setdefault("download_slot", host_key(request.url))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SizeLimitMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.headers_received, signal=signals.headers_received)
        crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    @staticmethod
    def _is_robots(request: Request) -> bool:
        return META_KEY not in request.meta and request.url.endswith("/robots.txt")

    def headers_received(self, headers: object, body_length: int, request: Request) -> None:
        limit = ROBOTS_MAX_BYTES if self._is_robots(request) else self.maxsize
        if not limit:
            return
        # Read on past an announced size over the limit: bytes_received stops the
        # transfer at the limit instead (Scrapy reads its own after this signal).
        request.meta[_READ] = (0, limit)
        request.meta["download_maxsize"] = 0

    def bytes_received(self, data: bytes, request: Request) -> None:
        read = request.meta.get(_READ)
        if read is None:
            return
        # The transfer's own limit was fixed when it began; decompression reads this one.
        request.meta["download_maxsize"] = self.maxsize
        count, limit = read[0] + len(data), read[1]
        request.meta[_READ] = (count, limit)
        if count > limit:
            del request.meta[_READ]
            if not self._is_robots(request):
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value("newstrail/limit_page_size")
            raise StopDownload(fail=False)

    def process_response(self, request: Request, response: Response) -> Response:
        if not self._is_robots(request):
            return response
        if len(response.body) <= ROBOTS_MAX_BYTES and "download_stopped" not in response.flags:
            return response
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("newstrail/robots_truncated")
        # Cut at the last line end within the limit, so no rule is cut in half.
        body = response.body[:ROBOTS_MAX_BYTES]
        end = body.rfind(b"\n")
        return response.replace(body=body[: end + 1] if end >= 0 else body)


#: Seconds of a Retry-After that are honoured at most (a longer one is an outage).
RETRY_AFTER_MAX = 300.0
_REDIRECTS = {301, 302, 303, 307, 308}


def retry_after(value: bytes | None, now: float) -> float | None:
    """Seconds a ``Retry-After`` value asks for (delay-seconds or an HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - now, 0.0)


class ArchivePacingMiddleware:
    """Two things a live response says that the spider must hear before the redirect
    and retry middlewares act on it.

    A 429 or 503 with ``Retry-After``: the host's slot waits that long (at most
    :data:`RETRY_AFTER_MAX`) before its next request, the retry included; archives
    ask for it when a client goes too fast. A page answered with a redirect to its
    site's home page is a soft 404: the page is gone, and the spider asks the
    archives for it (the redirect is still followed, and archived).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePacingMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status in (429, 503):
            wait = retry_after(response.headers.get(b"Retry-After"), time.time())
            engine = self.crawler.engine
            slot_key = request.meta.get("download_slot")
            slot = engine.downloader.slots.get(slot_key) if engine and slot_key else None
            if wait is not None and slot is not None:
                slot.delay = max(slot.delay, min(wait, RETRY_AFTER_MAX))
                slot.jitter = 0.0  # as long as asked, not a random half of it
                assert self.crawler.stats is not None
                # In the crawl's counts (the spider's prefix), as retry_after_honoured.
                self.crawler.stats.inc_value("coverage/retry_after_honoured")
        elif (
            response.status in _REDIRECTS
            and request.meta.get(EXTRACT_META)
            and MEMENTO_META not in request.meta
        ):
            location = response.headers.get(b"Location")
            if location and _is_home_redirect(request.url, location.decode("latin-1")):
                context = crawl_context(self.crawler)
                provenance = request.meta.get(META_KEY)
                if context is not None and context.soft_not_found is not None:
                    context.soft_not_found(request.url, provenance)
        return response


def _is_home_redirect(url: str, location: str) -> bool:
    source, target = urlsplit(url), urlsplit(urljoin(url, location))
    return (
        source.path not in ("", "/")
        and target.netloc.lower() == source.netloc.lower()
        and target.path in ("", "/")
        and not target.query
    )


class DecompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware, its decoding done off the reactor thread.

    Decoding is bounded (``DOWNLOAD_MAXSIZE`` of output) but not cheap: a
    decompression bomb inflates to the limit before it is given up on, and four of
    them (gzip, deflate, brotli, zstd; a few hundred bytes to 260 kB each, 50 MB
    once inflated) held the reactor, and every host's requests, for 2.4 s in a row.
    The decoding runs in one thread of its own: the reactor goes on fetching, and
    Scrapy's statistics of the decoding are updated from one thread only. A response
    without ``Content-Encoding`` never leaves the reactor thread.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler=crawler)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="decompression")
        crawler.signals.connect(self._close, signal=signals.spider_closed)

    def _close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)

    async def process_response(  # type: ignore[override]  # a coroutine: Scrapy awaits it
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.method == "HEAD" or not response.headers.get(b"Content-Encoding"):
            return response
        decode = partial(HttpCompressionMiddleware.process_response, self, request, response)
        return await asyncio.get_running_loop().run_in_executor(self._thread, decode)


#: Scrapy looks for a refresh in the first 4,096 characters of a page: at most four
#: bytes each in UTF-8, the widest encoding that writes ASCII letters as ASCII bytes.
_REFRESH_WINDOW = 4 * 4096


def may_refresh(body: bytes) -> bool:
    """Whether a page's start may hold a ``<meta http-equiv="refresh">``: it names
    ``refresh`` (any case), or it is in an encoding whose letters are not ASCII bytes
    (NUL bytes: UTF-16, UTF-32), which only decoding it tells."""
    start = body[:_REFRESH_WINDOW]
    return b"\x00" in start or b"refresh" in start.lower()


class MetaRefreshMiddleware(ScrapyMetaRefresh):
    """Scrapy's meta-refresh redirects, without decoding pages that cannot have one.

    Scrapy decodes a whole page to text (finding its encoding first) to look for a
    refresh in its first 4,096 characters; nothing else in the crawler decodes a
    page, which the extraction workers do. A page whose start has no ``refresh``
    in any case, and no NUL byte, is passed on as it is.
    """

    def process_response(  # type: ignore[override]  # Scrapy's takes a deprecated spider
        self, request: Request, response: Response
    ) -> Request | Response:
        if isinstance(response, HtmlResponse) and not may_refresh(response.body):
            return response
        return super().process_response(request, response)
