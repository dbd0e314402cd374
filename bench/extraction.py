"""Benchmark newstrail's extraction against plain trafilatura on real pages.

Runs both extractors over each evaluation set (``html/<id>.html.gz`` plus
``truth.jsonl``, see the eval README), writes one predictions file per set and
extractor, scores them with the eval's ``score_extraction.py`` and prints the figures
side by side::

    .venv/bin/python bench/extraction.py                       # every set, full
    .venv/bin/python bench/extraction.py --set wcxb-dev --limit 100

``--gate`` turns the run into a quality gate (like trafilatura's tests/eval_gate.py):
exit 1 when newstrail's F1 on a full set falls below its pinned floor, the F1 plain
trafilatura 2.3.1 scores there. (``tests/test_extraction_gate.py`` is the fast gate
the test suite runs, on a fixed subset.)

``--pool N`` measures the crawl's extraction pool instead: docs/s through
``ExtractionPool`` with 1 worker and with N workers (wall clock, workers started and
warmed up before the clock runs, pages in memory)::

    .venv/bin/python bench/extraction.py --pool 2 --limit 200
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import trafilatura

from newstrail.extract import extract_article
from newstrail.extract_pool import ExtractionPool

DEFAULT_EVAL_DIR = Path(os.environ.get("NEWSTRAIL_EVAL_DIR", "/work/shared/eval"))
SETS = ("scrapinghub", "wcxb-dev")
# Plain trafilatura 2.3.1 on the full sets (eval README): newstrail must not fall below.
F1_FLOORS = {"scrapinghub": 0.960, "wcxb-dev": 0.931}
EXTRACTORS = ("newstrail", "trafilatura")

Prediction = dict[str, Any]


@dataclass
class Page:
    id: str
    url: str
    html: bytes


def load_pages(set_dir: Path, limit: int | None) -> list[Page]:
    """Read the set's pages into memory so timing measures extraction alone."""
    pages = []
    with (set_dir / "truth.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = json.loads(line)
            html = gzip.decompress((set_dir / "html" / f"{record['id']}.html.gz").read_bytes())
            pages.append(Page(str(record["id"]), record["url"], html))
            if limit is not None and len(pages) >= limit:
                break
    return pages


def run_newstrail(page: Page) -> Prediction:
    article = extract_article(page.html, page.url)
    if article is None:
        return {"text": "", "title": None, "author": None, "date": None}
    return {
        "text": article.text,
        "title": article.title,
        "author": article.author,
        "date": article.date,
    }


def run_trafilatura(page: Page) -> Prediction:
    result = trafilatura.extract(
        page.html,
        url=page.url,
        include_comments=False,
        with_metadata=True,
        output_format="json",
    )
    data = json.loads(result) if result else {}
    return {
        "text": data.get("text") or "",
        "title": data.get("title"),
        "author": data.get("author"),
        "date": data.get("date"),
    }


RUNNERS: dict[str, Callable[[Page], Prediction]] = {
    "newstrail": run_newstrail,
    "trafilatura": run_trafilatura,
}


def load_scorer(eval_dir: Path) -> ModuleType:
    """Import the eval's scorer from its file (it is a script, not a package)."""
    path = eval_dir / "score_extraction.py"
    spec = importlib.util.spec_from_file_location("score_extraction", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load scorer {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def predict(
    pages: list[Page], extractors: list[str], out_dir: Path, set_name: str
) -> dict[str, float]:
    """Write each extractor's predictions; return its docs per second.

    The extractors take turns page by page, so load from other processes on the
    machine slows them alike and the speed ratio stays meaningful.
    """
    elapsed = dict.fromkeys(extractors, 0.0)
    sinks = {
        name: (out_dir / f"{set_name}.{name}.jsonl").open("w", encoding="utf-8")
        for name in extractors
    }
    try:
        for number, page in enumerate(pages):
            # Alternate who goes first: the first call on a page pays for warming
            # caches shared by both (dateparser's per-language regexes).
            for name in extractors if number % 2 else reversed(extractors):
                start = time.perf_counter()
                prediction = RUNNERS[name](page)
                elapsed[name] += time.perf_counter() - start
                record = {"id": page.id, **prediction}
                sinks[name].write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        for sink in sinks.values():
            sink.close()
    return {name: len(pages) / seconds if seconds else 0.0 for name, seconds in elapsed.items()}


def pool_speed(pages: list[Page], workers: int) -> float:
    """Docs/s of extraction through an ``ExtractionPool`` of ``workers`` processes."""
    with ExtractionPool(workers=workers) as pool:
        # Start every worker and warm it up before timing.
        warm = [pool.submit(page.html, page.url) for page in pages[: workers * 2]]
        for future in warm:
            future.result()
        start = time.perf_counter()
        futures = [pool.submit(page.html, page.url) for page in pages]
        for future in futures:
            future.result()
        seconds = time.perf_counter() - start
    return len(pages) / seconds if seconds else 0.0


def run_pool(pages: list[Page], workers: int) -> None:
    for count in sorted({1, workers}):
        speed = pool_speed(pages, count)
        print(f"  pool workers={count}: docs/s={speed:.1f}", flush=True)


def format_row(name: str, result: dict[str, Any], speed: float) -> str:
    def field(key: str) -> str:
        value = result.get(key)
        return f"{value:.3f}" if isinstance(value, float) else "  -  "

    return (
        f"  {name:<12} F1={result['f1']:.3f}±{result['f1_std']:.3f} "
        f"P={result['precision']:.3f} R={result['recall']:.3f} "
        f"title={field('title_accuracy')} author={field('author_accuracy')} "
        f"date={field('date_accuracy')} empty={result['empty_predictions']:>3} "
        f"docs/s={speed:.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=SETS, action="append", help="set to run (repeatable)")
    parser.add_argument("--limit", type=int, help="only the first N pages of each set")
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--out", type=Path, default=Path(".newstrail-work/bench"))
    parser.add_argument(
        "--extractor", choices=EXTRACTORS, action="append", help="extractor to run (repeatable)"
    )
    parser.add_argument(
        "--gate", action="store_true", help="exit 1 if newstrail's F1 is below a set's floor"
    )
    parser.add_argument(
        "--pool", type=int, metavar="N", help="measure the extraction pool with 1 and N workers"
    )
    args = parser.parse_args(argv)
    if args.pool is not None:
        for set_name in args.set or SETS:
            pages = load_pages(args.eval_dir / "extraction" / set_name, args.limit)
            print(f"{set_name}: {len(pages)} pages")
            run_pool(pages, args.pool)
        return 0
    scorer = load_scorer(args.eval_dir)
    extractors = args.extractor or list(EXTRACTORS)
    args.out.mkdir(parents=True, exist_ok=True)
    failed = False
    for set_name in args.set or SETS:
        set_dir = args.eval_dir / "extraction" / set_name
        pages = load_pages(set_dir, args.limit)
        truth = scorer.load_jsonl(set_dir / "truth.jsonl")
        truth = {key: truth[key] for key in (page.id for page in pages)}
        print(f"{set_name}: {len(pages)} pages")
        speeds = predict(pages, extractors, args.out, set_name)
        results: dict[str, dict[str, Any]] = {}
        for extractor in extractors:
            predictions = scorer.load_jsonl(args.out / f"{set_name}.{extractor}.jsonl")
            results[extractor] = scorer.evaluate(truth, predictions)
            print(format_row(extractor, results[extractor], speeds[extractor]), flush=True)
        if set(EXTRACTORS) <= speeds.keys() and speeds["trafilatura"]:
            ratio = speeds["newstrail"] / speeds["trafilatura"]
            print(f"  speed ratio newstrail/trafilatura: {ratio:.2f}")
        if args.gate and "newstrail" in results:
            floor = F1_FLOORS[set_name]
            if args.limit is not None:
                print(f"  gate: floor {floor:.3f} holds for the full set only, not checked")
            elif results["newstrail"]["f1"] < floor:
                print(f"  FAIL: newstrail F1 {results['newstrail']['f1']:.3f} below {floor:.3f}")
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
