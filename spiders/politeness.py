"""Politeness beyond Scrapy's defaults: robots.txt Crawl-delay, and its Sitemap: lines.

Scrapy obeys robots.txt Allow/Disallow but ignores Crawl-delay, and AutoThrottle
would lower a slot's delay below it. This extension takes every robots.txt parser
Scrapy's robots.txt middleware builds (Scrapy's ``robots_parsed`` signal: the file
is parsed once, after ``newstrail.spiders.middlewares.SizeLimitMiddleware`` cut it at
500 KiB), makes the host's slot wait at least the requested delay with one
request at a time, and hands the file's sitemaps to the spider.
"""

from __future__ import annotations

import logging

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxtMiddleware
from scrapy.http import Response
from scrapy.robotstxt import ProtegoRobotParser, RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from newstrail.config import CrawlConfig
from newstrail.spiders.context import crawl_context
from newstrail.urls import host_key

__all__ = ["RobotsPoliteness", "RobotsTxtMiddleware"]

logger = logging.getLogger(__name__)


# Scrapy measures a slot's delay from when a request leaves the slot's queue, not
# from when it reaches the server; callbacks that hold the reactor can shift a
# send by up to ~0.1 s, so a host that asks for a Crawl-delay gets this much more.
_SEND_MARGIN = 0.15


class RobotsPoliteness:
    """Honour Crawl-delay per host and pass robots.txt sitemaps to the spider."""

    def __init__(self, crawler: Crawler, user_agent: str) -> None:
        self.crawler = crawler
        self.user_agent = user_agent
        self.delays: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsPoliteness:
        config: CrawlConfig = crawler.settings["NEWSTRAIL_CONFIG"]
        ext = cls(crawler, config.user_agent)
        # An archive's own pace (the Wayback Machine throttles clients above about one
        # request a second), kept like a robots.txt Crawl-delay.
        for archive in config.archive_list():
            if archive.delay > 0:
                ext.delays[host_key(archive.url)] = archive.delay + _SEND_MARGIN
        # Connected after AutoThrottle (an extension of lower order), so the clamp
        # below has the last word on a slot's delay.
        crawler.signals.connect(ext.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(ext.request_reached, signal=signals.request_reached_downloader)
        crawler.signals.connect(ext.robots_parsed, signal=signals.robots_parsed)
        return ext

    def request_reached(self, request: Request, spider: Spider) -> None:
        # Sent once the request's slot exists (slots are made lazily and dropped when
        # idle) and before the slot's queue is processed: a new slot for a host
        # that asked for a delay never sends at Scrapy's pace first.
        self._clamp_for(request)

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        self._clamp_for(request)  # after AutoThrottle has set the slot's delay

    def _clamp_for(self, request: Request) -> None:
        delay = self.delays.get(host_key(request.url))
        if delay is not None:
            self._clamp(host_key(request.url), delay)

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        """A host's robots.txt, as parsed by the robots.txt middleware (``request`` is
        the page request that made it fetch the file)."""
        if not isinstance(robotparser, ProtegoRobotParser):
            return  # only Protego's parser gives the Sitemap: lines
        robots = robotparser.rp
        host = host_key(request.url)
        asked = robots.crawl_delay(self.user_agent)
        if asked:
            delay = float(asked) + _SEND_MARGIN
            self.delays[host] = delay
            self._clamp(host, delay)
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newstrail/crawl_delay_hosts")
        context = crawl_context(self.crawler)
        if context is not None:
            parts = urlparse_cached(request)
            context.robots_seen(host, f"{parts.scheme}://{parts.netloc}/", list(robots.sitemaps))

    def _clamp(self, host: str, delay: float) -> None:
        engine = self.crawler.engine
        slot = engine.downloader.slots.get(host) if engine is not None else None
        if slot is not None:
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0.0
            slot.concurrency = 1


class RobotsTxtMiddleware(_ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, right for requests that wait together.

    In Scrapy 2.19 every request that arrives while a host's robots.txt is being
    fetched awaits the same Deferred, and only the first gets the parser: the
    others get None and are let through unchecked. A worker of a distributed
    crawl meets that at once (it takes many requests for a host it has not seen),
    so here the requests that arrive during the fetch wait on Deferreds of their
    own, and every one gets the parser.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        # Hosts whose robots.txt is being fetched, and who else waits for it.
        self._waiting: dict[str, list[Deferred[RobotParser | None]]] = {}

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        waiting = self._waiting.get(netloc)
        if waiting is not None:
            waiter: Deferred[RobotParser | None] = Deferred()
            waiting.append(waiter)
            return await maybe_deferred_to_future(waiter)
        self._waiting[netloc] = waiting = []
        parser: RobotParser | None = None
        try:
            # Fetches the file once, or answers from Scrapy's cache at once.
            parser = await super().robot_parser(request)
        finally:
            del self._waiting[netloc]
            for waiter in waiting:
                waiter.callback(parser)
        return parser
