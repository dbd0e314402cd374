"""Crawl throughput side by side: wget, a plain Scrapy+warcio spider and newstrail.

Builds a static news web (``--pages`` article pages, 5,000 by default, on
``--hosts`` hosts, 10 by default; article text from the offline news web's
generator, the story's seed articles among them), serves it with nginx on
127.0.0.1, and crawls the whole of it with each crawler in turn, ``--rounds``
rounds (3 by default), each round in the other order:

- ``wget``: ``wget --recursive --span-hosts --warc-file`` (robots obeyed);
- ``plain``: ``bench/plain_spider.py``, Scrapy with warcio in ``response_downloaded``;
- ``pool``: newstrail with its extraction pool (the default);
- ``inproc``: newstrail with extraction in the crawler process
  (``NEWSTRAIL_EXTRACT_WORKERS=0``).

Every crawler starts from the seed pages, with no delay, and writes WARC. For
each crawl it prints the pages fetched (nginx's log), pages/s from the first
request to the last (and over the first 1,000 pages and the rest apart), CPU ms
per page of the whole process tree, the crawler process's peak RSS and the whole
tree's (sampled every 50 ms), WARC bytes; then the medians and the ratios to the
plain spider.

    .venv/bin/python bench/throughput.py
    .venv/bin/python bench/throughput.py --pages 2000 --rounds 1 --only plain,pool

``--sizes 2000,20000`` instead crawls webs of each size with newstrail (the
extraction pool, one round each) and prints the crawler process's peak RSS on each
and its ratio to the first: whether memory stays flat as a crawl grows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from newstrail.demo import demo_seed_articles  # noqa: E402
from newstrail.newsweb import build_web  # noqa: E402
from newstrail.newsweb._model import Article  # noqa: E402
from newstrail.seeds import load_seed_set  # noqa: E402

ROOT = _HERE.parent
SEEDS = ROOT / "seeds" / "iraq-us-troops.toml"
CRAWLERS = ("wget", "plain", "pool", "inproc")

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} | {site}</title>
<meta name="description" content="{standfirst}">
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{published}">
<meta name="author" content="{author}">
<link rel="canonical" href="{url}">
</head><body>
<header><nav><a href="/">{site}</a> {nav}</nav></header>
<main><article>
<h1>{title}</h1>
<p class="standfirst">{standfirst}</p>
<p class="byline">By {author}, <time datetime="{published}">{day}</time></p>
{body}
</article>
<aside><h2>Related</h2><ul>{related}</ul></aside>
<section><h2>Around the web</h2><ul>{around}</ul></section>
</main>
<footer><p>&copy; {site}. All rights reserved.</p><nav>{footer}</nav></footer>
</body></html>
"""


def _free_ports(n: int) -> list[int]:
    sockets = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def build_static_web(root: Path, pages: int, hosts: int) -> tuple[list[int], list[str]]:
    """Write the web's files under ``root/h<N>/``; return the hosts' ports and the
    seed pages' URLs."""
    seeds = demo_seed_articles(load_seed_set(SEEDS))
    scale = 1
    while True:
        web = build_web(seeds, scale=scale)
        if len(web.articles) >= pages:
            break
        scale *= 2
    rng = random.Random(17)
    articles: list[Article] = [a for a in web.articles.values() if a.label == "seed"]
    rest = [a for a in web.articles.values() if a.label != "seed"]
    rng.shuffle(rest)
    articles += rest[: pages - len(articles)]
    ports = _free_ports(hosts)
    base = [f"http://127.0.0.1:{port}" for port in ports]
    # Article i lives on host i % hosts, as /news/<n>-<slug>.html.
    urls = []
    for i, article in enumerate(articles):
        slug = article.path.strip("/").rsplit("/", 1)[-1][:60] or "story"
        urls.append((i % hosts, f"/news/{i}-{slug}.html"))
    for h in range(hosts):
        folder = root / f"h{h}"
        (folder / "news").mkdir(parents=True)
        (folder / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
        mine = [k for k in range(len(articles)) if k % hosts == h]
        listing = "".join(
            f'<li><a href="{urls[k][1]}">{html.escape(articles[k].title)}</a></li>'
            for k in mine[:60]
        )
        (folder / "index.html").write_text(
            f"<!doctype html><html><head><title>Host {h}</title></head><body>"
            f"<h1>Host {h}</h1><ul>{listing}</ul></body></html>"
        )

    def link(k: int, here: int) -> str:
        h, path = urls[k]
        href = path if h == here else base[h] + path
        return f'<a href="{href}">{html.escape(articles[k].title)}</a>'

    n = len(articles)
    for i, article in enumerate(articles):
        h, path = urls[i]
        # The next page on this host keeps every page reachable; the rest spread it.
        related = [i + hosts if i + hosts < n else i % hosts, *rng.sample(range(n), 5)]
        around = rng.sample(range(n), 12)
        nav = " ".join(link(k, h) for k in rng.sample(range(n), 8))
        paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)
        published = article.published.replace(tzinfo=dt.UTC).isoformat()
        page = _PAGE.format(
            title=html.escape(article.title),
            site=f"Host {h}",
            standfirst=html.escape(article.standfirst),
            published=published,
            day=article.published.date().isoformat(),
            author=html.escape(article.author),
            url=base[h] + path,
            nav=nav,
            body=paragraphs,
            related="".join(f"<li>{link(k, h)}</li>" for k in related),
            around="".join(f"<li>{link(k, h)}</li>" for k in around),
            footer=" ".join(f'<a href="/about/{x}.html">{x}</a>' for x in ("about", "contact")),
        )
        (root / f"h{h}" / path.lstrip("/")).write_text(page)
    seed_urls = [base[urls[k][0]] + urls[k][1] for k in range(n) if articles[k].label == "seed"]
    return ports, seed_urls


@contextmanager
def nginx(root: Path, ports: list[int]) -> Iterator[Path]:
    """nginx serving ``root/h<N>`` on each port; yields its access log."""
    conf = root / "nginx.conf"
    log = root / "access.log"
    servers = "\n".join(
        f"server {{ listen 127.0.0.1:{port}; root {root}/h{h}; }}" for h, port in enumerate(ports)
    )
    conf.write_text(
        f"""worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 1024; }}
http {{
  include /etc/nginx/mime.types;
  log_format bench '$msec $status $request_method $request_uri';
  access_log {log} bench;
  client_body_temp_path {root}/tmp;
  proxy_temp_path {root}/tmp; fastcgi_temp_path {root}/tmp;
  uwsgi_temp_path {root}/tmp; scgi_temp_path {root}/tmp;
  keepalive_requests 100000;
  {servers}
}}
"""
    )
    process = subprocess.Popen(
        ["nginx", "-c", str(conf), "-p", str(root), "-g", "daemon off;"],
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", ports[-1]), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield log
    finally:
        process.terminate()
        process.wait()


class TreeSampler:
    """Peak RSS and CPU seconds of the crawler process (the one whose command line
    holds ``marker``, else ``pid``) and of the whole tree, read from /proc every 50 ms."""

    def __init__(self, pid: int, marker: str | None = None) -> None:
        self.pid = pid
        #: What the crawler process's command line holds (None: the first process).
        self.marker = marker
        self.peak_self = 0
        self.peak_tree = 0
        self._cpu: dict[int, float] = {}
        self._crawler: int | None = None if marker else pid
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _rss(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return 0

    @staticmethod
    def _cpu_seconds(pid: int) -> float | None:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    @property
    def tree_cpu(self) -> float:
        """CPU seconds of every process seen in the tree (a process killed before
        its parent waited for it is missing from the parent's own figures)."""
        return sum(self._cpu.values())

    @property
    def crawler_cpu(self) -> float:
        """CPU seconds of the crawler process."""
        return self._cpu.get(self._crawler, 0.0) if self._crawler is not None else 0.0

    def _find_crawler(self, tree: list[int]) -> None:
        for pid in tree:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if self.marker and self.marker.encode() in f.read():
                        self._crawler = pid
                        return
            except OSError:
                continue

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            tree = self._tree()
            sizes = {pid: self._rss(pid) for pid in tree}
            for pid in tree:
                cpu = self._cpu_seconds(pid)
                if cpu is not None:
                    self._cpu[pid] = cpu
            if self._crawler is None:
                self._find_crawler(tree)
            if self._crawler is not None:
                self.peak_self = max(self.peak_self, sizes.get(self._crawler, 0))
            self.peak_tree = max(self.peak_tree, sum(sizes.values()))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


_NEWSTRAIL = """
import json, sys
from dataclasses import replace
from pathlib import Path
from newstrail.flows.steps import crawl_direct
from newstrail.config import Environment
from newstrail.seeds import load_seed_set
args = json.loads(sys.argv[1])
seeds = load_seed_set(Path(args["seeds"])).with_urls(args["seed_urls"])
summary = crawl_direct(
    seeds, store=args["store"], collection="bench", budget=args["budget"],
    allow_private=True, download_delay=0.0, max_hops=1000, requisites="none",
    env=replace(Environment.from_env(), store=args["store"], workdir=Path(args["workdir"])),
)
print(json.dumps(summary["counts"]))
"""


def command(crawler: str, tmp: Path, ports: list[int], seeds: list[str], budget: int) -> list[str]:
    if crawler == "wget":
        return [
            "wget",
            "--recursive",
            "--level=inf",
            "--span-hosts",
            "--domains=127.0.0.1",
            "--no-verbose",
            # Not --delete-after: with it, wget fetches every page twice.
            f"--directory-prefix={tmp}/wget",
            f"--warc-file={tmp}/out/wget",
            "--no-warc-keep-log",
            "--tries=1",
            *seeds,
        ]
    if crawler == "plain":
        return [
            sys.executable,
            "-m",
            "scrapy",
            "runspider",
            str(_HERE / "plain_spider.py"),
            "-a",
            "start=" + ",".join(seeds),
            "-a",
            f"warc={tmp}/out/plain.warc.gz",
        ]
    args = {
        "seeds": str(SEEDS),
        "seed_urls": seeds,
        "store": f"{tmp}/out",
        "workdir": f"{tmp}/work",
        "budget": budget,
    }
    return [sys.executable, "-c", _NEWSTRAIL, json.dumps(args)]


#: The crawl's first pages, whose pages/s is printed apart from the rest's.
FIRST = 1000


def _pace(times: list[float]) -> float:
    """Pages a second between the first and the last of ``times`` (sorted)."""
    if len(times) < 2 or times[-1] <= times[0]:
        return 0.0
    return (len(times) - 1) / (times[-1] - times[0])


def crawl(
    crawler: str,
    log: Path,
    ports: list[int],
    seeds: list[str],
    budget: int,
    profile: Path | None = None,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="newstrail-throughput-") as name:
        tmp = Path(name)
        (tmp / "out").mkdir()
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env["PYTHONPATH"] = str(ROOT)
        if crawler == "inproc":
            env["NEWSTRAIL_EXTRACT_WORKERS"] = "0"
        offset = log.stat().st_size if log.exists() else 0
        before = os.times()
        started = time.monotonic()
        argv = command(crawler, tmp, ports, seeds, budget)
        if profile is not None and crawler in ("pool", "inproc"):
            # Every process of the tree, 100 samples a second, idle frames left out.
            out = profile / f"{crawler}-{time.strftime('%H%M%S')}.txt"
            spy = str(Path(sys.executable).parent / "py-spy")
            argv = [spy, "record", "--subprocesses", "--format", "raw", "-r", "100", "-o", str(out)]
            argv += ["--", *command(crawler, tmp, ports, seeds, budget)]
        process = subprocess.Popen(
            argv,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp / "stderr", "wb"),  # noqa: SIM115
            env=env,
            cwd=tmp,
        )
        # newstrail's crawler is a process of its own, under the command's.
        sampler = TreeSampler(process.pid, "spiders.run" if crawler in ("pool", "inproc") else None)
        code = process.wait()
        sampler.stop()
        wall = time.monotonic() - started
        after = os.times()
        if code != 0 and crawler != "wget":  # wget exits 8 on any 404
            tail = (tmp / "stderr").read_text(errors="replace")[-2000:]
            raise SystemExit(f"{crawler} failed (exit {code}):\n{tail}")
        warc = sum(f.stat().st_size for f in (tmp / "out").rglob("*.warc.gz"))
    with log.open() as f:
        f.seek(offset)
        lines = [line.split() for line in f if "robots.txt" not in line]
    times = sorted(float(line[0]) for line in lines)
    span = times[-1] - times[0] if times else 0.0
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    cpu = max(cpu, sampler.tree_cpu)
    return {
        "pages": len(lines),
        "pace": len(lines) / span if span else 0.0,
        # The crawl's first pages and the rest apart: newstrail gives the related
        # pages it finds first the full extraction, and those seconds are slower.
        "first": _pace(times[: FIRST + 1]),
        "rest": _pace(times[FIRST:]),
        "wall": wall,
        "cpu_ms": 1000 * cpu / max(1, len(lines)),
        "crawler_ms": 1000 * sampler.crawler_cpu / max(1, len(lines)),
        "rss": sampler.peak_self / 2**20,
        "tree": sampler.peak_tree / 2**20,
        "warc": warc / 2**20,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=5000, help="article pages (5,000)")
    parser.add_argument("--hosts", type=int, default=10, help="hosts (10)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (3)")
    parser.add_argument("--only", default=",".join(CRAWLERS), help="crawlers, comma-separated")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        type=Path,
        help="also record newstrail's crawls with py-spy into DIR (slows them; "
        "summarise with bench/profile_summary.py)",
    )
    parser.add_argument(
        "--sizes",
        metavar="N,N",
        help="crawl webs of these sizes with newstrail (pool) and compare peak RSS",
    )
    args = parser.parse_args(argv)
    crawlers = [c for c in args.only.split(",") if c]
    if shutil.which("nginx") is None:
        raise SystemExit("bench/throughput.py needs nginx (apt-get install nginx-light)")
    if args.sizes:
        return sizes([int(n) for n in args.sizes.split(",")], args.hosts)
    figures: dict[str, list[dict[str, Any]]] = {c: [] for c in crawlers}
    with tempfile.TemporaryDirectory(prefix="newstrail-web-") as name:
        root = Path(name)
        root.chmod(0o755)  # nginx's workers are not root
        ports, seeds = build_static_web(root, args.pages, args.hosts)
        (root / "tmp").mkdir()
        budget = args.pages + args.hosts + 100
        with nginx(root, ports) as log:
            print(f"{args.pages} pages on {args.hosts} hosts; budget {budget}")
            head = f"{'round':>5} {'crawler':<8} {'pages':>6} {'pages/s':>8}"
            head += f" {'first ' + str(FIRST):>10} {'rest':>6} {'wall s':>7}"
            head += f" {'CPU ms/p':>9} {'crawler':>8} {'RSS MB':>7} {'tree MB':>8}"
            print(head + f" {'WARC MB':>8}")
            for n in range(1, args.rounds + 1):
                order = crawlers if n % 2 else list(reversed(crawlers))
                for crawler in order:
                    one = crawl(crawler, log, ports, seeds, budget, args.profile)
                    figures[crawler].append(one)
                    print(
                        f"{n:>5} {crawler:<8} {one['pages']:>6} {one['pace']:>8.1f} "
                        f"{one['first']:>10.1f} {one['rest']:>6.1f} {one['wall']:>7.1f} "
                        f"{one['cpu_ms']:>9.1f} {one['crawler_ms']:>8.1f} "
                        f"{one['rss']:>7.0f} "
                        f"{one['tree']:>8.0f} {one['warc']:>8.1f}",
                        flush=True,
                    )
    print("\nmedians [range]")
    for crawler, runs in figures.items():
        pace = [r["pace"] for r in runs]
        cpu = [r["cpu_ms"] for r in runs]
        own = statistics.median(r["crawler_ms"] for r in runs)
        rss, tree = max(r["rss"] for r in runs), max(r["tree"] for r in runs)
        first = statistics.median(r["first"] for r in runs)
        rest = statistics.median(r["rest"] for r in runs)
        print(
            f"{crawler:<8} {statistics.median(pace):>6.1f} pages/s"
            f" [{min(pace):.1f}-{max(pace):.1f}] (first {FIRST}: {first:.1f}, rest: {rest:.1f})"
            f"  {statistics.median(cpu):>5.1f} CPU ms/page [{min(cpu):.1f}-{max(cpu):.1f}]"
            f" (crawler {own:.1f})  RSS {rss:.0f} MB, tree {tree:.0f} MB"
        )
    if figures.get("plain") and statistics.median(r["pace"] for r in figures["plain"]):
        plain = statistics.median(r["pace"] for r in figures["plain"])
        plain_rest = statistics.median(r["rest"] for r in figures["plain"])
        for crawler in crawlers:
            if crawler != "plain":
                pace = statistics.median(r["pace"] for r in figures[crawler])
                rest = statistics.median(r["rest"] for r in figures[crawler])
                print(
                    f"{crawler}/plain pages/s: {pace / plain:.2f}"
                    f" (after the first {FIRST} pages: {rest / plain_rest:.2f})"
                )
    return 0


def sizes(counts: list[int], hosts: int) -> int:
    """Peak RSS of newstrail's crawler on webs of each size, and the ratio to the first."""
    head = f"{'pages':>6} {'fetched':>8} {'pages/s':>8} {'crawler ms/p':>13}"
    print(head + f" {'RSS MB':>7} {'ratio':>6}")
    first = None
    for count in counts:
        with tempfile.TemporaryDirectory(prefix="newstrail-web-") as name:
            root = Path(name)
            root.chmod(0o755)
            ports, seeds = build_static_web(root, count, hosts)
            (root / "tmp").mkdir()
            with nginx(root, ports) as log:
                one = crawl("pool", log, ports, seeds, count + hosts + 100)
        first = first or one["rss"]
        print(
            f"{count:>6} {one['pages']:>8} {one['pace']:>8.1f} {one['crawler_ms']:>13.1f} "
            f"{one['rss']:>7.0f} {one['rss'] / first:>6.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
