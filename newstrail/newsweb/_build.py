"""build_web: generate the sites, their articles and the links between them."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Sequence

from . import _traps
from ._corpus_negative import AFGHANISTAN, INVASION_ANNIVERSARY, IRAN_DEAL, IRAQ_OIL, SYRIA
from ._corpus_offtopic import (
    ECONOMY,
    EXHIBITION,
    FESTIVAL,
    GADGET,
    HEAT,
    SPORTS,
    STARTUP,
    STORM,
)
from ._corpus_story import STORY_CAPTIONS, STORY_TOPICS
from ._html import slugify
from ._model import (
    Article,
    ArticleKey,
    BodyLink,
    Ref,
    Route,
    SeedArticle,
    Specials,
    WireStory,
)
from ._site_gazette import session_id
from ._sites import SEED_HOSTS, THEMES
from ._textgen import BASE_GRAMMAR, generate_article, pick_date
from ._topics import Label, Topic
from ._web import NewsWeb

# Articles per site at scale 1: (on_topic, hard_negative, off_topic).
MIX: dict[str, tuple[int, int, int]] = {
    "citizentruth": (5, 1, 14),
    "mee": (7, 2, 12),
    "tigriswire": (7, 2, 20),
    "harborgazette": (2, 0, 32),
    "meridian": (6, 3, 16),
    "capitalledger": (3, 2, 26),
}
NEGATIVES: dict[str, tuple[Topic, ...]] = {
    "citizentruth": (AFGHANISTAN,),
    "mee": (SYRIA, INVASION_ANNIVERSARY),
    "tigriswire": (SYRIA, IRAQ_OIL),
    "harborgazette": (IRAQ_OIL,),
    "meridian": (IRAN_DEAL, AFGHANISTAN, INVASION_ANNIVERSARY),
    "capitalledger": (IRAQ_OIL, IRAN_DEAL),
}
OFF_TOPICS: dict[str, tuple[Topic, ...]] = {
    "citizentruth": (ECONOMY, GADGET, EXHIBITION, FESTIVAL, HEAT, STORM, SPORTS),
    "mee": (FESTIVAL, EXHIBITION, SPORTS, STARTUP, ECONOMY, HEAT),
    "tigriswire": (SPORTS, STORM, HEAT, ECONOMY, GADGET, STARTUP, EXHIBITION, FESTIVAL),
    "harborgazette": (SPORTS, STORM, ECONOMY, SPORTS, HEAT, FESTIVAL, STARTUP, EXHIBITION),
    "meridian": (EXHIBITION, FESTIVAL, GADGET, STARTUP, ECONOMY),
    "capitalledger": (ECONOMY, GADGET, STARTUP, ECONOMY, STARTUP, FESTIVAL),
}
# More off-topic articles per scale step, in sections the story never appears in:
# a news site publishes far more than one story, and most of it is elsewhere.
EXTRA_OFF: dict[str, tuple[int, tuple[Topic, ...]]] = {
    "citizentruth": (24, (SPORTS, GADGET, EXHIBITION, FESTIVAL, HEAT, STORM)),
    "mee": (20, (SPORTS, EXHIBITION, FESTIVAL)),
    "tigriswire": (28, (SPORTS, STORM, GADGET, FESTIVAL, HEAT, EXHIBITION)),
    "harborgazette": (18, (SPORTS, STORM, HEAT, FESTIVAL, EXHIBITION, GADGET)),
    "meridian": (24, (EXHIBITION, FESTIVAL, GADGET, SPORTS, STORM)),
    "capitalledger": (24, (GADGET, SPORTS, EXHIBITION, FESTIVAL)),
}
# Share of on-topic articles no article links to (found only via listings,
# feeds and sitemaps).
ORPHAN_SHARE = 0.27
# Share of on-topic articles that only the site's feed lists, and (as many again)
# that only its sitemaps list: no HTML page links to them.
CHANNEL_ONLY_SHARE = 0.05
# Sites that republish wire stories, and how they edit them, in rotation: each
# wire story appears on three of them.
COPY_PLAN: tuple[tuple[str, str], ...] = (
    ("harborgazette", "verbatim"),
    ("citizentruth", "relede"),
    ("capitalledger", "note"),
    ("meridian", "relede"),
    ("mee", "note"),
)
COPIES_PER_STORY = 3
WIRE_SITE = "tigriswire"
EDITOR_NOTE = (
    "Editor's note: This article was first published by {agency} and is republished "
    "here with permission. It has been edited for length."
)

REDIRECT_SITE, NOT_FOUND_SITE, ERROR_SITE, PDF_SITE = (
    "mee",
    "meridian",
    "harborgazette",
    "tigriswire",
)
PDF_PATH = "/documents/2014-exchange-of-notes-explainer.pdf"
NOT_FOUND_PATH = "/world/2019/11/live-updates-iraq-troop-talks"
ERROR_PATH = "/archives/"
UTM_SOCIAL = "?utm_source=twitter&utm_medium=social&utm_campaign=iraq"

_COMMENTERS = ("HarborDad58", "millbrook_mom", "J. Peters", "Concerned Citizen", "RiverRat")
_COMMENTS = (
    "Thanks for covering this. More people should be paying attention.",
    "I remember when this used to be front page news every day.",
    "Good article, but I wish you had talked to more local people.",
    "Where is the follow-up on this? Asked the council twice now.",
    "Great reporting as always.",
    "Not sure I agree, but it was worth reading.",
)


def build_web(seed_articles: Sequence[SeedArticle], *, seed: int = 0, scale: int = 1) -> NewsWeb:
    """Generate the offline news web: a pure function of its arguments.

    ``seed_articles[i]`` becomes a seed page on ``SEED_HOSTS[i % 6]`` (000 on
    Citizen Truth, 001 on Middle East Eye). ``scale`` multiplies the number of
    generated articles of every kind, and of the wire stories that three other
    sites republish: scale 1 has about 420 pages and 30 on-topic stories, scale 4
    about 1,500 pages and 120, scale 56 about 20,000 pages. Some story articles
    are listed only by their site's feed or only by its sitemaps; the crawler
    traps (``_traps``) are generated on request and have no end.
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    return _Builder(seed, scale).build(seed_articles)


class _Builder:
    def __init__(self, seed: int, scale: int) -> None:
        self.seed = seed
        self.scale = scale
        self.articles: dict[ArticleKey, Article] = {}
        self.numbers: dict[str, int] = {key: 0 for key in THEMES}
        self.slugs: dict[str, set[str]] = {key: set() for key in THEMES}
        self.titles: set[str] = set()

    def rng(self, *parts: object) -> random.Random:
        # One generator per purpose, so adding articles of one kind does not
        # reshuffle the others.
        return random.Random(":".join(["newsweb", str(self.seed), *map(str, parts)]))

    # -- articles -------------------------------------------------------------

    def _next_number(self, site: str) -> int:
        self.numbers[site] += 1
        return 1000 + self.numbers[site]

    def _unique_slug(self, site: str, title: str) -> str:
        base = slugify(title) or "article"
        slug, n = base, 2
        while slug in self.slugs[site]:
            slug, n = f"{base}-{n}", n + 1
        self.slugs[site].add(slug)
        return slug

    def _add(
        self,
        site: str,
        *,
        label: Label,
        topic: str,
        kind: str,
        title: str,
        standfirst: str,
        author: str,
        published: dt.datetime,
        modified: dt.datetime,
        paragraphs: list[str],
        caption: str,
        quotes: list[tuple[str, str]],
    ) -> Article:
        theme = THEMES[site]
        section = theme.kind_sections[kind]
        number = self._next_number(site)
        path = theme.article_path(self._unique_slug(site, title), section, published, number)
        article = Article(
            site=site,
            path=path,
            number=number,
            label=label,
            topic=topic,
            section=section,
            title=title,
            standfirst=standfirst,
            author=author,
            published=published,
            modified=modified,
            paragraphs=paragraphs,
            caption=caption,
            quotes=quotes,
        )
        assert article.key not in self.articles, article.key
        self.articles[article.key] = article
        return article

    def _generate(self, site: str, topic: Topic, index: int) -> Article:
        theme = THEMES[site]
        rng = self.rng(site, topic.key, index)
        grammar = BASE_GRAMMAR.with_rules({"local_city": theme.places, "region": (theme.region,)})
        day = pick_date(topic, rng)
        published = dt.datetime(
            day.year, day.month, day.day, rng.randint(6, 21), rng.randint(0, 59), tzinfo=dt.UTC
        )
        updated = rng.random() < 0.3
        modified = published + dt.timedelta(minutes=rng.randint(40, 1800) if updated else 0)
        text = generate_article(
            topic, grammar, rng, day, site_name=theme.name, used_titles=self.titles
        )
        article = self._add(
            site,
            label=topic.label,
            topic=topic.key,
            kind=topic.kind,
            title=text.title,
            standfirst=text.standfirst,
            author=rng.choice(theme.authors),
            published=published,
            modified=modified,
            paragraphs=list(text.paragraphs),
            caption=text.caption,
            quotes=list(text.quotes),
        )
        if site == "harborgazette":
            article.comments = [
                (rng.choice(_COMMENTERS), rng.choice(_COMMENTS)) for _ in range(rng.randint(0, 3))
            ]
        return article

    def _generate_all(self) -> None:
        story = list(STORY_TOPICS)
        self.rng("story-order").shuffle(story)
        slot = 0
        for site, (n_on, n_neg, n_off) in MIX.items():
            for i in range(n_on * self.scale):
                # Round-robin over the story's sub-topics so all are covered.
                self._generate(site, story[slot % len(story)], i)
                slot += 1
            negatives = NEGATIVES[site]
            for i in range(n_neg * self.scale):
                self._generate(site, negatives[i % len(negatives)], i)
            offs = OFF_TOPICS[site]
            for i in range(n_off * self.scale):
                self._generate(site, offs[i % len(offs)], i)
            n_extra, extras = EXTRA_OFF[site]
            for i in range(n_extra * self.scale):
                # Indices after the ones above, so no article is generated twice.
                self._generate(site, extras[i % len(extras)], n_off * self.scale + i)

    def _add_seed(self, index: int, seed: SeedArticle) -> Article:
        site = SEED_HOSTS[index % len(SEED_HOSTS)]
        rng = self.rng("seed", index)
        day = seed.day
        published = dt.datetime(day.year, day.month, day.day, 9, 30, tzinfo=dt.UTC)
        first = seed.paragraphs[0]
        standfirst = first if len(first.split()) <= 40 else " ".join(first.split()[:30]) + "..."
        caption = BASE_GRAMMAR.expand(rng.choice(STORY_CAPTIONS), rng)
        return self._add(
            site,
            label="seed",
            topic="seed",
            kind="world",
            title=seed.title,
            standfirst=standfirst,
            author=seed.author,
            published=published,
            modified=published,
            paragraphs=list(seed.paragraphs),
            caption=caption,
            quotes=seed_quotes(seed.paragraphs),
        )

    # -- links ----------------------------------------------------------------

    def _link(self, rng: random.Random, article: Article, target: Ref) -> bool:
        """Wrap a few words of a not-yet-linked paragraph in a link to ``target``."""
        taken = {link.paragraph for link in article.links}
        candidates = [
            i for i, p in enumerate(article.paragraphs) if i not in taken and len(p.split()) >= 12
        ]
        if not candidates:
            return False
        paragraph = rng.choice(candidates)
        n_words = len(article.paragraphs[paragraph].split())
        length = rng.randint(3, 5)
        word = rng.randint(1, n_words - length - 1)
        article.links.append(BodyLink(paragraph, word, length, target))
        article.links.sort(key=lambda link: link.paragraph)
        return True

    def build(self, seed_articles: Sequence[SeedArticle]) -> NewsWeb:
        self._generate_all()
        seeds = [self._add_seed(i, s) for i, s in enumerate(seed_articles)]
        rng = self.rng("links")
        by_label: dict[str, list[Article]] = {}
        for article in self.articles.values():
            by_label.setdefault(article.label, []).append(article)
        on_topic = by_label.get("on_topic", [])

        def first(site: str, *exclude: ArticleKey) -> Article:
            return next(a for a in on_topic if a.site == site and a.key not in exclude)

        # Articles with a special role stay linked (never orphans).
        redirect_target = first(REDIRECT_SITE)
        duplicate = first("harborgazette")
        original = first("tigriswire")
        pdf_linker = next(
            (a for a in on_topic if a.site == PDF_SITE and a.topic == "immunity_notes"),
            first(PDF_SITE, original.key),
        )
        redirect_linker = first("citizentruth")
        not_found_linker = first(NOT_FOUND_SITE)
        utm_linker = first(NOT_FOUND_SITE, not_found_linker.key)
        teaser_target = next(
            (a for a in on_topic if a.site == "mee" and a.topic == "protests"),
            first("mee", redirect_target.key),
        )
        keep = {
            a.key
            for a in (
                redirect_target,
                duplicate,
                original,
                teaser_target,
                pdf_linker,
                redirect_linker,
                not_found_linker,
                utm_linker,
            )
        }

        # Seed pages link into other sites' coverage: pick those targets first.
        seed_targets: dict[ArticleKey, list[Article]] = {}
        for page in seeds:
            others = [a for a in on_topic if a.site != page.site and a.key not in keep]
            chosen = rng.sample(others, min(4, len(others)))
            seed_targets[page.key] = chosen
            keep.update(a.key for a in chosen)

        wire_originals = self._pick_wire(on_topic, original, keep)
        keep.update(a.key for a in wire_originals)
        self._pick_channel_only(on_topic, keep)

        n_orphans = round(ORPHAN_SHARE * len(on_topic))
        candidates = [a for a in on_topic if a.key not in keep and a.listed]
        for article in rng.sample(candidates, min(n_orphans, len(candidates))):
            article.orphan = True
        linkable = [a for a in on_topic if not a.orphan and a.listed]
        self._index()

        for page in seeds:
            self._link_seed(rng, page, seed_targets[page.key], teaser_target)

        for article in list(self.articles.values()):
            if article.label == "seed":
                continue
            self._link_generated(rng, article, linkable, by_label)

        # The wire stories as other sites run them; the first copy of the first
        # one is the Gazette's verbatim copy with rel=canonical (Specials).
        wire = [self._syndicate(rng, k, story) for k, story in enumerate(wire_originals)]
        copy = self.articles[wire[0].copies[0][0]]

        # The awkward cases, each on a page a crawler will reach.
        redirect_from = Ref(REDIRECT_SITE, f"/node/{redirect_target.number}")
        utm_variant = Ref(duplicate.site, duplicate.path + UTM_SOCIAL)
        for linker, target in (
            (redirect_linker, redirect_from),
            (not_found_linker, Ref(NOT_FOUND_SITE, NOT_FOUND_PATH)),
            (pdf_linker, Ref(PDF_SITE, PDF_PATH)),
            (utm_linker, utm_variant),
        ):
            if not self._link(rng, linker, target):
                raise RuntimeError(f"no paragraph left for the link to {target}")

        web = NewsWeb(
            seed=self.seed,
            scale=self.scale,
            sites={key: theme.site() for key, theme in THEMES.items()},
            articles=self.articles,
            seed_keys=[a.key for a in seeds],
            specials=Specials(
                redirect_from=redirect_from,
                redirect_to=redirect_target.key,
                not_found=Ref(NOT_FOUND_SITE, NOT_FOUND_PATH),
                server_error=Ref(ERROR_SITE, ERROR_PATH),
                pdf=Ref(PDF_SITE, PDF_PATH),
                duplicate_of=duplicate.key,
                duplicate_variants=(),
                syndicated_copy=copy.key,
                syndicated_original=original.key,
                disallowed=(),
            ),
            routes={},
            wire=tuple(wire),
        )
        web.routes = self._routes(web, redirect_from)
        web.specials = self._finish_specials(web, duplicate, utm_variant)
        return web

    def _pick_wire(
        self, on_topic: list[Article], original: Article, keep: set[ArticleKey]
    ) -> list[Article]:
        """The wire stories other sites republish: ``scale`` agency articles."""
        pool = [a for a in on_topic if a.site == WIRE_SITE and a.key not in keep]
        more = self.rng("wire").sample(pool, min(self.scale - 1, len(pool)))
        return [original, *more]

    def _pick_channel_only(self, on_topic: list[Article], keep: set[ArticleKey]) -> None:
        """Mark some story articles feed-only and as many sitemap-only.

        Half the sitemap-only ones are on the agency site, whose Google News
        sitemap gives their titles; the rest are in plain sitemaps (URL and date).
        """
        rng = self.rng("channel-only")
        n = max(1, int(CHANNEL_ONLY_SHARE * len(on_topic)))
        pool = [a for a in on_topic if a.key not in keep]
        wire_pool = [a for a in pool if a.site == WIRE_SITE]
        on_wire = rng.sample(wire_pool, min(-(-n // 2), len(wire_pool)))
        rest = [a for a in pool if a.site != WIRE_SITE]
        sitemap_only = on_wire + rng.sample(rest, n - len(on_wire))
        for article in sitemap_only:
            article.only = "sitemap"
        rest = [a for a in pool if a.only is None]
        for article in rng.sample(rest, n):
            article.only = "feed"

    def _syndicate(self, rng: random.Random, index: int, original: Article) -> WireStory:
        """Republish ``original`` on three sites, each with its own small edit."""
        agency = THEMES[original.site].name
        copies: list[tuple[ArticleKey, str]] = []
        for n in range(COPIES_PER_STORY):
            site, edit = COPY_PLAN[(index * COPIES_PER_STORY + n) % len(COPY_PLAN)]
            paragraphs = list(original.paragraphs)
            if edit == "relede":
                # The local desk rewrites the first sentence from the summary.
                _, _, rest = paragraphs[0].partition(". ")
                lede = original.standfirst.rstrip(".") + "."
                paragraphs[0] = f"{lede} {rest}" if rest else lede
            elif edit == "note":
                paragraphs = [EDITOR_NOTE.format(agency=agency), *paragraphs[:-1]]
            moment = original.published + dt.timedelta(hours=2 + n)
            copy = self._add(
                site,
                label="on_topic",
                topic=original.topic,
                kind="world",
                title=original.title,
                standfirst=original.standfirst,
                author=original.author,
                published=moment,
                modified=moment,
                paragraphs=paragraphs,
                caption=original.caption,
                quotes=list(original.quotes),
            )
            if edit == "verbatim":
                copy.canonical = original.key
            copy.copy_of = original.key
            copy.story_id = original.story
            copy.related = self._related(rng, copy)
            copies.append((copy.key, edit))
        return WireStory(original.key, tuple(copies))

    def _index(self) -> None:
        # Pools for related boxes and links, built once: scanning every article
        # for every article made large scales quadratic.
        self.section_pool: dict[tuple[str, str], list[Article]] = {}
        self.off_by_site: dict[str, list[Article]] = {}
        for a in self.articles.values():
            if not a.orphan and a.listed and a.label != "seed":
                self.section_pool.setdefault((a.site, a.section), []).append(a)
            if a.label == "off_topic":
                self.off_by_site.setdefault(a.site, []).append(a)

    def _related(self, rng: random.Random, article: Article, count: int = 3) -> list[ArticleKey]:
        pool = self.section_pool.get((article.site, article.section), [])
        return [a.key for a in _sample_except(rng, pool, article, count)]

    def _link_seed(
        self, rng: random.Random, page: Article, targets: list[Article], teaser: Article
    ) -> None:
        for target in targets:
            self._link(rng, page, Ref(target.site, target.path))
        off = [a for pool in self.off_by_site.values() for a in pool]
        self._link(rng, page, _ref(rng.choice(off)))
        same_site = [
            a
            for a in self.articles.values()
            if a.site == page.site
            and a.label in ("on_topic", "off_topic")
            and not a.orphan
            and a.listed
        ]
        on_same = [a for a in same_site if a.label == "on_topic"]
        off_same = [a for a in same_site if a.label == "off_topic"]
        related = rng.sample(on_same, min(1, len(on_same))) + rng.sample(
            off_same, min(2, len(off_same))
        )
        if targets:
            related.insert(1, targets[-1])
        page.related = [a.key for a in related]
        if page.site == "mee" and teaser.site == "mee":
            page.teaser = teaser.key

    def _link_generated(
        self,
        rng: random.Random,
        article: Article,
        linkable: list[Article],
        by_label: dict[str, list[Article]],
    ) -> None:
        article.related = self._related(rng, article)
        if article.label == "on_topic":
            if rng.random() < 0.6:
                self._link_to(rng, article, _sample_except(rng, linkable, article, 1))
            if rng.random() < 0.25:
                negatives = by_label.get("hard_negative", [])
                self._link_to(rng, article, _sample_except(rng, negatives, article, 1))
            mee_story = [a for a in linkable if a.site == "mee"]
            if article.site == "mee" and rng.random() < 0.5:
                for other in _sample_except(rng, mee_story, article, 1):
                    article.teaser = other.key
        elif article.label == "hard_negative":
            if rng.random() < 0.3:
                self._link_to(rng, article, _sample_except(rng, linkable, article, 1))
        elif rng.random() < 0.3:
            same = self.off_by_site.get(article.site, [])
            self._link_to(rng, article, _sample_except(rng, same, article, 1))

    def _link_to(self, rng: random.Random, article: Article, targets: list[Article]) -> None:
        for target in targets:
            self._link(rng, article, _ref(target))

    # -- routes ---------------------------------------------------------------

    def _routes(self, web: NewsWeb, redirect_from: Ref) -> dict[str, dict[str, Route]]:
        routes: dict[str, dict[str, Route]] = {}
        for key, theme in THEMES.items():
            table: dict[str, Route] = {}

            def add(
                path: str, route: Route, table: dict[str, Route] = table, site: str = key
            ) -> None:
                assert path not in table, f"{site}: two routes for {path}"
                table[path] = route

            add("/", Route("home"))
            add("/robots.txt", Route("robots"))
            add(theme.feed_path, Route("feed"))
            for section, _ in theme.sections:
                n_pages = len(web.section_pages(key, section))
                for path, route in theme.section_routes(section, n_pages):
                    add(path, route)
            articles = web.site_articles(key)
            for article in articles:
                add(article.path, Route("article", article.path))
                add(theme.image_path(article), Route("image", article.path))
                if theme.amp:
                    add(theme.amp_path(article), Route("amp", article.path))
            for path in theme.extra_images:
                add(path, Route("image"))
            if theme.author_pages:
                for author in sorted({a.author for a in articles}):
                    add(theme.author_path(author), Route("author", author))
            if theme.sitemap_index:
                add("/sitemap.xml", Route("sitemap_index"))
                for year in sorted({a.published.year for a in web.sitemap_articles(key)}):
                    add(f"/sitemaps/sitemap-{year}.xml", Route("sitemap_year", str(year)))
                add("/sitemaps/sitemap-sections.xml", Route("sitemap_sections"))
                add("/sitemaps/news.xml", Route("news_sitemap"))
            else:
                add(theme.sitemap_path, Route("sitemap"))
            for path in theme.static_pages:
                add(path, Route("static", path))
            for path in theme.private_pages:
                add(path, Route("private", path))
            if theme.search_path:
                add(theme.search_path, Route("search"))
            routes[key] = table
        target = web.specials.redirect_to
        routes[redirect_from.site][redirect_from.path] = Route("redirect", target[1])
        routes[ERROR_SITE][ERROR_PATH] = Route("error")
        routes[PDF_SITE][PDF_PATH] = Route("pdf")
        routes[_traps.ENDLESS_SITE][_traps.ENDLESS_PATH] = Route("latest")
        routes[_traps.FACET_SITE][_traps.FACET_PATH] = Route("facets")
        routes[_traps.LOOP_SITE][_traps.LOOP_A] = Route("loop", _traps.LOOP_B)
        routes[_traps.LOOP_SITE][_traps.LOOP_B] = Route("loop", _traps.LOOP_A)
        return routes

    def _finish_specials(self, web: NewsWeb, duplicate: Article, utm_variant: Ref) -> Specials:
        theme = THEMES[duplicate.site]
        items = web.section_items(duplicate.site, duplicate.section)
        page = items.index(duplicate) // theme.page_size + 1
        listing_path = theme.section_path(duplicate.section, page)
        session_variant = Ref(
            duplicate.site, duplicate.path + "?sessionid=" + session_id(self.seed, listing_path)
        )
        printable = next(iter(web.site_articles("capitalledger")))
        disallowed = (
            Ref("citizentruth", "/search/?s=iraq"),
            Ref("mee", "/search?keys=Iraq"),
            Ref("tigriswire", "/private/terminal"),
            Ref("harborgazette", "/cgi-bin/classifieds.pl"),
            Ref("meridian", "/account/subscribe"),
            Ref("capitalledger", printable.path + "?print=1"),
        )
        old = web.specials
        return Specials(
            redirect_from=old.redirect_from,
            redirect_to=old.redirect_to,
            not_found=old.not_found,
            server_error=old.server_error,
            pdf=old.pdf,
            duplicate_of=old.duplicate_of,
            duplicate_variants=(session_variant, utm_variant),
            syndicated_copy=old.syndicated_copy,
            syndicated_original=old.syndicated_original,
            disallowed=disallowed,
        )


def _ref(article: Article) -> Ref:
    return Ref(article.site, article.path)


def _sample_except(
    rng: random.Random, pool: list[Article], article: Article, count: int
) -> list[Article]:
    """Up to ``count`` random members of ``pool`` other than ``article``."""
    picked = rng.sample(pool, min(count + 1, len(pool)))
    return [a for a in picked if a.key != article.key][:count]


_QUOTED = re.compile(r"[\"\u201c]([^\"\u201c\u201d]{40,}?)[,.]?[\"\u201d]")
_SPEAKER = re.compile(
    r"(?:said|says|told)\s+((?:[A-Z][\w'-]+\s){0,2}[A-Z][\w'-]+)"
    r"|((?:[A-Z][\w'-]+\s){0,2}[A-Z][\w'-]+)\s+(?:said|says|told|added)"
)


def seed_quotes(paragraphs: Sequence[str]) -> list[tuple[str, str]]:
    """(quote, speaker) pairs from a seed text, for pull quotes: a quoted
    passage of a paragraph that also names who said it."""
    found = []
    for paragraph in paragraphs:
        quote = _QUOTED.search(paragraph)
        speaker = _SPEAKER.search(paragraph)
        if quote and speaker:
            name = speaker.group(1) or speaker.group(2)
            found.append((quote.group(1).strip(), name))
    return found
