"""The local FileStore and the store registry, on real folders."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from newstrail.errors import StoreError
from newstrail.storage import (
    STORE_SCHEMES,
    FileStore,
    ObjectInfo,
    ObjectNotFoundError,
    Store,
    open_store,
    validate_key,
)
from newstrail.storage.base import TEMP_PREFIX

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


class FailingStream(io.RawIOBase):
    """Gives ``good`` bytes, then fails as a dropped connection would."""

    def __init__(self, good: bytes) -> None:
        self.data = io.BytesIO(good)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        chunk = self.data.read(len(view))
        if not chunk:
            raise ConnectionResetError("connection reset by peer")
        view[: len(chunk)] = chunk
        return len(chunk)


def all_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_put_open_stat_roundtrip(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "store")
    data = os.urandom(3 * 1024 * 1024 + 17)  # several chunks

    info = store.put("coll/crawl/warc/a.warc.gz", io.BytesIO(data))

    assert info == ObjectInfo(
        "coll/crawl/warc/a.warc.gz", len(data), hashlib.sha256(data).hexdigest()
    )
    with store.open("coll/crawl/warc/a.warc.gz") as fh:
        assert fh.read() == data
    assert store.stat("coll/crawl/warc/a.warc.gz") == ObjectInfo(info.key, len(data), None)
    assert store.exists(info.key)
    assert not store.exists("coll/crawl/warc/b.warc.gz")
    assert store.stat("coll/crawl/warc") is None  # a folder is not an object


def test_file_store_is_a_store(tmp_path: Path) -> None:
    store: Store = FileStore(tmp_path)
    assert isinstance(store, Store)
    assert store.uri == tmp_path.as_uri()


def test_put_file_and_get_file(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(b"x" * 5000)
    store = FileStore(tmp_path / "store")

    info = store.put_file("a/b.bin", src)
    assert (info.size, info.sha256) == (5000, hashlib.sha256(b"x" * 5000).hexdigest())

    dest = tmp_path / "out" / "deep" / "b.bin"
    store.get_file("a/b.bin", dest)
    assert dest.read_bytes() == b"x" * 5000
    assert all_files(tmp_path / "out") == ["deep/b.bin"]


def test_put_file_refuses_a_file_that_is_not_what_its_writer_hashed(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(b"x" * 5000)
    store = FileStore(tmp_path / "store")
    written = hashlib.sha256(b"x" * 5000).hexdigest()
    assert store.put_file("a/b.bin", src, sha256=written).sha256 == written
    src.write_bytes(b"y" * 5000)  # changed on disk after it was written
    with pytest.raises(StoreError, match=r"not .* as written"):
        store.put_file("a/c.bin", src, sha256=written)
    assert not store.exists("a/c.bin")


def test_put_replaces_existing_object(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.put("k", io.BytesIO(b"old"))
    store.put("k", io.BytesIO(b"new!"))
    with store.open("k") as fh:
        assert fh.read() == b"new!"


def test_failed_put_leaves_no_object_and_keeps_the_old_one(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.put("a/obj", io.BytesIO(b"previous"))

    with pytest.raises(StoreError, match="connection reset"):
        store.put("a/obj", io.BufferedReader(FailingStream(b"partial data")))
    with pytest.raises(StoreError):
        store.put("a/new", io.BufferedReader(FailingStream(b"partial data")))

    with store.open("a/obj") as fh:
        assert fh.read() == b"previous"
    assert not store.exists("a/new")
    assert all_files(tmp_path) == ["a/obj"]  # no temporary file left behind


def test_temp_files_of_writes_in_progress_are_not_listed(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.put("a/x", io.BytesIO(b"1"))
    (tmp_path / "a" / f"{TEMP_PREFIX}1234-y").write_bytes(b"half")
    assert [o.key for o in store.list()] == ["a/x"]


def test_temp_files_a_killed_put_left_are_removed_under_a_prefix_only(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.put("c/1/warc/a", io.BytesIO(b"1"))
    for folder in ("c/1/warc", "c/2/warc"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / f"{TEMP_PREFIX}1234-b").write_bytes(b"half")
    assert store.abort_incomplete_uploads("c/1/") == 1
    assert all_files(tmp_path) == ["c/1/warc/a", f"c/2/warc/{TEMP_PREFIX}1234-b"]
    assert store.abort_incomplete_uploads("c/1/") == 0


def test_list_is_sorted_and_filtered_by_prefix(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "s")
    assert list(store.list()) == []  # root not created yet: empty, not an error
    for key in ["c/2/x", "c/10/y", "c/1/z", "c-d/1/a", "c/1/a/b", "top"]:
        store.put(key, io.BytesIO(key.encode()))

    assert [o.key for o in store.list()] == [
        "c-d/1/a",
        "c/1/a/b",
        "c/1/z",
        "c/10/y",
        "c/2/x",
        "top",
    ]
    assert [o.key for o in store.list("c/1")] == ["c/1/a/b", "c/1/z", "c/10/y"]
    assert [o.key for o in store.list("c/1/")] == ["c/1/a/b", "c/1/z"]
    assert [(o.key, o.size, o.sha256) for o in store.list("c/2/")] == [("c/2/x", 5, None)]
    assert list(store.list("nothing/")) == []


def test_delete_removes_object_and_empty_folders(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "s")
    store.put("a/b/c/obj", io.BytesIO(b"1"))
    store.put("a/keep", io.BytesIO(b"2"))

    store.delete("a/b/c/obj")
    store.delete("a/b/c/obj")  # absent: not an error

    assert not (tmp_path / "s" / "a" / "b").exists()
    assert [o.key for o in store.list()] == ["a/keep"]


def test_missing_object(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    with pytest.raises(ObjectNotFoundError, match="no object 'nope/x'"), store.open("nope/x"):
        pass
    with pytest.raises(ObjectNotFoundError):
        store.get_file("nope/x", tmp_path / "dest")
    assert not (tmp_path / "dest").exists()


BAD_KEYS = [
    "",
    "/etc/passwd",
    "../outside",
    "a/../../outside",
    "a/./b",
    "a//b",
    "a/b/",
    "a\\..\\b",
    "a\x00b",
    f"a/{TEMP_PREFIX}x",
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_that_could_escape_are_rejected(tmp_path: Path, key: str) -> None:
    root = tmp_path / "store"
    store = FileStore(root)
    with pytest.raises(StoreError, match="invalid store key"):
        validate_key(key)
    with pytest.raises(StoreError, match="invalid store key"):
        store.put(key, io.BytesIO(b"x"))
    with pytest.raises(StoreError, match="invalid store key"):
        store.stat(key)
    with pytest.raises(StoreError, match="invalid store key"), store.open(key):
        pass
    with pytest.raises(StoreError, match="invalid store key"):
        store.delete(key)
    assert all_files(tmp_path) == []


@pytest.mark.parametrize("prefix", ["/", "../", "a/../", "a//"])
def test_list_prefix_that_could_escape_is_rejected(tmp_path: Path, prefix: str) -> None:
    with pytest.raises(StoreError):
        list(FileStore(tmp_path).list(prefix))


def test_root_under_a_regular_file_gives_one_line_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    store = FileStore(blocker / "store")  # opening touches nothing

    with pytest.raises(StoreError) as err:
        store.put("a/b", io.BytesIO(b"x"))

    message = str(err.value)
    assert "\n" not in message
    assert str(blocker) in message
    assert "Not a directory" in message


def test_open_store_picks_backend_by_scheme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    relative = open_store("data/store")
    assert isinstance(relative, FileStore)
    assert relative.root == tmp_path / "data" / "store"
    assert not relative.root.exists()  # created lazily

    absolute = open_store(str(tmp_path / "abs"))
    assert isinstance(absolute, FileStore) and absolute.root == tmp_path / "abs"

    uri = open_store((tmp_path / "with space").as_uri())
    assert isinstance(uri, FileStore) and uri.root == tmp_path / "with space"
    assert open_store("file://localhost" + str(tmp_path)).uri == tmp_path.as_uri()


@pytest.mark.parametrize("uri", ["file://relative/path", "file:relative", "file:///x?y=1", ""])
def test_invalid_file_uris(uri: str) -> None:
    with pytest.raises(StoreError) as err:
        open_store(uri)
    assert "\n" not in str(err.value)


def test_unknown_scheme_names_the_uri() -> None:
    with pytest.raises(StoreError) as err:
        open_store("ftp://archive.example/crawls")
    assert "ftp://archive.example/crawls" in str(err.value)
    assert "\n" not in str(err.value)


def test_registered_scheme_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []

    def factory(uri: str) -> Store:
        opened.append(uri)
        return FileStore(tmp_path)

    monkeypatch.setitem(STORE_SCHEMES, "mem", factory)
    assert isinstance(open_store("mem://bucket/x"), FileStore)
    assert opened == ["mem://bucket/x"]
