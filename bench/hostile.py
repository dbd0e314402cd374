"""Hostile-page benchmark: does one enormous or malicious page slow a crawl down?

Prints, in one run:

1. **Per page**: the time and peak memory of newstrail's page analysis
   (extraction, links, feeds: ``newstrail.pagework.analyse_page``, what every HTML
   page of a crawl goes through) on each HTML page of the hostile site (a 12.5 MB
   live ticker of 70,000 paragraphs, a page with a million links, a UTF-8 page
   with a stray byte, an article), on the first 128 KiB of the heavy ones (what may
   be analysed in the crawler's own process), and of reading its 36 MB feed and
   100,000-URL sitemap, next to the slowest of a sample of the news web's pages,
   with the limits each page reached.
2. **Per crawl**: a crawl of the offline news web (``--scale``, 4 by default:
   about 1,500 pages) with ``--budget`` pages (1,000): without hostile pages, with
   the 12.5 MB ticker (the case that froze crawls), and with the whole hostile
   site (its heavy pages as extra seeds, fetched first while the news web's crawl
   is under way), in alternation for ``--rounds`` rounds: pages/s of the news web
   (its page requests over the seconds from its first to its last), page
   requests, wall time, the peak RSS of the crawl's largest process (crawler or
   extraction worker), the CPU seconds of the crawl's processes and of the test
   servers (threads of this process, on the same cores), then each pace's ratio
   to the pace without.

    .venv/bin/python bench/hostile.py
    .venv/bin/python bench/hostile.py --rounds 3 --scale 4 --budget 1000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path, where bench/storage.py
# would hide the storage package that newstrail's crawl imports.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from newstrail.demo import demo_seed_articles  # noqa: E402
from newstrail.newsweb import HostileSite, HostileSiteServer, NewsWebServer, build_web  # noqa: E402
from newstrail.pagework import analyse_page  # noqa: E402
from newstrail.seeds import SeedSet, load_seed_set  # noqa: E402

ROOT = _HERE.parent
SEEDS = ROOT / "seeds" / "iraq-us-troops.toml"
HEAVY_SEEDS = ("/ticker", "/links", "/")
HTML_PAGES = ("/ticker", "/links", "/utf8-stray", "/")
HEAVY = ("/ticker", "/links")


def _page_figures(url: str, body: bytes, kind: str = "page") -> tuple[float, int, list[str]]:
    """Seconds and the process's peak RSS (bytes) of the work on one page, in a fresh
    process: its analysis, or reading it as a feed or a sitemap (``kind``)."""
    script = (
        "import json, sys, time\n"
        "from newstrail.pagework import analyse_page\n"
        "from newstrail.discovery import read_feed, read_sitemap\n"
        "body = sys.stdin.buffer.read()\n"
        "url, kind = sys.argv[1], sys.argv[2]\n"
        "start = time.perf_counter()\n"
        "if kind == 'feed':\n"
        "    limits = read_feed(body, url)[1]\n"
        "elif kind == 'sitemap':\n"
        "    limits = read_sitemap(body, url)[1]\n"
        "else:\n"
        "    limits = analyse_page(body, url, content_type='text/html; charset=utf-8').limits\n"
        "seconds = time.perf_counter() - start\n"
        # VmHWM, not ru_maxrss: a child keeps its parent's ru_maxrss across fork and exec.
        "status = open('/proc/self/status').read()\n"
        "peak = int(status.split('VmHWM:')[1].split()[0])\n"
        "print(json.dumps([seconds, peak * 1024, limits]))\n"
    )
    # A fresh process per page keeps one page's memory from another's figures.
    result = subprocess.run(
        [sys.executable, "-c", script, url, kind], input=body, capture_output=True, check=True
    )
    seconds, rss, limits = json.loads(result.stdout.decode().strip().splitlines()[-1])
    return float(seconds), int(rss), list(limits)


def pages(site: HostileSite, news: NewsWebServer, sample: int) -> None:
    print("== the work on one page (analysis; feeds and sitemaps: reading), one process each")
    print(f"{'page':<34} {'bytes':>11} {'seconds':>8} {'peak MB':>8}  limits")
    rows = [(f"hostile {path}", site.page(path).body, "page") for path in HTML_PAGES]
    # Before the extraction workers are up, pages up to 128 KiB are analysed in the
    # crawler's own process (newstrail.spiders.coverage.IN_PROCESS_MAX_BYTES): the worst of them.
    cut = 128 * 1024
    rows += [(f"hostile {p}, first 128 KiB", site.page(p).body[:cut], "page") for p in HEAVY]
    rows += [("hostile /feed", site.page("/feed").body, "feed")]
    rows += [("hostile /sitemap.xml", site.page("/sitemap.xml").body, "sitemap")]
    for label, body, kind in rows:
        seconds, rss, limits = _page_figures("http://hostile.example/", body, kind)
        print(f"{label:<34} {len(body):>11,} {seconds:>8.2f} {rss / 2**20:>8.0f}  {limits}")
    # The news web's pages, in-process: the slowest of a sample, and the median.
    times = []
    for url in list(news.truth)[:sample]:
        body = _fetch(url)
        start = time.perf_counter()
        analyse_page(body, url, content_type="text/html; charset=utf-8")
        times.append((time.perf_counter() - start, url))
    times.sort()
    slowest, median = times[-1][0], statistics.median(t for t, _ in times)
    label = f"news web, slowest of {len(times)}"
    print(f"{label:<34} {'':>11} {slowest:>8.3f} {'':>8}  median {median:.3f} s")


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        body: bytes = response.read()
    return body


_CHILD = """
import json, sys
from dataclasses import replace
from pathlib import Path
from newstrail.flows.steps import crawl_direct
from newstrail.config import Environment
from newstrail.seeds import Seed, load_seed_set
args = json.loads(sys.argv[1])
seeds = load_seed_set(Path(args["seeds"])).with_urls(args["seed_urls"])
seeds = replace(seeds, seeds=seeds.seeds + tuple(Seed(url=u) for u in args["extra"]))
summary = crawl_direct(
    seeds, store=args["store"], collection="bench", budget=args["budget"],
    allow_private=True, download_delay=0.0,
    env=Environment(store=args["store"], workdir=Path(args["workdir"])),
)
# The crawler's largest process: not this one's ru_maxrss, which it keeps from the
# benchmark (a child keeps its parent's high-water mark across fork and exec).
import resource
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"counts": summary["counts"], "peak": peak}))
"""


def crawl(news: NewsWebServer, extra: list[str], budget: int) -> dict[str, Any]:
    """One crawl in a process of its own: its figures and the news web's pace."""
    news.reset_log()
    with tempfile.TemporaryDirectory(prefix="newstrail-bench-") as tmp:
        args = {
            "seeds": str(SEEDS),
            "seed_urls": news.seed_urls,
            "extra": extra,
            "store": f"{tmp}/store",
            "workdir": f"{tmp}/work",
            "budget": budget,
        }
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        before = os.times()
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, json.dumps(args)],
            stdout=subprocess.PIPE,
            env=env,
            cwd=tmp,
        )
        assert proc.stdout is not None
        out = proc.stdout.read().decode()
        proc.stdout.close()
        returncode = proc.wait()
        wall = time.monotonic() - start
        after = os.times()
        if returncode != 0:
            raise SystemExit(f"crawl failed (exit {returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    counts = result["counts"]
    log = [r for r in news.request_log if not r.path.endswith("/robots.txt")]
    span = max(r.time for r in log) - min(r.time for r in log)
    return {
        "news_pages": len(log),
        "pace": len(log) / span if span else 0.0,
        "requests": int(counts.get("requests", 0)),
        "wall": wall,
        "rss": int(result["peak"]),
        "counts": counts,
        # CPU seconds of the crawl's processes, and of this one: the servers' threads,
        # which share the machine's cores with the crawl.
        "crawl_cpu": (after.children_user - before.children_user)
        + (after.children_system - before.children_system),
        "server_cpu": (after.user - before.user) + (after.system - before.system),
    }


def crawls(site_server: HostileSiteServer, news: NewsWebServer, rounds: int, budget: int) -> None:
    print(f"\n== crawls of the news web, budget {budget}, with and without hostile pages")
    header = f"{'round':>5} {'crawl':<14} {'news pages':>10} {'pages/s':>8} {'requests':>8}"
    print(f"{header} {'wall s':>7} {'peak RSS':>9} {'crawl CPU s':>11} {'server CPU s':>12}")
    variants = {
        "without": [],
        # The case: a news web with one 12.5 MB live ticker.
        "with ticker": [site_server.url("/ticker")],
        # The whole hostile site: the ticker, a million links, its home page (which
        # leads to every other case: codings, bombs, the feed, the sitemap...).
        "with hostile": [site_server.url(p) for p in HEAVY_SEEDS],
    }
    paces: dict[str, list[float]] = {label: [] for label in variants}
    for n in range(1, rounds + 1):
        for label, extra in variants.items():
            figures = crawl(news, extra, budget)
            paces[label].append(figures["pace"])
            print(
                f"{n:>5} {label:<14} {figures['news_pages']:>10,} {figures['pace']:>8.1f} "
                f"{figures['requests']:>8,} {figures['wall']:>7.0f} "
                f"{figures['rss'] / 2**20:>6.0f} MB {figures['crawl_cpu']:>11.1f} "
                f"{figures['server_cpu']:>12.1f}",
                flush=True,
            )
            if extra:
                limits = {
                    k: v for k, v in figures["counts"].items() if "limit" in k or "extract" in k
                }
                print(f"{'':>5} counts: {limits}")
    medians = {label: statistics.median(values) for label, values in paces.items()}
    without = medians["without"]
    print(
        "median pace: "
        + ", ".join(
            f"{label} {pace:.1f} pages/s (ratio {pace / without:.2f})"
            for label, pace in medians.items()
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", type=int, default=4, help="size of the news web (4: ~1,500 pages)"
    )
    parser.add_argument("--budget", type=int, default=1000, help="pages per crawl")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of both crawls")
    parser.add_argument("--sample", type=int, default=200, help="news web pages timed")
    parser.add_argument("--skip-pages", action="store_true", help="only the crawls")
    args = parser.parse_args(argv)
    seed_set: SeedSet = load_seed_set(SEEDS)
    articles = demo_seed_articles(seed_set)
    site = HostileSite(articles[0].title, articles[0].paragraphs)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with (
        NewsWebServer(build_web(articles, scale=args.scale)) as news,
        HostileSiteServer(site) as site_server,
    ):
        if not args.skip_pages:
            pages(site, news, args.sample)
        crawls(site_server, news, args.rounds, args.budget)
    return 0


if __name__ == "__main__":
    sys.exit(main())
