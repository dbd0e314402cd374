"""A collection read whole, for its report and its export.

Through the Store protocol only, as ``ls`` (:func:`list_crawls`) and ``download``
read it: the complete crawls (those with a manifest), oldest first, and the text
records their manifests list (:func:`read_text_records`). A folder written by
``newstrail download`` has the store's layout, manifests included, so it is read
as a local store.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from newstrail.errors import NewstrailError, StoreError
from newstrail.records import TextRecord
from newstrail.report import CrawlFigures, latest_captures, render_report, report_data
from newstrail.storage.base import ObjectNotFoundError, Store
from newstrail.storage.catalog import CrawlListing, list_crawls
from newstrail.storage.corpus import read_text_records
from newstrail.storage.local import FileStore
from newstrail.storage.manifest import crawl_prefix, format_utc, validate_name

__all__ = [
    "REPORT_NAME",
    "Collection",
    "download_folder",
    "open_collection",
    "report_html",
    "store_report",
]

#: The report a crawl flow and the demo leave in the store: ``<collection>/report.html``
#: (beside the crawl folders; ``ls``, ``download`` and re-crawls see crawls only).
REPORT_NAME = "report.html"


@dataclass(frozen=True)
class Collection:
    """The complete crawls of a collection in a store, oldest first."""

    store: Store
    name: str
    crawls: list[CrawlListing]

    def figures(self) -> list[CrawlFigures]:
        """Each crawl as the report shows it, from its manifest."""
        out = []
        for crawl in self.crawls:
            manifest = crawl.manifest
            assert manifest is not None
            out.append(
                CrawlFigures(
                    crawl_id=crawl.crawl_id,
                    started=format_utc(manifest.started),
                    finished=format_utc(manifest.finished),
                    finish_reason=manifest.finish_reason,
                    counts=dict(manifest.counts),
                    text_location=self._text_location(crawl),
                )
            )
        return out

    def _text_keys(self, crawl: CrawlListing) -> list[str]:
        assert crawl.manifest is not None
        return sorted(o.key for o in crawl.manifest.objects if o.key.startswith("text/"))

    def _text_location(self, crawl: CrawlListing) -> str:
        keys = self._text_keys(crawl)
        if not keys:
            return ""
        key = f"{crawl_prefix(self.name, crawl.crawl_id)}/{keys[0]}"
        if isinstance(self.store, FileStore):
            return self.store.root.joinpath(*key.split("/")).as_uri()
        return f"{self.store.uri.rstrip('/')}/{key}"

    def records(self) -> Iterator[tuple[str, TextRecord]]:
        """``(crawl_id, record)`` for every text record of every crawl, oldest crawl first."""
        for crawl in self.crawls:
            prefix = crawl_prefix(self.name, crawl.crawl_id)
            for key in self._text_keys(crawl):
                try:
                    with self.store.open(f"{prefix}/{key}") as fh:
                        for record in read_text_records(fh, compressed=key.endswith(".gz")):
                            yield crawl.crawl_id, record
                except ObjectNotFoundError:
                    raise StoreError(
                        f"{self.store.uri}: {prefix}/{key} is listed in the crawl's manifest but "
                        "missing (a download made with --only and without text?)"
                    ) from None
                except StoreError as exc:
                    raise StoreError(f"{self.store.uri}: {prefix}/{key}: {exc}") from None


def open_collection(store: Store, name: str) -> Collection:
    """The complete crawls of ``name`` in ``store``; NewstrailError when it has none."""
    listings = list_crawls(store, name)
    for listing in listings:
        if listing.problem is not None:
            raise StoreError(f"{store.uri}: {listing.problem}")
    crawls = [c for c in listings if c.manifest is not None]
    if not crawls:
        incomplete = f" ({len(listings)} incomplete)" if listings else ""
        raise NewstrailError(f"{store.uri}: no complete crawl of collection {name!r}{incomplete}")
    crawls.sort(key=lambda c: (c.started or datetime.min.replace(tzinfo=UTC), c.crawl_id))
    return Collection(store, name, crawls)


def download_folder(folder: Path, name: str) -> FileStore:
    """The store a ``newstrail download --to DIR`` left: DIR itself, or DIR/.. when DIR
    is the collection's own folder."""
    if not folder.is_dir():
        raise NewstrailError(f"{folder} is not a folder")
    if not (folder / name).is_dir() and folder.name == name:
        folder = folder.parent
    if not (folder / name).is_dir():
        raise NewstrailError(f"{folder} has no folder {name}/ (newstrail download --to {folder})")
    return FileStore(folder)


def report_html(collection: Collection) -> str:
    """The collection's report page."""
    data = report_data(collection.name, collection.figures(), latest_captures(collection.records))
    return render_report(data)


def store_report(store: Store, name: str) -> str:
    """Write the collection's report into the store as ``<collection>/report.html``;
    returns where it is (a file:// URI for a local store, else the store's URI)."""
    page = report_html(open_collection(store, name)).encode("utf-8")
    key = f"{validate_name(name)}/{REPORT_NAME}"
    store.put(key, io.BytesIO(page))
    if isinstance(store, FileStore):
        return store.root.joinpath(*key.split("/")).as_uri()
    return f"{store.uri.rstrip('/')}/{key}"
