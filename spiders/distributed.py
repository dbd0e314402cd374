"""Scale-out: one crawl on many worker processes and machines, coordinated through Redis.

A crawl becomes distributed when its config names a frontier (``extra["frontier"]``,
a ``redis://`` URL). Every worker runs the same coverage spider; what they share
lives in Redis under ``newstrail:<collection>:<crawl-id>:``:

``requests``
    the frontier: scrapy-redis's priority queue (a sorted set scored by request
    priority), so the most promising link of the whole crawl is fetched next.
``inflight:<worker>``
    requests a worker took from the frontier and has not finished (download,
    archive, and every link found on the page queued). Taking a request moves it
    here in one atomic step; a dead worker's entries go back to ``requests``.
``seen``
    canonical URLs already requested, as 8-byte digests in a set (about 64 bytes a
    URL in Redis) or, with ``extra["seen"] = "bloom"``, bits of a Bloom filter
    (about 1.8 bytes a URL at a 0.1 % false-positive rate, fixed up front).
``budget``
    pages requested by all workers together.
``next-fetch``, ``crawl-delay``, ``robots``
    per host: when the crawl may next send it a request, the Crawl-delay of its
    robots.txt, and the robots.txt response itself, fetched once for the crawl.
``workers``, ``alive:<worker>``
    who took part, and who is still alive (a key that expires unless renewed).
``objects``, ``summaries``, ``done``
    what each worker stored (key, size, sha256), its summary, and why the crawl
    ended, once it has.

The spider filters links on canonical URLs before making requests; the check
and the insert there are two steps, so two workers meeting the same link at
once can both admit it. The scheduler's dupefilter settles that: only the worker
whose insert added the URL to ``seen`` queues it.

Requests are stored in Redis as pickles (scrapy-redis's default serializer):
Redis must be reachable only by the crawl's own machines.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import math
import os
import re
import secrets
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import redis
from protego import Protego
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.dupefilters import BaseDupeFilter
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from newstrail.config import CrawlConfig
from newstrail.errors import NewstrailError
from newstrail.frontier import UrlSet
from newstrail.spiders.context import crawl_context
from newstrail.spiders.handler import BoundedHTTPDownloadHandler
from newstrail.urls import canonical_url, host_key

__all__ = [
    "FRONTIER",
    "SEEN",
    "WORKER",
    "WORKER_TIMEOUT",
    "CanonicalDupeFilter",
    "CrawlKeys",
    "DistributedScheduler",
    "HostGate",
    "PoliteDownloadHandler",
    "RedisBloomSet",
    "RedisUrlSet",
    "SeenSet",
    "SharedBudget",
    "SharedRobotsMiddleware",
    "TrackedPriorityQueue",
    "WorkerCoordinator",
    "crawl_done",
    "crawl_keys",
    "distributed_settings",
    "frontier_url",
    "new_worker_name",
    "publish_ledger",
    "redact",
    "redis_client",
    "requeue_worker",
    "seen_set",
    "shared_budget",
    "worker_file",
    "worker_name",
    "worker_tag",
]

#: ``CrawlConfig.extra`` keys of a distributed crawl.
FRONTIER = "frontier"  # redis:// URL of the shared frontier
WORKER = "worker"  # this process's worker name (unique in the crawl)
SEEN = "seen"  # "set" (default) or "bloom"
SEEN_CAPACITY = "seen_capacity"  # URLs the Bloom filter is sized for
WORKER_TIMEOUT = "worker_timeout"  # seconds without a heartbeat before a worker is dead

DEFAULT_WORKER_TIMEOUT = 30.0
DEFAULT_BLOOM_CAPACITY = 10_000_000
BLOOM_ERROR_RATE = 0.001
# How often a worker renews its heartbeat, releases finished requests and looks
# for work other workers queued while it was idle.
TICK = 0.5
# A URL this worker inserted into ``seen`` is queued within moments; an insert
# older than this was not a link (a fetched page's own URL) and is forgotten.
_CLAIM_TTL = 600.0
_ROBOTS_LOCK_SECONDS = 60
_ROBOTS_MAX_BYTES = 512 * 1024
_SHARED_FLAG = "newstrail-shared-robots"


# -- naming ----------------------------------------------------------------------


def frontier_url(config: CrawlConfig) -> str | None:
    """The Redis URL of the crawl's shared frontier, or None for a one-process crawl."""
    url = config.extra.get(FRONTIER)
    return str(url) if url else None


def worker_name(config: CrawlConfig) -> str | None:
    """This worker's name in a distributed crawl, or None."""
    name = config.extra.get(WORKER)
    return str(name) if name else None


def worker_tag(config: CrawlConfig) -> str:
    """``-<worker>`` for a worker of a distributed crawl, ``""`` otherwise.

    Appended to the names of the files a worker stores (WARC, text, index), so
    that workers writing into one crawl folder never overwrite each other.
    """
    name = worker_name(config)
    return f"-{name}" if name else ""


def worker_file(name: str, config: CrawlConfig) -> str:
    """``name`` with the worker tag before its suffix: ``index.cdxj`` -> ``index-<worker>.cdxj``."""
    tag = worker_tag(config)
    for suffix in (".jsonl.gz", ".cdxj", ".warc.gz"):
        if name.endswith(suffix):
            return name[: -len(suffix)] + tag + suffix
    return name + tag


def new_worker_name() -> str:
    """A worker name unique across machines: host, process id and a random suffix."""
    # Letters and digits only, so that a name splits off a file name unambiguously.
    host = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname().split(".")[0])[:24]
    return f"{host or 'host'}-{os.getpid()}-{secrets.token_hex(2)}"


def redact(url: str) -> str:
    """A Redis URL without its password, fit for logs and manifests."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@functools.cache
def redis_client(url: str) -> redis.Redis:
    """One connection pool per Redis URL and process."""
    if urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
        raise NewstrailError(
            f"frontier {redact(url)!r} is not a redis://, rediss:// or unix:// URL"
        )
    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10)


@dataclass(frozen=True)
class CrawlKeys:
    """Names of one crawl's Redis keys."""

    collection: str
    crawl_id: str

    @property
    def prefix(self) -> str:
        return f"newstrail:{self.collection}:{self.crawl_id}:"

    def __call__(self, name: str) -> str:
        return self.prefix + name

    def inflight(self, worker: str) -> str:
        return self(f"inflight:{worker}")

    def alive(self, worker: str) -> str:
        return self(f"alive:{worker}")


#: Which crawls a frontier holds: crawl id -> collection (``newstrail worker --crawl ID``).
CRAWLS_KEY = "newstrail:crawls"


def crawl_keys(config: CrawlConfig) -> CrawlKeys:
    return CrawlKeys(config.collection, config.crawl_id)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _shared(config: CrawlConfig) -> tuple[redis.Redis, CrawlKeys] | None:
    url = frontier_url(config)
    if url is None:
        return None
    return redis_client(url), crawl_keys(config)


# -- the seen-set ----------------------------------------------------------------


class SeenSet(Protocol):
    """Canonical URLs a crawl has requested (what ``CoverageSpider.seen`` needs)."""

    def __contains__(self, url: object) -> bool: ...

    def add(self, url: str) -> None: ...

    def __len__(self) -> int: ...


def _digest(url: str, size: int = 8) -> bytes:
    # The same 8-byte digest as newstrail.frontier.UrlSet.
    return hashlib.blake2b(url.encode("utf-8"), digest_size=size).digest()


class _Claims:
    """URLs this worker was the first to insert into the shared seen-set, briefly."""

    def __init__(self) -> None:
        self._at: dict[bytes, float] = {}

    def record(self, member: bytes) -> None:
        now = time.monotonic()
        self._at.pop(member, None)
        self._at[member] = now
        # Insertion order is age order: drop from the front what is too old.
        while self._at:
            oldest = next(iter(self._at))
            if now - self._at[oldest] < _CLAIM_TTL:
                break
            del self._at[oldest]

    def take(self, member: bytes) -> bool:
        return self._at.pop(member, None) is not None


class RedisUrlSet:
    """The crawl's seen-set as a Redis set of 8-byte URL digests, shared by all workers.

    ``add`` remembers, for a few minutes, the URLs this worker was the first to
    add, so that the dupefilter can tell its own admissions from a race lost to
    another worker (``take_claim``).
    """

    def __init__(self, client: redis.Redis, key: str) -> None:
        self.client = client
        self.key = key
        self._claims = _Claims()

    def __contains__(self, url: object) -> bool:
        if not isinstance(url, str):
            return False
        # redis-py's annotation says str; members are bytes, which it sends as they are.
        return bool(self.client.sismember(self.key, _digest(url)))  # type: ignore[arg-type]

    def add(self, url: str) -> None:
        member = _digest(url)
        if self.client.sadd(self.key, member):
            self._claims.record(member)

    def claim(self, url: str) -> bool:
        """Add ``url``; True if no worker had added it before (one atomic step)."""
        return bool(self.client.sadd(self.key, _digest(url)))

    def take_claim(self, url: str) -> bool:
        """True (once) if this worker's own ``add`` was the one that inserted ``url``."""
        return self._claims.take(_digest(url))

    def __len__(self) -> int:
        return int(self.client.scard(self.key))


# KEYS[1] bitmap; ARGV: bit positions. Sets them all; returns 1 if any was unset
# (the URL is new), so that test and insert are one atomic step across workers.
_BLOOM_ADD = """
local new = 0
for i = 1, #ARGV do
  if redis.call('SETBIT', KEYS[1], ARGV[i], 1) == 0 then new = 1 end
end
return new
"""
_BLOOM_HAS = """
for i = 1, #ARGV do
  if redis.call('GETBIT', KEYS[1], ARGV[i]) == 0 then return 0 end
end
return 1
"""


class RedisBloomSet:
    """The seen-set as a Bloom filter on a plain Redis bitmap (no Redis module needed).

    Sized up front for ``capacity`` URLs at ``error_rate`` false positives: about
    1.8 bytes a URL at 0.1 %, against about 64 for ``RedisUrlSet``. A false
    positive means a new URL is taken for seen and never fetched; past
    ``capacity`` the rate grows. The bitmap is allocated in Redis as high bits
    are first set, so it reaches its full size early in a crawl.
    """

    def __init__(
        self,
        client: redis.Redis,
        key: str,
        capacity: int = DEFAULT_BLOOM_CAPACITY,
        error_rate: float = BLOOM_ERROR_RATE,
    ) -> None:
        if capacity < 1 or not 0 < error_rate < 1:
            raise ValueError("capacity must be positive and error_rate between 0 and 1")
        self.client = client
        self.key = key
        bits = math.ceil(-capacity * math.log(error_rate) / math.log(2) ** 2)
        # A Redis string holds at most 2**32 bits.
        self.bits = min(bits, 2**32)
        self.hashes = max(1, round(self.bits / capacity * math.log(2)))
        self._add = client.register_script(_BLOOM_ADD)
        self._has = client.register_script(_BLOOM_HAS)
        self._claims = _Claims()

    def _positions(self, url: str) -> list[int]:
        digest = _digest(url, 16)
        h1, h2 = int.from_bytes(digest[:8], "big"), int.from_bytes(digest[8:], "big") | 1
        return [(h1 + i * h2) % self.bits for i in range(self.hashes)]

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and bool(self._has(keys=[self.key], args=self._positions(url)))

    def add(self, url: str) -> None:
        if self.claim(url):
            self._claims.record(_digest(url))

    def claim(self, url: str) -> bool:
        return bool(self._add(keys=[self.key], args=self._positions(url)))

    def take_claim(self, url: str) -> bool:
        return self._claims.take(_digest(url))

    def __len__(self) -> int:
        # Estimated from the bits set (Swamidass & Baldi).
        ones = int(self.client.bitcount(self.key))
        if ones >= self.bits:
            return self.bits
        return round(-self.bits / self.hashes * math.log(1 - ones / self.bits))


def seen_set(config: CrawlConfig) -> SeenSet:
    """The spider's seen-set: in this process, or shared in Redis for a distributed crawl."""
    shared = _shared(config)
    if shared is None:
        return UrlSet()
    client, keys = shared
    kind = str(config.extra.get(SEEN, "set"))
    if kind == "bloom":
        capacity = int(config.extra.get(SEEN_CAPACITY, DEFAULT_BLOOM_CAPACITY))
        return RedisBloomSet(client, keys("seen"), capacity)
    if kind != "set":
        raise NewstrailError(f"unknown seen-set kind {kind!r}: use 'set' or 'bloom'")
    return RedisUrlSet(client, keys("seen"))


# -- the budget ------------------------------------------------------------------


class SharedBudget:
    """The page budget of a crawl, counted across all its workers (a Redis counter)."""

    def __init__(self, client: redis.Redis, key: str, budget: int) -> None:
        self.client = client
        self.key = key
        self.budget = budget

    def take(self) -> bool:
        """Count one page request; False (and not sent) once the budget is spent."""
        return int(self.client.incr(self.key)) <= self.budget

    @property
    def used(self) -> int:
        value = self.client.get(self.key)
        return min(int(value), self.budget) if value is not None else 0

    @property
    def spent(self) -> bool:
        return self.used >= self.budget


def shared_budget(config: CrawlConfig) -> SharedBudget | None:
    """The crawl's shared budget counter, or None for a one-process crawl."""
    shared = _shared(config)
    if shared is None:
        return None
    client, keys = shared
    return SharedBudget(client, keys("budget"), config.budget)


# -- the frontier: scrapy-redis scheduler, with in-flight tracking ------------------

# KEYS[1] frontier (sorted set), KEYS[2] this worker's in-flight hash. Takes the
# best request and records it as in flight in one step, so that a request is at
# every moment either in the frontier or held by exactly one worker.
_TAKE = """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
redis.call('ZREM', KEYS[1], top[1])
local field = redis.sha1hex(top[1])
redis.call('HSET', KEYS[2], field, top[2] .. ' ' .. top[1])
return {field, top[1]}
"""

# KEYS[1] a worker's in-flight hash, KEYS[2] frontier: give its requests back.
_REQUEUE = """
local held = redis.call('HGETALL', KEYS[1])
for i = 2, #held, 2 do
  local entry = held[i]
  local space = string.find(entry, ' ', 1, true)
  redis.call('ZADD', KEYS[2], string.sub(entry, 1, space - 1), string.sub(entry, space + 1))
end
redis.call('DEL', KEYS[1])
return #held / 2
"""

# KEYS[1] frontier, KEYS[2] workers set, KEYS[3] done; ARGV[1] in-flight key prefix.
# The crawl is over when nothing is queued and no worker holds a request: only a
# held request can produce new ones. Checked atomically, so no request can move
# between frontier and a worker while it is looked at.
_DONE = """
local reason = redis.call('GET', KEYS[3])
if reason then return reason end
if redis.call('ZCARD', KEYS[1]) > 0 then return false end
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('HLEN', ARGV[1] .. worker) > 0 then return false end
end
redis.call('SET', KEYS[3], 'finished')
return 'finished'
"""


def requeue_worker(client: redis.Redis, keys: CrawlKeys, worker: str) -> int:
    """Put a (dead or stopping) worker's in-flight requests back into the frontier."""
    script = client.register_script(_REQUEUE)
    return int(script(keys=[keys.inflight(worker), keys("requests")]))


def crawl_done(client: redis.Redis, keys: CrawlKeys) -> str | None:
    """Why the crawl ended (``finished``, ``budget_spent``), or None while it goes on."""
    script = client.register_script(_DONE)
    reason = script(
        keys=[keys("requests"), keys("workers"), keys("done")], args=[keys("inflight:")]
    )
    return reason.decode() if isinstance(reason, bytes) else None


class TrackedPriorityQueue(PriorityQueue):  # type: ignore[misc]
    """scrapy-redis's priority queue whose pop records the request as this worker's."""

    def __init__(self, server: redis.Redis, spider: Spider, key: str, serializer: Any = None):
        super().__init__(server, spider, key, serializer)
        config: CrawlConfig = spider.crawler.settings["NEWSTRAIL_CONFIG"]
        worker = worker_name(config)
        if worker is None:
            raise NewstrailError("a distributed crawl needs a worker name")
        self.inflight_key = crawl_keys(config).inflight(worker)
        self._take = server.register_script(_TAKE)
        #: In-flight field -> the Request object handed to the engine.
        self.held: dict[bytes, Request] = {}

    def pop(self, timeout: int = 0) -> Request | None:
        found = self._take(keys=[self.key, self.inflight_key])
        if not found:
            return None
        field, data = found
        request: Request = self._decode_request(data)
        self.held[field] = request
        return request

    def release(self, finished: Iterable[bytes]) -> None:
        fields = list(finished)
        for field in fields:
            self.held.pop(field, None)
        if fields:
            self.server.hdel(self.inflight_key, *fields)


class DistributedScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis's scheduler that stops handing out requests once the budget is spent.

    The queue outlives every worker (``SCHEDULER_PERSIST``); the crawl's
    coordinator deletes it when the crawl is finished.
    """

    df: Any
    queue: TrackedPriorityQueue

    # open, enqueue_request and next_request are scrapy-redis's, less the calls
    # that current Scrapy deprecates (Spider.log, a spider argument to stats).

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.queue = TrackedPriorityQueue(
            self.server, spider, self.queue_key % {"spider": spider.name}, self.serializer
        )
        if not self.df:
            self.df = CanonicalDupeFilter.from_spider(spider)
        self.budget = shared_budget(spider.crawler.settings["NEWSTRAIL_CONFIG"])
        if len(self.queue):
            spider.logger.info("joining a crawl with %d requests queued", len(self.queue))

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            return False
        self.queue.push(request)
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def _budget_spent(self) -> bool:
        return self.budget is not None and self.budget.spent

    def next_request(self) -> Request | None:
        if self._budget_spent():
            return None
        request: Request | None = self.queue.pop()
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return not self._budget_spent() and len(self) > 0

    def release_finished(self, in_progress: set[Request]) -> int:
        """Drop from this worker's in-flight hash the requests the engine is done with."""
        queue: TrackedPriorityQueue = self.queue
        finished = [field for field, req in queue.held.items() if req not in in_progress]
        queue.release(finished)
        return len(finished)


class CanonicalDupeFilter(BaseDupeFilter):
    """The scheduler's dupefilter in a distributed crawl, keyed on canonical URLs.

    The spider admits a link after checking the shared seen-set and inserting
    into it; only the worker whose insert added the URL may queue it. Redirects
    (made by the redirect middleware, not admitted by the spider) claim their
    target here.
    """

    def __init__(self, spider: Spider) -> None:
        super().__init__()
        self.spider = spider

    @classmethod
    def from_spider(cls, spider: Spider) -> CanonicalDupeFilter:
        return cls(spider)

    def request_seen(self, request: Request) -> bool:
        seen = getattr(self.spider, "seen", None)
        if not isinstance(seen, RedisUrlSet | RedisBloomSet):
            return False
        key = canonical_url(request.url)
        if "redirect_urls" not in request.meta and seen.take_claim(key):
            return False
        if seen.claim(key):
            return False
        stats = self.spider.crawler.stats
        assert stats is not None
        stats.inc_value("newstrail/duplicate_across_workers")
        return True

    def clear(self) -> None:
        """The seen-set belongs to the crawl, not to one worker's scheduler."""

    def log(self, request: Request, spider: Spider) -> None:
        pass


# -- politeness across workers -----------------------------------------------------

# KEYS[1] next-fetch hash, KEYS[2] crawl-delay hash; ARGV[1] host, ARGV[2] delay.
# On Redis's clock (one clock for all machines): if the host may be sent a request
# now, books the next allowed time and returns 0; otherwise returns how long
# until it may. Asked right before sending, never ahead of time, so a worker
# whose event loop was busy cannot send in a slot another worker has since used.
_TRY_SEND = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local delay = tonumber(ARGV[2])
local asked = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if asked > delay then delay = asked end
local at = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if at > now then return string.format('%.6f', at - now) end
redis.call('HSET', KEYS[1], ARGV[1], string.format('%.6f', now + delay))
return '0'
"""


class HostGate:
    """Per-host send times shared by all workers: one request per ``delay`` per host.

    The delay is the larger of the crawl's and the host's robots.txt Crawl-delay.
    """

    def __init__(self, client: redis.Redis, keys: CrawlKeys, delay: float) -> None:
        self.keys = keys
        self.delay = delay
        self._try = client.register_script(_TRY_SEND)

    def try_send(self, host: str) -> float:
        """0 if a request may go to ``host`` now (and the slot is taken), else seconds to wait."""
        wait = self._try(
            keys=[self.keys("next-fetch"), self.keys("crawl-delay")],
            args=[host, f"{self.delay:.6f}"],
        )
        return max(0.0, float(wait))

    async def wait_turn(self, host: str) -> float:
        """Wait until ``host`` may be sent a request, and take that turn; seconds waited."""
        started = time.monotonic()
        while (wait := self.try_send(host)) > 0:
            await asyncio.sleep(wait)
        return time.monotonic() - started


class PoliteDownloadHandler(BoundedHTTPDownloadHandler):
    """Scrapy's HTTP handler, taking the host's turn across all workers first.

    The turn is taken right before the network, after Scrapy's own per-host slot
    has let the request through, so that the time booked is the time sent.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        config: CrawlConfig = crawler.settings["NEWSTRAIL_CONFIG"]
        shared = _shared(config)
        if shared is None:
            raise NotConfigured("not a distributed crawl")
        self.gate = HostGate(shared[0], shared[1], config.download_delay)
        self.stats = crawler.stats

    async def download_request(self, request: Request) -> Response:
        waited = await self.gate.wait_turn(host_key(request.url))
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

    def __init__(self, crawler: Crawler, client: redis.Redis, keys: CrawlKeys) -> None:
        self.crawler = crawler
        self.client = client
        self.keys = keys
        config: CrawlConfig = crawler.settings["NEWSTRAIL_CONFIG"]
        self.user_agent = config.user_agent
        self.worker = worker_name(config) or ""
        self.timeout = float(crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 30)) + 5

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedRobotsMiddleware:
        shared = _shared(crawler.settings["NEWSTRAIL_CONFIG"])
        if shared is None:
            raise NotConfigured("not a distributed crawl")
        return cls(crawler, *shared)

    def _cached(self, host: str, request: Request) -> Response | None:
        raw = self.client.hget(self.keys("robots"), host)
        if raw is None:
            return None
        raw = raw if isinstance(raw, bytes) else raw.encode("latin-1")
        status, _, body = raw.partition(b"\n")
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("newstrail/robots_shared")
        context = crawl_context(self.crawler)
        if context is not None and int(status) == 200:
            try:
                sitemaps = list(Protego.parse(body.decode("utf-8", "replace")).sitemaps)
            except Exception:  # a malformed robots.txt is treated as absent, as Scrapy does
                sitemaps = []
            context.robots_seen(host, request.url[: -len("robots.txt")], sitemaps)
        return Response(
            request.url, status=int(status), body=body, request=request, flags=[_SHARED_FLAG]
        )

    async def process_request(self, request: Request) -> Response | None:
        if not _is_robots(request):
            return None
        host = host_key(request.url)
        lock = self.keys(f"robots-lock:{host}")
        deadline = time.monotonic() + self.timeout
        while True:
            cached = self._cached(host, request)
            if cached is not None:
                return cached
            if self.client.set(lock, self.worker, nx=True, ex=_ROBOTS_LOCK_SECONDS):
                return None  # this worker fetches it
            holder = self.client.get(lock)
            if holder is not None and not self.client.exists(self.keys.alive(_text(holder))):
                # The fetching worker died: whoever comes next fetches it.
                self.client.delete(lock)
                continue
            if time.monotonic() > deadline:
                return None  # still nothing: fetch it here too
            await asyncio.sleep(0.05)

    def process_response(self, request: Request, response: Response) -> Response:
        if not _is_robots(request) or _SHARED_FLAG in response.flags:
            return response
        host = host_key(request.url)
        if response.status == 200:
            try:
                robots = Protego.parse(response.body.decode("utf-8", "replace"))
                delay = robots.crawl_delay(self.user_agent)
            except Exception:
                delay = None
            if delay:
                self.client.hset(self.keys("crawl-delay"), host, f"{float(delay):.6f}")
        if response.status < 500:
            body = response.body[:_ROBOTS_MAX_BYTES]
            entry = str(response.status).encode() + b"\n" + body
            self.client.hset(self.keys("robots"), host, entry)
        self.client.delete(self.keys(f"robots-lock:{host}"))
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        if _is_robots(request):
            # Let another worker try (Scrapy treats an unreachable robots.txt as allow-all).
            self.client.delete(self.keys(f"robots-lock:{host_key(request.url)}"))


# -- the worker's life: heartbeat, dead workers, the end of the crawl ----------------


def publish_ledger(
    client: redis.Redis, keys: CrawlKeys, entries: Iterable[Mapping[str, Any]]
) -> None:
    """Record stored objects (key relative to the crawl, size, sha256) for the manifest."""
    with client.pipeline() as pipe:
        for e in entries:
            value = json.dumps({"size": e["size"], "sha256": e["sha256"]})
            pipe.hset(keys("objects"), str(e["key"]), value)
        pipe.execute()


class WorkerCoordinator:
    """Keeps a worker in step with the others (a Scrapy extension, distributed crawls only).

    Every ``TICK`` seconds it renews the worker's heartbeat, releases the
    requests the engine has finished, gives the requests of dead workers back to
    the frontier and wakes the engine to look for work queued by others. When
    the engine is idle, it lets the spider close only when the whole crawl is
    over: nothing queued and nothing held by any worker, or the budget spent.
    """

    def __init__(self, crawler: Crawler, config: CrawlConfig) -> None:
        shared = _shared(config)
        worker = worker_name(config)
        if shared is None or worker is None:
            raise NotConfigured("not a distributed crawl")
        self.crawler = crawler
        self.config = config
        self.client, self.keys = shared
        self.worker = worker
        self.timeout = float(config.extra.get(WORKER_TIMEOUT, DEFAULT_WORKER_TIMEOUT))
        self.budget = shared_budget(config)
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerCoordinator:
        ext = cls(crawler, crawler.settings["NEWSTRAIL_CONFIG"])
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def _beat(self) -> None:
        with self.client.pipeline() as pipe:
            pipe.sadd(self.keys("workers"), self.worker)
            pipe.set(self.keys.alive(self.worker), b"1", px=int(self.timeout * 1000))
            pipe.execute()

    def spider_opened(self, spider: Spider) -> None:
        self._beat()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(TICK, now=False)

    def _scheduler(self) -> DistributedScheduler | None:
        engine = self.crawler.engine
        scheduler = engine.scheduler if engine is not None else None
        return scheduler if isinstance(scheduler, DistributedScheduler) else None

    def _release(self) -> None:
        scheduler = self._scheduler()
        engine = self.crawler.engine
        if scheduler is None or engine is None:
            return
        # A request leaves the engine's in-progress set only once it is downloaded,
        # archived and its callback's requests are queued: then it is finished.
        slot = engine._slot
        scheduler.release_finished(slot.inprogress if slot is not None else set())

    def recover_dead(self) -> int:
        """Give the in-flight requests of workers whose heartbeat stopped back to the frontier."""
        workers = [_text(w) for w in self.client.smembers(self.keys("workers"))]
        others = [w for w in workers if w != self.worker]
        if not others:
            return 0
        with self.client.pipeline() as pipe:
            for w in others:
                pipe.exists(self.keys.alive(w))
                pipe.hlen(self.keys.inflight(w))
            answers = pipe.execute()
        moved = 0
        for i, w in enumerate(others):
            alive, held = answers[2 * i], answers[2 * i + 1]
            if not alive and held:
                moved += requeue_worker(self.client, self.keys, w)
        if moved:
            stats = self.crawler.stats
            assert stats is not None
            stats.inc_value("newstrail/requeued_from_dead_workers", moved)
        return moved

    def tick(self) -> None:
        try:
            self._beat()
            self._release()
            self.recover_dead()
        except redis.RedisError as exc:
            # A Redis restart or a network blip: keep going, the next tick retries.
            self.crawler.spider.logger.warning("frontier unreachable: %s", exc)  # type: ignore[union-attr]
            return
        engine = self.crawler.engine
        slot = engine._slot if engine is not None else None
        if slot is not None:
            # Work queued by other workers while this one was idle: look now rather
            # than at the engine's next 5-second heartbeat.
            slot.nextcall.schedule()

    def spider_idle(self, spider: Spider) -> None:
        self._release()
        self.recover_dead()
        if self.budget is not None and self.budget.spent:
            self.client.set(self.keys("done"), b"budget_spent", nx=True)
            return
        if crawl_done(self.client, self.keys) is None:
            raise DontCloseSpider

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        scheduler = self._scheduler()
        if scheduler is not None:
            # Anything still held (a shutdown mid-crawl) goes back for the others.
            scheduler.release_finished(set())
        requeue_worker(self.client, self.keys, self.worker)
        self.client.delete(self.keys.alive(self.worker))


# -- settings ----------------------------------------------------------------------


def distributed_settings(config: CrawlConfig, settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` (a one-process crawl's) turned into those of one worker of a shared crawl."""
    url = frontier_url(config)
    if url is None:
        return settings
    if worker_name(config) is None:
        raise NewstrailError("a distributed crawl needs a worker name")
    keys = crawl_keys(config)
    out = dict(settings)
    # The frontier lives in Redis, not in a local JOBDIR.
    out.pop("JOBDIR", None)
    out.update(
        {
            "SCHEDULER": "newstrail.spiders.distributed.DistributedScheduler",
            "SCHEDULER_QUEUE_KEY": keys("requests"),
            "SCHEDULER_DUPEFILTER_KEY": keys("dupefilter"),
            "DUPEFILTER_CLASS": "newstrail.spiders.distributed.CanonicalDupeFilter",
            # Without this the first worker to finish would empty the shared queue.
            "SCHEDULER_PERSIST": True,
            "REDIS_URL": url,
            # The per-host delay is kept across workers by PoliteDownloadHandler;
            # a local delay or AutoThrottle on top would shift sends away from the
            # times booked in Redis.
            "DOWNLOAD_DELAY": 0.0,
            "DOWNLOAD_DELAY_JITTER": 0.0,
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_HANDLERS": {
                "http": "newstrail.spiders.distributed.PoliteDownloadHandler",
                "https": "newstrail.spiders.distributed.PoliteDownloadHandler",
            },
            "DOWNLOADER_MIDDLEWARES": {
                # (newstrail.spiders.politeness.RobotsTxtMiddleware comes with the base settings.)
                **settings.get("DOWNLOADER_MIDDLEWARES", {}),
                # After the budget (110): a robots.txt request carries no page budget.
                "newstrail.spiders.distributed.SharedRobotsMiddleware": 115,
            },
            "EXTENSIONS": {
                **settings.get("EXTENSIONS", {}),
                # After the archiver (100), so its files are stored when this one closes.
                "newstrail.spiders.distributed.WorkerCoordinator": 120,
            },
        }
    )
    return out
