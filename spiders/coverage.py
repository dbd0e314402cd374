"""The coverage spider: from seed articles to related coverage, most promising links first.

Four discovery channels feed one relevance-ordered frontier: outlinks of fetched
pages, RSS/Atom feeds (announced by pages or at common paths), sitemaps (from
robots.txt or /sitemap.xml, including indexes and Google News sitemaps) and the
seeds themselves. Feed and sitemap entries are scored by what the listing says
(title, summary, date, URL) before anything is fetched.
"""

from __future__ import annotations

import asyncio
import copy
import heapq
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    IgnoreRequest,
)
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor
from twisted.internet.error import ConnectionRefusedError, DNSLookupError
from twisted.python.failure import Failure

from newstrail.archives import parse_cdx
from newstrail.articles import article_record, memento_canonical_url, page_canonical_url
from newstrail.config import CrawlConfig
from newstrail.discovery import COMMON_FEED_PATHS, Candidate, read_feed, read_sitemap
from newstrail.extract import looks_like_html
from newstrail.extract_pool import ExtractionPool, ExtractionTimeout
from newstrail.frontier import TrapGuard, UrlSet, static_trap_reason
from newstrail.pagework import (
    DEFAULT_MAX_REQUISITES,
    PageLink,
    PageScoring,
    PageWork,
    analyse_page,
    css_requisites,
)
from newstrail.spiders.archive import REVISIT_META, WARC_META
from newstrail.spiders.context import CrawlContext, attach_context
from newstrail.spiders.handler import ResponseHeadersTooLarge, truncation
from newstrail.spiders.heap import TRIM_EVERY, steady_heap, trim_heap
from newstrail.spiders.items import PageItem, Provenance
from newstrail.spiders.middlewares import (
    ARCHIVE_META,
    BODY_META,
    EXTRACT_META,
    LISTING_META,
    MEMENTO_META,
    META_KEY,
    REQUISITE_META,
)
from newstrail.spiders.past import (
    GONE_STATUSES,
    QUEUED_PER_HOST,
    ArchiveChannel,
    ArchiveLookup,
)
from newstrail.storage.captures import Capture, read_captures
from newstrail.stories import StoryIndex
from newstrail.urls import (
    canonical_url,
    host_key,
    is_http_url,
    link_key,
    strip_params,
)

__all__ = ["COUNT_PREFIX", "SEED_PRIORITY", "CoverageSpider", "link_priority"]

logger = logging.getLogger(__name__)

SEED_PRIORITY = 100_000
#: The spider's counts in Scrapy's stats collector.
COUNT_PREFIX = "coverage/"
_TOP_KEPT = 50
# A feed or sitemap entry whose title and URL say nothing about the story is not
# fetched at all: listings are where a crawl would otherwise waste its budget.
_LISTING_FLOOR = 0.05
_SITEMAP_ENTRIES_PER_FILE = 500
_CHILD_SITEMAPS_PER_HOST = 12
_FEED_ENTRIES_PER_FILE = 500
# New requests one page may queue: a few times the pages the budget has left (the
# frontier orders them with the rest, so a later page's better links still come
# first), never fewer than a handful, never more than the page's capped outlinks.
_QUEUE_PER_REMAINING = 4
_QUEUE_MIN = 20
#: Before the extraction workers are up (a second or two), pages up to this size are
#: analysed in the crawler's own process; larger ones wait for the workers. The worst
#: page measured at this size, 128 KiB of links, takes 0.3 s (bench/hostile.py).
IN_PROCESS_MAX_BYTES = 128 * 1024
#: Pages downloaded and waiting for (or in) analysis in the pool, per worker, and
#: their bytes, past which page downloads wait (PageBodyMiddleware). Heavy pages
#: (``ExtractionPool.is_heavy``) have a lane of their own in the pool and count
#: by their bytes only: however many come together, ordinary pages flow on. A page
#: holds its place until its answer is back on the reactor's thread, 22 ms on the
#: throughput bench (8 ms queued, 8 ms sent to and in a worker, 6 ms coming back):
#: at 4 a worker, downloads waited 10 ms each on average; at 8, pages/s went
#: from 0.81-0.83 of the plain spider's to 0.85, and the discovery bench's recall and
#: precision at 300 and 1,000 pages did not move (0.958/1.000, 0.984/0.929).
ANALYSIS_BACKLOG_PER_WORKER = 8
ANALYSIS_BACKLOG_BYTES = 32 * 1024 * 1024
#: The bytes of a page that go to its analysis. The extraction keeps 512 KiB of
#: markup (``ExtractionConfig.max_html_bytes``) once scripts, styles and comments
#: are gone: 4 MiB leaves room for 3.5 MiB of them before the text, and a 41 MB page
#: is not copied to a worker whole (the WARC record has all of it).
ANALYSIS_MAX_BYTES = 4 * 1024 * 1024
#: Page requisites go before pages, so a page and its images are captured together.
REQUISITE_PRIORITY = SEED_PRIORITY // 2


def link_priority(parent_score: float, link_score: float) -> tuple[float, int]:
    """Expected relevance of a link and its Scrapy priority (higher is fetched first).

    The linking page's score says how likely its neighbourhood is on topic; the
    anchor text and URL slug say what this particular link is about. A link that
    names the story is worth following from anywhere, so the link's own score
    counts more.
    """
    expected = 0.35 * parent_score + 0.65 * link_score
    return expected, int(expected * 10_000)


def page_link_extractor() -> LinkExtractor:
    """Links worth following from a page: ``<a>`` and ``<area>`` hrefs, not to files
    (feeds and sitemaps come through their own channels)."""
    return LinkExtractor(
        tags=("a", "area"),
        attrs=("href",),
        deny_extensions=[*IGNORED_EXTENSIONS, "xml", "rss", "json"],
        unique=True,
        strip=True,
    )


def _first_cause(error: BaseException | None) -> BaseException | None:
    """What went wrong first: Scrapy wraps download errors (DownloadFailedError)
    around Twisted's, which hold a list of failures (ResponseFailed)."""
    for _ in range(8):
        reasons = getattr(error, "reasons", None)
        if reasons:
            first = reasons[0]
            error = first.value if isinstance(first, Failure) else first
        elif error is not None and error.__cause__ is not None:
            error = error.__cause__
        else:
            break
    return error


def _gone_because(error: BaseException | None) -> str | None:
    """``dns`` or ``refused`` when a download failed because the page's host is gone
    (no such name, nothing listening), whichever wrapper Scrapy put around it."""
    for _ in range(8):
        if isinstance(error, DNSLookupError | CannotResolveHostError):
            return "dns"
        if isinstance(error, ConnectionRefusedError | DownloadConnectionRefusedError):
            return "refused"
        if error is None:
            return None
        reasons = getattr(error, "reasons", None)
        if reasons:
            first = reasons[0]
            error = first.value if isinstance(first, Failure) else first
        else:
            error = error.__cause__ or error.__context__
    return None


def _listing_outputs(item: PageItem, requests: list[Request]) -> Iterator[PageItem | Request]:
    """A listing's item, saying what it queued, then the requests it queued."""
    item.discovered = len(requests)
    item.outlinks = _outlinks(requests)
    yield item
    yield from requests


def _outlinks(requests: list[Request]) -> list[tuple[str, str]]:
    out = []
    for request in requests:
        provenance = request.meta.get(META_KEY)
        if isinstance(provenance, Provenance):
            out.append((request.url, provenance.channel))
    return out


class CoverageSpider(Spider):
    """Fetch the seeds, score every article against them, follow the best links first."""

    name = "coverage"

    def __init__(self, config: CrawlConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config
        seeds = config.seeds
        self.model = seeds.relevance_model(config.threshold)
        self.seed_urls = seeds.urls
        # Canonical URLs already requested: links are filtered here, before any
        # Request object is made (the redirect dupefilter shares this set). A
        # distributed crawl's scheduler checks each request against the whole
        # crawl's as it queues it (newstrail.spiders.distributed).
        self.seen = UrlSet()
        self.captured: dict[str, str] = {}
        # Its signatures in the staging folder: they grow with the crawl.
        self.stories = StoryIndex(folder=config.crawl_workdir)
        self.traps = TrapGuard()
        self.channels: Counter[str] = Counter()
        #: Pages since the heap's free pages were last given back (spiders/heap.py).
        self._since_trim = 0
        steady_heap()
        self.seed_status: dict[str, str] = {}
        self._top: list[tuple[float, str, dict[str, Any]]] = []
        self._hosts: dict[str, dict[str, Any]] = {}
        self._profiled: set[str] = set()
        # Query parameters a site's own rel=canonical drops, learned per host.
        self._ignored_params: dict[str, frozenset[str]] = {}
        # Extraction runs in worker processes (NEWSTRAIL_EXTRACT_WORKERS, default one
        # per CPU; 0 extracts in-process). They start in the background when the
        # crawl opens; pages that come before they are ready are extracted in-process.
        workers = config.extract_workers
        self._pool = (
            ExtractionPool(workers, timeout=config.extract_timeout) if workers != 0 else None
        )
        # Pages are scored, sketched for story clustering and their links
        # canonicalised and scored where they are analysed (a worker), with a copy
        # of the relevance model; a page scored by an older model is scored again.
        self._scoring = PageScoring(copy.deepcopy(self.model), 0, fast=not config.full_extraction)
        if self._pool is not None:
            self._pool.set_scoring(self._scoring)
        self._backlog_pages = 0
        self._backlog_bytes = 0
        self._room = asyncio.Event()
        # Seeds admitted but not yet sent: pages other than seeds may only use the
        # budget these leave, since a seed may wait on its host's robots.txt while
        # discovered pages are sent (the BudgetMiddleware reads this).
        self.seeds_pending: set[str] = set()
        self._requisites_queued = 0
        # A re-crawl's known articles are admitted by start(), with their own priority:
        # an outlink that names one must not claim it first, at a link's priority, where
        # the page budget may drop it before it is sent (then it was never re-fetched).
        self._known_articles = {canonical_url(u) for u in config.known_urls}
        # An incremental crawl re-fetches what the collection already holds conditionally.
        self.prior: dict[str, Capture] = {}
        if config.prior:
            with open(config.prior, "rb") as fh:
                self.prior = {c.canonical_url: c for c in read_captures(fh)}
        # What the middlewares, the dupefilter, the politeness extension and the
        # archiver read of this spider, shared once (from_crawler) and typed.
        self.context = CrawlContext(
            seen=self.seen,
            traps=self.traps,
            robots_seen=self.robots_seen,
            seeds_pending=self.seeds_pending,
            prior=self.prior,
            analysis_room=self._analysis_room if self._pool is not None else None,
        )
        # The web archives, when the crawl asks them (newstrail.spiders.past).
        self.past = ArchiveChannel(self, config.archive_list())
        if self.past.active:
            self.context.soft_not_found = self._soft_not_found

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> CoverageSpider:
        spider = cls(crawler.settings["NEWSTRAIL_CONFIG"], **kwargs)
        spider._set_crawler(crawler)
        # What the middlewares, the dupefilter, the politeness extension and the
        # archiver read of this spider, shared once and typed.
        attach_context(crawler, spider.context)
        return spider

    # -- the frontier -----------------------------------------------------------

    def _request(
        self, url: str, provenance: Provenance, priority: int, callback: Any = None
    ) -> Request:
        headers = {}
        prior = self.prior.get(canonical_url(url)) if self.prior else None
        if prior is not None:
            if prior.etag:
                headers["If-None-Match"] = prior.etag
            if prior.last_modified:
                headers["If-Modified-Since"] = prior.last_modified
        meta: dict[str, Any] = {META_KEY: provenance, "download_slot": host_key(url)}
        if callback is None:
            # A page: its body leaves the response before the spider gets it
            # (newstrail.spiders.middlewares.PageBodyMiddleware) and goes to extraction.
            meta[EXTRACT_META] = True
        else:
            # A feed or sitemap: its body leaves the response too, read in a thread.
            meta[LISTING_META] = True
        return Request(
            url,
            callback=callback or self.parse,
            errback=self.on_error,
            priority=priority,
            headers=headers or None,
            meta=meta,
        )

    def page_request(self, url: str, provenance: Provenance, priority: int) -> Request:
        """A request for a page (extracted, scored, followed)."""
        return self._request(url, provenance, priority)

    def listing_request(
        self, url: str, provenance: Provenance, priority: int, callback: Any
    ) -> Request:
        """A request for a listing (feed, sitemap, archive index) read by ``callback``."""
        return self._request(url, provenance, priority, callback)

    def count(self, name: str, value: int = 1) -> None:
        self._count(name, value)

    def _admit(self, url: str, *, known: bool = False) -> str | None:
        """The URL to fetch if ``url`` is new and not a trap, else None (and it is dropped).

        What is fetched is the canonical form: tracking and session parameters
        (and those the site itself drops in its rel=canonical) would only make
        variants of the same page, and have no place in an archive's URLs.
        """
        key = self._new_key(url, known=known)
        if key is None:
            return None
        self.seen.add(key)
        return key

    def _new_key(self, url: str, *, known: bool = False) -> str | None:
        """What :meth:`_admit` would fetch for ``url``, without taking it; a re-crawl's
        known article only when ``known`` (start() admits those)."""
        key, drop = link_key(url)
        if key is None:
            if drop == "not-coverage":
                self._count("links_not_coverage")
            return None
        ignored = self._ignored_params.get(host_key(key))
        if ignored:
            key = strip_params(key, ignored)
        if key in self.seen or (not known and key in self._known_articles):
            return None
        reason = static_trap_reason(key)
        if reason is not None or not self.traps.allows(key):
            self._count("trap_links_dropped")
            return None
        return key

    async def start(self) -> AsyncIterator[Request]:
        if self._pool is not None:
            # The reactor's asyncio loop hands the pages out and reads the answers:
            # no thread of the pool's takes the interpreter lock from the crawl's.
            self._pool.start(asyncio.get_running_loop())
        # Seeds, then a re-crawl's known articles, no more than the budget: all are
        # reserved before the first is yielded (Scrapy takes start requests lazily,
        # while pages already fetched queue their links), so pages found meanwhile
        # only use the budget they leave.
        admitted: list[tuple[str, str]] = []
        for url in self.seed_urls:
            key = canonical_url(url)
            if key in self.seen:
                continue
            if len(admitted) >= self.config.budget:
                # The budget is the budget, seeds included: the rest are not requested.
                self.seed_status[url] = "over budget"
                self._count("seeds_over_budget")
                continue
            self.seen.add(key)
            self.seed_status[url] = "pending"
            self.seeds_pending.add(url)
            admitted.append(("seed", url))
        known: list[str] = []
        for url in self.config.known_urls:
            if len(admitted) + len(known) >= self.config.budget:
                self._count("known_over_budget")
                break
            if self._admit(url, known=True) is not None:
                self.seeds_pending.add(url)
                known.append(url)
        for _, url in admitted:
            provenance = Provenance(
                seed=url, parent=None, hop=0, depth=0, channel="seed", expected=1.0
            )
            yield self._request(url, provenance, SEED_PRIORITY)
        # A re-crawl continues from the collection's related articles and its feeds.
        for url in self.config.known_feeds:
            if self._admit(url) is None:
                continue
            provenance = Provenance(
                seed=url, parent=None, hop=0, depth=0, channel="known-feed", expected=0.8
            )
            yield self._request(url, provenance, SEED_PRIORITY - 1, self.parse_feed)
        for rank, url in enumerate(known):
            provenance = Provenance(
                seed=url, parent=None, hop=0, depth=0, channel="known-article", expected=0.7
            )
            yield self._request(url, provenance, SEED_PRIORITY // 2 - rank)
        if self.past.active and self.seed_urls:
            # The outlets known before the first page: the seeds' hosts and the seed
            # file's outlets, asked of every archive.
            hosts = [host_key(u) for u in self.seed_urls] + list(self.config.seeds.outlets)
            origin = Provenance(
                seed=self.seed_urls[0], parent=None, hop=0, depth=0, channel="seed", expected=0.6
            )
            for host in dict.fromkeys(hosts):
                for request in self.past.index_requests(host, origin, SEED_PRIORITY // 4):
                    yield request

    def _count(self, name: str, value: int = 1) -> None:
        """Count in Scrapy's stats, as ``coverage/<name>`` (the crawl's summary has them)."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(COUNT_PREFIX + name, value)

    @property
    def budget_spent(self) -> bool:
        shared = self.context.shared_budget
        if shared is not None:
            return shared.spent
        return self.budget_left <= 0

    @property
    def budget_left(self) -> int:
        """Page requests this crawl may still send (all workers' when distributed)."""
        shared = self.context.shared_budget
        if shared is not None:
            return max(self.config.budget - shared.used, 0)
        assert self.crawler.stats is not None
        sent = int(self.crawler.stats.get_value("newstrail/pages_requested", 0))
        return max(self.config.budget - sent, 0)

    # -- hosts: robots.txt sitemaps, sitemap.xml, feeds ---------------------------

    def robots_seen(self, host: str, base: str, sitemaps: Iterable[str]) -> None:
        """Called by the politeness extension with a host's robots.txt Sitemap: lines."""
        state = self._hosts.setdefault(host, {"base": base})
        state["sitemaps"] = [u for u in sitemaps if is_http_url(u)]

    def _first_contact(
        self, response: Response, provenance: Provenance, score: float, feeds: list[str]
    ) -> Iterator[Request]:
        host = host_key(response.url)
        state = self._hosts.setdefault(host, {})
        if state.get("explored"):
            return
        state["explored"] = True
        base = response.urljoin("/")
        expected = 0.25 + 0.5 * score
        sitemaps = state.get("sitemaps") or [response.urljoin("/sitemap.xml")]
        for url in sitemaps:
            yield from self._listing(url, provenance, response.url, "sitemap", expected)
        if not feeds:
            # Sites that do not announce a feed often still have one where CMSs put it.
            for path in COMMON_FEED_PATHS:
                yield from self._listing(
                    base.rstrip("/") + path, provenance, response.url, "feed", expected * 0.8
                )

    def _listing(
        self, url: str, provenance: Provenance, parent: str, kind: str, expected: float
    ) -> Iterator[Request]:
        url = self._admit(url) or ""
        if not url:
            return
        child = provenance.child(
            url, parent=parent, channel=f"{kind}-listing", hop=provenance.hop, expected=expected
        )
        callback = self.parse_feed if kind == "feed" else self.parse_sitemap
        self._count(f"{kind}s_queued")
        yield self._request(url, child, int(expected * 10_000), callback)

    def _rank(
        self, read: Any, body: bytes, url: str, channel: str
    ) -> tuple[list[tuple[float, Candidate]], list[Candidate], list[str], Counter[str]]:
        """Read a listing and score its entries: runs in a thread, off the reactor.

        ``read`` is :func:`~newstrail.discovery.read_feed` or ``read_sitemap`` (both
        bounded). Returns the page entries in the window, scored and sorted best
        first; the child sitemaps; the limits reached; and counts to add.
        """
        counts: Counter[str] = Counter()
        candidates, limits = read(body, url)
        scored: list[tuple[float, Candidate]] = []
        children: list[Candidate] = []
        for c in candidates:
            if c.is_sitemap:
                children.append(c)
                continue
            if c.published is not None and self.model.window.excludes(c.published.isoformat()):
                counts[f"{channel}_outside_window"] += 1
                continue
            link_score = self.model.score_link(f"{c.title} {c.summary}", c.url)
            if link_score < _LISTING_FLOOR:
                counts[f"{channel}_entries_skipped"] += 1
                continue
            scored.append((link_score, c))
        scored.sort(key=lambda pair: -pair[0])
        return scored, children, limits, counts

    async def _read_listing(
        self, response: Response, kind: str, channel: str
    ) -> tuple[PageItem, list[tuple[float, Candidate]], list[Candidate]]:
        """A feed's or sitemap's item (with its limits), scored entries and child sitemaps.

        Its body arrives in ``response.meta[BODY_META]`` (PageBodyMiddleware), so
        Scrapy's scraper does not count it while a thread reads it: a sitemap of
        50,000 entries takes a second or two to read and score.
        """
        body: bytes = response.meta.pop(BODY_META, None) or response.body
        item = self._page_item(response, kind)
        if response.status >= 400 or self.budget_spent:
            return item, [], []
        read = read_feed if kind == "feed" else read_sitemap
        scored, children, limits, counts = await asyncio.to_thread(
            self._rank, read, body, response.url, channel
        )
        del body
        for name, value in counts.items():
            self._count(name, value)
        item.limits = list(limits)
        for limit in limits:
            self._count("limit_" + limit.replace("-", "_"))
        return item, scored, children

    def _candidates(
        self,
        response: Response,
        provenance: Provenance,
        scored: list[tuple[float, Candidate]],
        channel: str,
        limit: int | None = None,
        *,
        base: float = 0.3,
        archive: str = "",
    ) -> Iterator[Request]:
        for link_score, c in scored[:limit]:
            url = self._admit(c.url)
            if url is None:
                continue
            expected, priority = link_priority(max(provenance.expected, base), link_score)
            child = provenance.child(
                url,
                parent=response.url,
                channel=channel,
                hop=provenance.hop,
                expected=expected,
                anchor=c.title,
            )
            if archive:
                child = replace(child, archive=archive)
            self._count(f"{channel}_entries_queued")
            yield self._request(url, child, priority)

    async def parse_feed(self, response: Response) -> AsyncIterator[PageItem | Request]:
        """An RSS or Atom feed: queue its entries that look related."""
        if truncation(response.flags) is not None:
            for output in self._truncated(response):
                yield output
            return
        provenance: Provenance = response.meta[META_KEY]
        item, scored, _ = await self._read_listing(response, "feed", "feed")
        requests = list(
            self._candidates(response, provenance, scored, "feed", limit=_FEED_ENTRIES_PER_FILE)
        )
        for output in _listing_outputs(item, requests):
            yield output

    async def parse_sitemap(self, response: Response) -> AsyncIterator[PageItem | Request]:
        """A sitemap or sitemap index: queue the best entries, never the whole tree."""
        if truncation(response.flags) is not None:
            for output in self._truncated(response):
                yield output
            return
        provenance: Provenance = response.meta[META_KEY]
        item, scored, children = await self._read_listing(response, "sitemap", "sitemap")
        requests = list(
            self._candidates(
                response, provenance, scored, "sitemap", limit=_SITEMAP_ENTRIES_PER_FILE
            )
        )
        host = self._hosts.setdefault(host_key(response.url), {})
        # Child sitemaps inside the date window, newest first, a few per host.
        in_window = [
            c
            for c in children
            if c.published is None or not self.model.window.excludes(c.published.isoformat())
        ]
        in_window.sort(key=lambda c: c.published.isoformat() if c.published else "", reverse=True)
        for c in in_window:
            if host.get("child_sitemaps", 0) >= _CHILD_SITEMAPS_PER_HOST:
                break
            before = len(requests)
            requests.extend(
                self._listing(c.url, provenance, response.url, "sitemap", provenance.expected)
            )
            host["child_sitemaps"] = host.get("child_sitemaps", 0) + len(requests) - before
        for output in _listing_outputs(item, requests):
            yield output

    # -- the archives: their indexes, and dead pages ------------------------------

    async def parse_archive_index(self, response: Response) -> AsyncIterator[PageItem | Request]:
        """One page of an archive's CDX answer for an outlet host: queue its captured
        URLs that look related (scored like sitemap entries), then the next page."""
        if truncation(response.flags) is not None:
            for output in self._truncated(response):
                yield output
            return
        provenance: Provenance = response.meta[META_KEY]
        lookup: ArchiveLookup = response.meta[ARCHIVE_META]
        body: bytes = response.meta.pop(BODY_META, None) or response.body
        item = self._page_item(response, "archive-index")
        if response.status >= 400 or self.budget_spent:
            if response.status >= 400:
                self._count("archive_errors")
            yield item
            return
        answer = await asyncio.to_thread(parse_cdx, body)
        del body
        scored, counts = await asyncio.to_thread(self.past.rank, answer, lookup.host)
        for name, value in counts.items():
            self._count(name, value)
        self._count("archive_index_captures", len(answer.captures))
        if answer.junk:
            self._count("archive_index_junk_rows", answer.junk)
        item.limits = list(answer.limits)
        for limit in answer.limits:
            self._count("limit_" + limit.replace("-", "_"))
        room = max(_QUEUE_MIN, _QUEUE_PER_REMAINING * self.budget_left)
        base = 0.3 + 0.6 * self.past.host_relevance(lookup.host)
        requests = list(
            self._candidates(
                response,
                provenance,
                scored,
                "archive-index",
                limit=min(QUEUED_PER_HOST - lookup.queued, room),
                base=base,
                archive=provenance.archive,
            )
        )
        following = self.past.next_page(lookup, provenance, answer, len(requests))
        if following is not None:
            requests.append(following)
        for output in _listing_outputs(item, requests):
            yield output

    async def parse_closest(self, response: Response) -> AsyncIterator[PageItem | Request]:
        """An archive's capture of a gone page closest to its date: fetch its memento,
        or ask the next archive."""
        if truncation(response.flags) is not None:
            for output in self._truncated(response):
                yield output
            return
        lookup: ArchiveLookup = response.meta[ARCHIVE_META]
        body: bytes = response.meta.pop(BODY_META, None) or response.body
        item = self._page_item(response, "archive-lookup")
        yield item
        captures = parse_cdx(body, max_rows=10).captures if response.status < 400 else []
        if captures:
            yield self.past.memento_request(lookup, captures[0])
            return
        assert lookup.provenance is not None
        following = self.past.recover(
            lookup.original, lookup.provenance, "", archive=lookup.archive + 1
        )
        if following is not None:
            yield following
            return
        self._count("dead_not_archived")
        self.context.recoveries_pending.discard(lookup.original)
        if lookup.provenance.channel == "seed":
            status = self.seed_status.get(lookup.provenance.seed, "gone")
            self.seed_status[lookup.provenance.seed] = f"{status}; not in the archives"

    def _soft_not_found(self, url: str, provenance: Any) -> None:
        """A page answered with a redirect to its site's home page: ask the archives."""
        if not isinstance(provenance, Provenance) or self.crawler.engine is None:
            return
        request = self.past.recover(url, provenance, "soft_404")
        if request is not None:
            self.crawler.engine.crawl(request)

    def _unarchived_links(self, links: list[PageLink], memento: dict[str, str]) -> list[PageLink]:
        """A memento's links as the live web's: its original bytes' relative links
        resolved against the archive, put back on the page's own site."""
        archive_host = host_key(memento["archive_url"])
        prefix = memento["archive_url"].rstrip("/") + "/"
        out = []
        for link in links:
            if host_key(link.url) != archive_host:
                out.append(link)
                continue
            if link.url.startswith(prefix):
                rest = link.url[len(prefix) :].split("/", 1)
                target = rest[1] if len(rest) == 2 and is_http_url(rest[1]) else ""
            else:
                target = urljoin(memento["original_url"], urlsplit(link.url).path)
            if target:
                out.append(PageLink(url=target, text=link.text))
        return out

    # -- pages ------------------------------------------------------------------

    def _page_item(self, response: Response, kind: str) -> PageItem:
        provenance: Provenance = response.meta[META_KEY]
        warc, fetched_at = response.meta.get(WARC_META, (None, ""))
        self._count("pages")
        self.channels[provenance.channel] += 1
        self._since_trim += 1
        if self._since_trim >= TRIM_EVERY:
            self._since_trim = 0
            trim_heap()
        if response.status >= 400:
            kind = "error"
            self._count("errors")
        return PageItem(
            url=response.url,
            status=response.status,
            content_type=(response.headers.get(b"Content-Type") or b"").decode("latin-1"),
            fetched_at=fetched_at,
            provenance=provenance,
            warc=warc,
            kind=kind,
            redirected_from=list(response.meta.get("redirect_urls", [])),
        )

    async def parse(self, response: Response) -> AsyncIterator[PageItem | Request]:
        """A page: archive bookkeeping, analysis (in a worker process), scoring, links.

        The body of an HTML page arrives in ``response.meta[BODY_META]``, not in the
        response (``newstrail.spiders.middlewares.PageBodyMiddleware``): it goes to the
        extraction pool and this callback keeps no reference to it while it waits,
        so Scrapy's scraper, which stops downloading while the responses it holds
        are large, counts an empty response however long the page takes.
        """
        body: bytes | None = response.meta.pop(BODY_META, None)
        if truncation(response.flags) is not None:
            for output in self._truncated(response):
                yield output
            return
        work: PageWork | None = None
        limits: list[str] = []
        if body is not None:
            content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
            provenance: Provenance = response.meta[META_KEY]
            # A seed's text makes the profile, and a known article's is compared with
            # its last capture: both always get the full extraction.
            full = provenance.channel in ("seed", "known-article")
            pending = self._analyse(body, response.url, content_type, full=full)
            del body
            try:
                work = await pending
            except ExtractionTimeout:
                self._count("extraction_timeouts")
                limits.append("extraction-timeout")
                logger.warning("extraction timed out: %s", response.url)
            except Exception as exc:  # a worker that died, or analysis that failed
                self._count("extraction_failures")
                limits.append("extraction-failed")
                logger.warning("extraction failed: %s (%r)", response.url, exc)
            else:
                limits.extend(work.limits)
        for output in self._parse_page(
            response, work, limits, html=work is not None or bool(limits)
        ):
            yield output

    def _truncated(self, response: Response) -> Iterator[PageItem | Request]:
        """A response whose body is not whole: archived as far as it came (the WARC
        record says why), never extracted, scored or followed; a transfer cut short
        or timed out is tried again (Scrapy's retry limits), one over the size limit
        is not."""
        reason = truncation(response.flags)
        provenance: Provenance = response.meta[META_KEY]
        item = self._page_item(response, "truncated")
        item.limits = [f"truncated-{reason}"]
        self._count(f"limit_truncated_{reason}")
        if provenance.channel == "seed":
            self.seed_status[provenance.seed] = f"truncated ({reason})"
        yield item
        if reason != "length" and response.request is not None:
            retry = get_retry_request(response.request, spider=self, reason=f"truncated-{reason}")
            if retry is not None:
                yield retry

    def _analyse(
        self, body: bytes, url: str, content_type: str, *, full: bool = False
    ) -> asyncio.Future[PageWork]:
        # The page's analysis is the crawl's heaviest CPU work: done in worker
        # processes it uses every core and never holds the reactor, whose timers
        # pace requests. Small pages that come before the workers are up are done
        # here (a few milliseconds each), so the first links are not held back.
        max_links = self.config.max_links_per_page
        in_process = self._pool is None or (
            not self._pool.ready and len(body) <= IN_PROCESS_MAX_BYTES
        )
        if in_process:
            done: asyncio.Future[PageWork] = asyncio.get_running_loop().create_future()
            try:
                done.set_result(
                    analyse_page(
                        body,
                        url,
                        content_type=content_type,
                        max_links=max_links,
                        scoring=self._scoring,
                        full=full,
                    )
                )
            except Exception as exc:
                done.set_exception(exc)
            return done
        assert self._pool is not None
        self._count("extracted_in_pool")
        if len(body) > ANALYSIS_MAX_BYTES:
            body = body[:ANALYSIS_MAX_BYTES]
            self._count("pages_cut_for_analysis")
        # A large page that comes before the workers are up waits for them in the
        # pool's queue: analysed here it would hold the reactor, with no time limit.
        future = self._pool.submit(
            body, url, content_type=content_type, max_links=max_links, full=full
        )
        size = len(body)
        counted = 0 if self._pool.is_heavy(size) else 1
        self._backlog_pages += counted
        self._backlog_bytes += size
        waiting = asyncio.wrap_future(future)

        def release(_: asyncio.Future[PageWork]) -> None:
            self._backlog_pages -= counted
            self._backlog_bytes -= size
            if not self._backlog_full():
                self._room.set()

        waiting.add_done_callback(release)
        return waiting

    def _backlog_full(self) -> bool:
        assert self._pool is not None
        return (
            self._backlog_pages >= ANALYSIS_BACKLOG_PER_WORKER * self._pool.workers
            or self._backlog_bytes >= ANALYSIS_BACKLOG_BYTES
        )

    async def _analysis_room(self) -> None:
        """Return once the pages waiting for analysis are under their limits."""
        while self._backlog_full():
            self._room.clear()
            await self._room.wait()

    def closed(self, reason: str) -> None:
        # The URL patterns closed as traps, for the crawl's summary (a distributed
        # crawl's workers each close their own; the merge sums them).
        self._count("traps_closed", len(self.traps.closed))
        if self.stories.candidates_capped:
            self._count("limit_story_candidates", self.stories.candidates_capped)
        self.stories.close()
        if self._pool is not None:
            self._pool.close(cancel_pending=True)

    def _parse_page(
        self, response: Response, work: PageWork | None, limits: list[str], *, html: bool
    ) -> Iterator[PageItem | Request]:
        provenance: Provenance = response.meta[META_KEY]
        is_seed = provenance.channel == "seed"
        article = work.article if work is not None else None
        item = self._page_item(response, "page")
        item.limits = list(limits)
        for limit in limits:
            self._count("limit_" + limit.replace("-", "_"))
        unchanged = REVISIT_META in response.meta
        memento: dict[str, str] | None = response.meta.get(MEMENTO_META)
        if memento is not None:
            item.memento = {k: memento[k] for k in ("original_url", "memento_datetime", "archive")}
        if unchanged:
            # Archived as a revisit: the collection already has this page's text.
            item.kind = "revisit"
            if response.status == 304:
                yield item
                return
        if item.kind == "error":
            if is_seed:
                gone = "memento " if memento is not None else ""
                self.seed_status[provenance.seed] = f"{gone}HTTP {response.status}"
            self.traps.record(canonical_url(response.url), related=False, new_links=0)
            yield item
            if memento is None and response.status in GONE_STATUSES and self.past.active:
                # Gone from the live web: the archives may still have it.
                lookup = self.past.recover(response.url, provenance, f"http_{response.status}")
                if lookup is not None:
                    yield lookup
            return
        self.seen.add(canonical_url(response.url))
        # An HTML page's body was taken out of the response for its analysis; any
        # other response still has its body.
        if not html and (
            not isinstance(response, TextResponse)
            or not looks_like_html(item.content_type, response.body[:2048])
        ):
            item.kind = "not-html"
            self._count("not_html")
            if is_seed:
                self.seed_status[provenance.seed] = f"not HTML ({item.content_type or 'no type'})"
            yield item
            return

        related, score = False, 0.0
        if article is not None:
            if is_seed and not self.config.seeds.texts and provenance.seed not in self._profiled:
                # A seed given only by URL joins the profile once its text is known.
                self._profiled.add(provenance.seed)
                self.model.add_text(article.text)
                self._scoring = replace(
                    self._scoring,
                    model=copy.deepcopy(self.model),
                    generation=self._scoring.generation + 1,
                )
                if self._pool is not None:
                    self._pool.set_scoring(self._scoring)
            relevance = (
                work.relevance
                if work is not None and self._scored(work) and work.relevance is not None
                else self.model.score(article.text, article.title, article.date)
            )
            key = page_canonical_url(response.url, article)
            if memento is not None:
                key = memento_canonical_url(memento["original_url"], response.url, article)
            self._learn_ignored_params(response.url, key)
            score = relevance.score
            # A seed is related by definition, whatever its score.
            related = relevance.related or is_seed
            item.relevance, item.related = score, related
            item.matched_terms, item.threshold = list(relevance.matched_terms), relevance.threshold
            item.not_related_reason = None if related else relevance.reason
            item.passages = list(relevance.passages)
            if is_seed:
                self.seed_status[provenance.seed] = "ok"
                if memento is not None:
                    self._count("seeds_recovered")
            if unchanged:
                self.captured.setdefault(key, response.url)
            elif key in self.captured:
                # The same page under another URL (an AMP or print variant, a
                # tracking variant, a syndicated copy naming the original as its
                # canonical URL): archived, but not a second text record. Its links
                # and requisites are followed all the same: it replays with its
                # images, and what a crawl finds does not depend on which copy
                # came first.
                item.kind = "duplicate"
                item.duplicate_of = self.captured[key]
                self._count("duplicates")
        if article is not None and not unchanged and item.kind != "duplicate":
            self.captured[key] = response.url
            self.seen.add(key)
            sketch = work.story if work is not None else None
            story = (
                self.stories.assign_sketch(response.url, sketch)
                if sketch is not None
                else self.stories.assign(response.url, article.text)
            )
            item.story_id, item.duplicate_of = story.story_id, story.duplicate_of
            item.kind = "article"
            self._count("articles")
            if story.duplicate_of:
                self._count("story_copies")
            if item.warc is not None:
                record = article_record(
                    url=response.url,
                    article=article,
                    relevance=relevance,
                    warc=item.warc,
                    fetched_at=item.fetched_at,
                    status=response.status,
                )
                record.related = related
                if limits:
                    record.limits = list(limits)
                if memento is not None:
                    record.source = "archive"
                    record.original_url = memento["original_url"]
                    record.memento_url = response.url
                    record.memento_datetime = memento["memento_datetime"]
                    record.canonical_url = key
                if provenance.archive:
                    record.extra["archive"] = provenance.archive
                record.extra.update(
                    story_id=story.story_id,
                    duplicate_of=story.duplicate_of,
                    not_related_reason=item.not_related_reason,
                    channel=provenance.channel,
                    hop=provenance.hop,
                    parent=provenance.parent,
                    seed=provenance.seed,
                    chain=list(provenance.chain),
                )
                item.record = record
            if memento is not None:
                self._count("mementos")
                if related:
                    self._count("related_from_archive")
            if related:
                self._count("related")
                self._keep_top(score, response.url, article.title, relevance, provenance)
        if article is None and is_seed:
            self.seed_status[provenance.seed] = "no article text found"
        feeds = work.feeds if work is not None else []
        links = work.links if work is not None else []
        if memento is not None:
            links = self._unarchived_links(links, memento)
            feeds = []
        requests = list(
            self._follow(response, provenance, related, score, links, self._scored(work))
        )
        if article is not None and self.past.active:
            host = host_key(memento["original_url"] if memento else response.url)
            self.past.host_pages[host] += 1
            if related:
                # A host with related coverage: its archived pages are worth a look.
                self.past.host_related[host] += 1
                requests.extend(
                    self.past.index_requests(host, provenance, int((0.3 + 0.5 * score) * 10_000))
                )
        hop = 0 if related else provenance.hop + 1
        if hop <= self.config.max_hops and not self.budget_spent and memento is None:
            for url in feeds:
                requests.extend(
                    self._listing(url, provenance, response.url, "feed", 0.25 + 0.5 * score)
                )
            requests.extend(self._first_contact(response, provenance, score, feeds))
        item.discovered = len(requests)
        item.outlinks = _outlinks(requests)
        self.traps.record(canonical_url(response.url), related=related, new_links=len(requests))
        yield item
        yield from requests
        mode = self.config.requisites
        if work is not None and (mode == "all" or (mode == "related" and related)):
            yield from self._requisites(work.requisites, provenance, response.url, depth=0)

    def _requisites(
        self, urls: list[str], provenance: Provenance, parent: str, *, depth: int
    ) -> Iterator[Request]:
        """Requests for a page's (or a stylesheet's) requisites not yet fetched in this
        crawl, within the crawl's requisite budget; from any host, politely (robots.txt,
        the host's delay and the address guard apply as to pages)."""
        for url in urls[:DEFAULT_MAX_REQUISITES]:
            key = canonical_url(url)
            if key in self.seen:
                continue
            if self._requisites_queued >= self.config.max_requisites:
                self._count("limit_requisites")
                return
            self.seen.add(key)
            self._requisites_queued += 1
            self._count("requisites_queued")
            child = provenance.child(
                url, parent=parent, channel="requisite", hop=provenance.hop, expected=0.0
            )
            yield Request(
                url,
                callback=self.parse_requisite,
                errback=self.on_error,
                priority=REQUISITE_PRIORITY,
                meta={META_KEY: child, REQUISITE_META: depth, "download_slot": host_key(url)},
            )

    async def parse_requisite(self, response: Response) -> AsyncIterator[PageItem | Request]:
        """A page requisite: archived (with its metadata record), never scored,
        extracted or followed; a stylesheet's own requisites (fonts, images) are
        fetched too, one level deep."""
        if truncation(response.flags) is not None:
            for output in self._truncated(response):
                yield output
            return
        provenance: Provenance = response.meta[META_KEY]
        warc, fetched_at = response.meta.get(WARC_META, (None, ""))
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        self._count("requisites")
        yield PageItem(
            url=response.url,
            status=response.status,
            content_type=content_type,
            fetched_at=fetched_at,
            provenance=provenance,
            warc=warc,
            kind="requisite",
            redirected_from=list(response.meta.get("redirect_urls", [])),
        )
        is_css = "css" in content_type.lower() or urlsplit(response.url).path.endswith(".css")
        if response.status == 200 and is_css and response.meta.get(REQUISITE_META) == 0:
            # In a thread: a hostile stylesheet's scan takes up to half a second.
            found = await asyncio.to_thread(css_requisites, response.body, response.url)
            for request in self._requisites(found, provenance, response.url, depth=1):
                yield request

    def _learn_ignored_params(self, url: str, canonical: str) -> None:
        """Parameters the page's own rel=canonical drops are noise on this site."""
        page, declared = urlsplit(canonical_url(url)), urlsplit(canonical)
        if not page.query or page.netloc != declared.netloc or page.path != declared.path:
            return
        kept = {name for name, _ in parse_qsl(declared.query, keep_blank_values=True)}
        dropped = {n for n, _ in parse_qsl(page.query, keep_blank_values=True)} - kept
        if dropped:
            host = host_key(canonical)
            self._ignored_params[host] = self._ignored_params.get(host, frozenset()) | dropped

    def _keep_top(
        self, score: float, url: str, title: str | None, relevance: Any, provenance: Provenance
    ) -> None:
        entry = {
            "url": url,
            "title": title,
            "score": score,
            "matched_terms": list(relevance.matched_terms),
            "passages": list(relevance.passages),
            "channel": provenance.channel,
            "hop": provenance.hop,
            "parent": provenance.parent,
            "chain": list(provenance.chain),
        }
        heapq.heappush(self._top, (score, url, entry))
        if len(self._top) > _TOP_KEPT:
            heapq.heappop(self._top)

    def _follow(
        self,
        response: Response,
        provenance: Provenance,
        related: bool,
        score: float,
        links: list[PageLink],
        prescored: bool = False,
    ) -> Iterator[Request]:
        """Requests for the best new outlinks of a page, as many as the budget can use.

        The budget is checked before any link is scored, and ``links`` is already
        capped (``max_links_per_page``), so a page with a million links costs no
        more than one with a thousand.
        """
        hop = 0 if related else provenance.hop + 1
        if hop > self.config.max_hops or self.budget_spent:
            return
        scored: list[tuple[float, int, str, PageLink]] = []
        keys: set[str] = set()
        for link in links:
            admitted = self._link_key(link, prescored)
            if admitted is None or admitted[0] in keys:
                continue
            key, link_score = admitted
            keys.add(key)
            expected, priority = link_priority(score, link_score)
            scored.append((expected, priority, key, link))
        room = max(_QUEUE_MIN, _QUEUE_PER_REMAINING * self.budget_left)
        # Most promising first: the engine may take the next request while this
        # page's are still being queued, and it should find the best of them there.
        scored.sort(key=lambda entry: -entry[0])
        if len(scored) > room:
            self._count("links_over_budget", len(scored) - room)
            del scored[room:]
        for expected, priority, url, link in scored:
            self.seen.add(url)
            child = provenance.child(
                url,
                parent=response.url,
                channel="outlink",
                hop=hop,
                expected=expected,
                anchor=link.text,
            )
            self._count("links_queued")
            yield self._request(url, child, priority)

    def _scored(self, work: PageWork | None) -> bool:
        """Whether ``work`` was scored by the crawl's current relevance model."""
        return work is not None and work.scored_by == self._scoring.generation

    def _link_key(self, link: PageLink, prescored: bool) -> tuple[str, float] | None:
        """The URL to fetch for ``link`` and its expected relevance, or None: what
        :meth:`_new_key` and ``score_link`` give, from what the page's analysis
        found of the link where it can be used (the same model, no parameter
        the site drops)."""
        key = link.key
        if link.drop == "not-http":
            return None
        if link.drop == "not-coverage":
            self._count("links_not_coverage")
            return None
        if (
            not prescored
            or key is None
            or link.score is None
            # (host_key only when some site's parameters are dropped: per link, it
            # was 3% of the crawler's CPU)
            or (self._ignored_params and self._ignored_params.get(host_key(key)))
        ):
            found = self._new_key(link.url)
            return None if found is None else (found, self.model.score_link(link.text, found))
        if key in self.seen or key in self._known_articles:
            return None
        if not self.traps.allows(key):
            self._count("trap_links_dropped")
            return None
        return key, link.score

    def on_error(self, failure: Failure) -> list[Request]:
        request = failure.request  # type: ignore[attr-defined]
        provenance: Provenance | None = request.meta.get(META_KEY)
        retry = self._recover_failed(request, provenance, failure)
        if provenance is not None and provenance.channel in ("seed", "known-article"):
            # A seed dropped before it was sent no longer holds budget back.
            self.seeds_pending.discard(provenance.seed)
        if isinstance(failure.value, IgnoreRequest):
            self._count("ignored")
            reason = str(failure.value) or "ignored"
        else:
            self._count("failed")
            error = _first_cause(failure.value)
            if isinstance(error, ResponseHeadersTooLarge):
                self._count("limit_headers_too_large")
            reason = f"{type(error).__name__}: {error}"
            logger.warning("fetch failed: %s (%s)", request.url, reason)
        if provenance is not None and provenance.channel == "seed":
            self.seed_status[provenance.seed] = reason
        return [retry] if retry is not None else []

    def _recover_failed(
        self, request: Request, provenance: Provenance | None, failure: Failure
    ) -> Request | None:
        """The archives' turn when a page's host is gone (no DNS name, no server
        listening), or when an archive failed to answer for a gone page."""
        if not self.past.active or provenance is None:
            return None
        lookup = request.meta.get(ARCHIVE_META)
        if isinstance(lookup, ArchiveLookup) and lookup.provenance is not None:
            following = None
            if not isinstance(failure.value, IgnoreRequest):  # not dropped by the budget
                following = self.past.recover(
                    lookup.original, lookup.provenance, "", archive=lookup.archive + 1
                )
            if following is None:
                self.context.recoveries_pending.discard(lookup.original)
            return following
        if not request.meta.get(EXTRACT_META) or MEMENTO_META in request.meta:
            return None
        why = _gone_because(failure.value)
        return self.past.recover(request.url, provenance, why) if why else None

    # -- results ----------------------------------------------------------------

    def top_related(self, n: int = 10) -> list[dict[str, Any]]:
        """The highest-scoring related articles, best first."""
        return [entry for _, _, entry in sorted(self._top, reverse=True)[:n]]
