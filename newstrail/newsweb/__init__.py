"""The bundled offline news web: generated news sites served on 127.0.0.1.

It is what ``newstrail demo`` crawls without internet access and the fixture
of the test suite. :func:`build_web` generates several news sites (home and
section pages, articles, feeds, sitemaps, robots.txt) around the seed
articles; :class:`NewsWebServer` serves each site on its own loopback port and
knows the ground truth: which article URLs are about the seed story
(``truth``), which story each URL shows (``story_of``: a wire story republished
on several sites, and its AMP and print versions, are one story), how a crawler
can reach each article (``reachable_by``: links, feed, sitemap), and which
requests fell into a crawler trap (``is_trap``) or a robots.txt rule
(``is_disallowed``).

    web = build_web(default_seed_articles(), seed=0, scale=1)
    with NewsWebServer(web) as server:
        server.seed_urls, server.truth, server.request_log

``scale`` 1 is the small web of the tests and the demo (about 420 pages); scale
4 has about 1,500 pages and 120 on-topic stories, scale 56 about 20,000 pages.

Standard library only; no Scrapy or Prefect.
"""

from ._build import build_web
from ._hostile import CODINGS, NOT_COVERAGE_LINKS, HostileSite, HostileSiteServer, bomb
from ._model import (
    CHANNELS,
    Article,
    ArticleKey,
    BodyLink,
    Channel,
    Ref,
    Response,
    SeedArticle,
    Site,
    Specials,
    WireStory,
    default_seed_articles,
    load_seed_articles,
)
from ._server import LoggedRequest, NewsWebServer, SpecialUrls, SyndicatedStory
from ._topics import LABELS, Label
from ._traps import TRAP_KINDS, TrapKind
from ._web import NewsWeb

__all__ = [
    "CHANNELS",
    "CODINGS",
    "LABELS",
    "NOT_COVERAGE_LINKS",
    "TRAP_KINDS",
    "Article",
    "ArticleKey",
    "BodyLink",
    "Channel",
    "HostileSite",
    "HostileSiteServer",
    "Label",
    "LoggedRequest",
    "NewsWeb",
    "NewsWebServer",
    "Ref",
    "Response",
    "SeedArticle",
    "Site",
    "SpecialUrls",
    "Specials",
    "SyndicatedStory",
    "TrapKind",
    "WireStory",
    "bomb",
    "build_web",
    "default_seed_articles",
    "load_seed_articles",
]
