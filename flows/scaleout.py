"""Prefect flows of a distributed crawl: one crawl fanned out to N workers.

``crawl_coverage_scaleout`` runs one task per worker on this machine and,
optionally, runs of a ``join_crawl`` deployment on a work pool (one worker on
each machine that picks one up), so that a scheduled crawl can use several
machines; when the crawl is over everywhere, one task merges the workers' files
and writes the manifest. The steps themselves are plain functions in
``newstrail.flows.scaleout_steps``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.context import FlowRunContext

from newstrail.config import CrawlConfig, Environment
from newstrail.errors import NewstrailError
from newstrail.flows.report import artifact_key, publish_report
from newstrail.flows.scaleout_steps import (
    crawl_scaleout,
    join_crawl,
    local_workers,
    merge_crawl,
    open_crawl,
    plan_scaleout,
    run_worker,
    wait_for_crawl_end,
)
from newstrail.flows.steps import preflight_store, summary_markdown

__all__ = ["crawl_coverage_scaleout", "crawl_scaleout", "join_crawl", "join_crawl_flow"]


@task(name="open-crawl", retries=2, retry_delay_seconds=5)
def open_crawl_task(config: dict[str, Any]) -> None:
    parsed = CrawlConfig.from_dict(config)
    preflight_store(parsed)
    open_crawl(parsed)


# A worker is not retried: it would fetch again what it fetched. Its requests go
# back to the frontier when it dies, for the other workers.
@task(name="crawl-worker", retries=0)
def crawl_worker_task(config: dict[str, Any]) -> dict[str, Any]:
    return run_worker(CrawlConfig.from_dict(config))


@task(name="merge-crawl", retries=3, retry_delay_seconds=[5, 20, 60])
def merge_crawl_task(config: dict[str, Any]) -> dict[str, Any]:
    parsed = CrawlConfig.from_dict(config)
    return merge_crawl(parsed, wait_for_crawl_end(parsed))


@flow(name="crawl_coverage_scaleout", log_prints=True)
def crawl_coverage_scaleout(
    seeds: str | dict[str, Any],
    frontier: str,
    workers: int = 2,
    store: str | None = None,
    collection: str | None = None,
    budget: int = 500,
    max_hops: int = 3,
    allow_private: bool | list[str] = False,
    download_delay: float = 1.0,
    concurrency_per_host: int = 2,
    threshold: float | None = None,
    crawl_id: str | None = None,
    seen: str = "set",
    remote_workers: int = 0,
    worker_deployment: str | None = None,
    wacz: bool = False,
    requisites: str = "related",
    archives: list[str] | None = None,
    force_archives: bool | None = None,
) -> dict[str, Any]:
    """One crawl on ``workers`` processes of this flow run plus ``remote_workers`` runs of
    the ``join_crawl`` deployment ``worker_deployment`` (on machines of its work pool).

    Every worker shares the frontier in Redis at ``frontier``; when the crawl is
    over, one task merges their files and writes the manifest.
    """
    if remote_workers and not worker_deployment:
        raise NewstrailError("remote_workers needs worker_deployment (a join_crawl deployment)")
    context = FlowRunContext.get()
    if crawl_id is None and context is not None and context.flow_run is not None:
        # The same for every retry of one flow run.
        run = context.flow_run
        when = (run.expected_start_time or run.created or datetime.now(UTC)).astimezone(UTC)
        crawl_id = f"{when:%Y%m%dT%H%M%SZ}-{run.id.hex[:6]}"
    env = Environment.from_env()
    config = plan_scaleout(
        seeds,
        frontier=frontier,
        seen=seen,
        store=store,
        collection=collection,
        crawl_id=crawl_id,
        budget=budget,
        max_hops=max_hops,
        allow_private=allow_private,
        download_delay=download_delay,
        concurrency_per_host=concurrency_per_host,
        threshold=threshold,
        wacz=wacz,
        requisites=requisites,
        archives=archives or (),
        force_archives=force_archives,
        env=env,
    )
    data = config.to_dict()
    open_crawl_task(data)
    if remote_workers and worker_deployment:
        from prefect.deployments import run_deployment

        for _ in range(remote_workers):
            run_deployment(
                worker_deployment,
                parameters={
                    "frontier": frontier,
                    "crawl": f"{config.collection}/{config.crawl_id}",
                },
                timeout=0,
            )
    futures = [
        crawl_worker_task.submit(c.to_dict()) for c in local_workers(config, workers, env.workdir)
    ]
    for future in futures:
        future.result()
    result = merge_crawl_task(data)
    create_markdown_artifact(
        markdown=summary_markdown(result),
        key=artifact_key("crawl", result["collection"]),
        description=f"newstrail crawl {result['crawl_id']} on {len(futures)} local workers",
    )
    publish_report(config.store, result["collection"])
    return result


@flow(name="join_crawl", log_prints=True)
def join_crawl_flow(frontier: str, crawl: str, store: str | None = None) -> dict[str, Any]:
    """One more worker for a running distributed crawl (deploy it on a work pool)."""
    return join_crawl(frontier, crawl, store=store)
