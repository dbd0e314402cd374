"""The crawl's Scrapy stats collector."""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector

__all__ = ["CrawlStats"]


class CrawlStats(MemoryStatsCollector):
    """Scrapy's in-memory stats, without the per-access shim of its base class.

    Scrapy's ``StatsCollector`` routes every attribute access through a Python
    ``__getattribute__`` that wraps its methods to warn of a ``spider`` argument (a
    deprecated one, which nothing in newstrail passes); inside ``inc_value`` its own
    ``self._stats`` goes through it too, raising and catching an AttributeError each
    time. A crawl counts a dozen stats a page: 1-1.5% of the crawler's time on the
    throughput bench went there. Plain attribute access leaves the methods as
    Scrapy defines them.
    """

    __getattribute__ = object.__getattribute__
