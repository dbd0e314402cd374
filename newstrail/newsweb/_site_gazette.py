"""The Harbor City Gazette: a local paper on an old CMS.

Table layout, root-relative links, ``indexN.html`` pagination, dates only in a
``pubdate`` meta tag and the visible "Posted" line, reader comments, and
headline and "Popular now" links that carry a per-page ``?sessionid=`` (so a
naive crawler sees many URLs for one article). Runs wire copy with rel=canonical to the
agency's original.
"""

# HTML templates: markup lines are kept whole rather than wrapped at 100 columns.
# ruff: noqa: E501

from __future__ import annotations

import datetime as dt
import hashlib
from typing import ClassVar

from ._html import Ctx, ap_datetime, body_blocks, esc
from ._model import Article
from ._theme_base import StaticPages, Theme
from ._traps import LOOP_A


def session_id(seed: int, page_path: str) -> str:
    """The session id the CMS appends to links on ``page_path``."""
    return hashlib.sha1(f"{seed}:{page_path}".encode()).hexdigest()[:16]


class HarborGazette(Theme):
    key = "harborgazette"
    name = "The Harbor City Gazette"
    relative_links = True
    sections = (
        ("local", "Local"),
        ("sports", "Sports"),
        ("weather", "Weather"),
        ("business", "Business"),
        ("arts", "Arts & Life"),
        ("world", "Nation & World"),
    )
    kind_sections: ClassVar[dict[str, str]] = {
        "security": "world",
        "world": "world",
        "economy": "local",
        "energy": "business",
        "business": "business",
        "tech": "business",
        "sports": "sports",
        "weather": "weather",
        "culture": "arts",
    }
    feed_path = "/rss/headlines.xml"
    disallow = ("/cgi-bin/", "/search")
    search_path = "/search"
    private_pages: ClassVar[dict[str, str]] = {
        "/cgi-bin/classifieds.pl": "Classifieds",
        "/cgi-bin/login.pl": "Reader login",
    }
    static_pages: ClassVar[StaticPages] = {
        "/about.html": (
            "About the Gazette",
            (
                "The Harbor City Gazette has served Harbor City and the surrounding towns since "
                "1898.",
                "Our newsroom is at 14 Water Street. News tips are always welcome.",
            ),
        ),
        "/privacy.html": (
            "Privacy",
            ("We use cookies to keep you logged in and to count visitors.",),
        ),
    }
    page_size = 5
    places = ("Harbor City", "Millbrook", "Eastport", "Cedar Falls", "Pine Ridge", "Westfield")
    region = "the Harbor County area"
    authors = ("Bob Tillman", "Maggie Ferris", "Dennis O'Hara", "Carla Jimenez", "Staff report")
    extra_images = ("/img/masthead.svg",)

    def article_path(self, slug: str, section: str, published: dt.datetime, number: int) -> str:
        return f"/news/{section}/{published:%Y/%m/%d}/{slug}.html"

    def section_path(self, section: str, page: int) -> str:
        return f"/news/{section}/" + (f"index{page}.html" if page > 1 else "")

    def image_path(self, article: Article) -> str:
        return f"/img/photos/{article.number}.svg"

    def shell(self, ctx: Ctx, *, title: str, head: str, main: str) -> str:
        sid = session_id(ctx.web.seed, ctx.path)
        nav = "".join(
            f'<tr><td class="navitem"><a href="{ctx.link(self.section_path(s, 1))}">{esc(n)}</a></td></tr>'
            for s, n in self.sections
        )
        popular = "".join(
            f'<li><a href="{ctx.art_href(a.key, "?sessionid=" + sid)}">{esc(a.title)}</a></li>'
            for a in ctx.web.popular(self.key, 5)
        )
        return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" lang="en">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{esc(title)}</title>
{head}
{self.alternate_link(ctx)}
<style type="text/css">body{{font-family:Verdana,Arial,sans-serif;font-size:12px}} #leftcol{{width:160px;vertical-align:top}} #rightcol{{width:220px;vertical-align:top}}</style>
</head>
<body bgcolor="#ffffff">
<div id="cookiewarning" class="cookiebar">This website uses cookies. By using the site you accept our <a href="{ctx.link("/privacy.html")}">privacy policy</a>. <a href="#" onclick="document.getElementById('cookiewarning').style.display='none';return false;">Close</a></div>
<table id="masthead" width="100%" cellpadding="0" cellspacing="0"><tr>
 <td><a href="{ctx.link("/")}"><img src="{ctx.link("/img/masthead.svg")}" alt="The Harbor City Gazette" width="468" height="60" border="0" /></a></td>
 <td align="right" class="datebar">Serving Harbor County since 1898<br /><form action="{ctx.link("/search")}" method="get">Search: <input type="text" name="q" size="18" /> <input type="submit" value="Go" /></form></td>
</tr></table>
<table id="layout" width="100%" cellpadding="6" cellspacing="0"><tr>
<td id="leftcol">
 <table class="nav" width="100%">
  <tr><td class="navitem"><a href="{ctx.link("/")}">Front Page</a></td></tr>
  <tr><td class="navitem"><a href="{ctx.link(LOOP_A)}">Breaking News</a></td></tr>{nav}
  <tr><td class="navitem"><a href="{ctx.link("/archives/")}">Archives</a></td></tr>
  <tr><td class="navitem"><a href="{ctx.link("/cgi-bin/classifieds.pl")}">Classifieds</a></td></tr>
  <tr><td class="navitem"><a href="{ctx.link("/search?section=all")}">Search archives</a></td></tr>
 </table>
</td>
<td id="content">
{main}
</td>
<td id="rightcol">
 <div class="box popular"><h4>Popular now</h4><ol>{popular}</ol></div>
 <div class="box subscribe"><h4>Get the Gazette delivered</h4><p>Home delivery from $3.50 a week. Call 555-0142 or <a href="mailto:circulation@gazette.invalid">email circulation</a>.</p></div>
 <div class="box newsletter"><h4>Morning Headlines by email</h4><form action="{ctx.link("/cgi-bin/newsletter.pl")}" method="post"><input type="text" name="email" size="16" /> <input type="submit" value="Sign up" /></form></div>
</td>
</tr></table>
<div id="footer"><hr />
 <a href="{ctx.link("/about.html")}">About Us</a> | <a href="{ctx.link("/privacy.html")}">Privacy</a> | <a href="{ctx.link(self.feed_path)}">RSS</a><br />
 Copyright &copy; 1998-2020 The Harbor City Gazette. All rights reserved. This material may not be published, broadcast, rewritten or redistributed.
</div>
</body>
</html>
"""

    def _row(self, ctx: Ctx, article: Article) -> str:
        # The CMS threads the visitor's session through every headline link.
        sid = "?sessionid=" + session_id(ctx.web.seed, ctx.path)
        return f"""<tr><td class="headline"><a href="{ctx.art_href(article.key, sid)}"><b>{esc(article.title)}</b></a><br />
<span class="teaser">{esc(article.standfirst)}</span> <span class="posted">Posted {ap_datetime(article.published)}</span></td></tr>"""

    def home(self, ctx: Ctx, latest: list[Article], blocks: list[tuple[str, list[Article]]]) -> str:
        lead = "".join(self._row(ctx, a) for a in latest[:6])
        sections = "".join(
            f'<h3 class="sectionhead"><a href="{ctx.link(self.section_path(s, 1))}">{esc(self.section_name(s))}</a></h3><table class="headlines">'
            + "".join(self._row(ctx, a) for a in items)
            + "</table>"
            for s, items in blocks
        )
        main = f'<h2 class="sectionhead">Top Stories</h2><table class="headlines">{lead}</table>{sections}'
        return self.shell(ctx, title="The Harbor City Gazette - Front Page", head="", main=main)

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
        rows = "".join(self._row(ctx, a) for a in items)
        pages = ""
        if section and n_pages > 1:
            pages = "Pages: " + " ".join(
                f"<b>[{n}]</b>"
                if n == page
                else f'<a href="{ctx.link(self.section_path(section, n))}">[{n}]</a>'
                for n in range(1, n_pages + 1)
            )
        main = f'<h2 class="sectionhead">{esc(title)}</h2><table class="headlines">{rows}</table><p class="pages">{pages}</p>'
        return self.shell(ctx, title=f"{title} - The Harbor City Gazette", head="", main=main)

    def article(self, ctx: Ctx, article: Article) -> str:
        url = ctx.canonical(article)
        syndicated = article.canonical is not None
        credit = (
            f'<p class="credit">This story was distributed by {esc(ctx.site_name(article.canonical[0]))}.</p>'
            if article.canonical is not None
            else ""
        )
        comments = "".join(
            f'<div class="comment"><p class="commenter"><b>{esc(who)}</b> wrote:</p><p>{esc(text)}</p></div>'
            for who, text in article.comments
        )
        head = f"""<meta name="pubdate" content="{article.published:%Y%m%d}" />
<meta name="byl" content="By {esc(article.author)}" />
<meta name="description" content="{esc(article.standfirst)}" />
<link rel="canonical" href="{url}" />"""
        updated = (
            f" | Updated {ap_datetime(article.modified)}"
            if article.modified > article.published + dt.timedelta(hours=1)
            else ""
        )
        main = f"""<div class="story">
<p class="kicker"><a href="{ctx.link(self.section_path(article.section, 1))}">{esc(self.section_name(article.section))}</a></p>
<h1 class="storyhead">{esc(article.title)}</h1>
<p class="byline">By {esc(article.author)}{", " + esc(ctx.site_name(article.canonical[0])) if syndicated and article.canonical else ""}</p>
<p class="posted">Posted {ap_datetime(article.published)}{updated}</p>
<table class="photo" align="right" width="300"><tr><td><img src="{ctx.link(self.image_path(article))}" width="300" height="200" alt="" /></td></tr><tr><td class="cutline">{esc(article.caption)}</td></tr></table>
<div class="storytext">
{body_blocks(ctx, article)}
</div>
{credit}
<p class="tools"><a href="mailto:?subject={esc(article.title)}">E-mail this story</a> | <a href="javascript:window.print()">Print this story</a></p>
<div class="ad"><p class="adlabel">ADVERTISEMENT</p><p>Harbor Auto Mart - Spring sales event this weekend only!</p></div>
<div id="comments"><h3>Reader comments ({len(article.comments)})</h3>{comments}
<p class="commentnote">You must <a href="{ctx.link("/cgi-bin/login.pl")}">log in</a> to post a comment. Comments are moderated and may take time to appear.</p></div>
</div>"""
        return self.shell(
            ctx, title=f"{article.title} - The Harbor City Gazette", head=head, main=main
        )

    def page(self, ctx: Ctx, *, title: str, body: str) -> str:
        return self.shell(
            ctx,
            title=f"{title} - The Harbor City Gazette",
            head="",
            main=f'<h2 class="sectionhead">{esc(title)}</h2>{body}',
        )
