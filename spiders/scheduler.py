"""Scrapy's scheduler, with a frontier in memory up to a bound and on disk beyond it.

Scrapy's scheduler with a ``JOBDIR`` pickles every request to disk and back,
about 6% of the crawler's CPU on a fast web (py-spy); without one, a large
crawl's frontier grows in memory without end. Here the first
``MEMORY_FRONTIER`` requests waiting stay in memory and the rest go to disk (the
staging folder's ``frontier/``); the next request is the more urgent of the two
queues' choices, so spilling does not change the order. Nothing is
lost by keeping requests in memory: a crawl is never continued from its
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

import heapq
import logging
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.core.scheduler import Scheduler

from newstrail.spiders.archive import stop_on_write_error

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from twisted.internet.defer import Deferred

__all__ = ["MEMORY_FRONTIER", "StagingScheduler"]

#: Requests waiting in memory before the frontier spills to disk.
MEMORY_FRONTIER = 5_000

logger = logging.getLogger(__name__)


class StagingScheduler(Scheduler):
    """A scheduler that keeps ``MEMORY_FRONTIER`` requests in memory and the rest on
    disk, and whose disk queue gives up, once, on a disk error instead of raising."""

    #: Requests in the memory queue (its own ``len`` walks every host's and priority's queue).
    _in_memory = 0

    def open(self, spider: Spider) -> Deferred[None] | None:
        #: Priorities of the requests on disk, counted, and the same as a max-heap
        #: (negated; an entry whose count is spent is dropped when it comes up). The
        #: disk queue cannot be peeked at: queuelib's LIFO disk queue leaves its file
        #: position before the last record, and the next push overwrites it.
        self._on_disk: Counter[int] = Counter()
        self._disk_heap: list[int] = []
        return super().open(spider)

    def _mqpush(self, request: Request) -> None:
        super()._mqpush(request)
        self._in_memory += 1

    def _best_on_disk(self) -> int | None:
        while self._disk_heap and not self._on_disk[-self._disk_heap[0]]:
            heapq.heappop(self._disk_heap)
        return -self._disk_heap[0] if self._disk_heap else None

    def next_request(self) -> Request | None:
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
        if pushed:
            self._on_disk[request.priority] += 1
            if self._on_disk[request.priority] == 1:
                heapq.heappush(self._disk_heap, -request.priority)
        return pushed

    def _dqpop(self) -> Request | None:
        try:
            request = super()._dqpop()
        except OSError as exc:
            self._disk_failed(exc)
            return None
        if request is not None:
            self._on_disk[request.priority] -= 1
        return request

    def close(self, reason: str) -> Deferred[None] | None:
        try:
            return super().close(reason)
        except OSError as exc:
            # Saving the frontier's state for a later run: a crawl is never continued
            # from it (``--resume`` stores what was archived), so this loses nothing.
            self._disk_failed(exc)
            return self.df.close(reason)
