"""One crawl fanned out to many worker processes and machines, sharing a frontier in Redis.

``crawl_scaleout`` (``newstrail crawl --frontier URL --workers N``) plans the
crawl, publishes its configuration in Redis, runs N workers on this machine,
waits until the crawl is over everywhere (``newstrail worker`` processes on
other machines included), and merges what the workers stored into one crawl:
one text file, one CDXJ index, one captures file and one manifest.
``join_crawl`` (``newstrail worker --frontier URL --crawl ID``) runs one more
worker of a crawl started elsewhere.

Each worker is a crawler process (``python -m newstrail.spiders.run``) watched by the
process that started it. When the crawler dies, its watcher at once gives its
in-flight requests back to the frontier, finishes its unfinished WARC file
after the last complete record and stores it: nothing it wrote is lost, and
the merge rebuilds its text records and index from its WARC files.

``newstrail.flows.scaleout`` makes the same steps a Prefect flow; this module imports
no Prefect, so that a manual crawl starts at once.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import redis

from newstrail.config import FRONTIER, SEEN, WORKER, WORKER_TIMEOUT, CrawlConfig, Environment
from newstrail.errors import NewstrailError
from newstrail.flows.steps import plan_crawl, preflight_store, start_crawler
from newstrail.seeds import SeedSet, validate_name
from newstrail.spiders.crawlstate import CrawlState, new_worker_name, redact, redis_client
from newstrail.storage import open_store
from newstrail.storage.captures import CAPTURES_NAME
from newstrail.storage.finish import (
    EmptyCrawl,
    crawl_parts,
    crawl_summary,
    finish_crawl,
    readable_lines,
    salvage_staging,
)
from newstrail.storage.manifest import crawl_prefix
from newstrail.storage.staging import CrawlOutputs

__all__ = [
    "crawl_scaleout",
    "finish_worker",
    "join_crawl",
    "local_workers",
    "merge_crawl",
    "open_crawl",
    "plan_scaleout",
    "run_local_workers",
    "run_worker",
    "shared_config",
    "wait_for_crawl_end",
    "worker_config",
]

WORKERS_DIR = "workers"
_JOB = "job.json"
_PID = "crawler.pid"
_POLL = 0.25


# -- planning --------------------------------------------------------------------


def _absolute_store(store: str) -> str:
    # Workers run in other folders (and machines): a relative store path would
    # point somewhere else for each of them.
    if "://" in store and not store.startswith("file://"):
        return store
    return str(Path(store.removeprefix("file://")).resolve())


def plan_scaleout(
    seeds: str | Mapping[str, Any] | SeedSet,
    *,
    frontier: str,
    seen: str = "set",
    worker_timeout: float = 30.0,
    **params: Any,
) -> CrawlConfig:
    """The crawl's configuration, as ``plan_crawl`` makes it, with its shared frontier."""
    if seen not in {"set", "bloom"}:
        raise NewstrailError(f"unknown seen-set kind {seen!r}: use 'set' or 'bloom'")
    config = plan_crawl(seeds, **params)
    extra = {FRONTIER: frontier, SEEN: seen, WORKER_TIMEOUT: worker_timeout}
    return config.evolve(store=_absolute_store(config.store), extra={**config.extra, **extra})


def open_crawl(config: CrawlConfig) -> None:
    """Publish the crawl in its frontier, so that workers anywhere can join it."""
    if not CrawlState.of(config).open(config.to_dict()):
        raise NewstrailError(
            f"crawl {config.collection}/{config.crawl_id} already exists in "
            f"{redact(str(config.frontier))}"
        )


def shared_config(frontier: str, crawl: str, *, store: str | None = None) -> CrawlConfig:
    """The configuration of a running crawl, from its frontier (``crawl``: ``[COLLECTION/]ID``)."""
    client = redis_client(frontier)
    collection, _, crawl_id = crawl.rpartition("/")
    validate_name(crawl_id, "crawl id")
    try:
        published = CrawlState.published_config(client, crawl_id, collection)
    except redis.RedisError as exc:
        raise NewstrailError(f"cannot reach the frontier at {redact(frontier)}: {exc}") from None
    if published is None:
        raise NewstrailError(
            f"no crawl {crawl} in {redact(frontier)}: it has finished, or was never started"
        )
    config = CrawlConfig.from_dict(published)
    # The frontier as this machine reaches it (the crawl may name it by another address).
    extra = {**config.extra, FRONTIER: frontier}
    return config.evolve(store=store or config.store, extra=extra)


def worker_config(config: CrawlConfig, worker: str, workdir: Path) -> CrawlConfig:
    """One worker's configuration: its name, and a staging folder of its own."""
    base = workdir / config.collection / config.crawl_id / WORKERS_DIR / worker
    return config.evolve(workdir=base, extra={**config.extra, WORKER: worker})


def _coordinator_dir(config: CrawlConfig, workdir: Path) -> Path:
    return workdir / config.collection / config.crawl_id


# -- one worker ------------------------------------------------------------------


def run_worker(config: CrawlConfig, *, stop: threading.Event | None = None) -> dict[str, Any]:
    """Run one worker's crawler process to its end, then store and publish what it left.

    ``config`` is a worker's (see ``worker_config``). Returns the worker's summary;
    ``died`` in it says whether the crawler process was killed or failed.
    """
    state = CrawlState.of(config)
    worker = str(config.extra[WORKER])
    timeout = float(config.extra.get(WORKER_TIMEOUT, 30.0))
    workdir = config.crawl_workdir
    workdir.mkdir(parents=True, exist_ok=True)
    job = workdir / _JOB
    job.write_text(json.dumps(config.to_dict(), indent=2))
    # Known to the crawl from now on: the coordinator waits for this worker's summary.
    state.supervise(worker, timeout)
    with start_crawler(job) as proc:
        (workdir / _PID).write_text(f"{proc.pid}\n")
        last_beat = time.monotonic()
        stopping = False
        while proc.poll() is None:
            if stop is not None and stop.is_set() and not stopping:
                # Once: Scrapy takes a second signal as an order to stop uncleanly.
                proc.terminate()
                stopping = True
            if time.monotonic() - last_beat > 1.0:
                state.supervise(worker, timeout)
                last_beat = time.monotonic()
            time.sleep(_POLL)
        returncode = proc.returncode
    try:
        return finish_worker(config, returncode)
    finally:
        state.unsupervise(worker)


def finish_worker(config: CrawlConfig, returncode: int) -> dict[str, Any]:
    """Store what a worker's crawler left in its staging folder and publish its summary.

    A crawler that died has its in-flight requests given back to the frontier at
    once, its unfinished WARC file cut after the last complete record and stored,
    and only its captures that point into what was archived kept (the same
    salvage as a one-process crawl's, ``salvage_staging``). Its text records and
    index are rebuilt from its WARC files when the crawl is finished.
    """
    state = CrawlState.of(config)
    worker = str(config.extra[WORKER])
    workdir = config.crawl_workdir
    store = open_store(config.store)
    outputs = CrawlOutputs(store, config.collection, config.crawl_id, workdir)
    died = returncode != 0 or not config.summary_path.exists()
    if died:
        state.requeue(worker)
        state.gone(worker)
        stored = {o.key[5:] for o in outputs.stored() if o.key.startswith("warc/")}
        salvage_staging(workdir, stored)
        captures = workdir / "index" / config.worker_file(CAPTURES_NAME)
        if captures.exists():
            if any(True for _ in readable_lines(captures)):
                outputs.store_file(captures, "index")
            else:
                captures.unlink()
    # Whatever a finished crawler could not store, and a dead one's WARC files.
    for path in sorted((workdir / "warc").glob("*.warc.gz")):
        outputs.store_file(path, "warc")
    if not died:
        for path in sorted((workdir / "text").glob("*.jsonl.gz")):
            outputs.store_file(path, "text")
        for path in sorted(workdir.glob("index*.cdxj")):
            outputs.store_file(path, "index")
    state.publish_objects(
        {"key": o.key, "size": o.size, "sha256": o.sha256} for o in outputs.stored()
    )
    summary: dict[str, Any]
    if died:
        summary = {"worker": worker, "died": True, "returncode": returncode}
    else:
        summary = json.loads(config.summary_path.read_text())
        summary.update(worker=worker, died=False)
    state.publish_summary(worker, summary)
    if not any(p.is_file() for p in (workdir / "warc").glob("*")):
        # Everything is in the store now; a file that could not be stored stays.
        shutil.rmtree(config.workdir, ignore_errors=True)
    return summary


# -- the end of the crawl ----------------------------------------------------------


def wait_for_crawl_end(config: CrawlConfig, timeout: float | None = None) -> str:
    """Wait until the crawl is over and every worker has published its summary.

    Returns why it ended: ``finished`` (nothing queued, nothing in flight),
    ``budget_spent``, or ``interrupted`` when every worker is gone while work
    was left (they all died, or were stopped).
    """
    state = CrawlState.of(config)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        running = state.unaccounted()
        if not running:
            return state.done() or "interrupted"
        if deadline is not None and time.monotonic() > deadline:
            raise NewstrailError(f"workers still running after {timeout:.0f} s: {running}")
        time.sleep(_POLL)


def _merge_seeds(summaries: list[dict[str, Any]]) -> dict[str, str]:
    # A seed is queued by one worker and fetched by another: the fetcher knows.
    merged: dict[str, str] = {}
    for summary in summaries:
        for url, status in summary.get("seeds", {}).items():
            if merged.get(url) in (None, "pending") or status == "ok":
                merged[url] = status
    return merged


def merge_crawl(config: CrawlConfig, reason: str = "finished") -> dict[str, Any]:
    """Finish a distributed crawl: what all workers stored becomes one crawl.

    ``config`` is the crawl's (not a worker's). The workers' summaries and the
    sha256 of what they stored come from Redis; ``finish_crawl`` (the end of
    every crawl) merges their parts and writes the manifest. The crawl's Redis
    keys are deleted afterwards, whether or not anything was archived.
    """
    state = CrawlState.of(config)
    store = open_store(config.store)
    prefix = crawl_prefix(config.collection, config.crawl_id)
    summaries = state.summaries()
    keys = [o.key[len(prefix) + 1 :] for o in store.list(prefix + "/")]
    parts = crawl_parts(
        config,
        keys,
        {w: None if s.get("died") else s.get("counts", {}) for w, s in summaries.items()},
    )
    known = {
        key: (int(entry["size"]), str(entry["sha256"]))
        for key, entry in state.objects().items()
        if entry.get("sha256")
    }
    # A worker killed before it stored anything has no parts, only its summary.
    dead = {w for w, summary in summaries.items() if summary.get("died")}
    lost = sum(1 for part in parts if part.died)
    finished = [s for s in summaries.values() if not s.get("died")]
    try:
        finished_crawl = finish_crawl(
            config,
            parts,
            reason=reason,
            started=min((s["started"] for s in finished if s.get("started")), default=None),
            finished=max((s["finished"] for s in finished if s.get("finished")), default=None),
            workdir=_coordinator_dir(config, config.workdir),
            settings={
                **config.settings_summary(),
                "frontier": redact(str(config.frontier)),
                "seen_set": str(config.extra.get(SEEN, "set")),
                "workers": len(parts),
            },
            counts={"workers": len(parts), "workers_lost": max(lost, len(dead))},
            known=known,
            why_empty="no page fetched",
        )
    except EmptyCrawl:
        state.forget()
        raise
    # Kept until now: a merge that failed (the store went away) can be run again.
    state.forget()
    return crawl_summary(
        config,
        finished_crawl,
        {
            "seeds": _merge_seeds(list(summaries.values())),
            "workers": {
                w: {"died": bool(s.get("died")), **s.get("counts", {})}
                for w, s in summaries.items()
            },
        },
    )


# -- whole crawls --------------------------------------------------------------------


def local_workers(config: CrawlConfig, count: int, workdir: Path) -> list[CrawlConfig]:
    """Configurations of ``count`` new workers on this machine.

    Unless set, the CPUs are shared out for extraction: each worker gets a pool of
    ``cpus // count`` processes, and at least one, since only in the pool does a
    page's analysis have a time limit and leave the worker's downloads alone.
    """
    if config.extract_workers is None:
        config = config.evolve(extract_workers=max(1, (os.cpu_count() or 1) // count))
    return [worker_config(config, new_worker_name(), workdir) for _ in range(count)]


def run_local_workers(configs: list[CrawlConfig]) -> list[dict[str, Any]]:
    """Run workers on this machine side by side; each one's summary, in order."""
    results: list[dict[str, Any] | BaseException] = [{} for _ in configs]
    stop = threading.Event()

    def one(i: int, config: CrawlConfig) -> None:
        try:
            results[i] = run_worker(config, stop=stop)
        except BaseException as exc:  # reported below, once every worker has ended
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(configs)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)
    except KeyboardInterrupt:
        stop.set()
        for thread in threads:
            thread.join()
        raise
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [r for r in results if isinstance(r, dict)]


def crawl_scaleout(
    seeds: str | Mapping[str, Any] | SeedSet,
    *,
    frontier: str,
    workers: int = 2,
    seen: str = "set",
    worker_timeout: float = 30.0,
    env: Environment | None = None,
    **params: Any,
) -> dict[str, Any]:
    """``newstrail crawl --frontier URL --workers N``: the whole distributed crawl, untracked."""
    if workers < 1:
        raise NewstrailError("a crawl needs at least one worker on this machine")
    env = env or Environment.from_env()
    config = plan_scaleout(
        seeds, frontier=frontier, seen=seen, worker_timeout=worker_timeout, env=env, **params
    )
    preflight_store(config)
    open_crawl(config)
    run_local_workers(local_workers(config, workers, env.workdir))
    reason = wait_for_crawl_end(config)
    return merge_crawl(config, reason)


def join_crawl(
    frontier: str,
    crawl: str,
    *,
    store: str | None = None,
    env: Environment | None = None,
    worker_timeout: float | None = None,
) -> dict[str, Any]:
    """``newstrail worker``: one more worker for a crawl started elsewhere; its summary."""
    env = env or Environment.from_env()
    # Extraction workers are this machine's business, not the coordinator's.
    config = shared_config(frontier, crawl, store=store).evolve(extract_workers=env.extract_workers)
    if worker_timeout is not None:
        config = config.evolve(extra={**config.extra, WORKER_TIMEOUT: worker_timeout})
    if CrawlState.of(config).ended() is not None:
        raise NewstrailError(f"crawl {config.collection}/{config.crawl_id} has already ended")
    return run_worker(worker_config(config, new_worker_name(), env.workdir))
