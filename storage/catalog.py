"""What a store holds, crawl by crawl: the data behind ``newstrail ls``.

Works only through the Store protocol (one listing plus one read per complete
crawl), so it answers the same for a local folder and for a bucket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from newstrail.errors import StoreError
from newstrail.storage.base import Store
from newstrail.storage.manifest import MANIFEST_NAME, Manifest, read_manifest, validate_name

__all__ = ["CrawlListing", "list_crawls"]


@dataclass
class CrawlListing:
    """One crawl folder of a store.

    ``complete`` is true when the crawl has a readable manifest; then ``started``,
    ``finished``, ``counts`` and ``manifest`` come from it. ``object_count`` and
    ``total_bytes`` are what the store holds in the crawl folder besides the
    manifest, for every crawl. ``problem`` says why a manifest that exists could
    not be read.
    """

    collection: str
    crawl_id: str
    complete: bool
    object_count: int = 0
    total_bytes: int = 0
    started: datetime | None = None
    finished: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)
    manifest: Manifest | None = None
    problem: str | None = None

    @property
    def status(self) -> str:
        """``complete``, ``interrupted`` (complete, but its crawler was killed), ``incomplete``."""
        if not self.complete:
            return "incomplete"
        if self.manifest is not None and self.manifest.finish_reason == "interrupted":
            return "interrupted"
        return "complete"


def _is_name(name: str) -> bool:
    try:
        validate_name(name)
    except StoreError:
        return False
    return True


def list_crawls(store: Store, collection: str | None = None) -> list[CrawlListing]:
    """Every crawl in ``store`` (or in one ``collection``), sorted by collection and id.

    A crawl folder without ``manifest.json`` is listed as incomplete, never
    hidden: it is an interrupted crawl, or one still running. Keys that cannot
    belong to a crawl (fewer than three segments, or folder names no crawl
    could have) are not crawls and are skipped.
    """
    prefix = "" if collection is None else validate_name(collection) + "/"
    found: dict[tuple[str, str], CrawlListing] = {}
    with_manifest: set[tuple[str, str]] = set()
    for info in store.list(prefix):
        parts = info.key.split("/")
        if len(parts) < 3 or not (_is_name(parts[0]) and _is_name(parts[1])):
            continue
        where = (parts[0], parts[1])
        listing = found.get(where)
        if listing is None:
            listing = found[where] = CrawlListing(where[0], where[1], complete=False)
        if len(parts) == 3 and parts[2] == MANIFEST_NAME:
            with_manifest.add(where)
        else:
            listing.object_count += 1
            listing.total_bytes += info.size
    for where in sorted(with_manifest):
        listing = found[where]
        try:
            manifest = read_manifest(store, *where)
        except StoreError as exc:
            listing.problem = str(exc)
            continue
        listing.complete = True
        listing.manifest = manifest
        listing.started = manifest.started
        listing.finished = manifest.finished
        listing.counts = dict(manifest.counts)
    return [found[where] for where in sorted(found)]
