"""A store in a local folder: one file per object, keys as relative paths."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from newstrail.errors import StoreError
from newstrail.storage.base import (
    CHUNK_SIZE,
    TEMP_PREFIX,
    ObjectInfo,
    ObjectNotFoundError,
    validate_key,
    validate_prefix,
)

__all__ = ["FileStore"]


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or exc.__class__.__name__


def _unlink(path: Path) -> bool:
    """Delete a file; False when it was not there."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StoreError(f"cannot delete {path}: {_reason(exc)}") from None
    return True


def _fsync_dir(path: Path) -> None:
    # A rename is durable only once the directory entry itself is on disk.
    if not hasattr(os, "O_DIRECTORY"):  # pragma: no cover - not on POSIX
        return
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_copy(
    stream: BinaryIO, dest: Path, progress: Callable[[int], None] | None = None
) -> tuple[int, str]:
    """Copy ``stream`` to ``dest`` through a temporary file beside it.

    Returns size and sha256 hex digest. ``dest``'s folder must exist.
    """
    tmp = dest.with_name(f"{TEMP_PREFIX}{secrets.token_hex(8)}-{dest.name}")
    digest = hashlib.sha256()
    size = 0
    try:
        # "xb" honours the umask, unlike mkstemp's 0600: stored objects stay shareable.
        with open(tmp, "xb") as out:
            while chunk := stream.read(CHUNK_SIZE):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                if progress is not None:
                    progress(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(dest.parent)
    return size, digest.hexdigest()


class FileStore:
    """A :class:`~newstrail.storage.base.Store` in the local folder ``root``.

    The folder is created on the first write, so opening a store never changes
    the file system.
    """

    def __init__(self, root: Path) -> None:
        # Absolute now, so a later chdir cannot move the store.
        self.root = Path(root).absolute()
        self.uri = self.root.as_uri()

    @classmethod
    def from_uri(cls, uri: str) -> FileStore:
        """A store for ``file:///abs/path`` or a plain (relative or absolute) path."""
        if not uri.lower().startswith("file:"):
            return cls(Path(uri))
        parts = urlsplit(uri)
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise StoreError(
                f"invalid store URI {uri!r}: a file URI needs an absolute path (file:///path)"
            )
        if parts.query or parts.fragment:
            raise StoreError(f"invalid store URI {uri!r}: no query or fragment allowed")
        return cls(Path(unquote(parts.path)))

    def __repr__(self) -> str:
        return f"FileStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    def _key(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _folder(self, prefix: str) -> Path:
        """The folder the prefix's complete segments point at: all that need be walked."""
        return self.root.joinpath(*prefix.split("/")[:-1]) if "/" in prefix else self.root

    def _make_parent(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            where = exc.filename or path.parent
            raise StoreError(f"cannot create store folder {where}: {_reason(exc)}") from None

    def put(self, key: str, stream: BinaryIO) -> ObjectInfo:
        """Store ``stream``'s remaining bytes under ``key`` (temp file, fsync, rename)."""
        path = self._path(key)
        self._make_parent(path)
        try:
            size, sha256 = _atomic_copy(stream, path)
        except OSError as exc:
            # The error may be the source stream's as well as the disk's.
            raise StoreError(f"cannot store {key!r} in {self.root}: {_reason(exc)}") from None
        return ObjectInfo(key, size, sha256)

    def put_file(self, key: str, path: Path, *, sha256: str | None = None) -> ObjectInfo:
        """Store the local file ``path`` under ``key`` (a hashed stream copy); a
        ``sha256`` given must be what the copy hashed, or nothing is stored."""
        try:
            with open(path, "rb") as src:
                info = self.put(key, src)
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {_reason(exc)}") from None
        if sha256 is not None and info.sha256 != sha256:
            self.delete(key)
            raise StoreError(
                f"cannot store {path}: its sha256 is {info.sha256}, not {sha256} as written"
            )
        return info

    @contextlib.contextmanager
    def _open(self, key: str) -> Iterator[BinaryIO]:
        path = self._path(key)
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed by the with below
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFoundError(f"no object {key!r} in store {self.uri}") from None
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {_reason(exc)}") from None
        with fh:
            yield fh

    def open(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """Open the object under ``key`` for reading."""
        return self._open(key)

    def get_file(
        self, key: str, dest_path: Path, *, progress: Callable[[int], None] | None = None
    ) -> ObjectInfo:
        """Copy the object under ``key`` to ``dest_path`` (temp file, fsync, rename)."""
        dest_path = Path(dest_path)
        with self.open(key) as src:
            try:
                dest_path.parent.mkdir(parents=True, exist_ok=True)
                size, sha256 = _atomic_copy(src, dest_path, progress)
            except OSError as exc:
                raise StoreError(f"cannot write {dest_path}: {_reason(exc)}") from None
        return ObjectInfo(key, size, sha256)

    def stat(self, key: str) -> ObjectInfo | None:
        """Size of the object under ``key`` (sha256 unknown: it would need a read)."""
        path = self._path(key)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {_reason(exc)}") from None
        if not path.is_file():
            return None
        return ObjectInfo(key, st.st_size, None)

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        return self.stat(key) is not None

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Objects whose key starts with ``prefix``, sorted by key; sha256 is ``None``."""
        validate_prefix(prefix)
        folder = self._folder(prefix)
        found: dict[str, int] = {}

        def fail(exc: OSError) -> None:
            if not isinstance(exc, FileNotFoundError | NotADirectoryError):
                raise StoreError(f"cannot list {exc.filename}: {_reason(exc)}")

        for dirpath, dirnames, filenames in os.walk(folder, onerror=fail):
            dirnames[:] = [d for d in dirnames if not d.startswith(TEMP_PREFIX)]
            base = Path(dirpath)
            for name in filenames:
                if name.startswith(TEMP_PREFIX):
                    continue
                key = self._key(base / name)
                if not key.startswith(prefix):
                    continue
                try:
                    validate_key(key)
                except StoreError:
                    continue  # put there by hand, and no key could address it
                try:
                    found[key] = (base / name).stat().st_size
                except FileNotFoundError:
                    continue  # deleted while listing
                except OSError as exc:
                    raise StoreError(f"cannot read {base / name}: {_reason(exc)}") from None
        for key in sorted(found):
            yield ObjectInfo(key, found[key], None)

    def abort_incomplete_uploads(self, prefix: str) -> int:
        """Remove the temporary files under ``prefix`` that a killed ``put`` left behind.

        No key can address them, but they hold disk space. Only for a prefix nothing
        is writing to any more (a crawl being finished). Returns how many were removed.
        """
        validate_prefix(prefix)
        folder = self._folder(prefix)
        removed = 0
        for dirpath, _, filenames in os.walk(folder):
            for name in filenames:
                path = Path(dirpath) / name
                if name.startswith(TEMP_PREFIX) and self._key(path).startswith(prefix):
                    removed += _unlink(path)
        return removed

    def delete(self, key: str) -> None:
        """Remove the object under ``key`` and any folders left empty by that."""
        path = self._path(key)
        if not _unlink(path):
            return
        # Keys, not folders, are the namespace: empty folders would only be clutter.
        parent = path.parent
        while parent != self.root and self.root in parent.parents:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
