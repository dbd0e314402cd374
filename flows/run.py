"""How every crawl is run: ``run_crawl`` and ``resume_crawl``, whatever the mode.

A crawl runs in one process, or on ``workers`` processes sharing a ``frontier``
in Redis (and machines that join it with ``newstrail worker``). With a Prefect
API configured (``PREFECT_API_URL``) it is a tracked flow run of
``newstrail.flows.crawl`` or ``newstrail.flows.scaleout``; without one the same
steps run directly, so a crawl starts fetching at once instead of waiting for an
ephemeral Prefect server. Either way it ends in
``newstrail.storage.finish.finish_crawl``. Prefect is imported only for a
tracked run, Redis only for a distributed one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from newstrail.errors import NewstrailError
from newstrail.seeds import SeedSet

__all__ = ["resume_crawl", "run_crawl", "tracked"]


def tracked() -> bool:
    """Whether crawls run as Prefect flow runs (a Prefect API is configured)."""
    return bool(os.environ.get("PREFECT_API_URL"))


def run_crawl(
    seeds: str | Mapping[str, Any] | SeedSet,
    *,
    frontier: str | None = None,
    workers: int = 1,
    seen: str = "set",
    incremental: bool = False,
    since: datetime | None = None,
    **params: Any,
) -> dict[str, Any]:
    """Run one crawl to its end and return its summary.

    ``params`` are ``plan_crawl``'s (store, collection, budget, max_hops, ...).
    ``incremental`` makes it a re-crawl of what the collection holds (captured
    since ``since``); ``frontier`` makes it a distributed crawl on ``workers``
    local processes with a ``seen``-set of that kind.
    """
    if frontier is None:
        if workers != 1 or seen != "set":
            raise NewstrailError("workers and a seen-set kind need a frontier (redis://...)")
        if tracked():
            from newstrail.flows.crawl import crawl_coverage

            result: dict[str, Any] = crawl_coverage(
                seeds=_plain(seeds),
                incremental=incremental,
                since=since.isoformat() if since is not None else None,
                **params,
            )
            return result
        from newstrail.flows.steps import crawl_direct

        return crawl_direct(seeds, incremental=incremental, since=since, **params)
    if incremental:
        raise NewstrailError("a re-crawl runs in one process: it takes no frontier")
    if tracked():
        from newstrail.flows.scaleout import crawl_coverage_scaleout

        result = crawl_coverage_scaleout(
            seeds=_plain(seeds), frontier=frontier, workers=workers, seen=seen, **params
        )
        return result
    from newstrail.flows.scaleout_steps import crawl_scaleout

    return crawl_scaleout(seeds, frontier=frontier, workers=workers, seen=seen, **params)


def resume_crawl(crawl: str | None = None, *, store: str | None = None) -> dict[str, Any]:
    """Finish storing an interrupted one-process crawl (``newstrail crawl --resume``).

    ``crawl`` is ``collection/crawl-id``; ``None`` picks the only one staged.
    """
    if tracked():
        from newstrail.flows.crawl import resume_crawl_flow
        from newstrail.flows.steps import staged_config

        config = staged_config(crawl)
        result: dict[str, Any] = resume_crawl_flow(config.collection, config.crawl_id, store)
        return result
    from newstrail.flows import steps

    return steps.resume_crawl(crawl, store=store)


def _plain(seeds: str | Mapping[str, Any] | SeedSet) -> str | dict[str, Any]:
    # A flow run's parameters are JSON: a seed file's path or the seed set as a dict.
    if isinstance(seeds, SeedSet):
        return seeds.to_dict()
    return seeds if isinstance(seeds, str) else dict(seeds)
