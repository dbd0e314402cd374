"""A crawl's outputs on their way from the crawler's staging folder into the store.

Each finished file is stored as soon as it is complete (a WARC file when it rolls
over, the text and index files at the end) and entered in a ledger, so that a
crash keeps everything already stored and the manifest can be written from the
ledger without reading the objects back.
"""

from __future__ import annotations

import json
from pathlib import Path

from storage.base import ObjectInfo, Store
from storage.manifest import crawl_prefix

__all__ = ["LEDGER_NAME", "CrawlOutputs"]

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
        """The store key of a crawl file: ``<collection>/<crawl-id>/<kind>/<name>``."""
        return f"{self.prefix}/{kind}/{name}"

    def store_file(self, path: Path, kind: str, *, keep: bool = False) -> ObjectInfo:
        """Store ``path`` as ``<kind>/<name>``, record it in the ledger, then delete the local copy.

        The local file is removed only after the store has confirmed the object,
        so a failed upload leaves it in the staging folder to be retried.
        """
        info = self.store.put_file(self.key(kind, path.name), path)
        relative = info.key[len(self.prefix) + 1 :]
        entry = {"key": relative, "size": info.size, "sha256": info.sha256}
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.ledger.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")
        if not keep:
            path.unlink()
        return info

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
