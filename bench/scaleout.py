"""Pages per second of one crawl on 1, 2 and 4 workers, and Redis memory per seen URL.

Crawls the offline news web (``--scale`` times its default size) from the
default seeds with no per-host delay, once per worker count, each time through
a fresh Redis frontier, and prints pages fetched per second: over the crawl
proper (first to last request the web server saw) and over the whole run
(worker start-up and the end-of-crawl merge included). Then adds 100,000
canonical URLs through each seen-set and prints the Redis memory they took
(``INFO memory``, ``used_memory`` before and after).

Starts its own ``redis-server`` on a free 127.0.0.1 port unless ``--frontier``
names one (which must be otherwise empty of newstrail crawls).

    .venv/bin/python bench/scaleout.py [--scale 3] [--budget 600] [--workers 1,2,4]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from newstrail.config import Environment
from newstrail.demo import demo_seed_articles
from newstrail.flows.scaleout_steps import crawl_scaleout
from newstrail.newsweb import NewsWebServer, build_web
from newstrail.seeds import load_seed_set
from newstrail.spiders.crawlstate import CrawlState
from newstrail.urls import canonical_url

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def local_redis() -> Iterator[str]:
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("redis-server is not installed: apt-get install redis-server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        proc = subprocess.Popen(
            [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=port)
        try:
            for _ in range(100):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.1)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@contextmanager
def given(url: str) -> Iterator[str]:
    yield url


def crawl_rate(server: NewsWebServer, frontier: str, workers: int, budget: int) -> None:
    seeds = load_seed_set(ROOT / "seeds" / "iraq-us-troops.toml").with_urls(server.seed_urls)
    server.reset_log()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        started = time.monotonic()
        summary = crawl_scaleout(
            seeds,
            frontier=frontier,
            workers=workers,
            store=str(root / "store"),
            collection="bench",
            budget=budget,
            allow_private=True,
            download_delay=0.0,
            env=Environment(store=str(root / "store"), workdir=root / "work"),
        )
        total = time.monotonic() - started
    log = server.request_log
    pages = sum(1 for e in log if not e.path.endswith("/robots.txt"))
    span = log[-1].time - log[0].time if len(log) > 1 else float("nan")
    print(
        f"{workers} worker(s): {pages} pages in {span:.1f} s of crawling = {pages / span:.1f} "
        f"pages/s; {total:.1f} s with start-up and merge = {pages / total:.1f} pages/s "
        f"({summary['finish_reason']})",
        flush=True,
    )


def seen_memory(client: redis.Redis, seen: str, urls: list[str]) -> tuple[int, CrawlState]:
    """Redis memory the crawl's seen-set takes for ``urls`` (queued as empty requests,
    all one member of the frontier, which is dropped before measuring)."""
    state = CrawlState(client, "bench", seen, seen=seen)
    state.forget()
    before = int(client.info("memory")["used_memory"])
    for url in urls:
        state.queue_if_new(url, 0, b"")
    client.delete(state.key("requests"))
    after = int(client.info("memory")["used_memory"])
    state.forget()
    return after - before, state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=3, help="size of the news web (default 3)")
    parser.add_argument("--budget", type=int, default=600, help="pages per crawl (default 600)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4)")
    parser.add_argument("--urls", type=int, default=100_000, help="URLs for the memory figure")
    parser.add_argument("--frontier", help="an existing Redis to use (redis://...)")
    args = parser.parse_args()
    with given(args.frontier) if args.frontier else local_redis() as url:
        seeds = load_seed_set(ROOT / "seeds" / "iraq-us-troops.toml")
        web = build_web(demo_seed_articles(seeds), scale=args.scale)
        with NewsWebServer(web) as server:
            print(f"news web at scale {args.scale}: {len(server.truth)} articles", flush=True)
            for workers in (int(n) for n in args.workers.split(",")):
                crawl_rate(server, url, workers, args.budget)
        client = redis.Redis.from_url(url)
        urls = [
            canonical_url(f"https://www.site{i % 997}.example/2020/01/{i}/story-{i}?utm_source=x")
            for i in range(args.urls)
        ]
        used, _ = seen_memory(client, "set", urls)
        print(
            f"seen-set (Redis set of 8-byte digests): {used:,} bytes for {args.urls:,} URLs = "
            f"{used / args.urls * 100_000 / 1e6:.2f} MB per 100,000 "
            f"({used / args.urls:.1f} bytes a URL)"
        )
        used, bloom = seen_memory(client, "bloom", urls)
        print(
            f"seen-set (Bloom filter, {bloom.bloom_bytes or 0:,} bytes for 10 million URLs at "
            "0.1 %): "
            f"{used:,} bytes after {args.urls:,} URLs (allocated up front, the same for 10 million)"
        )


if __name__ == "__main__":
    main()
