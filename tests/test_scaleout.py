"""Scale-out: one crawl of the offline news web on several workers sharing a real Redis."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from warcio.archiveiterator import ArchiveIterator

from newstrail.config import Environment
from newstrail.flows.scaleout_steps import (
    crawl_scaleout,
    local_workers,
    open_crawl,
    plan_scaleout,
    run_worker,
)
from newstrail.newsweb import NewsWebServer
from newstrail.records import TextRecord
from newstrail.seeds import SeedSet
from newstrail.spiders.crawlstate import CRAWLS_KEY, CrawlState
from newstrail.spiders.distributed import SharedBudget
from newstrail.storage.corpus import read_text_records
from newstrail.urls import canonical_url
from tests.conftest import prefect_env

BIN = Path(sys.executable).parent
DELAY = 0.3
# A worker takes a host's turn on Redis's clock, then its event loop may be busy
# for a moment (extracting another page) before the request leaves: the slack
# allowed, once, over any run of requests.
LOOP_LATENCY = 0.25
_WARC_WORKER = re.compile(r"-(?P<worker>[^-]+-\d+-[0-9a-f]{4})-\d{14}-\d{5}\.warc\.gz$")


@dataclass
class Scaled:
    summary: dict[str, Any]
    root: Path
    server: NewsWebServer
    log: list[Any]

    @property
    def crawl_dir(self) -> Path:
        return self.root / "store" / "scaled" / str(self.summary["crawl_id"])

    def warcs(self) -> list[Path]:
        return sorted((self.crawl_dir / "warc").glob("*.warc.gz"))


def _responses(warcs: list[Path]) -> list[tuple[str, str, str]]:
    """(target URI, record id, file name) of every response record."""
    out = []
    for path in warcs:
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type == "response":
                    headers = rec.rec_headers
                    out.append(
                        (
                            headers.get_header("WARC-Target-URI"),
                            headers.get_header("WARC-Record-ID"),
                            path.name,
                        )
                    )
    return out


def _html_responses(path: Path) -> list[str]:
    """Target URIs of the 200 HTML responses in a WARC file, read up to the first
    record not yet complete (the file may still be being written)."""
    urls = []
    with path.open("rb") as fh:
        try:
            for rec in ArchiveIterator(fh):
                http = rec.http_headers
                if (
                    rec.rec_type == "response"
                    and http
                    and http.get_statuscode() == "200"
                    and "html" in (http.get_header("Content-Type") or "")
                ):
                    urls.append(rec.rec_headers.get_header("WARC-Target-URI"))
        except Exception:  # a record still being written: stop before it
            pass
    return urls


def _records(crawl_dir: Path) -> list[TextRecord]:
    records: list[TextRecord] = []
    for path in sorted((crawl_dir / "text").glob("*.jsonl.gz")):
        with path.open("rb") as fh:
            records.extend(read_text_records(fh, compressed=True))
    return records


def _worker_of(name: str) -> str:
    match = _WARC_WORKER.search(name)
    assert match, name
    return match["worker"]


@pytest.fixture(scope="module")
def scaled(
    newsweb: NewsWebServer,
    default_seeds: SeedSet,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Scaled:
    """One crawl of the demo web by two workers sharing Redis, with small WARC files."""
    root = tmp_path_factory.mktemp("scaleout")
    newsweb.reset_log()
    summary = crawl_scaleout(
        default_seeds.with_urls(newsweb.seed_urls),
        frontier=redis_url,
        workers=2,
        store=str(root / "store"),
        collection="scaled",
        budget=70,
        allow_private=True,
        download_delay=DELAY,
        warc_max_size=100_000,
        env=Environment(store=str(root / "store"), workdir=root / "work"),
    )
    return Scaled(summary, root, newsweb, list(newsweb.request_log))


def test_no_url_is_fetched_twice_across_workers(scaled: Scaled) -> None:
    robots = Counter(e.site for e in scaled.log if e.path.endswith("/robots.txt"))
    assert robots and set(robots.values()) == {1}, "robots.txt is fetched once for the crawl"
    assert not [e.path for e in scaled.log if e.disallowed], "robots.txt is obeyed by every worker"
    pages = Counter(
        (e.site, canonical_url("http://x" + e.path))
        for e in scaled.log
        if not e.path.endswith("/robots.txt")
    )
    # The page that answers 500 is retried once; nothing else is fetched twice.
    retried = canonical_url(scaled.server.specials.server_error)
    twice = {
        key: n
        for key, n in pages.items()
        if n > 1 and canonical_url(scaled.server.url(key[0], key[1][len("http://x") :])) != retried
    }
    assert not twice
    assert len(pages) >= 60


def test_every_fetched_page_is_in_exactly_one_warc(scaled: Scaled) -> None:
    responses = _responses(scaled.warcs())
    assert len(responses) == len(scaled.log)
    ids = Counter(record_id for _, record_id, _ in responses)
    assert set(ids.values()) == {1}
    retried = scaled.server.specials.server_error
    targets = Counter(uri for uri, _, _ in responses if uri != retried)
    assert set(targets.values()) == {1}
    # Both workers fetched and wrote their own WARC files, rolled over as they filled.
    by_worker = Counter(_worker_of(name) for _, _, name in responses)
    assert len(by_worker) == 2 and min(by_worker.values()) >= 10, by_worker
    assert len(scaled.warcs()) > 2
    check = subprocess.run(
        [str(BIN / "warcio"), "check", *map(str, scaled.warcs())], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_one_manifest_one_text_file_and_one_index(scaled: Scaled) -> None:
    crawl_dir = scaled.crawl_dir
    assert [p.name for p in (crawl_dir / "text").iterdir()] == [
        f"{scaled.summary['crawl_id']}.jsonl.gz"
    ]
    assert sorted(p.name for p in (crawl_dir / "index").iterdir()) == [
        "captures.jsonl.gz",
        "index.cdxj",
    ]
    manifest = json.loads((crawl_dir / "manifest.json").read_text())
    listed = {o["key"]: o for o in manifest["objects"]}
    on_disk = {
        str(p.relative_to(crawl_dir))
        for p in crawl_dir.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert set(listed) == on_disk
    for key, obj in listed.items():
        data = (crawl_dir / key).read_bytes()
        assert obj["size"] == len(data)
        assert obj["sha256"] == hashlib.sha256(data).hexdigest()
    counts = manifest["counts"]
    assert counts["workers"] == 2 and counts["workers_lost"] == 0
    assert manifest["settings"]["workers"] == 2
    assert manifest["finish_reason"] in {"finished", "budget_spent"}
    # The index covers every response of every worker, sorted as one.
    lines = (crawl_dir / "index" / "index.cdxj").read_bytes().splitlines()
    assert lines == sorted(lines)
    assert len(lines) == len(_responses(scaled.warcs()))


def test_text_records_are_one_per_page_and_point_into_the_warcs(scaled: Scaled) -> None:
    records = _records(scaled.crawl_dir)
    assert len(records) >= 25
    urls = [canonical_url(r.canonical_url) for r in records]
    assert len(urls) == len(set(urls))
    responses = {(name, record_id) for _, record_id, name in _responses(scaled.warcs())}
    for record in records:
        assert (record.warc_filename, record.warc_record_id) in responses
        assert record.extra.get("story_id")
    # Relevance first across workers: most off-topic articles are never fetched.
    truth = {canonical_url(u): label for u, label in scaled.server.truth.items()}
    related = {canonical_url(r.url) for r in records if r.related}
    assert related
    off = {u for u, label in truth.items() if label == "off_topic"}
    assert len(set(urls) & off) < 0.5 * len(off)


def test_per_host_delay_holds_across_workers(scaled: Scaled) -> None:
    by_site: dict[str, list[float]] = {}
    for entry in scaled.log:
        by_site.setdefault(entry.site, []).append(entry.time)
    assert max(len(times) for times in by_site.values()) >= 10
    for site, times in by_site.items():
        times.sort()
        # Any k+1 requests in a row span at least k delays (less the slack):
        # two workers each keeping the delay on their own would send twice as fast.
        for i, j in itertools.combinations(range(len(times)), 2):
            span = times[j] - times[i]
            assert span >= (j - i) * DELAY - LOOP_LATENCY, (site, j - i, span)


def test_the_crawl_leaves_nothing_in_redis(scaled: Scaled, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    prefix = CrawlState(client, "scaled", str(scaled.summary["crawl_id"])).prefix
    assert list(client.scan_iter(match=prefix + "*")) == []


def test_a_killed_worker_loses_nothing(
    newsweb: NewsWebServer, default_seeds: SeedSet, redis_url: str, tmp_path: Path
) -> None:
    newsweb.reset_log()
    result: dict[str, Any] = {}

    def crawl() -> None:
        result["summary"] = crawl_scaleout(
            default_seeds.with_urls(newsweb.seed_urls),
            frontier=redis_url,
            workers=2,
            store=str(tmp_path / "store"),
            collection="killed",
            budget=60,
            allow_private=True,
            download_delay=0.0,
            env=Environment(store=str(tmp_path / "store"), workdir=tmp_path / "work"),
        )

    thread = threading.Thread(target=crawl)
    thread.start()
    deadline = time.monotonic() + 60
    while True:
        pids = sorted((tmp_path / "work").glob("*/*/workers/*/*/*/crawler.pid"))
        # Kill a worker that has archived an article: its open WARC holds the page.
        archiving = [
            pid
            for pid in pids
            if any(
                newsweb.article_at(url) is not None
                for f in pid.parent.glob("warc/*.warc.gz.open")
                for url in _html_responses(f)
            )
        ]
        if len(pids) == 2 and archiving and len(newsweb.request_log) >= 15:
            break
        assert time.monotonic() < deadline and thread.is_alive(), "the crawl did not get going"
        time.sleep(0.05)
    victim = archiving[0].parent.parent.parent.name
    os.kill(int(archiving[0].read_text()), signal.SIGKILL)
    killed_at = time.monotonic()
    thread.join(timeout=120)
    assert not thread.is_alive()
    summary = result["summary"]
    assert summary["finish_reason"] in {"finished", "budget_spent"}
    assert summary["counts"]["workers_lost"] == 1
    crawl_dir = tmp_path / "store" / "killed" / summary["crawl_id"]
    assert (crawl_dir / "manifest.json").exists()
    warcs = sorted((crawl_dir / "warc").glob("*.warc.gz"))
    assert any(victim in p.name for p in warcs), "what the killed worker archived is stored"
    check = subprocess.run(
        [str(BIN / "warcio"), "check", *map(str, warcs)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # Every page the server answered is archived: the killed worker's in-flight
    # requests went back to the frontier and the other worker fetched them.
    # A response the victim had received but not yet written when it was killed
    # cannot be in its WARC; such a request was answered just before the kill.
    archived = {uri for uri, _, _ in _responses(warcs)}
    answered = {
        newsweb.url(e.site, e.path)
        for e in newsweb.request_log
        if e.status < 400 and e.time < killed_at - 2.0
    }
    assert answered - archived == set()
    records = _records(crawl_dir)
    # The victim's articles have text records, rebuilt from its WARCs (or, for a
    # page another worker also fetched, from the earlier of the two captures).
    victims_articles = {
        newsweb.story_of(url)
        for path in warcs
        if victim in path.name
        for url in _html_responses(path)
        if newsweb.article_at(url) is not None
    }
    assert victims_articles
    assert victims_articles <= {newsweb.story_of(r.url) for r in records}
    assert any(victim in r.warc_filename for r in records), "its text is rebuilt from its WARCs"
    assert len(records) >= 25


@pytest.mark.parametrize("seen", ["set", "bloom"])
def test_of_workers_meeting_a_link_exactly_one_queues_it(redis_url: str, seen: str) -> None:
    client = redis.Redis.from_url(redis_url)
    a = CrawlState(client, "seen", seen, seen=seen, seen_capacity=1000)
    b = CrawlState(client, "seen", seen, seen=seen, seen_capacity=1000)
    url = "http://example.org/news/1"
    # Two workers meet the link at once; the seen-set insert and the queueing are one
    # step, so one queues it and the other learns it is taken, with no window between.
    assert [a.queue_if_new(url, -5, b"req-a"), b.queue_if_new(url, -5, b"req-b")] == [True, False]
    assert a.queued() == 1 and b.seen(url) and not b.seen("http://example.org/news/2")
    assert b.take("w2") == (hashlib.sha1(b"req-a").hexdigest().encode(), b"req-a")
    # A retry is queued again, seen or not.
    b.queue(-5, b"retry")
    assert a.queued() == 1
    # A worker that dies holding a request gives it back.
    assert a.take("w1") is not None and a.queued() == 0
    assert a.requeue("w1") == 1 and a.queued() == 1
    a.forget()
    assert not list(client.scan_iter(match=a.prefix + "*"))


def test_bloom_seen_set_has_no_false_negatives_and_few_false_positives(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    bloom = CrawlState(client, "bloom", "test", seen="bloom", seen_capacity=5000)
    added = [f"http://example.org/a/{i}" for i in range(5000)]
    # A false positive as the filter fills takes a new URL for a seen one: rarely.
    assert sum(bloom.queue_if_new(url, 0, url.encode()) for url in added) >= 5000 - 25
    assert all(bloom.seen(url) for url in added)
    assert not any(bloom.queue_if_new(url, 0, b"again") for url in added[:100])
    others = sum(bloom.seen(f"http://example.org/b/{i}") for i in range(5000))
    assert others <= 25  # 0.1 % expected: 5; a broken filter gives hundreds
    assert abs(bloom.seen_count() - 5000) < 250
    assert int(client.strlen(bloom.key("seen"))) <= 5000 * 2  # about 1.8 bytes a URL
    bloom.forget()


def test_host_turns_follow_the_larger_of_delay_and_crawl_delay(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    state = CrawlState(client, "gate", "test")
    state.share_robots("slow:80", 200, b"User-agent: *\nCrawl-delay: 0.5\n", 0.5)
    assert state.try_send("fast:80", 0.05) == 0.0
    assert 0.03 < state.try_send("fast:80", 0.05) <= 0.05
    assert state.try_send("slow:80", 0.05) == 0.0
    assert 0.45 < state.try_send("slow:80", 0.05) <= 0.5
    # Another worker sees the same turns.
    assert 0.4 < CrawlState(client, "gate", "test").try_send("slow:80", 0.05) <= 0.5
    assert state.robots("slow:80") == (200, b"User-agent: *\nCrawl-delay: 0.5\n")
    state.forget()


def test_robots_txt_is_fetched_by_one_worker_even_when_it_is_shared_in_between(
    redis_url: str,
) -> None:
    client = redis.Redis.from_url(redis_url)
    a, b = CrawlState(client, "robots", "test"), CrawlState(client, "robots", "test")
    for worker in ("w1", "w2"):
        a.beat(worker, 30)
    assert b.robots("site:80") is None  # w2 finds no copy yet...
    assert a.lock_robots("site:80", "w1")
    assert not b.lock_robots("site:80", "w2")
    a.share_robots("site:80", 200, b"User-agent: *\n", None)
    # ...and w1 has shared its copy and let the lock go before w2 asks again:
    # w2 must take the copy, not the lock (it did, and fetched robots.txt twice).
    assert not b.lock_robots("site:80", "w2")
    assert b.robots("site:80") == (200, b"User-agent: *\n")
    a.forget()


def test_budget_is_counted_across_workers(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    state = CrawlState(client, "budget", "test")
    a, b = SharedBudget(state, 7), SharedBudget(state, 7)
    taken = [w.take() for _ in range(5) for w in (a, b)]
    assert taken.count(True) == 7 and taken[:7] == [True] * 7
    assert a.spent and b.spent and b.used == 7
    state.forget()


def test_worker_command_joins_a_crawl_from_another_machine(
    tmp_path: Path, newsweb: NewsWebServer, redis_url: str
) -> None:
    env = {**os.environ, "NEWSTRAIL_WORKDIR": str(tmp_path / "work")}
    env.pop("PREFECT_API_URL", None)
    log = (tmp_path / "crawl.err").open("w")
    crawl = subprocess.Popen(
        [
            *(str(BIN / "newstrail"), "crawl", *newsweb.seed_urls, "--collection", "joined"),
            # Slow enough that the crawl is still open when the second machine has started.
            *("--frontier", redis_url, "--budget", "40", "--delay", "1.0", "--allow-private"),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not (match := re.search(r"--crawl (\S+)", (tmp_path / "crawl.err").read_text())):
        assert time.monotonic() < deadline and crawl.poll() is None
        time.sleep(0.05)
    crawl_id = match[1]
    # The other machine: its own working folder, the same store and Redis.
    other = tmp_path / "other"
    other.mkdir()
    worker = subprocess.run(
        [str(BIN / "newstrail"), "worker", "--frontier", redis_url, "--crawl", crawl_id],
        cwd=other,
        env={**env, "NEWSTRAIL_WORKDIR": str(other / "work")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    out, _ = crawl.communicate(timeout=120)
    log.close()
    assert crawl.returncode == 0, (tmp_path / "crawl.err").read_text()[-3000:]
    assert worker.returncode == 0, worker.stderr[-3000:]
    fetched = int(re.search(r"(\d+) pages fetched", worker.stdout)[1])  # type: ignore[index]
    assert fetched >= 1
    crawl_dir = tmp_path / "newstrail-data" / "joined" / crawl_id
    manifest = json.loads((crawl_dir / "manifest.json").read_text())
    assert manifest["counts"]["workers"] == 2
    names = {_worker_of(o["key"]) for o in manifest["objects"] if o["key"].startswith("warc/")}
    assert len(names) == 2
    assert "Crawl joined/" + crawl_id in out


def test_crawl_fans_out_as_a_prefect_flow(
    tmp_path: Path, newsweb: NewsWebServer, redis_url: str, prefect_api: str
) -> None:
    env = {
        **os.environ,
        **prefect_env(tmp_path / "prefect-client"),
        "PREFECT_API_URL": prefect_api,
        "NEWSTRAIL_WORKDIR": str(tmp_path / "work"),
    }
    result = subprocess.run(
        [
            *(str(BIN / "newstrail"), "crawl", *newsweb.seed_urls, "--collection", "fanned"),
            *("--frontier", redis_url, "--workers", "2", "--budget", "30", "--delay", "0"),
            *("--allow-private", "--seen", "bloom"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    manifests = list((tmp_path / "newstrail-data" / "fanned").glob("*/manifest.json"))
    assert len(manifests) == 1
    manifest = json.loads(manifests[0].read_text())
    assert manifest["settings"]["seen_set"] == "bloom"
    assert manifest["counts"]["workers"] == 2
    request = urllib.request.Request(
        f"{prefect_api}/artifacts/filter",
        data=json.dumps({"artifacts": {"key": {"any_": ["crawl-fanned"]}}}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        artifacts = json.load(response)
    assert len(artifacts) == 1
    flow_run_id = artifacts[0]["flow_run_id"]
    with urllib.request.urlopen(f"{prefect_api}/flow_runs/{flow_run_id}", timeout=10) as response:
        flow_run = json.load(response)
    assert flow_run["state"]["type"] == "COMPLETED"


def test_crawl_level_boilerplate_is_removed_over_the_whole_crawl(
    scaled: Scaled, default_seeds: SeedSet, tmp_path: Path
) -> None:
    """A worker sees a share of each site, so it stores its text records as extracted;
    the merge removes boilerplate over every worker's pages at once (issue 15)."""
    from newstrail.config import WORKER
    from newstrail.flows.steps import plan_crawl
    from newstrail.spiders.pipelines import TextRecordPipeline

    env = Environment(store=str(tmp_path / "store"), workdir=tmp_path / "work")
    config = plan_crawl(default_seeds, collection="w", env=env)
    pipeline = TextRecordPipeline(config.evolve(extra={**config.extra, WORKER: "w1"}))
    pipeline.open_spider()
    assert pipeline.writer is not None
    for record in _records(scaled.crawl_dir)[:12]:
        record.extra.pop("crawl_boilerplate_removed", None)
        pipeline.writer.write(record)
    before = pipeline.path.read_bytes()
    pipeline.close_spider()
    (stored,) = (tmp_path / "store").rglob("*-w1.jsonl.gz")
    assert stored.read_bytes() == before
    # The merged file went through the crawl-wide pass: every record says what it removed.
    merged = _records(scaled.crawl_dir)
    assert all("crawl_boilerplate_removed" in r.extra for r in merged)


def test_a_stopped_worker_shuts_down_cleanly(
    newsweb: NewsWebServer, default_seeds: SeedSet, redis_url: str, tmp_path: Path
) -> None:
    # Stopping a worker (Ctrl-C on `newstrail crawl --frontier`) sent SIGTERM every
    # 0.25 s, and Scrapy takes a second signal as an order to stop uncleanly: the
    # worker always ended as a crash.
    env = Environment(store=str(tmp_path / "store"), workdir=tmp_path / "work")
    config = plan_scaleout(
        default_seeds.with_urls(newsweb.seed_urls),
        frontier=redis_url,
        collection="stopped",
        budget=200,
        allow_private=True,
        download_delay=0.5,
        env=env,
    )
    open_crawl(config)
    (worker,) = local_workers(config, 1, env.workdir)
    stop = threading.Event()
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(run_worker(worker, stop=stop)))
    thread.start()
    deadline = time.monotonic() + 60
    while not list(worker.crawl_workdir.glob("warc/*.warc.gz.open")):
        assert time.monotonic() < deadline and thread.is_alive(), "the worker did not get going"
        time.sleep(0.05)
    time.sleep(1.0)
    stop.set()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert not result.get("died"), result
    assert result["finish_reason"] == "shutdown"
    assert result["counts"]["requests"] >= 1
    # The crawl itself was never ended: leave nothing of it in Redis.
    client = redis.Redis.from_url(redis_url)
    client.delete(*client.scan_iter(match=f"*{config.crawl_id}*"))
    client.hdel(CRAWLS_KEY, config.crawl_id)


def test_a_request_that_leaves_late_pushes_its_hosts_next_turn(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    state = CrawlState(client, "late", "test")
    assert state.try_send("h:80", 0.3) == 0.0  # the turn is taken...
    time.sleep(0.2)  # ...and the request leaves 0.2 s later (a busy event loop)
    state.sent("h:80", 0.3)
    # The next turn is 0.3 s after the request left, not after its turn was taken.
    assert 0.25 < state.try_send("h:80", 0.3) <= 0.3
    state.forget()
