"""What recording the bytes on the wire costs a crawl: newstrail before and after.

Crawls the offline news web (``--scale``, 4 by default: about 1,500 pages) with
``--budget`` pages, alternating for ``--rounds`` rounds between this checkout
and ``--before`` (a git revision, by default the one before the wire recording:
Scrapy's rebuilt heads), each crawl in a process of its own with that tree's
code. Prints per crawl the news web's pages/s (its page requests over the
seconds from the first to the last), the page requests, and the CPU seconds
of the crawl's processes per page; then the medians and after/before ratios.

    .venv/bin/python bench/wire.py
    .venv/bin/python bench/wire.py --rounds 3 --budget 800 --before 49a9c77
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from newstrail.demo import demo_seed_articles  # noqa: E402
from newstrail.newsweb import NewsWebServer, build_web  # noqa: E402
from newstrail.seeds import load_seed_set  # noqa: E402

ROOT = _HERE.parent
SEEDS = ROOT / "seeds" / "iraq-us-troops.toml"
#: The revision before request and response heads were recorded from the wire.
BEFORE = "961eb10^"

_CHILD = """
import json, sys
from pathlib import Path
from newstrail.flows.steps import crawl_direct
from newstrail.config import Environment
from newstrail.seeds import load_seed_set
import inspect
from newstrail.flows.steps import plan_crawl
args = json.loads(sys.argv[1])
seeds = load_seed_set(Path(args["seeds"])).with_urls(args["seed_urls"])
# The same pages on both sides: page requisites, fetched since a later revision,
# are not what is measured here.
extra = {"requisites": "none"} if "requisites" in inspect.signature(plan_crawl).parameters else {}
summary = crawl_direct(
    seeds, store=args["store"], collection="bench", budget=args["budget"],
    allow_private=True, download_delay=0.0,
    env=Environment(store=args["store"], workdir=Path(args["workdir"])), **extra,
)
print(json.dumps(summary["counts"]))
"""


def crawl(news: NewsWebServer, tree: Path, budget: int) -> dict[str, Any]:
    """One crawl with the code of ``tree``, in a process of its own."""
    news.reset_log()
    with tempfile.TemporaryDirectory(prefix="newstrail-bench-") as tmp:
        args = {
            "seeds": str(SEEDS),
            "seed_urls": news.seed_urls,
            "store": f"{tmp}/store",
            "workdir": f"{tmp}/work",
            "budget": budget,
        }
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env["PYTHONPATH"] = str(tree)
        before = os.times()
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, json.dumps(args)],
            stdout=subprocess.PIPE,
            env=env,
            cwd=tmp,
            check=False,
        )
        after = os.times()
        if done.returncode != 0:
            raise SystemExit(f"crawl with {tree} failed (exit {done.returncode})")
    counts = json.loads(done.stdout.decode().strip().splitlines()[-1])
    log = [r for r in news.request_log if not r.path.endswith("/robots.txt")]
    span = max(r.time for r in log) - min(r.time for r in log)
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return {
        "pages": len(log),
        "pace": len(log) / span if span else 0.0,
        "requests": int(counts.get("requests", 0)),
        "cpu_per_page": cpu / max(1, len(log)),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=4, help="news web size (4: ~1,500 pages)")
    parser.add_argument("--budget", type=int, default=1000, help="pages per crawl")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--before", default=BEFORE, help=f"git revision (default {BEFORE})")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newstrail-before-") as tmp:
        before_tree = Path(tmp) / "tree"
        subprocess.run(
            [
                "git",
                "-C",
                str(ROOT),
                "worktree",
                "add",
                "-q",
                "--detach",
                str(before_tree),
                args.before,
            ],
            check=True,
        )
        try:
            trees = {"before": before_tree, "after": ROOT}
            articles = demo_seed_articles(load_seed_set(SEEDS))
            figures: dict[str, list[dict[str, Any]]] = {label: [] for label in trees}
            with NewsWebServer(build_web(articles, scale=args.scale)) as news:
                print(f"before: {args.before}; after: this checkout; budget {args.budget}")
                print(f"{'round':>5} {'code':<7} {'pages':>6} {'pages/s':>8} {'CPU ms/page':>12}")
                for n in range(1, args.rounds + 1):
                    # Each round in the other order, so drift weighs on both.
                    order = list(trees) if n % 2 else list(reversed(list(trees)))
                    for label in order:
                        one = crawl(news, trees[label], args.budget)
                        figures[label].append(one)
                        print(
                            f"{n:>5} {label:<7} {one['pages']:>6} {one['pace']:>8.1f} "
                            f"{one['cpu_per_page'] * 1000:>12.1f}",
                            flush=True,
                        )
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before_tree)],
                check=False,
            )
    pace = {k: statistics.median(f["pace"] for f in v) for k, v in figures.items()}
    cpu = {k: statistics.median(f["cpu_per_page"] for f in v) for k, v in figures.items()}
    print(f"median pages/s: before {pace['before']:.1f}, after {pace['after']:.1f}", end="")
    print(f" (after/before {pace['after'] / pace['before']:.2f})")
    print(
        f"median CPU ms/page: before {cpu['before'] * 1000:.1f}, after {cpu['after'] * 1000:.1f}",
        end="",
    )
    print(f" (after/before {cpu['after'] / cpu['before']:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
