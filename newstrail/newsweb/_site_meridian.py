"""The Meridian Review: a magazine on a JavaScript front end.

Hashed CSS-in-JS class names, root-relative links, JSON-LD NewsArticle, an
Atom feed, contributor pages, a metered-paywall box linking into the
disallowed /account/ area, and an author bio after each piece.
"""

# HTML templates: markup lines are kept whole rather than wrapped at 100 columns.
# ruff: noqa: E501

from __future__ import annotations

import datetime as dt
import json
from typing import ClassVar

from ._html import Ctx, body_blocks, css, esc, iso, news_article_ld, short_date, slugify
from ._model import Article
from ._theme_base import StaticPages, Theme


class MeridianReview(Theme):
    key = "meridian"
    name = "The Meridian Review"
    relative_links = True
    sections = (
        ("world", "World"),
        ("security", "Security"),
        ("economy", "Economy"),
        ("culture", "Culture"),
        ("science", "Science & Tech"),
    )
    kind_sections: ClassVar[dict[str, str]] = {
        "security": "security",
        "world": "world",
        "economy": "economy",
        "energy": "economy",
        "business": "economy",
        "tech": "science",
        "sports": "culture",
        "weather": "science",
        "culture": "culture",
    }
    feed_kind = "atom"
    feed_path = "/feeds/all.atom.xml"
    disallow = ("/account/", "/api/")
    crawl_delay = 0.2
    private_pages: ClassVar[dict[str, str]] = {
        "/account/subscribe": "Subscribe",
        "/account/login": "Sign in",
    }
    static_pages: ClassVar[StaticPages] = {
        "/about": (
            "About the Review",
            (
                "The Meridian Review publishes long-form reporting and analysis on world affairs.",
                "We are funded by our readers.",
            ),
        ),
        "/privacy": ("Privacy notice", ("We collect as little data as we can.",)),
    }
    page_size = 4
    places = ("London", "Berlin", "Lisbon", "Copenhagen", "Vienna", "Edinburgh")
    region = "northern Europe"
    authors = ("Eleanor Vance", "Jonah Albright", "Priyanka Sethi", "Matteo Salvi", "Fiona Grady")
    author_pages = True
    extra_images = ("/static/logo.svg",)

    def article_path(self, slug: str, section: str, published: dt.datetime, number: int) -> str:
        return f"/{section}/{published:%Y/%m}/{slug}"

    def section_path(self, section: str, page: int) -> str:
        return f"/{section}" + (f"/archive/{page}" if page > 1 else "")

    def author_path(self, author: str) -> str:
        return f"/contributors/{slugify(author)}"

    def image_path(self, article: Article) -> str:
        return f"/static/img/{article.number}-hero.svg"

    def shell(self, ctx: Ctx, *, title: str, head: str, main: str, page_id: str) -> str:
        nav = "".join(
            f'<li class="{css("nav-item")}"><a class="{css("nav-link")}" href="{ctx.link(self.section_path(s, 1))}">{esc(n)}</a></li>'
            for s, n in self.sections
        )
        data = json.dumps({"props": {"pageProps": {"id": page_id}}, "page": "/[...slug]"})
        return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charSet="utf-8"/>
<meta name="viewport" content="width=device-width"/>
<title>{esc(title)}</title>
{head}
{self.alternate_link(ctx)}
</head>
<body>
<div id="__next">
<div class="{css("app")}">
<div class="{css("consent")}" role="dialog" aria-live="polite"><p class="{css("consent-text")}">We and our partners use cookies to personalise content and measure audiences.</p><button class="{css("consent-accept")}">Accept all</button><button class="{css("consent-manage")}">Manage preferences</button></div>
<header class="{css("header")}">
 <a class="{css("logo")}" href="{ctx.link("/")}" aria-label="The Meridian Review home"><img src="{ctx.link("/static/logo.svg")}" alt="The Meridian Review"/></a>
 <nav class="{css("nav")}" aria-label="Main"><ul class="{css("nav-list")}">{nav}</ul></nav>
 <div class="{css("header-actions")}"><a class="{css("signin")}" href="{ctx.link("/account/login")}">Sign in</a><a class="{css("subscribe")}" href="{ctx.link("/account/subscribe")}">Subscribe</a></div>
</header>
<main id="site-content" class="{css("main")}">
{main}
</main>
<section class="{css("newsletter")}"><h2 class="{css("newsletter-title")}">The Meridian Briefing</h2><p>A weekly letter from our editors. Free, every Sunday.</p><form class="{css("newsletter-form")}"><input type="email" placeholder="Email address" aria-label="Email address"/><button type="submit">Sign up</button></form></section>
<footer class="{css("footer")}"><ul class="{css("footer-links")}"><li><a href="{ctx.link("/about")}">About</a></li><li><a href="{ctx.link("/privacy")}">Privacy</a></li></ul><p class="{css("footer-copy")}">&copy; The Meridian Review 2020</p></footer>
</div>
</div>
<script id="__NEXT_DATA__" type="application/json">{data}</script>
</body>
</html>
"""

    def _card(self, ctx: Ctx, article: Article) -> str:
        return f"""<li class="{css("card")}"><article>
 <p class="{css("card-kicker")}">{esc(self.section_name(article.section))}</p>
 <h3 class="{css("card-headline")}"><a href="{ctx.art_href(article.key)}">{esc(article.title)}</a></h3>
 <p class="{css("card-dek")}">{esc(article.standfirst)}</p>
 <p class="{css("card-byline")}">By {esc(article.author)} &middot; <time dateTime="{iso(article.published)}">{short_date(article.published)}</time></p>
</article></li>"""

    def home(self, ctx: Ctx, latest: list[Article], blocks: list[tuple[str, list[Article]]]) -> str:
        lead = "".join(self._card(ctx, a) for a in latest[:5])
        more = "".join(
            f'<section class="{css("home-section")}"><h2 class="{css("section-head")}"><a href="{ctx.link(self.section_path(s, 1))}">{esc(self.section_name(s))}</a></h2><ol class="{css("stream")}">'
            + "".join(self._card(ctx, a) for a in items)
            + "</ol></section>"
            for s, items in blocks
        )
        head = f'<link rel="canonical" href="{esc(ctx.here("/"))}"/>'
        return self.shell(
            ctx,
            title="The Meridian Review",
            head=head,
            main=f'<ol class="{css("stream")} {css("lead")}">{lead}</ol>{more}',
            page_id="home",
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
        cards = "".join(self._card(ctx, a) for a in items)
        more = ""
        if section and page < n_pages:
            more = f'<a class="{css("load-more")}" href="{ctx.link(self.section_path(section, page + 1))}">Load more stories</a>'
        head = (
            f'<link rel="canonical" href="{esc(ctx.here(self.section_path(section, page)))}"/>'
            if section
            else ""
        )
        return self.shell(
            ctx,
            title=f"{title} | The Meridian Review",
            head=head,
            main=f'<h1 class="{css("page-title")}">{esc(title)}</h1><ol class="{css("stream")}">{cards}</ol>{more}',
            page_id=f"listing-{section or 'author'}-{page}",
        )

    def article(self, ctx: Ctx, article: Article) -> str:
        url = ctx.canonical(article)
        further = "".join(
            f'<li class="{css("further-item")}"><a href="{ctx.art_href(k)}">{esc(ctx.art(k).title)}</a></li>'
            for k in article.related
        )
        first = article.author.split()[0]
        head = f"""<link rel="canonical" href="{url}"/>
<meta name="description" content="{esc(article.standfirst)}"/>
<meta property="og:title" content="{esc(article.title)}"/>
<meta property="og:type" content="article"/>
<meta property="og:url" content="{url}"/>
<meta name="twitter:card" content="summary_large_image"/>
{news_article_ld(ctx, article, logo_path="/static/logo.svg")}"""
        body = body_blocks(
            ctx,
            article,
            p=f'<div class="{css("para-container")}"><p class="{css("para")}">{{}}</p></div>',
            heading=f'<h2 class="{css("crosshead")}">{{}}</h2>',
        )
        main = f"""<article id="story" class="{css("story")}">
<header class="{css("story-header")}">
 <p class="{css("kicker")}"><a href="{ctx.link(self.section_path(article.section, 1))}">{esc(self.section_name(article.section))}</a></p>
 <h1 data-testid="headline" class="{css("headline")}">{esc(article.title)}</h1>
 <p class="{css("dek")}">{esc(article.standfirst)}</p>
 <div class="{css("byline")}"><span>By <a href="{ctx.link(self.author_path(article.author))}" rel="author">{esc(article.author)}</a></span> <time dateTime="{iso(article.published)}">{short_date(article.published)}</time></div>
</header>
<figure class="{css("hero")}"><img src="{ctx.link(self.image_path(article))}" alt=""/><figcaption class="{css("caption")}">{esc(article.caption)}</figcaption></figure>
<section name="articleBody" class="{css("body")}">
{body}
</section>
<div class="{css("paywall")}"><p>You have 2 free articles left this month.</p><a href="{ctx.link("/account/subscribe")}">Subscribe for full access</a></div>
<div class="{css("bio")}"><p><a href="{ctx.link(self.author_path(article.author))}">{esc(article.author)}</a> is a contributing editor at The Meridian Review. {esc(first)} writes about international affairs.</p></div>
<aside class="{css("further")}"><h2 class="{css("further-title")}">Further reading</h2><ul>{further}</ul></aside>
</article>"""
        return self.shell(
            ctx,
            title=f"{article.title} | The Meridian Review",
            head=head,
            main=main,
            page_id=f"article-{article.number}",
        )

    def page(self, ctx: Ctx, *, title: str, body: str) -> str:
        return self.shell(
            ctx,
            title=f"{title} | The Meridian Review",
            head="",
            main=f'<h1 class="{css("page-title")}">{esc(title)}</h1>{body}',
            page_id="page",
        )
