"""Cookies without network lookups: Scrapy's cookies middleware on tldextract's bundled list.

Scrapy 2.19's ``CookiesMiddleware`` asks ``tldextract`` whether a cookie's domain
is a public suffix (``scrapy.downloadermiddlewares.cookies._split_domain``, a
module-level ``TLDExtract(include_psl_private_domains=True)``). On its first
use in a process without a cache (``~/.cache/python-tldextract``), that object
downloads the Public Suffix List from ``publicsuffix.org`` or
``raw.githubusercontent.com``: a connection the user did not ask for, made
outside the address guard, as soon as any page sets a cookie.

:class:`OfflineCookiesMiddleware` replaces it: the same middleware, with an
extractor that reads the snapshot bundled in the installed tldextract and never
a cache or the network. The snapshot is as recent as the installed
tldextract, which is enough to keep a cookie from being set on a public suffix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares import cookies
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from tldextract import TLDExtract

if TYPE_CHECKING:
    from typing import Self

__all__ = ["OFFLINE_SUFFIXES", "OfflineCookiesMiddleware", "use_offline_suffix_list"]

# No URLs to fetch, no cache to read or write: only the bundled snapshot. Private
# domains included, as in Scrapy's own extractor.
OFFLINE_SUFFIXES = TLDExtract(
    cache_dir=None,
    suffix_list_urls=(),
    fallback_to_snapshot=True,
    include_psl_private_domains=True,
)


def use_offline_suffix_list() -> None:
    """Make Scrapy's cookies middleware use :data:`OFFLINE_SUFFIXES` in this process.

    Raises RuntimeError when Scrapy no longer has the extractor this replaces, so
    that an upgrade of Scrapy stops the crawl rather than letting it go online.
    """
    current = getattr(cookies, "_split_domain", None)
    if not isinstance(current, TLDExtract):
        raise RuntimeError(
            "scrapy.downloadermiddlewares.cookies._split_domain is not a TLDExtract in this "
            "Scrapy version: check how its cookies middleware finds public suffixes "
            "(spiders/offline.py)"
        )
    cookies._split_domain = OFFLINE_SUFFIXES


class OfflineCookiesMiddleware(CookiesMiddleware):
    """Scrapy's cookies middleware, deciding public suffixes without the network.

    Takes the place of ``scrapy.downloadermiddlewares.cookies.CookiesMiddleware``
    (set that to None, this one to 700).
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        use_offline_suffix_list()
        return super().from_crawler(crawler)
