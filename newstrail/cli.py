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
from newstrail.redact import install_redaction, redact

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])


# Off a terminal (a pipe, a log file) nothing should be cut to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True)


def _set_s3_endpoint(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    # Through the environment, so that the crawler's own process uses it too.
    if value:
        os.environ["NEWSTRAIL_S3_ENDPOINT"] = value


def store_option(func: F) -> F:
    func = click.option(
        "--s3-endpoint",
        metavar="URL",
        expose_value=False,
        callback=_set_s3_endpoint,
        help="S3 endpoint for s3:// stores (default $NEWSTRAIL_S3_ENDPOINT, $AWS_ENDPOINT_URL "
        "or the AWS config).",
    )(func)
    return click.option(
        "--store",
        metavar="URI",
        default=None,
        help="Where collections live: a folder, file:// or s3://bucket/prefix URI (default "
        "$NEWSTRAIL_STORE or ./newstrail-data).",
    )(func)


def _store(uri: str | None) -> str:
    from newstrail.config import Environment

    return uri or Environment.from_env().store


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newstrail")
def cli() -> None:
    """newstrail: discover, archive (WARC) and extract (clean text) news coverage of a story."""


def frontier_options(func: F) -> F:
    func = click.option(
        "--seen",
        type=click.Choice(["set", "bloom"]),
        default="set",
        show_default=True,
        help="Shared seen-set in Redis: a set (about 64 MB per million URLs) or a Bloom filter "
        "(18 MB for 10 million URLs, 0.1% of new URLs wrongly taken for seen).",
    )(func)
    func = click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help="Crawler processes on this machine sharing the --frontier.",
    )(func)
    return click.option(
        "--frontier",
        metavar="URL",
        help="Share the crawl through this Redis (redis://HOST:PORT/DB): many worker processes, "
        "and machines with `newstrail worker`, crawl it together.",
    )(func)


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
    if counts.get("archive_requests"):
        console.print(
            f"  web archives: {counts['archive_requests']} requests · "
            f"found in their indexes: {counts.get('archive-index_entries_queued', 0)} · "
            f"dead pages: {counts.get('dead_pages', 0)} · "
            f"mementos: {counts.get('mementos', 0)} "
            f"({counts.get('related_from_archive', 0)} related, "
            f"{counts.get('seeds_recovered', 0)} seeds)"
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


def _archive_params(archives: tuple[str, ...], force: bool | None) -> dict[str, Any]:
    """The crawl's archive parameters, checked now (a one-line error before anything runs)."""
    from newstrail.archives import parse_archive

    if force is False and archives:
        raise NewstrailError("--no-archives with --archive: choose one")
    for url in archives:
        parse_archive(url)
    params: dict[str, Any] = {}
    if archives:
        params["archives"] = list(archives)
    if force is not None:
        params["force_archives"] = force
    return params


def _seed_problems(summary: dict[str, Any]) -> list[str]:
    return [
        f"{url}: {status}" for url, status in summary.get("seeds", {}).items() if status != "ok"
    ]


def _crawl_options(func: F) -> F:
    """The options a re-crawl and a schedule share with ``crawl``."""
    options = [
        click.option(
            "--budget",
            type=click.IntRange(min=1),
            default=500,
            show_default=True,
            help="Pages to fetch at most.",
        ),
        click.option(
            "--max-hops",
            type=click.IntRange(min=0),
            default=3,
            show_default=True,
            help="How far to follow links away from the last related page.",
        ),
        click.option(
            "--allow-private",
            metavar="[ENTRY]",
            multiple=True,
            is_flag=False,
            flag_value="*",
            help="Also connect to this non-global address, network or host, optionally with a "
            "port (127.0.0.1, 10.0.0.0/8, [::1]:8080, intranet.example); repeat for more. "
            "Alone, with no entry: every address. Only global addresses by default.",
        ),
        click.option(
            "--delay",
            "download_delay",
            type=click.FloatRange(min=0),
            default=1.0,
            show_default=True,
            help="Seconds between requests to one host (AutoThrottle adapts).",
        ),
        click.option(
            "--requisites",
            type=click.Choice(["related", "all", "none"]),
            default="related",
            show_default=True,
            help="Whose page requisites (images, stylesheets, scripts, fonts, linked PDFs) "
            "to fetch and archive: seeds and related articles, every HTML page, or none.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@cli.command()
@click.argument("seeds", nargs=-1)
@click.option("--collection", metavar="NAME", help="Collection name (default: the seed set's).")
@store_option
@_crawl_options
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1, max_open=True),
    help="Relevance score from which an article counts as related.",
)
@click.option(
    "--wacz",
    is_flag=True,
    help="Also store a WACZ of the crawl next to its WARC files (wacz/CRAWL_ID.wacz).",
)
@click.option(
    "--resume",
    metavar="[COLLECTION/CRAWL_ID]",
    is_flag=False,
    flag_value="",
    default=None,
    help="Finish storing an interrupted crawl from its staging folder and write its manifest "
    "(default: the only one in $NEWSTRAIL_WORKDIR). Fetches nothing.",
)
@click.option(
    "--archive",
    "archives",
    metavar="URL",
    multiple=True,
    help="A web archive to ask for past pages and dead ones: https://web.archive.org, a "
    "Common Crawl index URL (.../CC-MAIN-2019-04-index) or a pywb collection "
    "(http://HOST:PORT/COLLECTION); repeat for more. Also `archives = [...]` in the seed file.",
)
@click.option(
    "--archives/--no-archives",
    "force_archives",
    default=None,
    help="Ask the archives, or never ask them, whatever the seed set's dates (default: "
    "asked when its date window ended more than 8 weeks ago). --archives with no "
    "--archive: the Wayback Machine.",
)
@frontier_options
def crawl(
    seeds: tuple[str, ...],
    collection: str | None,
    store: str | None,
    budget: int,
    max_hops: int,
    allow_private: tuple[str, ...],
    download_delay: float,
    requisites: str,
    threshold: float | None,
    wacz: bool,
    resume: str | None,
    archives: tuple[str, ...],
    force_archives: bool | None,
    frontier: str | None,
    workers: int,
    seen: str,
) -> None:
    """Crawl related coverage from a seed file (SEEDS.toml) or from seed URLs."""
    from newstrail.seeds import load_seed_set, seed_set_from_urls

    if frontier is None and (workers != 1 or seen != "set"):
        raise click.UsageError("--workers and --seen need --frontier redis://HOST:PORT/DB")
    if resume is not None:
        if frontier is not None:
            raise click.UsageError("--resume finishes a one-process crawl; it takes no --frontier")
        if seeds:
            raise click.UsageError("--resume takes no seeds: it finishes a crawl already made")
        started = time.monotonic()
        from newstrail.flows.run import resume_crawl

        _print_summary(resume_crawl(resume or None, store=store), time.monotonic() - started)
        return
    if not seeds:
        raise click.UsageError("give a seed file or seed URLs (or --resume)")
    if len(seeds) == 1 and (seeds[0].endswith(".toml") or Path(seeds[0]).is_file()):
        seed_set = load_seed_set(seeds[0])
    else:
        if any(s.endswith(".toml") for s in seeds):
            raise SeedError("give either one seed file or seed URLs, not both")
        if not collection:
            raise SeedError("seed URLs need --collection NAME")
        seed_set = seed_set_from_urls(seeds, collection)
    from newstrail.flows.run import run_crawl

    started = time.monotonic()
    extra: dict[str, Any] = {}
    if frontier is not None:
        from newstrail.config import new_crawl_id

        extra = {"frontier": frontier, "workers": workers, "seen": seen}
        extra["crawl_id"] = new_crawl_id()
        click.echo(
            f"newstrail: crawl {collection or seed_set.name}/{extra['crawl_id']} is open; other "
            f"machines join it with: newstrail worker --frontier URL --crawl {extra['crawl_id']}",
            err=True,
        )
    summary = run_crawl(
        seed_set,
        **extra,
        store=_store(store),
        collection=collection,
        budget=budget,
        max_hops=max_hops,
        allow_private=list(allow_private),
        download_delay=download_delay,
        threshold=threshold,
        wacz=wacz,
        requisites=requisites,
        **_archive_params(archives, force_archives),
    )
    _print_summary(summary, time.monotonic() - started)
    problems = _seed_problems(summary)
    for problem in problems:
        click.echo(f"newstrail: seed not captured: {problem}", err=True)
    if problems and len(problems) == len(summary.get("seeds", {})):
        raise NewstrailError("no seed could be captured; see the lines above")


@cli.command()
@click.option("--frontier", metavar="URL", required=True, help="The crawl's Redis (redis://...).")
@click.option(
    "--crawl",
    "crawl_id",
    metavar="[COLLECTION/]ID",
    required=True,
    help="The crawl to join, as `newstrail crawl --frontier` printed it.",
)
@store_option
def worker(frontier: str, crawl_id: str, store: str | None) -> None:
    """Join a distributed crawl from this machine: one more worker until the crawl ends.

    The store is the crawl's own unless --store names how this machine reaches it.
    """
    from newstrail.flows.scaleout_steps import join_crawl

    started = time.monotonic()
    summary = join_crawl(frontier, crawl_id, store=store)
    counts = summary.get("counts", {})
    state = "died" if summary.get("died") else "done"
    console.print(
        f"[bold]Worker {summary.get('worker')}[/bold] of crawl {crawl_id} {state} after "
        f"{time.monotonic() - started:.1f} s: {counts.get('pages', 0)} pages fetched, "
        f"{counts.get('articles', 0)} articles; the machine that started the crawl writes "
        "its manifest"
    )
    if summary.get("died"):
        raise NewstrailError(
            f"the crawler process failed (exit {summary.get('returncode')}); what it archived "
            "is stored and its unfinished requests went back to the frontier"
        )


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
    from newstrail.seeds import default_seed_file

    result = run_demo(_store(store), budget=budget, default_seeds=default_seed_file())
    _print_summary(result.summary, time.monotonic() - started)
    console.print(
        f"  on-topic articles of the demo web found: {result.found_on_topic} of "
        f"{result.total_on_topic}; off-topic pages marked related: {result.false_related}"
    )
    console.print(
        f"  report: {result.report} (open it in a browser)", highlight=False, soft_wrap=True
    )


@cli.command(name="ls")
@store_option
@click.argument("collection", required=False)
def list_crawls_cmd(store: str | None, collection: str | None) -> None:
    """List collections and their crawls, with dates and counts."""
    from newstrail.storage import open_store
    from newstrail.storage.catalog import list_crawls

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
                        c.status,
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
            c.status if c.status == "complete" else f"[yellow]{c.status}[/yellow]",
        )
    console.print(table)


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    from datetime import UTC

    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--since"
        ) from None
    # A date alone, or a time without a zone, is UTC.
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


@cli.command(name="download")
@click.argument("collection")
@click.option("--crawl", "crawl_id", metavar="ID", help="Only this crawl (it must be complete).")
@click.option(
    "--since", metavar="DATE", help="Only crawls started on or after DATE (YYYY-MM-DD, UTC)."
)
@click.option(
    "--only",
    metavar="KINDS",
    help="Comma-separated kinds of files to fetch: warc, text, index (default: every file "
    "of the crawl).",
)
@click.option(
    "--merge",
    is_flag=True,
    help="Also write COLLECTION/corpus.jsonl: one text record per canonical URL (the latest).",
)
@store_option
@click.option(
    "--to",
    "dest",
    required=True,
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to download into (created if needed).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary line.")
def download_cmd(
    collection: str,
    crawl_id: str | None,
    since: str | None,
    only: str | None,
    merge: bool,
    store: str | None,
    dest: Path,
    quiet: bool,
) -> None:
    """Download the complete crawls of a collection, verifying every file's sha256."""
    from newstrail.storage import open_store
    from newstrail.storage.download import (
        CORPUS_NAME,
        download,
        merge_corpus,
        plan_download,
        safe_path,
    )

    kinds = None if only is None else [k.strip() for k in only.split(",") if k.strip()]
    if merge and kinds is not None and "text" not in kinds:
        raise click.UsageError("--merge needs the text records: include text in --only")
    if crawl_id and since:
        raise click.UsageError("give --crawl or --since, not both")
    uri = _store(store)
    source = open_store(uri)
    plan = plan_download(source, collection, crawl_id=crawl_id, since=_since(since), only=kinds)
    if not plan.manifests:
        incomplete = f" ({len(plan.incomplete)} incomplete)" if plan.incomplete else ""
        raise NewstrailError(f"no complete crawl of {collection} to download in {uri}{incomplete}")
    if sys.stderr.isatty() and not quiet:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task(collection, total=plan.total_bytes)
            result = download(source, plan, dest, progress=lambda n: bar.advance(task, n))
    else:
        result = download(source, plan, dest)
    if result.failures:
        raise NewstrailError(
            f"{len(result.failures)} file(s) failed verification and were not kept; "
            f"first: {result.failures[0]}"
        )
    merged = ""
    if merge:
        text_files = [
            dest / item.collection / item.crawl_id / item.key
            for item in plan.items
            if item.key.startswith("text/")
        ]
        out = safe_path(dest, [collection, CORPUS_NAME])
        merged = f"; {merge_corpus(text_files, out)} records merged into {out}"
    if not quiet:
        left_out = len(plan.incomplete)
        skipped = f", {left_out} incomplete crawl(s) left out" if left_out else ""
        click.echo(
            f"{len(plan.manifests)} crawl(s) of {collection} in {dest}: {result.downloaded} "
            f"file(s) downloaded ({_size(result.bytes_downloaded)}), {result.skipped} already "
            f"present and verified{skipped}{merged}"
        )


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
@click.argument("collection")
@store_option
@click.option(
    "--since",
    metavar="DATE",
    help="Only revisit what crawls started on or after DATE captured (YYYY-MM-DD).",
)
@_crawl_options
def recrawl(
    collection: str,
    store: str | None,
    since: str | None,
    budget: int,
    max_hops: int,
    allow_private: tuple[str, ...],
    download_delay: float,
    requisites: str,
) -> None:
    """Re-crawl a collection: new coverage in full, unchanged pages as revisits, edits listed."""
    from newstrail.flows.recrawl import collection_seeds
    from newstrail.flows.run import run_crawl
    from newstrail.storage import open_store

    uri = _store(store)
    seeds = collection_seeds(open_store(uri), collection)
    after = _since(since)
    started = time.monotonic()
    summary = run_crawl(
        seeds,
        store=uri,
        collection=collection,
        budget=budget,
        max_hops=max_hops,
        allow_private=list(allow_private),
        download_delay=download_delay,
        requisites=requisites,
        incremental=True,
        since=after,
    )
    _print_summary(summary, time.monotonic() - started)
    counts = summary.get("counts", {})
    console.print(
        f"  revisits (unchanged, not archived again): {counts.get('revisits', 0)} · "
        f"edited articles: {counts.get('edits', 0)}"
    )


@cli.command()
@click.argument("collection")
@store_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per edit, with the diff.")
def edits(collection: str, store: str | None, as_json: bool) -> None:
    """List the edits found in a collection's articles: what changed between captures."""
    import json

    from newstrail.flows.recrawl import iter_edits
    from newstrail.storage import open_store

    found = 0
    for edit in iter_edits(open_store(_store(store)), collection):
        found += 1
        if as_json:
            print(json.dumps(edit, ensure_ascii=False))
            continue
        console.print(
            f"[bold]{edit['url']}[/bold]  {edit['previous_date']} → {edit['new_date']} "
            f"(crawl {edit['crawl_id']})",
            highlight=False,
        )
        title = edit.get("title_change")
        if title:
            console.print(f"  title: {title['from']!r} → {title['to']!r}", highlight=False)
        for change in edit["changes"]:
            for old in change["old"]:
                console.print(f"  [red]- {old}[/red]", highlight=False)
            for new in change["new"]:
                console.print(f"  [green]+ {new}[/green]", highlight=False)
    if not found and not as_json:
        console.print(f"no edits recorded in {collection}")


@cli.command()
@click.argument("collection")
@store_option
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=8080,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free one).",
)
def replay(collection: str, store: str | None, port: int) -> None:
    """Browse every crawl of a collection in pywb on 127.0.0.1, from a page listing
    its related articles. Ctrl-C stops it."""
    import contextlib
    import signal
    import tempfile
    import threading
    from pathlib import Path as _Path

    from newstrail.replay import build_replay, serve
    from newstrail.storage import open_store

    with tempfile.TemporaryDirectory(prefix="newstrail-replay-") as tmp:
        folder = build_replay(open_store(_store(store)), collection, _Path(tmp))
        with serve(folder.root, port or None) as base:
            console.print(
                f"replaying {collection}: {len(folder.crawls)} crawl(s), "
                f"{folder.related} related articles at {base}/ (Ctrl-C to stop)",
                highlight=False,
            )
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait()


@cli.command(name="wacz")
@click.argument("collection")
@store_option
@click.option("--crawl", "crawl_ids", metavar="ID", multiple=True, help="Only this crawl (repeat).")
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="The .wacz file."
)
def wacz_cmd(collection: str, store: str | None, crawl_ids: tuple[str, ...], output: str) -> None:
    """Package a collection's complete crawls as one WACZ (WARCs, CDXJ, related pages)."""
    from pathlib import Path as _Path

    from newstrail.storage import open_store
    from newstrail.storage.wacz import write_wacz

    target = _Path(output)
    partial = target.with_name(target.name + ".part")
    try:
        summary = write_wacz(
            open_store(_store(store)), collection, partial, crawl_ids=list(crawl_ids) or None
        )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    console.print(
        f"{target}: {len(summary.crawls)} crawl(s), {summary.warc_files} WARC file(s), "
        f"{summary.pages} related pages, {_size(summary.bytes)}",
        highlight=False,
    )


def _from_option(func: F) -> F:
    return click.option(
        "--from",
        "from_dir",
        metavar="DIR",
        type=click.Path(file_okay=False),
        help="Read the collection from a folder `newstrail download --to DIR` wrote, instead "
        "of from a store.",
    )(func)


def _open_collection(collection: str, store: str | None, from_dir: str | None) -> Any:
    from newstrail.storage import open_store
    from newstrail.storage.collection import download_folder, open_collection

    if from_dir is not None:
        if store is not None:
            raise click.UsageError("give --store or --from, not both")
        return open_collection(download_folder(Path(from_dir), collection), collection)
    return open_collection(open_store(_store(store)), collection)


def _write_file(target: Path, write: Callable[[Path], Any]) -> Any:
    """``write(path)`` to a file beside ``target``, moved in place once it is whole."""
    partial = target.with_name(target.name + ".part")
    try:
        result = write(partial)
        partial.replace(target)
    except OSError as exc:
        raise NewstrailError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return result


@cli.command()
@click.argument("collection")
@store_option
@_from_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="The HTML file to write (default: COLLECTION-report.html here).",
)
def report(collection: str, store: str | None, from_dir: str | None, output: str | None) -> None:
    """Write a report of a collection as one HTML file that works offline: a timeline of its
    related articles by outlet, the outlets, the stories, a table of the articles and the
    crawls' figures."""
    from newstrail.report import latest_captures, render_report, report_data

    opened = _open_collection(collection, store, from_dir)
    data = report_data(collection, opened.figures(), latest_captures(opened.records))
    page = render_report(data).encode("utf-8")
    target = Path(output or f"{collection}-report.html")
    _write_file(target, lambda path: path.write_bytes(page))
    console.print(
        f"{target}: report of {collection}, {len(opened.crawls)} crawl(s), "
        f"{data['related_total']} related articles from {len(data['outlets'])} outlets, "
        f"{_size(len(page))}",
        highlight=False,
        soft_wrap=True,
    )


@cli.command(name="export")
@click.argument("collection")
@store_option
@_from_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet", "jsonl"]),
    required=True,
    help="csv (list fields as JSON arrays), parquet (typed columns, lists as lists) or jsonl.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="The file to write (default: standard output; parquet needs a file).",
)
@click.option("--all", "every", is_flag=True, help="Every article, not only the related ones.")
def export_cmd(
    collection: str,
    store: str | None,
    from_dir: str | None,
    fmt: str,
    output: str | None,
    every: bool,
) -> None:
    """Export a collection's related articles (or --all) as one table, one row per page (its
    latest capture), with the text record's fields and the crawl id."""
    from newstrail.report import export_records, latest_captures

    if fmt == "parquet" and output is None:
        raise click.UsageError("--format parquet needs -o FILE")
    opened = _open_collection(collection, store, from_dir)
    rows = latest_captures(opened.records, related_only=not every)
    if output is None:
        count = export_records(rows, fmt, sys.stdout)
        where = "standard output"
    else:
        target = Path(output)
        count = _write_file(target, lambda path: export_records(rows, fmt, path))
        where = str(target)
    kind = "articles" if every else "related articles"
    click.echo(f"newstrail: {count} {kind} of {collection} written to {where} ({fmt})", err=True)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _interval(value: str) -> int:
    number, unit = value[:-1], value[-1:].lower()
    if unit not in _UNITS or not number.isdigit() or int(number) == 0:
        raise click.BadParameter(
            f"{value!r} is not an interval like 45s, 30m, 6h or 1d", param_hint="--interval"
        )
    return int(number) * _UNITS[unit]


@cli.command()
@click.argument("seeds")
@click.option("--cron", metavar="EXPR", help='A cron schedule, e.g. "0 */6 * * *".')
@click.option("--interval", metavar="N[smhd]", help="A fixed interval, e.g. 30m.")
@click.option("--collection", metavar="NAME", help="Collection name (default: the seed set's).")
@store_option
@_crawl_options
def schedule(
    seeds: str,
    cron: str | None,
    interval: str | None,
    collection: str | None,
    store: str | None,
    budget: int,
    max_hops: int,
    allow_private: tuple[str, ...],
    download_delay: float,
    requisites: str,
) -> None:
    """Serve a scheduled, incremental crawl of a seed set from this process (Prefect)."""
    from newstrail.seeds import load_seed_set

    if (cron is None) == (interval is None):
        raise click.UsageError("give exactly one of --cron and --interval")
    seconds = _interval(interval) if interval else None
    if not os.environ.get("PREFECT_API_URL"):
        raise NewstrailError(
            "schedules need a Prefect server (its ephemeral mode never fires them): run "
            "'prefect server start' and set PREFECT_API_URL, see the README"
        )
    seed_set = load_seed_set(seeds)
    name = collection or seed_set.name
    from newstrail.flows.crawl import crawl_coverage

    console.print(
        f"serving deployment crawl_coverage/{name} ({cron or interval}); Ctrl-C or TERM to stop"
    )
    crawl_coverage.serve(
        name=name,
        cron=cron,
        interval=seconds,
        global_limit=1,
        parameters={
            "seeds": seed_set.to_dict(),
            "store": _store(store),
            "collection": name,
            "budget": budget,
            "max_hops": max_hops,
            "allow_private": list(allow_private),
            "download_delay": download_delay,
            "requisites": requisites,
            "incremental": True,
        },
        print_starting_message=False,
    )


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
    """Re-extract clean text from archived WARC files: one JSON line per HTML response.

    A file cut short or corrupt gives the records before the damage, a warning
    line, and exit status 1 once every file has been read.
    """
    from newstrail.config import Environment
    from newstrail.seeds import load_seed_set
    from newstrail.storage.reextract import ExtractReport, records_from_warcs

    model = None
    if seed_file:
        model = load_seed_set(seed_file).relevance_model()
    count = 0
    report = ExtractReport()
    timeout = Environment.from_env().extract_timeout
    paths = [Path(p) for p in warcs]
    with _output(output) as write:
        for record in records_from_warcs(paths, model, report=report, timeout=timeout):
            write(record.to_json())
            count += 1
    if output is not None:
        # As a crawl does: lines repeated across many pages of a site are removed.
        from newstrail.boilerplate import finalize_jsonl

        finalize_jsonl(output)
    err_console.print(f"{count} text records from {len(warcs)} WARC file(s)")
    # Limits met are recorded (in the records' limits), not errors: as in a crawl.
    notes = []
    if report.truncated:
        notes.append(
            f"{report.truncated} page(s) extracted from their first bytes (html-truncated)"
        )
    if report.timed_out:
        notes.append(
            f"{len(report.timed_out)} page(s) left out after {timeout:g} s of analysis "
            f"(NEWSTRAIL_EXTRACT_TIMEOUT), the first {report.timed_out[0]!r}"
        )
    if report.failed:
        notes.append(
            f"{len(report.failed)} page(s) whose analysis failed, the first {report.failed[0]!r}"
        )
    if report.undecodable:
        notes.append(f"{report.undecodable} page(s) whose content coding could not be decoded")
    if notes:
        err_console.print("; ".join(notes), markup=False, soft_wrap=True)
    for problem in report.problems.values():
        click.echo(f"newstrail: warning: {problem}", err=True)
    if report.problems:
        sys.exit(1)


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
    click.echo(f"newstrail: {' '.join(redact(message).split())}", err=True)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: every expected failure is one line on stderr and a non-zero exit."""
    install_redaction()
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
