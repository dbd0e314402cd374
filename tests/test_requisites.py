"""Page requisites (issue 16): the images, stylesheets, scripts, fonts and linked PDFs of
archived articles are fetched politely, once per crawl, over and above the page budget,
and pywb's rewritten replay of an article loads its image and stylesheet from the
archive."""

from __future__ import annotations

import re
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from newstrail.config import Environment
from newstrail.flows.steps import crawl_direct
from newstrail.replay import build_replay, serve
from newstrail.seeds import Seed, SeedSet
from newstrail.storage import open_store

STORY = "Flood barrier collapse in the river delta leaves thousands displaced. " * 8
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Site:
    port: int
    log: list[tuple[str, str]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fetched(self) -> Counter[tuple[str, str]]:
        return Counter(self.log)


def _article(title: str, port: int, extra: str = "") -> bytes:
    return (
        f"<html><head><title>{title}</title><link rel=stylesheet href=/style.css>"
        f'<meta property="og:image" content="http://localhost:{port}/og.png">'
        f'<script src="/app.js"></script></head><body><article><h1>{title}</h1>'
        '<img src="/img/photo.png" srcset="/img/photo-2x.png 2x">'
        f"<p>{STORY}</p><p>{STORY}</p>{extra}"
        '<p><a href="/report.pdf">The full report</a></p>'
        '<img src="/private/secret.png"></article></body></html>'
    ).encode()


def _copy(port: int, name: str, *, canonical: bool) -> bytes:
    link = f'<link rel="canonical" href="http://127.0.0.1:{port}/story.html">' if canonical else ""
    return (
        f"<html><head><title>Delta flood</title>{link}</head><body><article>"
        f'<h1>Delta flood</h1><img src="/img/{name}.png"><p>{STORY}</p><p>{STORY}</p>'
        "</article></body></html>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0]
        self.site.log.append((host, self.path))
        port = self.site.port
        pages = {
            "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /private/\n"),
            "/article.html": (
                "text/html; charset=utf-8",
                _article("Flood barrier collapse", port, '<a href="/other.html">More</a>'),
            ),
            "/article2.html": ("text/html; charset=utf-8", _article("Delta flood", port)),
            "/other.html": (
                "text/html; charset=utf-8",
                b"<html><body><article><h1>Cooking pasta</h1><p>"
                + b"Boil water, add salt and pasta, stir and wait. " * 20
                + b'</p><img src="/img/other.png"></article></body></html>',
            ),
            "/style.css": (
                "text/css",
                b"body{background:url('/img/bg.png')}"
                b"@font-face{font-family:x;src:url(/fonts/f.woff2) format('woff2')}",
            ),
            "/app.js": ("application/javascript", b"console.log('app');"),
            "/report.pdf": ("application/pdf", b"%PDF-1.4\n%%EOF\n"),
            "/fonts/f.woff2": ("font/woff2", b"wOF2" + b"\x00" * 32),
            # One story twice: the original, and a copy naming it as its canonical URL.
            "/story.html": ("text/html; charset=utf-8", _copy(port, "story", canonical=False)),
            "/copy.html": ("text/html; charset=utf-8", _copy(port, "copy", canonical=True)),
        }
        moves = {
            "/moved.html": ("301", "/moved-again.html"),
            "/moved-again.html": ("302", "/article3.html"),
        }
        if self.path in moves:
            status, target = moves[self.path]
            self.send_response(int(status))
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/article3.html":
            content_type, body = "text/html; charset=utf-8", _article("Delta levee", port)
        elif self.path in pages:
            content_type, body = pages[self.path]
        elif self.path.endswith(".png"):
            content_type, body = "image/png", PNG
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _crawl(seeds: SeedSet, tmp_path: Path, collection: str, *, budget: int) -> dict[str, Any]:
    """A crawl of the test site into ``tmp_path / "store"``: its summary."""
    store = tmp_path / "store"
    return crawl_direct(
        seeds,
        store=str(store),
        collection=collection,
        budget=budget,
        allow_private=True,
        download_delay=0.0,
        env=Environment(store=str(store), workdir=tmp_path / "work"),
    )


@pytest.fixture
def site() -> Iterator[Site]:
    handler: type[_Handler] = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.site = Site(server.server_address[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield handler.site
    server.shutdown()
    server.server_close()


def test_requisites_of_articles_are_archived_once_and_replay_in_pywb(
    site: Site, default_seeds: SeedSet, tmp_path: Path
) -> None:
    seeds = default_seeds.with_urls([site.base + "/article.html", site.base + "/article2.html"])
    # A third seed reached through a redirect chain (301, then 302).
    seeds = replace(seeds, seeds=(*seeds.seeds[:2], Seed(url=site.base + "/moved.html")))
    store = tmp_path / "store"
    summary = _crawl(seeds, tmp_path, "req", budget=12)
    fetched = site.fetched()
    local = "127.0.0.1"
    wanted = [
        "/style.css",
        "/img/photo.png",
        "/img/photo-2x.png",
        "/app.js",
        "/report.pdf",
        "/img/bg.png",  # from the stylesheet
        "/fonts/f.woff2",  # from the stylesheet
    ]
    # Each once, though both articles use them; from another host too (og:image).
    assert {p: fetched[(local, p)] for p in wanted} == dict.fromkeys(wanted, 1)
    assert fetched[("localhost", "/og.png")] == 1
    assert fetched[("localhost", "/robots.txt")] == 1  # politely: that host's robots.txt
    # robots.txt is obeyed; an unrelated page's requisites are not fetched.
    assert fetched[(local, "/private/secret.png")] == 0
    assert fetched[(local, "/img/other.png")] == 0
    # Over and above the page budget (12: seeds, redirects, feed probes, pages).
    counts = summary["counts"]
    assert counts["requests"] <= 12 and summary["seeds"][site.base + "/moved.html"] == "ok"
    assert counts["requisites"] == len(wanted) + 1
    # Archived, each with a metadata record saying it was embedded (E) in its page.
    crawl_dir = store / "req" / summary["crawl_id"]
    responses, metadata = set(), {}
    for warc in sorted((crawl_dir / "warc").glob("*.warc.gz")):
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                if record.rec_type == "response":
                    responses.add(uri)
                elif record.rec_type == "metadata":
                    metadata[uri] = record.content_stream().read().decode()
    for path in wanted:
        assert site.base + path in responses
        fields = metadata[site.base + path]
        assert "via-channel: requisite" in fields and re.search(r"hopsFromSeed: L*E\r", fields)
    # pywb's rewritten replay of an article loads its image and stylesheet from the archive.
    folder = build_replay(open_store(str(store)), "req", tmp_path / "replay")
    with serve(folder.root) as base:
        page = f"{base}/req/mp_/{site.base}/article.html"
        with urllib.request.urlopen(page, timeout=30) as got:
            body = got.read().decode("utf-8", "replace")
        image = re.search(r'src="(/req/\d{0,14}im_/[^"]*/img/photo\.png)"', body)
        style = re.search(r'href="(/req/\d{0,14}cs_/[^"]*/style\.css)"', body)
        assert image and style, [m for m in re.findall(r"(?:src|href)=\"[^\"]*\"", body)][:20]
        with urllib.request.urlopen(base + image[1], timeout=30) as got:
            assert got.status == 200 and got.read() == PNG
        with urllib.request.urlopen(base + style[1], timeout=30) as got:
            assert got.status == 200 and b"font-face" in got.read()
        # A redirect chain replays as it happened: 301, 302, then the article.
        start = f"{base}/req/mp_/{site.base}/moved.html"
        with urllib.request.urlopen(start, timeout=30) as got:
            assert got.status == 200 and got.url.endswith("/article3.html"), got.url
            assert "Delta levee" in got.read().decode("utf-8", "replace")


def test_a_copy_of_a_page_is_captured_with_its_requisites_whichever_came_first(
    site: Site, default_seeds: SeedSet, tmp_path: Path
) -> None:
    """Of two seeds with one text, the second analysed is a duplicate of the first:
    it has no text record of its own, but replays with its images all the same, so
    what is captured does not depend on which copy was analysed first."""
    seeds = default_seeds.with_urls([site.base + "/story.html", site.base + "/copy.html"])
    store = tmp_path / "store"
    summary = _crawl(seeds, tmp_path, "copies", budget=4)
    fetched = site.fetched()
    assert fetched[("127.0.0.1", "/img/story.png")] == 1
    assert fetched[("127.0.0.1", "/img/copy.png")] == 1
    assert summary["counts"]["duplicates"] == 1
    kinds: dict[str, str] = {}
    crawl_dir = store / "copies" / summary["crawl_id"]
    for warc in sorted((crawl_dir / "warc").glob("*.warc.gz")):
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "metadata":
                    fields = record.content_stream().read().decode()
                    kind = re.search(r"page-kind: (\S+)", fields)
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    kinds[uri.rsplit("/", 1)[1]] = kind[1] if kind else ""
    assert sorted([kinds["story.html"], kinds["copy.html"]]) == ["article", "duplicate"]
    assert kinds["story.png"] == kinds["copy.png"] == "requisite"
