"""Tigris Wire: a news agency site.

Absolute links, dated article URLs with an id, an Atom feed, a sitemap index
with per-year sitemaps and a Google News sitemap, Dublin Core and Open Graph
date meta tags (no JSON-LD), a "Client login" link into the disallowed
/private/ area, and the agency's reporting credit line after each story.
"""

# HTML templates: markup lines are kept whole rather than wrapped at 100 columns.
# ruff: noqa: E501

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from ._html import Ctx, body_blocks, esc, iso, wire_date
from ._model import Article
from ._theme_base import StaticPages, Theme
from ._traps import SESSION_SITE

_EDITORS = ("Alison Grey", "Martin Hale", "Peter Corwin", "Nora Kettle", "Simon Ashby")


class TigrisWire(Theme):
    key = "tigriswire"
    name = "Tigris Wire"
    sections = (
        ("world", "World"),
        ("business", "Business"),
        ("technology", "Technology"),
        ("sports", "Sports"),
        ("environment", "Environment"),
        ("lifestyle", "Lifestyle"),
    )
    kind_sections: ClassVar[dict[str, str]] = {
        "security": "world",
        "world": "world",
        "economy": "business",
        "energy": "business",
        "business": "business",
        "tech": "technology",
        "sports": "sports",
        "weather": "environment",
        "culture": "lifestyle",
    }
    feed_kind = "atom"
    feed_path = "/atom.xml"
    amp = True
    print_link = True
    sitemap_index = True
    disallow = ("/private/", "/search")
    search_path = "/search"
    private_pages: ClassVar[dict[str, str]] = {"/private/terminal": "Client terminal"}
    static_pages: ClassVar[StaticPages] = {
        "/about": (
            "About Tigris Wire",
            (
                "Tigris Wire is a news agency supplying text, photos and video to publishers.",
                "Our stories may be republished by subscribing media organisations.",
            ),
        ),
        "/legal/cookies": (
            "Cookie policy",
            ("We use cookies to keep you signed in and to measure readership.",),
        ),
    }
    page_size = 6
    places = ("Geneva", "Nairobi", "Singapore", "Toronto", "Melbourne", "Lyon")
    region = "the region"
    authors = ("Karim Fadel", "Helen Markov", "Yousef Bakr", "Anna Lindholm", "Tigris Wire staff")

    def article_path(self, slug: str, section: str, published: dt.datetime, number: int) -> str:
        return f"/article/{published:%Y/%m/%d}/{slug}-id{number:05d}"

    def section_path(self, section: str, page: int) -> str:
        return f"/news/{section}" + (f"/{page}" if page > 1 else "")

    def image_path(self, article: Article) -> str:
        return f"/resizer/{article.number:05d}/photo.svg"

    def shell(self, ctx: Ctx, *, title: str, head: str, main: str) -> str:
        nav = "".join(
            f'<a class="tw-nav__link" href="{ctx.link(self.section_path(s, 1))}">{esc(n)}</a>'
            for s, n in self.sections
        )
        # The site's Java back end threads a new session through every link it
        # renders in the rail, a fresh id per response.
        session = f";jsessionid={ctx.web.next_session_token()}" if self.key == SESSION_SITE else ""
        latest = "".join(
            f'<li><a href="{ctx.art_href(a.key, session)}">{esc(a.title)}</a></li>'
            for a in ctx.web.popular(self.key, 6)
        )
        return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{esc(title)}</title>
{head}
{self.alternate_link(ctx)}
<meta name="viewport" content="width=device-width,initial-scale=1">
</head>
<body>
<div class="tw-consent" id="consent-banner" role="region" aria-label="Cookie consent">
 <p>This site uses cookies. By continuing to browse the site you are agreeing to our use of cookies. <a href="{ctx.link("/legal/cookies")}">Learn more</a></p>
 <button type="button" class="tw-consent__ok">I understand</button>
</div>
<header class="tw-masthead">
 <a class="tw-brand" href="{ctx.link("/")}">TIGRIS <b>WIRE</b></a>
 <nav class="tw-nav" aria-label="Sections">{nav}<a class="tw-nav__link tw-nav__link--login" href="{ctx.link("/private/terminal")}">Client login</a></nav>
 <form class="tw-search" action="{ctx.link("/search")}" method="get"><input name="q" type="search" aria-label="Search Tigris Wire" placeholder="Search Tigris Wire"><button type="submit">Go</button></form>
</header>
<div class="tw-layout">
<main class="tw-main" id="content">
{main}
</main>
<aside class="tw-rail">
 <section class="tw-latest"><h2>Most read</h2><ol>{latest}</ol></section>
 <section class="tw-newsletter"><h2>The Daily Wire Brief</h2><p>Our morning roundup of the stories that matter, in your inbox before 7am.</p>
  <form action="{ctx.link("/newsletters/subscribe")}" method="post"><input type="email" name="email" placeholder="you@example.org"><button type="submit">Subscribe</button></form></section>
</aside>
</div>
<footer class="tw-footer">
 <nav><a href="{ctx.link("/about")}">About Tigris Wire</a> | <a href="{ctx.link("/legal/cookies")}">Cookies</a></nav>
 <p>All quotes delayed a minimum of 15 minutes.</p>
 <p>&copy; 2020 Tigris Wire. All rights reserved.</p>
</footer>
</body>
</html>
"""

    def _item(self, ctx: Ctx, article: Article) -> str:
        return f"""<div class="StoryCard">
 <a class="StoryCard__kicker" href="{ctx.link(self.section_path(article.section, 1))}">{esc(self.section_name(article.section))}</a>
 <h3 class="StoryCard__headline"><a href="{ctx.art_href(article.key)}">{esc(article.title)}</a></h3>
 <p class="StoryCard__summary">{esc(article.standfirst)}</p>
 <time class="StoryCard__time" datetime="{iso(article.published)}">{wire_date(article.published)}</time>
</div>"""

    def home(self, ctx: Ctx, latest: list[Article], blocks: list[tuple[str, list[Article]]]) -> str:
        top = "".join(self._item(ctx, a) for a in latest[:8])
        more = "".join(
            f'<section class="SectionBlock"><h2><a href="{ctx.link(self.section_path(s, 1))}">{esc(self.section_name(s))}</a></h2>'
            + "".join(self._item(ctx, a) for a in items)
            + "</section>"
            for s, items in blocks
        )
        head = f'<link rel="canonical" href="{esc(ctx.here("/"))}">'
        return self.shell(
            ctx,
            title="Tigris Wire | Breaking international news",
            head=head,
            main=f'<section class="TopStories"><h1 class="visually-hidden">Top stories</h1>{top}</section>{more}',
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
        cards = "\n".join(self._item(ctx, a) for a in items)
        pager = ""
        if section and n_pages > 1:
            parts = []
            if page > 1:
                parts.append(
                    f'<a class="Pager__prev" rel="prev" href="{ctx.link(self.section_path(section, page - 1))}">Newer</a>'
                )
            if page < n_pages:
                parts.append(
                    f'<a class="Pager__next" rel="next" href="{ctx.link(self.section_path(section, page + 1))}">Older</a>'
                )
            pager = f'<nav class="Pager">{" ".join(parts)} <span>Page {page}</span></nav>'
        head = (
            f'<link rel="canonical" href="{esc(ctx.here(self.section_path(section, page)))}">'
            if section
            else ""
        )
        return self.shell(
            ctx,
            title=f"{title} News | Tigris Wire",
            head=head,
            main=f'<h1 class="SectionTitle">{esc(title)}</h1>\n{cards}\n{pager}',
        )

    def article(self, ctx: Ctx, article: Article) -> str:
        url = ctx.canonical(article)
        editor = _EDITORS[article.number % len(_EDITORS)]
        related = "".join(
            f'<li><a href="{ctx.art_href(k)}">{esc(ctx.art(k).title)}</a></li>'
            for k in article.related
        )
        head = f"""<link rel="canonical" href="{url}">
<meta name="description" content="{esc(article.standfirst)}">
<meta name="author" content="{esc(article.author)}">
<meta name="dc.creator" content="{esc(article.author)}">
<meta name="dc.date.issued" content="{article.published:%Y-%m-%d}">
<meta name="dcterms.modified" content="{iso(article.modified)}">
<meta property="og:type" content="article">
<meta property="og:title" content="{esc(article.title)}">
<meta property="og:url" content="{url}">
<meta property="article:published_time" content="{iso(article.published)}">
<meta property="article:modified_time" content="{iso(article.modified)}">
<meta property="article:section" content="{esc(self.section_name(article.section))}">
{self.amp_link(ctx, article)}"""
        share = "".join(
            f'<button type="button" class="StoryTools__share" data-network="{n}">{n.capitalize()}</button>'
            for n in ("twitter", "facebook", "linkedin")
        )
        main = f"""<article class="StoryPage">
 <header class="StoryHeader">
  <a class="StoryHeader__kicker" href="{ctx.link(self.section_path(article.section, 1))}">{esc(self.section_name(article.section))}</a>
  <h1 class="StoryHeader__headline">{esc(article.title)}</h1>
  <div class="StoryHeader__byline">By <span class="StoryHeader__author">{esc(article.author)}</span></div>
  <div class="StoryHeader__dateline"><time datetime="{iso(article.published)}">{wire_date(article.published)}</time></div>
  <div class="StoryTools">{share}<a class="StoryTools__print" href="{ctx.art_href(article.key, "?print=1")}">Print</a></div>
 </header>
 <figure class="StoryImage"><img src="{ctx.link(self.image_path(article))}" alt="{esc(article.caption)}"><figcaption>{esc(article.caption)}</figcaption></figure>
 <div class="StoryBody" data-testid="ArticleBody">
{body_blocks(ctx, article, p='<p class="StoryBody__para">{}</p>', heading='<h3 class="StoryBody__crosshead">{}</h3>')}
 </div>
 <p class="StoryCredit">(Reporting by {esc(article.author)}; Editing by {editor})</p>
 <p class="StoryTrust">Our Standards: The Tigris Wire Trust Principles.</p>
 <section class="RelatedCoverage"><h2>Related Coverage</h2><ul>{related}</ul></section>
</article>"""
        return self.shell(ctx, title=f"{article.title} | Tigris Wire", head=head, main=main)

    def page(self, ctx: Ctx, *, title: str, body: str) -> str:
        return self.shell(
            ctx, title=f"{title} | Tigris Wire", head="", main=f"<h1>{esc(title)}</h1>\n{body}"
        )
