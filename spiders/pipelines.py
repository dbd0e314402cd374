"""Item pipeline: text records of articles, as gzipped JSON lines, stored when the crawl ends."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from newstrail.boilerplate import finalize_jsonl
from newstrail.config import CrawlConfig
from newstrail.errors import StoreError
from newstrail.spiders.archive import stop_on_write_error, write_failed
from newstrail.spiders.items import PageItem
from newstrail.storage import open_store
from newstrail.storage.corpus import TextRecordWriter
from newstrail.storage.staging import CrawlOutputs

__all__ = ["TextRecordPipeline"]


class TextRecordPipeline:
    """Write one text record per captured article (duplicates and non-articles have none)."""

    def __init__(self, config: CrawlConfig, crawler: Crawler | None = None) -> None:
        self.config = config
        self.crawler = crawler
        # Each worker of a distributed crawl writes its own file (merged when the crawl ends).
        name = config.worker_file(f"{config.crawl_id}.jsonl.gz")
        self.path = config.crawl_workdir / "text" / name
        self.writer: TextRecordWriter | None = None
        self.written = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TextRecordPipeline:
        return cls(crawler.settings["NEWSTRAIL_CONFIG"], crawler)

    def open_spider(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Gzip's fastest level: the file is written again when the crawl ends (its
        # boilerplate removed, or merged with the other workers'), at the usual level.
        self.writer = TextRecordWriter(self.path, compresslevel=1)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, PageItem) and item.record is not None and self.writer is not None:
            try:
                self.writer.write(item.record)
            except (OSError, StoreError) as exc:
                if self.crawler is None:
                    raise
                stop_on_write_error(self.crawler, exc, self.path)
                return item
            self.written += 1
        return item

    def close_spider(self) -> None:
        if self.writer is None:
            return
        try:
            self.writer.close()
            if self.crawler is not None and write_failed(self.crawler):
                # Left as a killed crawl leaves it: --resume keeps the records that
                # point into what was archived.
                return
            self._finish()
        except (OSError, StoreError) as exc:
            if self.crawler is None:
                raise
            stop_on_write_error(self.crawler, exc, self.path, close=False)

    def _finish(self) -> None:
        # Lines that repeat across many pages of a site (newsletter prompts, teasers,
        # publisher blurbs) are only known once the crawl has seen the site's pages.
        # A worker of a distributed crawl sees a share of each site: the merge removes
        # them over the whole crawl instead, so its text is a one-process crawl's.
        if not self.config.worker:
            finalize_jsonl(self.path)
        outputs = CrawlOutputs(
            open_store(self.config.store),
            self.config.collection,
            self.config.crawl_id,
            self.config.crawl_workdir,
        )
        outputs.store_file(self.path, "text")
