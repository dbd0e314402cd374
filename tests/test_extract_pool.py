"""The extraction pool with real worker processes: time limits, dying workers, recycling."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from concurrent.futures import Future
from typing import Any

import pytest

from newstrail.extract import ExtractionConfig
from newstrail.extract_pool import (
    PREFETCH_BYTES,
    WORKER_NICENESS,
    ExtractionFailed,
    ExtractionPool,
    ExtractionTimeout,
    _peak_resident_bytes,
)
from newstrail.pagework import PageLink, PageScoring, PageWork, analyse_page
from newstrail.relevance import RelevanceModel

ARTICLE = (
    "<html><head><title>Council backs school budget</title></head><body><article>"
    "<h1>Council backs school budget</h1>"
    + "<p>The council met on Tuesday to discuss the new budget for the city's schools,"
    " which will rise by four per cent next year after a long debate.</p>"
    * 4
    + '<a href="/next">Next story</a></article></body></html>'
).encode()


def slow_task(html: bytes, url: str, **options: Any) -> PageWork:
    """Sleeps as many seconds as the URL's fragment says, then reports its pid."""
    time.sleep(float(url.partition("#")[2] or 0))
    return PageWork(None, [PageLink(url, str(os.getpid()))], 1, [], [])


_hoard: list[bytes] = []


def hoarding_task(html: bytes, url: str, **options: Any) -> PageWork:
    """Reports its pid and peak resident bytes; a URL ending in "hoard" keeps 200 MB."""
    if url.endswith("hoard"):
        _hoard.append(b"x" * (200 << 20))
    return PageWork(None, [PageLink(url, str(os.getpid()))], _peak_resident_bytes(), [], [])


def niceness_task(html: bytes, url: str, **options: Any) -> PageWork:
    """Reports its pid and its niceness."""
    return PageWork(None, [PageLink(url, str(os.getpid()))], os.nice(0), [], [])


def failing_task(html: bytes, url: str, **options: Any) -> PageWork:
    raise ValueError(f"cannot analyse {url}")


def _pid(future: Future[PageWork]) -> int:
    return int(future.result(timeout=60).links[0].text)


def _wait_ready(pool: ExtractionPool) -> None:
    pool.start()
    deadline = time.monotonic() + 120
    while not pool.ready and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.ready


def test_pool_gives_what_analyse_page_gives() -> None:
    url = "https://news.example/2020/01/05/council"
    with ExtractionPool(workers=1) as pool:
        work = pool.submit(ARTICLE, url, content_type="text/html; charset=utf-8").result(60)
    assert work == analyse_page(ARTICLE, url)
    assert work.article is not None
    assert work.links == [PageLink("https://news.example/next", "Next story")]


def test_a_page_past_the_timeout_fails_alone_and_its_worker_is_replaced() -> None:
    with ExtractionPool(workers=2, timeout=1.5, task=slow_task) as pool:
        _wait_ready(pool)
        slow = pool.submit(b"", "https://ex.org/slow#30")
        time.sleep(0.2)  # the slow page takes the first worker
        other = pool.submit(b"", "https://ex.org/other#1")
        started = time.monotonic()
        with pytest.raises(ExtractionTimeout):
            slow.result(timeout=60)
        assert time.monotonic() - started < 10
        other_pid = _pid(other)  # the page in flight meanwhile completed
        # Two workers again: two slow pages run side by side.
        pair = [pool.submit(b"", f"https://ex.org/{i}#1") for i in range(2)]
        assert len({_pid(future) for future in pair}) == 2
        assert other_pid in {_pid(future) for future in pair}


def test_heavy_pages_never_hold_every_worker() -> None:
    """Three heavy pages come first, each taking seconds: they go one at a time to
    one worker, and the ordinary pages behind them go past, to the other."""
    with ExtractionPool(workers=2, timeout=60, task=slow_task, heavy_bytes=1000) as pool:
        _wait_ready(pool)
        heavy = [pool.submit(b"x" * 1001, f"https://ex.org/heavy{i}#2") for i in range(3)]
        light = [pool.submit(b"x" * 1000, f"https://ex.org/light{i}#0.1") for i in range(8)]
        started = time.monotonic()
        for future in light:
            future.result(timeout=60)
        assert time.monotonic() - started < 1.9
        assert not any(future.done() for future in heavy[1:])
        assert len({_pid(future) for future in heavy}) == 1


def test_with_one_worker_heavy_pages_still_come_in_their_turn() -> None:
    with ExtractionPool(workers=1, timeout=60, task=slow_task, heavy_bytes=10) as pool:
        futures = [pool.submit(b"x" * 11, f"https://ex.org/heavy{i}#0.1") for i in range(3)]
        assert all(f.result(timeout=60) for f in futures)


def test_the_timed_out_worker_is_killed() -> None:
    with ExtractionPool(workers=1, timeout=1.0, task=slow_task) as pool:
        first = _pid(pool.submit(b"", "https://ex.org/a"))
        with pytest.raises(ExtractionTimeout):
            pool.submit(b"", "https://ex.org/slow#30").result(timeout=60)
        # The only worker was replaced, and the old one is gone.
        assert _pid(pool.submit(b"", "https://ex.org/b")) != first
        with pytest.raises(ProcessLookupError):
            os.kill(first, 0)


def test_a_worker_killed_mid_page_fails_only_that_page() -> None:
    with ExtractionPool(workers=2, timeout=60, task=slow_task) as pool:
        _wait_ready(pool)
        victim_pid = _pid(pool.submit(b"", "https://ex.org/who"))
        # Both workers busy for a while; kill the one we know.
        futures = [pool.submit(b"", f"https://ex.org/{i}#3") for i in range(2)]
        time.sleep(1)
        os.kill(victim_pid, signal.SIGKILL)
        outcomes = []
        for future in futures:
            try:
                outcomes.append(_pid(future))
            except ExtractionFailed:
                outcomes.append(-1)
        assert outcomes.count(-1) == 1
        assert [pid for pid in outcomes if pid != -1] != [victim_pid]
        # Fresh workers take the next pages.
        assert all(_pid(pool.submit(b"", f"https://ex.org/n{i}")) for i in range(4))


@pytest.mark.parametrize("ending", ["timeout", "killed"])
def test_the_page_sent_behind_one_whose_worker_is_replaced_goes_to_the_next_worker(
    ending: str,
) -> None:
    with ExtractionPool(
        workers=1, timeout=1.5 if ending == "timeout" else 60, task=slow_task
    ) as pool:
        first = _pid(pool.submit(b"", "https://ex.org/a"))
        ahead = pool.submit(b"", "https://ex.org/ahead#30")
        behind = pool.submit(b"", "https://ex.org/behind")
        time.sleep(0.5)
        assert not behind.done(), "a page never starts before the one ahead is answered"
        if ending == "killed":
            os.kill(first, signal.SIGKILL)
        with pytest.raises(ExtractionTimeout if ending == "timeout" else ExtractionFailed):
            ahead.result(timeout=60)
        # Not failed with its worker: analysed whole, by the one that replaced it.
        assert _pid(behind) != first


def test_a_raising_task_fails_its_page_and_the_worker_carries_on() -> None:
    with ExtractionPool(workers=1, task=failing_task) as pool:
        for _ in range(2):
            with pytest.raises(ValueError, match="cannot analyse"):
                pool.submit(b"", "https://ex.org/x").result(timeout=60)


def test_workers_are_recycled_after_max_tasks_per_child() -> None:
    with ExtractionPool(workers=1, max_tasks_per_child=2, task=slow_task) as pool:
        pids = [_pid(pool.submit(b"", f"https://ex.org/{i}")) for i in range(4)]
    assert pids[0] == pids[1] != pids[2] == pids[3]


def test_a_worker_past_its_memory_limit_is_replaced_after_its_page() -> None:
    with ExtractionPool(workers=1, task=hoarding_task) as pool:
        warm = pool.submit(b"", "https://ex.org/warm").result(timeout=60).links_total
    limit = warm + (100 << 20)
    with ExtractionPool(workers=1, task=hoarding_task, max_worker_memory=limit) as pool:
        works = [
            pool.submit(b"", f"https://ex.org/{i}{tail}").result(timeout=60)
            for i, tail in enumerate(["", "", "hoard", "", ""])
        ]
    pids = [int(work.links[0].text) for work in works]
    # The page that grew the worker is answered by it; the next goes to a new one,
    # which is kept: workers are not replaced by count.
    assert pids[0] == pids[1] == pids[2] != pids[3] == pids[4]
    assert works[2].links_total > limit > works[3].links_total


def test_workers_run_below_the_pools_process() -> None:
    with ExtractionPool(workers=1, task=niceness_task) as pool:
        work = pool.submit(b"", "https://ex.org/").result(timeout=60)
    assert work.links_total == os.nice(0) + WORKER_NICENESS


def test_close_cancels_pending_pages() -> None:
    pool = ExtractionPool(workers=1, task=slow_task)
    running = pool.submit(b"", "https://ex.org/a#1")
    queued = [pool.submit(b"", f"https://ex.org/{i}") for i in range(3)]
    time.sleep(0.5)
    pool.close(cancel_pending=True)
    assert running.result(timeout=0) is not None or running.cancelled()
    assert all(future.cancelled() or future.done() for future in queued)
    with pytest.raises(RuntimeError, match="closed"):
        pool.submit(b"", "https://ex.org/")


def test_the_ticker_page_within_limits() -> None:
    from newstrail.newsweb import HostileSite

    body = HostileSite("t", ["p"]).page("/ticker").body
    with ExtractionPool(workers=1, timeout=20) as pool:
        _wait_ready(pool)
        started = time.monotonic()
        work = pool.submit(body, "https://t.example/ticker").result(timeout=60)
        seconds = time.monotonic() - started
    del body
    assert work.article is not None
    assert {"html-truncated", "second-opinions-skipped"} <= set(work.limits)
    assert seconds < 10


def test_config_reaches_the_workers() -> None:
    config = ExtractionConfig(min_text_length=10_000)
    with ExtractionPool(workers=1, config=config) as pool:
        work = pool.submit(ARTICLE, "https://news.example/a").result(timeout=60)
    assert work.article is None  # too short for this config


def test_pages_are_scored_by_the_latest_scoring_the_pool_was_given() -> None:
    url = "https://news.example/2020/01/05/council"
    first = PageScoring(RelevanceModel(["council school budget"]), generation=0)
    second = PageScoring(RelevanceModel(["football transfer window"]), generation=1)
    with ExtractionPool(workers=1) as pool:
        pool.set_scoring(first)
        before = pool.submit(ARTICLE, url).result(60)
        pool.set_scoring(second)
        after = pool.submit(ARTICLE, url).result(60)
    assert before == analyse_page(ARTICLE, url, scoring=first)
    assert after == analyse_page(ARTICLE, url, scoring=second)
    assert (before.scored_by, after.scored_by) == (0, 1)
    assert before.relevance is not None and after.relevance is not None
    assert before.relevance.score > after.relevance.score


# -- driven by an event loop -----------------------------------------------------------


async def _started(pool: ExtractionPool) -> None:
    """Start ``pool`` driven by the running loop; return once its workers are watched."""
    pool.start(asyncio.get_running_loop())
    deadline = time.monotonic() + 120
    while not pool.ready and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert pool.ready
    await asyncio.sleep(0.05)  # the loop runs the hand-over the starting thread queued


def _pool_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "extraction-pool"]


def test_an_event_loop_drives_the_pool_with_no_thread_of_its_own() -> None:
    async def run() -> None:
        with ExtractionPool(workers=2, task=slow_task) as pool:
            await _started(pool)
            futures = [pool.submit(b"", f"https://ex.org/{i}") for i in range(20)]
            answered: set[int] = set()
            for future in futures:
                future.add_done_callback(lambda _: answered.add(threading.get_ident()))
            works = [await asyncio.wrap_future(future) for future in futures]
            assert not _pool_threads()
            assert answered == {threading.get_ident()}  # the loop's own thread
            assert len({work.links[0].text for work in works}) == 2
            assert [work.links[0].url for work in works] == [
                f"https://ex.org/{i}" for i in range(20)
            ]
        assert not _pool_threads()

    asyncio.run(run())


def test_driven_a_page_past_the_timeout_fails_alone_and_its_worker_is_replaced() -> None:
    async def run() -> None:
        with ExtractionPool(workers=2, timeout=1.5, task=slow_task) as pool:
            await _started(pool)
            slow = pool.submit(b"", "https://ex.org/slow#30")
            other = pool.submit(b"", "https://ex.org/other#1")
            started = time.monotonic()
            with pytest.raises(ExtractionTimeout):
                await asyncio.wrap_future(slow)
            assert time.monotonic() - started < 10
            other_pid = int((await asyncio.wrap_future(other)).links[0].text)
            pair = [pool.submit(b"", f"https://ex.org/{i}#1") for i in range(2)]
            pids = {int((await asyncio.wrap_future(f)).links[0].text) for f in pair}
            assert len(pids) == 2 and other_pid in pids

    asyncio.run(run())


def test_driven_a_worker_killed_mid_page_fails_only_that_page() -> None:
    async def run() -> None:
        with ExtractionPool(workers=2, timeout=60, task=slow_task) as pool:
            await _started(pool)
            victim = int(
                (await asyncio.wrap_future(pool.submit(b"", "https://ex.org/who"))).links[0].text
            )
            futures = [pool.submit(b"", f"https://ex.org/{i}#3") for i in range(2)]
            await asyncio.sleep(1)
            os.kill(victim, signal.SIGKILL)
            outcomes: list[int | str] = []
            for future in futures:
                try:
                    outcomes.append(int((await asyncio.wrap_future(future)).links[0].text))
                except ExtractionFailed:
                    outcomes.append("failed")
            assert outcomes.count("failed") == 1
            after = await asyncio.wrap_future(pool.submit(b"", "https://ex.org/after"))
            assert int(after.links[0].text) != victim

    asyncio.run(run())


def test_driven_a_large_page_waits_for_an_idle_worker_and_never_blocks_the_loop() -> None:
    """A page larger than a pipe holds, sent to a worker busy with another page, would
    block the loop's thread in the write until that worker is done."""

    async def run() -> None:
        with ExtractionPool(workers=1, timeout=60, task=slow_task) as pool:
            await _started(pool)
            busy = pool.submit(b"", "https://ex.org/busy#2")
            await asyncio.sleep(0.2)
            started = time.monotonic()
            # Ordinary (under heavy_bytes), and more than a socket's buffer holds.
            large = pool.submit(b"x" * (7 * PREFETCH_BYTES), "https://ex.org/large")
            small = pool.submit(b"x" * 100, "https://ex.org/small")
            assert time.monotonic() - started < 0.5
            await asyncio.wrap_future(busy)
            assert (await asyncio.wrap_future(large)).links[0].url == "https://ex.org/large"
            assert (await asyncio.wrap_future(small)).links[0].url == "https://ex.org/small"

    asyncio.run(run())


def test_driven_close_before_the_loop_takes_over_still_answers_and_stops_the_workers() -> None:
    async def run() -> None:
        pool = ExtractionPool(workers=1, task=slow_task)
        pool.start(asyncio.get_running_loop())
        future = pool.submit(b"", "https://ex.org/a")
        # The loop is held here on purpose: the workers come up, and their hand-over to
        # the loop waits in its queue while the pool is closed.
        deadline = time.monotonic() + 120
        while not pool.ready and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.1)
        workers = [worker.process.pid for worker in pool._workers if worker.process.pid]
        assert len(workers) == 1
        pool.close()
        assert future.result(timeout=0).links[0].url == "https://ex.org/a"
        await asyncio.sleep(0.1)  # the hand-over runs now, and finds the pool closed
        assert not _pool_threads() and not pool.ready
        for pid in workers:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)

    asyncio.run(run())


def test_driven_a_new_scoring_waits_for_an_idle_worker_and_never_blocks_the_loop() -> None:
    async def run() -> None:
        with ExtractionPool(workers=1, timeout=60, task=slow_task) as pool:
            await _started(pool)
            busy = pool.submit(b"", "https://ex.org/busy#2")
            await asyncio.sleep(0.2)
            pool.set_scoring(b"x" * (7 * PREFETCH_BYTES))  # as large as a scoring may be
            started = time.monotonic()
            small = pool.submit(b"x" * 100, "https://ex.org/small")
            assert time.monotonic() - started < 0.5
            await asyncio.wrap_future(busy)
            assert (await asyncio.wrap_future(small)).links[0].url == "https://ex.org/small"

    asyncio.run(run())


def test_driven_a_worker_past_its_memory_limit_answers_its_page_and_is_replaced() -> None:
    """The worker answers the page that grew it, then leaves: answered, not failed."""
    with ExtractionPool(workers=1, task=hoarding_task) as pool:
        warm = pool.submit(b"", "https://ex.org/warm").result(timeout=60).links_total
    limit = warm + (100 << 20)

    async def run() -> list[PageWork]:
        with ExtractionPool(workers=1, task=hoarding_task, max_worker_memory=limit) as pool:
            await _started(pool)
            return [
                await asyncio.wrap_future(pool.submit(b"", f"https://ex.org/{i}{tail}"))
                for i, tail in enumerate(["", "", "hoard", "", ""])
            ]

    pids = [int(work.links[0].text) for work in asyncio.run(run())]
    assert pids[0] == pids[1] == pids[2] != pids[3] == pids[4]
