"""The ``newstrail`` command: a thin layer over the flows, the stores and the core."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from newstrail import __version__
from newstrail.errors import NewstrailError, SeedError

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "iraq-us-troops.toml"

# Off a terminal (a pipe, a log file) nothing should be cut to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True)


def store_option(func: F) -> F:
    return click.option(
        "--store",
        metavar="URI",
        default=None,
        help="Where collections live: a folder or file:// URI (default $NEWSTRAIL_STORE "
        "or ./newstrail-data).",
    )(func)


def _store(uri: str | None) -> str:
    from newstrail.config import Environment

    return uri or Environment.from_env().store


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newstrail")
def cli() -> None:
    """newstrail: discover, archive (WARC) and extract (clean text) news coverage of a story."""


def _run_crawl(seeds: Any, **params: Any) -> dict[str, Any]:
    # With a Prefect API configured the crawl is a tracked flow run; without one the
    # flow's steps run directly, so the crawl starts fetching at once instead of
    # waiting ~20 s for an ephemeral Prefect server.
    if os.environ.get("PREFECT_API_URL"):
        from flows.crawl import crawl_coverage

        if not isinstance(seeds, str | dict):
            seeds = seeds.to_dict()
        result: dict[str, Any] = crawl_coverage(seeds=seeds, **params)
        return result
    from flows.steps import crawl_direct

    return crawl_direct(seeds, **params)


def _print_summary(summary: dict[str, Any], elapsed: float) -> None:
    counts = summary.get("counts", {})
    console.print(
        f"[bold]Crawl {summary['collection']}/{summary['crawl_id']}[/bold] "
        f"finished in {elapsed:.1f} s ({summary.get('finish_reason', '')})"
    )
    console.print(
        f"  pages fetched: {counts.get('pages', 0)} · articles: {counts.get('articles', 0)} · "
        f"related: {counts.get('related', 0)} · duplicates: {counts.get('duplicates', 0)} · "
        f"errors: {counts.get('errors', 0) + counts.get('failed', 0)} · "
        f"robots.txt refusals: {counts.get('robots_forbidden', 0)}"
    )
    top = summary.get("top_related", [])
    if top:
        table = Table(title="Top related articles", show_lines=True)
        table.add_column("score", justify="right")
        table.add_column("article")
        table.add_column("found via")
        table.add_column("why related: matched terms and best passage")
        for entry in top:
            via = entry.get("channel", "")
            if entry.get("parent"):
                via += f"\nfrom {entry['parent']}\n(hop {entry.get('hop', 0)})"
            passages = entry.get("passages") or [""]
            passage = passages[0] if len(passages[0]) <= 160 else passages[0][:159] + "…"
            table.add_row(
                f"{entry['score']:.3f}",
                f"{entry.get('title') or ''}\n[dim]{entry['url']}[/dim]",
                via,
                f"[bold]{', '.join(entry.get('matched_terms', [])[:6])}[/bold]\n{passage}",
            )
        console.print(table)
    console.print(f"  files: {summary.get('location', '')}")


def _seed_problems(summary: dict[str, Any]) -> list[str]:
    return [
        f"{url}: {status}" for url, status in summary.get("seeds", {}).items() if status != "ok"
    ]


@cli.command()
@click.argument("seeds", nargs=-1, required=True)
@click.option("--collection", metavar="NAME", help="Collection name (default: the seed set's).")
@store_option
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Pages to fetch at most.",
)
@click.option(
    "--max-hops",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="How far to follow links away from the last related page.",
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="Allow loopback, private and link-local addresses (refused by default).",
)
@click.option(
    "--delay",
    "download_delay",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Seconds between requests to one host (AutoThrottle adapts).",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Relevance score from which an article counts as related.",
)
def crawl(
    seeds: tuple[str, ...],
    collection: str | None,
    store: str | None,
    budget: int,
    max_hops: int,
    allow_private: bool,
    download_delay: float,
    threshold: float | None,
) -> None:
    """Crawl related coverage from a seed file (SEEDS.toml) or from seed URLs."""
    from newstrail.seeds import load_seed_set, seed_set_from_urls

    if len(seeds) == 1 and (seeds[0].endswith(".toml") or Path(seeds[0]).is_file()):
        seed_set = load_seed_set(seeds[0])
    else:
        if any(s.endswith(".toml") for s in seeds):
            raise SeedError("give either one seed file or seed URLs, not both")
        if not collection:
            raise SeedError("seed URLs need --collection NAME")
        seed_set = seed_set_from_urls(seeds, collection)
    started = time.monotonic()
    summary = _run_crawl(
        seed_set,
        store=_store(store),
        collection=collection,
        budget=budget,
        max_hops=max_hops,
        allow_private=allow_private,
        download_delay=download_delay,
        threshold=threshold,
    )
    _print_summary(summary, time.monotonic() - started)
    problems = _seed_problems(summary)
    for problem in problems:
        click.echo(f"newstrail: seed not captured: {problem}", err=True)
    if problems and len(problems) == len(summary.get("seeds", {})):
        raise NewstrailError("no seed could be captured; see the lines above")


@cli.command()
@store_option
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Pages to fetch at most.",
)
def demo(store: str | None, budget: int) -> None:
    """Crawl the bundled offline news web from the default seeds (no internet needed)."""
    from newstrail.demo import run_demo

    started = time.monotonic()
    result = run_demo(_store(store), budget=budget, default_seeds=DEFAULT_SEEDS)
    _print_summary(result.summary, time.monotonic() - started)
    console.print(
        f"  on-topic articles of the demo web found: {result.found_on_topic} of "
        f"{result.total_on_topic}; off-topic pages marked related: {result.false_related}"
    )


@cli.command(name="ls")
@store_option
@click.argument("collection", required=False)
def list_crawls_cmd(store: str | None, collection: str | None) -> None:
    """List collections and their crawls, with dates and counts."""
    from storage import open_store
    from storage.catalog import list_crawls

    uri = _store(store)
    crawls = list_crawls(open_store(uri), collection)
    if not crawls:
        console.print(f"no crawls in {uri}")
        return
    if not sys.stdout.isatty():
        # Tab-separated for scripts: one crawl a line, nothing truncated.
        print("collection\tcrawl\tstarted\tfinished\tpages\tarticles\trelated\tbytes\tstatus")
        for c in crawls:
            counts = c.counts or {}
            print(
                "\t".join(
                    [
                        c.collection,
                        c.crawl_id,
                        _when(c.started),
                        _when(c.finished),
                        str(counts.get("pages", "")),
                        str(counts.get("articles", "")),
                        str(counts.get("related", "")),
                        str(c.total_bytes),
                        "complete" if c.complete else "incomplete",
                    ]
                )
            )
        return
    table = Table(title=f"Crawls in {uri}")
    for column in (
        "collection",
        "crawl",
        "started",
        "finished",
        "pages",
        "articles",
        "related",
        "size",
        "status",
    ):
        table.add_column(
            column,
            justify="right" if column in {"pages", "articles", "related", "size"} else "left",
        )
    for c in crawls:
        counts = c.counts or {}
        table.add_row(
            c.collection,
            c.crawl_id,
            _when(c.started),
            _when(c.finished),
            str(counts.get("pages", "")),
            str(counts.get("articles", "")),
            str(counts.get("related", "")),
            _size(c.total_bytes),
            "complete" if c.complete else "[yellow]incomplete[/yellow]",
        )
    console.print(table)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value is not None else ""


def _size(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


@cli.command()
@click.argument("warcs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write JSON lines here (.gz to compress) instead of standard output.",
)
@click.option(
    "--seeds",
    "seed_file",
    type=click.Path(dir_okay=False),
    help="Score relevance against this seed file instead of the crawl's own scores.",
)
def extract(warcs: tuple[str, ...], output: str | None, seed_file: str | None) -> None:
    """Re-extract clean text from archived WARC files: one JSON line per HTML response."""
    from newstrail.relevance import DEFAULT_THRESHOLD, RelevanceModel
    from newstrail.seeds import load_seed_set
    from storage.reextract import records_from_warcs

    model = None
    if seed_file:
        seed_set = load_seed_set(seed_file)
        model = RelevanceModel(
            seed_set.texts, seed_set.keywords, threshold=seed_set.threshold or DEFAULT_THRESHOLD
        )
    count = 0
    with _output(output) as write:
        for record in records_from_warcs([Path(p) for p in warcs], model):
            write(record.to_json())
            count += 1
    err_console.print(f"{count} text records from {len(warcs)} WARC file(s)")


class _Output:
    def __init__(self, path: str | None) -> None:
        self.path = path

    def __enter__(self) -> Callable[[str], None]:
        if self.path is None:
            return lambda line: print(line)
        import gzip

        target = Path(self.path)
        self._tmp = target.with_name(target.name + ".part")
        self._fh = (
            gzip.open(self._tmp, "wt", encoding="utf-8")
            if target.suffix == ".gz"
            else self._tmp.open("w", encoding="utf-8")
        )
        return lambda line: print(line, file=self._fh)

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if self.path is None:
            return
        self._fh.close()
        if exc_type is None:
            self._tmp.replace(self.path)
        else:
            self._tmp.unlink(missing_ok=True)


def _output(path: str | None) -> _Output:
    return _Output(path)


def _fail(message: str, code: int) -> None:
    # Plain stderr, never wrapped: an error is one line whatever the terminal's width.
    click.echo(f"newstrail: {' '.join(message.split())}", err=True)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: every expected failure is one line on stderr and a non-zero exit."""
    try:
        code = cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Abort:
        _fail("interrupted", 130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except NewstrailError as exc:
        _fail(f"error: {exc}", 1)
    except KeyboardInterrupt:
        _fail("interrupted; what was archived so far is kept", 130)
    except OSError as exc:
        _fail(f"error: {exc}", 1)
    if isinstance(code, int) and code:
        sys.exit(code)
