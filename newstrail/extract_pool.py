"""Extraction in worker processes, so a crawl's reactor never waits on it.

Extraction is CPU-bound (tens of milliseconds a page): run in the reactor thread it
stalls downloads, and in a thread pool the GIL keeps it on one core. The pool hands
each page to one of ``workers`` processes and returns a
:class:`concurrent.futures.Future` at once::

    pool = ExtractionPool(workers=2)
    pool.start()                    # in the background: returns at once
    if pool.ready:                  # workers up and warm
        future = pool.submit(response.body, response.url)   # returns immediately
        # asyncio reactor:   article = await asyncio.wrap_future(future)
    else:
        article = extract_article(response.body, response.url)   # meanwhile, in-process
    pool.close()

Futures complete on a pool thread: callbacks must hop back to the reactor thread
(``callFromThread``, ``loop.call_soon_threadsafe``) before touching crawl state.
A page whose extraction raises gives a future that raises; a worker that dies (out
of memory, killed) breaks only the futures of pages in flight, and the next
``submit`` starts a fresh set of workers.

Workers are started with the ``forkserver`` method where the platform has it (else
``spawn``), never plain ``fork``: forking a process that runs a reactor's threads
can copy a lock held by one of them into the child. Starting a worker costs what a
fresh interpreter costs: the extractor's imports (0.4 s measured here) and its
first page's lazy set-up (0.5 s), plus the program's main module, which spawn
semantics import again in every worker (run the program with ``-c``, as the
crawler is, when that module is heavy: ``-m spiders.run`` would import Scrapy,
2.3 s). The fork server pays the extractor's part once (it preloads
:mod:`newstrail._warm_extract`) and every worker forks from it ready, and
:meth:`ExtractionPool.start` does all of it on a thread of its own, so that no
caller ever waits for it. The module is core: it imports neither Scrapy nor Prefect.
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
    # Under spawn, pay the imports and the first page's set-up when a worker starts
    # rather than on its first page; under forkserver they are paid already.
    import newstrail._warm_extract  # noqa: F401


def _pid() -> int:
    return os.getpid()


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["newstrail._warm_extract"])
        return context
    return multiprocessing.get_context("spawn")


class ExtractionPool:
    """A pool of worker processes running :func:`newstrail.extract.extract_article`.

    ``workers`` defaults to the number of CPUs. ``config`` is passed to every
    extraction. ``max_tasks_per_child`` recycles a worker after that many pages (a
    guard against slow memory growth on odd pages); None keeps workers for good.
    Workers start on the first :meth:`submit`, or in the background after
    :meth:`start`; :attr:`ready` tells when they are all up. Use as a context
    manager, or call :meth:`close`.
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
        self._ready = threading.Event()
        self._starter: threading.Thread | None = None
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=_context(),
            initializer=_warm_up,
            max_tasks_per_child=self._max_tasks_per_child,
        )

    def start(self) -> None:
        """Start the workers on a thread of its own; :attr:`ready` turns true when done."""
        if self._starter is None:
            self._starter = threading.Thread(
                target=self._start_workers, name="extraction-pool-start", daemon=True
            )
            self._starter.start()

    def _start_workers(self) -> None:
        # One task per worker keeps each worker busy long enough for the next task
        # to need a process of its own; a pool closed meanwhile just stops here.
        try:
            with self._lock:
                if self._closed:
                    return
                futures = [self._executor.submit(_pid) for _ in range(self.workers)]
            for future in futures:
                future.result()
        except Exception:  # a broken or closed pool: submit() will tell its callers
            return
        self._ready.set()

    @property
    def ready(self) -> bool:
        """Whether the workers have started (after :meth:`start`)."""
        return self._ready.is_set()

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
                self._executor = self._new_executor()
                return self._executor.submit(_extract, html, url, self.config)

    def close(self, *, wait: bool = True, cancel_pending: bool = False) -> None:
        """Stop the workers: after the queued pages (``wait``), or dropping them
        (``cancel_pending``). Further ``submit`` calls raise RuntimeError."""
        with self._lock:
            self._closed = True
            executor = self._executor
        executor.shutdown(wait=wait, cancel_futures=cancel_pending)
        self._ready.clear()

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close(cancel_pending=exc_type is not None)
