"""The ``crawl_coverage`` Prefect flow: crawl in a subprocess, store, write the manifest, report."""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.context import FlowRunContext

from flows.steps import (
    finalize_crawl,
    plan_crawl,
    preflight_store,
    run_crawler,
    summary_markdown,
)
from newstrail.config import CrawlConfig

__all__ = ["crawl_coverage"]


@task(name="preflight-store", retries=2, retry_delay_seconds=5)
def preflight_store_task(config: dict[str, Any]) -> None:
    preflight_store(CrawlConfig.from_dict(config))


# A crawl is not retried as a whole: it would fetch everything again. Storage steps are.
@task(name="run-crawler", retries=0)
def run_crawler_task(config: dict[str, Any]) -> dict[str, Any]:
    return run_crawler(CrawlConfig.from_dict(config))


@task(name="finalize-crawl", retries=3, retry_delay_seconds=[5, 20, 60])
def finalize_crawl_task(config: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    return finalize_crawl(CrawlConfig.from_dict(config), summary)


@flow(name="crawl_coverage", log_prints=True)
def crawl_coverage(
    seeds: str | dict[str, Any],
    store: str | None = None,
    collection: str | None = None,
    budget: int = 500,
    max_hops: int = 3,
    allow_private: bool = False,
    download_delay: float = 1.0,
    concurrency_per_host: int = 2,
    threshold: float | None = None,
    crawl_id: str | None = None,
) -> dict[str, Any]:
    """Crawl related coverage of a seed set into a store and return the crawl's summary.

    ``seeds`` is a seed file path or a seed set as a dict. Runs as a Prefect flow
    when a Prefect API is configured; ``newstrail.cli`` calls the same steps
    directly otherwise, so a manual crawl starts fetching at once.
    """
    config = plan_crawl(
        seeds,
        store=store,
        collection=collection,
        crawl_id=crawl_id,
        budget=budget,
        max_hops=max_hops,
        allow_private=allow_private,
        download_delay=download_delay,
        concurrency_per_host=concurrency_per_host,
        threshold=threshold,
    ).to_dict()
    in_flow = FlowRunContext.get() is not None
    if in_flow:
        preflight_store_task(config)
        summary = run_crawler_task(config)
        result = finalize_crawl_task(config, summary)
        create_markdown_artifact(
            markdown=summary_markdown(result),
            key=f"crawl-{result['collection']}".lower().replace("_", "-").replace(".", "-"),
            description=f"newstrail crawl {result['crawl_id']}",
        )
        return result
    # Called as crawl_coverage.fn(...) outside a flow run: the same steps, untracked.
    typed = CrawlConfig.from_dict(config)
    preflight_store(typed)
    return finalize_crawl(typed, run_crawler(typed))
