"""Citizen Truth: a WordPress news blog (hosts seed 000).

Absolute links everywhere, /category/ archives with /page/N/, RSS at /feed/,
dates in Open Graph meta tags, a "Type to search" search box, an author bio
closing each post, "You Might also Like" and a "Leave a Comment" form.
"""

# HTML templates: markup lines are kept whole rather than wrapped at 100 columns.
# ruff: noqa: E501

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from ._html import Ctx, body_blocks, esc, iso, long_date, slugify
from ._model import Article
from ._theme_base import StaticPages, Theme
from ._traps import calendar_start

_STYLE = """body{font-family:Georgia,serif;margin:0;color:#222}
.td-header-wrap{background:#111;color:#fff;padding:8px 24px}
.td-main-content-wrap{display:flex;gap:32px;padding:24px}
.td-ss-main-content{flex:3}.td-sidebar{flex:1;font-size:14px}
#cookie-notice{position:fixed;bottom:0;left:0;right:0;background:#333;color:#fff;padding:8px}"""


class CitizenTruth(Theme):
    key = "citizentruth"
    name = "Citizen Truth"
    sections = (
        ("world", "World"),
        ("politics", "Politics"),
        ("us", "U.S."),
        ("economy", "Economy"),
        ("culture", "Culture"),
    )
    kind_sections: ClassVar[dict[str, str]] = {
        "security": "world",
        "world": "politics",
        "economy": "economy",
        "energy": "economy",
        "business": "economy",
        "sports": "culture",
        "weather": "us",
        "tech": "culture",
        "culture": "culture",
    }
    feed_path = "/feed/"
    disallow = ("/wp-admin/", "/search/")
    allow = ("/wp-admin/admin-ajax.php",)
    search_path = "/search/"
    static_pages: ClassVar[StaticPages] = {
        "/about-us/": (
            "About Us",
            (
                "Citizen Truth is an independent news site publishing reporting and commentary "
                "from staff writers and contributors.",
                "We believe readers deserve context as well as headlines.",
            ),
        ),
        "/privacy-policy/": (
            "Privacy Policy",
            (
                "This site uses cookies to measure traffic and remember your preferences.",
                "We do not sell personal data. You can ask us to delete comments you have posted.",
            ),
        ),
    }
    page_size = 5
    places = ("Denver", "Columbus", "Sacramento", "Tampa", "Milwaukee", "Raleigh")
    region = "the Midwest"
    authors = ("Marcus Delgado", "Joanna Pryce", "Ravi Kumaran", "Elise Fontaine", "Tom Beringer")
    author_pages = True
    extra_images = ("/wp-content/uploads/avatar.svg", "/wp-content/uploads/related-thumb.svg")

    def article_path(self, slug: str, section: str, published: dt.datetime, number: int) -> str:
        return f"/{slug}/"

    def section_path(self, section: str, page: int) -> str:
        return f"/category/{section}/" + (f"page/{page}/" if page > 1 else "")

    def author_path(self, author: str) -> str:
        return f"/author/{slugify(author)}/"

    def image_path(self, article: Article) -> str:
        return f"/wp-content/uploads/{article.published:%Y/%m}/{article.number}-featured.svg"

    def bio(self, author: str) -> str:
        first = author.split()[0]
        return (
            f"{first} is a Research Fellow and a regular contributor to Citizen Truth, writing "
            "on foreign policy, security and the politics of the Middle East. Their work has "
            "appeared in a number of international outlets."
        )

    # -- shell ----------------------------------------------------------------

    def shell(self, ctx: Ctx, *, title: str, head: str, main: str, body_class: str) -> str:
        nav = "".join(
            f'<li class="menu-item menu-item-type-taxonomy"><a href="{ctx.link(self.section_path(s, 1))}">'
            f"{esc(n)}</a></li>"
            for s, n in self.sections
        )
        trending = "".join(
            f'<li><a href="{ctx.link("/search/?s=" + t)}">#{esc(t)}</a></li>'
            for t in ("iraq", "elections", "climate")
        )
        return f"""<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
{head}
{self.alternate_link(ctx)}
<link rel="alternate" type="application/rss+xml" title="{esc(self.name)} &raquo; Comments Feed" href="{esc(ctx.here("/feed/"))}">
<style>{_STYLE}</style>
</head>
<body class="{body_class} td-standard-pack">
<div id="td-outer-wrap" class="td-theme-wrap">
<div class="td-header-wrap td-header-style-1">
 <div class="td-header-top-menu"><ul class="top-header-menu">
  <li><a href="{ctx.link("/about-us/")}">About Us</a></li>
  <li><a href="{ctx.link("/privacy-policy/")}">Privacy Policy</a></li></ul></div>
 <div class="td-header-logo"><a class="td-main-logo" href="{ctx.link("/")}"><span class="td-logo-text">{esc(self.name)}</span></a>
  <span class="td-tagline-text">Independent news and citizen journalism</span></div>
 <div class="td-header-menu-wrap"><ul id="menu-main-menu" class="sf-menu">
  <li class="menu-item"><a href="{ctx.link("/")}">Home</a></li>{nav}</ul>
  <div class="td-search-wrapper"><form method="get" class="td-search-form" action="{ctx.link("/search/")}">
   <label for="td-header-search" class="td-search-label">Type to search</label>
   <input id="td-header-search" type="text" name="s" placeholder="Type to search" autocomplete="off">
   <button type="submit" class="td-search-button">Search</button></form></div>
 </div>
</div>
<div class="td-main-content-wrap">
<div class="td-ss-main-content">
{main}
</div>
<aside class="td-sidebar">
 <div class="widget td_block_trending"><h4 class="block-title"><span>Trending</span></h4><ul>{trending}</ul></div>
 <div class="widget tribe-events-widget"><h4 class="block-title"><span>Events</span></h4><p><a href="{ctx.link(calendar_start())}">Community events calendar</a></p></div>
 <div class="widget widget_mc4wp_form_widget"><h4 class="block-title"><span>Newsletter</span></h4>
  <form class="mc4wp-form" method="post" action="{ctx.link("/subscribe/")}"><p>Get the day's top stories in your inbox.</p>
  <input type="email" name="EMAIL" placeholder="Your email address" required><input type="submit" value="Subscribe"></form></div>
</aside>
</div>
<div class="td-footer-wrapper"><div class="td-footer-bottom-full">
 <p class="footer-text-wrap">{esc(self.name)} is an independent news outlet. Copyright &copy; 2020 {esc(self.name)}. All rights reserved.</p>
 <ul class="td-footer-menu"><li><a href="{ctx.link("/about-us/")}">About</a></li><li><a href="{ctx.link("/privacy-policy/")}">Privacy</a></li><li><a href="mailto:editor@citizentruth.invalid">Contact</a></li></ul>
</div></div>
</div>
<div id="cookie-notice" role="dialog" class="cookie-notice-container"><span id="cn-notice-text">We use cookies to ensure that we give you the best experience on our website. If you continue to use this site we will assume that you are happy with it.</span>
 <a href="#" id="cn-accept-cookie" class="cn-set-cookie cn-button">Ok</a> <a href="{ctx.link("/privacy-policy/")}" class="cn-more-info">Privacy policy</a></div>
<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments);}}gtag('js',new Date());</script>
</body>
</html>
"""

    def _module(self, ctx: Ctx, article: Article, *, excerpt: bool) -> str:
        text = f'<div class="td-excerpt">{esc(article.standfirst)}</div>' if excerpt else ""
        return f"""<div class="td_module_10 td_module_wrap td-animation-stack">
 <div class="td-module-thumb"><a href="{ctx.art_href(article.key)}" rel="bookmark" class="td-image-wrap" title="{esc(article.title)}"><img width="218" height="150" class="entry-thumb" src="{ctx.link(self.image_path(article))}" alt=""></a></div>
 <div class="item-details"><h3 class="entry-title td-module-title"><a href="{ctx.art_href(article.key)}" rel="bookmark" title="{esc(article.title)}">{esc(article.title)}</a></h3>
 <div class="td-module-meta-info"><span class="td-post-author-name"><a href="{ctx.link(self.author_path(article.author))}">{esc(article.author)}</a> <span>-</span> </span><span class="td-post-date"><time class="entry-date updated td-module-date" datetime="{iso(article.published)}">{long_date(article.published)}</time></span></div>
 {text}</div></div>"""

    def _pager(self, ctx: Ctx, page: int, n_pages: int, path_of: str | None) -> str:
        if n_pages <= 1 or path_of is None:
            return ""
        links = []
        if page > 1:
            links.append(
                f'<a href="{ctx.link(self.section_path(path_of, page - 1))}" class="previouspostslink">&laquo;</a>'
            )
        for n in range(1, n_pages + 1):
            if n == page:
                links.append(f'<span class="current">{n}</span>')
            else:
                links.append(
                    f'<a href="{ctx.link(self.section_path(path_of, n))}" class="page" title="{n}">{n}</a>'
                )
        if page < n_pages:
            links.append(
                f'<a href="{ctx.link(self.section_path(path_of, page + 1))}" class="nextpostslink">&raquo;</a>'
            )
        links.append(f'<span class="pages">Page {page} of {n_pages}</span>')
        return f'<div class="page-nav td-pb-padding-side">{"".join(links)}</div>'

    # -- pages ----------------------------------------------------------------

    def home(self, ctx: Ctx, latest: list[Article], blocks: list[tuple[str, list[Article]]]) -> str:
        grid = "".join(self._module(ctx, a, excerpt=True) for a in latest[:5])
        sections = "".join(
            f'<div class="td_block_wrap td_block_1"><h4 class="block-title"><a href="{ctx.link(self.section_path(s, 1))}">'
            f"{esc(self.section_name(s))}</a></h4>"
            + "".join(self._module(ctx, a, excerpt=False) for a in items)
            + "</div>"
            for s, items in blocks
        )
        head = f'<link rel="canonical" href="{esc(ctx.here("/"))}">\n<meta property="og:type" content="website">'
        main = f'<div class="td-big-grid-wrapper">{grid}</div>\n{sections}'
        return self.shell(
            ctx,
            title=f"{self.name} - Independent news",
            head=head,
            main=main,
            body_class="home blog",
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
        modules = "\n".join(self._module(ctx, a, excerpt=True) for a in items)
        main = f"""<div class="td-category-header"><h1 class="entry-title td-page-title">{esc(title)}</h1></div>
<div class="td-category-grid">{modules}</div>
{self._pager(ctx, page, n_pages, section)}"""
        path = self.section_path(section, page) if section else ""
        head = f'<link rel="canonical" href="{esc(ctx.here(path))}">' if path else ""
        suffix = f" - Page {page} of {n_pages}" if page > 1 else ""
        return self.shell(
            ctx,
            title=f"{title} Archives{suffix} - {self.name}",
            head=head,
            main=main,
            body_class="archive category",
        )

    def article(self, ctx: Ctx, article: Article) -> str:
        url = ctx.canonical(article)
        author_href = ctx.link(self.author_path(article.author))
        section_href = ctx.link(self.section_path(article.section, 1))
        share = "".join(
            f'<button type="button" class="td-social-sharing-button td-social-{n.lower()}" data-href="{url}">'
            f'<span class="td-social-but-text">{n}</span></button>'
            for n in ("Facebook", "Twitter", "WhatsApp")
        )
        tags = "".join(
            f'<li><a href="{ctx.link("/search/?s=" + t)}">{esc(t)}</a></li>' for t in _tags(article)
        )
        related = "".join(
            f"""<div class="td_module_related_posts td-animation-stack td_mod_related_posts"><div class="td-module-image"><a href="{ctx.art_href(k)}" rel="bookmark" title="{esc(ctx.art(k).title)}"><img class="entry-thumb" src="{ctx.link("/wp-content/uploads/related-thumb.svg")}" alt="" width="218" height="150"></a></div>
 <div class="item-details"><h3 class="entry-title td-module-title"><a href="{ctx.art_href(k)}" rel="bookmark" title="{esc(ctx.art(k).title)}">{esc(ctx.art(k).title)}</a></h3></div></div>"""
            for k in article.related
        )
        head = f"""<link rel="canonical" href="{url}">
<meta name="description" content="{esc(article.standfirst)}">
<meta name="author" content="{esc(article.author)}">
<meta property="og:locale" content="en_US">
<meta property="og:type" content="article">
<meta property="og:title" content="{esc(article.title)}">
<meta property="og:url" content="{url}">
<meta property="og:site_name" content="{esc(self.name)}">
<meta property="article:section" content="{esc(self.section_name(article.section))}">
<meta property="article:published_time" content="{iso(article.published)}">
<meta property="article:modified_time" content="{iso(article.modified)}">"""
        main = f"""<article id="post-{article.number}" class="post-{article.number} post type-post status-publish format-standard has-post-thumbnail category-{article.section}">
<div class="td-post-header">
 <ul class="td-category"><li class="entry-category"><a href="{section_href}">{esc(self.section_name(article.section))}</a></li></ul>
 <header class="td-post-title">
  <h1 class="entry-title">{esc(article.title)}</h1>
  <div class="td-module-meta-info">
   <div class="td-post-author-name"><div class="td-author-by">By</div> <a href="{author_href}">{esc(article.author)}</a></div>
   <span class="td-post-date"><time class="entry-date updated td-module-date" datetime="{iso(article.published)}">{long_date(article.published)}</time></span>
   <div class="td-post-comments"><a href="#respond"><i class="td-icon-comments"></i>{len(article.comments)}</a></div>
  </div>
 </header>
</div>
<div class="td-post-sharing-top"><div class="td-post-sharing-visible">{share}</div></div>
<div class="td-post-featured-image"><figure><img width="696" height="392" class="entry-thumb" src="{ctx.link(self.image_path(article))}" alt="" title="{esc(article.title)}"><figcaption class="wp-caption-text">{esc(article.caption)}</figcaption></figure></div>
<div class="td-post-content tagdiv-type">
{body_blocks(ctx, article)}
</div>
<footer>
 <div class="td-post-source-tags"><ul class="td-tags td-post-small-box clearfix"><li><span>TAGS</span></li>{tags}</ul></div>
 <div class="td-post-sharing-bottom"><div class="td-post-sharing-visible">{share}</div></div>
 <div class="td-author-name vcard author" style="display:none"><span class="fn">{esc(article.author)}</span></div>
 <div class="author-box-wrap"><a href="{author_href}"><img alt="" src="{ctx.link("/wp-content/uploads/avatar.svg")}" class="avatar" height="96" width="96"></a>
  <div class="desc"><div class="td-author-name vcard author"><span class="fn"><a href="{author_href}">{esc(article.author)}</a></span></div>
  <div class="td-author-description">{esc(self.bio(article.author))}</div></div></div>
</footer>
</article>
<div class="td_block_wrap td_block_related_posts"><h4 class="td-related-title td-block-title"><span class="td-related-left td-cur-simple-item">You Might also Like</span></h4>
<div class="td_block_inner">{related}</div></div>
<div class="comments" id="comments">
<div id="respond" class="comment-respond">
 <h3 id="reply-title" class="comment-reply-title">Leave a Comment</h3>
 <form action="{ctx.link("/wp-comments-post.php")}" method="post" id="commentform" class="comment-form">
  <p class="comment-notes"><span id="email-notes">Your email address will not be published.</span> <span class="required-field-message">Required fields are marked <span class="required">*</span></span></p>
  <div class="clearfix"></div>
  <div class="comment-form-input-wrap td-form-comment"><textarea placeholder="Comment:" id="comment" name="comment" cols="45" rows="8" aria-required="true"></textarea></div>
  <div class="comment-form-input-wrap td-form-author"><input class="" id="author" name="author" placeholder="Name:*" type="text" value="" size="30" aria-required="true"></div>
  <div class="comment-form-input-wrap td-form-email"><input class="" id="email" name="email" placeholder="Email:*" type="text" value="" size="30" aria-required="true"></div>
  <div class="comment-form-input-wrap td-form-url"><input class="" id="url" name="url" placeholder="Website:" type="text" value="" size="30"></div>
  <p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" value="Post Comment"></p>
 </form>
</div>
</div>"""
        return self.shell(
            ctx,
            title=f"{article.title} - {self.name}",
            head=head,
            main=main,
            body_class=f"post-template-default single single-post postid-{article.number}",
        )

    def page(self, ctx: Ctx, *, title: str, body: str) -> str:
        main = f'<div class="td-page-header"><h1 class="entry-title td-page-title">{esc(title)}</h1></div>\n<div class="td-page-content">{body}</div>'
        return self.shell(
            ctx, title=f"{title} - {self.name}", head="", main=main, body_class="page"
        )


def _tags(article: Article) -> tuple[str, ...]:
    if article.label in ("seed", "on_topic"):
        return ("iraq", "us-military", "middle-east")
    if article.label == "hard_negative":
        return ("middle-east", "us-foreign-policy")
    return (article.section,)
