"""From an archived HTML response to a text record.

Shared by the crawl and by ``newstrail extract``, so both give the same records.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from newstrail.extract import Article
from newstrail.records import TextRecord
from newstrail.relevance import Relevance
from newstrail.urls import canonical_url, is_http_url

__all__ = ["WarcPointer", "article_record", "memento_canonical_url", "page_canonical_url"]


@dataclass(frozen=True)
class WarcPointer:
    """Where a response record lives: file name, byte offset of its gzip member, record id."""

    filename: str
    offset: int
    record_id: str


def page_canonical_url(url: str, article: Article | None) -> str:
    """The page's canonical URL: its rel=canonical when it is a valid http(s) URL, else its own."""
    if article is not None and article.canonical_url and is_http_url(article.canonical_url):
        return canonical_url(article.canonical_url)
    return canonical_url(url)


def memento_canonical_url(original_url: str, memento_url: str, article: Article | None) -> str:
    """A memento's canonical URL: the archived page's own, never the archive's.

    Its rel=canonical when that names a page off the archive (the ``id_`` form keeps
    the page's bytes, so an absolute rel=canonical is the live page's), else the
    original URL: a live copy and a memento of one page are one page.
    """
    key = page_canonical_url(original_url, article)
    if urlsplit(key).netloc == urlsplit(memento_url).netloc:
        return canonical_url(original_url)
    return key


def article_record(
    *,
    url: str,
    article: Article,
    relevance: Relevance,
    warc: WarcPointer,
    fetched_at: str,
    status: int = 200,
) -> TextRecord:
    """The text record of one extracted article."""
    return TextRecord(
        url=url,
        canonical_url=page_canonical_url(url, article),
        title=article.title,
        author=article.author,
        date=article.date,
        sitename=article.sitename,
        language=article.language,
        text=article.text,
        relevance=relevance.score,
        related=relevance.related,
        matched_terms=list(relevance.matched_terms),
        warc_filename=warc.filename,
        warc_record_offset=warc.offset,
        warc_record_id=warc.record_id,
        text_sha256=hashlib.sha256(article.text.encode("utf-8")).hexdigest(),
        fetched_at=fetched_at,
        status=status,
        extra={
            "date_source": article.date_source,
            "boilerplate_removed": article.boilerplate_removed,
            "threshold": relevance.threshold,
            "matched_passages": list(relevance.passages),
        },
    )
