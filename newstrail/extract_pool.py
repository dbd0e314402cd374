"""Extraction in worker processes, so a crawl's reactor never waits on it.

Extraction is CPU-bound (tens of milliseconds a page): run in the reactor thread it
stalls downloads, and in a thread pool the GIL keeps it on one core. The pool hands
each page to one of ``workers`` processes and returns a
:class:`concurrent.futures.Future` at once::

    pool = ExtractionPool(workers=2)
    future = pool.submit(response.body, response.url)   # returns immediately
    # asyncio reactor:   article = await asyncio.wrap_future(future)
    # Twisted reactor:   future.add_done_callback(
    #                        lambda f: reactor.callFromThread(on_article, f))
    pool.close()

Futures complete on a pool thread: callbacks must hop back to the reactor thread
(``callFromThread``, ``loop.call_soon_threadsafe``) before touching crawl state.
A page whose extraction raises gives a future that raises; a worker that dies (out
of memory, killed) breaks only the futures of pages in flight, and the next
``submit`` starts a fresh set of workers.

Workers are started with the ``forkserver`` method where the platform has it (else
``spawn``), never plain ``fork``: forking a process that runs a reactor's threads
can copy a lock held by one of them into the child. The module is core: it imports
neither Scrapy nor Prefect.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType

from newstrail.extract import Article, ExtractionConfig, extract_article

__all__ = ["ExtractionPool"]


def _extract(html: bytes, url: str, config: ExtractionConfig | None) -> Article | None:
    return extract_article(html, url, config)


def _warm_up() -> None:
    # Pay the imports (trafilatura, lxml, htmldate's date parsers) when a worker
    # starts rather than on the first page it gets.
    import newstrail.extract  # noqa: F401


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class ExtractionPool:
    """A pool of worker processes running :func:`newstrail.extract.extract_article`.

    ``workers`` defaults to the number of CPUs. ``config`` is passed to every
    extraction. ``max_tasks_per_child`` recycles a worker after that many pages (a
    guard against slow memory growth on odd pages); None keeps workers for good.
    Use as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        workers: int | None = None,
        config: ExtractionConfig | None = None,
        *,
        max_tasks_per_child: int | None = 1000,
    ) -> None:
        self.workers = workers or os.cpu_count() or 1
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        self.config = config
        self._max_tasks_per_child = max_tasks_per_child
        self._lock = threading.Lock()
        self._closed = False
        self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=_context(),
            initializer=_warm_up,
            max_tasks_per_child=self._max_tasks_per_child,
        )

    def submit(self, html: bytes, url: str) -> Future[Article | None]:
        """Queue one page; the future gives its :class:`Article`, or None for no article."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the extraction pool is closed")
            try:
                return self._executor.submit(_extract, html, url, self.config)
            except BrokenProcessPool:
                # A worker died: the futures it took down have failed already; carry
                # on with fresh workers.
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._start()
                return self._executor.submit(_extract, html, url, self.config)

    def close(self, *, wait: bool = True, cancel_pending: bool = False) -> None:
        """Stop the workers: after the queued pages (``wait``), or dropping them
        (``cancel_pending``). Further ``submit`` calls raise RuntimeError."""
        with self._lock:
            self._closed = True
            executor = self._executor
        executor.shutdown(wait=wait, cancel_futures=cancel_pending)

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close(cancel_pending=exc_type is not None)
