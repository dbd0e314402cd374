"""Page analysis in worker processes, so a crawl's reactor never waits on it.

Extraction is CPU-bound (tens of milliseconds a page): run in the reactor thread it
stalls downloads, and in a thread pool the GIL keeps it on one core. The pool hands
each page to one of ``workers`` processes, which runs
:func:`newstrail.pagework.analyse_page` on it, and returns a
:class:`concurrent.futures.Future` at once::

    pool = ExtractionPool(workers=2)
    pool.start()                    # in the background: returns at once
    if pool.ready:                  # workers up and warm
        future = pool.submit(response.body, response.url)   # returns immediately
        # asyncio reactor:   work = await asyncio.wrap_future(future)
    else:
        work = analyse_page(response.body, response.url)    # meanwhile, in-process
    pool.close()

Futures complete on the pool's dispatcher thread: callbacks must hop back to the
reactor thread (``callFromThread``, ``loop.call_soon_threadsafe``) before touching
crawl state.

Or the crawl's own event loop drives the pool: ``pool.start(loop)`` with an asyncio
loop (anything with its ``add_reader``, ``remove_reader``, ``call_later`` and
``call_soon_threadsafe``: a :class:`Driver`). A thread still starts the workers, and
from then on the loop's thread hands out the pages (in :meth:`ExtractionPool.submit`)
and reads the answers, when a worker's pipe or sentinel turns readable; futures
complete there. No second Python thread then takes the interpreter lock from the
crawl's once for every page handed out and every answer: on the throughput bench
that was 1.3 s of the crawler's CPU over 5,000 pages, 26,000 wake-ups of that
thread and 19,000 preemptions of the crawl's, and pages/s went from 0.81-0.83 of
the plain spider's to 0.86. Its calls (submit, set_scoring, close) must then come
from the loop's thread.

Every page has a time limit: a page still running ``timeout`` seconds after a
worker took it makes its future raise :class:`ExtractionTimeout`, and that worker is
killed (SIGKILL: an extraction deep in lxml cannot be interrupted any other way) and
replaced. A page whose analysis raises gives a future that raises that exception; a
worker that dies (out of memory, killed) fails its own page only, with
:class:`ExtractionFailed`, and is replaced. Other pages in flight are never touched.

Why not :class:`concurrent.futures.ProcessPoolExecutor`: it cannot stop one task
(only the whole pool, breaking every future in flight), and it keeps each task's
arguments, the page bytes, until the result comes back. This pool is small instead:
one duplex pipe per worker, a queue of pages not yet handed out, and one dispatcher
thread that hands pages to idle workers (dropping its reference to the bytes once
sent), waits on the pipes, the workers' sentinels and a wake-up pipe, and kills
workers past their deadline.

Workers are started with the ``forkserver`` method where the platform has it (else
``spawn``), never plain ``fork``: forking a process that runs a reactor's threads
can copy a lock held by one of them into the child. Starting a worker costs what a
fresh interpreter costs: the extractor's imports (0.4 s measured here) and its
first page's lazy set-up (0.5 s), plus the program's main module, which spawn
semantics import again in every worker (run the program with ``-c``, as the
crawler is, when that module is heavy: ``-m newstrail.spiders.run`` would import Scrapy,
2.3 s). The fork server pays the extractor's part once (it preloads
:mod:`newstrail._warm_extract`) and every worker forks from it ready, and
:meth:`ExtractionPool.start` does all of it on the dispatcher thread, so that no
caller ever waits for it; replacing a killed worker costs a fork. The module is
core: it imports neither Scrapy nor Prefect.
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import multiprocessing.forkserver
import os
import resource
import socket
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, Protocol

from newstrail.extract import ExtractionConfig
from newstrail.pagework import DEFAULT_MAX_LINKS, PageWork, analyse_page

__all__ = [
    "DEFAULT_MAX_WORKER_MEMORY",
    "DEFAULT_TIMEOUT",
    "HEAVY_PAGE_BYTES",
    "PREFETCH_BYTES",
    "WORKER_NICENESS",
    "Driver",
    "ExtractionFailed",
    "ExtractionPool",
    "ExtractionTimeout",
    "start_fork_server",
]

HEAVY_PAGE_BYTES = 1024 * 1024
"""A page whose body is larger is heavy: its analysis may take seconds (the
extraction cuts it to ``max_html_bytes``, 512 KiB, after stripping its scripts and
styles), and a handful of them must not hold every worker."""

DEFAULT_MAX_WORKER_MEMORY = 640 * 1024 * 1024
"""Peak resident bytes past which a worker is replaced after its page: about three
times a warm worker's (200-220 MB measured, on the shared evaluation's real pages
with the full extraction and on the throughput bench's web), so only a worker
whose heap an odd page left grown is replaced. Replacing workers after a number of
pages instead (1,000, before) threw away their caches of links, terms and
resolved URLs each time: the throughput bench's whole tree spent 7.2-7.5 CPU ms a
page that way, 6.3-6.7 without."""

WORKER_NICENESS = 5
"""How much lower than the pool's process its workers are scheduled (``nice``): on
the throughput bench (2 cores: the crawl's process, two workers and nginx), 295
pages/s against 286, the means of four alternating runs."""

DEFAULT_TIMEOUT = 20.0
"""Seconds a worker may spend on one page: a hundred times a normal page's worst,
and several times what the largest pages take at ``max_html_bytes``."""

Task = Callable[..., PageWork]

PREFETCH_BYTES = 128 * 1024
"""With a :class:`Driver`, the largest page sent to a worker while it is still busy
with another (see :class:`ExtractionPool`): a larger one could fill the socket to
that worker and block the loop's thread in the write until the worker is done. The
pool's end of each socket is given room for twice that (Linux's default is 208 KiB,
macOS's 8 KiB)."""


class Driver(Protocol):
    """An event loop driving a pool (asyncio's loops are drivers)."""

    def add_reader(self, fd: int, callback: Callable[..., object], *args: Any) -> None: ...

    def remove_reader(self, fd: int) -> bool: ...

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any) -> Any: ...

    def call_soon_threadsafe(self, callback: Callable[..., object], *args: Any) -> Any: ...


class ExtractionTimeout(TimeoutError):
    """A page's analysis ran past the pool's ``timeout``; its worker was killed."""


class ExtractionFailed(RuntimeError):
    """The worker analysing a page died (killed, out of memory) before answering."""


def _warm_up() -> None:
    # Under spawn, pay the imports and the first page's set-up when a worker starts
    # rather than on its first page; under forkserver they are paid already.
    import newstrail._warm_extract  # noqa: F401


def _peak_resident_bytes() -> int:
    """This process's peak resident memory (a microsecond's system call; reading
    ``/proc/self/statm`` for the current figure took 2% of a worker's time)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes there, KiB here


def _worker_main(
    conn: Connection, task: Task, config: ExtractionConfig | None, max_memory: int | None = None
) -> None:
    """A worker's loop: one page in, one ``(ok, value, retiring)`` out, until told to
    stop or, after a page, its peak resident memory is past ``max_memory`` bytes
    (``retiring``: it has left the loop); a ``("scoring", PageScoring)`` message
    sets what later pages are scored with."""
    _warm_up()
    if hasattr(os, "nice"):
        # Below the crawl's own process, whose reactor paces and reads every download:
        # a worker's long page never holds the reactor from a core.
        os.nice(WORKER_NICENESS)
    options: dict[str, Any] = {}
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the pool is gone
        if message is None:
            return
        if message[0] == "scoring":
            options = {"scoring": message[1]}
            continue
        html, url, content_type, max_links, full = message
        del message
        try:
            result: tuple[bool, Any] = (
                True,
                task(
                    html,
                    url,
                    content_type=content_type,
                    config=config,
                    max_links=max_links,
                    **options,
                    **({"full": True} if full else {}),
                ),
            )
        except Exception as exc:
            result = (False, exc)
        del html
        retiring = max_memory is not None and _peak_resident_bytes() > max_memory
        try:
            conn.send((*result, retiring))
        except Exception as exc:  # an exception or result that does not pickle
            conn.send((False, ExtractionFailed(f"{type(exc).__name__}: {exc}"), retiring))
        if retiring:
            return


def start_fork_server() -> None:
    """Start the fork server the workers will fork from, now and in the background.

    The server imports the extractor and analyses its warm-up page (0.6 s from the
    pool's start to its workers' readiness, measured on the throughput bench), while
    the caller goes on; started when a crawler process starts, before it imports
    Scrapy and opens the crawl, its workers are ready for the crawl's first pages,
    which would otherwise be analysed in the crawler process. Nothing where the
    platform has no fork server.
    """
    if _context().get_start_method() == "forkserver":
        multiprocessing.forkserver.ensure_running()


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["newstrail._warm_extract"])
        return context
    return multiprocessing.get_context("spawn")


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    future: Future[PageWork] | None = None
    deadline: float = 0.0
    done: int = 0
    #: The pool's scoring version this worker has (0: none yet).
    scoring: int = 0
    #: Whether the page it is analysing is a heavy one.
    heavy: bool = False
    #: The page sent behind the one it is analysing, not started yet (its bytes kept,
    #: to hand it to another worker if this one is replaced first).
    next: _Page | None = None


@dataclass
class _Page:
    future: Future[PageWork]
    args: tuple[bytes, str, str | None, int, bool] = field(repr=False)
    started: bool = False
    heavy: bool = False


class ExtractionPool:
    """A pool of worker processes running :func:`newstrail.pagework.analyse_page`.

    ``workers`` defaults to the number of CPUs. ``config`` is passed to every
    analysis. ``timeout`` (seconds, :data:`DEFAULT_TIMEOUT`) limits one page, counted
    from when a worker takes it: past it the future raises
    :class:`ExtractionTimeout` and the worker is replaced. A worker
    whose peak resident memory is past ``max_worker_memory`` bytes after a page (an
    odd page grew its heap) answers that page and is replaced;
    ``max_tasks_per_child`` also replaces one after that many pages (None, the
    default: workers keep their caches for good). ``task`` replaces ``analyse_page`` in
    the workers (a module-level function with its signature; for tests). Workers
    start on the first :meth:`submit`, or in the background after :meth:`start`;
    :attr:`ready` tells when they are all up. Use as a context manager, or call
    :meth:`close`.

    Pages are handed out in the order they came, except heavy ones (a body over
    ``heavy_bytes``): at most ``workers - 1`` of them (at least one) are analysed at
    once, and ordinary pages go past the others. With two workers or more, one
    is always free for ordinary pages, however many heavy ones come together or
    however long they take.

    A worker analysing an ordinary page is sent the next ordinary page too, so that
    it goes on to it at once instead of waiting for the dispatcher thread, which
    shares the interpreter lock with the crawl (on the throughput bench's web,
    workers waited 20% of the crawl's first seconds that way). The next page's time
    limit starts when the page before it is answered; when its worker is replaced
    before, the page goes to another one.
    """

    def __init__(
        self,
        workers: int | None = None,
        config: ExtractionConfig | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_tasks_per_child: int | None = None,
        max_worker_memory: int | None = DEFAULT_MAX_WORKER_MEMORY,
        task: Task = analyse_page,
        heavy_bytes: int = HEAVY_PAGE_BYTES,
    ) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.heavy_bytes = heavy_bytes
        self._heavy_slots = max(1, self.workers - 1)
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.config = config
        self.timeout = timeout
        self._max_tasks_per_child = max_tasks_per_child
        self._max_worker_memory = max_worker_memory
        self._task = task
        self._lock = threading.Lock()
        self._pending: collections.deque[_Page] = collections.deque()
        self._closed = False
        self._ready = threading.Event()
        self._dispatcher: threading.Thread | None = None
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._workers: list[_Worker] = []
        self._scoring: Any = None
        self._scoring_version = 0
        # Driven by an event loop (see start): whether the loop's thread watches the
        # workers yet, and the pending call that enforces the pages' time limits.
        self._driver: Driver | None = None
        self._handed_over = False
        self._attached = False
        self._timer: Any = None
        self._timer_at = 0.0

    # -- the callers' side -----------------------------------------------------------

    def start(self, driver: Driver | None = None) -> None:
        """Start the workers on the dispatcher thread; :attr:`ready` turns true when done.

        With ``driver`` (an asyncio event loop; the first start decides), that loop
        hands the pages out and reads the answers from then on, and the thread ends
        once the workers are up (see the module's note)."""
        with self._lock:
            if self._dispatcher is None and not self._closed:
                self._driver = driver
                self._dispatcher = threading.Thread(
                    target=self._dispatch, name="extraction-pool", daemon=True
                )
                self._dispatcher.start()

    @property
    def ready(self) -> bool:
        """Whether the workers have started (after :meth:`start` or a :meth:`submit`)."""
        return self._ready.is_set()

    def submit(
        self,
        html: bytes,
        url: str,
        *,
        content_type: str | None = None,
        max_links: int = DEFAULT_MAX_LINKS,
        full: bool = False,
    ) -> Future[PageWork]:
        """Queue one page; the future gives its :class:`~newstrail.pagework.PageWork`.
        ``full`` asks for the full extraction whatever the scoring (a seed's page).

        The future raises :class:`ExtractionTimeout` past the pool's ``timeout``,
        :class:`ExtractionFailed` when the worker died, or what the analysis raised.
        """
        future: Future[PageWork] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the extraction pool is closed")
            args = (html, url, content_type, max_links, full)
            self._pending.append(_Page(future, args, heavy=self.is_heavy(len(html))))
        self.start()
        if self._driver is None:
            self._wake()
        elif self._attached:
            self._advance()
        return future

    def is_heavy(self, size: int) -> bool:
        """Whether a page of ``size`` bytes goes to the heavy pages' lane."""
        return size > self.heavy_bytes

    def set_scoring(self, scoring: Any) -> None:
        """Score the pages handed out from now on with ``scoring`` (a
        :class:`~newstrail.pagework.PageScoring`): each worker gets it once, before
        its next page, and the task is called with ``scoring=``."""
        with self._lock:
            self._scoring = scoring
            self._scoring_version += 1

    def close(self, *, wait: bool = True, cancel_pending: bool = False) -> None:
        """Stop the workers: after the queued pages (``wait``), or dropping them
        (``cancel_pending``). Further ``submit`` calls raise RuntimeError."""
        with self._lock:
            self._closed = True
            if cancel_pending:
                for page in self._pending:
                    page.future.cancel()
                self._pending.clear()
            dispatcher = self._dispatcher
            if self._handed_over:
                # From the loop's thread: a thread of the pool's own sees the pages
                # in flight to their end and stops the workers, as without a driver.
                self._handed_over = False
                if self._attached:
                    self._detach()
                dispatcher = self._dispatcher = threading.Thread(
                    target=self._run_out, name="extraction-pool", daemon=True
                )
                dispatcher.start()
        self._wake()
        if dispatcher is None:
            self._close_wake()
        elif wait:
            dispatcher.join()
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

    def _wake(self) -> None:
        with self._lock:
            if self._wake_w < 0:
                return  # the dispatcher is gone
            # A full pipe wakes the dispatcher all the same.
            with contextlib.suppress(BlockingIOError):
                os.write(self._wake_w, b"x")

    def _close_wake(self) -> None:
        # Under the lock, so that no _wake writes to a closed (maybe reused) descriptor.
        with self._lock:
            if self._wake_w >= 0:
                os.close(self._wake_r)
                os.close(self._wake_w)
                self._wake_r = self._wake_w = -1

    # -- the dispatcher thread ---------------------------------------------------------

    def _spawn(self) -> _Worker:
        parent, child = multiprocessing.Pipe()
        context = _context()
        process = context.Process(  # type: ignore[attr-defined]
            target=_worker_main,
            args=(child, self._task, self.config, self._max_worker_memory),
            name="extraction-worker",
            daemon=True,
        )
        process.start()
        child.close()
        with contextlib.suppress(OSError), socket.socket(fileno=os.dup(parent.fileno())) as end:
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 2 * PREFETCH_BYTES)
        return _Worker(process, parent)

    def _retire(self, worker: _Worker, *, kill: bool) -> None:
        if kill:
            worker.process.kill()
        else:
            with contextlib.suppress(OSError):  # already gone: the join settles it
                worker.conn.send(None)
        worker.process.join(5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()
        worker.process.close()

    def _replace(self, worker: _Worker, *, kill: bool) -> None:
        if self._attached:
            self._unwatch(worker)
        self._retire(worker, kill=kill)
        self._workers.remove(worker)
        if not self._closed:
            new = self._spawn()
            self._workers.append(new)
            if self._attached:
                self._watch(new)

    def _dispatch(self) -> None:
        try:
            self._workers = [self._spawn() for _ in range(self.workers)]
            self._ready.set()
            with self._lock:
                if self._driver is not None and not self._closed:
                    # The loop's thread takes over; a close() before it has, or
                    # after, runs the rest (_run_out) on a thread of its own.
                    self._handed_over = True
                    self._driver.call_soon_threadsafe(self._attach)
                    return
        except BaseException as exc:  # a bug here must not leave futures hanging
            self._fail_everything(exc)
            self._stop_workers()
            raise
        self._run_out()

    def _run_out(self) -> None:
        """Hand out and answer pages until the pool is closed and none is left, then
        stop the workers."""
        try:
            self._loop()
        except BaseException as exc:  # a bug here must not leave futures hanging
            self._fail_everything(exc)
            raise
        finally:
            self._stop_workers()

    def _stop_workers(self) -> None:
        for worker in list(self._workers):
            self._retire(worker, kill=worker.future is not None or worker.next is not None)
        self._workers = []
        self._ready.clear()
        self._close_wake()

    # -- driven by an event loop (start(driver)) -----------------------------------------

    def _attach(self) -> None:
        """On the loop's thread, once the workers are up: watch them from now on."""
        with self._lock:
            if not self._handed_over:
                return  # close() came first; its thread stops the workers
            self._attached = True
        for worker in self._workers:
            self._watch(worker)
        self._advance()

    def _watch(self, worker: _Worker) -> None:
        assert self._driver is not None
        # Each with what turned readable, as wait() would have said.
        conn, sentinel = worker.conn, worker.process.sentinel
        self._driver.add_reader(conn.fileno(), self._on_readable, worker, conn)
        self._driver.add_reader(sentinel, self._on_readable, worker, sentinel)

    def _unwatch(self, worker: _Worker) -> None:
        assert self._driver is not None
        self._driver.remove_reader(worker.conn.fileno())
        self._driver.remove_reader(worker.process.sentinel)

    def _detach(self) -> None:
        for worker in self._workers:
            self._unwatch(worker)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._attached = False

    def _on_readable(self, worker: _Worker, ready: Connection | int) -> None:
        """A worker answered (``ready`` is its connection) or died (its sentinel): as
        one round of the dispatcher's loop."""
        if not self._attached or worker not in self._workers:
            return
        if ready is worker.conn:
            self._check(worker, [ready])
        else:
            # An answer sent just before the exit (a worker retiring) comes first.
            self._check(worker, wait([worker.conn, ready], timeout=0))
        self._advance()

    def _advance(self) -> None:
        """Hand out what may go now, and time the pages handed out."""
        self._hand_out()
        self._arm_timer()

    def _arm_timer(self) -> None:
        """Have the loop call back when the first page in a worker runs out of time
        (a call already due no later is kept: deadlines only move later)."""
        busy = [w.deadline for w in self._workers if w.future is not None]
        if not busy or not self._attached:
            return
        first = min(busy)
        if self._timer is not None and self._timer_at <= first:
            return
        if self._timer is not None:
            self._timer.cancel()
        assert self._driver is not None
        self._timer_at = first
        self._timer = self._driver.call_later(
            max(0.0, first - time.monotonic()) + 0.01, self._on_timer
        )

    def _on_timer(self) -> None:
        self._timer = None
        if not self._attached:
            return
        for worker in list(self._workers):
            self._check(worker, [])
        self._advance()

    def _fail_everything(self, exc: BaseException) -> None:
        with self._lock:
            pages = list(self._pending)
            self._pending.clear()
            self._closed = True
        futures = [page.future for page in pages]
        futures += [w.future for w in self._workers if w.future is not None]
        futures += [w.next.future for w in self._workers if w.next is not None]
        for future in futures:
            if not future.done():
                future.set_exception(ExtractionFailed(f"the pool's dispatcher failed: {exc!r}"))

    def _take(self, *, light: bool = False) -> _Page | None:
        """The first page waiting that may be handed out now (see the class's note);
        an ordinary one only, with ``light`` (and with a driver, one of at most
        :data:`PREFETCH_BYTES`: it goes to a busy worker)."""
        heavy_busy = sum(1 for w in self._workers if w.future is not None and w.heavy)
        with self._lock:
            for i, page in enumerate(self._pending):
                if not page.heavy or (not light and heavy_busy < self._heavy_slots):
                    if light and self._attached and len(page.args[0]) > PREFETCH_BYTES:
                        return None
                    del self._pending[i]
                    return page
        return None

    def _requeue(self, worker: _Worker) -> None:
        """Put the page sent behind ``worker``'s back first in line (it never started)."""
        if worker.next is not None:
            with self._lock:
                self._pending.appendleft(worker.next)
            worker.next = None

    def _hand_out(self) -> None:
        # Idle workers first, then a next page for each worker on an ordinary one.
        for ahead in (False, True):
            for worker in self._workers:
                busy = worker.future is not None
                if busy != ahead or (ahead and (worker.heavy or worker.next is not None)):
                    continue
                if ahead and self._attached and worker.scoring != self._scoring_version:
                    continue  # a new scoring may fill its pipe: it goes when the worker is idle
                while True:
                    page = self._take(light=ahead)
                    if page is None:
                        return
                    if page.started or page.future.set_running_or_notify_cancel():
                        page.started = True
                        break
                with self._lock:
                    scoring, version = self._scoring, self._scoring_version
                try:
                    if worker.scoring != version:
                        worker.conn.send(("scoring", scoring))
                        worker.scoring = version
                    worker.conn.send(page.args)
                except OSError:  # the worker died: give its pages to its successor
                    with self._lock:
                        self._pending.appendleft(page)
                    if worker.future is None:
                        self._replace(worker, kill=True)
                    # else its sentinel tells, and its page fails as it should
                    return  # the worker list changed: the next round hands out the rest
                if ahead:
                    worker.next = page
                else:
                    self._start(worker, page)
                del page

    def _start(self, worker: _Worker, page: _Page) -> None:
        """``worker`` takes ``page`` now: its time limit runs from here."""
        worker.future, worker.heavy = page.future, page.heavy
        worker.deadline = time.monotonic() + self.timeout
        # Its future is all that is kept of the page: its bytes now live in the worker only.

    def _loop(self) -> None:
        while True:
            self._hand_out()
            busy = [w for w in self._workers if w.future is not None]
            with self._lock:
                if self._closed and not busy and not self._pending:
                    return
            now = time.monotonic()
            timeout = min((w.deadline - now for w in busy), default=None)
            waitables: list[Any] = [self._wake_r]
            waitables += [w.conn for w in busy]
            waitables += [w.process.sentinel for w in self._workers]
            ready = wait(waitables, timeout=max(timeout, 0) if timeout is not None else None)
            if self._wake_r in ready:
                os.read(self._wake_r, 4096)
            for worker in list(self._workers):
                self._check(worker, ready)

    def _check(self, worker: _Worker, ready: list[Any]) -> None:
        future = worker.future
        if future is not None and worker.conn in ready:
            try:
                ok, value, retiring = worker.conn.recv()
            except (EOFError, OSError):
                pass  # died while answering: the sentinel below tells
            else:
                worker.future = None
                worker.done += 1
                limit = self._max_tasks_per_child
                if retiring or (limit is not None and worker.done >= limit):
                    # Its next page (never read, or read by a worker about to go) goes
                    # to another.
                    queued = worker.next is not None
                    self._requeue(worker)
                    self._replace(worker, kill=queued and not retiring)
                elif worker.next is not None:
                    page, worker.next = worker.next, None
                    self._start(worker, page)
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
                return
        if worker.process.sentinel in ready:
            worker.future = None
            worker.process.join()
            code = worker.process.exitcode
            self._requeue(worker)
            self._replace(worker, kill=True)
            if future is not None:
                future.set_exception(
                    ExtractionFailed(f"the worker analysing this page died (exit code {code})")
                )
            return
        if future is not None and time.monotonic() >= worker.deadline:
            worker.future = None
            self._requeue(worker)
            self._replace(worker, kill=True)
            future.set_exception(
                ExtractionTimeout(f"the page took over {self.timeout:g} s; its worker was killed")
            )
