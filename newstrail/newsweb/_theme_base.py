"""What every site theme provides: a URL scheme, site facts and page templates."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from ._html import Ctx, esc
from ._model import Article, Route, Site

StaticPages = dict[str, tuple[str, tuple[str, ...]]]


class Theme:
    """One news site: its identity, URL scheme and HTML templates.

    Subclasses set the class attributes and implement ``home``, ``listing``,
    ``article`` and ``page``; everything else has a default.
    """

    key: ClassVar[str]
    name: ClassVar[str]
    relative_links: ClassVar[bool] = False
    sections: ClassVar[tuple[tuple[str, str], ...]]
    kind_sections: ClassVar[dict[str, str]]
    """Editorial kind of a topic (``world``, ``sports``...) -> section slug."""
    feed_kind: ClassVar[str] = "rss"
    feed_path: ClassVar[str]
    sitemap_path: ClassVar[str] = "/sitemap.xml"
    sitemap_index: ClassVar[bool] = False
    disallow: ClassVar[tuple[str, ...]]
    allow: ClassVar[tuple[str, ...]] = ()
    crawl_delay: ClassVar[float | None] = None
    """``Crawl-delay:`` of the ``*`` group in robots.txt, seconds."""
    print_link: ClassVar[bool] = False
    """Article pages link to a print version at ``?print=1`` (robots.txt allows it)."""
    amp: ClassVar[bool] = False
    """Every article has an AMP version at ``/amp`` + its path, announced by
    ``<link rel="amphtml">``."""
    search_path: ClassVar[str | None] = None
    private_pages: ClassVar[dict[str, str]] = {}
    """Pages under a disallowed prefix that other pages link to: path -> title."""
    static_pages: ClassVar[StaticPages] = {}
    page_size: ClassVar[int] = 10
    places: ClassVar[tuple[str, ...]]
    region: ClassVar[str]
    authors: ClassVar[tuple[str, ...]]
    author_pages: ClassVar[bool] = False
    extra_images: ClassVar[tuple[str, ...]] = ()
    """Paths of site-wide images (logos, avatars) the templates use."""

    # -- identity -----------------------------------------------------------

    def site(self) -> Site:
        return Site(
            key=self.key,
            name=self.name,
            feed_path=self.feed_path,
            feed_kind=self.feed_kind,
            sitemap_path=self.sitemap_path,
            disallow=self.disallow,
            sections=self.sections,
            crawl_delay=self.crawl_delay,
            allow=self.allow,
        )

    def section_name(self, slug: str) -> str:
        return dict(self.sections)[slug]

    # -- URL scheme ---------------------------------------------------------

    def article_path(self, slug: str, section: str, published: dt.datetime, number: int) -> str:
        raise NotImplementedError

    def section_path(self, section: str, page: int) -> str:
        raise NotImplementedError

    def section_routes(self, section: str, n_pages: int) -> list[tuple[str, Route]]:
        return [
            (self.section_path(section, page), Route("section", section, page))
            for page in range(1, n_pages + 1)
        ]

    def page_from_query(self, query: str) -> int:
        """Page number of a listing paginated by query string (0: not such a site)."""
        return 0

    def author_path(self, author: str) -> str:
        raise NotImplementedError

    def image_path(self, article: Article) -> str:
        return f"/images/{article.number}.svg"

    def amp_path(self, article: Article) -> str:
        return "/amp" + article.path

    # -- pages --------------------------------------------------------------

    def home(self, ctx: Ctx, latest: list[Article], blocks: list[tuple[str, list[Article]]]) -> str:
        raise NotImplementedError

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
        raise NotImplementedError

    def article(self, ctx: Ctx, article: Article) -> str:
        raise NotImplementedError

    def page(self, ctx: Ctx, *, title: str, body: str) -> str:
        """A plain page (about, search results, errors) in the site's shell."""
        raise NotImplementedError

    # -- shared bits --------------------------------------------------------

    def alternate_link(self, ctx: Ctx) -> str:
        kind = "application/atom+xml" if self.feed_kind == "atom" else "application/rss+xml"
        return (
            f'<link rel="alternate" type="{kind}" title="{esc(self.name)}" '
            f'href="{esc(ctx.here(self.feed_path))}">'
        )

    def amp_link(self, ctx: Ctx, article: Article) -> str:
        """The ``<link rel="amphtml">`` of an article page ("" on sites without AMP)."""
        if not self.amp:
            return ""
        return f'<link rel="amphtml" href="{esc(ctx.here(self.amp_path(article)))}">'

    def static_body(self, paragraphs: tuple[str, ...]) -> str:
        return "\n".join(f"<p>{esc(p)}</p>" for p in paragraphs)
