"""WACZ 1.1.1 packages of a collection's crawls (https://specs.webrecorder.net/wacz/1.1.1/).

A WACZ is a ZIP file that ReplayWeb.page, Browsertrix and pywb load as one web
archive: ``archive/`` holds the WARC files (stored, not deflated, so a reader can
fetch one record by its offset), ``indexes/index.cdx`` the crawls' CDXJ
indexes merged (CDXJ lines under the name pywb's ``wb-manager`` and the reference
validator look for), ``pages/pages.jsonl`` the related articles (URL, capture time,
title, text), ``datapackage.json`` every file with its size and SHA-256, and
``datapackage-digest.json`` the SHA-256 of ``datapackage.json``. Everything is
streamed from the store into the ZIP, hashed on the way: no file is held whole.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

from newstrail import __version__
from newstrail.errors import NewstrailError
from newstrail.storage.base import CHUNK_SIZE, Store
from newstrail.storage.catalog import list_crawls
from newstrail.storage.cdxj import merge_cdxj
from newstrail.storage.corpus import read_text_records
from newstrail.storage.manifest import crawl_prefix, format_utc

__all__ = ["WACZ_VERSION", "CrawlFiles", "WaczSummary", "write_wacz", "write_wacz_files"]

WACZ_VERSION = "1.1.1"
_PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Related articles"}


@dataclass(frozen=True)
class WaczSummary:
    """What a WACZ holds."""

    crawls: list[str]
    warc_files: int
    pages: int
    bytes: int


class _Hashing:
    """A ZIP member being written, hashed and counted as it goes."""

    def __init__(self, member: IO[bytes]) -> None:
        self.member = member
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.member.write(data)


@contextmanager
def _member(
    zf: zipfile.ZipFile, path: str, resources: list[dict[str, Any]], *, stored: bool
) -> Iterator[_Hashing]:
    """A ZIP member to write; listed in ``resources`` with its size and SHA-256 once done."""
    info = zipfile.ZipInfo(path, datetime.now(UTC).timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as member:
        out = _Hashing(member)
        yield out
    resources.append(
        {
            # A Data Package resource name is lower case ([-a-z0-9._/]).
            "name": path.rsplit("/", 1)[-1].lower(),
            "path": path,
            "hash": f"sha256:{out.sha256.hexdigest()}",
            "bytes": out.size,
        }
    )


@dataclass(frozen=True)
class CrawlFiles:
    """One crawl's objects as a WACZ takes them: keys under ``prefix``."""

    crawl_id: str
    prefix: str
    keys: list[str]


def write_wacz(
    store: Store,
    collection: str,
    out: BinaryIO | Path,
    *,
    crawl_ids: Sequence[str] | None = None,
) -> WaczSummary:
    """Write a WACZ of ``collection``'s complete crawls (or of ``crawl_ids``) to ``out``."""
    crawls = [c for c in list_crawls(store, collection) if c.complete and c.manifest]
    if crawl_ids:
        unknown = set(crawl_ids) - {c.crawl_id for c in crawls}
        if unknown:
            raise NewstrailError(
                f"{store.uri}: no complete crawl {', '.join(sorted(unknown))} in {collection!r}"
            )
        crawls = [c for c in crawls if c.crawl_id in crawl_ids]
    if not crawls:
        raise NewstrailError(f"{store.uri}: no complete crawl of collection {collection!r}")
    files = [
        CrawlFiles(
            c.crawl_id,
            crawl_prefix(collection, c.crawl_id),
            [o.key for o in c.manifest.objects] if c.manifest is not None else [],
        )
        for c in crawls
    ]
    return write_wacz_files(store, collection, files, out)


def write_wacz_files(
    store: Store, collection: str, crawls: Sequence[CrawlFiles], out: BinaryIO | Path
) -> WaczSummary:
    """Write a WACZ of the WARC files, CDXJ indexes and related articles of ``crawls``."""
    resources: list[dict[str, Any]] = []
    warcs = pages = 0
    with zipfile.ZipFile(out, "w", allowZip64=True) as zf:
        for crawl in crawls:
            for key in crawl.keys:
                if not key.startswith("warc/"):
                    continue
                name = key.split("/", 1)[1]
                with (
                    _member(zf, f"archive/{name}", resources, stored=True) as sink,
                    store.open(f"{crawl.prefix}/{key}") as src,
                ):
                    while chunk := src.read(CHUNK_SIZE):
                        sink.write(chunk)
                warcs += 1
        index_keys = [
            f"{crawl.prefix}/{key}"
            for crawl in crawls
            for key in crawl.keys
            if key.startswith("index/") and key.endswith(".cdxj")
        ]
        with (
            _member(zf, "indexes/index.cdx", resources, stored=False) as sink,
            ExitStack() as stack,
        ):
            # One line of each crawl's sorted index in memory at a time.
            sources = [stack.enter_context(store.open(key)) for key in index_keys]
            merge_cdxj(sources, sink)  # type: ignore[arg-type]
        with _member(zf, "pages/pages.jsonl", resources, stored=False) as sink:
            sink.write(json.dumps(_PAGES_HEADER).encode() + b"\n")
            for crawl in crawls:
                for key in crawl.keys:
                    if not key.startswith("text/"):
                        continue
                    with store.open(f"{crawl.prefix}/{key}") as fh:
                        for record in read_text_records(fh, compressed=key.endswith(".gz")):
                            if not record.related:
                                continue
                            page = {
                                "id": record.warc_record_id.strip("<>").removeprefix("urn:uuid:"),
                                "url": record.url,
                                "ts": record.fetched_at,
                                "title": record.title or record.url,
                                "text": record.text,
                            }
                            sink.write(json.dumps(page, ensure_ascii=False).encode() + b"\n")
                            pages += 1
        package = {
            "profile": "data-package",
            "wacz_version": WACZ_VERSION,
            "title": f"newstrail: {collection}",
            "description": f"{len(crawls)} crawl(s) of {collection}: "
            + ", ".join(c.crawl_id for c in crawls),
            "software": f"newstrail/{__version__}",
            "created": format_utc(datetime.now(UTC)),
            "resources": resources,
        }
        data = json.dumps(package, indent=2, ensure_ascii=False).encode()
        zf.writestr("datapackage.json", data, compress_type=zipfile.ZIP_DEFLATED)
        digest = {"path": "datapackage.json", "hash": f"sha256:{hashlib.sha256(data).hexdigest()}"}
        zf.writestr(
            "datapackage-digest.json",
            json.dumps(digest, indent=2),
            compress_type=zipfile.ZIP_DEFLATED,
        )
    total = sum(int(r["bytes"]) for r in resources)
    return WaczSummary([c.crawl_id for c in crawls], warcs, pages, total)
