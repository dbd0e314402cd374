"""Extraction on realistic pages built around the two seed articles.

The seed texts (body paragraphs only, one per blank-line-separated block) are read
from the repository's seeds/ folder; two page templates of different structure wrap
them in the boilerplate that the seed README lists, and the tests check that every
boilerplate line goes and every body paragraph stays.
"""

from __future__ import annotations

import html
import json
import pickle
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from newstrail.extract import Article, ExtractionConfig, extract_article, looks_like_html
from newstrail.extract_pool import ExtractionPool

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "iraq-us-troops"
CT_URL = (
    "https://citizentruth.org/"
    "breaking-iraq-says-us-military-has-20000-troops-in-iraq-and-they-have-immunity/"
)
CT_TITLE = "Exclusive: Iraq Says US Military Has 20,000 Troops in Iraq, And They Have Immunity"
MEE_URL = "https://www.middleeasteye.net/news/us-troops-iraq-when-do-they-become-occupation-force"
MEE_TITLE = "At what point do US troops in Iraq become an occupation force?"

# "- Name, role": the attribution line of a pull quote. An early copy of the MEE seed
# kept one ("- James Jeffery, US envoy") after its quote was removed; should one come
# back, it is boilerplate, not a body paragraph.
ATTRIBUTION = re.compile(r"^[-\u2013\u2014] [A-Z][^.]{0,60}$")


def seed_blocks(name: str) -> list[str]:
    text = (SEEDS / name).read_text(encoding="utf-8")
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", text) if block.strip()]


def body_paragraphs(name: str) -> list[str]:
    return [block for block in seed_blocks(name) if not ATTRIBUTION.match(block)]


def blocks(article: Article) -> list[str]:
    return [" ".join(block.split()) for block in article.text.split("\n\n")]


def is_heading(paragraph: str) -> bool:
    return len(paragraph) < 70 and not re.search(r"[.!?\"”]$", paragraph)


def esc(text: str) -> str:
    return html.escape(text, quote=False)


# --- Template A: a WordPress blog theme (citizentruth.org seed) -------------------

CT_PULL_QUOTE = (
    "It is shameful for the Iraqi prime minister to accept Trump\u2019s invitation after he "
    "made a mockery of the Iraqi government."
)
CT_BIO = (
    "Catherine is a Research Fellow at the Henry Jackson Society and a former consultant "
    "to the UN Security Council on Yemen. Her work has been published in the Times of "
    "Israel, the Jerusalem Post, the Daily Express, Epoch Times and countless other media."
)
CT_RELATED = [
    "Trump Makes Surprise Visit to US Troops in Iraq",
    "Iraqi Lawmakers Demand Answers Over US Military Presence",
    "Pentagon Confirms Syria Withdrawal Timeline",
]
CT_CAPTION = "US soldiers at Al Asad Air Base in Anbar province, Iraq. (Photo: US Army)"


def citizentruth_page(paragraphs: list[str], *, charset: str = "utf-8") -> str:
    """Blog theme: meta-tag metadata, figure, Gutenberg quote block as pull quote, and
    plugins appending related posts and an author box inside the post content."""
    body: list[str] = []
    for number, paragraph in enumerate(paragraphs):
        tag = "h2" if is_heading(paragraph) else "p"
        body.append(f"<{tag}>{esc(paragraph)}</{tag}>")
        if number == 6:
            body.append(
                f'<blockquote class="wp-block-quote"><p>{esc(CT_PULL_QUOTE)}</p>'
                "<p>- Hakim Al Zamili</p></blockquote>"
            )
    related = "".join(
        f'<div class="jp-relatedposts-post"><p class="jp-relatedposts-post-title">'
        f'<a href="/related-{n}/">{esc(title)}</a></p>'
        f'<p class="jp-relatedposts-post-date">December {20 + n}, 2018</p></div>'
        for n, title in enumerate(CT_RELATED)
    )
    menu = "".join(
        f'<li class="menu-item"><a href="/category/{slug.lower()}/">{slug}</a></li>'
        for slug in ("Politics", "World", "Economy", "Environment", "Opinion")
    )
    return f"""<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="{charset}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(CT_TITLE)} - Citizen Truth</title>
<link rel="canonical" href="{CT_URL}">
<meta property="og:type" content="article">
<meta property="og:title" content="{esc(CT_TITLE)} - Citizen Truth">
<meta property="og:site_name" content="Citizen Truth">
<meta property="article:published_time" content="2018-12-28T14:05:31+00:00">
<meta property="article:modified_time" content="2019-01-02T09:00:00+00:00">
<meta name="author" content="Catherine Perez-Shakdam">
<meta name="description"
  content="Iraqi officials say 20,000 US troops entered Iraq on diplomatic visas.">
</head>
<body class="post-template-default single single-post">
<div id="cookie-notice" role="dialog"><span>We use cookies to ensure that we give you the
best experience on our website.</span><a href="#" class="cn-button">Ok</a></div>
<div class="td-header-wrap">
  <div class="td-header-top-menu"><a href="/">Citizen Truth</a></div>
  <div class="td-search-wrap"><div class="td-search-form">
    <form method="get" action="/"><input name="s" type="text" value=""></form>
    <p class="td-search-label">Type to search</p></div></div>
  <nav class="td-header-menu-wrap"><ul class="sf-menu">{menu}</ul></nav>
</div>
<div class="td-main-content-wrap">
<article id="post-14837" class="post-14837 post type-post status-publish">
  <header class="td-post-title">
    <h1 class="entry-title">{esc(CT_TITLE)}</h1>
    <div class="td-module-meta-info">
      <div class="td-post-author-name">By
        <a href="/author/catherine/">Catherine Perez-Shakdam</a></div>
      <span class="td-post-date"><time class="entry-date updated"
        datetime="2018-12-28T14:05:31+00:00">December 28, 2018</time></span>
    </div>
  </header>
  <div class="td-post-content">
    <figure class="wp-block-image size-large">
      <img src="/wp-content/uploads/2018/12/us-troops-iraq.jpg" alt="">
      <figcaption>{esc(CT_CAPTION)}</figcaption></figure>
    {"".join(body)}
    <div id="jp-relatedposts" class="jp-relatedposts">
      <h3 class="jp-relatedposts-headline"><em>You Might also Like</em></h3>
      <div class="jp-relatedposts-items">{related}</div>
    </div>
    <div class="saboxplugin-wrap"><div class="saboxplugin-gravatar">
      <img src="/avatar/catherine.jpg" alt=""></div>
      <div class="saboxplugin-name"><a href="/author/catherine/">Catherine Perez-Shakdam</a></div>
      <div class="saboxplugin-desc"><p>{esc(CT_BIO)}</p></div>
    </div>
  </div>
</article>
<div id="comments" class="comments-area">
<div id="respond" class="comment-respond">
  <h3 id="reply-title" class="comment-reply-title">Leave a Comment</h3>
  <form action="/wp-comments-post.php" method="post" id="commentform">
    <p class="comment-notes">Your email address will not be published.
    Required fields are marked *</p>
    <p><textarea id="comment" name="comment"></textarea></p>
    <p><input id="author" name="author" type="text">
    <input id="email" name="email" type="email"></p>
    <p class="form-submit"><input name="submit" type="submit" value="Post Comment"></p>
  </form>
</div></div>
</div>
<footer class="td-footer-wrapper"><p>Copyright © 2018 Citizen Truth. All rights reserved.</p>
<ul><li><a href="/about/">About us</a></li><li><a href="/contact/">Contact</a></li></ul></footer>
</body>
</html>
"""


# --- Template B: a Drupal news site (Middle East Eye seed) ------------------------

MEE_PULL_QUOTES = [
    ("If we leave, that would mean that Iran would have a much bigger foothold", "- Donald Trump"),
    (
        "They asked for negotiators to talk about the terms of withdrawal, which is "
        "understood or implied that the Iraqis want the US troops out, but they want to do "
        "it amicably",
        "- Abbas Kadhim, Atlantic Council",
    ),
    (
        "Any conversations that the Iraqis want to have with us about the United States in "
        "Iraq, we believe should and must cover the entire gamut of our relationship",
        "- James Jeffery, US envoy",
    ),
]
MEE_CAPTION = "Thousands of Iraqis gather in Baghdad on Friday to call for US withdrawal (Reuters)"
MEE_NEWSLETTER = [
    "Stay informed with MEE's newsletters",
    "Sign up to get the latest alerts, insights and analysis, starting with Turkey Unpacked",
]
MEE_TEASER = "'Withdraw or prepare coffins': Thousands protest in Iraq against US troop presence"
MEE_BLURB = (
    "Middle East Eye delivers independent and unrivalled coverage and analysis of the "
    "Middle East, North Africa and beyond. To learn more about republishing this content "
    "and the associated fees, please fill out this form. More about MEE can be found here."
)


def mee_page(paragraphs: list[str]) -> str:
    """News site: JSON-LD metadata, relative canonical link, standfirst, caption,
    newsletter box and teaser inside the body, blockquote pull quotes with a footer
    attribution, publisher blurb closing the article."""
    standfirst, *rest = paragraphs
    body: list[str] = []
    quotes = iter(MEE_PULL_QUOTES)
    for number, paragraph in enumerate(rest):
        if is_heading(paragraph):
            body.append(f"<h2>{esc(paragraph)}</h2>")
        else:
            body.append(f"<p>{esc(paragraph)}</p>")
        if number == 4:
            body.append(
                '<div class="block block-mee-inline"><div class="field-label">'
                f"{esc(MEE_NEWSLETTER[0])}</div><p>{esc(MEE_NEWSLETTER[1])}</p>"
                '<form class="mailing"><input type="email" placeholder="Email address">'
                "<button>Subscribe</button></form></div>"
            )
        if number in (8, 15, 26):
            quote, attribution = next(quotes)
            body.append(
                f'<blockquote class="pull-quote"><p>{esc(quote)}</p>'
                f"<footer>{esc(attribution)}</footer></blockquote>"
            )
        if number == 36:
            body.append(
                '<div class="node node--view-mode-inline"><h3>'
                f'<a href="/news/iraq-protest-us-troops">{esc(MEE_TEASER)}</a></h3>'
                '<a class="more" href="/news/iraq-protest-us-troops">Read More »</a></div>'
            )
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": MEE_TITLE,
        "datePublished": "2020-01-17T17:04:00+00:00",
        "dateModified": "2020-01-18T09:00:00+00:00",
        "author": [{"@type": "Person", "name": "Ali Harb"}],
        "publisher": {"@type": "Organization", "name": "Middle East Eye"},
        "description": standfirst,
    }
    return f"""<!DOCTYPE html>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<title>{esc(MEE_TITLE)} | Middle East Eye</title>
<link rel="canonical" href="/news/us-troops-iraq-when-do-they-become-occupation-force">
<meta property="og:title" content="{esc(MEE_TITLE)}">
<meta property="og:site_name" content="Middle East Eye">
<script type="application/ld+json">{json.dumps(ld)}</script>
</head>
<body class="path-node page-node-type-article">
<a href="#main-content" class="visually-hidden focusable skip-link">Skip to main content</a>
<div class="dialog-off-canvas-main-canvas">
<header class="site-header"><a class="logo" href="/">MEE</a>
<ul class="main-menu"><li><a href="/news">News</a></li><li><a href="/opinion">Opinion</a></li>
<li><a href="/explainers">Explainers</a></li><li><a href="/video">Video</a></li></ul></header>
<main id="main-content" role="main">
<article class="node node--type-article">
  <div class="article-header">
    <h1 class="page-title">{esc(MEE_TITLE)}</h1>
    <p class="field--name-field-sub-title">{esc(standfirst)}</p>
  </div>
  <div class="field--name-field-image">
    <picture><img src="/img/baghdad-protest.jpg" alt=""></picture>
    <div class="image-caption">{esc(MEE_CAPTION)}</div></div>
  <div class="article-author">
    <span>By <a href="/users/ali-harb">Ali Harb</a></span> in Washington</div>
  <div class="article-date"><span>Published date: 17 January 2020 17:04 UTC</span></div>
  <div class="field--name-body">
    {"".join(body)}
    <div class="mee-info"><p>{esc(MEE_BLURB)}</p></div>
  </div>
</article>
</main>
<footer class="site-footer"><p>© Middle East Eye 2020 - All rights reserved</p>
<ul><li><a href="/terms">Terms of use</a></li><li><a href="/privacy">Privacy</a></li></ul></footer>
</div>
</body>
</html>
"""


# --- Template C: flat markup, every block a sibling in one container --------------

# Print views and older CMS templates put everything (furniture included) as sibling
# paragraphs in one container, so trafilatura keeps most of it: this template checks
# our own filters, block by block.


def flat_page(seed: str, paragraphs: list[str]) -> str:
    """One container of sibling blocks, in the order the seed dumps show them."""
    p = [
        f"<p>{esc(text)}</p>" if not is_heading(text) else f"<h2>{esc(text)}</h2>"
        for text in paragraphs
    ]
    if seed == "citizentruth":
        head = (
            "<title>Exclusive: Iraq Says US Military Has 20,000 Troops in Iraq</title>"
            '<meta property="og:site_name" content="Citizen Truth">'
            '<meta name="author" content="Catherine Perez-Shakdam">'
        )
        related = "".join(f'<p><a href="/r{n}">{esc(t)}</a></p>' for n, t in enumerate(CT_RELATED))
        blocks_ = [
            "<p>Type to search</p>",
            f"<h1>{esc(CT_TITLE)}</h1>",
            *p[:7],
            f"<blockquote><p>{esc(CT_PULL_QUOTE)}</p></blockquote><p>- Hakim Al Zamili</p>",
            *p[7:],
            '<p><a href="/author/catherine/">Catherine Perez-Shakdam</a></p>',
            f"<p>{esc(CT_BIO)}</p>",
            "<h3>You Might also Like</h3>",
            related,
            "<h3>Leave a Comment</h3>",
            "<p>Your email address will not be published. Required fields are marked *</p>",
        ]
    else:
        head = (
            f"<title>{esc(MEE_TITLE)}</title>"
            '<meta property="og:site_name" content="Middle East Eye">'
            '<meta name="author" content="Ali Harb">'
        )
        quotes = [
            f"<blockquote><p>{esc(q)}</p></blockquote><p>{esc(a)}</p>" for q, a in MEE_PULL_QUOTES
        ]
        blocks_ = [
            '<p><a href="#main">Skip to main content</a></p>',
            f"<h1>{esc(MEE_TITLE)}</h1>",
            p[0],
            '<div class="wp-caption"><img src="/a.jpg" alt="">'
            f'<p class="wp-caption-text">{esc(MEE_CAPTION)}</p></div>',
            '<p>By <a href="/users/ali-harb">Ali Harb</a> in Washington</p>',
            *p[1:6],
            f"<h3>{esc(MEE_NEWSLETTER[0])}</h3><p>{esc(MEE_NEWSLETTER[1])}</p>",
            *p[6:10],
            quotes[0],
            *p[10:17],
            quotes[1],
            *p[17:27],
            quotes[2],
            *p[27:37],
            f'<p><a href="/news/protest">{esc(MEE_TEASER)}</a></p>'
            '<p><a href="/news/protest">Read More »</a></p>',
            *p[37:],
            f"<p>{esc(MEE_BLURB)}</p>",
        ]
    return page(head, f'<div class="content">{"".join(blocks_)}</div>')


@dataclass
class Case:
    name: str
    url: str
    page: str
    paragraphs: list[str]
    boilerplate: list[str]  # must not appear anywhere in the text
    pull_quotes: list[str]  # repeat body text: must not stand as blocks of their own
    not_blocks: list[str]  # other texts that must not stand as blocks


@pytest.fixture(scope="module")
def cases() -> dict[str, Case]:
    ct = body_paragraphs("000-citizentruth.txt")
    mee = body_paragraphs("001-middleeasteye.txt")
    cases = {
        "citizentruth": Case(
            "citizentruth",
            CT_URL,
            citizentruth_page(ct),
            ct,
            boilerplate=[
                "Type to search",
                "You Might also Like",
                "Leave a Comment",
                "Your email address will not be published",
                "Required fields are marked",
                CT_BIO,
                CT_CAPTION,
                *CT_RELATED,
                "We use cookies",
                "- Hakim Al Zamili",
            ],
            pull_quotes=[CT_PULL_QUOTE],
            not_blocks=["Catherine Perez-Shakdam", CT_TITLE],
        ),
        "middleeasteye": Case(
            "middleeasteye",
            MEE_URL,
            mee_page(mee),
            mee,
            boilerplate=[
                "Skip to main content",
                *MEE_NEWSLETTER,
                MEE_CAPTION,
                MEE_TEASER,
                "Read More",
                "Middle East Eye delivers independent and unrivalled coverage",
                "- Donald Trump",
                "- Abbas Kadhim",
                "- James Jeffery",
                "By Ali Harb",
            ],
            pull_quotes=[quote for quote, _ in MEE_PULL_QUOTES],
            not_blocks=[MEE_TITLE],
        ),
    }
    for name in ("citizentruth", "middleeasteye"):
        case = cases[name]
        cases[f"{name}-flat"] = Case(
            f"{name}-flat",
            case.url,
            flat_page(name, case.paragraphs),
            case.paragraphs,
            boilerplate=[line for line in case.boilerplate if line != "We use cookies"],
            pull_quotes=case.pull_quotes,
            not_blocks=case.not_blocks,
        )
    return cases


@pytest.fixture(scope="module")
def extracted(cases: dict[str, Case]) -> dict[str, Article]:
    results = {}
    for name, case in cases.items():
        article = extract_article(case.page.encode("utf-8"), case.url)
        assert article is not None, name
        results[name] = article
    return results


CASE_NAMES = ["citizentruth", "middleeasteye", "citizentruth-flat", "middleeasteye-flat"]


def test_seed_texts_are_body_paragraphs(cases: dict[str, Case]) -> None:
    assert len(body_paragraphs("000-citizentruth.txt")) == 11
    assert len(body_paragraphs("001-middleeasteye.txt")) > 40
    for case in cases.values():
        seed = "\n".join(case.paragraphs)
        assert not [line for line in case.boilerplate if line.strip() in seed]


def test_pull_quotes_repeat_the_body(cases: dict[str, Case]) -> None:
    # The templates' pull quotes are genuine: each repeats text of a body paragraph.
    for case in cases.values():
        for quote in case.pull_quotes:
            assert any(quote in paragraph for paragraph in case.paragraphs), quote


@pytest.mark.parametrize("name", CASE_NAMES)
def test_every_body_paragraph_stays(
    name: str, cases: dict[str, Case], extracted: dict[str, Article]
) -> None:
    got = blocks(extracted[name])
    missing = [p for p in cases[name].paragraphs if p not in got]
    assert not missing
    # ... and in the order of the article.
    positions = [got.index(p) for p in cases[name].paragraphs]
    assert positions == sorted(positions)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_boilerplate_goes(name: str, cases: dict[str, Case], extracted: dict[str, Article]) -> None:
    article = extracted[name]
    present = [line for line in cases[name].boilerplate if line in article.text]
    assert not present
    got = blocks(article)
    standing = [line for line in cases[name].pull_quotes + cases[name].not_blocks if line in got]
    assert not standing
    # Some of it was trafilatura's doing, the pull quotes at least were ours.
    assert article.boilerplate_removed >= len(cases[name].pull_quotes)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_text_is_exactly_the_body(
    name: str, cases: dict[str, Case], extracted: dict[str, Article]
) -> None:
    # Nothing but the body paragraphs: no leftover byline, date, menu or footer line.
    assert blocks(extracted[name]) == cases[name].paragraphs


def test_metadata_from_meta_tags(extracted: dict[str, Article]) -> None:
    article = extracted["citizentruth"]
    assert article.title == CT_TITLE
    assert article.author == "Catherine Perez-Shakdam"
    assert article.date == "2018-12-28"
    assert article.date_source == "meta"
    assert article.sitename == "Citizen Truth"
    assert article.language == "en"
    assert article.canonical_url == CT_URL
    assert (
        article.description
        == "Iraqi officials say 20,000 US troops entered Iraq on diplomatic visas."
    )


def test_metadata_from_json_ld(cases: dict[str, Case], extracted: dict[str, Article]) -> None:
    article = extracted["middleeasteye"]
    assert article.title == MEE_TITLE
    assert article.author == "Ali Harb"
    assert article.date == "2020-01-17"
    assert article.date_source == "json-ld"
    assert article.sitename == "Middle East Eye"
    assert article.language == "en"
    assert article.description == cases["middleeasteye"].paragraphs[0]


def test_canonical_url_made_absolute(extracted: dict[str, Article]) -> None:
    assert extracted["middleeasteye"].canonical_url == (
        "https://www.middleeasteye.net/news/us-troops-iraq-when-do-they-become-occupation-force"
    )


def page(head: str, body: str, *, lang: str = "en") -> str:
    return f'<!DOCTYPE html><html lang="{lang}"><head>{head}</head><body>{body}</body></html>'


ARTICLE_BODY = "".join(
    f"<p>{esc(p)}</p>" for p in body_paragraphs("000-citizentruth.txt") if not is_heading(p)
)


def test_og_url_when_no_canonical_link_and_dates_from_the_url() -> None:
    html_page = page(
        '<meta property="og:url" content="/2019/03/05/story/">'
        "<title>Troops in Iraq - Example News</title>",
        f"<article><h1>Troops in Iraq</h1>{ARTICLE_BODY}</article>",
    )
    article = extract_article(html_page, "http://news.example.org/2019/03/05/story/?utm=x")
    assert article is not None
    assert article.canonical_url == "http://news.example.org/2019/03/05/story/"
    assert (article.date, article.date_source) == ("2019-03-05", "url")
    assert article.title == "Troops in Iraq"


def test_title_without_site_suffix_and_json_ld_graph_author() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "@id": "https://ex.org/#site", "name": "Example Post"},
            {
                "@type": ["Article"],
                "headline": "Iraq says US troops have immunity",
                "author": {"@id": "https://ex.org/#/person/1"},
                "datePublished": "2018-12-30",
            },
            {"@type": "Person", "@id": "https://ex.org/#/person/1", "name": "Jane Doe"},
        ],
    }
    html_page = page(
        "<title>Iraq says US troops have immunity | Example Post</title>"
        f'<script type="application/ld+json">{json.dumps(graph)}</script>',
        f"<div class='content'>{ARTICLE_BODY}</div>",
    )
    article = extract_article(html_page, "https://ex.org/iraq-immunity")
    assert article is not None
    assert article.title == "Iraq says US troops have immunity"
    assert article.author == "Jane Doe"
    assert (article.date, article.date_source) == ("2018-12-30", "json-ld")
    assert article.sitename == "Example Post"
    assert article.canonical_url is None


def test_undeclared_date_shown_under_the_headline_and_logo_h1_skipped() -> None:
    html_page = page(
        "<title>Where are American troops? - The Daily Example</title>",
        '<header><h1 class="logo">The Daily Example</h1></header><main>'
        "<h2>Where are American troops?</h2><p class='meta'>Published December 28, 2018</p>"
        f"{ARTICLE_BODY}</main>",
    )
    article = extract_article(html_page, "https://daily.example.com/where-are-american-troops")
    assert article is not None
    assert (article.date, article.date_source) == ("2018-12-28", "byline")
    assert article.title == "Where are American troops?"
    assert article.sitename == "daily.example.com"


def test_links_only_page_is_not_an_article() -> None:
    headlines = [
        f"Iraq news roundup number {n}: lawmakers, troops and the road ahead" for n in range(40)
    ]
    items = "".join(f'<li><a href="/news/story-{n}">{h}</a></li>' for n, h in enumerate(headlines))
    html_page = page(
        "<title>News - Example</title>",
        f"<nav><a href='/'>Home</a></nav><main><h1>Latest news</h1><ul>{items}</ul></main>",
    )
    assert extract_article(html_page, "https://news.example.org/news/") is None


def test_short_or_empty_pages_are_not_articles() -> None:
    assert extract_article(b"", "https://ex.org/") is None
    assert extract_article("   ", "https://ex.org/") is None
    assert (
        extract_article(page("<title>Hi</title>", "<p>Hello there.</p>"), "https://ex.org/") is None
    )
    strict = ExtractionConfig(min_text_length=10_000)
    assert (
        extract_article(citizentruth_page(body_paragraphs("000-citizentruth.txt")), CT_URL, strict)
        is None
    )


@pytest.mark.parametrize("declared", ["windows-1252", "iso-8859-1"])
def test_legacy_charset_is_decoded(declared: str) -> None:
    paragraphs = body_paragraphs("000-citizentruth.txt")
    raw = citizentruth_page(paragraphs, charset=declared).encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    article = extract_article(raw, CT_URL)
    assert article is not None
    assert blocks(article) == paragraphs
    assert "America\u2019s presence moot" in article.text


def test_utf8_wins_over_a_wrong_declaration_and_bom_is_honoured() -> None:
    paragraphs = body_paragraphs("000-citizentruth.txt")
    mislabelled = citizentruth_page(paragraphs, charset="iso-8859-1").encode("utf-8")
    article = extract_article(mislabelled, CT_URL)
    assert article is not None and blocks(article) == paragraphs
    utf16 = citizentruth_page(paragraphs, charset="utf-16").encode("utf-16")
    article = extract_article(utf16, CT_URL)
    assert article is not None and blocks(article) == paragraphs


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("text/html; charset=utf-8", b"<!DOCTYPE html><html><head>", True),
        ("application/xhtml+xml", b'<?xml version="1.0"?>\n<html xmlns="x">', True),
        (None, b"\n  <!doctype html><html>", True),
        ("", b"<!-- generated --><html lang='en'>", True),
        ("application/octet-stream", b"<html><body>", True),
        ("text/plain", b"\xef\xbb\xbf<!DOCTYPE HTML>", True),
        ("text/html", b"%PDF-1.7\n%\xe2\xe3", False),
        ("application/pdf", b"%PDF-1.4", False),
        ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF", False),
        (None, b"\x89PNG\r\n\x1a\n", False),
        ("application/rss+xml", b'<?xml version="1.0"?><rss version="2.0">', False),
        ("text/xml", b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">', False),
        ("application/xml", b'<?xml version="1.0"?><urlset xmlns="x">', False),
        ("text/html; charset=utf-8", b'<?xml version="1.0"?>\n<rss version="2.0">', False),
        ("application/json", b'{"articles": []}', False),
        ("text/html", b'{"error": "not found"}', False),
        ("text/plain", b"Just some words, no markup.", False),
        ("text/css", b"body { color: red }", False),
    ],
)
def test_looks_like_html(content_type: str | None, body: bytes, expected: bool) -> None:
    assert looks_like_html(content_type, body) is expected


def test_filters_can_be_switched_off(cases: dict[str, Case]) -> None:
    case = cases["middleeasteye"]
    raw = extract_article(case.page, case.url, ExtractionConfig(post_filters=False))
    assert raw is not None
    assert raw.boilerplate_removed == 0
    filtered = extract_article(case.page, case.url)
    assert filtered is not None
    assert filtered.boilerplate_removed > 0
    assert len(raw.text) > len(filtered.text)


def test_extraction_pool_gives_the_same_articles(cases: dict[str, Case]) -> None:
    chosen = [cases["citizentruth"], cases["middleeasteye"]]
    with ExtractionPool(workers=2) as pool:
        futures = [pool.submit(case.page.encode("utf-8"), case.url) for case in chosen]
        futures.append(pool.submit(b"", "https://ex.org/"))
        results = [future.result(timeout=120).article for future in futures]
    assert results[:2] == [extract_article(case.page.encode("utf-8"), case.url) for case in chosen]
    assert results[2] is None
    with pytest.raises(RuntimeError, match="closed"):
        pool.submit(b"<html></html>", "https://ex.org/")


def test_extraction_pool_starts_in_the_background(cases: dict[str, Case]) -> None:
    case = cases["middleeasteye"]
    with ExtractionPool(workers=2) as pool:
        started = time.monotonic()
        pool.start()
        assert time.monotonic() - started < 0.5  # the caller never waits for workers
        deadline = started + 120
        while not pool.ready and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool.ready
        article = pool.submit(case.page.encode("utf-8"), case.url).result(timeout=60).article
    assert article == extract_article(case.page.encode("utf-8"), case.url)
    assert not pool.ready


def test_article_pickles(extracted: dict[str, Article]) -> None:
    article = extracted["middleeasteye"]
    assert pickle.loads(pickle.dumps(article)) == article


def ld(data: dict[str, object]) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_date_and_byline_shown_under_the_headline() -> None:
    # The page shows a date and a byline the declarations do not give: the organisation
    # credited as author gives way to the person, the shown date is the article's.
    html_page = page(
        "<title>Iraq votes to expel US troops | Example News</title>"
        + ld(
            {
                "@type": "NewsArticle",
                "headline": "Iraq votes to expel US troops",
                "author": {"@type": "Organization", "name": "Example News"},
                "publisher": {"@type": "Organization", "name": "Example News"},
            }
        ),
        "<main><h1>Iraq votes to expel US troops</h1>"
        "<div class='meta'><span>By</span> <a href='/staff/jane'>Jane Doe</a>"
        "<time datetime='2020-01-05T10:00:00Z'>Jan. 5, 2020</time></div>"
        f"{ARTICLE_BODY}</main>",
    )
    article = extract_article(html_page, "https://news.example.com/iraq-expel")
    assert article is not None
    assert article.author == "Jane Doe"
    assert (article.date, article.date_source) == ("2020-01-05", "byline")
    assert article.title == "Iraq votes to expel US troops"
    assert "Jane Doe" not in article.text


def test_an_update_shown_defers_to_the_declared_publication_date() -> None:
    head = (
        "<title>Troops stay in Iraq</title>"
        '<meta property="article:published_time" content="2019-03-02T08:00:00Z">'
    )
    shown = "<p class='byline'>Written by Ann Lee and Bo Park</p><p>Updated 4/7/2019</p>"
    article = extract_article(
        page(head, f"<h1>Troops stay in Iraq</h1>{shown}{ARTICLE_BODY}"),
        "https://news.example.com/troops-stay",
    )
    assert article is not None
    assert (article.date, article.date_source) == ("2019-03-02", "meta")
    assert article.author == "Ann Lee and Bo Park"
    # Without the declaration, the date shown is the one there is (month first).
    article = extract_article(
        page(
            "<title>Troops stay in Iraq</title>",
            f"<h1>Troops stay in Iraq</h1>{shown}{ARTICLE_BODY}",
        ),
        "https://news.example.com/troops-stay",
    )
    assert article is not None
    assert (article.date, article.date_source) == ("2019-04-07", "byline")


def test_declared_names_keep_the_bylines_wording() -> None:
    html_page = page(
        '<title>Troops stay in Iraq</title><meta name="author" content="Ann Lee, Bo Park">',
        f"<h1>Troops stay in Iraq</h1><p>By Ann Lee and Bo Park</p>{ARTICLE_BODY}",
    )
    article = extract_article(html_page, "https://news.example.com/troops-stay")
    assert article is not None
    assert article.author == "Ann Lee and Bo Park"


@pytest.mark.parametrize(
    ("head_title", "h1", "expected"),
    [
        # The site name is the title's suffix even when it is the longer part.
        ("Iraq - University of Example Press", "Iraq", "Iraq"),
        # A " | Section" tail on the visible headline is not part of it.
        ("Troops stay | Opinion | Example", "Troops stay | Opinion", "Troops stay"),
        # An <h1> sharing no word with the declared title is a section heading.
        ("Troops stay in Iraq | Example", "Our Blog", "Troops stay in Iraq"),
        # A date or byline printed in the <h1> is not part of the headline...
        ("Troops stay in Iraq | Example", "Dec 18 2025 Troops stay in Iraq", "Troops stay in Iraq"),
        (
            "Troops stay in Iraq",
            "Troops stay in Iraq Posted on May 2, 2024 by ann",
            "Troops stay in Iraq",
        ),
        # ... nor is a kicker the declared titles do not have.
        ("Troops stay in Iraq | Example", "Blog: Troops stay in Iraq", "Troops stay in Iraq"),
    ],
)
def test_headline_choice(head_title: str, h1: str, expected: str) -> None:
    html_page = page(f"<title>{esc(head_title)}</title>", f"<h1>{esc(h1)}</h1>{ARTICLE_BODY}")
    article = extract_article(html_page, "https://example.org/troops")
    assert article is not None
    assert article.title == expected


CT_PARAGRAPHS = [p for p in body_paragraphs("000-citizentruth.txt") if not is_heading(p)]


def paragraphs_html(texts: list[str]) -> str:
    return "".join(f"<p>{esc(text)}</p>" for text in texts)


def extract_story(body: str) -> Article:
    """The article extracted from a page whose <article> holds ``body`` (HTML)."""
    html_page = page("<title>Troops stay in Iraq</title>", f"<article>{body}</article>")
    article = extract_article(html_page, "https://news.example.com/troops-stay")
    assert article is not None
    return article


def story_blocks(body: str) -> list[str]:
    return extract_story(body).text.split("\n\n")


def test_teaser_links_in_body_paragraphs_go() -> None:
    teaser = "READ MORE: Iraq's parliament votes to expel foreign troops"
    plain = "Related: the ministry's own figures, published in March, show the same trend."
    blocks = story_blocks(
        paragraphs_html(CT_PARAGRAPHS[:3])
        + '<p><strong>READ MORE: <a href="/iraq-vote">'
        + "Iraq's parliament votes to expel foreign troops</a></strong></p>"
        + paragraphs_html([plain, *CT_PARAGRAPHS[3:]])
    )
    # A prefixed line is a teaser when a link follows the prefix, even inside the body.
    assert teaser not in blocks
    assert plain in blocks


def test_mojibake_is_repaired() -> None:
    # A template storing UTF-8 read as Latin-1: the page is valid UTF-8, its text is not.
    def broken(text: str) -> str:
        return text.encode("utf-8").decode("latin-1")

    title = "Iraq\u2019s parliament votes \u2014 again"
    paragraphs = list(CT_PARAGRAPHS)
    paragraphs[1] = "The café owner said: \u201cWe\u2019re staying.\u201d São Paulo agreed."
    html_page = page(
        f"<title>{esc(broken(title))}</title>",
        f"<article><h1>{esc(broken(title))}</h1>"
        + paragraphs_html([broken(p) for p in paragraphs])
        + "</article>",
    )
    article = extract_article(html_page.encode("utf-8"), "https://news.example.com/vote")
    assert article is not None
    assert article.title == title
    assert paragraphs[1] in article.text.split("\n\n")


def test_repeated_lines_structure_stays_promos_go() -> None:
    promo = "Our reporters have covered the war in Iraq since the first day of the invasion."
    subheading = "Pros and cons of the plan"
    body = ""
    for n, paragraph in enumerate(CT_PARAGRAPHS):
        if n % 4 == 1:
            body += f"<h3>{subheading}</h3>"
        body += paragraphs_html([paragraph, promo] if n % 4 == 2 else [paragraph])
    blocks = story_blocks(body)
    # The same short subheading for every section is structure; a sentence printed
    # again and again is a template's promo: its first copy stays.
    assert blocks.count(subheading) == len(range(1, len(CT_PARAGRAPHS), 4)) > 1
    assert blocks.count(promo) == 1


def test_tag_lists_go() -> None:
    tags = ["Iraq war", "US troops", "Middle East policy"]
    links = ", ".join(f'<a href="/tag/{n}">{tag}</a>' for n, tag in enumerate(tags))
    text = extract_story(
        f"{ARTICLE_BODY}<h4>Tags</h4><p>{links}</p><p>Filed under: Iraq | Politics</p>"
    ).text
    assert not [tag for tag in [*tags, "Tags", "Filed under"] if tag in text]


def test_contact_lines_closing_the_article_go() -> None:
    contact = [
        "Write to Jane Doe at jane.doe@news.example.com",
        "Follow Example News on Facebook, Twitter and Instagram.",
    ]
    # Prose mentioning an address, further up, stays.
    inside = "Readers wrote to tips@news.example.com with more than a thousand questions."
    blocks = story_blocks(
        paragraphs_html([*CT_PARAGRAPHS[:2], inside, *CT_PARAGRAPHS[2:], *contact])
    )
    assert inside in blocks
    assert not [line for line in contact if line in blocks]


def test_shouted_link_paragraphs_are_promos() -> None:
    promo = "SENATOR OPENS UP ABOUT HER YEARS IN BAGHDAD"
    heading = "WHAT HAPPENS TO THE TROOPS NEXT"
    blocks = story_blocks(
        paragraphs_html(CT_PARAGRAPHS[:3])
        + f'<p><strong><a href="/senator-baghdad">{promo}</a></strong></p>'
        + f'<h2><a href="#next">{heading}</a></h2>'
        + paragraphs_html(CT_PARAGRAPHS[3:])
    )
    assert promo not in blocks
    assert heading in blocks


def test_share_and_comment_furniture_goes() -> None:
    furniture = [
        "Like this story? Share it with a friend!",
        "Tell us what YOU think...",
        "Comments",
        "Subscribe to the Example News YouTube Channel for all of the latest videos!",
    ]
    blocks = story_blocks(
        paragraphs_html([*CT_PARAGRAPHS, *furniture])
        + "<ul><li>Order Reprints</li><li>Print Article</li></ul>"
    )
    assert blocks[-1] == CT_PARAGRAPHS[-1]


def test_copyright_notice_and_citation_box_go() -> None:
    closing = [
        "Citation: Troops stay in Iraq (2019, March 2) retrieved 4 March 2019 from "
        "https://news.example.com/troops-stay",
        "This document is subject to copyright. Apart from any fair dealing for the purpose "
        "of private study or research, no part may be reproduced without written permission.",
    ]
    assert story_blocks(paragraphs_html([*CT_PARAGRAPHS, *closing]))[-1] == CT_PARAGRAPHS[-1]


def test_timestamp_lines_go() -> None:
    stamps = [
        "July 29, 2025",
        "Updated at 1:23 p.m.",
        "Posted Jan. 3, 2019 at 3:08 PM | Updated Nov. 22, 2026 at 10:26 AM",
    ]
    dated = "March 16, 2026"  # a date in a list further down is content
    article = extract_story(
        f"<h1>Troops stay in Iraq</h1>{paragraphs_html(stamps[:2] + CT_PARAGRAPHS[:6])}"
        f"<ul><li>{dated}</li><li>Vote in parliament</li></ul>"
        + paragraphs_html([*CT_PARAGRAPHS[6:], stamps[2]])
    )
    blocks = article.text.split("\n\n")
    assert not [stamp for stamp in stamps if stamp in blocks]
    assert f"- {dated}" in blocks
    assert article.date == "2025-07-29"


def test_newsletter_prompts_in_the_publishers_words_go() -> None:
    prompts = [
        "There's plenty more where that came from. Sign up for The Morning Brief today to "
        "get the free daily newsletter.",
        "The best of Example News, delivered to your inbox every morning",
    ]
    # Prose about newsletters stays.
    prose = "The ministry also publishes a weekly newsletter on troop movements in Iraq."
    blocks = story_blocks(
        paragraphs_html([*CT_PARAGRAPHS[:3], prompts[0], prose, *CT_PARAGRAPHS[3:], prompts[1]])
    )
    assert prose in blocks
    assert not [prompt for prompt in prompts if prompt in blocks]


def test_content_printed_after_the_closing_html_tag_is_part_of_the_page() -> None:
    # Browsers show it in the body; libxml2 makes it a second root element.
    html_page = (
        page("<title>Troops stay in Iraq</title>", "<nav><a href='/'>Home</a></nav>")
        + f"<div class='post'><h1>Troops stay in Iraq</h1>{paragraphs_html(CT_PARAGRAPHS)}</div>"
    )
    article = extract_article(html_page, "https://news.example.com/troops-stay")
    assert article is not None
    assert article.text.split("\n\n")[-1] == CT_PARAGRAPHS[-1]


def test_data_lines_leaking_from_markup_go() -> None:
    url = "https://news.example.com/troops-stay"
    leaks = [url, "https://cdn.example.com/img/troops.jpg", "2019-03-02T08:00:00+01:00"]
    html_page = page(
        "<title>Troops stay in Iraq</title>",
        "<h1>Troops stay in Iraq</h1>"
        + "".join(f"<p>{leak}</p>" for leak in leaks)
        + ARTICLE_BODY
        + "<p>https://www.state.gov/iraq-fact-sheet</p>",
    )
    article = extract_article(html_page, url)
    assert article is not None
    assert not [leak for leak in leaks if leak in article.text]
    assert "https://www.state.gov/iraq-fact-sheet" in blocks(article)  # a cited source stays


@pytest.mark.parametrize(
    ("head", "body", "url", "title"),
    [
        pytest.param(
            # "gardening" is a subdomain: the title part holding it is the page's, and
            # the part naming the registered domain ("example") is the site's.
            "<title>Gardening in a Warming World | Example Garden Learning</title>",
            f"<h1>Gardening in a Warming World</h1>{ARTICLE_BODY}",
            "https://gardening.dept.example.edu/warming/",
            "Gardening in a Warming World",
            id="site-named-by-the-registered-domain",
        ),
        pytest.param(
            '<meta property="og:title" content="Example Blog: Hardware-Attested Nix Builds">',
            f"<h1>Hardware-Attested Nix Builds</h1>{ARTICLE_BODY}<h1>What is attestation</h1>",
            "https://example.io/blog/attested",
            "Hardware-Attested Nix Builds",
            id="headline-among-several-h1s-closing-the-declared-title",
        ),
        pytest.param(
            "<title>Weekend Coding Agent | Example Labs</title>",
            f"<h1>WEEKEND<br>CODING<br><span>AGENT</span></h1>{ARTICLE_BODY}",
            "https://example.ai/reports/agent",
            "WEEKEND CODING AGENT",
            id="line-breaks-in-the-headline-are-spaces",
        ),
        pytest.param(
            '<meta property="og:title" content="How do you set up an ergonomic workstation?">',
            '<h1 class="mobile">Setting up an ergonomic workspace</h1>'
            f'<h1 class="desktop">Setting up an ergonomic workspace</h1>{ARTICLE_BODY}',
            "https://example.com/discover/workstation-setup",
            "Setting up an ergonomic workspace",
            id="headline-printed-twice-for-two-layouts",
        ),
    ],
)
def test_headline_among_title_parts_and_h1s(head: str, body: str, url: str, title: str) -> None:
    article = extract_article(page(head, body), url)
    assert article is not None
    assert article.title == title


def test_json_ld_headline_without_site_suffix_or_completed_when_cut_short() -> None:
    cut = "Fix It Friday: We Help 4 Readers Find Solutions (Including"
    whole = "Fix It Friday: We Help 4 Readers Find Solutions (Including One Trick)"
    html_page = page(
        f'<meta property="og:title" content="{whole} - Example Home">'
        + ld({"@type": "BlogPosting", "headline": cut}),
        f"<div class='content'>{ARTICLE_BODY}</div>",
    )
    article = extract_article(html_page, "https://examplehome.com/fix-it-friday")
    assert article is not None
    assert article.title == whole
    html_page = page(
        '<meta property="og:site_name" content="RenoExample">'
        + ld({"@type": "Article", "headline": "The 10 Best Projects of 2023 | RenoExample"}),
        f"<div class='content'>{ARTICLE_BODY}</div>",
    )
    article = extract_article(html_page, "https://www.renoexample.com/best-projects")
    assert article is not None
    assert article.title == "The 10 Best Projects of 2023"


def dated_page(head: str, shown: str) -> str:
    return page(
        f"<title>Troops stay in Iraq</title>{head}",
        f"<main><h1>Troops stay in Iraq</h1>{shown}{ARTICLE_BODY}</main>",
    )


PUBLISHED_META = '<meta property="article:published_time" content="2019-03-02T08:00:00Z">'


@pytest.mark.parametrize(
    ("head", "shown", "url_path", "expected"),
    [
        # The meta tags' publication date wins over a later date shown unlabelled...
        (PUBLISHED_META, "<p>April 7, 2019</p>", "/troops", ("2019-03-02", "meta")),
        # ... but not over a shown date before it: that date is a migration's.
        (PUBLISHED_META, "<p>January 5, 2015</p>", "/troops", ("2015-01-05", "byline")),
        # The shown date, even an update, wins over a date only JSON-LD declares.
        (
            ld({"@type": "Article", "datePublished": "2015-04-06"}),
            "<p>Updated September 28, 2019</p>",
            "/troops",
            ("2019-09-28", "byline"),
        ),
        # A numeric date is read the way the declarations confirm (day first here).
        (
            ld({"@type": "Article", "datePublished": "2019-10-03"}),
            "<p>03/10/2019</p>",
            "/troops",
            ("2019-10-03", "json-ld"),
        ),
        # A URL path can name its month.
        ("", "<p>03/10/2019</p>", "/2019/october/03/troops", ("2019-10-03", "url")),
        # Shown together, the publication date wins over the update.
        (
            "",
            "<p>Updated: January 2, 2020</p><p>December 22, 2019</p>",
            "/troops",
            ("2019-12-22", "byline"),
        ),
    ],
)
def test_date_ranking(head: str, shown: str, url_path: str, expected: tuple[str, str]) -> None:
    article = extract_article(dated_page(head, shown), f"https://news.example.com{url_path}")
    assert article is not None
    assert (article.date, article.date_source) == expected


def test_a_date_right_above_the_headline_beats_one_deep_below_it() -> None:
    lede = "".join(f"<p>{esc(p)}</p>" for p in body_paragraphs("000-citizentruth.txt")[:3])
    html_page = page(
        "<title>Troops stay in Iraq</title>",
        "<main><span>4 min read</span><span>Dec 12, 2019</span><h1>Troops stay in Iraq</h1>"
        f"{lede}<p>Talks resumed on Oct 30, 2019.</p>{ARTICLE_BODY}</main>",
    )
    article = extract_article(html_page, "https://news.example.com/troops")
    assert article is not None
    assert (article.date, article.date_source) == ("2019-12-12", "byline")


def test_link_text_share_counts_link_lines_and_teaser_headlines() -> None:
    from trafilatura import load_html

    from newstrail.extract.hints import _page_hints

    page = """<html><body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
    <ul><li><a href="/a">Ferry fares to rise</a> The council set new prices.</li></ul>
    <p>The ferry runs every hour from the <a href="/quay">north quay</a>.</p></body></html>"""
    hints = _page_hints(load_html(page))
    assert hints.link_text_share(["Home", "News"]) == 1.0
    # A teaser: its headline is the link, its summary is not.
    teaser = "- Ferry fares to rise The council set new prices."
    assert hints.link_text_share([teaser]) == pytest.approx(
        19 / len("ferry fares to rise the council set new prices")
    )
    # A link inside a sentence does not make the sentence link text.
    assert hints.link_text_share(["The ferry runs every hour from the north quay."]) == 0.0
