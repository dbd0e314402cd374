"""Capital Ledger: a business paper with BEM markup.

Absolute links, article URLs ending in a numeric id, JSON-LD plus meta dates,
RSS, a "Most read" rail whose links carry ``utm_*`` parameters, a newsletter
promo inside the body, and "Print" links (``?print=1``) that robots.txt
disallows with a wildcard rule.
"""

# HTML templates: markup lines are kept whole rather than wrapped at 100 columns.
# ruff: noqa: E501

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from ._html import Ctx, body_blocks, esc, iso, ledger_date, news_article_ld
from ._model import Article
from ._theme_base import StaticPages, Theme
from ._traps import ENDLESS_PATH, tracking_query

UTM_MOST_READ = "?utm_source=mostread&utm_medium=referral&utm_campaign=rail"


class CapitalLedger(Theme):
    key = "capitalledger"
    name = "Capital Ledger"
    sections = (
        ("companies", "Companies"),
        ("economy", "Economy"),
        ("energy", "Energy"),
        ("technology", "Technology"),
        ("world", "World"),
        ("life", "Life & Arts"),
    )
    kind_sections: ClassVar[dict[str, str]] = {
        "security": "world",
        "world": "world",
        "economy": "economy",
        "energy": "energy",
        "business": "companies",
        "tech": "technology",
        "sports": "life",
        "weather": "economy",
        "culture": "life",
    }
    feed_path = "/feeds/latest.rss"
    disallow = ("/search", "/*?print=1")
    search_path = "/search"
    static_pages: ClassVar[StaticPages] = {
        "/info/about": (
            "About Capital Ledger",
            ("Capital Ledger covers markets, companies and the economy.",),
        ),
        "/info/cookies": (
            "Cookie policy",
            ("We use cookies for analytics and to personalise content.",),
        ),
        "/newsletters": (
            "Newsletters",
            ("The Ledger Morning Briefing arrives every weekday at 6am.",),
        ),
    }
    page_size = 6
    places = ("Chicago", "Atlanta", "Pittsburgh", "Cleveland", "Phoenix", "Portland")
    region = "the Great Lakes region"
    authors = ("Nathan Cole", "Victoria Ames", "Hugo Brandt", "Mei Lin Tan", "Oscar Pell")
    extra_images = ("/assets/logo.svg",)

    def article_path(self, slug: str, section: str, published: dt.datetime, number: int) -> str:
        return f"/{section}/{slug}-{100000 + number * 7:06d}"

    def section_path(self, section: str, page: int) -> str:
        return f"/{section}" + (f"/p/{page}" if page > 1 else "")

    def image_path(self, article: Article) -> str:
        return f"/assets/images/{article.number}/main.svg"

    def shell(self, ctx: Ctx, *, title: str, head: str, main: str, page_class: str) -> str:
        nav = f'<li class="c-nav__item"><a class="c-nav__link" href="{ctx.link(ENDLESS_PATH)}">Latest</a></li>'
        nav += "".join(
            f'<li class="c-nav__item"><a class="c-nav__link" href="{ctx.link(self.section_path(s, 1))}">{esc(n)}</a></li>'
            for s, n in self.sections
        )
        most_read = "".join(
            f'<li class="c-most-read__item"><a class="c-most-read__link" href="{ctx.art_href(a.key, UTM_MOST_READ)}">{esc(a.title)}</a></li>'
            for a in ctx.web.popular(self.key, 5)
        )
        trending = "".join(
            f'<li class="c-trending__item"><a href="{ctx.link("/search?query=" + t)}">{esc(t)}</a></li>'
            for t in ("oil", "inflation", "tech")
        )
        return f"""<!DOCTYPE html>
<html lang="en" class="no-js">
<head>
<meta charset="utf-8">
<title>{esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
{head}
{self.alternate_link(ctx)}
</head>
<body class="c-page {page_class}">
<div class="c-cookie-bar" data-component="cookie-bar"><p class="c-cookie-bar__text">We use cookies for analytics and to personalise content. See our <a class="c-cookie-bar__link" href="{ctx.link("/info/cookies")}">cookie policy</a>.</p><button class="c-cookie-bar__btn" type="button">Got it</button></div>
<header class="c-masthead">
 <div class="c-masthead__brand"><a href="{ctx.link("/")}"><img class="c-masthead__logo" src="{ctx.link("/assets/logo.svg")}" alt="Capital Ledger"></a></div>
 <nav class="c-nav" aria-label="Sections"><ul class="c-nav__list">{nav}</ul></nav>
 <form class="c-search" action="{ctx.link("/search")}" role="search"><input class="c-search__input" name="query" placeholder="Search Capital Ledger" aria-label="Search"><button class="c-search__btn">Search</button></form>
</header>
<main class="l-main"><div class="l-grid">
<div class="l-grid__main">
{main}
</div>
<aside class="l-grid__rail c-rail">
 <section class="c-most-read"><h2 class="c-most-read__title">Most read</h2><ol class="c-most-read__list">{most_read}</ol></section>
 <section class="c-trending"><h2 class="c-trending__title">Trending topics</h2><ul class="c-trending__list">{trending}</ul></section>
</aside>
</div></main>
<footer class="c-footer"><ul class="c-footer__links"><li><a href="{ctx.link("/info/about")}">About us</a></li><li><a href="{ctx.link("/info/cookies")}">Cookies</a></li><li><a href="{ctx.link("/newsletters")}">Newsletters</a></li></ul>
<p class="c-footer__legal">&copy; Capital Ledger Ltd 2020. Registered in England and Wales.</p></footer>
</body>
</html>
"""

    def _teaser(self, ctx: Ctx, article: Article) -> str:
        return f"""<div class="c-teaser"><a class="c-teaser__section" href="{ctx.link(self.section_path(article.section, 1))}">{esc(self.section_name(article.section))}</a>
 <h3 class="c-teaser__headline"><a class="c-teaser__link" href="{ctx.art_href(article.key)}">{esc(article.title)}</a></h3>
 <p class="c-teaser__standfirst">{esc(article.standfirst)}</p>
 <time class="c-teaser__date" datetime="{iso(article.published)}">{ledger_date(article.published)}</time></div>"""

    def home(self, ctx: Ctx, latest: list[Article], blocks: list[tuple[str, list[Article]]]) -> str:
        lead = "".join(self._teaser(ctx, a) for a in latest[:6])
        more = "".join(
            f'<section class="c-section-block"><h2 class="c-section-block__title"><a href="{ctx.link(self.section_path(s, 1))}">{esc(self.section_name(s))}</a></h2>'
            + "".join(self._teaser(ctx, a) for a in items)
            + "</section>"
            for s, items in blocks
        )
        head = f'<link rel="canonical" href="{esc(ctx.here("/"))}">'
        return self.shell(
            ctx,
            title="Capital Ledger: business, markets and economic news",
            head=head,
            main=f'<section class="c-top-stories">{lead}</section>{more}',
            page_class="c-page--front",
        )

    def listing(
        self,
        ctx: Ctx,
        *,
        title: str,
        items: list[Article],
        page: int,
        n_pages: int,
        section: str | None,
    ) -> str:
        teasers = "".join(self._teaser(ctx, a) for a in items)
        pager = ""
        if section and n_pages > 1:
            links = []
            if page > 1:
                links.append(
                    f'<a class="c-pager__link c-pager__link--prev" href="{ctx.link(self.section_path(section, page - 1))}">Previous</a>'
                )
            links.append(f'<span class="c-pager__current">{page} of {n_pages}</span>')
            if page < n_pages:
                links.append(
                    f'<a class="c-pager__link c-pager__link--next" href="{ctx.link(self.section_path(section, page + 1))}">Next</a>'
                )
            pager = f'<nav class="c-pager">{"".join(links)}</nav>'
        head = (
            f'<link rel="canonical" href="{esc(ctx.here(self.section_path(section, page)))}">'
            if section
            else ""
        )
        return self.shell(
            ctx,
            title=f"{title} | Capital Ledger",
            head=head,
            main=f'<h1 class="c-page-title">{esc(title)}</h1><div class="c-stream">{teasers}</div>{pager}',
            page_class="c-page--section",
        )

    def article(self, ctx: Ctx, article: Article) -> str:
        url = ctx.canonical(article)
        promo = """<aside class="c-promo c-promo--inline"><p class="c-promo__title">Sign up to The Ledger Morning Briefing</p>
<p class="c-promo__text">Markets, companies and the economy, every weekday at 6am.</p><a class="c-promo__cta" href="{}">Sign up</a></aside>""".format(
            ctx.link("/newsletters")
        )
        body = body_blocks(ctx, article, inserts={min(2, len(article.paragraphs) - 2): promo})
        head = f"""<link rel="canonical" href="{url}">
<meta name="description" content="{esc(article.standfirst)}">
<meta name="author" content="{esc(article.author)}">
<meta property="og:type" content="article">
<meta property="og:title" content="{esc(article.title)}">
<meta property="og:url" content="{url}">
<meta property="article:published_time" content="{iso(article.published)}">
<meta property="article:modified_time" content="{iso(article.modified)}">
{news_article_ld(ctx, article, logo_path="/assets/logo.svg")}"""
        # Every link in the box names the page it is on: new URLs on every page.
        more = "".join(
            f'<li class="c-more__item"><a href="{ctx.art_href(k, tracking_query(article))}">{esc(ctx.art(k).title)}</a></li>'
            for k in article.related
        )
        share = "".join(
            f'<button class="c-share__btn c-share__btn--{n}" type="button" data-url="{url}">{n.capitalize()}</button>'
            for n in ("twitter", "linkedin", "email")
        )
        main = f"""<article class="c-article" itemscope itemtype="https://schema.org/NewsArticle">
<header class="c-article__header">
 <a class="c-article__section" href="{ctx.link(self.section_path(article.section, 1))}">{esc(self.section_name(article.section))}</a>
 <h1 class="c-article__headline" itemprop="headline">{esc(article.title)}</h1>
 <p class="c-article__standfirst">{esc(article.standfirst)}</p>
 <div class="c-article__meta">
  <address class="c-article__byline">By <span itemprop="author">{esc(article.author)}</span></address>
  <time class="c-article__date" datetime="{iso(article.published)}" itemprop="datePublished">{ledger_date(article.published)}</time>
  <a class="c-article__print" href="{ctx.art_href(article.key, "?print=1")}" rel="nofollow">Print</a>
 </div>
</header>
<figure class="c-article__media"><img src="{ctx.link(self.image_path(article))}" alt=""><figcaption class="c-article__caption">{esc(article.caption)}</figcaption></figure>
<div class="c-article__body" itemprop="articleBody">
{body}
</div>
<div class="c-share">{share}</div>
<section class="c-more"><h2 class="c-more__title">More from Capital Ledger</h2><ul class="c-more__list">{more}</ul></section>
</article>"""
        return self.shell(
            ctx,
            title=f"{article.title} | Capital Ledger",
            head=head,
            main=main,
            page_class="c-page--article",
        )

    def page(self, ctx: Ctx, *, title: str, body: str) -> str:
        return self.shell(
            ctx,
            title=f"{title} | Capital Ledger",
            head="",
            main=f'<h1 class="c-page-title">{esc(title)}</h1>{body}',
            page_class="c-page--static",
        )
