"""Crawl manifests and the catalog of crawls in a store."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from newstrail.errors import StoreError
from newstrail.storage import (
    FileStore,
    Manifest,
    ObjectInfo,
    ObjectNotFoundError,
    crawl_prefix,
    list_crawls,
    read_manifest,
    write_manifest,
)

STARTED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def store_crawl(
    store: FileStore, collection: str, crawl_id: str, files: dict[str, bytes]
) -> list[ObjectInfo]:
    """Store ``files`` in a crawl folder; their infos with keys relative to it."""
    prefix = crawl_prefix(collection, crawl_id)
    stored = []
    for key, data in files.items():
        info = store.put(f"{prefix}/{key}", io.BytesIO(data))
        stored.append(ObjectInfo(key, info.size, info.sha256))
    return stored


def make_manifest(
    collection: str, crawl_id: str, objects: list[ObjectInfo] | None = None
) -> Manifest:
    return Manifest(
        collection=collection,
        crawl_id=crawl_id,
        started=STARTED,
        finished=STARTED + timedelta(minutes=3, microseconds=5),
        software="newstrail",
        seed_set="iraq-us-troops",
        software_version="0.1.0",
        settings={"budget": 500, "max_hops": 2, "obey_robots": True},
        counts={"pages": 42, "related": 17, "errors": 1},
        objects=objects or [],
    )


def test_crawl_prefix_and_names() -> None:
    assert crawl_prefix("news", "20240501T120000Z-abc123") == "news/20240501T120000Z-abc123"
    for bad in [".hidden", "", "a/b", "../x", "x y", "é", "a" * 101]:
        with pytest.raises(StoreError) as err:
            crawl_prefix(bad, "crawl")
        assert "\n" not in str(err.value)
        with pytest.raises(StoreError, match="crawl id"):
            crawl_prefix("news", bad)


def test_manifest_json_round_trip() -> None:
    manifest = make_manifest("news", "c1", [ObjectInfo("warc/a.warc.gz", 10, "0" * 64)])
    text = manifest.to_json()
    data = json.loads(text)

    assert data["started"] == "2024-05-01T12:00:00Z"
    assert data["finished"] == "2024-05-01T12:03:00.000005Z"
    assert data["objects"] == [{"key": "warc/a.warc.gz", "size": 10, "sha256": "0" * 64}]
    assert data["manifest_version"] == 1
    assert Manifest.from_json(text) == manifest


def test_manifest_dates_are_stored_in_utc() -> None:
    paris = timezone(timedelta(hours=2))
    manifest = make_manifest("news", "c1")
    manifest.started = datetime(2024, 5, 1, 14, 0, tzinfo=paris)
    again = Manifest.from_json(manifest.to_json())
    assert json.loads(manifest.to_json())["started"] == "2024-05-01T12:00:00Z"
    assert again.started == STARTED and again.started.tzinfo == UTC


@pytest.mark.parametrize(
    "change",
    [
        {"manifest_version": 99},
        {"collection": ".bad"},
        {"started": "yesterday"},
        {"started": "2024-05-01T12:00:00"},  # no timezone
        {"counts": {"pages": "many"}},
        {"objects": [{"key": "../escape", "size": 1, "sha256": "0" * 64}]},
        {"objects": [{"key": "warc/a", "size": -1, "sha256": "0" * 64}]},
        {"objects": [{"key": "warc/a", "size": 1, "sha256": "nope"}]},
        {"software": None},
    ],
)
def test_invalid_manifests_give_one_line_errors(change: dict[str, object]) -> None:
    data = make_manifest("news", "c1").to_dict()
    data.update(change)
    with pytest.raises(StoreError) as err:
        Manifest.from_json(json.dumps(data))
    assert "\n" not in str(err.value)


def test_missing_field_and_non_json() -> None:
    data = make_manifest("news", "c1").to_dict()
    del data["seed_set"]
    with pytest.raises(StoreError, match="seed_set"):
        Manifest.from_dict(data)
    with pytest.raises(StoreError, match="not JSON"):
        Manifest.from_json(b"{oops")


def test_write_and_read_manifest(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    objects = store_crawl(
        store, "news", "c1", {"warc/a.warc.gz": b"warc", "text/records.jsonl.gz": b"text"}
    )
    manifest = make_manifest("news", "c1", objects)

    info = write_manifest(store, manifest)

    assert info.key == "news/c1/manifest.json"
    assert read_manifest(store, "news", "c1") == manifest
    assert [o.key for o in manifest.objects] == ["warc/a.warc.gz", "text/records.jsonl.gz"]


def test_manifest_never_vouches_for_missing_or_short_objects(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    [obj] = store_crawl(store, "news", "c1", {"warc/a.warc.gz": b"warc"})

    with pytest.raises(StoreError, match="not in the store"):
        write_manifest(store, make_manifest("news", "c1", [obj, ObjectInfo("warc/b", 1, "0" * 64)]))
    with pytest.raises(StoreError, match="has 4 bytes, not 5"):
        write_manifest(store, make_manifest("news", "c1", [ObjectInfo(obj.key, 5, obj.sha256)]))
    assert not store.exists("news/c1/manifest.json")


def test_read_manifest_of_incomplete_or_misplaced_crawl(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    with pytest.raises(ObjectNotFoundError, match=r"news/c1 has no manifest\.json"):
        read_manifest(store, "news", "c1")
    store.put("news/c2/manifest.json", io.BytesIO(make_manifest("news", "c1").to_json().encode()))
    with pytest.raises(StoreError, match="is for news/c1, not news/c2"):
        read_manifest(store, "news", "c2")


def test_manifest_needs_sha256_and_aware_dates(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    [obj] = store_crawl(store, "news", "c1", {"warc/a": b"x"})
    with pytest.raises(StoreError, match="no sha256"):
        write_manifest(store, make_manifest("news", "c1", [ObjectInfo(obj.key, obj.size, None)]))
    with pytest.raises(StoreError, match="no timezone"):
        Manifest("news", "c1", datetime(2024, 1, 1), STARTED, "newstrail", "seeds")


def test_manifest_accepts_iso_strings_for_dates() -> None:
    # As a crawl summary read back from JSON gives them.
    started: Any = "2024-05-01T14:00:00+02:00"
    manifest = Manifest("news", "c1", started, "2024-05-01T12:03:00Z", "n", "s")  # type: ignore[arg-type]
    assert manifest.started == STARTED
    assert manifest.finished == STARTED + timedelta(minutes=3)
    assert manifest.software_version  # defaults to this newstrail's version


def test_catalog_lists_complete_and_incomplete_crawls(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "store")
    done = store_crawl(
        store, "news", "c1", {"warc/a.warc.gz": b"12345", "index/index.cdxj": b"678"}
    )
    write_manifest(store, make_manifest("news", "c1", done))
    store_crawl(store, "news", "c2", {"warc/a.warc.gz.part": b"123", "warc/b.warc.gz": b"4567"})
    store_crawl(store, "sport", "c9", {"warc/x.warc.gz": b"1"})
    store.put("sport/c3/manifest.json", io.BytesIO(b"{truncated"))
    store.put("README", io.BytesIO(b"not a crawl"))
    store.put("news/notes.txt", io.BytesIO(b"not a crawl either"))

    listing = list_crawls(store)

    assert [(c.collection, c.crawl_id, c.complete) for c in listing] == [
        ("news", "c1", True),
        ("news", "c2", False),
        ("sport", "c3", False),
        ("sport", "c9", False),
    ]
    c1, c2, c3, c9 = listing
    assert (c1.started, c1.finished) == (STARTED, STARTED + timedelta(minutes=3, microseconds=5))
    assert c1.counts == {"pages": 42, "related": 17, "errors": 1}
    assert (c1.object_count, c1.total_bytes) == (2, 8)
    assert c1.manifest is not None and c1.manifest.seed_set == "iraq-us-troops"
    assert (c2.object_count, c2.total_bytes, c2.started, c2.problem) == (2, 7, None, None)
    assert c3.problem is not None and "not JSON" in c3.problem and "\n" not in c3.problem
    assert (c9.object_count, c9.total_bytes) == (1, 1)

    assert [c.crawl_id for c in list_crawls(store, "sport")] == ["c3", "c9"]
    assert list_crawls(store, "nothing") == []
    assert list_crawls(FileStore(tmp_path / "empty")) == []
    with pytest.raises(StoreError):
        list_crawls(store, "../x")
