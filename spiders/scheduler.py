"""Scrapy's scheduler, with a frontier in memory up to a bound and on disk beyond it.

Scrapy's scheduler with a ``JOBDIR`` pickles every request to disk and back,
about 6% of the crawler's CPU on a fast web (py-spy); without one, a large
crawl's frontier grows in memory without end. Here the first
``MEMORY_FRONTIER`` requests waiting stay in memory and the rest go to disk (one
file in the staging folder's ``frontier/``, :class:`RequestSpool`); the next
request is the more urgent of the two queues' choices, so spilling does not
change the order. Nothing is lost by keeping requests in memory: a crawl is never continued from its
frontier (``--resume`` stores what was archived).

Scrapy's scheduler lets a disk error out of ``enqueue_request`` and
``next_request``, which run in the engine's loops: a full disk then shows as
dozens of tracebacks while the crawl goes on half-broken. Here the first disk
error stops the crawl with one reason, as a record that cannot be written does
(:func:`newstrail.spiders.archive.stop_on_write_error`), and the frontier stays in memory
from then on: a request that could not be written to disk is queued in memory
instead of being lost, and closing does not write the frontier's state again.
"""

from __future__ import annotations

import bisect
import contextlib
import heapq
import logging
import pickle
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Generic, TypeVar, cast

from scrapy.core.scheduler import Scheduler
from scrapy.pqueues import DownloaderAwarePriorityQueue
from scrapy.utils.request import request_from_dict

from newstrail.spiders.archive import stop_on_write_error
from newstrail.spiders.coverage import COUNT_PREFIX
from newstrail.spiders.middlewares import META_KEY, REQUISITE_META

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy import Request, Spider
    from scrapy.pqueues import ScrapyPriorityQueue
    from twisted.internet.defer import Deferred

__all__ = [
    "COMPACT_BYTES",
    "MEMORY_FRONTIER",
    "BudgetAwarePriorityQueue",
    "DiskHostHeap",
    "HostHeap",
    "RequestSpool",
    "StagingScheduler",
]

#: Requests waiting in memory before the frontier spills to disk.
MEMORY_FRONTIER = 5_000

#: Size of the frontier's file past which it is rewritten with only the requests
#: waiting, when they are less than half of it.
COMPACT_BYTES = 64 * 2**20

#: Requests taken between two computations of the budget's threshold (a walk down
#: the waiting priorities). Taking from the most urgent leaves it where it was; one
#: that holds every host back is computed again at once.
THRESHOLD_EVERY = 16

logger = logging.getLogger(__name__)
_T = TypeVar("_T")


def _budgeted(request: Request) -> bool:
    """Whether sending ``request`` spends the page budget (robots.txt and a page's
    requisites do not; see ``BudgetMiddleware``)."""
    meta = request.meta
    return META_KEY in meta and REQUISITE_META not in meta


class _Heap(Generic[_T]):
    """One host's waiting requests, most urgent first, newest first among equals (as
    Scrapy's default ``LifoMemoryQueue``), in one heap of what stands for them."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, _T]] = []
        self._pushed = 0

    @property
    def curprio(self) -> int | None:
        """The most urgent request's priority, negated (as ``ScrapyPriorityQueue``'s)."""
        return self._heap[0][0] if self._heap else None

    def _push(self, priority: int, item: _T) -> None:
        self._pushed += 1
        heapq.heappush(self._heap, (-priority, -self._pushed, item))

    def close(self) -> list[int]:
        self._heap.clear()
        return []

    def __len__(self) -> int:
        return len(self._heap)


class HostHeap(_Heap["Request"]):
    """One host's requests waiting in memory, in one heap.

    Scrapy's ``ScrapyPriorityQueue`` keeps a queue per priority and, each time one
    empties, finds the next priority by walking all of them. Link priorities are
    expected relevance times 10,000, so a host has about as many priorities as
    requests: every pop walked the host's whole frontier, and its thousands of
    one-request queues were a large part of the crawler's memory.
    """

    def push(self, request: Request) -> None:
        self._push(request.priority, request)

    def pop(self) -> Request | None:
        return heapq.heappop(self._heap)[2] if self._heap else None

    def peek(self) -> Request | None:
        return self._heap[0][2] if self._heap else None


class RequestSpool:
    """The frontier's one file on disk: each request spilled is appended, pickled as
    Scrapy's disk queues pickle it (``Request.to_dict``), and read back once by its
    offset.

    The file is emptied whenever no request in it is waiting, and rewritten with
    only the waiting ones once it is over ``COMPACT_BYTES`` and they are less than
    half of it: its size follows the frontier's, not the crawl's.

    Scrapy's disk queue keeps a file per host and priority, each open with its own
    buffer: a 20,000-page crawl held 5,446 files open at once (its crawler's peak
    RSS was 216 MB, 199 MB with this spool), and would have stopped at the usual
    limit of 1,024 open files. This holds one, opened on the first spill.
    """

    def __init__(self, path: Path, spider: Spider | None) -> None:
        self.path = path
        self._spider = spider
        self._file: BinaryIO | None = None
        self._end = 0
        self._waiting = 0
        self._live = 0
        self._heaps: set[DiskHostHeap] = set()

    def attach(self, heap: DiskHostHeap) -> None:
        """Keep ``heap``'s places up to date when the file is rewritten."""
        self._heaps.add(heap)

    def detach(self, heap: DiskHostHeap) -> None:
        self._heaps.discard(heap)

    def write(self, request: Request) -> tuple[int, int]:
        """Append ``request``; its offset and length. ValueError if it cannot be
        pickled (as Scrapy's disk queues), OSError if it cannot be written."""
        try:
            data = pickle.dumps(request.to_dict(spider=self._spider), protocol=4)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            raise ValueError(str(exc)) from exc
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = cast("BinaryIO", self.path.open("w+b"))
        elif self._end >= COMPACT_BYTES and 2 * self._live < self._end:
            self._compact(self._file)
        self._file.seek(self._end)
        self._file.write(data)
        offset = self._end
        self._end += len(data)
        self._waiting += 1
        self._live += len(data)
        return offset, len(data)

    def _read(self, handle: BinaryIO, where: tuple[int, int]) -> bytes:
        offset, length = where
        handle.seek(offset)
        data = handle.read(length)
        if len(data) != length:
            raise OSError(f"{self.path}: the frontier's file is cut short")
        return data

    def read(self, where: tuple[int, int], *, keep: bool = False) -> Request:
        """The request written at ``where``; unless ``keep``, it is no longer waiting."""
        if self._file is None:
            raise OSError(f"{self.path}: the frontier's file is not open")
        request = request_from_dict(
            pickle.loads(self._read(self._file, where)), spider=self._spider
        )
        if not keep:
            self._waiting -= 1
            self._live -= where[1]
            if not self._waiting:
                self._file.seek(0)
                self._file.truncate()
                self._end = self._live = 0
        return request

    def _compact(self, old: BinaryIO) -> None:
        # The waiting requests go to a new file; the heaps learn their new places
        # only once it is whole, so a failed rewrite leaves them as they were.
        fresh = self.path.with_name(self.path.name + ".new")
        handle = cast("BinaryIO", fresh.open("w+b"))
        moved: list[tuple[DiskHostHeap, list[tuple[int, int, tuple[int, int]]]]] = []
        end = 0
        try:
            for heap in self._heaps:
                entries = []
                for priority, order, where in heap.entries():
                    handle.write(self._read(old, where))
                    entries.append((priority, order, (end, where[1])))
                    end += where[1]
                moved.append((heap, entries))
            handle.flush()
            fresh.replace(self.path)
        except BaseException:
            handle.close()
            fresh.unlink(missing_ok=True)
            raise
        old.close()
        self._file, self._end, self._live = handle, end, end
        for heap, entries in moved:
            heap.relocate(entries)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self.path.unlink(missing_ok=True)


class DiskHostHeap(_Heap[tuple[int, int]]):
    """One host's requests waiting on disk: their places in the spool, in one heap."""

    def __init__(self, spool: RequestSpool) -> None:
        super().__init__()
        self._spool = spool
        spool.attach(self)

    def push(self, request: Request) -> None:
        # Written first: a request that cannot be written is not in the heap.
        self._push(request.priority, self._spool.write(request))

    def pop(self) -> Request | None:
        return self._spool.read(heapq.heappop(self._heap)[2]) if self._heap else None

    def peek(self) -> Request | None:
        return self._spool.read(self._heap[0][2], keep=True) if self._heap else None

    def entries(self) -> list[tuple[int, int, tuple[int, int]]]:
        """The heap's entries: negated priority, order, place in the spool."""
        return list(self._heap)

    def relocate(self, entries: list[tuple[int, int, tuple[int, int]]]) -> None:
        """Take ``entries`` (:meth:`entries` with new places) as the heap's: the order
        is unchanged, the places differ only."""
        self._heap[:] = entries

    def close(self) -> list[int]:
        self._spool.detach(self)
        return super().close()


class BudgetAwarePriorityQueue(DownloaderAwarePriorityQueue):
    """Scrapy's per-host queue (the host with the fewest downloads under way goes
    first), which takes only from hosts whose most urgent request is worth the budget.

    With a page budget smaller than the frontier, the budget goes to the requests
    sent first. A host with a crawl delay holds its best requests back while the
    other hosts' downloads go on, so the faster the crawler, the more of the budget
    went to those hosts' worse requests (``bench/discovery.py``: recall at 1,000
    fetches fell from 1.000 to 0.925 as the crawler got faster). ``threshold`` is
    the priority of the last request the budget left can pay for, when every more
    urgent one waiting is sent first: a host whose best is below it waits.
    """

    threshold: int | None = None

    _spool: RequestSpool | None = None

    def pqfactory(self, slot: str, startprios: Iterable[int] = ()) -> ScrapyPriorityQueue:
        # One heap per host, which pops without walking its priorities; on disk, its
        # requests are in the one spool file. A saved state (``startprios``) is not
        # read: a crawl is never continued from its frontier.
        if not self.key:
            return cast("ScrapyPriorityQueue", HostHeap())
        if self._spool is None:
            self._spool = RequestSpool(Path(self.key, "spool"), self.crawler.spider)
        return cast("ScrapyPriorityQueue", DiskHostHeap(self._spool))

    def close(self) -> dict[str, list[int]]:
        state = super().close()
        if self._spool is not None:
            self._spool.close()
        return state

    def _eligible(self, stats: list[tuple[int, str]]) -> list[tuple[int, str]]:
        threshold = self.threshold
        if threshold is None:
            return stats
        queues = self.pqueues
        # ScrapyPriorityQueue keeps the negated priority of its most urgent request.
        return [
            (active, slot)
            for active, slot in stats
            if (top := queues[slot].curprio) is not None and -top >= threshold
        ]

    def _next_slot(self, stats: list[tuple[int, str]], *, update_state: bool) -> str:
        return super()._next_slot(self._eligible(stats), update_state=update_state)

    def _held(self) -> bool:
        """Whether no host has a request worth the budget (then nothing is taken)."""
        threshold = self.threshold
        if threshold is None:
            return False
        return not any(
            (top := queue.curprio) is not None and -top >= threshold
            for queue in self.pqueues.values()
        )

    def pop(self) -> Request | None:
        return None if self._held() else super().pop()

    def peek(self) -> Request | None:
        return None if self._held() else super().peek()


class StagingScheduler(Scheduler):
    """A scheduler that keeps ``MEMORY_FRONTIER`` requests in memory and the rest on
    disk, and whose disk queue gives up, once, on a disk error instead of raising."""

    #: Requests in the memory queue (its own ``len`` walks every host's and priority's queue).
    _in_memory = 0

    def open(self, spider: Spider) -> Deferred[None] | None:
        self._waiting: Counter[int] = Counter()
        self._levels: list[int] = []
        self._budgeted = 0
        self._taken = 0
        self._threshold: int | None = None
        return super().open(spider)

    def _mqpush(self, request: Request) -> None:
        super()._mqpush(request)
        self._in_memory += 1

    def _best_on_disk(self) -> int | None:
        """The most urgent priority waiting on disk: each host's heap knows its own."""
        queues = cast("BudgetAwarePriorityQueue", self.dqs).pqueues.values()
        tops = [top for queue in queues if (top := queue.curprio) is not None]
        return -min(tops) if tops else None

    def enqueue_request(self, request: Request) -> bool:
        queued = super().enqueue_request(request)
        if queued and _budgeted(request):
            self._waiting_add(request.priority, 1)
        return queued

    def _waiting_add(self, priority: int, n: int) -> None:
        # The budgeted requests waiting, counted by priority, and their priorities sorted.
        count = self._waiting[priority] + n
        if count:
            if count == n:
                bisect.insort(self._levels, priority)
            self._waiting[priority] = count
        else:
            del self._waiting[priority]
            del self._levels[bisect.bisect_left(self._levels, priority)]
        self._budgeted += n

    def _update_threshold(self, *, fresh: bool = False) -> None:
        """Set the priority of the last waiting request the budget left pays for,
        taking the most urgent first; None when the budget pays for all of them (or
        for none: then the middleware drops what comes, and the frontier drains)."""
        left = getattr(self.crawler.spider, "budget_left", None) if self.crawler else None
        if not isinstance(left, int) or left <= 0 or left >= self._budgeted:
            self._set_threshold(None)
            return
        if not fresh and self._threshold is not None and self._taken % THRESHOLD_EVERY:
            return
        levels, waiting = self._levels, self._waiting
        for index in range(len(levels) - 1, -1, -1):
            left -= waiting[levels[index]]
            if left <= 0:
                self._set_threshold(levels[index])
                return

    def _set_threshold(self, threshold: int | None) -> None:
        self._threshold = threshold
        for queue in (self.mqs, self.dqs):
            if isinstance(queue, BudgetAwarePriorityQueue):
                queue.threshold = threshold

    def next_request(self) -> Request | None:
        self._taken += 1
        self._update_threshold()
        request = self._next_request()
        if request is None and self._threshold is not None:
            # Held back by a threshold computed a few requests ago: compute it again,
            # and never hold the most urgent request waiting.
            self._update_threshold(fresh=True)
            request = self._next_request()
            if request is None and self._threshold is not None:  # pragma: no cover
                self._set_threshold(None)
                request = self._next_request()
        if request is not None and _budgeted(request):
            self._waiting_add(request.priority, -1)
        return request

    def _next_request(self) -> Request | None:
        # Each queue picks a host as Scrapy's does (the one with the fewest downloads
        # under way) and that host's most urgent request. The disk queue goes first
        # when it holds a request more urgent than the memory queue's choice.
        best = self._best_on_disk() if self.dqs is not None else None
        if best is not None:
            memory = self.mqs.peek() if self._in_memory else None
            if memory is None or best > memory.priority:
                request = self._dqpop()
                if request is not None:
                    self._count("disk")
                    return request
        request = self.mqs.pop()
        if request is not None:
            self._in_memory -= 1
            self._count("memory")
        return request

    def _count(self, where: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"scheduler/dequeued/{where}")
            self.stats.inc_value("scheduler/dequeued")

    def _disk_failed(self, exc: OSError) -> None:
        # What the disk queue holds cannot be trusted after a failed write: the crawl
        # stops, and nothing of it is archived that would need the rest.
        if self.dqs is not None:
            with contextlib.suppress(OSError):
                self.dqs.close()
        self.dqs = None
        if self.crawler is not None:
            stop_on_write_error(self.crawler, exc, Path(self.dqdir or "."))
        else:  # pragma: no cover - Scrapy always builds the scheduler from a crawler
            logger.error("frontier on disk failed: %s", exc)

    def _dqpush(self, request: Request) -> bool:
        if self._in_memory < MEMORY_FRONTIER:
            return False  # Scrapy's scheduler then queues it in memory
        try:
            pushed = super()._dqpush(request)
        except OSError as exc:
            self._disk_failed(exc)
            return False  # queued in memory instead
        if pushed and self.stats is not None:
            # In the crawl's summary: how much of the frontier went to disk.
            self.stats.inc_value(COUNT_PREFIX + "frontier_spilled")
        return pushed

    def _dqpop(self) -> Request | None:
        try:
            return super()._dqpop()
        except OSError as exc:
            self._disk_failed(exc)
            return None

    def close(self, reason: str) -> Deferred[None] | None:
        try:
            return super().close(reason)
        except OSError as exc:
            # Saving the frontier's state for a later run: a crawl is never continued
            # from it (``--resume`` stores what was archived), so this loses nothing.
            self._disk_failed(exc)
            return self.df.close(reason)
