"""A crawl flow run's report: the collection's report written into the store and linked
from the run as a Prefect link artifact."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_link_artifact
from prefect.logging import get_run_logger

from newstrail.errors import NewstrailError
from newstrail.storage import open_store
from newstrail.storage.collection import store_report

__all__ = ["artifact_key", "publish_report"]


def artifact_key(prefix: str, collection: str) -> str:
    """A Prefect artifact key for a collection (lower case letters, digits and dashes)."""
    return f"{prefix}-{collection}".lower().replace("_", "-").replace(".", "-")


@task(name="publish-report", retries=2, retry_delay_seconds=5)
def publish_report(store: str, collection: str) -> str | None:
    """Write the report of ``collection`` (every complete crawl) into ``store`` as
    ``<collection>/report.html`` and link it from the flow run; returns where it is.

    A report that cannot be written is a warning in the run's log, not a failed run:
    the crawl itself is stored by then.
    """
    try:
        location = store_report(open_store(store), collection)
    except NewstrailError as exc:
        get_run_logger().warning("the report of %s was not written: %s", collection, exc)
        return None
    create_link_artifact(
        link=location,
        link_text=f"Report of {collection}",
        key=artifact_key("report", collection),
        description=f"newstrail report of {collection}: open it in a browser (works offline)",
    )
    return location
