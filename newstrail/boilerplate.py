"""Crawl-level boilerplate: text blocks that repeat across many pages of one site.

Page-level filters (``newstrail.extract``) see one page at a time; a newsletter
prompt, a publisher blurb, an author bio or a "Read More »" teaser that the page's
markup does not give away only shows up as boilerplate when the same block appears
on many pages of the same site. This module counts, per site, on how many distinct
pages each block (a paragraph, as ``Article.text`` separates them by blank lines)
occurs, and removes the blocks that occur on many of them.

Design: two passes, observe then clean. During a crawl, text records are written as
pages arrive with their page-level text, and every page is passed to
:meth:`SiteBoilerplate.observe`; at the end of the crawl :func:`finalize_jsonl`
rewrites the records file with the crawl-level boilerplate removed from every
record. (Without an observed model it first reads the file to build one.) A
streaming removal, dropping a block as soon as it has been seen on N pages, cannot
be made correct: whether a block is boilerplate depends on the share of the site's
pages it appears on, which only the whole crawl knows. A background paragraph that
three early pages of a running story repeat is body text once the site turns out to
have forty pages, and a block already removed from a record cannot be put back. With
two passes the corpus is also the same whatever order the pages arrived in, which
``newstrail extract`` over the crawl's WARCs relies on to give the crawl's records.

A block is boilerplate for a site when it appears on at least ``min_pages`` distinct
pages of that site and on at least ``min_share`` of the site's pages. Blocks are
compared by their words, case-folded, so spacing and punctuation differences do not
hide a repeat. The module is core: it imports neither Scrapy nor Prefect.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import urlsplit

from zlib_ng import gzip_ng

__all__ = [
    "BoilerplateConfig",
    "FinalizeStats",
    "SiteBoilerplate",
    "blocks",
    "finalize_jsonl",
    "site_of",
]

_WORD = re.compile(r"\w+")
_BLOCK_SEPARATOR = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class BoilerplateConfig:
    """When a repeated block counts as boilerplate.

    ``min_pages``: distinct pages of the site the block must appear on (a paragraph
    that two articles share, a quote or a background paragraph, stays). ``min_share``:
    share of the site's pages it must appear on, so that a paragraph a few of a
    site's many articles repeat is not taken for its template.
    """

    min_pages: int = 3
    min_share: float = 0.3

    def __post_init__(self) -> None:
        if self.min_pages < 2:
            raise ValueError("min_pages must be at least 2: one page repeats nothing")
        if not 0.0 < self.min_share <= 1.0:
            raise ValueError("min_share must be in (0, 1]")


def site_of(url: str) -> str:
    """The site a page belongs to: its host name, lower case, without ``www.``."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def blocks(text: str) -> list[str]:
    """The blocks (paragraphs) of an extracted text, separated by blank lines."""
    return [block.strip() for block in _BLOCK_SEPARATOR.split(text) if block.strip()]


def _block_key(block: str) -> bytes | None:
    words = _WORD.findall(block.casefold())
    if not words:
        return None
    # A digest keeps the model small: a crawl sees millions of distinct paragraphs.
    return hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=12).digest()


@dataclass
class _Site:
    pages: set[str] = field(default_factory=set)
    counts: Counter[bytes] = field(default_factory=Counter)


class SiteBoilerplate:
    """Per-site block frequencies over the pages of a crawl.

    ``observe`` every page once (a page seen again under the same ``page_id`` is not
    counted twice), then ``clean`` texts with what was observed.
    """

    def __init__(self, config: BoilerplateConfig | None = None) -> None:
        self.config = config or BoilerplateConfig()
        self._sites: defaultdict[str, _Site] = defaultdict(_Site)

    def observe(self, site: str, text: str, page_id: str | None = None) -> None:
        """Count the distinct blocks of one page of ``site``.

        ``page_id`` (the page's canonical URL, say) makes repeated observations of the
        same page harmless; without it, every call counts as a new page.
        """
        model = self._sites[site]
        page = page_id if page_id is not None else f"#{len(model.pages)}"
        if page in model.pages:
            return
        model.pages.add(page)
        keys = {key for key in map(_block_key, blocks(text)) if key is not None}
        model.counts.update(keys)

    def pages(self, site: str) -> int:
        """How many distinct pages of ``site`` were observed."""
        return len(self._sites[site].pages) if site in self._sites else 0

    def is_boilerplate(self, site: str, block: str) -> bool:
        """Whether ``block`` repeats on enough of the site's pages to be boilerplate."""
        model = self._sites.get(site)
        key = _block_key(block)
        if model is None or key is None:
            return False
        seen = model.counts[key]
        return seen >= self.config.min_pages and seen >= self.config.min_share * len(model.pages)

    def clean(self, site: str, text: str) -> tuple[str, int]:
        """The text without the site's boilerplate blocks, and how many were removed."""
        kept: list[str] = []
        removed = 0
        for block in blocks(text):
            if self.is_boilerplate(site, block):
                removed += 1
            else:
                kept.append(block)
        return "\n\n".join(kept), removed

    def boilerplate_count(self, site: str) -> int:
        """How many distinct blocks count as boilerplate for ``site`` (for stats)."""
        model = self._sites.get(site)
        if model is None:
            return 0
        floor = max(self.config.min_pages, self.config.min_share * len(model.pages))
        return sum(1 for seen in model.counts.values() if seen >= floor)


@dataclass(frozen=True)
class FinalizeStats:
    """What :func:`finalize_jsonl` did: records read, records changed, blocks removed."""

    records: int
    changed: int
    removed: int


def _record_site(record: dict[str, Any]) -> str:
    return site_of(str(record.get("canonical_url") or record.get("url") or ""))


def _record_page(record: dict[str, Any]) -> str:
    return str(record.get("canonical_url") or record.get("url") or "")


def _open_text(path: Path, mode: str, gzipped: bool) -> IO[str]:
    # Crawls write their text records gzipped (.jsonl.gz); extract may write plain.
    if gzipped:
        # Level 6, as the text records are written (gzip's default 9 takes twice as
        # long for a few percent), by zlib-ng: the same format, in about half the time.
        opened = gzip_ng.open(  # type: ignore[no-untyped-call]  # gzip_ng.open has no hints
            path, mode + "t", compresslevel=6, encoding="utf-8"
        )
        return cast(IO[str], opened)
    return path.open(mode, encoding="utf-8")


def _records(path: Path) -> Iterable[dict[str, Any]]:
    with _open_text(path, "r", path.suffix == ".gz") as lines:
        for line in lines:
            if line.strip():
                record = json.loads(line)
                if isinstance(record, dict):
                    yield record


def finalize_jsonl(
    path: str | os.PathLike[str],
    model: SiteBoilerplate | None = None,
    *,
    config: BoilerplateConfig | None = None,
) -> FinalizeStats:
    """Remove crawl-level boilerplate from every record of a JSONL text-record file.

    Records are JSON objects with ``text`` and ``url`` (``canonical_url`` when
    present names the page and its site). Without ``model``, a first pass over the
    file observes every record. The file is rewritten in place (atomically, through
    a temporary file beside it, one record at a time): ``text`` loses its boilerplate
    blocks, ``text_sha256`` is recomputed, ``boilerplate_removed`` grows by the
    number of blocks removed, and so does ``crawl_boilerplate_removed``, the part of it
    due to this pass.
    Records are otherwise left as they are, in their order.
    """
    path = Path(path)
    if model is None:
        model = SiteBoilerplate(config)
        for record in _records(path):
            if isinstance(record.get("text"), str):
                model.observe(_record_site(record), record["text"], _record_page(record))
    records = changed = removed_total = 0
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.close(handle)
        with _open_text(Path(temporary), "w", path.suffix == ".gz") as out:
            for record in _records(path):
                records += 1
                text = record.get("text")
                if isinstance(text, str):
                    cleaned, removed = model.clean(_record_site(record), text)
                    if removed:
                        changed += 1
                        removed_total += removed
                        record["text"] = cleaned
                        record["text_sha256"] = hashlib.sha256(cleaned.encode("utf-8")).hexdigest()
                        previous = record.get("boilerplate_removed")
                        record["boilerplate_removed"] = (
                            previous if isinstance(previous, int) else 0
                        ) + removed
                    before = record.get("crawl_boilerplate_removed")
                    record["crawl_boilerplate_removed"] = (
                        before if isinstance(before, int) else 0
                    ) + removed
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return FinalizeStats(records=records, changed=changed, removed=removed_total)
