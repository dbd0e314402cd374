"""analyse_page: outlinks as Scrapy's LinkExtractor gives them, bounded work on huge pages."""

from __future__ import annotations

import resource
import time
import urllib.request

import pytest
from scrapy.http import HtmlResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS as SCRAPY_IGNORED

from newstrail.extract import ExtractionConfig, extract_article
from newstrail.newsweb import HostileSite, NewsWebServer
from newstrail.pagework import (
    DEFAULT_MAX_LINKS,
    IGNORED_EXTENSIONS,
    PageLink,
    analyse_page,
    css_requisites,
)
from newstrail.spiders.coverage import page_link_extractor


def _scrapy_links(body: bytes, url: str, content_type: str | None = None) -> list[PageLink]:
    headers = {"Content-Type": content_type} if content_type else {}
    response = HtmlResponse(url, body=body, headers=headers)
    return [
        PageLink(link.url, link.text.strip())
        for link in page_link_extractor().extract_links(response)
        if link.url.startswith(("http://", "https://"))
    ]


def test_ignored_extensions_are_scrapys() -> None:
    assert list(SCRAPY_IGNORED) == IGNORED_EXTENSIONS


EDGE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<base href="https://other.example/section/"><title>Edges</title></head><body>
<a href="  relative/page.html ">Relative, <b>nested</b> text </a>
<a href="relative/page.html">the same again</a>
<a href="/q?b=2&amp;a=1">query</a><a href="/q?a=1&amp;b=2">query reordered</a>
<a href="/doc.PDF">a pdf</a><a href="/feed.xml">feed</a><a href="/data.json">json</a>
<a href="/feed.rss">rss</a><a href="/photo.jpg?size=2">photo</a>
<a href="mailto:desk@news.example">mail</a><a href="javascript:void(0)">js</a>
<a href="ftp://files.example/x">ftp</a><a href="#top">top</a><a href="">empty</a>
<a>no href</a><map><area href="/map/area" alt="area"></map>
<a href="/caf\u00e9 menu?q=\u00fc">non-ascii</a><a href="http://[bad">bogus</a>
<a href="//cdn.example/path">protocol-relative</a><a href="/page#frag">fragment</a>
<a href="/page#frag2">other fragment</a><a href="HTTPS://Upper.Example/P">upper</a>
</body></html>"""


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (EDGE_PAGE.encode("utf-8"), "text/html; charset=utf-8"),
        (EDGE_PAGE.replace('<base href="https://other.example/section/">', "").encode(), None),
        (EDGE_PAGE.encode("cp1252", errors="replace"), "text/html; charset=cp1252"),
    ],
)
def test_links_equal_scrapys_on_edge_cases(body: bytes, content_type: str | None) -> None:
    url = "https://news.example/a/b/story.html"
    work = analyse_page(body, url, content_type=content_type)
    assert work.links == _scrapy_links(body, url, content_type)
    assert work.links_total == len(work.links)
    assert len(work.links) > 10


def test_links_equal_scrapys_on_the_news_web(newsweb: NewsWebServer) -> None:
    urls = sorted(newsweb.truth)[:40] + [newsweb.url(site) for site in newsweb.base_urls]
    compared = 0
    for url in urls:
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read()
            content_type = response.headers.get("Content-Type")
        if "html" not in (content_type or ""):
            continue
        work = analyse_page(body, url, content_type=content_type)
        assert work.links == _scrapy_links(body, url, content_type), url
        compared += 1
    assert compared >= 20


def test_links_are_capped_and_counted() -> None:
    body = (
        "<html><body>"
        + "".join(f'<a href="/l/{i}">item {i}</a>' for i in range(50))
        + "</body></html>"
    ).encode()
    work = analyse_page(body, "https://ex.org/", max_links=10)
    assert [link.url for link in work.links] == [f"https://ex.org/l/{i}" for i in range(10)]
    assert work.links_total == 50
    assert work.limits == ["links-capped"]


def test_feeds_are_found() -> None:
    body = (
        b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed">'
        b"</head><body><p>x</p></body></html>"
    )
    assert analyse_page(body, "https://ex.org/a").feeds == ["https://ex.org/feed"]


def test_utf8_page_with_a_stray_byte_stays_utf8() -> None:
    paragraph = (
        "<p>Caf\u00e9 society returned to the old quarter this summer, where na\u00efve"
        " newcomers and old regulars crowd the terraces until late every night.</p>"
    )
    page = (
        '<html><head><meta charset="utf-8"><title>Caf\u00e9 society</title></head><body>'
        f"<article><h1>Caf\u00e9 society</h1>{paragraph * 3}</article></body></html>"
    ).encode()
    at = page.index(b"returned")
    page = page[:at] + b"\xff" + page[at:]
    for content_type in (None, "text/html; charset=utf-8"):
        article = extract_article(page, "https://ex.org/cafe", content_type=content_type)
        assert article is not None
        assert article.title == "Caf\u00e9 society"
        assert "Caf\u00e9" in article.text and "na\u00efve" in article.text
        assert article.text.count("\ufffd") <= 1
        assert "\u00c3" not in article.text  # no mojibake


def test_http_charset_is_honoured() -> None:
    page = (
        "<html><head><title>R\u00e9sum\u00e9</title></head><body><p>"
        + "Les \u00e9lus ont vot\u00e9 le budget des \u00e9coles apr\u00e8s un long d\u00e9bat. "
        * 8
        + "</p></body></html>"
    ).encode("cp1252")
    article = extract_article(page, "https://ex.org/fr", content_type="text/html; charset=cp1252")
    assert article is not None
    assert article.title == "R\u00e9sum\u00e9"


def test_normal_pages_are_not_limited() -> None:
    script = "<script>" + "var x = 1;\n" * 200_000 + "</script>"
    page = (
        f"<html><head><title>Heavy scripts</title>{script}</head><body><article>"
        + "<p>The council met on Tuesday to discuss the new budget for the schools.</p>" * 10
        + "</article></body></html>"
    ).encode()
    assert len(page) > ExtractionConfig().max_html_bytes
    work = analyse_page(page, "https://ex.org/a")
    assert work.article is not None
    assert work.limits == []
    assert work.article.text.count("council met") == 10


def test_truncation_cuts_at_a_tag() -> None:
    config = ExtractionConfig(max_html_bytes=20_000)
    page = (
        "<html><head><title>Long</title></head><body><article>"
        + "".join(f"<p>Paragraph number {i} of a very long page of text.</p>" for i in range(2000))
        + "</article></body></html>"
    ).encode()
    article = extract_article(page, "https://ex.org/long", config)
    assert article is not None
    assert article.limits == ("html-truncated",)
    assert article.text.splitlines()[-1].endswith("of text.")


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_the_ticker_page_is_bounded() -> None:
    body = HostileSite("t", ["p"]).page("/ticker").body
    assert len(body) > 12_000_000
    before = _peak_rss_mib()
    started = time.monotonic()
    work = analyse_page(body, "https://t.example/ticker", content_type="text/html; charset=utf-8")
    seconds = time.monotonic() - started
    assert work.article is not None
    assert work.limits == ["html-truncated", "second-opinions-skipped"]
    assert seconds < 5
    assert _peak_rss_mib() - before < 300


def test_the_million_link_page_is_bounded() -> None:
    body = HostileSite("t", ["p"]).page("/links").body
    assert len(body) > 40_000_000
    before = _peak_rss_mib()
    started = time.monotonic()
    work = analyse_page(body, "https://t.example/links")
    seconds = time.monotonic() - started
    assert len(work.links) == DEFAULT_MAX_LINKS
    assert work.links_total > DEFAULT_MAX_LINKS
    assert work.links[0] == PageLink("https://t.example/l/0", "item 0")
    assert "html-truncated" in work.limits and "links-capped" in work.limits
    assert seconds < 15
    assert _peak_rss_mib() - before < 300


def test_unclosed_scripts_are_stripped_in_linear_time() -> None:
    page = b"<html><body><p>Start.</p>" + b"<script>var x;" * 300_000 + b"</body></html>"
    started = time.monotonic()
    work = analyse_page(page, "https://ex.org/scripts")
    assert time.monotonic() - started < 5
    assert work.limits == []  # nothing left to cut once the scripts are gone


def test_requisites_are_found_and_hostile_references_skipped() -> None:
    body = (
        b"<html><head><link rel=stylesheet href='/s.css'><link rel='shortcut icon' href=/f.ico>"
        b"<link rel=preload as=font href=/f.woff2><link rel=preload as=fetch href=/data.json>"
        b"<link rel=stylesheet href='http://[bad/x.css'>"
        b"<meta property='og:image' content='https://cdn.example/og.jpg'>"
        b"<script src=/app.js></script></head><body><article><p>Text.</p>"
        b"<img src=a.png srcset=',, b.png 2x , c.png 3x,'><img src='http://[::1/x.png'>"
        b"<a href='http://[::1/r.pdf'>bad</a><a href='/doc.PDF?dl=1#p2'>doc</a>"
        b"<img src='data:image/png;base64,AAAA'></article></body></html>"
    )
    work = analyse_page(body, "https://news.example/a/story.html")
    assert work.requisites == [
        "https://news.example/s.css",
        "https://news.example/f.ico",
        "https://news.example/f.woff2",
        "https://cdn.example/og.jpg",
        "https://news.example/app.js",
        "https://news.example/a/a.png",
        "https://news.example/a/b.png",
        "https://news.example/a/c.png",
        "https://news.example/doc.PDF?dl=1",
    ]
    css = b"a{background:url( 'i/bg.png' )}@import 'more.css';b{src:url(data:font/woff2;x)}"
    assert css_requisites(css, "https://news.example/css/site.css") == [
        "https://news.example/css/i/bg.png",
        "https://news.example/css/more.css",
    ]


def test_a_hostile_stylesheet_gives_no_requisites() -> None:
    # Unclosed references from start to end: each scan stops after 512 characters.
    for css in (b'url("' * 100_000, b"url(" * 130_000, b"@import '" + b"a" * 600_000):
        assert css_requisites(css, "https://news.example/s.css") == []


SCORED_PAGE = (
    "<html><head><title>US troops in Iraq: parliament votes to expel them</title>"
    '<meta property="article:published_time" content="2020-01-05T10:00:00Z"></head><body>'
    "<article><h1>US troops in Iraq: parliament votes to expel them</h1>"
    + "<p>Iraq's parliament voted on Sunday to expel the 5,200 US troops stationed in the"
    " country, after the strike that killed a general near Baghdad airport.</p>"
    * 6
    + '<a href="/world/iraq-troops-vote?utm_source=x">Troops vote</a>'
    '<a href="/calendar/2020/01/?day=3">Calendar</a>'
    '<a href="mailto:desk@news.example">Write to us</a>'
    '<a href="/sport/football">Football</a></article></body></html>'
).encode()


def test_a_scored_page_carries_what_the_crawler_would_compute() -> None:
    from newstrail.frontier import static_trap_reason
    from newstrail.pagework import PageScoring
    from newstrail.relevance import RelevanceModel
    from newstrail.stories import StoryIndex
    from newstrail.urls import canonical_url, not_coverage_reason

    url = "https://news.example/2020/01/05/iraq-vote"
    model = RelevanceModel(["Iraq parliament votes to expel US troops from the country"])
    work = analyse_page(SCORED_PAGE, url, scoring=PageScoring(model, generation=3))
    plain = analyse_page(SCORED_PAGE, url)
    assert work.article == plain.article and work.article is not None
    assert work.scored_by == 3
    assert work.relevance == model.score(work.article.text, work.article.title, work.article.date)
    index, other = StoryIndex(), StoryIndex()
    assert work.story is not None
    assert index.assign_sketch(url, work.story) == other.assign(url, work.article.text)
    assert [link.url for link in work.links] == [link.url for link in plain.links]
    for link in work.links:
        if not_coverage_reason(link.url) is not None:
            assert link.drop == "not-coverage" and link.score is None
        elif static_trap_reason(canonical_url(link.url)) is not None:
            assert link.drop == "trap" and link.score is None
        else:
            assert link.key == canonical_url(link.url)
            assert link.score == model.score_link(link.text, link.key)
    assert {link.drop for link in work.links} >= {None}


OFF_TOPIC_PAGE = (
    "<html><head><title>Local bakery wins the county bread prize</title></head><body>"
    "<nav><a href='/'>Home</a></nav><article><h1>Local bakery wins the county bread prize</h1>"
    + "<p>The bakery on the high street took first place for its sourdough loaf, judged"
    " by a panel of three bakers at the county show on Saturday afternoon.</p>"
    * 5
    + "</article><footer>Contact us</footer></body></html>"
).encode()


def test_only_pages_near_the_threshold_get_the_full_extraction() -> None:
    from newstrail.pagework import PageScoring
    from newstrail.relevance import RelevanceModel

    model = RelevanceModel(["Iraq parliament votes to expel US troops from the country"])
    scoring = PageScoring(model)
    url = "https://news.example/2020/01/05/page"
    # Off the story: the fast text is kept, and the limits say so.
    off = analyse_page(OFF_TOPIC_PAGE, url, scoring=scoring)
    assert off.article is not None and "fast-text" in off.limits
    assert "sourdough loaf" in off.article.text and off.article.date is None
    assert off.relevance is not None and not off.relevance.related
    # On the story: the full extraction, exactly as without scoring.
    on = analyse_page(SCORED_PAGE, url, scoring=scoring)
    assert on.article == analyse_page(SCORED_PAGE, url).article
    assert on.relevance is not None and on.relevance.related and "fast-text" not in on.limits
    # Asked for (a seed), or switched off for the crawl: the full extraction.
    full = analyse_page(OFF_TOPIC_PAGE, url).article
    assert analyse_page(OFF_TOPIC_PAGE, url, scoring=scoring, full=True).article == full
    no_fast = PageScoring(model, fast=False)
    assert analyse_page(OFF_TOPIC_PAGE, url, scoring=no_fast).article == full


def test_a_page_with_little_fast_text_gets_the_full_extraction() -> None:
    # A section front: resiliparse finds under 200 characters of main text; the full
    # extraction decides whether it holds an article (its score steers its links).
    from newstrail.pagework import PageScoring
    from newstrail.relevance import RelevanceModel

    listing = (
        "<html><head><title>World news</title></head><body><ul>"
        + "".join(f'<li><a href="/world/{i}">Headline {i}</a></li>' for i in range(30))
        + "</ul></body></html>"
    ).encode()
    url = "https://news.example/world/"
    model = RelevanceModel(["Iraq parliament votes to expel US troops from the country"])
    work = analyse_page(listing, url, scoring=PageScoring(model))
    assert "fast-text" not in work.limits
    assert work.article == analyse_page(listing, url).article
