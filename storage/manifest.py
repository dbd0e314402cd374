"""A crawl's manifest: what the crawl was and which objects it produced.

A crawl lives in a store under ``<collection>/<crawl-id>/``::

    warc/<name>.warc.gz     the archived HTTP traffic
    text/...                extracted text records (JSONL)
    index/...               CDXJ index of the WARC files
    manifest.json           written last: its presence marks the crawl complete
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from newstrail import __version__
from newstrail.errors import SeedError, StoreError
from newstrail.seeds import validate_name as _validate_name
from newstrail.storage.base import ObjectInfo, ObjectNotFoundError, Store, validate_key

__all__ = [
    "MANIFEST_NAME",
    "MANIFEST_VERSION",
    "Manifest",
    "crawl_prefix",
    "format_utc",
    "parse_utc",
    "read_manifest",
    "validate_name",
    "write_manifest",
]

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def validate_name(name: str, what: str = "collection name") -> str:
    """Return ``name`` if it can be a collection or crawl id folder, else raise StoreError."""
    try:
        return _validate_name(name, what)
    except SeedError as exc:
        raise StoreError(str(exc)) from None


def crawl_prefix(collection: str, crawl_id: str) -> str:
    """The key prefix of a crawl, ``<collection>/<crawl-id>`` (no trailing slash)."""
    return f"{validate_name(collection)}/{validate_name(crawl_id, 'crawl id')}"


def format_utc(when: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``; sub-second digits only when there are any."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"need a timezone-aware datetime, got {when!r}")
    spec = "microseconds" if when.microsecond else "seconds"
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def parse_utc(text: str) -> datetime:
    """Parse an ISO 8601 date with a timezone into an aware UTC datetime."""
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"date without a timezone: {text!r}")
    return when.astimezone(UTC)


def _utc_field(value: datetime | str, name: str) -> datetime:
    if isinstance(value, str):
        try:
            return parse_utc(value)
        except ValueError as exc:
            raise StoreError(f"invalid manifest {name}: {exc}") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise StoreError(f"invalid manifest {name}: {value!r} has no timezone")
    return value.astimezone(UTC)


@dataclass
class Manifest:
    """Everything needed to tell what a crawl was, and to check what it stored.

    ``objects`` are the crawl's stored objects, keys relative to the crawl
    folder (``warc/x.warc.gz``), each with its sha256. ``started`` and
    ``finished`` may be given as aware datetimes or ISO 8601 strings with a
    timezone; they are kept as UTC datetimes.
    """

    collection: str
    crawl_id: str
    started: datetime
    finished: datetime
    software: str
    seed_set: str
    software_version: str = __version__
    settings: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    objects: list[ObjectInfo] = field(default_factory=list)
    #: Why the crawl ended, as Scrapy says (``finished``, ``closespider_pagecount``),
    #: or ``interrupted`` when the crawler was killed and only what it had archived
    #: was stored afterwards (``newstrail crawl --resume``).
    finish_reason: str = ""

    def __post_init__(self) -> None:
        validate_name(self.collection)
        validate_name(self.crawl_id, "crawl id")
        self.started = _utc_field(self.started, "started")
        self.finished = _utc_field(self.finished, "finished")

    def to_dict(self) -> dict[str, Any]:
        return {
            "manifest_version": MANIFEST_VERSION,
            "collection": self.collection,
            "crawl_id": self.crawl_id,
            "started": format_utc(self.started),
            "finished": format_utc(self.finished),
            "software": self.software,
            "software_version": self.software_version,
            "seed_set": self.seed_set,
            "finish_reason": self.finish_reason,
            "settings": self.settings,
            "counts": self.counts,
            "objects": [{"key": o.key, "size": o.size, "sha256": o.sha256} for o in self.objects],
        }

    def to_json(self) -> str:
        """Pretty, key-stable JSON: manifests are read by people and diffed."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: Any) -> Manifest:
        """Build from parsed JSON, checking every field; raises StoreError."""
        try:
            return cls._from_dict(data)
        except (KeyError, TypeError, ValueError) as exc:
            problem = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise StoreError(f"invalid manifest: {problem}") from None

    @classmethod
    def _from_dict(cls, data: Any) -> Manifest:
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        version = data.get("manifest_version")
        if version != MANIFEST_VERSION:
            raise ValueError(f"unsupported manifest_version {version!r}")

        def text(name: str) -> str:
            value = data[name]
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a string")
            return value

        def mapping(name: str) -> dict[str, Any]:
            value = data.get(name, {})
            if not isinstance(value, dict):
                raise TypeError(f"{name} must be an object")
            return value

        finish_reason = data.get("finish_reason", "")
        if not isinstance(finish_reason, str):
            raise TypeError("finish_reason must be a string")
        counts = mapping("counts")
        for name, count in counts.items():
            if not isinstance(count, int) or isinstance(count, bool):
                raise TypeError(f"count {name!r} must be a whole number")
        objects = []
        for entry in data.get("objects", []):
            if not isinstance(entry, dict):
                raise TypeError("objects must be a list of objects")
            key, size, sha256 = entry["key"], entry["size"], entry["sha256"]
            try:
                validate_key(key)
            except StoreError:
                raise ValueError(f"invalid object key {key!r}") from None
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise ValueError(f"invalid size for {key!r}")
            if not isinstance(sha256, str) or not _SHA256.match(sha256):
                raise ValueError(f"invalid sha256 for {key!r}")
            objects.append(ObjectInfo(key, size, sha256))
        return cls(
            collection=validate_name(text("collection")),
            crawl_id=validate_name(text("crawl_id"), "crawl id"),
            started=parse_utc(text("started")),
            finished=parse_utc(text("finished")),
            software=text("software"),
            software_version=text("software_version"),
            seed_set=text("seed_set"),
            settings=mapping("settings"),
            counts=counts,
            objects=objects,
            finish_reason=finish_reason,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Manifest:
        """Parse a manifest; malformed JSON or fields raise StoreError."""
        try:
            data = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StoreError(f"invalid manifest: not JSON ({exc})") from None
        return cls.from_dict(data)


def write_manifest(store: Store, manifest: Manifest) -> ObjectInfo:
    """Store ``manifest.json`` in the crawl folder, marking the crawl complete.

    Every object it lists must already be stored with the listed size, so a
    manifest never vouches for a file that is missing or was cut short.
    """
    prefix = crawl_prefix(manifest.collection, manifest.crawl_id)
    for obj in manifest.objects:
        if obj.sha256 is None:
            raise StoreError(f"cannot write manifest: no sha256 for {prefix}/{obj.key}")
        info = store.stat(f"{prefix}/{obj.key}")
        if info is None:
            raise StoreError(f"cannot write manifest: {prefix}/{obj.key} is not in the store")
        if info.size != obj.size:
            raise StoreError(
                f"cannot write manifest: {prefix}/{obj.key} has {info.size} bytes, not {obj.size}"
            )
    data = manifest.to_json().encode("utf-8")
    return store.put(f"{prefix}/{MANIFEST_NAME}", io.BytesIO(data))


def read_manifest(store: Store, collection: str, crawl_id: str) -> Manifest:
    """Read a crawl's manifest; ObjectNotFoundError if the crawl is not complete."""
    key = f"{crawl_prefix(collection, crawl_id)}/{MANIFEST_NAME}"
    try:
        with store.open(key) as fh:
            data = fh.read()
    except ObjectNotFoundError:
        raise ObjectNotFoundError(f"crawl {collection}/{crawl_id} has no {MANIFEST_NAME}") from None
    try:
        manifest = Manifest.from_json(data)
    except StoreError as exc:
        raise StoreError(f"{key}: {exc}") from None
    if (manifest.collection, manifest.crawl_id) != (collection, crawl_id):
        raise StoreError(
            f"{key}: manifest is for {manifest.collection}/{manifest.crawl_id},"
            f" not {collection}/{crawl_id}"
        )
    return manifest
