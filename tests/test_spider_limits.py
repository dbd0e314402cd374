"""Bounded work per page (issue 13): real crawls against a small hostile web server.

The server serves a page with a million links, a 50 MB robots.txt (streamed, never
held whole) and plain small pages; it logs every request with its arrival time.
"""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from newstrail.config import CrawlConfig, Environment
from newstrail.flows.steps import plan_crawl, run_crawler
from newstrail.newsweb import bomb
from newstrail.seeds import Seed, SeedSet
from newstrail.spiders.middlewares import ROBOTS_MAX_BYTES, DecompressionMiddleware

LINKS_ON_BIG_PAGE = 1_000_000
ROBOTS_SIZE = 64 * 1024 * 1024
STORY = "Flood barrier collapse in the river delta leaves thousands displaced"


@dataclass
class Hostile:
    base: str
    log: list[tuple[float, str]] = field(default_factory=list)
    sent_slow: list[float] = field(default_factory=list)

    def paths(self) -> list[str]:
        return [path for _, path in self.log]


def _page(title: str, body: str) -> bytes:
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{STORY}. {body}</p></article></body></html>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    hostile: Hostile
    robots_big: bool = False

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.hostile.log.append((time.monotonic(), self.path))
        if self.path == "/robots.txt":
            self._robots()
        elif self.path == "/links":
            self._million_links()
        elif self.path == "/shared":
            links = "".join(
                f'<a href="{href}">Flood barrier collapse: {href}</a>'
                for href in (
                    "/login?next=/shared",
                    "/wp-login.php",
                    "/shared/?replytocom=3#respond",
                    "https://twitter.com/intent/tweet?text=Flood",
                    "mailto:?subject=Flood",
                    "/next-story",
                )
            )
            self._send(_page("Shared", "Read on. " + links))
        elif self.path == "/slow":
            # Headers at once, the body a second later.
            self.hostile.sent_slow.append(time.time())
            body = _page("Slow", "A page that took its time. " * 20)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.flush()
            time.sleep(1.0)
            self.wfile.write(body)
        elif self.path in ("/refresh", "/refresh-utf16"):
            # A meta refresh (to a page linked from nowhere else), in UTF-8 and in
            # UTF-16, where no byte of the page spells "refresh".
            target = "/refreshed" + self.path.removeprefix("/refresh")
            page = (
                f'<html><head><meta http-equiv="Refresh" content="0; url={target}">'
                f"<title>Moved</title></head><body><p>{STORY}. Moved.</p></body></html>"
            )
            if self.path.endswith("utf16"):
                self._send(page.encode("utf-16"), "text/html; charset=utf-16")
            else:
                self._send(page.encode())
        elif self.path.startswith("/private/"):
            self._send(_page("private", "never fetched"))
        else:
            self._send(_page(f"Story {self.path}", "A page of the hostile web. " * 20))

    def _send(self, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _robots(self) -> None:
        if not self.robots_big:
            self._send(b"User-agent: *\nAllow: /\n", "text/plain")
            return
        head = b"User-agent: *\nDisallow: /private/\n"
        # A Sitemap line past 500 KiB: a crawler that reads only 500 KiB never sees it.
        tail = b"Sitemap: " + self.hostile.base.encode() + b"/late-sitemap.xml\n"
        filler = b"# " + b"x" * 60 + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(ROBOTS_SIZE))
        self.end_headers()
        self.wfile.write(head)
        left = ROBOTS_SIZE - len(head) - len(tail)
        chunk = filler * 16384
        while left > 0:
            piece = chunk[:left]
            self.wfile.write(piece)
            left -= len(piece)
        self.wfile.write(tail)

    def _million_links(self) -> None:
        head = _page("Live ticker", "Every link of the day.")[: -len(b"</body></html>")]
        line = b'<a href="/s/%d">flood %d</a>\n'
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(head)
        for start in range(0, LINKS_ON_BIG_PAGE, 10_000):
            self.wfile.write(b"".join(line % (i, i) for i in range(start, start + 10_000)))
        self.wfile.write(b"</body></html>")
        self.close_connection = True


@pytest.fixture
def hostile() -> Iterator[tuple[Hostile, type[_Handler]]]:
    # A subclass per test, so each server has its own log and robots.txt.
    handler: type[_Handler] = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state = Hostile(f"http://127.0.0.1:{server.server_address[1]}")
    handler.hostile = state
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, handler
    server.shutdown()
    server.server_close()


def _crawl(
    seeds: SeedSet, urls: list[str], tmp_path: Path, budget: int, **changes: Any
) -> tuple[dict[str, Any], CrawlConfig]:
    env = Environment(store=str(tmp_path / "store"), workdir=tmp_path / "work", extract_workers=0)
    given = seeds.with_urls(urls[: len(seeds.seeds)])
    more = tuple(Seed(url=url) for url in urls[len(seeds.seeds) :])
    config = plan_crawl(
        replace(given, seeds=given.seeds + more),
        store=str(tmp_path / "store"),
        collection="hostile",
        budget=budget,
        allow_private=True,
        download_delay=0.0,
        env=env,
    ).evolve(**changes)
    return run_crawler(config), config


def _metadata_fields(root: Path) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for path in sorted(root.rglob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type != "metadata":
                    continue
                for line in record.content_stream().read().decode().splitlines():
                    name, _, value = line.partition(": ")
                    fields.append((name, value))
    return fields


def test_million_link_page_on_budget_5_finishes_in_seconds(
    hostile: tuple[Hostile, type[_Handler]], default_seeds: SeedSet, tmp_path: Path
) -> None:
    server, _ = hostile
    started = time.monotonic()
    summary, _ = _crawl(default_seeds, [f"{server.base}/links"], tmp_path, budget=5)
    took = time.monotonic() - started
    counts = summary["counts"]
    pages = [p for p in server.paths() if p != "/robots.txt"]
    assert len(pages) <= 5, pages
    assert counts["requests"] <= 5
    assert counts["limit_links_capped"] == 1
    # No more requests queued from the page than the budget can use.
    assert counts.get("links_queued", 0) <= 20
    assert took < 60, took
    assert ("newstrail-limit", "links-capped") in _metadata_fields(tmp_path)


def test_seeds_beyond_the_budget_are_not_requested(
    hostile: tuple[Hostile, type[_Handler]], default_seeds: SeedSet, tmp_path: Path
) -> None:
    server, _ = hostile
    seeds = [f"{server.base}/seed/{i}" for i in range(10_000)]
    summary, _ = _crawl(default_seeds, seeds, tmp_path, budget=2)
    pages = [p for p in server.paths() if p != "/robots.txt"]
    assert len(pages) == 2, pages
    assert summary["counts"]["requests"] == 2
    status = summary["seeds"]
    assert sum(1 for s in status.values() if s == "over budget") == 9_998
    assert status[seeds[0]] == "ok"


def test_50_mb_robots_txt_is_read_up_to_500_kib(
    hostile: tuple[Hostile, type[_Handler]], default_seeds: SeedSet, tmp_path: Path
) -> None:
    server, handler = hostile
    handler.robots_big = True
    started = time.monotonic()
    summary, _ = _crawl(
        default_seeds,
        [f"{server.base}/start", f"{server.base}/private/secret"],
        tmp_path,
        budget=5,
    )
    took = time.monotonic() - started
    paths = server.paths()
    # The rules in the first 500 KiB hold; what comes after is not read.
    assert "/private/secret" not in paths
    assert "/late-sitemap.xml" not in paths
    assert "/start" in paths
    assert summary["counts"]["robots_forbidden"] == 1
    assert took < 60, took
    # Its size is over DOWNLOAD_MAXSIZE: the transfer is stopped after 500 KiB, not
    # cancelled (which would leave no rules), and the archive says it is cut short.
    robots = []
    for path in sorted((tmp_path / "store").rglob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response" and record.rec_headers.get_header(
                    "WARC-Target-URI"
                ).endswith("/robots.txt"):
                    robots.append((record.rec_headers, len(record.content_stream().read())))
    assert len(robots) == 1
    headers, size = robots[0]
    assert headers.get_header("WARC-Truncated") == "length"
    assert ROBOTS_MAX_BYTES <= size < 2 * ROBOTS_MAX_BYTES


def test_share_account_and_reply_links_are_not_followed(
    hostile: tuple[Hostile, type[_Handler]], default_seeds: SeedSet, tmp_path: Path
) -> None:
    server, _ = hostile
    summary, _ = _crawl(default_seeds, [f"{server.base}/shared"], tmp_path, budget=10)
    paths = server.paths()
    assert "/next-story" in paths
    assert not [p for p in paths if "login" in p or "replytocom" in p], paths
    # Login, wp-login, the reply and the tweet intent (which the log cannot show);
    # mailto: never reaches the spider, outlinks are http(s) only.
    assert summary["counts"]["links_not_coverage"] == 4


def test_meta_refresh_redirects_are_followed_without_decoding_every_page(
    hostile: tuple[Hostile, type[_Handler]], default_seeds: SeedSet, tmp_path: Path
) -> None:
    from newstrail.spiders.middlewares import MetaRefreshMiddleware, may_refresh

    server, _ = hostile
    seeds = [f"{server.base}/refresh", f"{server.base}/refresh-utf16", f"{server.base}/plain"]
    _crawl(default_seeds, seeds, tmp_path, budget=10)
    assert {"/refreshed", "/refreshed-utf16"} <= set(server.paths()), server.paths()

    # A page naming no refresh is passed on undecoded; Scrapy's middleware decodes
    # every page (finding its encoding first) to look for one.
    assert not may_refresh(_page("Plain", "Fresh news, told plainly."))
    assert may_refresh(b'<META HTTP-EQUIV="REFRESH" content="1; url=/x">')
    assert may_refresh("<p>Plain</p>".encode("utf-16"))
    middleware = MetaRefreshMiddleware.from_crawler(get_crawler())
    response = HtmlResponse("http://example.com/", body=_page("Plain", "No redirect."))
    assert middleware.process_response(Request("http://example.com/"), response) is response
    assert response._cached_ubody is None  # Scrapy's decoded text: never made


def test_config_round_trips_the_new_limits(default_seeds: SeedSet, tmp_path: Path) -> None:
    env = Environment.from_env({"NEWSTRAIL_EXTRACT_TIMEOUT": "2.5", "NEWSTRAIL_MAX_LINKS": "300"})
    assert (env.extract_timeout, env.max_links_per_page) == (2.5, 300)
    config = plan_crawl(default_seeds, store=str(tmp_path), env=env)
    assert (config.extract_timeout, config.max_links_per_page) == (2.5, 300)
    again = CrawlConfig.from_dict(config.to_dict())
    assert (again.extract_timeout, again.max_links_per_page) == (2.5, 300)


def test_the_spider_shares_its_state_through_one_crawl_context(
    default_seeds: SeedSet, tmp_path: Path
) -> None:
    """What middlewares, dupefilter, politeness and archiver read of the spider is one
    typed context, attached once: no getattr on the spider that a rename turns off."""
    from scrapy.crawler import Crawler

    from newstrail.spiders.context import crawl_context
    from newstrail.spiders.coverage import CoverageSpider
    from newstrail.spiders.settings import crawl_settings

    config = plan_crawl(default_seeds, collection="ctx", env=Environment(workdir=tmp_path / "work"))
    crawler = Crawler(CoverageSpider, crawl_settings(config))
    assert crawl_context(crawler) is None
    spider = CoverageSpider.from_crawler(crawler)
    context = crawl_context(crawler)
    assert context is not None
    assert context.seen is spider.seen and context.traps is spider.traps
    assert context.seeds_pending is spider.seeds_pending and context.prior is spider.prior
    assert context.robots_seen == spider.robots_seen


def test_records_are_dated_when_the_request_was_sent(
    hostile: tuple[Hostile, type[_Handler]], default_seeds: SeedSet, tmp_path: Path
) -> None:
    server, _ = hostile
    _crawl(default_seeds, [f"{server.base}/slow"], tmp_path, budget=1)
    dates = {}
    for path in sorted(tmp_path.rglob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_headers.get_header("WARC-Target-URI", "").endswith("/slow"):
                    dates[record.rec_type] = record.rec_headers.get_header("WARC-Date")
    (answered,) = server.sent_slow
    # The body came a second after the request; both records carry the moment it went
    # out (to the microsecond), not the arrival of the last byte.
    assert dates["request"] == dates["response"]
    sent = datetime.fromisoformat(dates["response"].replace("Z", "+00:00")).timestamp()
    assert "." in dates["response"]
    assert answered - 0.5 < sent <= answered


def test_content_codings_are_decoded_off_the_reactor_thread() -> None:
    """A response's Content-Encoding is decoded in a thread: the event loop (the
    reactor, pacing every host's requests) runs on while a large body or a bomb
    inflates, and a bomb is still refused at DOWNLOAD_MAXSIZE."""
    crawler = get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": 8 * 2**20})
    middleware = DecompressionMiddleware.from_crawler(crawler)
    page = b"<html><body>" + b"<p>Iraq's parliament votes on US troops.</p>\n" * 150_000
    assert len(page) < 8 * 2**20

    async def decode(body: bytes, coding: bytes) -> tuple[Any, int]:
        ticks = 0
        done = asyncio.Event()

        async def tick() -> None:
            nonlocal ticks
            while not done.is_set():
                await asyncio.sleep(0.001)
                ticks += 1

        ticker = asyncio.create_task(tick())
        await asyncio.sleep(0.01)
        before = ticks
        request = Request("http://127.0.0.1/page")
        response = HtmlResponse(request.url, body=body, headers={"Content-Encoding": coding})
        try:
            return await middleware.process_response(request, response), ticks - before
        finally:
            done.set()
            await ticker

    decoded, ticks = asyncio.run(decode(gzip.compress(page, 1), b"gzip"))
    assert decoded.body == page
    assert b"Content-Encoding" not in decoded.headers
    assert ticks >= 1
    with pytest.raises(IgnoreRequest):
        asyncio.run(decode(bomb("gzip", 64 * 2**20), b"gzip"))
    plain = HtmlResponse("http://127.0.0.1/plain", body=page)
    same = asyncio.run(middleware.process_response(Request(plain.url), plain))
    assert same is plain


def test_the_crawls_stats_count_as_scrapys_without_its_access_shim(
    default_seeds: SeedSet, tmp_path: Path
) -> None:
    from scrapy.statscollectors import MemoryStatsCollector

    from newstrail.spiders.settings import crawl_settings
    from newstrail.spiders.stats import CrawlStats

    config = plan_crawl(default_seeds, store=str(tmp_path), env=Environment())
    assert crawl_settings(config)["STATS_CLASS"] == "newstrail.spiders.stats.CrawlStats"
    ours, scrapys = CrawlStats(get_crawler()), MemoryStatsCollector(get_crawler())
    for stats in (ours, scrapys):
        stats.open_spider()
        stats.inc_value("pages")
        stats.inc_value("pages", 2)
        stats.inc_value("bytes", 10, start=5)
        stats.max_value("biggest", 3)
        stats.max_value("biggest", 7)
        stats.min_value("first", 9)
        stats.min_value("first", 4)
        stats.set_value("reason", "finished")
    assert (
        ours.get_stats()
        == scrapys.get_stats()
        == {
            "pages": 3,
            "bytes": 15,
            "biggest": 7,
            "first": 4,
            "reason": "finished",
        }
    )
    assert ours.get_value("pages") == 3 and ours.get_value("missing", 0) == 0


def test_queued_requests_of_a_closed_trap_pattern_are_dropped(
    default_seeds: SeedSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scrapy.crawler import Crawler

    from newstrail.spiders import middlewares
    from newstrail.spiders.coverage import CoverageSpider
    from newstrail.spiders.middlewares import META_KEY
    from newstrail.spiders.settings import crawl_settings
    from newstrail.spiders.stats import CrawlStats

    config = plan_crawl(default_seeds, collection="t", env=Environment(workdir=tmp_path / "w"))
    crawler = Crawler(CoverageSpider, crawl_settings(config))
    crawler.stats = CrawlStats(crawler)
    spider = CoverageSpider.from_crawler(crawler)
    guard = middlewares.TrapMiddleware(crawler)
    day = "https://cal.example/calendar/2020/01/?day={}"
    request = Request(day.format(3), meta={META_KEY: "seed"})

    def unexpected(url: str) -> str:
        raise AssertionError("no URL needs canonicalising while no pattern is closed")

    with monkeypatch.context() as patched:
        patched.setattr(middlewares, "canonical_url", unexpected)
        guard.process_request(request)  # passes: no IgnoreRequest
    for n in range(spider.traps.patience):
        spider.traps.record(day.format(10 + n), related=False, new_links=0)
    assert spider.traps.closed_any
    assert crawler.stats.get_value("newstrail/trap_requests_dropped") is None
    with pytest.raises(IgnoreRequest, match="trap"):
        guard.process_request(request)
    assert crawler.stats.get_value("newstrail/trap_requests_dropped") == 1
    other = Request("https://cal.example/news/story.html", meta={META_KEY: "seed"})
    guard.process_request(other)  # another pattern passes


def test_requests_with_urls_over_scrapys_length_limit_are_dropped(
    default_seeds: SeedSet, tmp_path: Path
) -> None:
    # Scrapy's UrlLengthMiddleware is off (it only saw callbacks' outputs): the limit
    # holds on every request sent, a redirect's or a page requisite's too.
    from scrapy.crawler import Crawler

    from newstrail.spiders import middlewares
    from newstrail.spiders.coverage import CoverageSpider
    from newstrail.spiders.settings import crawl_settings
    from newstrail.spiders.stats import CrawlStats

    config = plan_crawl(default_seeds, collection="t", env=Environment(workdir=tmp_path / "w"))
    settings = crawl_settings(config)
    spider_middlewares = settings["SPIDER_MIDDLEWARES"]
    assert spider_middlewares["scrapy.spidermiddlewares.urllength.UrlLengthMiddleware"] is None
    crawler = Crawler(CoverageSpider, settings)
    crawler.stats = CrawlStats(crawler)
    guard = middlewares.TrapMiddleware(crawler)
    assert guard.max_url_length == 2083
    base = "https://news.example/story?q="
    fits = Request(base + "a" * (2083 - len(base)))
    guard.process_request(fits)  # passes
    for request in (Request(base + "a" * 5000), fits.replace(url=fits.url + "a")):
        with pytest.raises(IgnoreRequest, match="2083 characters"):
            guard.process_request(request)
    assert crawler.stats.get_value("newstrail/url_too_long_dropped") == 2


def test_start_requests_are_marked_and_only_the_referer_step_sees_every_output(
    default_seeds: SeedSet, tmp_path: Path
) -> None:
    from scrapy.core.spidermw import SpiderMiddlewareManager

    from newstrail.spiders.middlewares import StartRequestsMiddleware
    from newstrail.spiders.settings import crawl_settings

    config = plan_crawl(default_seeds, collection="t", env=Environment(workdir=tmp_path / "w"))
    crawler = get_crawler(settings_dict=crawl_settings(config))
    manager = SpiderMiddlewareManager.from_crawler(crawler)

    def owners(name: str) -> list[str]:
        return [type(getattr(m, "__self__", m)).__name__ for m in manager.methods[name] if m]

    assert owners("process_spider_output") == ["RefererMiddleware"]
    starts = owners("process_start")
    assert "StartRequestsMiddleware" in starts and "StartSpiderMiddleware" not in starts

    async def start() -> Any:
        yield Request("https://news.example/seed")
        yield {"an": "item"}
        yield Request("https://news.example/marked", meta={"is_start_request": False})

    async def collect() -> list[Any]:
        return [out async for out in StartRequestsMiddleware().process_start(start())]

    first, item, marked = asyncio.run(collect())
    assert first.meta["is_start_request"] is True
    assert item == {"an": "item"}
    assert marked.meta["is_start_request"] is False


def test_the_crawler_freezes_what_start_up_made_and_collects_less_often(
    default_seeds: SeedSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from newstrail.spiders import run

    before = gc.get_threshold()
    started: list[tuple[tuple[int, ...], int]] = []

    class Process:
        # Stands in for Scrapy's CrawlerProcess: what the collector is set to when
        # the crawl starts.
        def __init__(self, settings: Any) -> None:
            self.crawler: Any = None

        def create_crawler(self, spider: Any) -> Any:
            self.crawler = type("C", (), {"spider": None, "stats": None})()
            return self.crawler

        def crawl(self, crawler: Any) -> None:
            pass

        def start(self) -> None:
            started.append((gc.get_threshold(), gc.get_freeze_count()))
            raise RuntimeError("stop here")

    monkeypatch.setattr("scrapy.crawler.CrawlerProcess", Process)
    config = plan_crawl(default_seeds, collection="t", env=Environment(workdir=tmp_path / "w"))
    try:
        with pytest.raises(RuntimeError, match="stop here"):
            run.run_crawl(config)
        [(thresholds, frozen)] = started
        assert thresholds == run.GC_THRESHOLDS != before
        assert frozen > 1000  # start-up's objects
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
