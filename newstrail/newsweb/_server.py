"""Serve a NewsWeb over HTTP: one loopback port per site, standard library only."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import hashlib
import socket
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from ._model import Article, Channel, Ref
from ._sites import THEMES
from ._topics import Label
from ._traps import TrapKind, split_target, trap_sources, without_sessions
from ._web import Fate, NewsWeb

# What each site answers in its Server header, as real ones vary.
_SERVER_HEADERS = {
    "citizentruth": "nginx",
    "mee": "Apache",
    "tigriswire": "ECS (lhr/4B9C)",
    "harborgazette": "Apache/2.2.15 (CentOS)",
    "meridian": "Vercel",
    "capitalledger": "envoy",
}


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it.

    ``time`` is ``time.monotonic()`` at arrival (when the connection was accepted):
    compare entries with each other (politeness delays), not with wall-clock times.
    """

    site: str
    method: str
    path: str
    """Request target as sent: path and query."""
    headers: Mapping[str, str]
    time: float
    status: int
    trap: TrapKind | None = None
    """The crawler trap the request fell into (see ``NewsWebServer.is_trap``), or None."""
    disallowed: bool = False
    """Whether the site's robots.txt (``User-agent: *``) disallows the request's target."""


@dataclass(frozen=True)
class SpecialUrls:
    """Absolute URLs of the deliberately awkward pages (see ``Specials``)."""

    redirect_from: str
    redirect_to: str
    not_found: str
    server_error: str
    pdf: str
    duplicate_of: str
    duplicate_variants: tuple[str, ...]
    syndicated_copy: str
    syndicated_original: str
    disallowed: tuple[str, ...]


@dataclass(frozen=True)
class SyndicatedStory:
    """Absolute URLs of a wire story: the original, its copies and its variants."""

    story: str
    original: str
    copies: tuple[tuple[str, str], ...]
    """(copy URL, edit) pairs, edit as in ``WireStory``."""
    amp: tuple[str, ...]
    """AMP pages of the original and of copies on sites with AMP."""
    printable: tuple[str, ...]
    """Print versions (``?print=1``) on sites whose robots.txt allows them."""


class _SiteServer(ThreadingHTTPServer):
    # Join handler threads on close so no socket outlives the server.
    daemon_threads = False
    block_on_close = True

    def __init__(self, owner: NewsWebServer, site: str) -> None:
        self.owner = owner
        self.site = site
        # Arrival times taken as each connection is accepted, before a handler thread
        # starts and parses the request: on a busy machine that can take a tenth of a
        # second, which would blur the politeness delays the log is checked for.
        self.arrivals: dict[Any, float] = {}
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.arrivals[request] = time.monotonic()
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.arrivals.pop(request, None)  # a connection that sent no request
        super().shutdown_request(request)

    def server_close(self) -> None:
        # A client that connected and never sent a request (a stray one, from
        # another process on a reused port) would hold its handler thread, and the
        # join below, for the handler's whole timeout: ending the connections
        # still open lets them finish now.
        for request in list(self.arrivals):
            with contextlib.suppress(OSError):
                request.shutdown(socket.SHUT_RDWR)
        super().server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback to stderr; a client hanging up is
        # normal, anything else is kept for tests to assert on.
        error = traceback.format_exc()
        if "ConnectionResetError" in error or "BrokenPipeError" in error:
            return
        self.owner.errors.append(error)


class _Handler(BaseHTTPRequestHandler):
    server: _SiteServer
    # One request per connection: nothing lingers once a response is sent.
    protocol_version = "HTTP/1.0"
    timeout = 10
    sys_version = ""

    def version_string(self) -> str:
        return _SERVER_HEADERS.get(self.server.site, "newsweb")

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default access log on stderr; see ``request_log``."""

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_POST(self) -> None:
        self._serve(send_body=True)

    def _serve(self, *, send_body: bool) -> None:
        arrival = self.server.arrivals.pop(self.request, None)
        status, headers, body = self.server.owner._respond(
            self.server.site, self.command, self.path, self.headers, arrival
        )
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)


class NewsWebServer:
    """Serve every site of a :class:`NewsWeb` on its own ``127.0.0.1`` port.

    Use as a context manager. The server works on its own copy of ``web``, so
    edits (``set_article_text``) never leak into the caller's object.
    """

    def __init__(self, web: NewsWeb) -> None:
        self._web = copy.deepcopy(web)
        self._lock = threading.RLock()
        self._log: list[LoggedRequest] = []
        self._servers: dict[str, _SiteServer] = {}
        self._threads: list[threading.Thread] = []
        self._base_urls: dict[str, str] = {}
        self.errors: list[str] = []
        """Tracebacks of requests that failed inside the server (should stay empty)."""

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> NewsWebServer:
        """Bind every site to a free port and start serving."""
        if self._servers:
            return self
        try:
            for site in self._web.sites:
                server = _SiteServer(self, site)
                self._servers[site] = server
                host, port = server.server_address[:2]
                self._base_urls[site] = f"http://{host!s}:{port}"
        except BaseException:
            self.close()
            raise
        for site, server in self._servers.items():
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"newsweb-{site}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def close(self) -> None:
        """Stop serving and close every socket and thread."""
        servers, self._servers = self._servers, {}
        threads, self._threads = self._threads, []
        for server in servers.values():
            if threads:
                server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join()

    def __enter__(self) -> NewsWebServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- where things are -----------------------------------------------------

    @property
    def web(self) -> NewsWeb:
        """The served model (live: reflects edits)."""
        return self._web

    @property
    def base_urls(self) -> dict[str, str]:
        """Site key -> ``http://127.0.0.1:PORT`` (no trailing slash)."""
        if not self._base_urls:
            raise RuntimeError("NewsWebServer is not started")
        return dict(self._base_urls)

    def url(self, site: str, path: str = "/") -> str:
        """Absolute URL of ``path`` (with any query) on ``site``."""
        return self.base_urls[site] + path

    def ref_url(self, ref: Ref | tuple[str, str]) -> str:
        site, path = (ref.site, ref.path) if isinstance(ref, Ref) else ref
        return self.url(site, path)

    @property
    def seed_urls(self) -> list[str]:
        """URLs of the seed pages, in the order of the seed articles."""
        return [self.url(*key) for key in self._web.seed_keys]

    @property
    def truth(self) -> dict[str, Label]:
        """Article URL -> 'seed', 'on_topic', 'off_topic' or 'hard_negative'."""
        return self._web.truth(self.base_urls)

    @property
    def on_topic_urls(self) -> list[str]:
        """URLs labelled ``on_topic`` (the syndicated copy included), sorted."""
        return sorted(url for url, label in self.truth.items() if label == "on_topic")

    @property
    def feed_urls(self) -> dict[str, str]:
        return {key: self.url(key, site.feed_path) for key, site in self._web.sites.items()}

    @property
    def trap_sources(self) -> dict[TrapKind, str]:
        """Trap kind -> an ordinary page (not a trap) that links into that trap."""
        return {kind: self.url(*where) for kind, where in trap_sources(self._web).items()}

    @property
    def crawl_delays(self) -> dict[str, float]:
        """Site key -> the ``Crawl-delay`` its robots.txt asks for (sites that ask)."""
        return {
            key: site.crawl_delay
            for key, site in self._web.sites.items()
            if site.crawl_delay is not None
        }

    @property
    def syndicated(self) -> list[SyndicatedStory]:
        """The wire stories republished on other sites, with every URL they appear at."""
        out = []
        for wire in self._web.wire:
            keys = [wire.original, *(key for key, _ in wire.copies)]
            amp = tuple(
                self.url(site, THEMES[site].amp_path(self._web.articles[(site, path)]))
                for site, path in keys
                if THEMES[site].amp
            )
            printable = tuple(
                self.url(site, path + "?print=1") for site, path in keys if THEMES[site].print_link
            )
            out.append(
                SyndicatedStory(
                    story=self._web.articles[wire.original].story,
                    original=self.url(*wire.original),
                    copies=tuple((self.url(*key), edit) for key, edit in wire.copies),
                    amp=amp,
                    printable=printable,
                )
            )
        return out

    # -- ground truth by URL ---------------------------------------------------

    def _locate(self, url: str) -> tuple[str, str] | None:
        """(site, request target) of a URL on one of the sites, or None."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        for site, base in self.base_urls.items():
            if base == origin:
                target = parts.path or "/"
                return site, target + (f"?{parts.query}" if parts.query else "")
        return None

    def article_at(self, url: str) -> Article | None:
        """The article a URL shows: its page, or its AMP, print, session or tracking
        variant (query, path parameters and fragment ignored); None for other URLs."""
        located = self._locate(url)
        if located is None:
            return None
        site, target = located
        path, _, _ = split_target(target)
        article = self._web.articles.get((site, path))
        if article is None and THEMES[site].amp and path.startswith("/amp/"):
            article = self._web.articles.get((site, path[len("/amp") :]))
        return article

    def story_of(self, url: str) -> str | None:
        """Story id of the article ``url`` shows (see ``article_at``): copies of a
        wire story and every variant share one id. None when it shows no article."""
        article = self.article_at(url)
        return article.story if article is not None else None

    def stories(self) -> dict[str, Label]:
        """Story id -> label of every story of the web (seeds included)."""
        return self._web.stories()

    @property
    def on_topic_stories(self) -> set[str]:
        """Ids of the on-topic stories (each counted once however often republished)."""
        return {story for story, label in self.stories().items() if label == "on_topic"}

    def reachable_by(self, url: str) -> set[Channel]:
        """How a crawler can reach the article at ``url``: ``link`` (some HTML page
        links to it), ``feed`` (its site's feed lists it), ``sitemap`` (its site's
        sitemaps list it). Empty for URLs that show no article."""
        article = self.article_at(url)
        return self._web.channels(article) if article is not None else set()

    def trap_of(self, url: str) -> TrapKind | None:
        """The crawler trap fetching ``url`` would fall into (see ``_traps``), or None."""
        located = self._locate(url)
        return self._web.trap_kind(*located) if located is not None else None

    def is_trap_url(self, url: str) -> bool:
        """Whether fetching ``url`` is a fetch spent on a crawler trap."""
        return self.trap_of(url) is not None

    def is_trap(self, request: LoggedRequest) -> bool:
        """Whether a logged request was spent on a crawler trap."""
        return self._web.trap_kind(request.site, request.path) is not None

    def is_disallowed(self, request: LoggedRequest) -> bool:
        """Whether a logged request was for a target its site's robots.txt disallows."""
        return self._web.disallowed(request.site, request.path)

    @property
    def specials(self) -> SpecialUrls:
        s = self._web.specials
        return SpecialUrls(
            redirect_from=self.ref_url(s.redirect_from),
            redirect_to=self.ref_url(s.redirect_to),
            not_found=self.ref_url(s.not_found),
            server_error=self.ref_url(s.server_error),
            pdf=self.ref_url(s.pdf),
            duplicate_of=self.ref_url(s.duplicate_of),
            duplicate_variants=tuple(self.ref_url(r) for r in s.duplicate_variants),
            syndicated_copy=self.ref_url(s.syndicated_copy),
            syndicated_original=self.ref_url(s.syndicated_original),
            disallowed=tuple(self.ref_url(r) for r in s.disallowed),
        )

    # -- request log ----------------------------------------------------------

    @property
    def request_log(self) -> list[LoggedRequest]:
        """Every request so far, oldest first (a snapshot)."""
        with self._lock:
            return list(self._log)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    # -- edits between crawls -------------------------------------------------

    def article(self, url: str) -> Article:
        """The served article at ``url`` (query and fragment ignored)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        for site, base in self.base_urls.items():
            if base == origin:
                key = (site, parts.path or "/")
                if key in self._web.articles:
                    return self._web.articles[key]
        raise KeyError(f"not an article URL of this web: {url}")

    def set_article_text(self, url: str, paragraphs: Sequence[str]) -> None:
        """Replace an article's body; its ETag and Last-Modified change."""
        with self._lock:
            article = self.article(url)
            article.paragraphs = list(paragraphs)
            self._touch(article)

    def set_article_title(self, url: str, title: str) -> None:
        """Replace an article's headline (the path stays); ETag and Last-Modified change."""
        with self._lock:
            article = self.article(url)
            article.title = title
            self._touch(article)

    def retire(self, before: dt.datetime) -> dict[str, Fate]:
        """Turn the served web into its live version of later years (``NewsWeb.retire``):
        articles published before ``before`` are gone, redirect home or are linked
        from nowhere. Returns article URL -> fate."""
        with self._lock:
            fates = self._web.retire(before)
        return {self.url(*key): fate for key, fate in fates.items()}

    @staticmethod
    def _touch(article: Article) -> None:
        # Last-Modified has one-second resolution: always move on by at least
        # a second, so two quick edits still give two different dates.
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        article.modified = max(now, article.modified + dt.timedelta(seconds=1))

    # -- serving --------------------------------------------------------------

    def _respond(
        self, site: str, method: str, target: str, headers: Message, arrival: float | None = None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        arrival = time.monotonic() if arrival is None else arrival
        if method not in ("GET", "HEAD"):
            status, out, body = 405, [("Allow", "GET, HEAD")], b"Method Not Allowed\n"
            out = [("Content-Type", "text/plain; charset=utf-8"), *out]
        else:
            with self._lock:
                response = self._web.render(site, target, self._base_urls)
            status, body = response.status, response.body
            out = [("Content-Type", response.content_type)]
            if response.location:
                out.append(("Location", response.location))
            if status == 200:
                etag = '"' + hashlib.sha1(without_sessions(body)).hexdigest()[:20] + '"'
                out.append(("ETag", etag))
                if response.last_modified is not None:
                    out.append(("Last-Modified", format_datetime(response.last_modified, True)))
                if _not_modified(headers, etag, response.last_modified):
                    status, body = 304, b""
                    out = [(k, v) for k, v in out if k != "Content-Type"]
        if status != 304:
            out.append(("Content-Length", str(len(body))))
        entry = LoggedRequest(
            site,
            method,
            target,
            dict(headers.items()),
            arrival,
            status,
            trap=self._web.trap_kind(site, target),
            disallowed=self._web.disallowed(site, target),
        )
        with self._lock:
            self._log.append(entry)
        return status, out, body


def _not_modified(headers: Message, etag: str, modified: dt.datetime | None) -> bool:
    # RFC 9110 13.2.2: If-None-Match, when present, decides alone.
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = [tag.strip() for tag in if_none_match.split(",")]
        return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)
    if_modified_since = headers.get("If-Modified-Since")
    if if_modified_since is None or modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return modified.replace(microsecond=0) <= since
