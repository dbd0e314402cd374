"""The steps of a coverage crawl as plain functions; ``newstrail.flows.crawl`` makes
them Prefect tasks.

They live apart from Prefect so that a manual crawl without a Prefect API can run
the very same steps without paying for Prefect's import and ephemeral server. What
a crawl's end does to its files (salvage, storing, the manifest) is storage code,
in ``newstrail.storage.finish``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import newstrail
from newstrail.config import ERROR_FD_ENV, CrawlConfig, Environment, crawler_lock, new_crawl_id
from newstrail.errors import NewstrailError
from newstrail.flows.recrawl import prepare_recrawl
from newstrail.netguard import allow_list
from newstrail.relevance import DEFAULT_THRESHOLD
from newstrail.seeds import SeedSet, load_seed_set, validate_name
from newstrail.storage import open_store
from newstrail.storage.finish import (
    INTERRUPTED,
    JOB_NAME,
    finalize_crawl,
    salvage_crawl,
    store_pending,
)
from newstrail.storage.manifest import crawl_prefix

__all__ = [
    "INTERRUPTED",
    "JOB_NAME",
    "crawl_direct",
    "finalize_crawl",
    "finish_upload",
    "plan_crawl",
    "preflight_store",
    "resume_crawl",
    "run_crawler",
    "staged_config",
    "staged_crawls",
    "store_pending",
    "summary_markdown",
]

PID_NAME = "crawler.pid"


def plan_crawl(
    seeds: str | Mapping[str, Any] | SeedSet,
    *,
    store: str | None = None,
    collection: str | None = None,
    crawl_id: str | None = None,
    budget: int = 500,
    max_hops: int = 3,
    allow_private: bool | Sequence[str] = False,
    download_delay: float = 1.0,
    concurrency_per_host: int = 2,
    threshold: float | None = None,
    warc_max_size: int | None = None,
    log_level: str = "WARNING",
    wacz: bool = False,
    requisites: str = "related",
    archives: Sequence[str] = (),
    force_archives: bool | None = None,
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
        allow_private=allow_list(allow_private),
        download_delay=download_delay,
        concurrency_per_host=concurrency_per_host,
        contact=env.contact,
        # The command line's, else the seed file's, else the default; 0 counts.
        threshold=next(
            (t for t in (threshold, seed_set.threshold) if t is not None), DEFAULT_THRESHOLD
        ),
        warc_max_size=warc_max_size or env.warc_max_size,
        workdir=env.workdir,
        log_level=log_level,
        extract_workers=env.extract_workers,
        extract_timeout=env.extract_timeout,
        max_links_per_page=env.max_links_per_page,
        max_page_bytes=env.max_page_bytes,
        download_timeout=env.download_timeout,
        wacz=wacz,
        requisites=requisites,
        max_requisites=env.max_requisites,
        full_extraction=env.full_extraction,
        archives=tuple(archives),
        force_archives=force_archives,
    )


def preflight_store(config: CrawlConfig) -> None:
    """Fail before fetching anything when the store cannot be written."""
    store = open_store(config.store)
    key = f"{crawl_prefix(config.collection, config.crawl_id)}/.write-test"
    store.put(key, io.BytesIO(b"newstrail write test\n"))
    store.delete(key)


def start_crawler(job: Path, error_fd: int | None = None) -> subprocess.Popen[bytes]:
    """Start the Scrapy crawler process on the job file ``job``.

    It runs ``newstrail.spiders.run`` from ``-c`` rather than with ``-m``, so that its
    main module is nothing: extraction workers (forkserver, like spawn) import the
    main module again each, and with ``-m`` that is Scrapy's 2.3 s. It imports
    newstrail from wherever this process found it. ``error_fd``, the writing end of
    a pipe, is where it says why it failed.
    """
    env = dict(os.environ)
    root = str(Path(newstrail.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env.pop(ERROR_FD_ENV, None)
    if error_fd is not None:
        env[ERROR_FD_ENV] = str(error_fd)
    command = "import sys; from newstrail.spiders.run import main; sys.exit(main())"
    return subprocess.Popen(
        [sys.executable, "-c", command, str(job)],
        env=env,
        pass_fds=() if error_fd is None else (error_fd,),
    )


def _read_report(fd: int) -> str:
    # What the crawler wrote before it exited; never wait for more (a process it
    # started may still hold the pipe open).
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 65536).decode("utf-8", "replace").strip()
    except BlockingIOError:
        return ""


def run_crawler(config: CrawlConfig) -> dict[str, Any]:
    """Run the Scrapy crawl in a child process and return its summary."""
    workdir = config.crawl_workdir
    workdir.mkdir(parents=True, exist_ok=True)
    job = workdir / JOB_NAME
    job.write_text(json.dumps(config.to_dict(), indent=2))
    read_fd, write_fd = os.pipe()
    try:
        with start_crawler(job, write_fd) as proc:
            os.close(write_fd)
            write_fd = -1
            # Which process to signal to stop the crawl (--resume looks at crawler.lock).
            with contextlib.suppress(OSError):
                (workdir / PID_NAME).write_text(f"{proc.pid}\n")
            returncode = proc.wait()
        error = _read_report(read_fd) if returncode != 0 else ""
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)
    summary_path = config.summary_path
    if error:
        # The crawler stopped itself, e.g. because a record could not be written.
        raise NewstrailError(
            f"{error}; the crawl stopped, what it archived is kept in {workdir}; "
            f"newstrail crawl --resume {config.collection}/{config.crawl_id} stores it"
        )
    if returncode != 0 or not summary_path.exists():
        raise NewstrailError(
            f"the crawler process failed (exit {returncode}); what it archived is kept in the "
            f"store and in {workdir}; newstrail crawl --resume "
            f"{config.collection}/{config.crawl_id} stores the rest and marks it interrupted"
        )
    summary: dict[str, Any] = json.loads(summary_path.read_text())
    return summary


def summary_markdown(summary: dict[str, Any]) -> str:
    """The crawl summary as Markdown, for a Prefect artifact."""
    counts = summary.get("counts", {})
    lines = [
        f"# Crawl {summary.get('collection')}/{summary.get('crawl_id')}",
        "",
        f"Stored at `{summary.get('location', '')}`.",
        "",
        "| pages fetched | new articles | related | revisits | edits | duplicates "
        "| failures | robots-forbidden |",
        "|---|---|---|---|---|---|---|---|",
        f"| {counts.get('pages', 0)} | {counts.get('articles', 0)} | {counts.get('related', 0)} "
        f"| {counts.get('revisits', 0)} | {counts.get('edits', 0)} "
        f"| {counts.get('duplicates', 0)} "
        f"| {counts.get('errors', 0) + counts.get('failed', 0)} "
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


def staged_crawls(workdir: Path) -> list[str]:
    """``collection/crawl-id`` of every crawl with a staging folder in ``workdir``."""
    found = []
    for job in sorted(workdir.glob(f"*/*/{JOB_NAME}")):
        found.append(f"{job.parent.parent.name}/{job.parent.name}")
    return found


def staged_config(crawl: str | None, env: Environment | None = None) -> CrawlConfig:
    """The configuration a staged crawl was started with (its ``job.json``).

    ``crawl`` is ``collection/crawl-id``; ``None`` picks the only staged crawl.
    """
    env = env or Environment.from_env()
    if not crawl:
        staged = staged_crawls(env.workdir)
        if not staged:
            raise NewstrailError(f"no interrupted crawl to resume in {env.workdir}")
        if len(staged) > 1:
            raise NewstrailError(
                f"{len(staged)} interrupted crawls in {env.workdir}; name one: {', '.join(staged)}"
            )
        crawl = staged[0]
    collection, _, crawl_id = crawl.partition("/")
    prefix = crawl_prefix(collection, crawl_id)  # validates both names
    job = env.workdir / prefix / JOB_NAME
    try:
        data = json.loads(job.read_text(encoding="utf-8"))
        config = CrawlConfig.from_dict(data)
    except FileNotFoundError:
        raise NewstrailError(
            f"no staging folder for crawl {crawl} in {env.workdir} (NEWSTRAIL_WORKDIR); "
            "its upload is finished or it ran elsewhere"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NewstrailError(f"cannot read {job}: {exc}") from None
    # The staging folder is where it was found, even if NEWSTRAIL_WORKDIR was relative.
    return config.evolve(workdir=env.workdir)


def finish_upload(config: CrawlConfig) -> dict[str, Any]:
    """Finish storing a crawl from its staging folder and write its manifest.

    Safe to run again after any failure (what is stored is not uploaded twice). When
    the crawler finished, its summary is used; when it was killed, what it had
    archived is stored and the manifest says ``finish_reason: interrupted``.
    Nothing is ever fetched again.
    """
    # Held until the staging folder is cleared: not while its crawler still runs,
    # nor while another --resume of the same crawl is storing it.
    with crawler_lock(config.crawl_workdir, f"crawl {config.collection}/{config.crawl_id}"):
        summary = _finished_summary(config)
        if summary is None:
            # Killed, or stopped by a write failure (a full disk): its WARC file may end
            # in a record cut short, and nothing after the failure was archived.
            summary = salvage_crawl(config)
            config.summary_path.write_text(json.dumps(summary, indent=2))
        store_pending(config)
        return finalize_crawl(config, summary)


def _finished_summary(config: CrawlConfig) -> dict[str, Any] | None:
    """The summary of a crawler that finished, if it did (not killed, no write failure)."""
    try:
        summary = json.loads(config.summary_path.read_text())
    except (OSError, ValueError):
        # None, or cut short by a full disk.
        return None
    if not isinstance(summary, dict) or summary.get("error"):
        return None
    return summary


def resume_crawl(
    crawl: str | None = None, *, store: str | None = None, env: Environment | None = None
) -> dict[str, Any]:
    """``newstrail crawl --resume``: finish the upload of an interrupted crawl.

    ``crawl`` is ``collection/crawl-id`` (``None``: the only one staged in
    NEWSTRAIL_WORKDIR). ``store``, when given, must be the crawl's own.
    """
    config = staged_config(crawl, env)
    if store is not None and store != config.store:
        raise NewstrailError(
            f"crawl {config.collection}/{config.crawl_id} was started with store "
            f"{config.store}, not {store}"
        )
    return finish_upload(config)


def crawl_direct(
    seeds: str | Mapping[str, Any] | SeedSet,
    *,
    incremental: bool = False,
    since: datetime | None = None,
    **params: Any,
) -> dict[str, Any]:
    """The flow's steps in order, without Prefect: what ``crawl_coverage`` runs when untracked.

    ``incremental`` makes it a re-crawl of what the collection already holds
    (captured since ``since``), when it holds anything.
    """
    config = plan_crawl(seeds, **params)
    preflight_store(config)
    if incremental:
        config = prepare_recrawl(config, since)
    return finalize_crawl(config, run_crawler(config))
