"""Run one coverage crawl in this process: ``python -m newstrail.spiders.run JOB.json``.

Crawls run in a process of their own because a Twisted reactor cannot be
restarted inside a long-lived worker. The job file holds a CrawlConfig; the
crawl's results go to ``summary.json`` in its staging folder.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from newstrail.config import ERROR_FD_ENV, CrawlConfig, crawler_lock
from newstrail.errors import NewstrailError
from newstrail.extract_pool import start_fork_server
from newstrail.redact import install_redaction, redact

__all__ = ["GC_THRESHOLDS", "main", "run_crawl", "tune_gc"]

# Under the pipe buffer, so that the write never blocks on a parent that reads after exit.
_MAX_REPORT = 4000

#: The crawler's garbage collector: a young generation of 10,000 objects, not 700
#: (Scrapy and Twisted make and drop many objects a response, most freed by their
#: reference counts before a collection looks at them), and older ones collected
#: half as often.
GC_THRESHOLDS = (10_000, 20, 20)


def tune_gc() -> None:
    """Set the crawler's garbage collector for a long crawl: what start-up made
    (modules, Scrapy's components, the spider) is frozen, never scanned again, and
    collections are fewer (:data:`GC_THRESHOLDS`).

    Measured on the throughput bench's 5,000 pages: the collector took 1.14 s of the
    crawler process (934, 84 and 7 collections of each generation, the longest
    94 ms), then 0.15 s (176, 15 and 2, the longest 52 ms); pages a second went
    from 0.72-0.75 to 0.77 times the plain Scrapy spider's (bench/throughput.py).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run_crawl(config: CrawlConfig) -> dict[str, Any]:
    """Crawl until the frontier is empty or the budget is spent; return the crawl's summary."""
    # Scrapy is imported here, not with the module, so that main() starts the
    # extraction workers' fork server first (its warm-up and Scrapy's start-up then
    # overlap).
    from scrapy.crawler import CrawlerProcess

    from newstrail.spiders.coverage import COUNT_PREFIX, CoverageSpider
    from newstrail.spiders.settings import crawl_settings

    config.crawl_workdir.mkdir(parents=True, exist_ok=True)
    process = CrawlerProcess(crawl_settings(config))
    # Scrapy leaves its loggers at NOTSET and filters in its handler, so every
    # debug line ("Scraped from ...", with the item's repr) would still be made
    # into a record, and masked for secrets, before the handler dropped it: a
    # sixth of the crawler's CPU. Below the crawl's level no record is made.
    for name in ("scrapy", "newstrail", "py.warnings", "twisted"):
        logging.getLogger(name).setLevel(config.log_level)
    if config.log_level == "WARNING":
        # Error pages are expected on the web and are archived and counted in the
        # summary; at the default level they should not read like a crash.
        for name in (
            "scrapy.downloadermiddlewares.retry",
            "scrapy.downloadermiddlewares.robotstxt",
        ):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    crawler = process.create_crawler(CoverageSpider)
    process.crawl(crawler)
    tune_gc()
    process.start()
    spider = crawler.spider
    assert isinstance(spider, CoverageSpider)
    stats = crawler.stats.get_stats() if crawler.stats is not None else {}
    summary = {
        "collection": config.collection,
        "crawl_id": config.crawl_id,
        "finish_reason": str(stats.get("finish_reason", "")),
        "started": _iso(stats.get("start_time")),
        "finished": _iso(stats.get("finish_time")),
        "counts": {
            "requests": int(stats.get("newstrail/pages_requested", 0)),
            "responses_archived": int(stats.get("newstrail/warc_responses", 0)),
            "robots_forbidden": int(stats.get("robotstxt/forbidden", 0)),
            "refused_addresses": int(stats.get("newstrail/refused_address", 0)),
            **{
                k.removeprefix(COUNT_PREFIX): int(v)
                for k, v in sorted(stats.items())
                if k.startswith(COUNT_PREFIX)
            },
            # Every revisit record (pages, feeds, robots.txt), as the archiver wrote them.
            "revisits": int(stats.get("newstrail/warc_revisits", 0)),
        },
        "seeds": spider.seed_status,
        "top_related": spider.top_related(10),
    }
    failure = stats.get("newstrail/store_error")
    if failure is not None:
        # A record could not be written: the parent reports this instead of a
        # generic crash, and the staging folder stays resumable.
        summary["error"] = str(failure)
    try:
        config.summary_path.write_text(json.dumps(summary, indent=2))
    except OSError as exc:
        # A full disk is reported as the crawl's error, not as a traceback; when a
        # record could not be written first, that is the reason.
        if failure is not None:
            raise NewstrailError(str(failure)) from exc
        raise NewstrailError(f"cannot write {config.summary_path}: {exc.strerror or exc}") from exc
    if failure is not None:
        raise NewstrailError(str(failure))
    return summary


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m newstrail.spiders.run JOB.json", file=sys.stderr)
        return 2
    # Before Scrapy logs anything: no secret in a log line (URLs, settings, tracebacks).
    install_redaction()
    try:
        config = CrawlConfig.from_dict(json.loads(Path(args[0]).read_text()))
        if config.extract_workers != 0:
            # Where it cannot start, the pool tries again and says why.
            with contextlib.suppress(OSError):
                start_fork_server()
        with crawler_lock(config.crawl_workdir, f"crawl {config.collection}/{config.crawl_id}"):
            run_crawl(config)
    except NewstrailError as exc:
        # The parent command prints the one "newstrail: error:" line; a second
        # one from here would read as two failures.
        logging.getLogger("newstrail").error("%s", exc)
        _report(redact(str(exc)))
        return 1
    return 0


def _report(message: str) -> None:
    """Tell the parent why the crawl failed, through the pipe it gave (ERROR_FD_ENV).

    Not through summary.json: the reason may be that the disk is full.
    """
    fd = os.environ.get(ERROR_FD_ENV)
    if not fd:
        return
    with contextlib.suppress(OSError, ValueError):
        os.write(int(fd), message.encode("utf-8", "replace")[:_MAX_REPORT])


if __name__ == "__main__":
    sys.exit(main())
