"""A distributed crawl's shared state in Redis: every key and every script, in one class.

What the workers of one crawl share lives under ``newstrail:<collection>:<crawl-id>:``
(as browsertrix-crawler keeps its crawl state in one ``state.ts``):

``requests``
    the frontier: a sorted set of pickled requests scored by their priority
    (scrapy-redis's priority queue), so the most promising link of the whole
    crawl is fetched next.
``seen``
    canonical URLs ever queued, as 8-byte digests in a set (about 64 bytes a URL
    in Redis) or, with ``seen="bloom"``, bits of a Bloom filter (about 1.8 bytes a
    URL at a 0.1 % false-positive rate, fixed up front). A link is added to it and
    queued in one atomic step (:meth:`CrawlState.queue_if_new`): of the workers
    meeting a link, exactly one queues it, and none can die between the two.
``inflight:<worker>``
    requests a worker took from the frontier and has not finished. Taking a request
    moves it here in one atomic step; a dead worker's entries go back to ``requests``.
``budget``
    pages requested by all workers together.
``next-fetch``, ``crawl-delay``, ``robots``, ``robots-lock:<host>``
    per host: when the crawl may next send it a request (on Redis's clock), the
    Crawl-delay of its robots.txt, and the robots.txt response itself, fetched once
    for the crawl by the worker holding the lock.
``workers``, ``alive:<worker>``, ``supervisor:<worker>``
    who took part; who is alive (a key that expires unless the crawler renews it);
    whose watching process is alive.
``config``, ``objects``, ``summaries``, ``done``
    the crawl's configuration (for workers joining from elsewhere), what each
    worker stored (key, size, sha256), its summary, and why the crawl ended.

``newstrail:crawls`` maps each open crawl's id to its collection.

Requests are stored as pickles (scrapy-redis's serializer): Redis must be reachable
only by the crawl's own machines. This module imports no Scrapy.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import re
import secrets
import socket
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis

from newstrail.config import SEEN, SEEN_CAPACITY, CrawlConfig
from newstrail.errors import NewstrailError

__all__ = [
    "CRAWLS_KEY",
    "CrawlState",
    "new_worker_name",
    "redact",
    "redis_client",
]

#: Which crawls a frontier holds: crawl id -> collection (``newstrail worker --crawl ID``).
CRAWLS_KEY = "newstrail:crawls"
DEFAULT_BLOOM_CAPACITY = 10_000_000
BLOOM_ERROR_RATE = 0.001
ROBOTS_LOCK_SECONDS = 60
ROBOTS_MAX_BYTES = 512 * 1024


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


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def url_digest(url: str, size: int = 8) -> bytes:
    """The seen-set's member for a canonical URL (the same digest as ``frontier.UrlSet``)."""
    return hashlib.blake2b(url.encode("utf-8"), digest_size=size).digest()


# KEYS[1] seen set, KEYS[2] frontier; ARGV[1] URL digest, ARGV[2] score, ARGV[3] request.
_QUEUE_IF_NEW_SET = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# KEYS[1] Bloom bitmap, KEYS[2] frontier; ARGV[1] score, ARGV[2] request, ARGV[3..] bits.
# New when any of its bits was unset.
_QUEUE_IF_NEW_BLOOM = """
local new = 0
for i = 3, #ARGV do
  if redis.call('SETBIT', KEYS[1], ARGV[i], 1) == 0 then new = 1 end
end
if new == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
return 1
"""

_BLOOM_HAS = """
for i = 1, #ARGV do
  if redis.call('GETBIT', KEYS[1], ARGV[i]) == 0 then return 0 end
end
return 1
"""

# KEYS[1] frontier, KEYS[2] a worker's in-flight hash. Takes the best request and
# records it as in flight in one step, so that a request is at every moment
# either in the frontier or held by exactly one worker.
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

# KEYS[1] next-fetch hash, KEYS[2] crawl-delay hash; ARGV[1] host, ARGV[2] delay,
# ARGV[3] "take" or "sent". On Redis's clock (one clock for all machines), the
# delay being the larger of ARGV[2] and the host's Crawl-delay.
# "take": if the host may be sent a request now, books the next allowed time and
# returns 0; otherwise returns how long until it may. Asked right before sending,
# never ahead of time, so a worker whose event loop was busy cannot send in a slot
# another worker has since used.
# "sent": the request's bytes were just written to the connection: the host's next
# turn is at least the delay from now. A worker's event loop may be busy between
# taking its turn and sending (a connection to open, a page analysed in process),
# and the next worker's turn, booked from the taking, would come early.
_TURN = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local delay = tonumber(ARGV[2])
local asked = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if asked > delay then delay = asked end
local at = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if ARGV[3] == 'take' and at > now then return string.format('%.6f', at - now) end
if now + delay > at then
  redis.call('HSET', KEYS[1], ARGV[1], string.format('%.6f', now + delay))
end
return '0'
"""


# KEYS[1] robots hash, KEYS[2] the host's lock; ARGV[1] host, ARGV[2] worker,
# ARGV[3] lock seconds. The lock is taken only while no copy is shared: checked in
# the same step, since a worker that found no copy a moment ago may otherwise take
# the lock just after its holder shared the copy and let it go, and fetch again.
_LOCK_ROBOTS = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'EX', ARGV[3]) then return 1 end
return 0
"""


class _Bloom:
    """Bit positions of a Bloom filter sized for ``capacity`` URLs at ``error_rate``."""

    def __init__(self, capacity: int, error_rate: float) -> None:
        if capacity < 1 or not 0 < error_rate < 1:
            raise ValueError("capacity must be positive and error_rate between 0 and 1")
        bits = math.ceil(-capacity * math.log(error_rate) / math.log(2) ** 2)
        # A Redis string holds at most 2**32 bits.
        self.bits = min(bits, 2**32)
        self.hashes = max(1, round(self.bits / capacity * math.log(2)))

    def positions(self, url: str) -> list[int]:
        digest = url_digest(url, 16)
        h1, h2 = int.from_bytes(digest[:8], "big"), int.from_bytes(digest[8:], "big") | 1
        return [(h1 + i * h2) % self.bits for i in range(self.hashes)]


class CrawlState:
    """One distributed crawl's state in Redis, seen from one process.

    ``seen`` is ``"set"`` or ``"bloom"`` (see the module's documentation). The
    Bloom filter is sized up front for ``seen_capacity`` URLs; past it, the
    false-positive rate grows, and a false positive is a new URL never fetched.
    """

    def __init__(
        self,
        client: redis.Redis,
        collection: str,
        crawl_id: str,
        *,
        seen: str = "set",
        seen_capacity: int = DEFAULT_BLOOM_CAPACITY,
    ) -> None:
        if seen not in {"set", "bloom"}:
            raise NewstrailError(f"unknown seen-set kind {seen!r}: use 'set' or 'bloom'")
        self.client = client
        self.collection = collection
        self.crawl_id = crawl_id
        self.prefix = f"newstrail:{collection}:{crawl_id}:"
        self._bloom = _Bloom(seen_capacity, BLOOM_ERROR_RATE) if seen == "bloom" else None
        script = client.register_script
        self._queue_if_new = script(_QUEUE_IF_NEW_BLOOM if self._bloom else _QUEUE_IF_NEW_SET)
        self._bloom_has = script(_BLOOM_HAS)
        self._take = script(_TAKE)
        self._requeue = script(_REQUEUE)
        self._done = script(_DONE)
        self._turn = script(_TURN)
        self._lock_robots = script(_LOCK_ROBOTS)

    @classmethod
    def of(cls, config: CrawlConfig) -> CrawlState:
        """The state of ``config``'s crawl, in its frontier (which must answer)."""
        url = config.frontier
        if url is None:
            raise NewstrailError("not a distributed crawl: no frontier")
        client = redis_client(url)
        try:
            client.ping()
        except redis.RedisError as exc:
            raise NewstrailError(f"cannot reach the frontier at {redact(url)}: {exc}") from None
        capacity = int(config.extra.get(SEEN_CAPACITY, DEFAULT_BLOOM_CAPACITY))
        return cls(
            client,
            config.collection,
            config.crawl_id,
            seen=str(config.extra.get(SEEN, "set")),
            seen_capacity=capacity,
        )

    def key(self, name: str) -> str:
        return self.prefix + name

    def _inflight(self, worker: str) -> str:
        return self.key(f"inflight:{worker}")

    def _alive(self, worker: str) -> str:
        return self.key(f"alive:{worker}")

    # -- opening and finding a crawl ------------------------------------------------

    def open(self, config: Mapping[str, Any]) -> bool:
        """Publish the crawl (its configuration); False if it exists already."""
        if not self.client.set(self.key("config"), json.dumps(config), nx=True):
            return False
        self.client.hset(CRAWLS_KEY, self.crawl_id, self.collection)
        return True

    @staticmethod
    def published_config(client: redis.Redis, crawl_id: str, collection: str = "") -> Any:
        """A crawl's published configuration (JSON-decoded), or None."""
        if not collection:
            found = client.hget(CRAWLS_KEY, crawl_id)
            collection = _text(found) if found is not None else ""
        if not collection:
            return None
        raw = client.get(f"newstrail:{collection}:{crawl_id}:config")
        return json.loads(raw) if raw is not None else None

    def forget(self) -> None:
        """Delete every key of the crawl (once it is merged)."""
        pattern = self.prefix.replace("*", r"\*") + "*"
        names = list(self.client.scan_iter(match=pattern, count=1000))
        for start in range(0, len(names), 500):
            self.client.delete(*names[start : start + 500])
        self.client.hdel(CRAWLS_KEY, self.crawl_id)

    # -- the frontier --------------------------------------------------------------

    def queue_if_new(self, url: str, score: float, request: bytes) -> bool:
        """Queue ``request`` (for the canonical ``url``) unless a worker ever queued
        the URL: the seen-set insert and the queueing are one atomic step."""
        keys = [self.key("seen"), self.key("requests")]
        if self._bloom is None:
            args: list[Any] = [url_digest(url), score, request]
        else:
            args = [score, request, *self._bloom.positions(url)]
        return bool(self._queue_if_new(keys=keys, args=args))

    def queue(self, score: float, request: bytes) -> None:
        """Queue ``request`` whether or not its URL was seen (a retry)."""
        self.client.zadd(self.key("requests"), {request: score})

    def seen(self, url: str) -> bool:
        """Whether ``url`` was ever queued (with a Bloom filter: may say yes wrongly)."""
        if self._bloom is None:
            # redis-py's annotation says str; members are bytes, sent as they are.
            return bool(self.client.sismember(self.key("seen"), url_digest(url)))  # type: ignore[arg-type]
        return bool(self._bloom_has(keys=[self.key("seen")], args=self._bloom.positions(url)))

    def seen_count(self) -> int:
        """URLs ever queued (estimated from the bits set, for a Bloom filter)."""
        if self._bloom is None:
            return int(self.client.scard(self.key("seen")))
        bits, hashes = self._bloom.bits, self._bloom.hashes
        ones = int(self.client.bitcount(self.key("seen")))
        if ones >= bits:
            return bits
        # Swamidass & Baldi.
        return round(-bits / hashes * math.log(1 - ones / bits))

    @property
    def bloom_bytes(self) -> int | None:
        """The size of the Bloom filter (allocated as it fills), or None for a set."""
        return None if self._bloom is None else self._bloom.bits // 8

    def queued(self) -> int:
        return int(self.client.zcard(self.key("requests")))

    def take(self, worker: str) -> tuple[bytes, bytes] | None:
        """The best queued request, now held by ``worker``: (in-flight field, request)."""
        found = self._take(keys=[self.key("requests"), self._inflight(worker)])
        if not found:
            return None
        field, data = found
        return bytes(field), bytes(data)

    def release(self, worker: str, fields: Iterable[bytes]) -> None:
        """``worker`` is done with these requests (downloaded, archived, links queued)."""
        names = list(fields)
        if names:
            self.client.hdel(self._inflight(worker), *names)

    def requeue(self, worker: str) -> int:
        """Put a (dead or stopping) worker's in-flight requests back into the frontier."""
        return int(self._requeue(keys=[self._inflight(worker), self.key("requests")]))

    # -- the budget ----------------------------------------------------------------

    def take_page(self, budget: int) -> bool:
        """Count one page request; False (and it is not sent) once ``budget`` is spent."""
        return int(self.client.incr(self.key("budget"))) <= budget

    def pages_used(self, budget: int) -> int:
        value = self.client.get(self.key("budget"))
        return min(int(value), budget) if value is not None else 0

    # -- politeness ----------------------------------------------------------------

    def try_send(self, host: str, delay: float) -> float:
        """0 if a request may go to ``host`` now (and the turn is taken), else seconds
        to wait. The delay is the larger of ``delay`` and the host's Crawl-delay."""
        return max(0.0, float(self._turn_for(host, delay, "take")))

    def sent(self, host: str, delay: float) -> None:
        """A request has just left for ``host``: its next turn is at least the delay
        (or the host's Crawl-delay) from now."""
        self._turn_for(host, delay, "sent")

    def _turn_for(self, host: str, delay: float, step: str) -> Any:
        keys = [self.key("next-fetch"), self.key("crawl-delay")]
        return self._turn(keys=keys, args=[host, f"{delay:.6f}", step])

    def robots(self, host: str) -> tuple[int, bytes] | None:
        """The crawl's copy of ``host``'s robots.txt response: (status, body), or None."""
        raw = self.client.hget(self.key("robots"), host)
        if raw is None:
            return None
        raw = raw if isinstance(raw, bytes) else raw.encode("latin-1")
        status, _, body = raw.partition(b"\n")
        return int(status), body

    def lock_robots(self, host: str, worker: str) -> bool:
        """True if ``worker`` is now the one to fetch ``host``'s robots.txt: nobody
        else holds the lock and no copy is shared yet. A lock held by a dead worker
        is broken (and the next caller may take it)."""
        lock = self.key(f"robots-lock:{host}")
        keys = [self.key("robots"), lock]
        if self._lock_robots(keys=keys, args=[host, worker, ROBOTS_LOCK_SECONDS]):
            return True
        holder = self.client.get(lock)
        if holder is not None and not self.client.exists(self._alive(_text(holder))):
            self.client.delete(lock)
        return False

    def unlock_robots(self, host: str) -> None:
        self.client.delete(self.key(f"robots-lock:{host}"))

    def share_robots(self, host: str, status: int, body: bytes, crawl_delay: float | None) -> None:
        """Keep ``host``'s robots.txt (up to 512 KiB) and its Crawl-delay for the crawl."""
        with self.client.pipeline() as pipe:
            if crawl_delay:
                pipe.hset(self.key("crawl-delay"), host, f"{crawl_delay:.6f}")
            pipe.hset(
                self.key("robots"), host, str(status).encode() + b"\n" + body[:ROBOTS_MAX_BYTES]
            )
            pipe.delete(self.key(f"robots-lock:{host}"))
            pipe.execute()

    # -- workers -------------------------------------------------------------------

    def beat(self, worker: str, timeout: float) -> None:
        """``worker``'s crawler is alive for ``timeout`` more seconds."""
        with self.client.pipeline() as pipe:
            pipe.sadd(self.key("workers"), worker)
            pipe.set(self._alive(worker), b"1", px=int(timeout * 1000))
            pipe.execute()

    def gone(self, worker: str) -> None:
        """``worker``'s crawler has ended."""
        self.client.delete(self._alive(worker))

    def supervise(self, worker: str, timeout: float) -> None:
        """``worker``'s watching process is alive for ``timeout`` more seconds."""
        with self.client.pipeline() as pipe:
            pipe.sadd(self.key("workers"), worker)
            pipe.set(self.key(f"supervisor:{worker}"), b"1", px=int(timeout * 1000))
            pipe.execute()

    def unsupervise(self, worker: str) -> None:
        self.client.delete(self.key(f"supervisor:{worker}"))

    def workers(self) -> list[str]:
        return sorted(_text(w) for w in self.client.smembers(self.key("workers")))

    def recover_dead(self, worker: str) -> int:
        """Give the in-flight requests of the other workers whose crawler stopped
        beating back to the frontier; how many."""
        others = [w for w in self.workers() if w != worker]
        if not others:
            return 0
        with self.client.pipeline() as pipe:
            for w in others:
                pipe.exists(self._alive(w))
                pipe.hlen(self._inflight(w))
            answers = pipe.execute()
        moved = 0
        for i, w in enumerate(others):
            alive, held = answers[2 * i], answers[2 * i + 1]
            if not alive and held:
                moved += self.requeue(w)
        return moved

    def unaccounted(self) -> list[str]:
        """Workers with no summary yet whose crawler or watcher is still alive."""
        workers = self.workers()
        summaries = {_text(w) for w in self.client.hkeys(self.key("summaries"))}
        waiting = [w for w in workers if w not in summaries]
        with self.client.pipeline() as pipe:
            for w in waiting:
                pipe.exists(self._alive(w), self.key(f"supervisor:{w}"))
            answers = pipe.execute()
        return [w for w, alive in zip(waiting, answers, strict=True) if alive]

    # -- the end -------------------------------------------------------------------

    def done(self) -> str | None:
        """Why the crawl ended (``finished``, ``budget_spent``), or None while it goes on.

        Decides ``finished`` when nothing is queued and no worker holds a request."""
        reason = self._done(
            keys=[self.key("requests"), self.key("workers"), self.key("done")],
            args=[self.key("inflight:")],
        )
        return _text(reason) if reason else None

    def ended(self) -> str | None:
        """Why the crawl ended, if it has (without deciding it)."""
        reason = self.client.get(self.key("done"))
        return _text(reason) if reason is not None else None

    def end(self, reason: str) -> None:
        """End the crawl for ``reason`` unless it has ended already."""
        self.client.set(self.key("done"), reason.encode(), nx=True)

    def publish_summary(self, worker: str, summary: Mapping[str, Any]) -> None:
        self.client.hset(self.key("summaries"), worker, json.dumps(summary))

    def summaries(self) -> dict[str, Any]:
        raw = self.client.hgetall(self.key("summaries"))
        return {_text(w): json.loads(v) for w, v in raw.items()}

    def publish_objects(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Record stored objects (key relative to the crawl, size, sha256) for the manifest."""
        with self.client.pipeline() as pipe:
            for e in entries:
                value = json.dumps({"size": e["size"], "sha256": e["sha256"]})
                pipe.hset(self.key("objects"), str(e["key"]), value)
            pipe.execute()

    def objects(self) -> dict[str, dict[str, Any]]:
        raw = self.client.hgetall(self.key("objects"))
        return {_text(k): json.loads(v) for k, v in raw.items()}
