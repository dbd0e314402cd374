"""Scrapy's scheduler, with a frontier on disk that may fill the staging folder's disk.

The frontier is kept on disk (``JOBDIR``) so that a large crawl's memory stays
bounded. Scrapy's scheduler lets a disk error out of ``enqueue_request`` and
``next_request``, which run in the engine's loops: a full disk then shows as
dozens of tracebacks while the crawl goes on half-broken. Here the first disk
error stops the crawl with one reason, as a record that cannot be written does
(:func:`newstrail.spiders.archive.stop_on_write_error`), and the frontier stays in memory
from then on: a request that could not be written to disk is queued in memory
instead of being lost, and closing does not write the frontier's state again.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.core.scheduler import Scheduler

from newstrail.spiders.archive import stop_on_write_error

if TYPE_CHECKING:
    from scrapy import Request
    from twisted.internet.defer import Deferred

__all__ = ["StagingScheduler"]

logger = logging.getLogger(__name__)


class StagingScheduler(Scheduler):
    """A scheduler whose disk queue gives up, once, on a disk error instead of raising."""

    def _disk_failed(self, exc: OSError) -> None:
        # What the disk queue holds cannot be trusted after a failed write: the crawl
        # stops, and nothing of it is archived that would need the rest.
        self.dqs = None
        if self.crawler is not None:
            stop_on_write_error(self.crawler, exc, Path(self.dqdir or "."))
        else:  # pragma: no cover - Scrapy always builds the scheduler from a crawler
            logger.error("frontier on disk failed: %s", exc)

    def _dqpush(self, request: Request) -> bool:
        try:
            return super()._dqpush(request)
        except OSError as exc:
            self._disk_failed(exc)
            return False  # queued in memory instead

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
