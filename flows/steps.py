"""The steps of a coverage crawl as plain functions; ``flows.crawl`` makes them Prefect tasks.

They live apart from Prefect so that a manual crawl without a Prefect API can run
the very same steps without paying for Prefect's import and ephemeral server.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newstrail import __version__
from newstrail.config import CrawlConfig, Environment, new_crawl_id
from newstrail.errors import NewstrailError
from newstrail.relevance import DEFAULT_THRESHOLD
from newstrail.seeds import SeedSet, load_seed_set, validate_name
from storage import open_store
from storage.manifest import Manifest, crawl_prefix, parse_utc, write_manifest
from storage.staging import CrawlOutputs

__all__ = [
    "crawl_direct",
    "finalize_crawl",
    "plan_crawl",
    "preflight_store",
    "run_crawler",
    "summary_markdown",
]


def plan_crawl(
    seeds: str | Mapping[str, Any] | SeedSet,
    *,
    store: str | None = None,
    collection: str | None = None,
    crawl_id: str | None = None,
    budget: int = 500,
    max_hops: int = 3,
    allow_private: bool = False,
    download_delay: float = 1.0,
    concurrency_per_host: int = 2,
    threshold: float | None = None,
    warc_max_size: int | None = None,
    log_level: str = "WARNING",
    env: Environment | None = None,
) -> CrawlConfig:
    """Build the crawl's configuration from flow parameters and NEWSTRAIL_* settings."""
    env = env or Environment.from_env()
    if isinstance(seeds, SeedSet):
        seed_set = seeds
    elif isinstance(seeds, Mapping):
        seed_set = SeedSet.from_dict(dict(seeds))
    else:
        seed_set = load_seed_set(seeds)
    name = validate_name(collection or seed_set.name)
    return CrawlConfig(
        seeds=seed_set,
        collection=name,
        crawl_id=crawl_id or new_crawl_id(),
        store=store or env.store,
        budget=budget,
        max_hops=max_hops,
        allow_private=allow_private,
        download_delay=download_delay,
        concurrency_per_host=concurrency_per_host,
        contact=env.contact,
        threshold=threshold or seed_set.threshold or DEFAULT_THRESHOLD,
        warc_max_size=warc_max_size or env.warc_max_size,
        workdir=env.workdir,
        log_level=log_level,
    )


def preflight_store(config: CrawlConfig) -> None:
    """Fail before fetching anything when the store cannot be written."""
    store = open_store(config.store)
    key = f"{crawl_prefix(config.collection, config.crawl_id)}/.write-test"
    store.put(key, io.BytesIO(b"newstrail write test\n"))
    store.delete(key)


def run_crawler(config: CrawlConfig) -> dict[str, Any]:
    """Run the Scrapy crawl in a child process and return its summary."""
    workdir = config.crawl_workdir
    workdir.mkdir(parents=True, exist_ok=True)
    job = workdir / "job.json"
    job.write_text(json.dumps(config.to_dict(), indent=2))
    env = dict(os.environ)
    # The child imports spiders/ and storage/ from wherever this process found them.
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run([sys.executable, "-m", "spiders.run", str(job)], env=env, check=False)
    summary_path = config.summary_path
    if proc.returncode != 0 or not summary_path.exists():
        raise NewstrailError(
            f"the crawler process failed (exit {proc.returncode}); what it archived is kept "
            f"in the store and in {workdir}"
        )
    summary: dict[str, Any] = json.loads(summary_path.read_text())
    return summary


def finalize_crawl(config: CrawlConfig, summary: dict[str, Any]) -> dict[str, Any]:
    """Check every stored object, write the manifest (last), and clear the staging folder."""
    store = open_store(config.store)
    outputs = CrawlOutputs(store, config.collection, config.crawl_id, config.crawl_workdir)
    objects = outputs.stored()
    for obj in objects:
        found = store.stat(f"{outputs.prefix}/{obj.key}")
        if found is None or found.size != obj.size:
            raise NewstrailError(
                f"{config.store}: object {obj.key} is missing or has the wrong size after upload"
            )
    leftovers = sorted(p for p in (config.crawl_workdir / "warc").glob("*") if p.is_file())
    if leftovers:
        raise NewstrailError(
            f"{len(leftovers)} WARC file(s) were not stored; kept in {config.crawl_workdir}"
        )
    counts = dict(summary.get("counts", {}))
    counts["warc_files"] = sum(1 for o in objects if o.key.startswith("warc/"))
    manifest = Manifest(
        collection=config.collection,
        crawl_id=config.crawl_id,
        started=parse_utc(summary.get("started") or _now()),
        finished=parse_utc(summary.get("finished") or _now()),
        software=f"newstrail/{__version__}",
        seed_set=config.seeds.name,
        settings=config.settings_summary(),
        counts=counts,
        objects=objects,
    )
    write_manifest(store, manifest)
    shutil.rmtree(config.crawl_workdir, ignore_errors=True)
    _prune_empty(config.workdir)
    summary = dict(summary)
    summary["store"] = config.store
    summary["location"] = _location(config)
    summary["counts"] = counts
    summary["objects"] = [{"key": o.key, "size": o.size} for o in objects]
    return summary


def _location(config: CrawlConfig) -> str:
    prefix = crawl_prefix(config.collection, config.crawl_id)
    if "://" in config.store and not config.store.startswith("file://"):
        return f"{config.store.rstrip('/')}/{prefix}"
    root = config.store.removeprefix("file://")
    return str(Path(root) / prefix)


def _prune_empty(path: Path) -> None:
    # Remove the staging folders this crawl emptied, never anything with files in it.
    for folder in [*sorted((p for p in path.rglob("*") if p.is_dir()), reverse=True), path]:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def summary_markdown(summary: dict[str, Any]) -> str:
    """The crawl summary as Markdown, for a Prefect artifact."""
    counts = summary.get("counts", {})
    lines = [
        f"# Crawl {summary.get('collection')}/{summary.get('crawl_id')}",
        "",
        f"Stored at `{summary.get('location', '')}`.",
        "",
        "| pages fetched | articles | related | duplicates | errors | robots-forbidden |",
        "|---|---|---|---|---|---|",
        f"| {counts.get('pages', 0)} | {counts.get('articles', 0)} | {counts.get('related', 0)} "
        f"| {counts.get('duplicates', 0)} | {counts.get('errors', 0)} "
        f"| {counts.get('robots_forbidden', 0)} |",
        "",
        "## Top related articles",
        "",
        "| score | title | channel | matched terms |",
        "|---|---|---|---|",
    ]
    for entry in summary.get("top_related", []):
        title = (entry.get("title") or entry["url"]).replace("|", "\\|")
        lines.append(
            f"| {entry['score']:.3f} | [{title}]({entry['url']}) | {entry.get('channel', '')} "
            f"| {', '.join(entry.get('matched_terms', [])[:6])} |"
        )
    return "\n".join(lines) + "\n"


def crawl_direct(seeds: str | Mapping[str, Any] | SeedSet, **params: Any) -> dict[str, Any]:
    """The flow's steps in order, without Prefect: what ``crawl_coverage`` runs when untracked."""
    config = plan_crawl(seeds, **params)
    preflight_store(config)
    return finalize_crawl(config, run_crawler(config))
