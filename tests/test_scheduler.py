"""The crawl's frontier: in memory up to a bound, on disk beyond it, one priority order."""

from __future__ import annotations

import errno
import random
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy import Request, Spider
from scrapy.core.downloader import Slot
from scrapy.core.engine import ExecutionEngine
from scrapy.utils.test import get_crawler

from newstrail.spiders import scheduler as frontier
from newstrail.spiders.middlewares import META_KEY
from newstrail.spiders.scheduler import StagingScheduler


def _scheduler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch | None = None, memory: int = 0
) -> StagingScheduler:
    """A scheduler on a crawler of its own; with ``memory``, that many requests
    wait in memory before the frontier spills to disk."""
    if monkeypatch is not None and memory:
        monkeypatch.setattr(frontier, "MEMORY_FRONTIER", memory)
    crawler = get_crawler(
        Spider,
        {
            "JOBDIR": str(tmp_path / "job"),
            "SCHEDULER_PRIORITY_QUEUE": "newstrail.spiders.scheduler.BudgetAwarePriorityQueue",
        },
    )
    crawler.spider = crawler._create_spider("frontier")
    # The scheduler's queues ask the engine's downloader which hosts are busy.
    crawler.engine = ExecutionEngine(crawler, lambda _: None)
    scheduler = StagingScheduler.from_crawler(crawler)
    scheduler.open(crawler.spider)
    return scheduler


def test_the_frontier_spills_to_disk_and_keeps_one_priority_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheduler = _scheduler(tmp_path, monkeypatch, memory=20)
    rng = random.Random(3)
    priorities = [rng.randrange(0, 10_000) for _ in range(300)]
    for n, priority in enumerate(priorities[:200]):
        assert scheduler.enqueue_request(Request(f"http://a.test/{n}", priority=priority))
    order: list[int] = []
    # Pops and pushes interleaved, as a crawl does.
    for n, priority in enumerate(priorities[200:], start=200):
        order.append(scheduler.next_request().priority)  # type: ignore[union-attr]
        scheduler.enqueue_request(Request(f"http://a.test/{n}", priority=priority))
    while (request := scheduler.next_request()) is not None:
        order.append(request.priority)
    stats = scheduler.stats.get_stats()  # type: ignore[union-attr]
    assert len(order) == 300
    assert sorted(order) == sorted(priorities)
    assert stats["scheduler/enqueued/memory"] >= 20
    assert stats["scheduler/enqueued/disk"] >= 150
    assert stats["scheduler/dequeued/disk"] == stats["scheduler/enqueued/disk"]
    assert stats["scheduler/dequeued"] == 300
    # Every request popped was the most urgent of those waiting at that moment.
    waiting = sorted(priorities[:200], reverse=True)
    for popped, newcomer in zip(order, priorities[200:], strict=False):
        assert popped == waiting[0]
        waiting.pop(0)
        waiting = sorted([*waiting, newcomer], reverse=True)
    assert order[100:] == waiting
    scheduler.close("finished")


def test_a_small_frontier_never_touches_the_disk(tmp_path: Path) -> None:
    scheduler = _scheduler(tmp_path)
    for n in range(50):
        scheduler.enqueue_request(Request(f"http://a.test/{n}", priority=n))
    popped = [scheduler.next_request() for _ in range(50)]
    assert [r.priority for r in popped if r is not None] == list(range(49, -1, -1))
    assert scheduler.stats.get_value("scheduler/enqueued/disk") is None  # type: ignore[union-attr]
    scheduler.close("finished")


def test_spilled_requests_of_many_hosts_all_come_back_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheduler = _scheduler(tmp_path, monkeypatch, memory=30)
    rng = random.Random(11)
    pushed: dict[str, tuple[int, str]] = {}
    popped: dict[str, tuple[int, str]] = {}

    def pop() -> None:
        request = scheduler.next_request()
        if request is not None:
            popped[request.url] = (request.priority, request.meta["note"])

    for n in range(3000):
        if rng.random() < 0.6:
            url = f"http://h{rng.randrange(8)}.test/{n}"
            note = "x" * rng.randrange(3000)
            priority = rng.randrange(0, 12)  # few priorities: buckets get reused
            scheduler.enqueue_request(Request(url, priority=priority, meta={"note": note}))
            pushed[url] = (priority, note)
        else:
            pop()
    while len(popped) < len(pushed) and scheduler.has_pending_requests():
        pop()
    assert scheduler.dqs is not None, "the disk queue failed"
    assert scheduler.stats.get_value("scheduler/enqueued/disk", 0) > 500  # type: ignore[union-attr]
    assert popped == pushed
    scheduler.close("finished")


def test_a_budget_smaller_than_the_frontier_goes_to_the_best_even_on_a_busy_host(
    tmp_path: Path,
) -> None:
    scheduler = _scheduler(tmp_path)
    # The spider says how many page requests the budget has left.
    spider: Any = scheduler.crawler.spider  # type: ignore[union-attr]
    # slow.test has a download under way (its crawl delay), fast.test none: Scrapy's
    # queue takes from the idle host first.
    slot = Slot(concurrency=1, delay=1.0, jitter=0)
    slot.active.add(Request("http://slow.test/under-way"))
    scheduler.crawler.engine.downloader.slots["slow.test"] = slot  # type: ignore[union-attr]
    for n in range(4):
        for host, priority in (("slow", 900 + n), ("fast", 100 + n)):
            request = Request(f"http://{host}.test/{n}", priority=priority, meta={META_KEY: n})
            scheduler.enqueue_request(request)

    # The budget pays for all eight: Scrapy's order, the idle host first.
    spider.budget_left = 100
    first = scheduler.next_request()
    assert first is not None and first.url == "http://fast.test/3"

    # Three left for seven waiting: the three best, though their host is busy.
    spider.budget_left = 3
    taken = []
    for _ in range(3):
        page = scheduler.next_request()
        assert page is not None
        taken.append(page.url)
        spider.budget_left -= 1  # as BudgetMiddleware counts it when it is sent
    assert taken == ["http://slow.test/3", "http://slow.test/2", "http://slow.test/1"]

    # Spent: the rest drains (the middleware drops it), nothing is held.
    rest = []
    while (left := scheduler.next_request()) is not None:
        rest.append(left.url)
    assert sorted(rest) == sorted(
        ["http://slow.test/0", "http://fast.test/2", "http://fast.test/1", "http://fast.test/0"]
    )
    scheduler.close("finished")


def _open_files_under(folder: Path) -> int:
    fds = Path("/proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            target = fd.readlink()
        except OSError:
            continue
        count += str(target).startswith(str(folder))
    return count


def test_a_frontier_of_many_hosts_and_priorities_holds_one_file_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Scrapy's disk queue keeps a file open per host and priority: these 2,490
    # requests held 2,478 files open, where the usual limit is 1,024.
    scheduler = _scheduler(tmp_path, monkeypatch, memory=10)
    rng = random.Random(7)
    pushed: dict[str, list[int]] = {}
    for n in range(2500):
        priority = rng.randrange(0, 10_000)
        host = f"h{n % 20}.test"
        scheduler.enqueue_request(Request(f"http://{host}/{n}", priority=priority))
        pushed.setdefault(host, []).append(priority)
    stats = scheduler.stats
    assert stats is not None
    assert stats.get_value("scheduler/enqueued/disk") == 2490
    assert stats.get_value("coverage/frontier_spilled") == 2490
    queue = tmp_path / "job" / "requests.queue"
    assert _open_files_under(queue) == 1
    popped: dict[str, list[int]] = {}
    while (request := scheduler.next_request()) is not None:
        popped.setdefault(urlsplit(request.url).netloc, []).append(request.priority)
    assert {host: sorted(found) for host, found in popped.items()} == {
        host: sorted(found) for host, found in pushed.items()
    }
    spool = queue / "spool"
    assert spool.stat().st_size == 0, "emptied once nothing in it waits"
    scheduler.close("finished")
    assert not spool.exists()
    assert _open_files_under(queue) == 0


def test_a_frontier_whose_disk_fills_up_stops_the_crawl_and_loses_no_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write, writes = frontier.RequestSpool.write, 0

    def disk_fills_up(spool: frontier.RequestSpool, request: Request) -> tuple[int, int]:
        nonlocal writes
        writes += 1
        if writes > 30:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(spool, request)

    stopped: list[str] = []
    monkeypatch.setattr(frontier.RequestSpool, "write", disk_fills_up)
    monkeypatch.setattr(
        frontier, "stop_on_write_error", lambda _crawler, exc, _folder: stopped.append(str(exc))
    )
    scheduler = _scheduler(tmp_path, monkeypatch, memory=10)
    for n in range(100):
        assert scheduler.enqueue_request(Request(f"http://h{n % 3}.test/{n}", priority=n))
    assert scheduler.dqs is None, "the disk queue gave up"
    assert len(stopped) == 1 and "No space left on device" in stopped[0]
    urls = []
    while (request := scheduler.next_request()) is not None:
        urls.append(request.url)
    assert len(urls) == 100 - 30, "the 30 on disk go with it; the rest are all there"
    assert writes == 31, "the disk is not tried again"
    scheduler.close("store_error")


def test_the_frontier_file_follows_the_frontier_not_the_crawl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frontier, "COMPACT_BYTES", 64 * 1024)
    scheduler = _scheduler(tmp_path, monkeypatch, memory=10)
    spool = tmp_path / "job" / "requests.queue" / "spool"
    rng = random.Random(5)
    pushed: dict[str, str] = {}
    popped: dict[str, str] = {}
    largest = 0
    # A long crawl whose frontier never drains: 200 requests wait for good (the
    # least urgent), while 6,000 more go through.
    for n in range(6200):
        note = "x" * rng.randrange(200, 600)
        url = f"http://h{n % 7}.test/{n}"
        priority = 0 if n < 200 else rng.randrange(1, 1000)
        scheduler.enqueue_request(Request(url, priority=priority, meta={"note": note}))
        pushed[url] = note
        if n >= 200 and n % 2:
            for _ in range(2):
                request = scheduler.next_request()
                assert request is not None
                popped[request.url] = request.meta["note"]
        largest = max(largest, spool.stat().st_size if spool.exists() else 0)
    assert scheduler.stats.get_value("scheduler/enqueued/disk", 0) > 5000  # type: ignore[union-attr]
    # Without the rewrite the file would hold every request spilled: over 2 MB.
    assert largest < 2 * 64 * 1024 + 200 * 1024, largest
    while (request := scheduler.next_request()) is not None:
        popped[request.url] = request.meta["note"]
    assert popped == pushed
    scheduler.close("finished")
    assert not spool.exists() and not spool.with_name("spool.new").exists()
