"""A hostile news site on 127.0.0.1: the pages of the real web that break crawlers.

Every page a crawler may meet on a news site that costs far more than a page
should, or that a naive archiver mishandles, served from one site so that a test
or a benchmark can crawl it next to the bundled news web and check that the crawl
keeps its pace and records each case:

- ``/ticker``: a live-markets ticker of tens of thousands of short paragraphs
  (70,000 of them, 12.5 MB, by default), the page that froze justext for 13 minutes;
- ``/links``: a page with a million links;
- ``/robots.txt``: 50 MB of rules (``Disallow: /private/`` first, so a crawler
  that reads the first 500 KiB as RFC 9309 asks still obeys it);
- ``/enc/<coding>``: an article served with ``Content-Encoding`` gzip, deflate,
  br or zstd;
- ``/bomb/<coding>``: decompression bombs of each coding (a few MB that expand
  to ``bomb_bytes``, 256 MiB by default);
- ``/utf8-stray``: an article declared UTF-8 with one invalid byte;
- ``/headers``: a response whose headers never end (a minute of them);
- ``/feed``: an RSS feed of 200,000 items (about 40 MB), announced by the home
  page; ``/sitemap.xml``: a sitemap of 100,000 URLs (over the protocol's 50,000);
- links that are not coverage on the home page: share and intent links of social
  networks, ``mailto:``, ``whatsapp:``.

The articles are built from the text the caller gives (a seed article's, so they
are related to the seed set). Bodies are built once per server and cached. The
``request_log`` has ``(time.monotonic(), path)`` of every request, in arrival
order, comparable with the bundled news web's ``LoggedRequest.time``.

Standard library only, except the brotli and zstd compressors that Scrapy decodes
with (Brotli, backports.zstd), imported when the server is built.
"""

from __future__ import annotations

import html
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["CODINGS", "NOT_COVERAGE_LINKS", "HostileSite", "HostileSiteServer", "bomb", "encode"]

#: The content codings a server may send and the site serves.
CODINGS = ("gzip", "deflate", "br", "zstd")

_MIB = 1024 * 1024
_ZEROS = bytes(_MIB)

#: Links on the home page that are not coverage: a crawler should never fetch them.
NOT_COVERAGE_LINKS = (
    "https://twitter.com/intent/tweet?url=https%3A%2F%2Fexample.org%2F&text=Troops",
    "https://x.com/intent/post?url=https%3A%2F%2Fexample.org%2F",
    "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fexample.org%2F",
    "https://www.linkedin.com/shareArticle?mini=true&url=https%3A%2F%2Fexample.org%2F",
    "https://reddit.com/submit?url=https%3A%2F%2Fexample.org%2F",
    "https://api.whatsapp.com/send?text=https%3A%2F%2Fexample.org%2F",
    "mailto:?subject=Troops&body=https%3A%2F%2Fexample.org%2F",
    "whatsapp://send?text=https%3A%2F%2Fexample.org%2F",
)


def _deflate_bomb(size: int, wbits: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    parts = [compressor.compress(_ZEROS) for _ in range(size // _MIB)]
    parts.append(compressor.flush())
    return b"".join(parts)


def _brotli_bomb(size: int) -> bytes:
    import brotli

    compressor = brotli.Compressor(quality=5)
    parts = [compressor.process(_ZEROS) for _ in range(size // _MIB)]
    parts.append(compressor.finish())
    return b"".join(parts)


def _zstd_bomb(size: int) -> bytes:
    from backports import zstd

    compressor = zstd.ZstdCompressor(level=3)
    parts = [compressor.compress(_ZEROS) for _ in range(size // _MIB)]
    parts.append(compressor.flush())
    return b"".join(parts)


def bomb(coding: str, size: int = 256 * _MIB) -> bytes:
    """``size`` zero bytes (whole MiB) compressed with ``coding``: a decompression bomb."""
    if coding == "gzip":
        return _deflate_bomb(size, 31)
    if coding == "deflate":
        return _deflate_bomb(size, 15)
    if coding == "br":
        return _brotli_bomb(size)
    if coding == "zstd":
        return _zstd_bomb(size)
    raise ValueError(f"unknown content coding {coding!r}")


def encode(coding: str, data: bytes) -> bytes:
    """``data`` compressed with ``coding`` as a server sends it."""
    if coding == "gzip":
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
        return compressor.compress(data) + compressor.flush()
    if coding == "deflate":
        return zlib.compress(data)
    if coding == "br":
        import brotli

        return bytes(brotli.compress(data))
    if coding == "zstd":
        from backports import zstd

        return bytes(zstd.compress(data))
    raise ValueError(f"unknown content coding {coding!r}")


def _article(title: str, paragraphs: Sequence[str], *, charset: str = "utf-8") -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="{charset}">'
        f"<title>{html.escape(title)} | Hostile Herald</title>"
        '<meta property="article:published_time" content="2020-01-06T09:00:00Z"></head>'
        f'<body><header><a href="/">Hostile Herald</a></header><main><article>'
        f"<h1>{html.escape(title)}</h1><p>By Ann Author</p>{body}</article></main></body></html>"
    )


def _ticker(paragraphs: int) -> bytes:
    # Short, distinct lines, as a live ticker prints them: justext's paragraph
    # revision is quadratic in their number.
    lines = [
        f"<p>{9 + i // 3600 % 9:02d}:{i // 60 % 60:02d}:{i % 60:02d} Index {i % 97} moves"
        f" {i % 13}.{i % 10} points as traders weigh rate bets; volume {i * 37 % 100000}"
        f" shares; sector {i % 11} leads; bond yield {i % 7}.{i % 9}{i % 5} per cent;"
        f" oil at {60 + i % 20}.{i % 100:02d} dollars a barrel in late trade.</p>"
        for i in range(paragraphs)
    ]
    head = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Live markets: every move'
        "</title></head><body><h1>Live markets</h1><div class=ticker>"
    )
    return (head + "\n".join(lines) + "</div></body></html>").encode()


def _link_page(links: int) -> bytes:
    parts = ['<!DOCTYPE html><html><head><meta charset="utf-8"><title>Archive</title></head>']
    parts.append("<body><h1>Every item</h1><ul>")
    parts.extend(f'<li><a href="/l/{i}">item {i}</a></li>' for i in range(links))
    parts.append("</ul></body></html>")
    return "".join(parts).encode()


def _feed(items: int) -> bytes:
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0">'
    head += "<channel><title>Markets</title>"
    entry = (
        "<item><title>Market update {0}</title><link>/f/{0}</link>"
        "<description>Shares moved at {0} past the hour.</description>"
        "<pubDate>Mon, 06 Jan 2020 10:00:00 GMT</pubDate></item>"
    )
    return (head + "".join(entry.format(i) for i in range(items)) + "</channel></rss>").encode()


def _sitemap(urls: int) -> bytes:
    head = '<?xml version="1.0" encoding="utf-8"?>'
    head += '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    entries = "".join(f"<url><loc>/s/{i}</loc></url>" for i in range(urls))
    return (head + entries + "</urlset>").encode()


def _robots(size: int) -> bytes:
    head = b"User-agent: *\nDisallow: /private/\n"
    line_no = 0
    parts = [head]
    total = len(head)
    while total < size:
        line = f"Disallow: /archive/{line_no}/\n".encode()
        parts.append(line)
        total += len(line)
        line_no += 1
    return b"".join(parts)


@dataclass(frozen=True)
class _Page:
    status: int
    content_type: str
    body: bytes
    coding: str | None = None


class HostileSite:
    """The pages of the hostile site, built once.

    ``title`` and ``paragraphs`` make the site's articles (give a seed article's,
    so they are related). The sizes default to the cases as met on the real web;
    tests may pass smaller ones where the size itself is not what they check.
    """

    def __init__(
        self,
        title: str,
        paragraphs: Sequence[str],
        *,
        ticker_paragraphs: int = 70_000,
        links: int = 1_000_000,
        robots_bytes: int = 50 * _MIB,
        bomb_bytes: int = 256 * _MIB,
        feed_items: int = 200_000,
        sitemap_urls: int = 100_000,
    ) -> None:
        self.title = title
        self.paragraphs = tuple(paragraphs)
        self._builders: dict[str, Callable[[], _Page]] = {
            "/robots.txt": lambda: _Page(200, "text/plain", _robots(robots_bytes)),
            "/": lambda: _Page(200, "text/html; charset=utf-8", self._home().encode()),
            "/ticker": lambda: _Page(200, "text/html; charset=utf-8", _ticker(ticker_paragraphs)),
            "/links": lambda: _Page(200, "text/html; charset=utf-8", _link_page(links)),
            "/utf8-stray": lambda: _Page(200, "text/html; charset=utf-8", self._stray()),
            "/private/secret": lambda: _Page(200, "text/html", b"<p>disallowed</p>"),
            "/feed": lambda: _Page(200, "application/rss+xml", _feed(feed_items)),
            "/sitemap.xml": lambda: _Page(200, "application/xml", _sitemap(sitemap_urls)),
        }
        for coding in CODINGS:
            self._builders[f"/enc/{coding}"] = self._encoded_builder(coding)
            self._builders[f"/bomb/{coding}"] = self._bomb_builder(coding, bomb_bytes)
        self._pages: dict[str, _Page] = {}
        self._lock = threading.Lock()

    def _encoded_builder(self, coding: str) -> Callable[[], _Page]:
        def build() -> _Page:
            page = _article(f"{self.title} ({coding})", self.paragraphs).encode()
            return _Page(200, "text/html; charset=utf-8", encode(coding, page), coding)

        return build

    @staticmethod
    def _bomb_builder(coding: str, size: int) -> Callable[[], _Page]:
        return lambda: _Page(200, "text/html; charset=utf-8", bomb(coding, size), coding)

    def _home(self) -> str:
        links = [
            f'<a href="{path}">{path.strip("/")}</a>'
            for path in self.paths
            if path not in ("/", "/feed", "/sitemap.xml")
        ]
        links += [f'<a href="{html.escape(url)}">Share</a>' for url in NOT_COVERAGE_LINKS]
        page = _article(self.title, self.paragraphs)
        feed = '<link rel="alternate" type="application/rss+xml" href="/feed">'
        page = page.replace("</head>", feed + "</head>")
        return page.replace("</article>", "</article><nav>" + " ".join(links) + "</nav>")

    def _stray(self) -> bytes:
        title = f"Café society: {self.title}"
        page = _article(title, self.paragraphs).encode()
        # One invalid byte in the middle of an otherwise valid UTF-8 page.
        cut = page.index(b"</p>", len(page) // 2)
        return page[:cut] + b" \xff" + page[cut:]

    @property
    def paths(self) -> list[str]:
        """Every path the site serves a page at (not ``/l/N``, which are all 404)."""
        return [p for p in self._builders if p != "/robots.txt"]

    def page(self, path: str) -> _Page:
        if path not in self._builders:
            return _Page(404, "text/html", b"<h1>Not found</h1>")
        with self._lock:
            if path not in self._pages:
                self._pages[path] = self._builders[path]()
            return self._pages[path]

    def warm(self) -> None:
        """Build every page now, so that the first request for each is not slow."""
        for path in self._builders:
            self.page(path)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: HostileSiteServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A crawler hanging up on a bomb or a huge page is expected; stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        """Silent; see ``HostileSiteServer.request_log``."""

    def do_GET(self) -> None:
        owner = self.server.owner
        with owner.lock:
            owner.request_log.append((time.monotonic(), self.path))
        path = self.path.split("?", 1)[0]
        if path == "/headers":
            self._endless_headers()
            return
        page = owner.site.page(path)
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        if page.coding:
            self.send_header("Content-Encoding", page.coding)
        self.end_headers()
        view = memoryview(page.body)
        for start in range(0, len(view), _MIB):
            self.wfile.write(view[start : start + _MIB])

    def _endless_headers(self) -> None:
        """Headers that never end: for a minute, or until the client gives up."""
        line = b"X-Filler: " + b"a" * 8000 + b"\r\n"
        block = line * 64
        until = time.monotonic() + 60
        try:
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n")
            while time.monotonic() < until:
                self.wfile.write(block)
        except OSError:
            pass  # the client hung up, as it should
        self.close_connection = True


class HostileSiteServer:
    """Serve a :class:`HostileSite` on a ``127.0.0.1`` port; use as a context manager."""

    def __init__(self, site: HostileSite) -> None:
        self.site = site
        self.request_log: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> HostileSiteServer:
        self.site.warm()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> HostileSiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str = "/") -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def requested(self) -> Iterator[str]:
        """Paths requested so far, in arrival order."""
        with self.lock:
            log = list(self.request_log)
        return (path for _, path in log)
