"""Discovery benchmark: newstrail against a breadth-first crawler on the offline news web.

Builds the offline news web at ``--scale`` (4: about 1,500 pages and 120 on-topic
stories, with hard negatives, feed-only and sitemap-only articles, a wire story
republished on three sites, AMP and print versions, and every kind of crawler
trap), then crawls it from the default seed articles with newstrail
(``newstrail.flows.steps.crawl_direct``) and with a plain breadth-first Scrapy spider at each
budget, and prints one row per crawl, measured against the web's ground truth and
its server's request log:

- recall: on-topic stories with at least one record marked related, over all of them
  (a wire story and its copies, AMP and print versions are one story);
- precision: records marked related that are seed or on-topic articles;
- robots: requests for targets the site's robots.txt disallows;
- traps: requests spent in crawler traps, and their share of all page requests;
- dups: related records of a story beyond its first; ``unmarked`` counts those
  that carry no ``duplicate_of`` (the breadth-first crawler marks nothing);
- delay: requests to a site with a robots.txt ``Crawl-delay`` that came sooner
  than that after the one before, over all such intervals;
- pages/s: page requests per second between the crawl's first and last request.

The breadth-first crawler follows every link in FIFO order (``DEPTH_PRIORITY=1``),
obeys robots.txt (not Crawl-delay: Scrapy does not), dedupes on newstrail's
canonical URLs, stops at the same page budget, and labels each page with the
same extraction and relevance model, so its precision is comparable.

    .venv/bin/python bench/discovery.py                      # scale 4, budgets 200,500,1000
    .venv/bin/python bench/discovery.py --only newstrail --budgets 1000
    .venv/bin/python bench/discovery.py --memory             # peak RSS, 2,000 vs 20,000 pages

``--past`` is the past-story scenario: the web's past (every article, its home pages
and feeds as they were) is captured into a real pywb collection, and the web served
is its live version in which the articles published before 2020 are gone (404),
redirect to their home page, or answer but are linked from no listing
(``tests/archive_fixtures.py``). newstrail crawls the live web at each budget (default
300,1000) with the archive and without it, and prints story recall over the on-topic
stories (all of them held by the archive), split into those whose page is still
alive and those gone, precision of related, and requests to the live web and to the
archive.

    .venv/bin/python bench/discovery.py --past               # scale 4, budgets 300,1000

``--memory`` crawls the webs at ``--memory-scales`` (5: about 1,900 pages; 56:
about 20,300) with a budget of every page of each web (or ``--memory-budget``), and
prints the crawler process's peak RSS for each and their ratio.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Run as a script, this file's folder comes first on sys.path, where bench/storage.py
# would hide the storage package that newstrail's crawl imports.
_HERE = Path(__file__).resolve().parent
# The repository's root is where tests/archive_fixtures.py (the pywb archive) is found.
sys.path[:] = [str(_HERE.parent), *(p for p in sys.path if Path(p or ".").resolve() != _HERE)]

from newstrail.config import Environment  # noqa: E402
from newstrail.demo import demo_seed_articles  # noqa: E402
from newstrail.newsweb import TRAP_KINDS, LoggedRequest, NewsWebServer, build_web  # noqa: E402
from newstrail.seeds import SeedSet, load_seed_set  # noqa: E402

if TYPE_CHECKING:
    from tests.archive_fixtures import PastAndLive

ROOT = _HERE.parent
SEEDS = ROOT / "seeds" / "iraq-us-troops.toml"
CRAWLERS = ("newstrail", "baseline")
# A request this much sooner than the Crawl-delay counts as too soon: the server
# stamps arrival times, which jitter by a few milliseconds.
DELAY_TOLERANCE = 0.9


# -- results ------------------------------------------------------------------------


@dataclass
class Run:
    """One crawl: what it kept and what the server saw."""

    crawler: str
    budget: int
    records: list[dict[str, Any]]
    log: list[LoggedRequest]
    seconds: float
    peak_rss_kb: int = 0


@dataclass
class Figures:
    fetches: int
    recall: float
    precision: float
    related: int
    robots: int
    traps: int
    trap_kinds: Counter[str]
    dups: int
    unmarked: int
    delay_too_soon: int
    delay_intervals: int
    pages_per_s: float
    channel_only: dict[str, tuple[int, int]] = field(default_factory=dict)
    story_ids: str = ""


def is_page_request(entry: LoggedRequest) -> bool:
    return entry.path.split("?")[0] != "/robots.txt"


def measure(server: NewsWebServer, run: Run) -> Figures:
    """The run's figures against the web's ground truth."""
    stories = server.stories()
    on_topic = server.on_topic_stories
    pages = [e for e in run.log if is_page_request(e)]
    related = [r for r in run.records if r.get("related")]
    story_of = {r["url"]: server.story_of(r["url"]) for r in run.records}

    found = {story_of[r["url"]] for r in related} & on_topic
    correct = [r for r in related if stories.get(story_of[r["url"]] or "") in ("seed", "on_topic")]

    # Related records of a story beyond its first are kept duplicates; those not
    # marked duplicate_of beyond the first unmarked one are unmarked duplicates.
    per_story = Counter(story_of[r["url"]] for r in related if story_of[r["url"]])
    unmarked_per_story = Counter(
        story_of[r["url"]] for r in related if story_of[r["url"]] and not r.get("duplicate_of")
    )
    dups = sum(n - 1 for n in per_story.values())
    unmarked = sum(max(0, n - 1) for n in unmarked_per_story.values())

    too_soon = intervals = 0
    for site, delay in server.crawl_delays.items():
        times = sorted(e.time for e in run.log if e.site == site)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        intervals += len(gaps)
        too_soon += sum(1 for gap in gaps if gap < delay * DELAY_TOLERANCE)

    span = pages[-1].time - pages[0].time if len(pages) > 1 else 0.0
    channel_only: dict[str, tuple[int, int]] = {}
    for channel in ("feed", "sitemap"):
        only = {
            server.story_of(url) for url in server.truth if server.reachable_by(url) == {channel}
        }
        channel_only[channel] = (len(only & found), len(only))
    return Figures(
        fetches=len(pages),
        recall=len(found) / len(on_topic) if on_topic else 0.0,
        precision=len(correct) / len(related) if related else 0.0,
        related=len(related),
        robots=sum(1 for e in run.log if server.is_disallowed(e)),
        traps=sum(1 for e in pages if server.is_trap(e)),
        trap_kinds=Counter(str(e.trap) for e in pages if e.trap is not None),
        dups=dups,
        unmarked=unmarked,
        delay_too_soon=too_soon,
        delay_intervals=intervals,
        pages_per_s=len(pages) / span if span > 0 else 0.0,
        channel_only=channel_only,
        story_ids=_story_id_report(server, run.records),
    )


def _story_id_report(server: NewsWebServer, records: list[dict[str, Any]]) -> str:
    """How the crawler's own story ids match the truth, when its records carry them."""
    with_id = [r for r in records if r.get("story_id")]
    if not with_id:
        return ""
    marked = sum(1 for r in records if r.get("duplicate_of"))
    syndicated = {s.story for s in server.syndicated}
    ids_per_story: dict[str, set[str]] = {}
    for record in with_id:
        story = server.story_of(record["url"])
        if story in syndicated:
            ids_per_story.setdefault(story, set()).add(str(record["story_id"]))
    one = sum(1 for ids in ids_per_story.values() if len(ids) == 1)
    return (
        f"story_id on {len(with_id)}/{len(records)} records, duplicate_of on {marked}; "
        f"syndicated stories captured with one story_id: {one}/{len(ids_per_story)}"
    )


# -- newstrail --------------------------------------------------------------------------


def crawl_newstrail(seeds: SeedSet, budget: int, workdir: Path) -> list[dict[str, Any]]:
    """Crawl with newstrail as ``newstrail crawl`` would, and read its text records."""
    from newstrail.flows.steps import crawl_direct
    from newstrail.storage.corpus import read_text_records

    store = workdir / "store"
    collection = f"bench-{budget}"
    summary = crawl_direct(
        seeds.to_dict(),
        store=str(store),
        collection=collection,
        budget=budget,
        allow_private=True,
        download_delay=0.0,
        env=Environment(store=str(store), workdir=workdir / "work"),
    )
    records: list[dict[str, Any]] = []
    for path in sorted((store / collection / summary["crawl_id"] / "text").glob("*.jsonl.gz")):
        with path.open("rb") as fh:
            records.extend(r.to_dict() for r in read_text_records(fh, compressed=True))
    return records


# -- the breadth-first baseline -----------------------------------------------------------


def crawl_baseline(seeds: SeedSet, budget: int, workdir: Path) -> list[dict[str, Any]]:
    """Crawl with the breadth-first spider in a child process; its records."""
    workdir.mkdir(parents=True, exist_ok=True)
    job = workdir / "baseline-job.json"
    out = workdir / "baseline-records.jsonl"
    job.write_text(json.dumps({"seeds": seeds.to_dict(), "budget": budget, "out": str(out)}))
    subprocess.run([sys.executable, __file__, "--baseline-child", str(job)], check=True)
    with out.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def run_baseline_child(job_path: Path) -> None:
    """The child side of ``crawl_baseline``: run the spider, write one JSON line per page."""
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler, CrawlerProcess
    from scrapy.dupefilters import BaseDupeFilter
    from scrapy.exceptions import IgnoreRequest
    from scrapy.http import Response, TextResponse

    from newstrail.articles import page_canonical_url
    from newstrail.extract import extract_article, looks_like_html
    from newstrail.spiders.coverage import page_link_extractor
    from newstrail.urls import canonical_url

    job = json.loads(job_path.read_text())
    seeds = SeedSet.from_dict(job["seeds"])
    budget = int(job["budget"])

    class CanonicalDupeFilter(BaseDupeFilter):
        """The same dedupe as newstrail's: one request per canonical URL."""

        def __init__(self) -> None:
            super().__init__()
            self.seen: set[str] = set()

        def request_seen(self, request: Request) -> bool:
            key = canonical_url(request.url)
            if key in self.seen:
                return True
            self.seen.add(key)
            return False

    class PageBudget:
        """At most ``budget`` page requests; robots.txt does not count (as in newstrail)."""

        def __init__(self) -> None:
            self.sent = 0

        @classmethod
        def from_crawler(cls, crawler: Crawler) -> PageBudget:
            return cls()

        def process_request(self, request: Request) -> None:
            if request.url.split("?")[0].endswith("/robots.txt"):
                return
            if self.sent >= budget:
                raise IgnoreRequest("page budget spent")
            self.sent += 1

    class BreadthFirstSpider(Spider):
        """Follow every link, oldest first; label each page with newstrail's model."""

        name = "breadth-first"

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.model = seeds.relevance_model()
            self.links = page_link_extractor()
            self.captured: set[str] = set()
            self.out = open(job["out"], "w", encoding="utf-8")  # noqa: SIM115
            self.parsed = 0

        async def start(self) -> AsyncIterator[Request]:
            for url in seeds.urls:
                yield Request(url, callback=self.parse)

        def parse(self, response: Response) -> Iterator[Request]:
            self.parsed += 1
            if response.status >= 400 or not isinstance(response, TextResponse):
                return
            content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
            if not looks_like_html(content_type, response.body[:2048]):
                return
            article = extract_article(response.body, response.url)
            if article is not None:
                key = page_canonical_url(response.url, article)
                if key not in self.captured:
                    self.captured.add(key)
                    relevance = self.model.score(article.text, article.title, article.date)
                    record = {
                        "url": response.url,
                        "canonical_url": key,
                        "title": article.title,
                        "related": relevance.related,
                        "relevance": relevance.score,
                    }
                    self.out.write(json.dumps(record) + "\n")
            if self.parsed >= budget:
                return
            for link in self.links.extract_links(response):
                yield Request(link.url, callback=self.parse)

        def closed(self, reason: str) -> None:
            self.out.close()

    process = CrawlerProcess(
        {
            "BOT_NAME": "breadth-first",
            "USER_AGENT": "newstrail-bench-bfs/1.0 (+https://github.com/newstrail/newstrail)",
            "ROBOTSTXT_OBEY": True,
            "ROBOTSTXT_PARSER": "scrapy.robotstxt.ProtegoRobotParser",
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
            "DOWNLOAD_DELAY": 0.0,
            "AUTOTHROTTLE_ENABLED": False,
            # Breadth-first order (Scrapy's documented recipe).
            "DEPTH_PRIORITY": 1,
            "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
            "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
            "DUPEFILTER_CLASS": CanonicalDupeFilter,
            "DOWNLOADER_MIDDLEWARES": {PageBudget: 110},
            "RETRY_TIMES": 1,
            "HTTPERROR_ALLOW_ALL": True,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "ERROR",
            "LOGSTATS_INTERVAL": 0,
            "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        }
    )
    # The web's planted 500 page is expected, as in newstrail's own runner.
    logging.getLogger("scrapy.downloadermiddlewares.retry").setLevel(logging.CRITICAL)
    process.crawl(BreadthFirstSpider)
    process.start()


# -- running ----------------------------------------------------------------------------


def crawl(crawler: str, server: NewsWebServer, seeds: SeedSet, budget: int, workdir: Path) -> Run:
    server.reset_log()
    started = time.monotonic()
    if crawler == "newstrail":
        records = crawl_newstrail(seeds, budget, workdir)
    else:
        records = crawl_baseline(seeds, budget, workdir)
    seconds = time.monotonic() - started
    return Run(crawler, budget, records, server.request_log, seconds)


def web_seeds(seed_set: SeedSet, server: NewsWebServer) -> SeedSet:
    return seed_set.with_urls(server.seed_urls)


def describe_web(server: NewsWebServer, scale: int) -> str:
    web = server.web
    counts = web.label_counts()
    channels = Counter(
        "feed" if c == {"feed"} else "sitemap" if c == {"sitemap"} else "other"
        for c in (server.reachable_by(u) for u in server.on_topic_urls)
    )
    copies = sum(len(s.copies) for s in server.syndicated)
    return (
        f"web: scale {scale}, {web.page_count():,} pages (+{web.variant_count():,} AMP and "
        f"print versions; traps without end), {len(server.on_topic_stories)} on-topic stories "
        f"({channels['feed']} feed-only, {channels['sitemap']} sitemap-only, "
        f"{len(server.syndicated)} wire stories with {copies} copies), "
        f"{counts['hard_negative']} hard negatives, {counts['off_topic']:,} off-topic articles\n"
        f"traps: {', '.join(TRAP_KINDS)}; Crawl-delay: "
        + ", ".join(f"{site} {d:g} s" for site, d in server.crawl_delays.items())
    )


HEADER = (
    f"{'crawler':<10} {'budget':>6} {'fetches':>7} {'recall':>6} {'precision':>9} "
    f"{'robots':>6} {'traps':>12} {'dups (unmarked)':>15} {'delay':>9} {'pages/s':>7} "
    f"{'time':>6}"
)


def row(run: Run, f: Figures) -> str:
    traps = f"{f.traps} ({100 * f.traps / f.fetches:.1f}%)" if f.fetches else "0"
    return (
        f"{run.crawler:<10} {run.budget:>6} {f.fetches:>7} {f.recall:>6.3f} "
        f"{f.precision:>9.3f} {f.robots:>6} {traps:>12} {f'{f.dups} ({f.unmarked})':>15} "
        f"{f'{f.delay_too_soon}/{f.delay_intervals}':>9} {f.pages_per_s:>7.1f} "
        f"{run.seconds:>5.0f}s"
    )


def details(run: Run, f: Figures) -> str:
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(f.trap_kinds.items())) or "none"
    only = ", ".join(f"{c}-only {a}/{b}" for c, (a, b) in f.channel_only.items())
    line = (
        f"  {run.crawler} {run.budget}: {f.related} related records; found {only}; "
        f"trap fetches: {kinds}"
    )
    if f.story_ids:
        line += f"\n    {f.story_ids}"
    return line


def benchmark(args: argparse.Namespace) -> None:
    seed_set = load_seed_set(SEEDS)
    started = time.monotonic()
    web = build_web(demo_seed_articles(seed_set), seed=args.seed, scale=args.scale)
    built = time.monotonic() - started
    crawlers = [args.only] if args.only else list(CRAWLERS)
    with NewsWebServer(web) as server, tempfile.TemporaryDirectory() as tmp:
        print(describe_web(server, args.scale) + f" (built in {built:.1f} s)\n", flush=True)
        results: list[tuple[Run, Figures]] = []
        for crawler in crawlers:
            for budget in args.budgets:
                workdir = Path(tmp) / f"{crawler}-{budget}"
                run = crawl(crawler, server, web_seeds(seed_set, server), budget, workdir)
                results.append((run, measure(server, run)))
                print(f"  ran {crawler} at budget {budget} in {run.seconds:.0f} s", flush=True)
        print("\n" + HEADER)
        for run, figures in results:
            print(row(run, figures))
        print()
        for run, figures in results:
            print(details(run, figures))
        if server.errors:
            print(f"\nserver errors: {len(server.errors)}\n{server.errors[0]}", file=sys.stderr)


# -- past stories: the live web and its archive ------------------------------------------


@dataclass
class PastFigures:
    archives: bool
    budget: int
    seconds: float
    found_alive: int
    alive: int
    found_gone: int
    gone: int
    precision: float
    related: int
    live_requests: int
    archive_requests: int
    mementos: int
    seed_status: str


def crawl_past(
    seeds: SeedSet, budget: int, workdir: Path, archive: str | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Crawl with newstrail, asking ``archive`` (or no archive); its summary and records."""
    from newstrail.flows.steps import crawl_direct
    from newstrail.storage.corpus import read_text_records

    store = workdir / "store"
    collection = f"past-{budget}"
    summary = crawl_direct(
        seeds.to_dict(),
        store=str(store),
        collection=collection,
        budget=budget,
        allow_private=True,
        download_delay=0.0,
        archives=[archive] if archive else [],
        force_archives=None if archive else False,
        env=Environment(store=str(store), workdir=workdir / "work"),
    )
    records: list[dict[str, Any]] = []
    for path in sorted((store / collection / summary["crawl_id"] / "text").glob("*.jsonl.gz")):
        with path.open("rb") as fh:
            records.extend(r.to_dict() for r in read_text_records(fh, compressed=True))
    return summary, records


def measure_past(
    web: PastAndLive, records: list[dict[str, Any]]
) -> tuple[int, int, int, int, float, int]:
    """Stories found alive and gone (of how many), precision of related, related count."""
    server = web.server
    stories = server.stories()
    on_topic = server.on_topic_stories
    gone_stories = {
        server.story_of(url) for url, fate in web.fates.items() if fate in ("gone", "home")
    } & on_topic
    alive_stories = on_topic - gone_stories
    related = [r for r in records if r.get("related")]
    story_of = [web.story_of(r.get("original_url") or r["url"]) for r in related]
    found = set(story_of) & on_topic
    correct = sum(1 for story in story_of if stories.get(story or "") in ("seed", "on_topic"))
    return (
        len(found & alive_stories),
        len(alive_stories),
        len(found & gone_stories),
        len(gone_stories),
        correct / len(related) if related else 0.0,
        len(related),
    )


def past(args: argparse.Namespace) -> None:
    from tests.archive_fixtures import past_and_live

    seed_set = load_seed_set(SEEDS)
    budgets = args.budgets if args.budgets_given else [300, 1000]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        with past_and_live(seed_set, Path(tmp) / "pywb", scale=args.scale) as web:
            server = web.server
            print(
                describe_web(server, args.scale)
                + f"; archive built and served by pywb in {time.monotonic() - started:.1f} s; "
                f"{len(web.fates)} articles before 2020 retired from the live web\n",
                flush=True,
            )
            results: list[PastFigures] = []
            for archives in (True, False):
                for budget in budgets:
                    workdir = Path(tmp) / f"{archives}-{budget}"
                    server.reset_log()
                    began = time.monotonic()
                    summary, records = crawl_past(
                        web_seeds(seed_set, server),
                        budget,
                        workdir,
                        web.archive if archives else None,
                    )
                    seconds = time.monotonic() - began
                    log = [e for e in server.request_log if is_page_request(e)]
                    fa, a, fg, g, precision, related = measure_past(web, records)
                    counts = summary.get("counts", {})
                    results.append(
                        PastFigures(
                            archives=archives,
                            budget=budget,
                            seconds=seconds,
                            found_alive=fa,
                            alive=a,
                            found_gone=fg,
                            gone=g,
                            precision=precision,
                            related=related,
                            live_requests=len(log),
                            archive_requests=int(counts.get("archive_requests", 0)),
                            mementos=int(counts.get("mementos", 0)),
                            seed_status=summary.get("seeds", {}).get(server.seed_urls[0], "?"),
                        )
                    )
                    print(
                        f"  ran at budget {budget}, archives {archives}: {seconds:.0f} s",
                        flush=True,
                    )
        print(
            f"\n{'archive':<8} {'budget':>6} {'recall':>7} {'alive':>9} {'gone':>9} "
            f"{'precision':>9} {'related':>7} {'live req':>8} {'arch req':>8} {'mementos':>8}"
            "  dead seed"
        )
        for f in results:
            total = f.alive + f.gone
            recall = (f.found_alive + f.found_gone) / total if total else 0.0
            print(
                f"{'yes' if f.archives else 'no':<8} {f.budget:>6} {recall:>7.2f} "
                f"{f.found_alive:>4}/{f.alive:<4} {f.found_gone:>4}/{f.gone:<4} "
                f"{f.precision:>9.2f} {f.related:>7} {f.live_requests:>8} {f.archive_requests:>8} "
                f"{f.mementos:>8}  {f.seed_status}"
            )


# -- memory -------------------------------------------------------------------------------


def run_memory_child(crawler: str, scale: int, budget: int | None) -> None:
    """Serve the web at ``scale`` here, crawl it in a child, print the child's peak RSS.

    ``RUSAGE_CHILDREN`` reports the largest waited-for descendant: the crawler
    process alone, since this process starts nothing else.
    """
    seed_set = load_seed_set(SEEDS)
    web = build_web(demo_seed_articles(seed_set), scale=scale)
    pages = web.page_count()
    with NewsWebServer(web) as server, tempfile.TemporaryDirectory() as tmp:
        run = crawl(crawler, server, web_seeds(seed_set, server), budget or pages, Path(tmp))
        fetched = sum(1 for e in run.log if is_page_request(e))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"pages": pages, "fetches": fetched, "seconds": run.seconds, "rss": peak}))


def memory(args: argparse.Namespace) -> None:
    crawlers = [args.only] if args.only else list(CRAWLERS)
    small, large = args.memory_scales
    print(f"{'crawler':<10} {'scale':>5} {'pages':>7} {'fetches':>7} {'time':>6} {'peak RSS':>10}")
    for crawler in crawlers:
        peaks = []
        for scale in (small, large):
            command = [sys.executable, __file__, "--memory-child", crawler, str(scale)]
            if args.memory_budget:
                command.append(str(args.memory_budget))
            result = subprocess.run(command, check=True, capture_output=True, text=True)
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            peaks.append(figures["rss"])
            print(
                f"{crawler:<10} {scale:>5} {figures['pages']:>7,} {figures['fetches']:>7,} "
                f"{figures['seconds']:>5.0f}s {figures['rss'] / 1024:>7.0f} MB",
                flush=True,
            )
        ratio = peaks[1] / peaks[0]
        print(f"{crawler:<10} peak RSS ratio (scale {large} / scale {small}): {ratio:.2f}")


# -- command line -------------------------------------------------------------------------


def _budgets(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _scales(text: str) -> tuple[int, int]:
    small, large = (int(part) for part in text.split(","))
    return small, large


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--baseline-child"]:
        run_baseline_child(Path(argv[1]))
        return 0
    if argv[:1] == ["--memory-child"]:
        run_memory_child(argv[1], int(argv[2]), int(argv[3]) if len(argv) > 3 else None)
        return 0
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        epilog="Figures are printed, not checked against targets.",
    )
    parser.add_argument("--scale", type=int, default=4, help="web scale (default 4)")
    parser.add_argument("--seed", type=int, default=0, help="web generator seed (default 0)")
    parser.add_argument(
        "--budgets",
        type=_budgets,
        default=None,
        help="comma-separated page budgets (default 200,500,1000; with --past 300,1000)",
    )
    parser.add_argument(
        "--past",
        action="store_true",
        help="the past-story scenario: the live web and a pywb archive of its past",
    )
    parser.add_argument("--only", choices=CRAWLERS, help="run one crawler only")
    parser.add_argument(
        "--memory", action="store_true", help="measure peak RSS on a small and a large web"
    )
    parser.add_argument(
        "--memory-scales",
        type=_scales,
        default=(5, 56),
        metavar="SMALL,LARGE",
        help="web scales for --memory (default 5,56: about 1,900 and 20,300 pages)",
    )
    parser.add_argument(
        "--memory-budget", type=int, help="page budget for --memory (default: every page)"
    )
    args = parser.parse_args(argv)
    args.budgets_given = args.budgets is not None
    if args.budgets is None:
        args.budgets = [200, 500, 1000]
    if args.past:
        past(args)
    elif args.memory:
        memory(args)
    else:
        benchmark(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
