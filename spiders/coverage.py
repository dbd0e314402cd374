"""The coverage spider: from seed articles to related coverage, most promising links first."""

from __future__ import annotations

import hashlib
import heapq
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor
from twisted.python.failure import Failure

from newstrail.articles import article_record, extract_and_score, page_canonical_url
from newstrail.config import CrawlConfig
from newstrail.extract import looks_like_html
from newstrail.relevance import RelevanceModel
from newstrail.urls import canonical_url, host_key, is_http_url
from spiders.archive import WARC_META
from spiders.items import PageItem, Provenance
from spiders.middlewares import META_KEY

__all__ = ["SEED_PRIORITY", "CoverageSpider", "link_priority"]

logger = logging.getLogger(__name__)

SEED_PRIORITY = 100_000
_TOP_KEPT = 50


def link_priority(parent_score: float, link_score: float) -> tuple[float, int]:
    """Expected relevance of a link and its Scrapy priority (higher is fetched first).

    The linking page's score says how likely its neighbourhood is on topic; the
    anchor text and URL slug say what this particular link is about. A link that
    names the story is worth following from anywhere, so the link's own score
    counts more.
    """
    expected = 0.35 * parent_score + 0.65 * link_score
    return expected, int(expected * 10_000)


class CoverageSpider(Spider):
    """Fetch the seeds, score every article against them, follow the best links first."""

    name = "coverage"

    def __init__(self, config: CrawlConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config
        seeds = config.seeds
        self.model = RelevanceModel(
            seeds.texts, seeds.keywords, threshold=seeds.threshold or config.threshold
        )
        self.seed_urls = seeds.urls
        # Canonical URLs already requested or captured: links are filtered here,
        # before any Request object is made.
        self.seen: set[str] = set()
        self.captured: dict[str, str] = {}
        self._texts: dict[bytes, str] = {}
        self.counts: Counter[str] = Counter()
        self.seed_status: dict[str, str] = {}
        self._top: list[tuple[float, str, dict[str, Any]]] = []
        self._profiled_seeds: set[str] = set()
        self.links = LinkExtractor(
            tags=("a", "area"),
            attrs=("href",),
            deny_extensions=[*IGNORED_EXTENSIONS, "xml", "rss", "json"],
            unique=True,
            strip=True,
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> CoverageSpider:
        spider = cls(crawler.settings["NEWSTRAIL_CONFIG"], **kwargs)
        spider._set_crawler(crawler)
        return spider

    # -- requests ---------------------------------------------------------------

    def _request(self, url: str, provenance: Provenance, priority: int) -> Request:
        return Request(
            url,
            callback=self.parse,
            errback=self.on_error,
            priority=priority,
            meta={META_KEY: provenance, "download_slot": host_key(url)},
        )

    async def start(self) -> AsyncIterator[Request]:
        for url in self.seed_urls:
            key = canonical_url(url)
            if key in self.seen:
                continue
            self.seen.add(key)
            self.seed_status[url] = "pending"
            provenance = Provenance(
                seed=url, parent=None, hop=0, depth=0, channel="seed", expected=1.0
            )
            yield self._request(url, provenance, SEED_PRIORITY)

    @property
    def budget_spent(self) -> bool:
        assert self.crawler.stats is not None
        sent = self.crawler.stats.get_value("newstrail/pages_requested", 0)
        return bool(sent >= self.config.budget)

    # -- responses --------------------------------------------------------------

    def parse(self, response: Response) -> Iterator[PageItem | Request]:
        provenance: Provenance = response.meta[META_KEY]
        warc, fetched_at = response.meta.get(WARC_META, (None, ""))
        is_seed = provenance.channel == "seed"
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        item = PageItem(
            url=response.url,
            status=response.status,
            content_type=content_type,
            fetched_at=fetched_at,
            provenance=provenance,
            warc=warc,
            kind="page",
            redirected_from=list(response.meta.get("redirect_urls", [])),
        )
        self.counts["pages"] += 1
        if response.status >= 400:
            item.kind = "error"
            self.counts["errors"] += 1
            if is_seed:
                self.seed_status[provenance.seed] = f"HTTP {response.status}"
            yield item
            return
        self.seen.add(canonical_url(response.url))
        if not isinstance(response, TextResponse) or not looks_like_html(
            content_type, response.body[:2048]
        ):
            item.kind = "not-html"
            self.counts["not_html"] += 1
            if is_seed:
                self.seed_status[provenance.seed] = f"not HTML ({content_type or 'no type'})"
            yield item
            return

        scored = extract_and_score(response.body, response.url, self.model)
        related = False
        score = 0.0
        if scored is not None:
            article, relevance = scored
            if is_seed and provenance.seed not in self._profiled_seeds:
                self._profiled_seeds.add(provenance.seed)
                if not self.config.seeds.texts:
                    # A seed given only by URL joins the profile once its text is known.
                    self.model.add_text(article.text)
                    relevance = self.model.score(article.text, article.title)
            key = page_canonical_url(response.url, article)
            digest = hashlib.sha256(article.text.encode("utf-8")).digest()
            score = relevance.score
            # A seed is related by definition, whatever its score.
            related = relevance.related or is_seed
            item.relevance, item.related = score, related
            item.matched_terms, item.threshold = list(relevance.matched_terms), relevance.threshold
            if is_seed:
                self.seed_status[provenance.seed] = "ok"
            # The same canonical URL, or the very same text under another URL
            # (/ and /index.html), is a duplicate: archived, but not a second record.
            first = self.captured.get(key) or self._texts.get(digest)
            if first is not None:
                item.kind = "duplicate"
                item.duplicate_of = first
                self.counts["duplicates"] += 1
                yield item
                return
            self.captured[key] = response.url
            self._texts[digest] = response.url
            self.seen.add(key)
            item.kind = "article"
            self.counts["articles"] += 1
            if warc is not None:
                record = article_record(
                    url=response.url,
                    article=article,
                    relevance=relevance,
                    warc=warc,
                    fetched_at=fetched_at,
                    status=response.status,
                )
                record.related = related
                record.extra.update(
                    channel=provenance.channel,
                    hop=provenance.hop,
                    parent=provenance.parent,
                    seed=provenance.seed,
                )
                item.record = record
            if related:
                self.counts["related"] += 1
                self._keep_top(
                    score, response.url, article.title, relevance.matched_terms, provenance
                )
        elif is_seed:
            self.seed_status[provenance.seed] = "no article text found"
        yield item
        yield from self._follow(response, provenance, related, score)

    def _keep_top(
        self,
        score: float,
        url: str,
        title: str | None,
        terms: tuple[str, ...],
        provenance: Provenance,
    ) -> None:
        entry = {
            "url": url,
            "title": title,
            "score": score,
            "matched_terms": list(terms),
            "channel": provenance.channel,
            "hop": provenance.hop,
            "parent": provenance.parent,
        }
        heapq.heappush(self._top, (score, url, entry))
        if len(self._top) > _TOP_KEPT:
            heapq.heappop(self._top)

    def _follow(
        self, response: Response, provenance: Provenance, related: bool, score: float
    ) -> Iterator[Request]:
        hop = 0 if related else provenance.hop + 1
        if hop > self.config.max_hops or self.budget_spent:
            return
        assert isinstance(response, TextResponse)
        for link in self.links.extract_links(response):
            if not is_http_url(link.url):
                continue
            key = canonical_url(link.url)
            if key in self.seen:
                continue
            self.seen.add(key)
            expected, priority = link_priority(score, self.model.score_link(link.text, link.url))
            child = Provenance(
                seed=provenance.seed,
                parent=response.url,
                hop=hop,
                depth=provenance.depth + 1,
                channel="outlink",
                expected=round(expected, 4),
                anchor=link.text,
            )
            self.counts["links_queued"] += 1
            yield self._request(link.url, child, priority)

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        provenance: Provenance | None = request.meta.get(META_KEY)
        if isinstance(failure.value, IgnoreRequest):
            self.counts["ignored"] += 1
            reason = str(failure.value) or "ignored"
        else:
            self.counts["failed"] += 1
            reason = (
                f"{failure.type.__name__ if failure.type else 'error'}: {failure.getErrorMessage()}"
            )
            logger.warning("fetch failed: %s (%s)", request.url, reason)
        if provenance is not None and provenance.channel == "seed":
            self.seed_status[provenance.seed] = reason

    # -- results ----------------------------------------------------------------

    def top_related(self, n: int = 10) -> list[dict[str, Any]]:
        """The highest-scoring related articles, best first."""
        return [entry for _, _, entry in sorted(self._top, reverse=True)[:n]]
