"""A crawl's outputs on their way from the crawler's staging folder into the store.

Each finished file is stored as soon as it is complete (a WARC file when it rolls
over, the text and index files at the end) and entered in a ledger, so that a
crash keeps everything already stored and the manifest can be written from the
ledger without reading the objects back.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from pathlib import Path

from newstrail.errors import StoreError
from newstrail.storage.base import CHUNK_SIZE, ObjectInfo, Store
from newstrail.storage.manifest import crawl_prefix

__all__ = [
    "LEDGER_NAME",
    "CrawlOutputs",
    "file_sha256",
    "salvage_open_warc",
]

LEDGER_NAME = "stored-objects.jsonl"


class CrawlOutputs:
    """Moves a crawl's finished local files into the store under the crawl's prefix."""

    def __init__(self, store: Store, collection: str, crawl_id: str, workdir: Path) -> None:
        self.store = store
        self.collection = collection
        self.crawl_id = crawl_id
        self.workdir = workdir
        self.prefix = crawl_prefix(collection, crawl_id)
        self.ledger = workdir / LEDGER_NAME

    def key(self, kind: str, name: str) -> str:
        """The store key of a crawl file: ``<collection>/<crawl-id>/<kind>/<name>``.

        An empty ``kind`` puts the file at the top of the crawl's folder.
        """
        return f"{self.prefix}/{kind}/{name}" if kind else f"{self.prefix}/{name}"

    def store_file(
        self, path: Path, kind: str, *, keep: bool = False, sha256: str | None = None
    ) -> ObjectInfo:
        """Store ``path`` as ``<kind>/<name>``, record it in the ledger, then delete the local copy.

        The local file is removed only after the store has confirmed the object,
        so a failed upload leaves it in the staging folder to be retried.
        ``sha256`` is the file's, when its writer knows it (``Store.put_file``).
        """
        info = self.store.put_file(self.key(kind, path.name), path, sha256=sha256)
        self.record(ObjectInfo(info.key[len(self.prefix) + 1 :], info.size, info.sha256))
        if not keep:
            path.unlink()
        return info

    def record(self, info: ObjectInfo) -> None:
        """Enter an object stored under the crawl's prefix (key relative to it) in the ledger."""
        entry = {"key": info.key, "size": info.size, "sha256": info.sha256}
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.ledger.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")

    def stored(self) -> list[ObjectInfo]:
        """Objects stored so far, from the ledger (latest entry wins for a key)."""
        if not self.ledger.exists():
            return []
        entries: dict[str, ObjectInfo] = {}
        for line in self.ledger.read_text(encoding="utf-8").splitlines():
            if line.strip():
                data = json.loads(line)
                entries[data["key"]] = ObjectInfo(data["key"], data["size"], data["sha256"])
        return sorted(entries.values(), key=lambda o: o.key)


def file_sha256(path: Path) -> str:
    """The sha256 hex digest of a local file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _complete_members(path: Path) -> tuple[int, int]:
    """Length of the run of complete gzip members at the start of ``path``, and their count."""
    end = count = consumed = 0
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK_SIZE):
            data = chunk
            while data:
                try:
                    # Output is thrown away: only where members end matters. Bounded,
                    # so that a highly compressed record cannot fill the memory.
                    inflater.decompress(data, CHUNK_SIZE)
                    while not inflater.eof and inflater.unconsumed_tail:
                        inflater.decompress(inflater.unconsumed_tail, CHUNK_SIZE)
                except zlib.error:
                    return end, count
                if inflater.eof:
                    unused = inflater.unused_data
                    consumed += len(data) - len(unused)
                    end, count = consumed, count + 1
                    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
                    data = unused
                else:
                    consumed += len(data)
                    data = b""
    return end, count


def salvage_open_warc(path: Path) -> tuple[Path, int] | None:
    """Finish the ``.open`` WARC file of a crawler that was killed, as far as it got.

    The file is cut after its last complete record (one gzip member each) and
    renamed to its final name; the new path and length are returned. A file
    holding nothing but its warcinfo record is removed and ``None`` returned.
    """
    if not path.name.endswith(".open"):
        raise ValueError(f"not an unfinished WARC file: {path}")
    end, count = _complete_members(path)
    if count <= 1:
        path.unlink()
        return None
    final = path.with_name(path.name.removesuffix(".open"))
    try:
        with open(path, "r+b") as fh:
            fh.truncate(end)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(path, final)
    except OSError as exc:
        raise StoreError(f"cannot finish {path}: {exc.strerror or exc}") from None
    return final, end
