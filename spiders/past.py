"""Past stories: web archives as a discovery channel, and as the source of dead pages.

Two jobs for the coverage spider, on the archives the crawl asks
(``CrawlConfig.archive_list``):

- **archive-index**: for every outlet host the crawl knows (the seeds' hosts, the
  ``outlets`` of the seed file, the hosts of related pages found), each archive's
  CDX API is asked for the HTML pages captured in the seed set's date window,
  one row per URL, paged, capped per host. Every URL is scored before it is
  fetched, as sitemap entries are (its slug, the date in its path, the host's
  relevance so far), and only the promising ones are fetched, from the live web.
- **recovery**: a page the live web no longer has (404, 410, a DNS failure, a
  refused connection, a redirect to the home page) is looked up in the archives
  (CDX ``closest`` to the page's date) and its memento fetched in the ``id_`` form,
  its original bytes. A dead seed gives its text and profile that way.

Every archive request is a Scrapy request like any other: throttled per archive
(its delay, ``Retry-After``), through the address guard, archived and counted.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from scrapy import Request

from newstrail.archives import Archive, Capture, CdxAnswer, cdx_window, path_date
from newstrail.discovery import Candidate
from newstrail.spiders.items import Provenance
from newstrail.spiders.middlewares import ARCHIVE_META, MEMENTO_META
from newstrail.urls import canonical_url, host_key, link_key

if TYPE_CHECKING:
    from newstrail.spiders.coverage import CoverageSpider

__all__ = ["ArchiveChannel", "ArchiveLookup"]

logger = logging.getLogger(__name__)

#: Rows asked per CDX page, pages per host and archive, URLs queued per host.
CDX_PAGE_ROWS = 500
CDX_PAGES_PER_HOST = 4
QUEUED_PER_HOST = 300
#: Hosts one archive is asked about in one crawl.
HOSTS_PER_ARCHIVE = 60
#: Entries whose slug says nothing about the story are never fetched.
ARCHIVE_FLOOR = 0.05
#: The channels of the archives' own answers (never looked up in an archive).
ARCHIVE_CHANNELS = frozenset({"archive-index-listing", "archive-lookup"})
#: Live statuses that mean the page is gone.
GONE_STATUSES = frozenset({404, 410})


@dataclass(frozen=True)
class ArchiveLookup:
    """What one archive request is for: a host's index page, or a page's closest capture."""

    archive: int  # index into ArchiveChannel.archives
    host: str = ""  # an index query: the outlet host
    page: int = 0
    queued: int = 0  # URLs of this host queued so far
    original: str = ""  # a closest query: the page gone from the live web
    provenance: Provenance | None = None  # the gone page's own
    when: str = ""  # the date its capture should be closest to (YYYY-MM-DD), if known
    first: str = ""  # an index query: the first URL of the page before


class ArchiveChannel:
    """The spider's archive work: which hosts were asked, what was recovered."""

    def __init__(self, spider: CoverageSpider, archives: list[Archive]) -> None:
        self.spider = spider
        self.archives = archives
        self.replaying = [i for i, a in enumerate(archives) if a.can_replay]
        window = spider.model.window
        self.start, self.end = cdx_window(window.after, window.before)
        self.asked: set[tuple[int, str]] = set()
        self.hosts_asked: Counter[int] = Counter()
        self.recovering: set[str] = set()
        # Per host: pages scored, related ones (the host's relevance so far).
        self.host_pages: Counter[str] = Counter()
        self.host_related: Counter[str] = Counter()

    @property
    def active(self) -> bool:
        return bool(self.archives)

    # -- discovery: archive-index -------------------------------------------------

    def index_requests(self, host: str, provenance: Provenance, priority: int) -> list[Request]:
        """CDX queries for ``host`` to every archive not yet asked about it."""
        out = []
        host = host.lower()
        for i, archive in enumerate(self.archives):
            if (i, host) in self.asked or self.hosts_asked[i] >= HOSTS_PER_ARCHIVE:
                continue
            if host_key(archive.url) == host:
                continue  # an archive's own pages are not an outlet
            self.asked.add((i, host))
            self.hosts_asked[i] += 1
            out.append(self._index_request(ArchiveLookup(i, host=host), provenance, priority))
        return out

    def _index_request(
        self, lookup: ArchiveLookup, provenance: Provenance, priority: int, resume: str = ""
    ) -> Request:
        archive = self.archives[lookup.archive]
        url = archive.host_query(
            lookup.host,
            start=self.start,
            end=self.end,
            limit=CDX_PAGE_ROWS,
            page=lookup.page,
            resume_key=resume or None,
        )
        child = replace(
            provenance.child(
                url,
                parent=provenance.parent or provenance.seed,
                channel="archive-index-listing",
                hop=provenance.hop,
                expected=provenance.expected,
            ),
            archive=archive.name,
        )
        return self._archive_request(url, child, priority, lookup, self.spider.parse_archive_index)

    def _archive_request(
        self, url: str, provenance: Provenance, priority: int, lookup: ArchiveLookup, callback: Any
    ) -> Request:
        self.spider.seen.add(canonical_url(url))
        self.spider.count("archive_requests")
        request = self.spider.listing_request(url, provenance, priority, callback)
        request.meta[ARCHIVE_META] = lookup
        return request

    def host_relevance(self, host: str) -> float:
        pages = self.host_pages[host]
        return self.host_related[host] / pages if pages else 0.0

    def rank(
        self, answer: CdxAnswer, host: str
    ) -> tuple[list[tuple[float, Candidate]], Counter[str]]:
        """The answer's captures as candidates in the window, scored best first (in a
        thread: no spider state is written)."""
        counts: Counter[str] = Counter()
        model = self.spider.model
        scored: list[tuple[float, Candidate]] = []
        names: set[str] = set()
        for capture in answer.captures:
            key, _ = link_key(capture.url)
            if key is None or key in names:
                counts["archive_index_entries_skipped"] += 1
                continue
            names.add(key)
            published = path_date(capture.url)
            if published is not None and model.window.excludes(published.isoformat()):
                counts["archive_index_outside_window"] += 1
                continue
            link_score = model.score_link("", capture.url)
            if link_score < ARCHIVE_FLOOR:
                counts["archive_index_entries_skipped"] += 1
                continue
            scored.append((link_score, Candidate(url=capture.url, published=published)))
        scored.sort(key=lambda pair: -pair[0])
        return scored, counts

    def next_page(
        self, lookup: ArchiveLookup, provenance: Provenance, answer: CdxAnswer, queued: int
    ) -> Request | None:
        """The next page of a host's index, while it gives new URLs and the caps allow."""
        archive = self.archives[lookup.archive]
        total = lookup.queued + queued
        if lookup.page + 1 >= CDX_PAGES_PER_HOST or total >= QUEUED_PER_HOST:
            return None
        if archive.kind == "wayback":
            if not answer.resume_key:
                return None
        elif len(answer.captures) < CDX_PAGE_ROWS:
            return None  # the last page
        first = answer.captures[0].url if answer.captures else ""
        if not first or first == lookup.first:
            # The same page again: an archive that ignores page= (a pywb collection
            # indexed as one CDXJ file answers every page with the first).
            return None
        nxt = replace(lookup, page=lookup.page + 1, queued=total, first=first)
        priority = int(provenance.expected * 10_000)
        return self._index_request(nxt, provenance, priority, answer.resume_key or "")

    # -- recovery -----------------------------------------------------------------

    def recover(
        self, url: str, provenance: Provenance, why: str, archive: int = 0
    ) -> Request | None:
        """A closest-capture query for the gone page ``url`` to the next archive that
        replays, from ``archive`` on; None when there is none (or it was asked)."""
        candidates = [i for i in self.replaying if i >= archive]
        if not candidates or provenance.channel in ARCHIVE_CHANNELS:
            return None
        if archive == 0:
            if url in self.recovering:
                return None
            self.recovering.add(url)
            self.spider.count("dead_pages")
            self.spider.count("dead_" + why)
        index = candidates[0]
        when = self._page_date(url, provenance)
        query = self.archives[index].closest_query(url, when)
        lookup = ArchiveLookup(
            index, original=url, provenance=provenance, when=when.isoformat() if when else ""
        )
        child = replace(
            provenance, channel="archive-lookup", parent=url, archive=self.archives[index].name
        )
        return self._archive_request(
            query, child, _finishing(provenance), lookup, self.spider.parse_closest
        )

    def _page_date(self, url: str, provenance: Provenance) -> date | None:
        found = path_date(url)
        if found is not None:
            return found
        if provenance.channel == "seed":
            for seed in self.spider.config.seeds.seeds:
                if seed.url == url and seed.published:
                    parts = [int(p) for p in seed.published.split("-")]
                    return date(parts[0], *[*parts[1:], 1, 1][:2])
        return self.spider.model.window.before

    def memento_request(self, lookup: ArchiveLookup, capture: Capture) -> Request:
        """The memento of ``capture`` in its ``id_`` form, with the gone page's provenance."""
        archive = self.archives[lookup.archive]
        assert lookup.provenance is not None
        url = archive.memento_url(capture.timestamp, capture.url)
        provenance = replace(lookup.provenance, archive=archive.name)
        self.spider.seen.add(canonical_url(url))
        self.spider.count("archive_requests")
        self.spider.count("mementos_requested")
        request = self.spider.page_request(url, provenance, _finishing(provenance) + 1)
        request.meta[MEMENTO_META] = {
            "original_url": lookup.original,
            "memento_datetime": capture.datetime.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "archive": archive.name,
            "archive_url": archive.url,
        }
        return request


def _finishing(provenance: Provenance) -> int:
    """The priority of a gone page's archive lookup and memento: above every link
    still waiting (the page was chosen, and its live fetch paid for), below seeds and
    requisites, a seed's first."""
    boost = 40_000 if provenance.channel == "seed" else 10_000
    return boost + max(int(provenance.expected * 10_000), 0)
