"""Downloader middlewares: refuse non-public addresses, keep to the page budget."""

from __future__ import annotations

import asyncio
import logging
import socket

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.dupefilters import BaseDupeFilter
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from newstrail.config import CrawlConfig
from newstrail.urls import canonical_url, is_public_address
from spiders.distributed import SharedBudget, shared_budget

__all__ = [
    "META_KEY",
    "AddressGuardMiddleware",
    "BudgetMiddleware",
    "RedirectDupeFilter",
    "TrapMiddleware",
]

logger = logging.getLogger(__name__)

# Requests made by the coverage spider carry their crawl context under this key;
# requests without it (robots.txt) are Scrapy's own.
META_KEY = "newstrail"


class AddressGuardMiddleware:
    """Refuse loopback, private, link-local and reserved addresses unless allowed.

    The host is resolved before the request is sent, and the address the response
    actually came from is checked again, so a name that resolves differently the
    second time cannot slip through.
    """

    def __init__(self, crawler: Crawler, allow_private: bool) -> None:
        self.crawler = crawler
        self.allow_private = allow_private
        self._verdicts: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        config: CrawlConfig = crawler.settings["NEWSTRAIL_CONFIG"]
        return cls(crawler, config.allow_private)

    async def _refusal(self, host: str) -> str | None:
        if host in self._verdicts:
            return self._verdicts[host]
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None)
        except (socket.gaierror, UnicodeError):
            # Unresolvable: let the download fail with the resolver's own error.
            return None
        addresses = sorted({str(info[4][0]) for info in infos})
        bad = [a for a in addresses if not is_public_address(a)]
        verdict = f"{host} resolves to non-public address {bad[0]}" if bad else None
        self._verdicts[host] = verdict
        return verdict

    async def process_request(self, request: Request) -> None:
        if self.allow_private:
            return
        host = urlparse_cached(request).hostname or ""
        reason = await self._refusal(host)
        if reason:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newstrail/refused_address")
            raise IgnoreRequest(f"refused {request.url}: {reason} (use --allow-private)")

    def process_response(self, request: Request, response: Response) -> Response:
        address = response.ip_address
        if not self.allow_private and address is not None and not is_public_address(str(address)):
            raise IgnoreRequest(f"refused {request.url}: came from {response.ip_address}")
        return response


class TrapMiddleware:
    """Drop queued requests whose URL pattern the spider has since closed as a trap."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TrapMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        traps = getattr(self.crawler.spider, "traps", None)
        if traps is None or META_KEY not in request.meta:
            return
        if not traps.allows(canonical_url(request.url)):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newstrail/trap_requests_dropped")
            raise IgnoreRequest("URL pattern closed as a crawler trap")


class BudgetMiddleware:
    """Send at most ``budget`` page requests; robots.txt requests do not count."""

    def __init__(self, crawler: Crawler, budget: int, shared: SharedBudget | None = None) -> None:
        self.crawler = crawler
        self.budget = budget
        self.sent = 0
        # A distributed crawl counts its budget across all workers, in Redis.
        self.shared = shared

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BudgetMiddleware:
        config: CrawlConfig = crawler.settings["NEWSTRAIL_CONFIG"]
        return cls(crawler, config.budget, shared_budget(config))

    @property
    def exhausted(self) -> bool:
        return self.sent >= self.budget

    def process_request(self, request: Request) -> None:
        if META_KEY not in request.meta:
            return
        # Seeds are always fetched: they may wait on their host's robots.txt while
        # pages discovered meanwhile spend the budget.
        is_seed = getattr(request.meta[META_KEY], "channel", None) == "seed"
        spent = self.exhausted if self.shared is None else not self.shared.take()
        if spent and not is_seed:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newstrail/over_budget_dropped")
            raise IgnoreRequest("page budget spent")
        self.sent += 1
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("newstrail/pages_requested", self.sent)


class RedirectDupeFilter(BaseDupeFilter):
    """Drop a redirect whose target the crawl has already requested.

    The spider filters links on canonical URLs before it makes requests, so
    only requests made by the redirect middleware need checking here, against
    the spider's own set of requested URLs.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__()
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectDupeFilter:
        return cls(crawler)

    def request_seen(self, request: Request) -> bool:
        if "redirect_urls" not in request.meta:
            return False
        seen: set[str] | None = getattr(self.crawler.spider, "seen", None)
        if seen is None:
            return False
        key = canonical_url(request.url)
        if key in seen:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newstrail/redirect_to_seen")
            return True
        seen.add(key)
        return False

    def log(self, request: Request, spider: Spider) -> None:
        logger.debug("redirect to a page already requested: %s", request.url)
