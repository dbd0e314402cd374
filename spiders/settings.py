"""Scrapy settings for a newstrail crawl, built from the typed CrawlConfig."""

from __future__ import annotations

from typing import Any

from newstrail.config import CrawlConfig

__all__ = ["crawl_settings"]


def crawl_settings(config: CrawlConfig) -> dict[str, Any]:
    """Scrapy settings for one crawl: polite by default, every response archived.

    A worker of a distributed crawl (a frontier in Redis) gets the shared frontier,
    seen-set, budget and politeness on top, from one Scrapy add-on
    (``newstrail.spiders.distributed``); a one-process crawl never loads it.
    """
    settings = _local_settings(config)
    if config.frontier is not None:
        settings["ADDONS"] = {"newstrail.spiders.distributed.DistributedCrawl": 0}
    return settings


def _local_settings(config: CrawlConfig) -> dict[str, Any]:
    return {
        "NEWSTRAIL_CONFIG": config,
        "BOT_NAME": "newstrail",
        "USER_AGENT": config.user_agent,
        "ROBOTSTXT_OBEY": config.obey_robots,
        "ROBOTSTXT_PARSER": "scrapy.robotstxt.ProtegoRobotParser",
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": config.concurrency_per_host,
        # Scrapy runs what one callback yields through this many asyncio tasks, made
        # anew for every response: at the default 100, making them was a tenth of the
        # crawler's CPU. Nothing the spider yields waits (its pipeline and signal
        # handlers are synchronous), so two are as fast and far cheaper.
        "CONCURRENT_ITEMS": 2,
        "DOWNLOAD_DELAY": config.download_delay,
        "AUTOTHROTTLE_ENABLED": config.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(config.download_delay, 0.0),
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DOWNLOAD_TIMEOUT": config.download_timeout,
        "DOWNLOAD_MAXSIZE": config.max_page_bytes,
        # A body cut short by the server is archived as far as it came (WARC-Truncated:
        # disconnect) and the page retried, instead of being dropped with an error.
        "DOWNLOAD_FAIL_ON_DATALOSS": False,
        # The spider retries such a page with Scrapy's get_retry_request, which keeps
        # the request's meta as the retry middleware does.
        "META_COPY_WARN_SKIP_KEYS": [
            "download_latency",
            "redirect_reasons",
            "redirect_times",
            "redirect_ttl",
            "redirect_urls",
            "retry_times",
        ],
        # Scrapy's handler, with response headers limited to 256 KiB.
        "DOWNLOAD_HANDLERS": {
            "http": "newstrail.spiders.handler.BoundedHTTPDownloadHandler",
            "https": "newstrail.spiders.handler.BoundedHTTPDownloadHandler",
        },
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_TIMES": 1,
        # The spider filters links on canonical URLs before making requests, which is
        # far cheaper than building and fingerprinting a Request per duplicate link;
        # the dupefilter only has to catch redirects to pages already requested.
        "DUPEFILTER_CLASS": "newstrail.spiders.middlewares.RedirectDupeFilter",
        # Error pages are archived and reach the spider, which records them.
        "HTTPERROR_ALLOW_ALL": True,
        "TELNETCONSOLE_ENABLED": False,
        "STATS_CLASS": "newstrail.spiders.stats.CrawlStats",
        "LOG_LEVEL": config.log_level,
        "LOGSTATS_INTERVAL": 0,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        # The address guard is on the connection: the resolver the connection uses
        # hands it only the addresses the policy allows (no DNS rebinding).
        "TWISTED_DNS_RESOLVER": "newstrail.spiders.resolver.PolicyResolver",
        "NEWSTRAIL_ADDRESS_POLICY": list(config.allow_private),
        # A proxy (http_proxy in the environment) would resolve and connect for us,
        # past the guard; a crawl goes direct.
        "HTTPPROXY_ENABLED": False,
        # The frontier lives on disk, so a large crawl's memory stays bounded. Not for
        # pausing: the spider's seen-set, trap guard and budget are not persisted, so a
        # restarted crawler would fetch again; an interrupted crawl is finished with
        # --resume, which stores what was archived and fetches nothing.
        "JOBDIR": str(config.crawl_workdir / "frontier"),
        # A full staging disk stops the crawl with one reason, not a traceback a request.
        "SCHEDULER": "newstrail.spiders.scheduler.StagingScheduler",
        # Scrapy's per-host queue, which sends no request that a smaller budget than
        # the frontier would rather spend on more urgent ones waiting for their host.
        "SCHEDULER_PRIORITY_QUEUE": "newstrail.spiders.scheduler.BudgetAwarePriorityQueue",
        "DOWNLOADER_MIDDLEWARES": {
            # Outermost, so it sees the final response (decompressed, redirected): the
            # body of a page that goes to extraction leaves the response, so Scrapy's
            # scraper does not count it while the page waits for its extraction.
            "newstrail.spiders.middlewares.PageBodyMiddleware": 10,
            # Before robots.txt (100), so not even robots.txt is fetched from a refused address.
            "newstrail.spiders.middlewares.AddressGuardMiddleware": 50,
            # Scrapy's own lets requests that wait together for a host's robots.txt
            # through unchecked, all but the first (Scrapy 2.19).
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "newstrail.spiders.politeness.RobotsTxtMiddleware": 100,
            # After robots.txt, so a disallowed URL does not use up the budget; a URL
            # whose pattern was closed as a trap since it was queued is dropped first.
            "newstrail.spiders.middlewares.TrapMiddleware": 105,
            "newstrail.spiders.middlewares.BudgetMiddleware": 110,
            # Inside decompression (590): robots.txt is cut at 500 KiB once inflated,
            # before the robots.txt middleware parses it; a page stops at
            # DOWNLOAD_MAXSIZE and is archived as far as it came.
            "newstrail.spiders.middlewares.SizeLimitMiddleware": 580,
            "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
            "newstrail.spiders.middlewares.MetaRefreshMiddleware": 579,
            # Scrapy's decoding of Content-Encoding, in a thread: a decompression bomb
            # takes up to half a second to reach DOWNLOAD_MAXSIZE.
            "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
            "newstrail.spiders.middlewares.DecompressionMiddleware": 590,
            # Above redirects (600) and retries (550), so it sees a response first:
            # a Retry-After slows the host before the retry; a redirect to the home
            # page (a soft 404) sends the spider to the archives.
            "newstrail.spiders.middlewares.ArchivePacingMiddleware": 650,
            # Above the retry middleware (550): a host whose every address was refused
            # is not retried.
            "newstrail.spiders.resolver.AddressRefusalMiddleware": 560,
            # Scrapy's, deciding public suffixes from the installed list, not the network.
            "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
            "newstrail.spiders.offline.OfflineCookiesMiddleware": 700,
            # Scrapy's, each a call (and a coroutine) on every request or response
            # for nothing here: no spider sets allowed_domains (coverage is anywhere
            # on the web) or HTTP credentials, and nothing reads the downloader/*
            # stats. With these three and the depth and URL-length spider
            # middlewares off, a 2-round run of bench/throughput.py was about 5%
            # faster (runs there vary by about 3%).
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
            "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
            "scrapy.downloadermiddlewares.stats.DownloaderStats": None,
        },
        "SPIDER_MIDDLEWARES": {
            # Scrapy's start and meta-copy middlewares each add a step to every
            # callback's outputs: the first only marks start requests (ours marks
            # them, and has no such step); the second warns of requests carrying a
            # response's meta, which the spider never copies (every request's meta
            # is made new).
            "scrapy.spidermiddlewares.start.StartSpiderMiddleware": None,
            "newstrail.spiders.middlewares.StartRequestsMiddleware": 25,
            "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
            # Provenance has the crawl's own depth and hops (newstrail.spiders.items).
            "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
            # URLLENGTH_LIMIT is kept by TrapMiddleware, on every request sent
            # (redirects and page requisites too), not on each callback's outputs.
            "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
        },
        "EXTENSIONS": {
            "newstrail.spiders.archive.WarcArchiver": 100,
            "newstrail.spiders.politeness.RobotsPoliteness": 110,
            # It pickles spider.state into JOBDIR, which nothing here uses.
            "scrapy.extensions.spiderstate.SpiderState": None,
        },
        "ITEM_PIPELINES": {
            "newstrail.spiders.pipelines.TextRecordPipeline": 300,
        },
    }
