"""The reference crawler of ``bench/throughput.py``: a plain Scrapy spider that
follows every link on the given hosts (deduplicated before Requests are built),
obeys robots.txt and writes every response to a gzipped WARC with warcio from
``response_downloaded``, as a hand-rolled Scrapy project would.

    scrapy runspider bench/plain_spider.py -a start=URL,URL -a warc=FILE
"""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from typing import Any
from urllib.parse import urldefrag

import scrapy
from scrapy import signals
from scrapy.http import Request, Response
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


class PlainSpider(scrapy.Spider):
    name = "plain"
    custom_settings: dict[str, Any] | None = {  # noqa: RUF012 - Scrapy reads it from the class
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": 16,
        "DOWNLOAD_DELAY": 0,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "USER_AGENT": "plain-bench/1.0",
    }

    def __init__(self, start: str, warc: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = start.split(",")
        self.seen: set[str] = set(self.start_urls)
        self.out = open(warc, "wb")  # noqa: SIM115 - closed when the spider closes
        self.writer = WARCWriter(self.out, gzip=True)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PlainSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.archive, signal=signals.response_downloaded)
        crawler.signals.connect(spider.finish, signal=signals.spider_closed)
        return spider

    def archive(self, response: Response, request: Request, spider: scrapy.Spider) -> None:
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, values in response.headers.items()
            for v in values
        ]
        status = StatusAndHeaders(f"{response.status} OK", headers, protocol="HTTP/1.1")
        record = self.writer.create_warc_record(
            response.url, "response", payload=BytesIO(response.body), http_headers=status
        )
        self.writer.write_record(record)

    def finish(self, spider: scrapy.Spider) -> None:
        self.out.close()

    def parse(self, response: Response) -> Iterator[Request]:
        if not isinstance(response, scrapy.http.HtmlResponse):
            return
        for href in response.css("a::attr(href)").getall():
            url = urldefrag(response.urljoin(href))[0]
            if url.startswith("http://127.0.0.1:") and url not in self.seen:
                self.seen.add(url)
                yield Request(url, callback=self.parse)
