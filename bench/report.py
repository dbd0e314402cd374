"""How a large report behaves in a browser, and the README's screenshot.

Builds the report of a synthetic collection of ``--articles`` related articles (40
outlets, two years of dates, syndicated stories, long passages), opens it from disk in
Debian's Chromium (headless, through Playwright) and prints the file's size, the time
from navigation to the rendered page, and the time to filter the table by an outlet
and by a search word, over ``--runs`` loads (median and range).

    .venv/bin/python bench/report.py [--articles 10000] [--runs 3]
    .venv/bin/python bench/report.py --screenshot docs/report.png --store DIR --collection NAME
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path; the repository's root is
# where tests/browser.py (the Chromium the report's tests use) is found.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent), *(p for p in sys.path if Path(p or ".").resolve() != _HERE)]

from newstrail.records import TextRecord  # noqa: E402
from newstrail.report import CrawlFigures, render_report, report_data  # noqa: E402
from tests.browser import chromium, watch_console  # noqa: E402

WORDS = [
    "iraq",
    "troops",
    "baghdad",
    "parliament",
    "withdrawal",
    "coalition",
    "immunity",
    "sovereignty",
    "militia",
    "strategic",
    "dialogue",
    "embassy",
    "drone",
    "strike",
    "resolution",
    "pentagon",
    "kurdish",
    "erbil",
    "base",
]


def synthetic(count: int, seed: int = 19) -> list[tuple[str, TextRecord]]:
    """``count`` related articles of 40 outlets over two years, a fifth of them copies."""
    rng = random.Random(seed)
    start = date(2019, 1, 1)
    outlets = [f"Outlet {i:02d}" for i in range(40)]
    records = []
    for i in range(count):
        outlet = rng.choice(outlets[: rng.randint(1, 40)])
        story = f"s{rng.randrange(count // 5)}" if rng.random() < 0.2 else f"u{i}"
        terms = rng.sample(WORDS, 8)
        day = start + timedelta(days=int(rng.triangular(0, 730, 380)))
        url = f"https://{outlet.replace(' ', '').lower()}.example/{day:%Y/%m/%d}/article-{i}"
        records.append(
            (
                f"2026120{1 + i % 3}T000000Z-bench{i % 3}",
                TextRecord(
                    url=url,
                    canonical_url=url,
                    title=" ".join(rng.choice(WORDS).capitalize() for _ in range(9)),
                    author="A. Reporter",
                    date=day.isoformat(),
                    sitename=outlet,
                    language="en",
                    text=" ".join(rng.choice(WORDS) for _ in range(400)),
                    relevance=round(rng.uniform(0.27, 1.0), 4),
                    related=True,
                    matched_terms=terms,
                    warc_filename=f"bench-{i // 1000:05d}.warc.gz",
                    warc_record_offset=i * 40_000,
                    warc_record_id=f"<urn:uuid:{i:08d}-0000-0000-0000-000000000000>",
                    text_sha256="0" * 64,
                    fetched_at=f"2026-12-0{1 + i % 3}T{i % 24:02d}:00:00Z",
                    extra={
                        "channel": rng.choice(["outlink", "feed", "sitemap"]) if i >= 5 else "seed",
                        "hop": rng.randint(0, 3),
                        "parent": f"https://{outlet.replace(' ', '').lower()}.example/",
                        "matched_passages": [" ".join(rng.choice(WORDS) for _ in range(60))],
                        "story_id": story,
                        "duplicate_of": None,
                        "date_source": "json-ld",
                    },
                ),
            )
        )
    return records


def figures() -> list[CrawlFigures]:
    return [
        CrawlFigures(
            f"2026120{d}T000000Z-bench{d - 1}",
            f"2026-12-0{d}T00:00:00Z",
            f"2026-12-0{d}T06:00:00Z",
            "finished",
            {"pages": 40_000, "articles": 12_000, "related": 3_400, "robots_forbidden": 90},
        )
        for d in (1, 2, 3)
    ]


def measure(page_file: Path, runs: int) -> None:
    loads, outlet_filter, search_filter = [], [], []
    with chromium() as browser:
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            log = watch_console(page)
            started = time.perf_counter()
            page.goto(page_file.as_uri())
            page.wait_for_selector("body[data-ready='1']", timeout=60_000)
            loads.append(time.perf_counter() - started)
            marks = page.locator("#timeline .mark").count()
            # Filtering is synchronous: the time of the event handler is the time to the
            # new table (layout included, forced by reading a size).
            outlet_filter.append(
                page.evaluate(
                    """() => { const s = document.getElementById('f-outlet');
                    const t = performance.now(); s.value = s.options[2].value;
                    s.dispatchEvent(new Event('change'));
                    document.querySelector('#articles').offsetHeight;
                    return (performance.now() - t) / 1000; }"""
                )
            )
            search_filter.append(
                page.evaluate(
                    """() => { const s = document.getElementById('f-text');
                    const t = performance.now(); s.value = 'drone';
                    s.dispatchEvent(new Event('input'));
                    document.querySelector('#articles').offsetHeight;
                    return (performance.now() - t) / 1000; }"""
                )
            )
            if log.problems:
                sys.exit(f"console problems: {log.problems}")
            page.close()
    print(f"timeline marks: {marks}")
    for name, values in (
        ("load to rendered page", loads),
        ("filter by outlet", outlet_filter),
        ("filter by search word", search_filter),
    ):
        print(
            f"{name}: {statistics.median(values):.3f} s "
            f"[{min(values):.3f}-{max(values):.3f}] over {len(values)} loads"
        )


def screenshot(store: str, collection: str, out: Path) -> None:
    from newstrail.storage import open_store
    from newstrail.storage.collection import open_collection, report_html

    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / "report.html"
        page_file.write_text(report_html(open_collection(open_store(store), collection)))
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(page_file.as_uri())
            page.wait_for_selector("body[data-ready='1']")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
    print(f"{out}: {out.stat().st_size:,} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--screenshot", type=Path, help="write a screenshot of a real report")
    parser.add_argument("--store", help="the store of --collection (with --screenshot)")
    parser.add_argument("--collection")
    args = parser.parse_args()
    if args.screenshot:
        if not (args.store and args.collection):
            parser.error("--screenshot needs --store and --collection")
        screenshot(args.store, args.collection, args.screenshot)
        return
    started = time.perf_counter()
    data = report_data("bench", figures(), synthetic(args.articles))
    page = render_report(data)
    built = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / "report.html"
        page_file.write_text(page, encoding="utf-8")
        size = page_file.stat().st_size
        print(
            f"{args.articles:,} related articles, {len(data['outlets'])} outlets, "
            f"{data['stories']['total']:,} stories: report of {size / 1e6:.1f} MB "
            f"built in {built:.2f} s"
        )
        measure(page_file, args.runs)


if __name__ == "__main__":
    main()
