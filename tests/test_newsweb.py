"""The offline news web: generation, and real HTTP against NewsWebServer on 127.0.0.1."""

from __future__ import annotations

import html
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from newstrail.newsweb import (
    LABELS,
    NewsWeb,
    NewsWebServer,
    SeedArticle,
    build_web,
    default_seed_articles,
)

REPO = Path(__file__).resolve().parents[1]
FAKE_BASES = {
    key: f"http://{key}.test"
    for key in ("citizentruth", "mee", "tigriswire", "harborgazette", "meridian", "capitalledger")
}

# -- HTTP helpers ---------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


# No proxies: the sites are on loopback whatever the environment says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_RAW_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


@dataclass
class Fetched:
    status: int
    headers: Message
    body: bytes
    url: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(
    url: str,
    headers: dict[str, str] | None = None,
    *,
    method: str = "GET",
    follow: bool = True,
) -> Fetched:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    opener = _OPENER if follow else _RAW_OPENER
    try:
        with opener.open(request, timeout=5) as response:
            return Fetched(response.status, response.headers, response.read(), response.url)
    except urllib.error.HTTPError as error:
        with error:
            return Fetched(error.code, error.headers, error.read(), url)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.alternates: list[tuple[str, str]] = []
        self.canonical: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "a" and found.get("href"):
            self.hrefs.append(found["href"])
        if tag == "link" and found.get("rel") == "alternate":
            self.alternates.append((found.get("type", ""), found.get("href", "")))
        if tag == "link" and found.get("rel") == "canonical":
            self.canonical = found.get("href")


def parse_links(page: Fetched) -> _Links:
    parser = _Links()
    parser.feed(page.text)
    parser.close()
    return parser


def visible_text(markup: str) -> str:
    """Tag-free, unescaped, whitespace-normalised text (inline tags join words)."""
    inline = re.sub(r"</?(?:a|span|b|i|em|strong)\b[^>]*>", "", markup)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def norm(text: str) -> str:
    return " ".join(text.split())


# -- fixtures -------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds() -> list[SeedArticle]:
    return default_seed_articles()


@pytest.fixture(scope="module")
def web(seeds: list[SeedArticle]) -> NewsWeb:
    return build_web(seeds, seed=0, scale=1)


@pytest.fixture(scope="module")
def server(web: NewsWeb) -> Iterator[NewsWebServer]:
    with NewsWebServer(web) as running:
        yield running
        assert running.errors == []


@dataclass
class Crawl:
    statuses: dict[str, int] = field(default_factory=dict)
    inlinks_from_articles: dict[str, set[str]] = field(default_factory=dict)
    linked: set[str] = field(default_factory=set)
    """Every same-web link target seen, queries included."""
    traps: dict[str, str] = field(default_factory=dict)
    """Link targets in a trap (not followed) -> the trap's kind."""
    fetched_from: dict[str, str] = field(default_factory=dict)
    """URL -> how the crawl found it: ``link``, ``feed`` or ``sitemap`` (first seen)."""


@pytest.fixture(scope="module")
def crawl(server: NewsWebServer) -> Crawl:
    """Breadth-first over every site from the home pages, feeds and robots
    sitemaps, following query-free links (and Drupal's ?page=), never into a trap."""
    truth = server.truth
    origins = set(server.base_urls.values())
    result = Crawl()
    queue: deque[tuple[str, str]] = deque(
        (server.url(site, "/"), "link") for site in server.base_urls
    )
    queue.extend((url, "feed") for url in server.feed_urls.values())
    for site in server.base_urls:
        robots = fetch(server.url(site, "/robots.txt")).text
        queue.extend((u, "sitemap") for u in re.findall(r"^Sitemap: (\S+)$", robots, flags=re.M))
    while queue:
        url, via = queue.popleft()
        if url in result.statuses:
            continue
        page = fetch(url, follow=False)
        result.statuses[url] = page.status
        result.fetched_from.setdefault(url, via)
        content_type = page.headers.get("Content-Type", "")
        if page.status in (301, 302):
            queue.append((page.headers["Location"], via))
        elif content_type.startswith("text/html") and page.status == 200:
            for href in parse_links(page).hrefs:
                target = urljoin(url, href).split("#")[0]
                parts = urlsplit(target)
                if f"{parts.scheme}://{parts.netloc}" not in origins or target == url:
                    # A page's links to itself ("#respond") do not make it reachable.
                    continue
                result.linked.add(target)
                clean = target.split("?")[0]
                if url in truth and clean != url.split("?")[0]:
                    result.inlinks_from_articles.setdefault(clean, set()).add(url)
                trap = server.trap_of(target)
                if trap is not None:
                    result.traps[target] = trap
                elif not parts.query or re.fullmatch(r"page=\d+", parts.query):
                    queue.append((target, "link"))
        elif "xml" in content_type:
            # Entries of a feed are found through the feed, sitemaps through sitemaps.
            root = ET.fromstring(page.body)
            for element in root.iter():
                if element.tag.endswith("}loc") or element.tag in ("link", "guid"):
                    queue.append(((element.text or "").strip(), via))
                elif element.tag.endswith("}link") and element.get("rel") == "alternate":
                    queue.append((element.get("href", ""), via))
                elif element.tag.endswith("}id") and (element.text or "").startswith("http"):
                    queue.append(((element.text or "").strip(), via))
    return result


# -- generation -----------------------------------------------------------------


def test_build_is_deterministic(seeds: list[SeedArticle], web: NewsWeb) -> None:
    again = build_web(seeds, seed=0, scale=1)
    assert list(again.articles) == list(web.articles)
    assert [a.paragraphs for a in again.articles.values()] == [
        a.paragraphs for a in web.articles.values()
    ]
    for site in web.sites:
        for path in list(web.routes[site])[:40]:
            assert (
                web.render(site, path, FAKE_BASES).body == again.render(site, path, FAKE_BASES).body
            )
    other = build_web(seeds, seed=1, scale=1)
    assert [a.title for a in other.articles.values()] != [a.title for a in web.articles.values()]


def test_counts_at_scale_one(web: NewsWeb) -> None:
    counts = web.label_counts()
    assert set(counts) == set(LABELS)
    assert counts["seed"] == 2
    assert counts["on_topic"] == 33  # 30 stories plus three copies of a wire story
    assert counts["hard_negative"] == 10
    assert counts["off_topic"] > sum(counts.values()) / 2
    assert 380 <= web.page_count() <= 460
    stories = web.stories()
    assert sum(1 for label in stories.values() if label == "on_topic") == 30
    per_site = {site: len(web.site_articles(site)) for site in web.sites}
    assert len(per_site) == 6 and min(per_site.values()) >= 15
    on_topic_sites = {a.site for a in web.articles.values() if a.label == "on_topic"}
    assert len(on_topic_sites) == 6
    topics = {a.topic for a in web.articles.values() if a.label == "on_topic"}
    assert len(topics) == 8


def test_scale_multiplies_counts(seeds: list[SeedArticle]) -> None:
    counts = build_web(seeds, seed=0, scale=2).label_counts()
    # Two wire stories with three copies each.
    assert counts == {"seed": 2, "on_topic": 66, "off_topic": 516, "hard_negative": 20}


def test_generated_text_is_complete_and_sized(web: NewsWeb) -> None:
    for article in web.articles.values():
        if article.label == "seed":
            continue
        words = sum(len(p.split()) for p in article.paragraphs)
        assert 250 <= words <= 700, (article.path, words)
        for text in (article.title, article.standfirst, article.caption, *article.paragraphs):
            assert not re.search(r"[{}\[\]]", text), text
    on_topic = [a for a in web.articles.values() if a.label == "on_topic"]
    assert all("Iraq" in " ".join(a.paragraphs) for a in on_topic)
    story_words = re.compile(r"US troops|American troops|Iraq|sanctions|withdraw", re.I)
    for article in web.articles.values():
        if article.label == "hard_negative":
            assert story_words.search(" ".join(article.paragraphs)), article.path


def test_every_template_of_every_topic_expands() -> None:
    import datetime as dt
    import random

    from newstrail.newsweb._grammar import strip_tag
    from newstrail.newsweb._textgen import ALL_TOPICS, BASE_GRAMMAR, date_bindings

    grammar = BASE_GRAMMAR.with_rules({"local_city": ("Testville", "Otherton"), "region": ("x",)})
    rng = random.Random(0)
    for topic in ALL_TOPICS.values():
        bindings = {**date_bindings(dt.date(2019, 3, 20)), "site": "The Site"}
        for name, template in topic.bind:
            bindings[name] = grammar.expand(template, rng, bindings)
        speakers = (topic.speakers_a, topic.speakers_b)
        pools = (
            topic.headlines, topic.standfirsts, topic.ledes, topic.details, topic.background,
            topic.quotes_a, topic.quotes_b, topic.outlooks, topic.captions,
            *(s.roles for s in speakers),
            *((a.partition("|")[0] for a in s.anonymous) for s in speakers),
        )  # fmt: skip
        for pool in pools:
            for template in pool:
                text = grammar.expand(strip_tag(template), rng, bindings)
                assert not re.search(r"[{}\[\]]", text), (topic.key, template)


def test_seed_article_from_text() -> None:
    import datetime as dt

    seed = SeedArticle.from_text(
        "First line\nwraps.\n\n\nSecond.\n", title="T", author="A", date=dt.date(2020, 1, 2)
    )
    assert seed.paragraphs == ("First line wraps.", "Second.")
    # Seed files give dates as YYYY, YYYY-MM or YYYY-MM-DD.
    assert SeedArticle("T", "A", "2018-12", ["x"]).date == dt.date(2018, 12, 28)
    assert SeedArticle("T", "A", "2019", ["x"]).date == dt.date(2019, 6, 28)
    assert SeedArticle("T", "A", "2020-01-09", ["x"]).day == dt.date(2020, 1, 9)


# -- serving --------------------------------------------------------------------


def test_every_site_serves_its_home_page(server: NewsWebServer) -> None:
    assert len(server.base_urls) == 6
    for site, base in server.base_urls.items():
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
        page = fetch(base + "/")
        assert page.status == 200
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        assert int(page.headers["Content-Length"]) == len(page.body)
        assert server.web.sites[site].name in page.text
        links = parse_links(page)
        assert any("xml" in kind for kind, _ in links.alternates)


def test_every_site_paginates_a_section(server: NewsWebServer) -> None:
    from newstrail.newsweb._sites import THEMES

    for site, theme in THEMES.items():
        paged = [s for s, _ in theme.sections if len(server.web.section_pages(site, s)) > 1]
        assert paged, site
        section = paged[0]
        n_pages = len(server.web.section_pages(site, section))
        first = fetch(server.url(site, theme.section_path(section, 1)))
        second = server.url(site, theme.section_path(section, 2))
        assert second in {urljoin(first.url, h) for h in parse_links(first).hrefs}
        assert fetch(second).status == 200
        assert fetch(server.url(site, theme.section_path(section, n_pages + 1))).status == 404


def test_robots_txt_disallows_and_points_to_sitemaps(server: NewsWebServer) -> None:
    for site, info in server.web.sites.items():
        page = fetch(server.url(site, "/robots.txt"))
        assert page.headers["Content-Type"].startswith("text/plain")
        assert "User-agent: *" in page.text
        rules = re.findall(r"^Disallow: (\S+)$", page.text, flags=re.M)
        assert set(info.disallow) <= set(rules)
        sitemaps = re.findall(r"^Sitemap: (\S+)$", page.text, flags=re.M)
        assert sitemaps and all(s.startswith(server.base_urls[site] + "/") for s in sitemaps)
    for url in server.specials.disallowed:
        site = next(k for k, b in server.base_urls.items() if url.startswith(b))
        target = url[len(server.base_urls[site]) :]
        patterns = [re.escape(p).replace(r"\*", ".*") for p in server.web.sites[site].disallow]
        assert any(re.match(p, target) for p in patterns), url


def test_disallowed_pages_are_linked(server: NewsWebServer, crawl: Crawl) -> None:
    assert len(server.specials.disallowed) == 6
    for url in server.specials.disallowed:
        assert url in crawl.linked, url
        assert fetch(url).status == 200


def test_feeds_and_sitemaps_list_the_articles(server: NewsWebServer) -> None:
    truth = server.truth
    from_sitemaps: set[str] = set()
    for site, info in server.web.sites.items():
        home = parse_links(fetch(server.url(site, "/")))
        kind, href = home.alternates[0]
        feed = fetch(href)
        assert feed.headers["Content-Type"].startswith(kind)
        root = ET.fromstring(feed.body)
        if info.feed_kind == "atom":
            ns = {"a": "http://www.w3.org/2005/Atom"}
            links = [e.get("href", "") for e in root.findall("a:entry/a:link", ns)]
        else:
            links = [e.text or "" for e in root.findall("channel/item/link")]
        only_here = [a for a in server.web.site_articles(site) if a.only == "feed"]
        assert len(links) == 20 + len(only_here) and all(truth.get(u) for u in links)
        assert {server.url(a.site, a.path) for a in only_here} <= set(links)
        robots = fetch(server.url(site, "/robots.txt")).text
        pending = re.findall(r"^Sitemap: (\S+)$", robots, flags=re.M)
        while pending:
            sitemap = fetch(pending.pop())
            assert sitemap.headers["Content-Type"].startswith("application/xml")
            root = ET.fromstring(sitemap.body)
            locs = [e.text or "" for e in root.iter() if e.tag.endswith("}loc")]
            if root.tag.endswith("sitemapindex"):
                pending.extend(locs)
            else:
                from_sitemaps.update(locs)
            if "news" in sitemap.url:
                news = "{http://www.google.com/schemas/sitemap-news/0.9}"
                assert root.findall(f".//{news}publication_date")
    feed_only = {url for url in truth if server.reachable_by(url) == {"feed"}}
    assert feed_only and not feed_only & from_sitemaps
    assert set(truth) - feed_only <= from_sitemaps


def test_seed_pages_carry_seed_text_and_boilerplate(
    server: NewsWebServer, seeds: list[SeedArticle]
) -> None:
    assert len(server.seed_urls) == 2
    for url in server.seed_urls:
        assert server.truth[url] == "seed"
    pages = [fetch(url) for url in server.seed_urls]
    texts = [visible_text(p.text) for p in pages]
    for seed, text in zip(seeds, texts, strict=True):
        for paragraph in seed.paragraphs:
            assert norm(paragraph) in text
        assert seed.title in text and seed.author in text
    for line in (
        "Type to search",
        "You Might also Like",
        "Leave a Comment",
        "Your email address will not be published. Required fields are marked *",
        "is a Research Fellow",
    ):
        assert line in texts[0], line
    for line in (
        "Skip to main content",
        "Stay informed with MEE's newsletters",
        "Sign up to get the latest alerts, insights and analysis, starting with Turkey Unpacked",
        "Read More \u00bb",
        "Middle East Eye delivers independent and unrivalled coverage and analysis of the Middle "
        "East, North Africa and beyond. To learn more about republishing this content and the "
        "associated fees, please fill out this form. More about MEE can be found here.",
    ):
        assert line in texts[1], line
    assert "<figcaption" in pages[1].text
    quotes = re.findall(
        r"<blockquote><p>(.*?)</p></blockquote><p[^>]*>- ([^<]+)</p>", pages[1].text
    )
    assert len(quotes) >= 2
    body = " ".join(seeds[1].paragraphs)
    assert all(html.unescape(q) in body for q, _ in quotes)
    # The seed pages lead into other sites' on-topic coverage and elsewhere.
    truth = server.truth
    for page, url in zip(pages, server.seed_urls, strict=True):
        targets = {urljoin(url, h) for h in parse_links(page).hrefs}
        own = url.split("/", 3)[:3]
        on_topic_elsewhere = [
            t for t in targets if truth.get(t) == "on_topic" and t.split("/", 3)[:3] != own
        ]
        assert len(on_topic_elsewhere) >= 3
        assert any(truth.get(t) == "off_topic" for t in targets)


def test_truth_covers_every_article(server: NewsWebServer, crawl: Crawl) -> None:
    truth = server.truth
    assert set(truth.values()) == set(LABELS)
    assert len(truth) == len(server.web.articles)
    assert len(server.on_topic_urls) == 33
    for url in truth:
        assert crawl.statuses.get(url) == 200, url
    # Some story articles are reachable only through listings, feeds, sitemaps.
    orphans = [u for u in server.on_topic_urls if not crawl.inlinks_from_articles.get(u)]
    assert len(orphans) >= 5


def test_crawl_finds_exactly_the_planted_errors(server: NewsWebServer, crawl: Crawl) -> None:
    special = server.specials
    failures = {url: status for url, status in crawl.statuses.items() if status != 200}
    assert failures == {
        special.redirect_from: 301,
        special.not_found: 404,
        special.server_error: 500,
    }
    assert crawl.statuses[special.pdf] == 200


def test_redirect_404_500_and_pdf(server: NewsWebServer) -> None:
    special = server.specials
    moved = fetch(special.redirect_from, follow=False)
    assert moved.status == 301 and moved.headers["Location"] == special.redirect_to
    assert fetch(special.redirect_from).url == special.redirect_to
    missing = fetch(special.not_found)
    assert missing.status == 404 and "not be found" in missing.text
    assert fetch(special.server_error).status == 500
    pdf = fetch(special.pdf)
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.body.startswith(b"%PDF-1.4") and pdf.body.rstrip().endswith(b"%%EOF")
    assert int(pdf.headers["Content-Length"]) == len(pdf.body)


def test_duplicates_and_syndication_point_to_one_canonical(
    server: NewsWebServer, crawl: Crawl
) -> None:
    special = server.specials
    assert set(special.duplicate_variants) <= crawl.linked
    assert {urlsplit(u).query.split("=")[0] for u in special.duplicate_variants} == {
        "sessionid",
        "utm_source",
    }
    original = fetch(special.duplicate_of)
    for variant in special.duplicate_variants:
        page = fetch(variant)
        assert page.status == 200 and page.body == original.body
        assert parse_links(page).canonical == special.duplicate_of
    copy = fetch(special.syndicated_copy)
    assert parse_links(copy).canonical == special.syndicated_original
    source = server.article(special.syndicated_original)
    assert all(norm(p) in visible_text(copy.text) for p in source.paragraphs)


def test_content_types(server: NewsWebServer) -> None:
    expected = {
        "citizentruth": "application/rss+xml",
        "tigriswire": "application/atom+xml",
    }
    for site, kind in expected.items():
        feed = fetch(server.feed_urls[site])
        assert feed.headers["Content-Type"] == f"{kind}; charset=utf-8"
    image = fetch(server.url("harborgazette", "/img/masthead.svg"))
    assert image.headers["Content-Type"] == "image/svg+xml"


def test_conditional_requests_and_edits(web: NewsWeb) -> None:
    with NewsWebServer(web) as local:
        url = local.on_topic_urls[0]
        first = fetch(url)
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert etag and modified
        again = fetch(url, {"If-None-Match": etag})
        assert again.status == 304 and again.body == b""
        assert fetch(url, {"If-Modified-Since": modified}).status == 304
        feed = local.feed_urls["mee"]
        feed_etag = fetch(feed).headers["ETag"]
        assert fetch(feed, {"If-None-Match": feed_etag}).status == 304

        local.set_article_text(url, ["A rewritten first paragraph.", "And a second one."])
        edited = fetch(url, {"If-None-Match": etag})
        assert edited.status == 200
        assert edited.headers["ETag"] != etag
        assert edited.headers["Last-Modified"] != modified
        assert "A rewritten first paragraph." in edited.text
        assert fetch(url, {"If-Modified-Since": modified}).status == 200

        local.set_article_title(url, "A new headline")
        retitled = fetch(url)
        assert retitled.headers["ETag"] != edited.headers["ETag"]
        assert retitled.headers["Last-Modified"] != edited.headers["Last-Modified"]
        assert "A new headline" in retitled.text
        assert local.errors == []
    # The caller's web is untouched: the server edits its own copy.
    assert web.articles[local.article(url).key].title != "A new headline"


def test_request_log_records_requests(server: NewsWebServer) -> None:
    server.reset_log()
    url = server.url("mee", "/news?page=0")
    fetch(url, {"User-Agent": "newsweb-test/1.0"})
    fetch(server.url("citizentruth", "/robots.txt"), method="HEAD")
    refused = fetch(server.url("citizentruth", "/wp-comments-post.php"), method="POST")
    assert refused.status == 405
    log = server.request_log
    assert [(e.site, e.method, e.path, e.status) for e in log] == [
        ("mee", "GET", "/news?page=0", 200),
        ("citizentruth", "HEAD", "/robots.txt", 200),
        ("citizentruth", "POST", "/wp-comments-post.php", 405),
    ]
    assert log[0].headers["User-Agent"] == "newsweb-test/1.0"
    assert log[0].time <= log[1].time <= log[2].time
    server.reset_log()
    assert server.request_log == []


def test_server_starts_fast_and_releases_its_ports(web: NewsWeb) -> None:
    started = time.monotonic()
    with NewsWebServer(web) as local:
        home = local.url("meridian", "/")
        assert fetch(home).status == 200
    assert time.monotonic() - started < 1.0
    with pytest.raises(urllib.error.URLError):
        _OPENER.open(home, timeout=2)


def test_module_serves_in_foreground() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "newstrail.newsweb", "--seed", "3"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Serving"):
                break
        urls = re.findall(r"http://127\.0\.0\.1:\d+/", "".join(lines))
        assert len(urls) >= 6
        assert fetch(urls[0]).status == 200
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert err == ""


# -- traps ----------------------------------------------------------------------


def _links_of(url: str) -> list[str]:
    page = fetch(url)
    assert page.status == 200, url
    return [urljoin(page.url, html.unescape(h)).split("#")[0] for h in parse_links(page).hrefs]


def test_every_trap_is_linked_from_an_ordinary_page(server: NewsWebServer, crawl: Crawl) -> None:
    from newstrail.newsweb import TRAP_KINDS

    sources = server.trap_sources
    assert set(sources) == set(TRAP_KINDS)
    for kind, source in sources.items():
        assert not server.is_trap_url(source)
        assert kind in {server.trap_of(u) for u in _links_of(source)}, kind
    # An ordinary crawl of the web runs into every kind of trap.
    assert set(crawl.traps.values()) == set(TRAP_KINDS)
    # ...and none of the pages it fetched is in one.
    assert not [u for u in crawl.statuses if server.is_trap_url(u)]


def test_calendar_goes_on_forever(server: NewsWebServer) -> None:
    url = next(u for u in _links_of(server.trap_sources["calendar"]) if "/calendar/" in u)
    seen = {url}
    for _ in range(6):
        page = fetch(url)
        assert page.status == 200 and "Events for" in page.text
        following = re.search(r'rel="next" href="([^"]+)"', page.text)
        assert following is not None
        url = urljoin(url, html.unescape(following.group(1)))
        assert server.trap_of(url) == "calendar" and url not in seen
        seen.add(url)
    far = server.url("citizentruth", "/calendar/9999/12/")
    assert fetch(far).status == 200 and 'rel="next"' not in fetch(far).text
    assert fetch(server.url("citizentruth", "/calendar/2020/13/")).status == 404


def test_pagination_never_ends(server: NewsWebServer) -> None:
    from newstrail.newsweb._traps import ENDLESS_PAGE_SIZE

    listed = server.web.listed_articles("capitalledger")
    last = -(-len(listed) // ENDLESS_PAGE_SIZE)
    real = fetch(server.url("capitalledger", f"/latest?page={last}"))
    assert listed[-1].title in html.unescape(real.text)
    assert server.trap_of(real.url) is None
    for page in (last + 1, last + 2, 500):
        url = server.url("capitalledger", f"/latest?page={page}")
        beyond = fetch(url)
        assert beyond.status == 200 and "No more stories" in beyond.text
        assert f"/latest?page={page + 1}" in beyond.text
        assert server.trap_of(url) == "pagination"


def test_facets_link_to_ever_more_combinations(server: NewsWebServer) -> None:
    url = next(u for u in _links_of(server.trap_sources["facets"]) if "/browse" in u)
    seen = {url}
    for step in ("filter=news", "filter=news,sport", "view=list", "page=2"):
        found = [u for u in _links_of(url) if "/browse" in u and u not in seen]
        assert len(found) >= 8, url
        assert all(server.trap_of(u) == "facets" for u in found)
        seen.update(found)
        # Filters stack and pages go on: every step opens combinations not seen before.
        url = next(u for u in found if step in u)
    assert fetch(server.url("mee", "/browse?sort=az&filter=sport&view=list&page=90")).status == 200


def test_session_ids_are_fresh_in_every_response(server: NewsWebServer) -> None:
    source = server.trap_sources["session"]
    first = {u for u in _links_of(source) if ";jsessionid=" in u}
    second = {u for u in _links_of(source) if ";jsessionid=" in u}
    assert first and second and not first & second
    variant = sorted(first)[0]
    assert server.trap_of(variant) == "session"
    page = fetch(variant)
    clean = variant.split(";")[0]
    assert page.status == 200 and parse_links(page).canonical == clean
    assert server.story_of(variant) == server.story_of(clean) is not None
    # The ETag leaves the session ids out, so conditional requests still work.
    etag = fetch(source).headers["ETag"]
    assert fetch(source, {"If-None-Match": etag}).status == 304


def test_redirect_loop(server: NewsWebServer) -> None:
    source = server.trap_sources["redirect_loop"]
    a = next(u for u in _links_of(source) if server.trap_of(u) == "redirect_loop")
    to_b = fetch(a, follow=False)
    assert to_b.status == 302
    b = to_b.headers["Location"]
    back = fetch(b, follow=False)
    assert back.status == 302 and back.headers["Location"] == a and b != a
    assert server.trap_of(b) == "redirect_loop"


def test_tracking_parameters_mint_new_urls(server: NewsWebServer) -> None:
    articles = [
        a for a in server.web.listed_articles("capitalledger") if a.related and a.copy_of is None
    ][:2]
    variants = []
    for article in articles:
        url = server.url("capitalledger", article.path)
        links = [u for u in _links_of(url) if "itm_content=" in u]
        assert len(links) == len(article.related)
        assert all(f"itm_content={article.number}" in u for u in links)
        variants.extend(links)
    assert all(server.trap_of(u) == "tracking" for u in variants)
    page = fetch(variants[0])
    assert parse_links(page).canonical == variants[0].split("?")[0]
    assert server.trap_of(server.url("capitalledger", "/world/x?utm_source=a")) == "tracking"


def test_request_log_flags_traps_and_robots(server: NewsWebServer) -> None:
    server.reset_log()
    urls = [
        server.url("citizentruth", "/calendar/2020/05/"),
        server.url("mee", "/about"),
        server.url("capitalledger", "/latest?page=1"),
        server.url("capitalledger", "/latest?page=999"),
        server.url("meridian", "/account/subscribe"),
        server.url("citizentruth", "/wp-admin/admin-ajax.php"),
        server.url("capitalledger", "/world/x?print=1"),
    ]
    for url in urls:
        fetch(url, follow=False)
    log = server.request_log
    assert [e.trap for e in log] == ["calendar", None, None, "pagination", None, None, None]
    assert [e.disallowed for e in log] == [False, False, False, False, True, False, True]
    assert all(server.is_trap(e) == (e.trap is not None) for e in log)
    assert all(server.is_disallowed(e) == e.disallowed for e in log)
    server.reset_log()


def test_robots_txt_asks_one_site_for_a_crawl_delay(server: NewsWebServer) -> None:
    assert server.crawl_delays == {"meridian": 0.2}
    robots = fetch(server.url("meridian", "/robots.txt")).text
    group = robots.split("\n\n")[0]
    assert "User-agent: *" in group and "Crawl-delay: 0.2" in group


# -- channels and syndication -----------------------------------------------------


def test_some_articles_are_only_in_a_feed_or_a_sitemap(server: NewsWebServer, crawl: Crawl) -> None:
    channels = {url: server.reachable_by(url) for url in server.truth}
    feed_only = [u for u, c in channels.items() if c == {"feed"}]
    sitemap_only = [u for u, c in channels.items() if c == {"sitemap"}]
    assert feed_only and sitemap_only
    for url in feed_only + sitemap_only:
        assert server.truth[url] == "on_topic"
        assert url not in crawl.linked, url
        assert crawl.statuses[url] == 200
    assert {crawl.fetched_from[u] for u in feed_only} == {"feed"}
    assert {crawl.fetched_from[u] for u in sitemap_only} == {"sitemap"}
    # Everything else is linked from some HTML page.
    assert all("link" in c for u, c in channels.items() if u not in feed_only + sitemap_only)
    assert sum(1 for c in channels.values() if "feed" in c) >= 6 * 20
    # A sitemap-only article on the agency site is in its Google News sitemap, titled.
    news = fetch(server.url("tigriswire", "/sitemaps/news.xml"))
    root = ET.fromstring(news.body)
    ns = {
        "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
        "n": "http://www.google.com/schemas/sitemap-news/0.9",
    }
    titled = {
        (u.findtext("s:loc", "", ns), u.findtext("n:news/n:title", "", ns))
        for u in root.findall("s:url", ns)
    }
    wire_only = [u for u in sitemap_only if u.startswith(server.base_urls["tigriswire"])]
    assert wire_only
    for url in wire_only:
        assert (url, server.article(url).title) in titled
        assert root.find(f"s:url[s:loc='{url}']/n:news/n:publication_date", ns) is not None
    assert server.reachable_by(server.url("mee", "/about")) == set()


def test_a_wire_story_is_republished_on_three_sites(server: NewsWebServer) -> None:
    [story] = server.syndicated
    original = server.article(story.original)
    texts = {u: visible_text(fetch(u).text) for u, _ in story.copies}
    sites = {urlsplit(u).netloc for u, _ in story.copies} | {urlsplit(story.original).netloc}
    assert len(sites) == 4
    assert {edit for _, edit in story.copies} == {"verbatim", "relede", "note"}
    first_sentence = original.paragraphs[0].split(". ")[0]
    for url, edit in story.copies:
        copy = server.article(url)
        assert server.story_of(url) == story.story == server.story_of(story.original)
        assert server.truth[url] == "on_topic"
        canonical = parse_links(fetch(url)).canonical
        assert canonical == (story.original if edit == "verbatim" else url)
        shared = [p for p in original.paragraphs[1:-1] if norm(p) in texts[url]]
        assert len(shared) == len(original.paragraphs) - 2, edit
        if edit == "relede":
            assert first_sentence not in copy.paragraphs[0]
            rest = original.paragraphs[0].partition(". ")[2]
            assert copy.paragraphs[0].endswith(rest)
            assert copy.paragraphs[0].startswith(original.standfirst.rstrip("."))
        if edit == "note":
            assert copy.paragraphs[0].startswith("Editor's note:")
    # The original announces its AMP page and links its print version.
    page = fetch(story.original)
    [amp] = story.amp
    assert f'<link rel="amphtml" href="{amp}">' in page.text
    [printable] = story.printable
    assert printable in {urljoin(story.original, h) for h in parse_links(page).hrefs}
    for variant in (amp, printable):
        fetched = fetch(variant)
        assert fetched.status == 200 and parse_links(fetched).canonical == story.original
        assert all(norm(p) in visible_text(fetched.text) for p in original.paragraphs)
        assert server.story_of(variant) == story.story
        assert not server.is_trap_url(variant)
    assert server.story_of(server.url("tigriswire", "/about")) is None
    assert len(server.on_topic_stories) == 30


def test_benchmark_scale(seeds: list[SeedArticle]) -> None:
    # bench/discovery.py's default web: about 1,500 pages and 120 on-topic stories.
    web = build_web(seeds, seed=0, scale=4)
    assert 1450 <= web.page_count() <= 1600
    stories = web.stories()
    assert sum(1 for label in stories.values() if label == "on_topic") == 120
    assert web.label_counts()["hard_negative"] == 40
    assert len(web.wire) == 4
    assert sum(1 for a in web.articles.values() if a.only == "feed") == 6
    assert sum(1 for a in web.articles.values() if a.only == "sitemap") == 6


def test_server_closes_at_once_with_an_idle_client_connected(web: NewsWeb) -> None:
    with NewsWebServer(web) as local:
        home = urlsplit(local.url("meridian", "/"))
        idle = socket.create_connection((home.hostname or "", home.port or 0))
        time.sleep(0.2)  # accepted, its handler waiting for a request line
        started = time.monotonic()
    try:
        # Without ending the open connections, the join waited the handler's 10 s.
        assert time.monotonic() - started < 2.0
    finally:
        idle.close()
