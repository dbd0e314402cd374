"""Turn a request target into a response, using the site's theme."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from . import _feeds, _traps
from ._html import Ctx, esc
from ._model import EPOCH, Article, Response
from ._sites import THEMES
from ._theme_base import Theme
from ._variants import amp_page, print_page

if TYPE_CHECKING:
    from ._web import NewsWeb

HTML = "text/html; charset=utf-8"
XML = "application/xml"

PDF_LINES = (
    "Explainer: the 2014 exchange of diplomatic notes",
    "",
    "A summary prepared by Tigris Wire for its clients.",
    "The notes, exchanged in 2014, invited foreign forces to help fight the",
    "Islamic State group and set out their legal status. The text itself has",
    "not been published. This explainer describes what is publicly known.",
    "",
    "(Generated for the newstrail offline test web. Not a real document.)",
)


SERVER_ERROR_PAGE = """<html><head><title>500 Internal Server Error</title></head><body>
<h1>Internal Server Error</h1>
<p>The server encountered an internal error and was unable to complete your request.</p>
</body></html>
"""


def _html(status: int, text: str, modified: dt.datetime | None = None) -> Response:
    return Response(status, HTML, text.encode("utf-8"), modified)


def _newest(articles: Iterable[Article]) -> dt.datetime | None:
    return max((a.modified for a in articles), default=None)


def not_found(web: NewsWeb, site: str, base_urls: Mapping[str, str], path: str) -> Response:
    theme = THEMES[site]
    ctx = Ctx(web, site, base_urls, path, relative=theme.relative_links)
    body = (
        "<p>Sorry, the page you were looking for could not be found. It may have been moved "
        f'or deleted.</p><p><a href="{ctx.link("/")}">Go to the front page</a></p>'
    )
    return _html(404, theme.page(ctx, title="Page not found", body=body))


def render(web: NewsWeb, site: str, target: str, base_urls: Mapping[str, str]) -> Response:
    # Path parameters (";jsessionid=...") name no resource of their own.
    path, _, query = _traps.split_target(target)
    theme = THEMES[site]
    route = web.routes[site].get(path)
    ctx = Ctx(web, site, base_urls, path, query, relative=theme.relative_links)
    if route is None:
        if site == _traps.CALENDAR_SITE and (month := _traps.parse_calendar(path)):
            return _html(200, _traps.render_calendar(web, ctx, theme, *month), EPOCH)
        return not_found(web, site, base_urls, path)
    kind = route.kind

    if kind == "article":
        article = web.articles[(site, route.arg)]
        if "print=1" in query.split("&"):
            return _html(200, print_page(ctx, theme, article), article.modified)
        return _html(200, theme.article(ctx, article), article.modified)
    if kind == "amp":
        article = web.articles[(site, route.arg)]
        return _html(200, amp_page(ctx, theme, article), article.modified)
    if kind == "home":
        latest = web.latest(site, 8)
        blocks = [(s, web.section_items(site, s)) for s, _ in theme.sections]
        blocks = [(s, [a for a in items if not a.orphan][:3]) for s, items in blocks]
        blocks = [(s, items) for s, items in blocks if items]
        modified = _newest(web.site_articles(site))
        return _html(200, theme.home(ctx, latest, blocks), modified)
    if kind == "section":
        return _section(web, ctx, theme, route.arg, route.page)
    if kind == "author":
        items = [a for a in web.listed_articles(site) if a.author == route.arg]
        text = theme.listing(ctx, title=route.arg, items=items, page=1, n_pages=1, section=None)
        return _html(200, text, _newest(items))
    if kind == "feed":
        items = web.feed_items(site)
        built = _newest(items) or EPOCH
        if theme.feed_kind == "atom":
            return _xml(_feeds.atom(ctx, theme, items, built), "application/atom+xml", built)
        return _xml(_feeds.rss(ctx, theme, items, built), "application/rss+xml", built)
    if kind.startswith("sitemap") or kind == "news_sitemap":
        return _sitemap(web, ctx, theme, kind, route.arg)
    if kind == "robots":
        maps = (
            ["/sitemap.xml", "/sitemaps/news.xml"] if theme.sitemap_index else [theme.sitemap_path]
        )
        text = _feeds.robots(ctx, theme, maps)
        return Response(200, "text/plain; charset=utf-8", text.encode(), EPOCH)
    if kind == "static":
        title, paragraphs = theme.static_pages[path]
        return _html(200, theme.page(ctx, title=title, body=theme.static_body(paragraphs)), EPOCH)
    if kind == "private":
        body = (
            "<p>This area is for registered users. Please sign in to continue.</p>"
            '<form method="post"><input name="user"> <input name="password" type="password">'
            " <button>Sign in</button></form>"
        )
        return _html(200, theme.page(ctx, title=theme.private_pages[path], body=body), EPOCH)
    if kind == "search":
        return _search(web, ctx, theme, query)
    if kind == "latest":
        return _html(200, _traps.render_endless(web, ctx, theme), _newest(web.site_articles(site)))
    if kind == "facets":
        return _html(200, _traps.render_facets(web, ctx, theme), EPOCH)
    if kind == "loop":
        # A -> B -> A: each answers with a redirect to the other.
        location = ctx.url(site, route.arg)
        link = f'<a href="{esc(location)}">{esc(location)}</a>'
        body = f"<html><body><p>Moved to {link}</p></body></html>"
        return Response(302, HTML, body.encode(), None, location)
    if kind == "redirect":
        location = ctx.url(site, route.arg)
        link = f'<a href="{esc(location)}">{esc(location)}</a>'
        body = f"<html><body><p>Moved to {link}</p></body></html>"
        return Response(301, HTML, body.encode(), None, location)
    if kind == "error":
        return _html(500, SERVER_ERROR_PAGE)
    if kind == "pdf":
        return Response(200, "application/pdf", _feeds.pdf_document(PDF_LINES), EPOCH)
    if kind == "image":
        label = web.articles[(site, route.arg)].caption if route.arg else theme.name
        return Response(200, "image/svg+xml", _feeds.placeholder_svg(label[:60]), EPOCH)
    raise ValueError(f"unknown route kind {kind!r}")


def _xml(text: str, content_type: str, modified: dt.datetime | None) -> Response:
    return Response(200, f"{content_type}; charset=utf-8", text.encode("utf-8"), modified)


def _section(web: NewsWeb, ctx: Ctx, theme: Theme, section: str, page: int) -> Response:
    if page == 0:
        # Query-paginated site (MEE): the page number is in ?page=N.
        page = theme.page_from_query(ctx.query)
    items = web.section_items(ctx.site, section)
    n_pages = len(web.section_pages(ctx.site, section))
    if not 1 <= page <= n_pages:
        return not_found(web, ctx.site, ctx.base_urls, ctx.path)
    size = theme.page_size
    shown = items[(page - 1) * size : page * size]
    text = theme.listing(
        ctx,
        title=theme.section_name(section),
        items=shown,
        page=page,
        n_pages=n_pages,
        section=section,
    )
    return _html(200, text, _newest(shown) or EPOCH)


def _sitemap(web: NewsWeb, ctx: Ctx, theme: Theme, kind: str, arg: str) -> Response:
    articles = web.sitemap_articles(ctx.site)
    newest = _newest(articles) or EPOCH
    if kind == "news_sitemap":
        items = web.news_sitemap_items(ctx.site)
        return _xml(_feeds.news_sitemap(ctx, theme, items), XML, _newest(items))
    if kind == "sitemap_index":
        years = sorted({a.published.year for a in articles}, reverse=True)
        entries = [
            (
                ctx.here(f"/sitemaps/sitemap-{year}.xml"),
                _newest(a for a in articles if a.published.year == year) or newest,
            )
            for year in years
        ]
        entries.append((ctx.here("/sitemaps/sitemap-sections.xml"), newest))
        entries.append((ctx.here("/sitemaps/news.xml"), newest))
        return _xml(_feeds.sitemap_index(entries), XML, newest)
    if kind == "sitemap_year":
        chosen = [a for a in articles if str(a.published.year) == arg]
        text = _feeds.urlset([(ctx.url(*a.key), a.modified) for a in chosen])
        return _xml(text, XML, _newest(chosen))
    pages: list[tuple[str, dt.datetime | None]] = [(ctx.here("/"), newest)]
    pages += [(ctx.here(theme.section_path(s, 1)), newest) for s, _ in theme.sections]
    if kind == "sitemap_sections":
        return _xml(_feeds.urlset(pages), XML, newest)
    pages += [(ctx.url(*a.key), a.modified) for a in articles]
    return _xml(_feeds.urlset(pages), XML, newest)


def _search(web: NewsWeb, ctx: Ctx, theme: Theme, query: str) -> Response:
    params = parse_qs(query)
    terms = next((v[0] for v in params.values() if v and v[0].strip()), "").lower()
    hits = [a for a in web.listed_articles(ctx.site) if terms and terms in a.title.lower()][:10]
    rows = "".join(f'<li><a href="{ctx.art_href(a.key)}">{esc(a.title)}</a></li>' for a in hits)
    body = (
        f'<p>{len(hits)} results for <b>{esc(terms)}</b></p><ol class="search-results">{rows}</ol>'
    )
    return _html(200, theme.page(ctx, title="Search results", body=body))
