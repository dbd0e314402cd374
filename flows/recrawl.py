"""Incremental re-crawls and what a crawl adds to its collection's history (plain functions).

A re-crawl reads what the collection already holds (newstrail.storage.captures), so the
crawler can re-fetch known URLs conditionally and archive unchanged payloads as
revisits; after the crawl, articles whose text or title changed since their
previous capture are written to the crawl's ``edits/edits.jsonl``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from newstrail.config import CrawlConfig
from newstrail.errors import NewstrailError
from newstrail.seeds import SeedSet
from newstrail.storage import open_store
from newstrail.storage.base import Store
from newstrail.storage.captures import CaptureLog, load_prior
from newstrail.storage.catalog import list_crawls
from newstrail.storage.corpus import TextRecordWriter
from newstrail.storage.finish import PRIOR_ARTICLES
from newstrail.storage.manifest import crawl_prefix, read_manifest

__all__ = [
    "EDITS_KEY",
    "collection_seeds",
    "iter_edits",
    "prepare_recrawl",
]

EDITS_KEY = "edits/edits.jsonl"
_PRIOR_CAPTURES = "prior-captures.jsonl.gz"
# How many known related articles a re-crawl revisits first.
_KNOWN_URLS = 2000


def collection_seeds(store: Store, collection: str) -> SeedSet:
    """The seed set of a collection's latest complete crawl (each crawl stores its own)."""
    prior = load_prior(store, collection)
    if not prior.crawls:
        raise NewstrailError(f"{store.uri}: collection {collection!r} has no complete crawl")
    if prior.seeds is None:
        raise NewstrailError(f"{store.uri}: collection {collection!r} has no stored seed set")
    return SeedSet.from_dict(prior.seeds)


def prepare_recrawl(config: CrawlConfig, since: datetime | None = None) -> CrawlConfig:
    """Turn a crawl of a collection into an incremental re-crawl of what it already holds.

    Without a complete earlier crawl (a first scheduled run) the crawl stays a
    full crawl.
    """
    store = open_store(config.store)
    prior = load_prior(store, config.collection, since)
    if not prior.crawls:
        return config
    workdir = config.crawl_workdir
    workdir.mkdir(parents=True, exist_ok=True)
    log = CaptureLog(workdir / _PRIOR_CAPTURES)
    for capture in prior.captures.values():
        log.write(capture)
    log.close()
    with TextRecordWriter(workdir / PRIOR_ARTICLES) as writer:
        for record in prior.articles.values():
            writer.write(record)
    known = [u for u in prior.related_urls if u not in set(config.seeds.urls)]
    return config.evolve(
        prior=str(workdir / _PRIOR_CAPTURES),
        known_urls=tuple(known[:_KNOWN_URLS]),
        known_feeds=tuple(prior.feeds),
    )


def iter_edits(store: Store, collection: str) -> Iterator[dict[str, Any]]:
    """Every edit recorded for a collection, crawl by crawl, oldest first."""
    crawls = [c for c in list_crawls(store, collection) if c.complete]
    crawls.sort(key=lambda c: (c.started is None, c.started, c.crawl_id))
    for crawl in crawls:
        manifest = read_manifest(store, crawl.collection, crawl.crawl_id)
        if EDITS_KEY not in {o.key for o in manifest.objects}:
            continue
        key = f"{crawl_prefix(crawl.collection, crawl.crawl_id)}/{EDITS_KEY}"
        with store.open(key) as fh:
            for line in fh.read().decode("utf-8").splitlines():
                if line.strip():
                    yield {"crawl_id": crawl.crawl_id, **json.loads(line)}
