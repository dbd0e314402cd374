"""Download complete crawls from a store into a local folder, verifying every object.

What ``newstrail download`` does, without the command line: pick the complete
crawls (those with a manifest), fetch their objects into
``DIR/<collection>/<crawl-id>/<key>`` (the store's own layout), check each
against the manifest's size and sha256, and copy the manifest last. Files
already present and verified are skipped, so an interrupted download resumes.
Nothing is ever written outside ``DIR``, whatever the keys say.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from newstrail.errors import NewstrailError, StoreError
from newstrail.records import TextRecord
from newstrail.storage.base import TEMP_PREFIX, ChecksumMismatchError, ObjectNotFoundError, Store
from newstrail.storage.catalog import list_crawls
from newstrail.storage.corpus import read_text_records
from newstrail.storage.manifest import (
    MANIFEST_NAME,
    Manifest,
    crawl_prefix,
    parse_utc,
    read_manifest,
)
from newstrail.storage.staging import file_sha256

__all__ = [
    "CORPUS_NAME",
    "KINDS",
    "DownloadItem",
    "DownloadPlan",
    "DownloadResult",
    "download",
    "merge_corpus",
    "plan_download",
    "safe_path",
]

#: The kinds of objects a crawl holds: the first segment of their keys.
KINDS = ("warc", "text", "index")
CORPUS_NAME = "corpus.jsonl"


@dataclass(frozen=True)
class DownloadItem:
    """One object to fetch: ``key`` is relative to its crawl folder."""

    collection: str
    crawl_id: str
    key: str
    size: int
    sha256: str

    @property
    def store_key(self) -> str:
        return f"{crawl_prefix(self.collection, self.crawl_id)}/{self.key}"

    @property
    def parts(self) -> list[str]:
        """Path segments under the download folder."""
        return [self.collection, self.crawl_id, *self.key.split("/")]


@dataclass
class DownloadPlan:
    """The crawls selected, their objects to fetch, and the crawls left out as incomplete."""

    manifests: list[Manifest]
    items: list[DownloadItem]
    incomplete: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(item.size for item in self.items)


@dataclass
class DownloadResult:
    downloaded: int = 0
    skipped: int = 0
    bytes_downloaded: int = 0
    failures: list[str] = field(default_factory=list)


def plan_download(
    store: Store,
    collection: str,
    *,
    crawl_id: str | None = None,
    since: datetime | None = None,
    only: Iterable[str] | None = None,
) -> DownloadPlan:
    """Select the complete crawls of ``collection`` and their objects.

    ``crawl_id`` names one crawl, which must be complete; ``since`` keeps the crawls
    started at or after it; ``only`` keeps the objects of those kinds (the folder
    their key starts with), where ``None`` keeps every object of the manifest. A
    manifest that cannot be read is an error, not a crawl to skip quietly.
    """
    kinds = set(KINDS) if only is None else set(only)
    unknown = kinds - set(KINDS)
    if unknown or not kinds:
        raise NewstrailError(
            f"unknown kind(s) {', '.join(sorted(unknown)) or '(none)'}: use {', '.join(KINDS)}"
        )
    incomplete: list[str] = []
    if crawl_id is not None:
        try:
            manifests = [read_manifest(store, collection, crawl_id)]
        except ObjectNotFoundError:
            raise StoreError(
                f"crawl {collection}/{crawl_id} in {store.uri} is not complete (no {MANIFEST_NAME})"
                "; only complete crawls are downloaded"
            ) from None
    else:
        manifests = []
        for listing in list_crawls(store, collection):
            if listing.problem is not None:
                raise StoreError(f"{store.uri}: {listing.problem}")
            if listing.manifest is None:
                incomplete.append(f"{listing.collection}/{listing.crawl_id}")
            else:
                manifests.append(listing.manifest)
    if since is not None:
        manifests = [m for m in manifests if m.started >= since]
    manifests.sort(key=lambda m: (m.started, m.crawl_id))
    items = [
        DownloadItem(m.collection, m.crawl_id, obj.key, obj.size, obj.sha256 or "")
        for m in manifests
        for obj in m.objects
        if only is None or obj.key.split("/", 1)[0] in kinds
    ]
    return DownloadPlan(manifests, items, incomplete)


def safe_path(root: Path, parts: Sequence[str]) -> Path:
    """``root/parts...``, creating the folders, or StoreError if it could leave ``root``.

    Refuses empty, ``.``/``..``, separator-bearing or NUL segments and any symlink on
    the way (a planted link must not redirect a write), then checks the resolved
    path as well.
    """
    if not parts:
        raise StoreError("nothing to download to")
    for part in parts:
        if part in ("", ".", "..") or "/" in part or "\\" in part or "\0" in part:
            raise StoreError(f"refusing to write {'/'.join(parts)!r}: not a path inside the folder")
    base = root.resolve()
    path = base
    for part in parts[:-1]:
        path = path / part
        if path.is_symlink():
            raise StoreError(f"refusing to write through the symbolic link {path}")
        try:
            path.mkdir(exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {path}: {exc.strerror or exc}") from None
    final = path / parts[-1]
    if final.is_symlink():
        raise StoreError(f"refusing to overwrite the symbolic link {final}")
    if not final.resolve().is_relative_to(base):
        raise StoreError(f"refusing to write {final}: outside {base}")
    return final


def _verified(path: Path, item: DownloadItem) -> bool:
    try:
        if not path.is_file() or path.stat().st_size != item.size:
            return False
        return file_sha256(path) == item.sha256
    except OSError:
        return False


def _fetch(
    store: Store, item: DownloadItem, path: Path, progress: Callable[[int], None] | None
) -> None:
    """Fetch one object beside ``path`` and move it in place only if it is the one vouched for."""
    tmp = path.with_name(f"{TEMP_PREFIX}{secrets.token_hex(8)}-{path.name}")
    try:
        info = store.get_file(item.store_key, tmp, progress=progress)
        if info.size != item.size or info.sha256 != item.sha256:
            raise ChecksumMismatchError(
                f"{store.uri}: {item.store_key} does not match its manifest (sha256 {info.sha256}"
                f", {info.size} bytes; expected {item.sha256}, {item.size} bytes)"
            )
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _temp_of(name: str) -> str | None:
    """The file a temporary copy was made for (``None``: not a temporary copy).

    A download writes ``PREFIX<hex>-NAME`` and the store may fetch into a temporary
    copy of that in turn: ``PREFIX<hex>-PREFIX<hex>-NAME``.
    """
    if not name.startswith(TEMP_PREFIX):
        return None
    while name.startswith(TEMP_PREFIX):
        token, dash, name = name[len(TEMP_PREFIX) :].partition("-")
        if not dash or not token or any(c not in "0123456789abcdef" for c in token):
            return None
    return name


def _remove_leftovers(paths: Iterable[Path]) -> None:
    """Remove the temporary copies a killed download left beside the files it fetches.

    Only copies of files this download fetches are removed, never anything else
    in the folder; each folder is listed once.
    """
    names: dict[Path, set[str]] = {}
    for path in paths:
        names.setdefault(path.parent, set()).add(path.name)
    for folder, wanted in names.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if _temp_of(entry.name) in wanted and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def download(
    store: Store,
    plan: DownloadPlan,
    dest: Path,
    *,
    progress: Callable[[int], None] | None = None,
) -> DownloadResult:
    """Fetch the plan's objects into ``dest`` and copy each complete crawl's manifest last.

    ``progress`` is called with byte counts: of chunks as they arrive, and of whole
    files found already present and verified. An object that fails verification
    is not kept (a file of the same name left by an earlier run is removed too) and
    is listed in ``failures``; its crawl's manifest is then not copied.
    """
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create {dest}: {exc.strerror or exc}") from None
    result = DownloadResult()
    failed: set[tuple[str, str]] = set()
    paths = [safe_path(dest, item.parts) for item in plan.items]
    _remove_leftovers(
        [
            *paths,
            *(safe_path(dest, [m.collection, m.crawl_id, MANIFEST_NAME]) for m in plan.manifests),
        ]
    )
    for item, path in zip(plan.items, paths, strict=True):
        if _verified(path, item):
            result.skipped += 1
            if progress is not None:
                progress(item.size)
            continue
        try:
            _fetch(store, item, path, progress)
        except ChecksumMismatchError as exc:
            with contextlib.suppress(OSError):
                path.unlink()
            result.failures.append(str(exc))
            failed.add((item.collection, item.crawl_id))
            continue
        result.downloaded += 1
        result.bytes_downloaded += item.size
    for manifest in plan.manifests:
        if (manifest.collection, manifest.crawl_id) in failed:
            continue
        # The manifest as stored, byte for byte: it is what the copy is checked against.
        path = safe_path(dest, [manifest.collection, manifest.crawl_id, MANIFEST_NAME])
        key = f"{crawl_prefix(manifest.collection, manifest.crawl_id)}/{MANIFEST_NAME}"
        store.get_file(key, path)
    return result


def _fetched_at(record: TextRecord) -> datetime:
    try:
        return parse_utc(record.fetched_at)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def merge_corpus(text_files: Iterable[Path], out: Path) -> int:
    """Write one JSON line per canonical URL, from its latest capture, to ``out``.

    ``text_files`` are text record files (gzip or plain) in crawl order; of captures
    with the same ``fetched_at`` the later file's wins. Lines are sorted by
    canonical URL; ``out`` is replaced atomically. Returns the number of records.
    """
    _remove_leftovers([out])
    latest: dict[str, TextRecord] = {}
    for path in text_files:
        with path.open("rb") as fh:
            for record in read_text_records(fh):
                url = record.canonical_url or record.url
                current = latest.get(url)
                if current is None or _fetched_at(record) >= _fetched_at(current):
                    latest[url] = record
    tmp = out.with_name(f"{TEMP_PREFIX}{secrets.token_hex(8)}-{out.name}")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for url in sorted(latest):
                fh.write(latest[url].to_json() + "\n")
        os.replace(tmp, out)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StoreError(f"cannot write {out}: {exc.strerror or exc}") from None
    return len(latest)
