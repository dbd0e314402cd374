"""The bundled offline news web: generated news sites served on 127.0.0.1.

It is what ``newstrail demo`` crawls without internet access and the fixture
of the test suite. :func:`build_web` generates several news sites (home and
section pages, articles, feeds, sitemaps, robots.txt) around the seed
articles; :class:`NewsWebServer` serves each site on its own loopback port and
knows the ground truth (which article URLs are about the seed story).

    web = build_web(default_seed_articles(), seed=0, scale=1)
    with NewsWebServer(web) as server:
        server.seed_urls, server.truth, server.request_log

Standard library only; no Scrapy or Prefect.
"""

from ._build import build_web
from ._model import (
    Article,
    ArticleKey,
    BodyLink,
    Ref,
    Response,
    SeedArticle,
    Site,
    Specials,
    default_seed_articles,
    load_seed_articles,
)
from ._server import LoggedRequest, NewsWebServer, SpecialUrls
from ._topics import LABELS, Label
from ._web import NewsWeb

__all__ = [
    "LABELS",
    "Article",
    "ArticleKey",
    "BodyLink",
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
    "build_web",
    "default_seed_articles",
    "load_seed_articles",
]
