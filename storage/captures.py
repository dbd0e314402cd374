"""A collection's capture history: what each crawl fetched, for incremental re-crawls.

Every crawl writes ``index/captures.jsonl.gz``: one line per archived response
or revisit with what a later crawl needs to re-fetch the URL conditionally and
to recognise an unchanged payload (ETag, Last-Modified, payload digest) and the
WARC record a revisit must refer to.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zlib_ng import gzip_ng

from newstrail.records import TextRecord
from newstrail.storage.base import Store
from newstrail.storage.catalog import list_crawls
from newstrail.storage.corpus import read_text_records
from newstrail.storage.manifest import crawl_prefix, read_manifest
from newstrail.urls import canonical_url

__all__ = [
    "CAPTURES_NAME",
    "Capture",
    "CaptureLog",
    "Prior",
    "load_prior",
    "payload_digest",
    "read_captures",
    "rewrite_captures",
]

CAPTURES_NAME = "captures.jsonl.gz"


def payload_digest(body: bytes) -> str:
    """A payload's digest as WARC writes it (``sha1:`` and base32)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


@dataclass(frozen=True)
class Capture:
    """One archived response (``kind`` response) or revisit of a URL."""

    url: str
    canonical_url: str
    kind: str
    date: str
    status: int
    mime: str
    digest: str
    record_id: str
    filename: str
    offset: int
    etag: str | None = None
    last_modified: str | None = None
    # For revisits: the full capture whose payload this one repeats.
    refers_to: str | None = None


class CaptureLog:
    """Appends captures to a gzipped JSON-lines file, flushed per line."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Held open for the whole crawl and closed by close(); one gzip member per run,
        # by zlib-ng (zlib's format; a line and its flush: 12.8 -> 8.6 us).
        self._fh = gzip_ng.open(  # type: ignore[no-untyped-call]  # no hints
            path, "at", encoding="utf-8"
        )

    def write(self, capture: Capture) -> None:
        # Its fields are all str, int or None: no copy of them is needed (asdict's).
        self._fh.write(json.dumps(vars(capture), ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


def read_captures(
    stream: io.BufferedIOBase | Any, *, allow_truncated: bool = False
) -> Iterator[Capture]:
    """Captures from a gzipped JSON-lines stream.

    ``allow_truncated`` ends the iteration at a file cut short (a crawler killed
    while writing) instead of raising: what was flushed before is still good.
    """
    with gzip.open(stream, "rt", encoding="utf-8") as fh:
        try:
            for line in fh:
                if not line.endswith("\n") and allow_truncated:
                    return
                if line.strip():
                    yield Capture(**json.loads(line))
        except (EOFError, zlib.error, gzip.BadGzipFile):
            if not allow_truncated:
                raise


def rewrite_captures(path: Path, keep: Callable[[Capture], bool]) -> int:
    """Rewrite a (possibly cut short) captures file with the captures ``keep`` accepts,
    as one complete gzip file; return how many were kept."""
    with path.open("rb") as fh:
        kept = [c for c in read_captures(fh, allow_truncated=True) if keep(c)]
    tmp = path.with_name(path.name + ".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as out:
        for capture in kept:
            out.write(json.dumps(asdict(capture), ensure_ascii=False) + "\n")
    tmp.replace(path)
    return len(kept)


@dataclass
class Prior:
    """What a collection already holds: the latest full capture and article of each URL."""

    captures: dict[str, Capture]
    articles: dict[str, TextRecord]  # by canonical form of the page's own URL
    feeds: list[str]
    seeds: dict[str, Any] | None
    crawls: list[str]

    @property
    def related_urls(self) -> list[str]:
        """The collection's related articles, most relevant first."""
        related = [r for r in self.articles.values() if r.related]
        related.sort(key=lambda r: -r.relevance)
        return [r.url for r in related]


def load_prior(store: Store, collection: str, since: datetime | None = None) -> Prior:
    """Read every complete crawl of ``collection`` (started at or after ``since``), oldest first.

    A later capture of a URL replaces an earlier one; a revisit keeps the full
    capture it refers to but updates its validators (ETag, Last-Modified).
    """
    crawls = [
        c
        for c in list_crawls(store, collection)
        if c.complete and (since is None or (c.started is not None and c.started >= since))
    ]
    crawls.sort(key=lambda c: (c.started or datetime.min.replace(tzinfo=UTC), c.crawl_id))
    captures: dict[str, Capture] = {}
    articles: dict[str, TextRecord] = {}
    feeds: dict[str, None] = {}
    seeds: dict[str, Any] | None = None
    for crawl in crawls:
        prefix = crawl_prefix(crawl.collection, crawl.crawl_id)
        manifest = read_manifest(store, crawl.collection, crawl.crawl_id)
        keys = {o.key for o in manifest.objects}
        if f"index/{CAPTURES_NAME}" in keys:
            with store.open(f"{prefix}/index/{CAPTURES_NAME}") as fh:
                for capture in read_captures(fh):
                    _merge(captures, capture)
                    if "xml" in capture.mime and capture.status == 200:
                        feeds.setdefault(capture.url)
        for key in sorted(k for k in keys if k.startswith("text/")):
            with store.open(f"{prefix}/{key}") as fh:
                for record in read_text_records(fh, compressed=key.endswith(".gz")):
                    # Keyed by the page's own URL, not its rel=canonical: a syndicated
                    # copy names the original as canonical but is another page.
                    articles[canonical_url(record.url)] = record
        if "seeds.json" in keys:
            with store.open(f"{prefix}/seeds.json") as fh:
                seeds = json.load(fh)
    return Prior(captures, articles, list(feeds), seeds, [c.crawl_id for c in crawls])


def _merge(captures: dict[str, Capture], capture: Capture) -> None:
    previous = captures.get(capture.canonical_url)
    if capture.kind == "revisit" and previous is not None:
        captures[capture.canonical_url] = Capture(
            **{
                **asdict(previous),
                "etag": capture.etag or previous.etag,
                "last_modified": capture.last_modified or previous.last_modified,
            }
        )
    elif capture.kind == "response" and 200 <= capture.status < 300:
        captures[capture.canonical_url] = capture
