"""NewsWeb: the generated sites, articles and routes, renderable for any base URLs."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from . import _traps
from ._feeds import FEED_SIZE, NEWS_SITEMAP_SIZE, robots_disallows
from ._model import (
    CHANNELS,
    Article,
    ArticleKey,
    Channel,
    Response,
    Route,
    Site,
    Specials,
    WireStory,
)
from ._render import render
from ._sites import THEMES
from ._topics import LABELS, Label

#: What became of an article of the web's past on the live web (``NewsWeb.retire``).
Fate = Literal["gone", "home", "unlisted"]


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
    wire: tuple[WireStory, ...] = ()
    """The syndicated wire stories, each with its copies on other sites."""
    _by_site: dict[str, list[ArticleKey]] = field(default_factory=dict, init=False, repr=False)
    _listed: dict[str, list[ArticleKey]] = field(default_factory=dict, init=False, repr=False)
    _sections: dict[tuple[str, str], list[ArticleKey]] = field(
        default_factory=dict, init=False, repr=False
    )
    _popular: dict[tuple[str, int], list[ArticleKey]] = field(
        default_factory=dict, init=False, repr=False
    )
    _responses: int = field(default=0, init=False, repr=False)

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
        # Which articles listings show never changes either; large webs render
        # listings thousands of times.
        for site, keys in self._by_site.items():
            self._listed[site] = [k for k in keys if self.articles[k].listed]
            for key in self._listed[site]:
                section = self.articles[key].section
                self._sections.setdefault((site, section), []).append(key)

    # -- the live web of later years -----------------------------------------

    def retire(self, before: dt.datetime) -> dict[ArticleKey, Fate]:
        """Make this the live web of years after ``before``: every article published
        before it leaves the home, section and author pages, the feed and the
        sitemaps; of those, two in five are gone (404), one in five redirects to its
        site's home page (a soft 404) and the rest still answer, linked from
        nowhere but older articles. Wire stories and the special pages stay as
        they are. Returns each retired article's fate (``gone``, ``home``,
        ``unlisted``); the archive of the web's past is what holds them now."""
        specials = self.specials
        keep = {
            specials.redirect_to,
            specials.duplicate_of,
            specials.syndicated_copy,
            specials.syndicated_original,
            *((r.site, r.path.split("?")[0]) for r in specials.duplicate_variants),
        }
        for wire in self.wire:
            keep.add(wire.original)
            keep.update(key for key, _ in wire.copies)
        fates: dict[ArticleKey, Fate] = {}
        for key, article in self.articles.items():
            if article.published >= before or key in keep or article.copy_of is not None:
                continue
            draw = int(hashlib.sha1(f"{self.seed}:retire:{article.path}".encode()).hexdigest(), 16)
            fate: Fate = ("gone", "gone", "home", "unlisted", "unlisted")[draw % 5]
            if key in self.seed_keys:
                fate = "gone"  # a dead seed: only the archive still has it
            fates[key] = fate
        retired = set(fates)
        for site, routes in self.routes.items():
            for path, route in list(routes.items()):
                if route.kind not in ("article", "amp") or (site, route.arg) not in retired:
                    continue
                fate = fates[(site, route.arg)]
                if fate == "gone":
                    del routes[path]
                elif fate == "home":
                    routes[path] = Route("redirect", "/")
        self._by_site = {
            site: [k for k in keys if k not in retired] for site, keys in self._by_site.items()
        }
        self._listed = {
            site: [k for k in keys if k not in retired] for site, keys in self._listed.items()
        }
        self._sections = {
            where: [k for k in keys if k not in retired] for where, keys in self._sections.items()
        }
        self._popular.clear()
        return fates

    # -- queries --------------------------------------------------------------

    def site_articles(self, site: str) -> list[Article]:
        """The site's articles, newest first (feed- and sitemap-only ones included)."""
        return [self.articles[key] for key in self._by_site[site]]

    def listed_articles(self, site: str) -> list[Article]:
        """The articles HTML pages may show or link to, newest first."""
        return [self.articles[key] for key in self._listed[site]]

    def section_items(self, site: str, section: str) -> list[Article]:
        """The section's articles, newest first (orphans included)."""
        return [self.articles[key] for key in self._sections.get((site, section), [])]

    def latest(self, site: str, count: int, *, orphans: bool = False) -> list[Article]:
        """The newest ``count`` articles, leaving out orphans unless asked."""
        listed = (self.articles[key] for key in self._listed[site])
        return list(itertools.islice((a for a in listed if orphans or not a.orphan), count))

    def popular(self, site: str, count: int) -> list[Article]:
        """A stable "most read" list; story articles are left out so that they
        stay sparsely linked and crawl order matters."""
        keys = self._popular.get((site, count))
        if keys is None:
            pool = [
                a
                for a in self.listed_articles(site)
                if a.label in ("off_topic", "hard_negative") and not a.orphan
            ]
            pool.sort(key=lambda a: hashlib.sha1(f"{self.seed}:{a.path}".encode()).hexdigest())
            keys = self._popular[(site, count)] = [a.key for a in pool[:count]]
        return [self.articles[key] for key in keys]

    def feed_items(self, site: str) -> list[Article]:
        """What the site's feed lists: the newest listed articles plus the feed-only ones."""
        items = [self.articles[key] for key in self._listed[site][:FEED_SIZE]]
        items += [a for a in self.site_articles(site) if a.only == "feed"]
        return sorted(items, key=_newest_first)

    def sitemap_articles(self, site: str) -> list[Article]:
        """What the site's sitemaps list: every article but the feed-only ones."""
        return [a for a in self.site_articles(site) if a.only != "feed"]

    def news_sitemap_items(self, site: str) -> list[Article]:
        """A Google News sitemap: the newest articles plus the sitemap-only ones."""
        items = self.sitemap_articles(site)
        chosen = items[:NEWS_SITEMAP_SIZE]
        chosen += [a for a in items[NEWS_SITEMAP_SIZE:] if a.only == "sitemap"]
        return chosen

    def channels(self, article: Article) -> set[Channel]:
        """How a crawler can reach ``article``: HTML links, the feed, the sitemaps."""
        found: set[Channel] = set()
        if article.listed:
            # Every listed article is on its section's listing pages.
            found.add("link")
        if article.only != "feed":
            found.add("sitemap")
        if article.key in {a.key for a in self.feed_items(article.site)}:
            found.add("feed")
        return {c for c in CHANNELS if c in found}

    def stories(self) -> dict[str, Label]:
        """Story id -> label of every story (a wire story and its copies are one)."""
        return {a.story: a.label for a in self.articles.values() if a.copy_of is None}

    def trap_kind(self, site: str, target: str) -> _traps.TrapKind | None:
        """The trap a request for ``target`` (path and query) on ``site`` is in, or None."""
        return _traps.trap_kind(self, site, target)

    def disallowed(self, site: str, target: str) -> bool:
        """Whether ``site``'s robots.txt (``User-agent: *``) disallows ``target``."""
        return robots_disallows(self.sites[site], target)

    def next_session_token(self) -> str:
        """A session id no response has carried before (see ``_traps``)."""
        self._responses += 1
        return _traps.session_token(self.seed, self._responses)

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
        return sum(self.page_counts().values())

    def page_counts(self) -> dict[str, int]:
        """Distinct HTML pages by kind (AMP and print variants and traps not counted)."""
        html_kinds = ("home", "section", "article", "author", "static", "private", "search")
        counts = dict.fromkeys(html_kinds, 0)
        for site, routes in self.routes.items():
            for route in routes.values():
                if route.kind == "latest":
                    counts["section"] += _traps.endless_pages(self, site)
                elif route.kind not in html_kinds:
                    continue
                elif route.kind == "section" and route.page == 0:
                    counts["section"] += len(self.section_pages(site, route.arg))
                else:
                    counts[route.kind] += 1
        return counts

    def variant_count(self) -> int:
        """AMP and print versions of articles (each a duplicate of its article)."""
        amp = sum(1 for routes in self.routes.values() for r in routes.values() if r.kind == "amp")
        printable = sum(
            len(self.site_articles(site)) for site, theme in THEMES.items() if theme.print_link
        )
        return amp + printable

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
