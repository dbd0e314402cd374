"""The fast main-text pass against full extraction for every page: same related set?

For every article page of the offline news web (``--scale``) and every page of the
shared evaluation sets (``../shared/eval/extraction``), scores the page against the
story's seed profile twice: on its full extraction (what every page got before),
and the way a crawl now does it (``analyse_page`` with a ``PageScoring``: the fast
text first, the full extraction only within ``--margin`` of the threshold). The
evaluation pages are also scored against profiles made of other evaluation pages'
true texts (``--profiles``), so real pages are related to something. Prints, per
set: pages, related with full extraction, related the fast way, related pages whose
text record differs, the lowest fast-text score of a related page (the margin it
needs) and the analysis CPU per page both ways.

    .venv/bin/python bench/fast_pass.py
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from newstrail.demo import demo_seed_articles  # noqa: E402
from newstrail.newsweb import NewsWebServer, build_web  # noqa: E402
from newstrail.pagework import FAST_MARGIN, PageScoring, analyse_page, fast_article  # noqa: E402
from newstrail.relevance import RelevanceModel  # noqa: E402
from newstrail.seeds import load_seed_set  # noqa: E402

ROOT = _HERE.parent
SEEDS = ROOT / "seeds" / "iraq-us-troops.toml"
EVAL = ROOT.parent / "shared" / "eval" / "extraction"


def newsweb_pages(scale: int) -> Iterator[tuple[str, bytes]]:
    seeds = load_seed_set(SEEDS)
    with NewsWebServer(build_web(demo_seed_articles(seeds), scale=scale)) as server:
        for key in server.web.articles:
            url = server.ref_url(key)
            with urllib.request.urlopen(url) as answer:
                yield url, answer.read()


def eval_pages() -> Iterator[tuple[str, bytes, str]]:
    for folder in sorted(EVAL.iterdir()):
        truth = folder / "truth.jsonl"
        if not truth.exists():
            continue
        for line in truth.read_text().split("\n"):
            if not line.strip():
                continue
            entry = json.loads(line)
            page = folder / "html" / f"{entry['id']}.html.gz"
            if page.exists():
                yield (
                    entry.get("url") or f"https://{entry['id']}.example/",
                    gzip.decompress(page.read_bytes()),
                    entry["text"],
                )


def compare(
    name: str, pages: list[tuple[str, bytes]], model: RelevanceModel, margin: float
) -> None:
    scoring = PageScoring(model, fast=True, margin=margin)
    related_full = related_fast = differs = 0
    lowest: float | None = None
    cpu_full = cpu_fast = 0.0
    for url, body in pages:
        start = time.process_time()
        full = analyse_page(body, url)
        middle = time.process_time()
        fast = analyse_page(body, url, scoring=scoring)
        cpu_full += middle - start
        cpu_fast += time.process_time() - middle
        full_rel = (
            model.score(full.article.text, full.article.title, full.article.date)
            if full.article is not None
            else None
        )
        is_related = full_rel is not None and full_rel.related
        related_full += is_related
        related_fast += fast.relevance is not None and fast.relevance.related
        if is_related:
            if fast.article != full.article or fast.relevance != full_rel:
                differs += 1
            cheap = fast_article_score(body, url, model)
            lowest = cheap if lowest is None else min(lowest, cheap)
    n = max(1, len(pages))
    print(
        f"{name:<28} {len(pages):>5} {related_full:>8} {related_fast:>8} {differs:>8}"
        f" {'-' if lowest is None else f'{lowest:.3f}':>9} {1000 * cpu_full / n:>8.1f}"
        f" {1000 * cpu_fast / n:>8.1f}",
        flush=True,
    )


def fast_article_score(body: bytes, url: str, model: RelevanceModel) -> float:
    from newstrail.extract import ExtractionConfig, prepare_html
    from newstrail.pagework import _parse

    text, limits, _ = prepare_html(body, ExtractionConfig())
    article = fast_article(text, _parse(text), url, limits)
    return 0.0 if article is None else model.score(article.text, article.title).score


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="news web size (1: 2,400 articles)")
    parser.add_argument("--margin", type=float, default=FAST_MARGIN, help="below the threshold")
    parser.add_argument("--profiles", type=int, default=5, help="profiles from evaluation pages")
    args = parser.parse_args(argv)
    seeds = load_seed_set(SEEDS)
    story = seeds.relevance_model()
    print(f"threshold {story.threshold}, margin {args.margin}")
    print(
        f"{'set':<28} {'pages':>5} {'rel full':>8} {'rel fast':>8} {'differs':>8}"
        f" {'low fast':>9} {'ms full':>8} {'ms fast':>8}"
    )
    compare("news web, the story", list(newsweb_pages(args.scale)), story, args.margin)
    real = list(eval_pages())
    pages = [(url, body) for url, body, _ in real]
    compare("eval pages, the story", pages, story, args.margin)
    rng = random.Random(7)
    for n, (_, _, text) in enumerate(rng.sample(real, args.profiles), 1):
        model = RelevanceModel([text], threshold=story.threshold)
        compare(f"eval pages, profile {n}", pages, model, args.margin)
    return 0


if __name__ == "__main__":
    sys.exit(main())
