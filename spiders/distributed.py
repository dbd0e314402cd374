"""Scale-out as a Scrapy add-on: one crawl on many worker processes and machines.

``crawl_settings`` lists :class:`DistributedCrawl` in ``ADDONS`` only when the
crawl's config names a frontier (``newstrail crawl --frontier redis://...``), so a
one-process crawl never imports this module, Redis or scrapy-redis. The add-on
turns the crawler into one worker of the shared crawl:

- :class:`DistributedScheduler`: the frontier is scrapy-redis's priority queue in
  Redis. A new request is added to the crawl's seen-set and queued in one atomic
  step, so of the workers meeting a link exactly one queues it; taking a request
  records it as this worker's until the engine is done with it.
- :class:`PoliteDownloadHandler`: one request per delay per host across all
  workers, on Redis's clock.
- :class:`SharedRobotsMiddleware`: robots.txt fetched once for the whole crawl.
- :class:`WorkerCoordinator`: heartbeat, the page budget counted across workers,
  dead workers' requests given back, and the spider kept open until the whole
  crawl is over.

Every Redis key and script belongs to :class:`~newstrail.spiders.crawlstate.CrawlState`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import redis
from protego import Protego
from scrapy import Request, Spider, signals
from scrapy.core.scheduler import BaseScheduler
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy_redis.queue import PriorityQueue
from twisted.internet import task

from newstrail.config import WORKER_TIMEOUT, CrawlConfig
from newstrail.errors import NewstrailError
from newstrail.spiders.context import crawl_context
from newstrail.spiders.crawlstate import CrawlState
from newstrail.spiders.handler import BoundedHTTPDownloadHandler
from newstrail.spiders.middlewares import RedirectDupeFilter
from newstrail.urls import canonical_url, host_key

__all__ = [
    "DistributedCrawl",
    "DistributedScheduler",
    "PoliteDownloadHandler",
    "SharedBudget",
    "SharedRobotsMiddleware",
    "WorkerCoordinator",
]

logger = logging.getLogger(__name__)

DEFAULT_WORKER_TIMEOUT = 30.0
# How often a worker renews its heartbeat, releases finished requests and looks
# for work other workers queued while it was idle.
TICK = 0.5
_SHARED_FLAG = "newstrail-shared-robots"
_HERE = __name__


def _config(crawler: Crawler) -> CrawlConfig:
    config: CrawlConfig = crawler.settings["NEWSTRAIL_CONFIG"]
    return config


def _worker(config: CrawlConfig) -> str:
    if config.frontier is None or config.worker is None:
        raise NotConfigured("not a worker of a distributed crawl")
    return config.worker


# -- the add-on ----------------------------------------------------------------------


class DistributedCrawl:
    """The Scrapy add-on that makes a coverage crawl one worker of a shared crawl."""

    def update_settings(self, settings: BaseSettings) -> None:
        config: CrawlConfig = settings["NEWSTRAIL_CONFIG"]
        if config.frontier is None or config.worker is None:
            raise NewstrailError("a distributed crawl needs a frontier and a worker name")
        # These replace the one-process crawl's own choices, made at project priority.
        replaced: dict[str, Any] = {
            "SCHEDULER": f"{_HERE}.DistributedScheduler",
            # The frontier lives in Redis, not in a local JOBDIR.
            "JOBDIR": None,
            # The per-host delay is kept across workers by PoliteDownloadHandler; a
            # local delay or AutoThrottle on top would shift sends away from the
            # times booked in Redis.
            "DOWNLOAD_DELAY": 0.0,
            "DOWNLOAD_DELAY_JITTER": 0.0,
            "AUTOTHROTTLE_ENABLED": False,
        }
        for name, value in replaced.items():
            settings.set(name, value, priority="project")
        handlers = settings.getdict("DOWNLOAD_HANDLERS")
        handlers.update(
            http=f"{_HERE}.PoliteDownloadHandler", https=f"{_HERE}.PoliteDownloadHandler"
        )
        settings.set("DOWNLOAD_HANDLERS", handlers, priority="project")
        middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
        # After the budget (110): a robots.txt request carries no page budget.
        middlewares[f"{_HERE}.SharedRobotsMiddleware"] = 115
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="project")
        extensions = settings.getdict("EXTENSIONS")
        # After the archiver (100), so its files are stored when this one closes.
        extensions[f"{_HERE}.WorkerCoordinator"] = 120
        settings.set("EXTENSIONS", extensions, priority="project")


# -- the frontier ----------------------------------------------------------------------


class _Frontier(PriorityQueue):  # type: ignore[misc]
    """scrapy-redis's priority queue, for its request (de)serialisation and length;
    taking and queueing go through the crawl state's atomic scripts."""


class DistributedScheduler(BaseScheduler):
    """The shared frontier, seen from one worker.

    A request is queued only if its canonical URL was never queued by any worker
    (one atomic step in Redis); a redirect to a page this worker already requested
    is dropped before that (``RedirectDupeFilter``). Once the crawl's budget is
    spent, no more requests are handed out.
    """

    def __init__(self, crawler: Crawler, state: CrawlState, worker: str) -> None:
        self.crawler = crawler
        self.state = state
        self.worker = worker
        self.config = _config(crawler)
        self.stats = crawler.stats
        self.local = RedirectDupeFilter(crawler)
        #: In-flight field -> the Request object handed to the engine.
        self.held: dict[bytes, Request] = {}
        self.queue: _Frontier | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedScheduler:
        config = _config(crawler)
        return cls(crawler, CrawlState.of(config), _worker(config))

    def open(self, spider: Spider) -> None:
        self.queue = _Frontier(self.state.client, spider, self.state.key("requests"))
        queued = self.state.queued()
        if queued:
            logger.info("joining a crawl with %d requests queued", queued)

    def _count(self, name: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(name)

    def enqueue_request(self, request: Request) -> bool:
        assert self.queue is not None
        data = self.queue._encode_request(request)
        score = -request.priority
        if request.dont_filter:
            self.state.queue(score, data)
        else:
            if self.local.request_seen(request):
                return False
            if not self.state.queue_if_new(canonical_url(request.url), score, data):
                self._count("newstrail/duplicate_across_workers")
                return False
        self._count("scheduler/enqueued/redis")
        return True

    def _budget_spent(self) -> bool:
        return self.state.pages_used(self.config.budget) >= self.config.budget

    def next_request(self) -> Request | None:
        if self._budget_spent():
            return None
        taken = self.state.take(self.worker)
        if taken is None:
            return None
        assert self.queue is not None
        field, data = taken
        request: Request = self.queue._decode_request(data)
        self.held[field] = request
        self._count("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return not self._budget_spent() and self.state.queued() > 0

    def release_finished(self, in_progress: set[Request]) -> int:
        """Release the requests the engine is done with from this worker's in-flight hash."""
        finished = [field for field, req in self.held.items() if req not in in_progress]
        for field in finished:
            del self.held[field]
        self.state.release(self.worker, finished)
        return len(finished)


# -- the budget --------------------------------------------------------------------------


class SharedBudget:
    """The crawl's page budget, counted across all its workers."""

    def __init__(self, state: CrawlState, budget: int) -> None:
        self.state = state
        self.budget = budget

    def take(self) -> bool:
        """Count one page request; False (and it is not sent) once the budget is spent."""
        return self.state.take_page(self.budget)

    @property
    def used(self) -> int:
        return self.state.pages_used(self.budget)

    @property
    def spent(self) -> bool:
        return self.used >= self.budget


# -- politeness across workers -------------------------------------------------------


class PoliteDownloadHandler(BoundedHTTPDownloadHandler):
    """Scrapy's HTTP handler, taking the host's turn across all workers first.

    The turn is taken right before the network, after Scrapy's own per-host slot
    has let the request through, so that the time booked is the time sent. The
    delay is the larger of the crawl's and the host's robots.txt Crawl-delay.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        config = _config(crawler)
        _worker(config)
        self.state = CrawlState.of(config)
        self.delay = config.download_delay
        self.stats = crawler.stats
        self.tell_sent(self._sent)

    def _sent(self, url: str) -> None:
        # Booked again as the request leaves: the turn taken before it may be
        # stale by then (tests/test_scaleout.py saw four requests to one host
        # arrive within 0.61 s at a 0.3 s delay: one had left at least 0.29 s
        # after its turn).
        self.state.sent(host_key(url), self.delay)

    async def wait_turn(self, host: str) -> float:
        """Wait until ``host`` may be sent a request, and take that turn; seconds waited."""
        started = time.monotonic()
        while (wait := self.state.try_send(host, self.delay)) > 0:
            await asyncio.sleep(wait)
        return time.monotonic() - started

    async def download_request(self, request: Request) -> Response:
        waited = await self.wait_turn(host_key(request.url))
        if waited > 0 and self.stats is not None:
            self.stats.inc_value("newstrail/politeness_wait_ms", round(waited * 1000))
        return await super().download_request(request)


def _is_robots(request: Request) -> bool:
    return request.url.endswith("/robots.txt") and bool(request.meta.get("dont_obey_robotstxt"))


class SharedRobotsMiddleware:
    """robots.txt fetched once for the whole crawl, and its Crawl-delay shared.

    The first worker to need a host's robots.txt fetches it (and archives it);
    the others wait for its copy in Redis instead of fetching it again. Scrapy's
    robots.txt middleware then applies the rules in every worker alike.
    """

    def __init__(self, crawler: Crawler, state: CrawlState, worker: str) -> None:
        self.crawler = crawler
        self.state = state
        self.worker = worker
        self.user_agent = _config(crawler).user_agent
        self.timeout = float(crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 30)) + 5

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedRobotsMiddleware:
        config = _config(crawler)
        return cls(crawler, CrawlState.of(config), _worker(config))

    def _cached(self, host: str, request: Request) -> Response | None:
        found = self.state.robots(host)
        if found is None:
            return None
        status, body = found
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("newstrail/robots_shared")
        context = crawl_context(self.crawler)
        if context is not None and status == 200:
            try:
                sitemaps = list(Protego.parse(body.decode("utf-8", "replace")).sitemaps)
            except Exception:  # a malformed robots.txt is treated as absent, as Scrapy does
                sitemaps = []
            context.robots_seen(host, request.url[: -len("robots.txt")], sitemaps)
        return Response(
            request.url, status=status, body=body, request=request, flags=[_SHARED_FLAG]
        )

    async def process_request(self, request: Request) -> Response | None:
        if not _is_robots(request):
            return None
        host = host_key(request.url)
        deadline = time.monotonic() + self.timeout
        while True:
            cached = self._cached(host, request)
            if cached is not None:
                return cached
            if self.state.lock_robots(host, self.worker):
                return None  # this worker fetches it
            if time.monotonic() > deadline:
                return None  # still nothing: fetch it here too
            await asyncio.sleep(0.05)

    def process_response(self, request: Request, response: Response) -> Response:
        if not _is_robots(request) or _SHARED_FLAG in response.flags:
            return response
        host = host_key(request.url)
        delay = None
        if response.status == 200:
            try:
                delay = Protego.parse(response.body.decode("utf-8", "replace")).crawl_delay(
                    self.user_agent
                )
            except Exception:
                delay = None
        if response.status < 500:
            self.state.share_robots(host, response.status, response.body, delay)
        else:
            self.state.unlock_robots(host)
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        if _is_robots(request):
            # Let another worker try (Scrapy treats an unreachable robots.txt as allow-all).
            self.state.unlock_robots(host_key(request.url))


# -- the worker's life: heartbeat, dead workers, the end of the crawl ----------------


class WorkerCoordinator:
    """Keeps a worker in step with the others.

    Gives the crawl context the budget shared by all workers. Every ``TICK``
    seconds it renews the worker's heartbeat, releases the requests the engine
    has finished, gives the requests of dead workers back to the frontier and
    wakes the engine to look for work queued by others. When the engine is
    idle, it lets the spider close only when the whole crawl is over: nothing
    queued and nothing held by any worker, or the budget spent.
    """

    def __init__(self, crawler: Crawler, config: CrawlConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.worker = _worker(config)
        self.state = CrawlState.of(config)
        self.timeout = float(config.extra.get(WORKER_TIMEOUT, DEFAULT_WORKER_TIMEOUT))
        self.budget = SharedBudget(self.state, config.budget)
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerCoordinator:
        ext = cls(crawler, _config(crawler))
        context = crawl_context(crawler)
        if context is not None:
            context.shared_budget = ext.budget
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.state.beat(self.worker, self.timeout)
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(TICK, now=False)

    def _scheduler(self) -> DistributedScheduler | None:
        engine = self.crawler.engine
        scheduler = engine.scheduler if engine is not None else None
        return scheduler if isinstance(scheduler, DistributedScheduler) else None

    def _in_progress(self) -> set[Request] | None:
        # Scrapy has no public view of the requests the engine still works on (a
        # request leaves it once downloaded, archived and its callback's requests
        # queued), nor a public way to wake an idle engine (see tick): the engine's
        # slot is the one private attribute this module uses.
        engine = self.crawler.engine
        slot = engine._slot if engine is not None else None
        return slot.inprogress if slot is not None else None

    def _release(self) -> None:
        scheduler = self._scheduler()
        in_progress = self._in_progress()
        if scheduler is not None and in_progress is not None:
            scheduler.release_finished(in_progress)

    def _recover_dead(self) -> None:
        moved = self.state.recover_dead(self.worker)
        if moved and self.crawler.stats is not None:
            self.crawler.stats.inc_value("newstrail/requeued_from_dead_workers", moved)

    def tick(self) -> None:
        try:
            self.state.beat(self.worker, self.timeout)
            self._release()
            self._recover_dead()
        except redis.RedisError as exc:
            # A Redis restart or a network blip: keep going, the next tick retries.
            logger.warning("frontier unreachable: %s", exc)
            return
        engine = self.crawler.engine
        slot = engine._slot if engine is not None else None
        if slot is not None:
            # Work queued by other workers while this one was idle: look now rather
            # than at the engine's next 5-second heartbeat.
            slot.nextcall.schedule()

    def spider_idle(self, spider: Spider) -> None:
        self._release()
        self._recover_dead()
        if self.budget.spent:
            self.state.end("budget_spent")
            return
        if self.state.done() is None:
            raise DontCloseSpider

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        scheduler = self._scheduler()
        if scheduler is not None:
            # Anything still held (a shutdown mid-crawl) goes back for the others.
            scheduler.release_finished(set())
        self.state.requeue(self.worker)
        self.state.gone(self.worker)
