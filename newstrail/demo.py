"""``newstrail demo``: crawl the bundled offline news web from the default seed set."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newstrail.errors import NewstrailError
from newstrail.newsweb import NewsWebServer, SeedArticle, build_web
from newstrail.seeds import SeedSet, load_seed_set
from newstrail.urls import canonical_url

__all__ = ["DemoResult", "demo_seed_articles", "run_demo"]


@dataclass(frozen=True)
class DemoResult:
    """The crawl's summary plus how it did against the demo web's known truth."""

    summary: dict[str, Any]
    total_on_topic: int
    found_on_topic: int
    false_related: int
    #: Where the collection's report was written (``<store>/<collection>/report.html``).
    report: str = ""


def demo_seed_articles(seeds: SeedSet) -> list[SeedArticle]:
    """The seed texts as articles for the demo web to publish."""
    articles = []
    for seed in seeds.seeds:
        if not seed.text:
            continue
        paragraphs = tuple(p.strip() for p in seed.text.split("\n\n") if p.strip())
        articles.append(
            SeedArticle(
                title=seed.title or "Untitled",
                author=seed.author or "Staff",
                date=seed.published or "2020-01-01",
                paragraphs=paragraphs,
            )
        )
    return articles


def run_demo(
    store: str,
    *,
    budget: int,
    default_seeds: Path,
    crawl: Callable[..., dict[str, Any]] | None = None,
) -> DemoResult:
    """Serve the demo web on 127.0.0.1, crawl it from its seed pages, score against its truth,
    and write the collection's report into the store."""
    if not default_seeds.exists():
        raise NewstrailError(
            f"the default seed set is not at {default_seeds}; run the demo from a clone of "
            "the repository (pip install -e .)"
        )
    seeds = load_seed_set(default_seeds)
    if crawl is None:
        from newstrail.flows.steps import crawl_direct

        crawl = crawl_direct
    web = build_web(demo_seed_articles(seeds))
    with NewsWebServer(web) as server:
        demo_seeds = seeds.with_urls(server.seed_urls)
        summary = crawl(
            demo_seeds.to_dict(),
            store=store,
            collection=f"demo-{seeds.name}",
            budget=budget,
            allow_private=["127.0.0.1"],  # the offline news web, nothing else
            download_delay=0.0,
            concurrency_per_host=2,
        )
        truth = {canonical_url(url): label for url, label in server.truth.items()}
    related = _related_urls(store, summary)
    from newstrail.storage import open_store
    from newstrail.storage.collection import store_report

    report = store_report(open_store(store), summary["collection"])
    on_topic = {u for u, label in truth.items() if label == "on_topic"}
    return DemoResult(
        summary=summary,
        total_on_topic=len(on_topic),
        found_on_topic=len(on_topic & related),
        false_related=len({u for u in related if truth.get(u) in {"off_topic", "hard_negative"}}),
        report=report,
    )


def _related_urls(store: str, summary: dict[str, Any]) -> set[str]:
    from newstrail.storage import open_store
    from newstrail.storage.corpus import read_text_records

    opened = open_store(store)
    prefix = f"{summary['collection']}/{summary['crawl_id']}"
    urls: set[str] = set()
    for obj in summary.get("objects", []):
        if obj["key"].startswith("text/"):
            with opened.open(f"{prefix}/{obj['key']}") as fh:
                for record in read_text_records(fh, compressed=obj["key"].endswith(".gz")):
                    if record.related:
                        urls.add(canonical_url(record.url))
    return urls
