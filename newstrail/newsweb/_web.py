"""NewsWeb: the generated sites, articles and routes, renderable for any base URLs."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from ._model import Article, ArticleKey, Response, Route, Site, Specials
from ._render import render
from ._sites import THEMES
from ._topics import LABELS, Label


@dataclass
class NewsWeb:
    """Several generated news sites: what :func:`build_web` returns.

    Pages are rendered on request from this model, so links between sites can
    point at whatever base URLs the sites are served under.
    """

    seed: int
    scale: int
    sites: dict[str, Site]
    articles: dict[ArticleKey, Article]
    """Every article, keyed by (site, path)."""
    seed_keys: list[ArticleKey]
    specials: Specials
    routes: dict[str, dict[str, Route]]
    """site -> path (no query) -> what it serves."""
    _by_site: dict[str, list[ArticleKey]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        # Publication dates never change (edits only move ``modified``), so the
        # newest-first order of each site is computed once.
        by_site: dict[str, list[Article]] = {site: [] for site in self.sites}
        for article in self.articles.values():
            by_site[article.site].append(article)
        self._by_site = {
            site: [a.key for a in sorted(items, key=_newest_first)]
            for site, items in by_site.items()
        }

    # -- queries --------------------------------------------------------------

    def site_articles(self, site: str) -> list[Article]:
        """The site's articles, newest first."""
        return [self.articles[key] for key in self._by_site[site]]

    def section_items(self, site: str, section: str) -> list[Article]:
        """The section's articles, newest first (orphans included)."""
        return [a for a in self.site_articles(site) if a.section == section]

    def latest(self, site: str, count: int, *, orphans: bool = False) -> list[Article]:
        """The newest ``count`` articles, leaving out orphans unless asked."""
        items = [a for a in self.site_articles(site) if orphans or not a.orphan]
        return items[:count]

    def popular(self, site: str, count: int) -> list[Article]:
        """A stable "most read" list; story articles are left out so that they
        stay sparsely linked and crawl order matters."""
        pool = [
            a
            for a in self.site_articles(site)
            if a.label in ("off_topic", "hard_negative") and not a.orphan
        ]
        pool.sort(key=lambda a: hashlib.sha1(f"{self.seed}:{a.path}".encode()).hexdigest())
        return pool[:count]

    @property
    def seed_articles(self) -> list[Article]:
        return [self.articles[key] for key in self.seed_keys]

    def label_counts(self) -> dict[Label, int]:
        """Article pages per ground-truth label."""
        counts = Counter(a.label for a in self.articles.values())
        return {label: counts.get(label, 0) for label in LABELS}

    def truth(self, base_urls: Mapping[str, str]) -> dict[str, Label]:
        """Absolute article URL -> label, for sites served at ``base_urls``."""
        return {base_urls[a.site] + a.path: a.label for a in self.articles.values()}

    def page_count(self) -> int:
        """Distinct HTML pages (articles, listings, static pages), one URL each."""
        html_kinds = {"home", "section", "article", "author", "static", "private", "search"}
        total = 0
        for site, routes in self.routes.items():
            for route in routes.values():
                if route.kind not in html_kinds:
                    continue
                if route.kind == "section" and route.page == 0:
                    total += len(self.section_pages(site, route.arg))
                else:
                    total += 1
        return total

    def section_pages(self, site: str, section: str) -> range:
        """Page numbers (from 1) of a section's listing; an empty section has one."""
        size = THEMES[site].page_size
        count = len(self.section_items(site, section))
        return range(1, max(1, -(-count // size)) + 1)

    # -- rendering ------------------------------------------------------------

    def render(self, site: str, target: str, base_urls: Mapping[str, str]) -> Response:
        """Render ``target`` (path and query) of ``site`` with sites at ``base_urls``."""
        return render(self, site, target, base_urls)


def _newest_first(article: Article) -> tuple[float, str]:
    return (-article.published.timestamp(), article.path)
