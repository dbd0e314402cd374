"""Middle East Eye: a Drupal news site (hosts seed 001).

Root-relative links, zero-based ``?page=N`` pagination, JSON-LD NewsArticle,
a skip link, a photo with caption, a newsletter box inside the body, pull
quotes repeating body sentences, a "Read More »" teaser in the body and the
publisher's closing blurb.
"""

# HTML templates: markup lines are kept whole rather than wrapped at 100 columns.
# ruff: noqa: E501

from __future__ import annotations

import datetime as dt
from typing import ClassVar
from urllib.parse import parse_qs

from ._html import Ctx, body_blocks, day_month_year, esc, news_article_ld, pull_quote_positions
from ._model import Article, Route
from ._theme_base import StaticPages, Theme
from ._traps import FACET_PATH, FACET_START

NEWSLETTER_TITLE = "Stay informed with MEE's newsletters"
NEWSLETTER_TEXT = (
    "Sign up to get the latest alerts, insights and analysis, starting with Turkey Unpacked"
)
BLURB = (
    "Middle East Eye delivers independent and unrivalled coverage and analysis of the Middle "
    "East, North Africa and beyond. To learn more about republishing this content and the "
    "associated fees, please fill out this {form}. More about MEE can be found {here}."
)
_DATELINES = ("Beirut", "Baghdad", "Washington", "Erbil", "Amman", "London", "Istanbul")


class MiddleEastEye(Theme):
    key = "mee"
    name = "Middle East Eye"
    relative_links = True
    sections = (
        ("news", "News"),
        ("analysis", "Analysis"),
        ("business", "Business"),
        ("discover", "Discover"),
        ("sport", "Sport"),
    )
    kind_sections: ClassVar[dict[str, str]] = {
        "security": "analysis",
        "world": "news",
        "economy": "business",
        "energy": "business",
        "business": "business",
        "tech": "business",
        "sports": "sport",
        "weather": "news",
        "culture": "discover",
    }
    feed_path = "/rss"
    disallow = ("/search", "/user/", "/node/add/")
    amp = True
    search_path = "/search"
    static_pages: ClassVar[StaticPages] = {
        "/about": (
            "About us",
            (
                "Middle East Eye is an independent online news organisation covering the Middle "
                "East and North Africa.",
                "Our reporters and contributors are based across the region and beyond.",
            ),
        ),
        "/republishing": (
            "Republishing",
            (
                "To republish an article, please tell us where and when it will appear.",
                "Fees depend on the publication and the number of articles.",
            ),
        ),
        "/terms": (
            "Terms and conditions",
            ("By using this site you agree to these terms.", "Content is for personal use."),
        ),
    }
    page_size = 5
    places = ("Beirut", "Amman", "Cairo", "Doha", "Tunis", "Casablanca")
    region = "the Levant"
    authors = ("Rania Saleh", "Omar Khalidi", "Dalia Mansour", "Sami Kerbaj", "Nadine Aziz")
    extra_images = ("/themes/mee/logo.svg",)

    def article_path(self, slug: str, section: str, published: dt.datetime, number: int) -> str:
        return f"/{section}/{slug}"

    def section_path(self, section: str, page: int) -> str:
        return f"/{section}" + (f"?page={page - 1}" if page > 1 else "")

    def section_routes(self, section: str, n_pages: int) -> list[tuple[str, Route]]:
        # Drupal pages a view with a zero-based query parameter on one path.
        return [(f"/{section}", Route("section", section, 0))]

    def page_from_query(self, query: str) -> int:
        values = parse_qs(query).get("page", ["0"])
        try:
            return int(values[0]) + 1
        except ValueError:
            return 0

    def image_path(self, article: Article) -> str:
        return f"/sites/default/files/styles/article_full/public/images/{article.number}.svg"

    # -- shell ----------------------------------------------------------------

    def shell(self, ctx: Ctx, *, title: str, head: str, main: str, node_type: str) -> str:
        nav = "".join(
            f'<li class="menu-item"><a href="{ctx.link(self.section_path(s, 1))}" data-drupal-link-system-path="taxonomy/term/{i + 1}">{esc(n)}</a></li>'
            for i, (s, n) in enumerate(self.sections)
        )
        most_read = "".join(
            f'<li class="views-row"><a href="{ctx.art_href(a.key)}">{esc(a.title)}</a></li>'
            for a in ctx.web.popular(self.key, 5)
        )
        return f"""<!DOCTYPE html>
<html lang="en" dir="ltr" prefix="og: https://ogp.me/ns#">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{esc(title)} | {esc(self.name)}</title>
{head}
{self.alternate_link(ctx)}
<link rel="icon" href="{ctx.link("/themes/mee/logo.svg")}" type="image/svg+xml">
</head>
<body class="path-node page-node-type-{node_type}">
<a href="#main-content" class="visually-hidden focusable skip-link">Skip to main content</a>
<div class="dialog-off-canvas-main-canvas" data-off-canvas-main-canvas>
<div class="layout-container">
<header role="banner" class="mee-header">
 <div class="region region-header">
  <a href="{ctx.link("/")}" title="Home" rel="home" class="site-logo"><img src="{ctx.link("/themes/mee/logo.svg")}" alt="Home"></a>
  <nav role="navigation" aria-labelledby="block-mainnavigation-menu" id="block-mainnavigation" class="block block-menu navigation menu--main">
   <h2 class="visually-hidden" id="block-mainnavigation-menu">Main navigation</h2>
   <ul class="menu">{nav}<li class="menu-item"><a href="{ctx.link(FACET_PATH + FACET_START)}">Browse all</a></li></ul>
  </nav>
  <div class="search-block-form block block-search" role="search">
   <form action="{ctx.link("/search")}" method="get" accept-charset="UTF-8">
    <div class="js-form-item form-item"><label for="edit-keys" class="visually-hidden">Search</label>
    <input title="Enter the terms you wish to search for." placeholder="Search" type="search" id="edit-keys" name="keys" size="15" maxlength="128" class="form-search"></div>
    <div class="form-actions"><input type="submit" value="Search" class="button"></div>
   </form>
  </div>
 </div>
</header>
<main role="main" class="main-container">
 <a id="main-content" tabindex="-1"></a>
 <div class="layout-content">
{main}
 </div>
 <aside class="layout-sidebar-second" role="complementary">
  <div class="views-element-container block-most-read"><h2 class="block-title">Most read</h2><ol class="item-list">{most_read}</ol></div>
 </aside>
</main>
<footer role="contentinfo" class="mee-footer">
 <div class="region region-footer">
  <nav class="menu--footer"><ul class="menu">
   <li><a href="{ctx.link("/about")}">About</a></li>
   <li><a href="{ctx.link("/terms")}">Terms and conditions</a></li>
   <li><a href="{ctx.link("/republishing")}">Republishing</a></li>
   <li><a href="mailto:contact@mee.invalid">Contact us</a></li></ul></nav>
  <p class="copyright">&copy; 2020 {esc(self.name)}. All rights reserved.</p>
 </div>
</footer>
</div>
</div>
<div id="sliding-popup" class="sliding-popup-bottom eu-cookie-compliance-banner" role="alertdialog">
 <div class="eu-cookie-compliance-content">
  <div class="eu-cookie-compliance-message"><h2>We use cookies on this site to enhance your user experience</h2><p>By clicking any link on this page you are giving your consent for us to set cookies.</p></div>
  <div class="eu-cookie-compliance-buttons"><button type="button" class="agree-button eu-cookie-compliance-default-button">OK, I agree</button><button type="button" class="decline-button eu-cookie-compliance-default-button">No, thanks</button></div>
 </div>
</div>
<script type="application/json" data-drupal-selector="drupal-settings-json">{{"path":{{"baseUrl":"\\/","currentLanguage":"en"}},"eu_cookie_compliance":{{"popup_enabled":true}}}}</script>
</body>
</html>
"""

    def _card(self, ctx: Ctx, article: Article) -> str:
        return f"""<div class="views-row"><article class="node node--type-article node--view-mode-teaser card">
 <a href="{ctx.art_href(article.key)}" class="card-image"><img src="{ctx.link(self.image_path(article))}" alt="" loading="lazy"></a>
 <h2 class="card-title"><a href="{ctx.art_href(article.key)}" rel="bookmark"><span>{esc(article.title)}</span></a></h2>
 <div class="card-summary">{esc(article.standfirst)}</div>
</article></div>"""

    # -- pages ----------------------------------------------------------------

    def home(self, ctx: Ctx, latest: list[Article], blocks: list[tuple[str, list[Article]]]) -> str:
        top = "".join(self._card(ctx, a) for a in latest[:6])
        rest = "".join(
            f'<section class="homepage-section section-{s}"><h2 class="section-title"><a href="{ctx.link(self.section_path(s, 1))}">{esc(self.section_name(s))}</a></h2>'
            + "".join(self._card(ctx, a) for a in items)
            + "</section>"
            for s, items in blocks
        )
        main = f'<div class="view view-homepage"><div class="view-content top-stories">{top}</div>{rest}</div>'
        head = f'<link rel="canonical" href="{esc(ctx.here("/"))}">\n<meta name="description" content="Middle East Eye: news and analysis from the Middle East and North Africa.">'
        return self.shell(ctx, title="Home", head=head, main=main, node_type="page")

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
        cards = "\n".join(self._card(ctx, a) for a in items)
        pager = ""
        if n_pages > 1:
            # Drupal's mini pager: query-only relative links.
            prev = (
                f'<li class="pager__item pager__item--previous"><a href="?page={page - 2}" title="Go to previous page" rel="prev">&lsaquo; Previous</a></li>'
                if page > 1
                else ""
            )
            nxt = (
                f'<li class="pager__item pager__item--next"><a href="?page={page}" title="Go to next page" rel="next">Next &rsaquo;</a></li>'
                if page < n_pages
                else ""
            )
            pager = f'<nav class="pager" role="navigation" aria-labelledby="pagination-heading"><h4 id="pagination-heading" class="visually-hidden">Pagination</h4><ul class="pager__items js-pager__items">{prev}<li class="pager__item is-active">Page {page}</li>{nxt}</ul></nav>'
        main = f"""<h1 class="page-title">{esc(title)}</h1>
<div class="view view-taxonomy-term view-display-id-page_1"><div class="view-content">
{cards}
</div>{pager}</div>"""
        head = ""
        if section:
            head = (
                f'<link rel="canonical" href="{esc(ctx.here(self.section_path(section, page)))}">'
            )
        return self.shell(ctx, title=title, head=head, main=main, node_type="section")

    def article(self, ctx: Ctx, article: Article) -> str:
        inserts: dict[int, list[str]] = {}
        n = len(article.paragraphs)

        def add(position: int, html: str) -> None:
            inserts.setdefault(position, []).append(html)

        # The newsletter box sits after the fourth or fifth paragraph.
        add(min(4 if article.label == "seed" else 3, max(n - 2, 0)), self._newsletter())
        limit = 3 if article.label == "seed" else 2
        for position, quote, speaker in pull_quote_positions(article, limit):
            add(
                position,
                f'<div class="pull-quote"><blockquote><p>{esc(quote)}</p></blockquote>'
                f'<p class="pull-quote-author">- {esc(speaker)}</p></div>',
            )
        if article.teaser is not None:
            other = ctx.art(article.teaser)
            add(
                max(1, int(n * 0.7)),
                f'<div class="article-teaser-in-body"><a href="{ctx.art_href(other.key)}">'
                f'<div class="teaser-image"><img src="{ctx.link(self.image_path(other))}" alt=""></div>'
                f'<div class="teaser-title">{esc(other.title)}</div>'
                f'<div class="teaser-read-more">Read More &raquo;</div></a></div>',
            )
        body = body_blocks(ctx, article, inserts={k: "\n".join(v) for k, v in inserts.items()})
        tags = "".join(
            f'<a href="{ctx.link("/search?keys=" + t)}" hreflang="en">{esc(t)}</a>'
            for t in (("Iraq", "US") if article.label in ("seed", "on_topic") else ("Middle East",))
        )
        subtitle = (
            f'<div class="field field--name-field-subtitle"><p>{esc(article.standfirst)}</p></div>'
            if article.label != "seed"
            else ""
        )
        dateline = (
            "" if article.label == "seed" else f" in {_DATELINES[article.number % len(_DATELINES)]}"
        )
        url = ctx.canonical(article)
        head = f"""<link rel="canonical" href="{url}">
<meta name="description" content="{esc(article.standfirst)}">
<meta property="og:site_name" content="{esc(self.name)}">
<meta property="og:type" content="article">
<meta property="og:url" content="{url}">
<meta property="og:title" content="{esc(article.title)}">
{self.amp_link(ctx, article)}
{news_article_ld(ctx, article, logo_path="/themes/mee/logo.svg")}"""
        share = "".join(
            f'<button class="social-share-button social-share-{s.lower()}" data-url="{url}" type="button">{s}</button>'
            for s in ("Facebook", "Twitter", "Email")
        )
        blurb = BLURB.format(
            form=f'<a href="{ctx.link("/republishing")}">form</a>',
            here=f'<a href="{ctx.link("/about")}">here</a>',
        )
        main = f"""<article role="article" class="node node--type-article node--promoted node--view-mode-full">
<div class="article-header">
 <div class="field field--name-field-tags field--type-entity-reference">{tags}</div>
 <h1 class="page-title"><span class="field field--name-title field--type-string">{esc(article.title)}</span></h1>
 {subtitle}
 <div class="field field--name-field-image"><figure class="article-main-image"><img src="{ctx.link(self.image_path(article))}" alt="" width="1200" height="675"><figcaption class="image-caption">{esc(article.caption)}</figcaption></figure></div>
 <div class="article-meta">
  <div class="field field--name-field-author">By <span class="author-name">{esc(article.author)}</span>{esc(dateline)}</div>
  <div class="date-authored"><span class="article-created">Published date: {day_month_year(article.published)}</span>
  <span class="article-changed">Last update: {day_month_year(article.modified)}</span></div>
 </div>
 <div class="social-share">{share}</div>
</div>
<div class="clearfix text-formatted field field--name-body field--type-text-with-summary field--label-hidden field__item">
{body}
</div>
<div class="article-footer-blurb"><p>{blurb}</p></div>
</article>"""
        return self.shell(ctx, title=article.title, head=head, main=main, node_type="article")

    def _newsletter(self) -> str:
        return f"""<div class="newsletter-signup-block in-article">
 <h3 class="newsletter-title">{esc(NEWSLETTER_TITLE)}</h3>
 <p class="newsletter-text">{esc(NEWSLETTER_TEXT)}</p>
 <form class="newsletter-form" action="/newsletter/subscribe" method="post"><input type="email" name="email" placeholder="Email address" required><button type="submit">Sign up</button></form>
</div>"""

    def page(self, ctx: Ctx, *, title: str, body: str) -> str:
        main = f'<h1 class="page-title">{esc(title)}</h1>\n<div class="field field--name-body">{body}</div>'
        return self.shell(ctx, title=title, head="", main=main, node_type="page")
