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

import gzip
import heapq
import json
import os
import re
import shutil
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from newstrail import __version__
from newstrail.boilerplate import finalize_jsonl
from newstrail.config import FRONTIER, SEEN, WORKER, WORKER_TIMEOUT, CrawlConfig, Environment
from newstrail.errors import NewstrailError
from newstrail.flows.steps import plan_crawl, preflight_store, start_crawler
from newstrail.frontier import UrlSet
from newstrail.records import TextRecord
from newstrail.seeds import SeedSet, validate_name
from newstrail.spiders.crawlstate import CrawlState, new_worker_name, redact, redis_client
from newstrail.storage import open_store
from newstrail.storage.base import CHUNK_SIZE, ObjectInfo, Store
from newstrail.storage.captures import CAPTURES_NAME
from newstrail.storage.cdxj import merge_cdxj_files, write_cdxj
from newstrail.storage.corpus import TextRecordWriter, read_text_records, sort_text_records
from newstrail.storage.manifest import (
    MANIFEST_NAME,
    Manifest,
    format_utc,
    parse_utc,
    write_manifest,
)
from newstrail.storage.staging import CrawlOutputs, salvage_open_warc
from newstrail.stories import StoryIndex
from newstrail.urls import canonical_url

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


def _readable_lines(path: Path) -> Iterator[bytes]:
    """Complete lines of a gzip file that may have been cut short by a crash."""
    try:
        with gzip.open(path, "rb") as fh:
            for line in fh:
                if line.endswith(b"\n"):
                    yield line
    except (EOFError, OSError, zlib.error):
        return


def finish_worker(config: CrawlConfig, returncode: int) -> dict[str, Any]:
    """Store what a worker's crawler left in its staging folder and publish its summary.

    A crawler that died has its in-flight requests given back to the frontier at
    once, its unfinished WARC file cut after the last complete record and stored,
    and its captures kept up to the last complete line. Its text records and
    index are rebuilt from its WARC files when the crawl is merged.
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
        for part in sorted((workdir / "warc").glob("*.warc.gz.open")):
            salvage_open_warc(part)
        captures = workdir / "index" / config.worker_file(CAPTURES_NAME)
        if captures.exists():
            kept = captures.with_name(captures.name + ".kept")
            with gzip.open(kept, "wb") as out:
                lines = sum(out.write(line) > 0 for line in _readable_lines(captures))
            kept.replace(captures)
            if lines:
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


_TOP = 10
_WARC_NAME = re.compile(r"^(?P<worker>.+)-\d{14}-\d{5}\.warc\.gz$")


@dataclass
class _Parts:
    """What one worker stored, by kind (keys relative to the crawl)."""

    warcs: list[str]
    text: str | None = None
    index: str | None = None
    captures: str | None = None


def _worker_parts(config: CrawlConfig, keys: list[str]) -> dict[str, _Parts]:
    warc_prefix = f"warc/newstrail-{config.collection}-{config.crawl_id}-"
    text_prefix = f"text/{config.crawl_id}-"
    parts: dict[str, _Parts] = {}
    for key in keys:
        if key.startswith(warc_prefix):
            match = _WARC_NAME.match(key[len(warc_prefix) :])
            if match:
                parts.setdefault(match["worker"], _Parts([])).warcs.append(key)
        elif key.startswith(text_prefix) and key.endswith(".jsonl.gz"):
            worker = key[len(text_prefix) : -len(".jsonl.gz")]
            parts.setdefault(worker, _Parts([])).text = key
        elif key.startswith("index/index-") and key.endswith(".cdxj"):
            parts.setdefault(key[len("index/index-") : -len(".cdxj")], _Parts([])).index = key
        elif key.startswith("index/captures-") and key.endswith(".jsonl.gz"):
            worker = key[len("index/captures-") : -len(".jsonl.gz")]
            parts.setdefault(worker, _Parts([])).captures = key
    return parts


def _download(store: Store, prefix: str, keys: list[str], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for key in keys:
        path = folder / key.rsplit("/", 1)[-1]
        store.get_file(f"{prefix}/{key}", path)
        paths.append(path)
    return paths


def _read_records(store: Store, key: str) -> Iterator[TextRecord]:
    with store.open(key) as fh:
        yield from read_text_records(fh, compressed=True)


def _capture_order(record: TextRecord) -> tuple[str, str]:
    return record.fetched_at, record.url


@dataclass
class _Merged:
    articles: int
    duplicates: int
    related: int
    top: list[TextRecord]


def _merge_records(records: Iterable[TextRecord], out: Path, scratch: Path) -> _Merged:
    """Write one record per canonical URL (the first capture) to ``out``, in capture
    order, with stories clustered across workers; stream in, stream out (an external
    sort), so memory does not grow with the crawl."""
    kept = UrlSet()
    stories = StoryIndex()
    written = duplicates = related = 0
    top: list[tuple[float, int, TextRecord]] = []
    with TextRecordWriter(out) as writer:
        for record in sort_text_records(records, _capture_order, scratch):
            key = canonical_url(record.canonical_url or record.url)
            if key in kept:
                duplicates += 1
                continue
            kept.add(key)
            # Each worker clustered only what it fetched; cluster the whole crawl again.
            story = stories.assign(record.url, record.text)
            record.extra["story_id"] = story.story_id
            record.extra["duplicate_of"] = story.duplicate_of
            writer.write(record)
            written += 1
            if record.related:
                related += 1
                entry = (record.relevance, -written, record)
                if len(top) < _TOP:
                    heapq.heappush(top, entry)
                else:
                    heapq.heappushpop(top, entry)
    ranked = [r for _, _, r in sorted(top, key=lambda e: e[:2], reverse=True)]
    return _Merged(written, duplicates, related, ranked)


def _sha256(store: Store, key: str) -> str:
    import hashlib

    digest = hashlib.sha256()
    with store.open(key) as fh:
        while chunk := fh.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _top_related(related: list[TextRecord]) -> list[dict[str, Any]]:
    return [
        {
            "url": r.url,
            "title": r.title,
            "score": r.relevance,
            "matched_terms": r.matched_terms,
            "passages": r.extra.get("matched_passages", []),
            "channel": r.extra.get("channel", ""),
            "hop": r.extra.get("hop", 0),
            "parent": r.extra.get("parent"),
            "chain": r.extra.get("chain", []),
        }
        for r in related
    ]


def _merge_seeds(summaries: list[dict[str, Any]]) -> dict[str, str]:
    # A seed is queued by one worker and fetched by another: the fetcher knows.
    merged: dict[str, str] = {}
    for summary in summaries:
        for url, status in summary.get("seeds", {}).items():
            if merged.get(url) in (None, "pending") or status == "ok":
                merged[url] = status
    return merged


def merge_crawl(config: CrawlConfig, reason: str = "finished") -> dict[str, Any]:
    """Merge what all workers stored into one crawl and write its manifest (last).

    ``config`` is the crawl's (not a worker's). Per-worker text, index and
    captures files become one of each; a worker that died has its text records
    and index rebuilt from its WARC files. Every object is listed in the manifest
    with its sha256. The crawl's Redis keys are deleted afterwards.
    """
    state = CrawlState.of(config)
    store = open_store(config.store)
    env_workdir = config.workdir
    base = _coordinator_dir(config, env_workdir)
    outputs = CrawlOutputs(store, config.collection, config.crawl_id, base)
    prefix = outputs.prefix
    stored = {o.key[len(prefix) + 1 :]: o for o in store.list(prefix + "/")}
    parts = _worker_parts(config, sorted(stored))
    summaries = state.summaries()
    counts: Counter[str] = Counter()
    lost = 0
    scratch = base / "merge"
    scratch.mkdir(parents=True, exist_ok=True)
    indexes: list[Path] = []
    captures_path = base / CAPTURES_NAME
    captured = 0

    def worker_records() -> Iterator[TextRecord]:
        for worker, part in sorted(parts.items()):
            if part.text is not None:
                yield from _read_records(store, f"{prefix}/{part.text}")
            elif part.warcs:
                # Imported here: it brings in the extractor, which only a dead worker needs.
                from newstrail.storage.reextract import records_from_warcs

                yield from records_from_warcs(sorted((scratch / worker).glob("*.warc.gz")))

    # Everything streams through files in the scratch folder: a crawl's records,
    # index and captures are never all in memory.
    with gzip.open(captures_path, "wb") as captures_out:
        for worker, part in sorted(parts.items()):
            summary = summaries.get(worker, {"died": True})
            died = bool(summary.get("died")) or part.text is None
            local: list[Path] = []
            if (part.text is None or part.index is None) and part.warcs:
                local = _download(store, prefix, sorted(part.warcs), scratch / worker)
            index = scratch / f"{worker}.cdxj"
            if part.index is not None:
                store.get_file(f"{prefix}/{part.index}", index)
            else:
                with index.open("wb") as out:
                    write_cdxj(local, out)
            indexes.append(index)
            if part.captures is not None:
                copy = scratch / f"captures-{worker}.jsonl.gz"
                store.get_file(f"{prefix}/{part.captures}", copy)
                for line in _readable_lines(copy):
                    captures_out.write(line)
                    captured += 1
                copy.unlink()
            if died:
                lost += 1
                with index.open("rb") as fh:
                    for line in fh:
                        counts["responses_archived"] += 1
                        counts["pages"] += b"/robots.txt " not in line
            else:
                counts.update(
                    {k: int(v) for k, v in summary.get("counts", {}).items() if isinstance(v, int)}
                )
    text_path = base / "text" / f"{config.crawl_id}.jsonl.gz"
    text_path.parent.mkdir(parents=True, exist_ok=True)
    merged = _merge_records(worker_records(), text_path, scratch / "sort")
    counts["duplicates"] += merged.duplicates
    counts["articles"] = merged.articles
    counts["related"] = merged.related
    # Crawl-level boilerplate over every worker's pages at once, as a one-process crawl
    # removes it (each worker saw only its share of a site's pages).
    finalize_jsonl(text_path)
    outputs.store_file(text_path, "text")
    index_path = base / "index.cdxj"
    merge_cdxj_files(indexes, index_path)
    outputs.store_file(index_path, "index")
    if captured:
        outputs.store_file(captures_path, "index")
    for part in parts.values():
        for key in (part.text, part.index, part.captures):
            if key is not None:
                store.delete(f"{prefix}/{key}")
    objects = _manifest_objects(state, store, outputs)
    if not counts.get("pages"):
        # As in a one-process crawl: an empty crawl is not listed as a complete one.
        for obj in objects:
            store.delete(f"{prefix}/{obj.key}")
        state.forget()
        shutil.rmtree(base, ignore_errors=True)
        raise NewstrailError("nothing was archived, so the crawl is not stored: no page fetched")
    counts["warc_files"] = sum(1 for o in objects if o.key.startswith("warc/"))
    counts["workers"] = len(parts)
    # A worker killed before it stored anything has no parts, only its summary.
    dead = {w for w, summary in summaries.items() if summary.get("died")}
    counts["workers_lost"] = max(lost, len(dead))
    finished = [s for s in summaries.values() if not s.get("died")]
    started = min((s["started"] for s in finished if s.get("started")), default=None)
    ended = max((s["finished"] for s in finished if s.get("finished")), default=None)
    now = format_utc(datetime.now(UTC))
    settings = {
        **config.settings_summary(),
        "frontier": redact(str(config.frontier)),
        "seen_set": str(config.extra.get(SEEN, "set")),
        "workers": len(parts),
    }
    manifest = Manifest(
        collection=config.collection,
        crawl_id=config.crawl_id,
        started=parse_utc(started or now),
        finished=parse_utc(ended or now),
        software=f"newstrail/{__version__}",
        seed_set=config.seeds.name,
        settings=settings,
        counts=dict(sorted(counts.items())),
        objects=objects,
        finish_reason=reason,
    )
    write_manifest(store, manifest)
    state.forget()
    shutil.rmtree(base, ignore_errors=True)
    location = (
        f"{config.store.rstrip('/')}/{prefix}"
        if "://" in config.store
        else str(Path(config.store) / prefix)
    )
    return {
        "collection": config.collection,
        "crawl_id": config.crawl_id,
        "finish_reason": reason,
        "started": format_utc(manifest.started),
        "finished": format_utc(manifest.finished),
        "counts": dict(counts),
        "seeds": _merge_seeds(list(summaries.values())),
        "top_related": _top_related(merged.top),
        "store": config.store,
        "location": location,
        "objects": [{"key": o.key, "size": o.size} for o in objects],
        "workers": {
            w: {"died": bool(s.get("died")), **s.get("counts", {})} for w, s in summaries.items()
        },
    }


def _manifest_objects(state: CrawlState, store: Store, outputs: CrawlOutputs) -> list[ObjectInfo]:
    """Every object of the crawl with its sha256: from the workers' ledgers, else read back."""
    known: dict[str, tuple[int, str]] = {}
    for key, entry in state.objects().items():
        if entry.get("sha256"):
            known[key] = (int(entry["size"]), str(entry["sha256"]))
    for obj in outputs.stored():
        if obj.sha256:
            known[obj.key] = (obj.size, obj.sha256)
    prefix = outputs.prefix
    objects = []
    for obj in store.list(prefix + "/"):
        key = obj.key[len(prefix) + 1 :]
        if key == MANIFEST_NAME:
            continue
        size_sha = known.get(key)
        if obj.sha256:
            sha256 = obj.sha256
        elif size_sha is not None and size_sha[0] == obj.size:
            sha256 = size_sha[1]
        else:
            sha256 = _sha256(store, obj.key)
        objects.append(ObjectInfo(key, obj.size, sha256))
    return objects


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
