"""A web archive of the news web's past, in a real pywb, beside the news web's live version.

:func:`past_and_live` serves the news web, captures its past into WARC files as a
web archive would have (every article page, each dated the day after it was
published; the home pages and feeds as they were at the end of 2019), loads them
into a pywb collection (its CDX server API, Memento TimeGate and TimeMap and ``id_``
replay are pywb's own), then turns the served web into its live version of later
years: articles published before 2020 are gone (404), redirect to their site's
home page, or answer but are linked from no feed, sitemap, home or section page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import io
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newstrail.demo import demo_seed_articles
from newstrail.newsweb import Article, NewsWebServer, build_web
from newstrail.newsweb._web import Fate
from newstrail.replay import serve
from newstrail.seeds import SeedSet
from newstrail.storage.cdxj import write_cdxj
from tests.conftest import free_port

#: The live web's articles start here; the archive holds what came before.
RETIRED_BEFORE = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
#: When the archive captured the web's listings (home pages, feeds).
LISTINGS_CAPTURED = dt.datetime(2019, 12, 31, 12, tzinfo=dt.UTC)
COLLECTION = "past"


@dataclass
class PastAndLive:
    """The live news web (``server``) and the pywb collection holding its past."""

    server: NewsWebServer
    archive: str  # the pywb collection's root, http://127.0.0.1:PORT/past
    fates: dict[str, Fate]  # article URL -> what became of it on the live web
    captured: dict[str, dt.datetime]  # article URL -> when the archive captured it
    #: An article of an outlet that no longer exists (nothing listens on its port):
    #: only the archive has it.
    dead_outlet: str = ""
    #: Another, whose domain name is gone (it does not resolve).
    dead_domain: str = ""

    def story_of(self, url: str) -> str | None:
        """The story ``url`` shows: the news web's, and the closed outlets' copy of the
        web's oldest on-topic article."""
        if url in (self.dead_outlet, self.dead_domain):
            return self.server.story_of(dead_outlet_source(self.server))
        return self.server.story_of(url)

    @property
    def gone(self) -> list[str]:
        return sorted(url for url, fate in self.fates.items() if fate != "unlisted")


def _get(url: str) -> tuple[int, list[tuple[str, str]], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, list(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, list(error.headers.items()), error.read()


DEAD_OUTLET_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title></head><body><header><a href="/">The Baghdad Courier</a></header>
<article><h1>{title}</h1><p class="byline">By {author}, {published}</p>
{paragraphs}</article><footer>The Baghdad Courier, 2012-2020</footer></body></html>"""


def _oldest_on_topic(server: NewsWebServer) -> Article:
    on_topic = [a for a in server.web.articles.values() if a.label == "on_topic"]
    return min(on_topic, key=lambda a: a.published)


def dead_outlet_source(server: NewsWebServer) -> str:
    """The URL of the article the closed outlets republished."""
    source = _oldest_on_topic(server)
    return server.url(source.site, source.path)


def dead_outlet_page(server: NewsWebServer) -> tuple[str, bytes]:
    """The path and HTML of a dead outlet's article: the text of the web's oldest
    on-topic article, republished by an outlet that has since closed."""
    source = _oldest_on_topic(server)
    title = "Closed outlet: " + source.title
    paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in source.paragraphs)
    page = DEAD_OUTLET_PAGE.format(
        title=html.escape(title),
        author=html.escape(source.author),
        published=source.published.date().isoformat(),
        paragraphs=paragraphs,
    )
    return f"{source.published:/%Y/%m/%d}/us-troops-iraq-immunity-courier/", page.encode()


def capture_past(
    server: NewsWebServer, warc: Path, dead_outlets: tuple[str, ...] = ()
) -> dict[str, dt.datetime]:
    """Write the served web's articles, home pages and feeds into ``warc`` as request
    and response records dated when an archive would have captured them; and, at
    each of ``dead_outlets`` (URLs), an article of an outlet that no longer exists."""
    web = server.web
    pages: list[tuple[str, dt.datetime]] = []
    for article in web.articles.values():
        pages.append((server.url(article.site, article.path), article.published + dt.timedelta(1)))
    for site in web.sites:
        pages.append((server.url(site, "/"), LISTINGS_CAPTURED))
        pages.append((server.feed_urls[site], LISTINGS_CAPTURED))
    captured: dict[str, dt.datetime] = {}
    with warc.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url in dead_outlets:
            pages.append((url, dt.datetime(2019, 1, 11, tzinfo=dt.UTC)))
        for url, when in pages:
            if url in dead_outlets:
                headers = [("Content-Type", "text/html; charset=utf-8")]
                status, body = 200, dead_outlet_page(server)[1]
            else:
                status, headers, body = _get(url)
            if status != 200:
                continue
            date = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            http = StatusAndHeaders(
                f"{status} OK",
                [(k, v) for k, v in headers if k.lower() not in ("transfer-encoding",)],
                protocol="HTTP/1.1",
            )
            response = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": date},
            )
            target = url.split("/", 3)
            request = writer.create_warc_record(
                url,
                "request",
                payload=io.BytesIO(b""),
                length=0,
                http_headers=StatusAndHeaders(
                    f"GET /{target[3] if len(target) > 3 else ''} HTTP/1.1",
                    [("Host", target[2])],
                    is_http_request=True,
                ),
                warc_headers_dict={"WARC-Date": date},
            )
            writer.write_request_response_pair(request, response)
            captured[url] = when
    return captured


@contextlib.contextmanager
def past_and_live(seeds: SeedSet, root: Path, *, scale: int = 1) -> Iterator[PastAndLive]:
    """The news web of ``seeds`` at ``scale``, its past in pywb under ``root``, live."""
    web = build_web(demo_seed_articles(seeds), scale=scale)
    with NewsWebServer(web) as server:
        folder = root / "collections" / COLLECTION
        (folder / "archive").mkdir(parents=True)
        (folder / "indexes").mkdir()
        warc = folder / "archive" / "past.warc.gz"
        path = dead_outlet_page(server)[0]
        dead_outlet = f"http://127.0.0.1:{free_port()}{path}"
        dead_domain = f"http://baghdad-courier.invalid{path}"  # RFC 2606: never resolves
        captured = capture_past(server, warc, (dead_outlet, dead_domain))
        with (folder / "indexes" / "index.cdxj").open("wb") as index:
            write_cdxj([warc], index)
        fates = server.retire(RETIRED_BEFORE)
        with serve(root) as base:
            yield PastAndLive(
                server, f"{base}/{COLLECTION}", fates, captured, dead_outlet, dead_domain
            )
