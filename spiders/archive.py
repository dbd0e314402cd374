"""The WARC archiver: every network response the crawler receives, exactly as it came.

It listens to ``response_downloaded``, which fires once per network response
before any downloader middleware has decompressed, redirected or retried it, so
redirects, error pages, retries and robots.txt are all archived. It is an
extension, not a middleware, because it only observes.
"""

from __future__ import annotations

import http
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from newstrail import __version__
from newstrail.articles import WarcPointer
from newstrail.config import CrawlConfig
from spiders.items import PageItem
from storage import open_store
from storage.cdxj import write_cdxj
from storage.staging import CrawlOutputs
from storage.warc import RollingWarcWriter, warc_date

__all__ = ["WARC_META", "WarcArchiver"]

logger = logging.getLogger(__name__)

# request.meta key under which the archiver leaves (WarcPointer, fetch time) for the spider.
WARC_META = "newstrail_warc"


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


class WarcArchiver:
    """Write request, response and metadata records; store each WARC file as it is finished."""

    def __init__(self, crawler: Crawler, config: CrawlConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.workdir = config.crawl_workdir
        self.outputs = CrawlOutputs(
            open_store(config.store), config.collection, config.crawl_id, self.workdir
        )
        self.index_dir = self.workdir / "index"
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self.writer = RollingWarcWriter(
            self.workdir / "warc",
            prefix=f"newstrail-{config.collection}-{config.crawl_id}",
            max_size=config.warc_max_size,
            warcinfo=self._warcinfo(),
            on_close=self._file_finished,
        )
        self.records = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchiver:
        archiver = cls(crawler, crawler.settings["NEWSTRAIL_CONFIG"])
        crawler.signals.connect(archiver.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(archiver.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(archiver.spider_closed, signal=signals.spider_closed)
        return archiver

    def _warcinfo(self) -> dict[str, str]:
        import json

        return {
            "software": f"newstrail/{__version__} (Scrapy, warcio)",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": f"{self.config.collection}/{self.config.crawl_id}",
            "http-header-user-agent": self.config.user_agent,
            "robots": "obey" if self.config.obey_robots else "ignore",
            "description": f"newstrail crawl of seed set {self.config.seeds.name}",
            "newstrail-settings": json.dumps(self.config.settings_summary(), sort_keys=True),
        }

    def _file_finished(self, path: Path) -> None:
        # Index the file while it is still local, then store it: the store is the
        # archive, the staging folder only ever holds what is not yet stored.
        with (self.index_dir / (path.name + ".cdxj")).open("wb") as out:
            write_cdxj([path], out)
        self.outputs.store_file(path, "warc")
        logger.info("stored %s", path.name)

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        now = datetime.now(UTC)
        parsed = urlparse_cached(request)
        req_headers = _header_pairs(request.headers)
        if not any(name.lower() == "host" for name, _ in req_headers):
            req_headers.insert(0, ("Host", parsed.netloc))
        try:
            reason = http.HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        _, response_ref = self.writer.write_exchange(
            url=request.url,
            method=request.method,
            request_headers=req_headers,
            request_body=request.body,
            status=response.status,
            reason=reason,
            protocol=response.protocol or "HTTP/1.1",
            response_headers=_header_pairs(response.headers),
            response_body=response.body,
            ip=str(response.ip_address) if response.ip_address is not None else None,
            date=now,
        )
        self.records += 2
        pointer = WarcPointer(response_ref.filename, response_ref.offset, response_ref.record_id)
        # fetched_at is the response record's WARC-Date, so re-extraction gives the same value.
        request.meta[WARC_META] = (pointer, warc_date(now))
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("newstrail/warc_responses")

    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        if not isinstance(item, PageItem) or item.warc is None:
            return
        self.writer.write_metadata(
            item.url, item.metadata_fields(), concurrent_to=item.warc.record_id
        )
        self.records += 1

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.writer.close()
        parts = sorted(self.index_dir.glob("*.cdxj"))
        if parts:
            merged = self.workdir / "index.cdxj"
            lines: list[bytes] = []
            for part in parts:
                lines.extend(part.read_bytes().splitlines(keepends=True))
            # CDXJ is sorted by SURT key then timestamp; files indexed separately must be merged.
            lines.sort()
            merged.write_bytes(b"".join(lines))
            self.outputs.store_file(merged, "index")
            for part in parts:
                part.unlink()
