"""The ``crawl_coverage`` Prefect flow: crawl in a subprocess, store, write the manifest, report.

Retrying is safe at every level. Storage tasks are retried by Prefect and never
upload an object twice. A retried flow run keeps its crawl id (made from the flow
run's id), finds the crawl's staging folder and only finishes the upload, so a
crawl is never fetched twice; ``resume_crawl_flow`` does the same for a crawl
named by hand (``newstrail crawl --resume`` with a Prefect API).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefect import flow, get_client, task
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.context import FlowRunContext
from prefect.exceptions import ObjectNotFound

from newstrail.config import CrawlConfig, Environment
from newstrail.errors import NewstrailError
from newstrail.flows.recrawl import prepare_recrawl
from newstrail.flows.report import artifact_key, publish_report
from newstrail.flows.steps import (
    JOB_NAME,
    finalize_crawl,
    finish_upload,
    plan_crawl,
    preflight_store,
    run_crawler,
    staged_config,
    summary_markdown,
)
from newstrail.seeds import validate_name
from newstrail.storage.manifest import parse_utc

__all__ = ["crawl_coverage", "resume_crawl_flow"]


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


@task(name="finish-upload", retries=3, retry_delay_seconds=[5, 20, 60])
def finish_upload_task(config: dict[str, Any]) -> dict[str, Any]:
    return finish_upload(CrawlConfig.from_dict(config))


@task(name="prepare-recrawl", retries=3, retry_delay_seconds=[5, 20, 60])
def prepare_recrawl_task(config: dict[str, Any], since: str | None) -> CrawlConfig:
    return prepare_recrawl(CrawlConfig.from_dict(config), parse_utc(since) if since else None)


@contextmanager
def _collection_lock(collection: str) -> Iterator[None]:
    """Hold the collection's global concurrency slot (limit 1) for the crawl."""
    name = f"newstrail-collection-{collection}"
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
    with concurrency(name, occupy=1, strict=True):
        yield


def _publish(result: dict[str, Any], store: str) -> None:
    create_markdown_artifact(
        markdown=summary_markdown(result),
        key=artifact_key("crawl", result["collection"]),
        description=f"newstrail crawl {result['crawl_id']}",
    )
    publish_report(store, result["collection"])


def _flow_run_crawl_id(context: FlowRunContext) -> str:
    # The crawl id is the flow run's id: the same for every retry of the run, so a
    # retry finds its crawl, and a crawl in the store leads back to its run.
    run = context.flow_run
    assert run is not None
    return str(run.id)


@flow(name="crawl_coverage", log_prints=True)
def crawl_coverage(
    seeds: str | dict[str, Any],
    store: str | None = None,
    collection: str | None = None,
    budget: int = 500,
    max_hops: int = 3,
    allow_private: bool | list[str] = False,
    download_delay: float = 1.0,
    concurrency_per_host: int = 2,
    threshold: float | None = None,
    crawl_id: str | None = None,
    incremental: bool = False,
    since: str | None = None,
    wacz: bool = False,
    requisites: str = "related",
    archives: list[str] | None = None,
    force_archives: bool | None = None,
) -> dict[str, Any]:
    """Crawl related coverage of a seed set into a store and return the crawl's summary.

    ``seeds`` is a seed file path or a seed set as a dict. Runs as a Prefect flow
    when a Prefect API is configured; ``newstrail.cli`` calls the same steps
    directly otherwise, so a manual crawl starts fetching at once. With
    ``incremental`` (scheduled runs, ``newstrail recrawl``) it re-crawls what the
    collection holds (captured since ``since``, an ISO date): known URLs are
    re-fetched conditionally, unchanged pages become revisit records, edits of
    articles are recorded. At most one crawl of a collection runs at a time.
    """
    context = FlowRunContext.get()
    in_flow = context is not None and context.flow_run is not None
    if crawl_id is None and context is not None and context.flow_run is not None:
        crawl_id = _flow_run_crawl_id(context)
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
        wacz=wacz,
        requisites=requisites,
        archives=archives or (),
        force_archives=force_archives,
    )
    # A staging folder with a job file: this crawl already ran (a retried flow run, or
    # a crawl id given again) and only its upload is left to finish.
    staged = (config.crawl_workdir / JOB_NAME).exists()
    crawl = f"{config.collection}/{config.crawl_id}"
    after = parse_utc(since) if since else None
    if in_flow:
        with _collection_lock(config.collection):
            if staged:
                result = finish_upload_task(staged_config(crawl).to_dict())
            else:
                preflight_store_task(config.to_dict())
                if incremental:
                    config = prepare_recrawl_task(config.to_dict(), since)
                data = config.to_dict()
                summary = run_crawler_task(data)
                result = finalize_crawl_task(data, summary)
        _publish(result, config.store)
        return result
    # Called as crawl_coverage.fn(...) outside a flow run: the same steps, untracked.
    if staged:
        return finish_upload(staged_config(crawl))
    preflight_store(config)
    if incremental:
        config = prepare_recrawl(config, after)
    return finalize_crawl(config, run_crawler(config))


@flow(name="resume_crawl", log_prints=True)
def resume_crawl_flow(collection: str, crawl_id: str, store: str | None = None) -> dict[str, Any]:
    """Finish the upload of an interrupted crawl from its staging folder (NEWSTRAIL_WORKDIR).

    Stores what is not yet stored, writes the manifest (``finish_reason:
    interrupted`` when the crawler was killed) and publishes the summary and the
    collection's report. Fetches
    nothing.
    """
    config = staged_config(
        f"{validate_name(collection)}/{validate_name(crawl_id, 'crawl id')}",
        Environment.from_env(),
    )
    if store is not None and store != config.store:
        raise NewstrailError(
            f"crawl {collection}/{crawl_id} was started with store {config.store}, not {store}"
        )
    result = finish_upload_task(config.to_dict())
    _publish(result, config.store)
    return result
