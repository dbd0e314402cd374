"""The Store protocol: where a crawl's files live, picked by URI scheme.

A store holds objects under '/'-separated keys, like an S3 bucket. Every backend
works on streams so that large WARC files never have to fit in memory, and every
write is atomic: an object is either absent or complete under its final key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from newstrail.errors import StoreError

__all__ = [
    "STORE_SCHEMES",
    "ChecksumMismatchError",
    "ObjectInfo",
    "ObjectNotFoundError",
    "Store",
    "open_store",
    "validate_key",
    "validate_prefix",
]

#: Read and write chunk size for streaming copies.
CHUNK_SIZE = 1024 * 1024

#: Temporary files of in-progress writes start with this; keys may not, so a
#: listing can tell them apart from objects without any bookkeeping.
TEMP_PREFIX = ".newstrail-tmp-"

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


class ObjectNotFoundError(StoreError):
    """The store has no object under the requested key."""


class ChecksumMismatchError(StoreError):
    """An object's bytes are not the ones its recorded sha256 (or size) vouches for."""


@dataclass(frozen=True)
class ObjectInfo:
    """What a store knows about one object.

    ``sha256`` is the hex digest when the store knows it cheaply (always after
    ``put``), ``None`` when finding it would mean reading the object back.
    """

    key: str
    size: int
    sha256: str | None = None


@runtime_checkable
class Store(Protocol):
    """A flat namespace of objects under '/'-separated keys.

    Missing keys raise :class:`ObjectNotFoundError` from ``open``, ``get_file``;
    every other failure raises :class:`~newstrail.errors.StoreError` with a one-line
    message.
    """

    uri: str

    def put(self, key: str, stream: BinaryIO) -> ObjectInfo:
        """Store everything read from ``stream`` under ``key``, replacing any object.

        Reads in chunks, computing size and sha256 on the way; the object appears
        under ``key`` only once it is complete.
        """
        ...

    def put_file(self, key: str, path: Path, *, sha256: str | None = None) -> ObjectInfo:
        """Store the local file ``path`` under ``key``.

        ``sha256`` is the file's SHA-256 when whoever wrote it already knows it
        (a WARC writer hashes as it writes): a store that needs it before sending
        then does not read the file twice; one that reads it anyway checks it.
        """
        ...

    def open(self, key: str) -> AbstractContextManager[BinaryIO]:
        """Open the object under ``key`` for reading, as a binary stream."""
        ...

    def get_file(
        self, key: str, dest_path: Path, *, progress: Callable[[int], None] | None = None
    ) -> ObjectInfo:
        """Copy the object under ``key`` to the local file ``dest_path``, atomically.

        Returns the size and sha256 of the bytes written; ``progress`` is called with
        the number of bytes of each chunk as it is written.
        """
        ...

    def stat(self, key: str) -> ObjectInfo | None:
        """Size (and sha256 if known) of the object under ``key``, ``None`` if absent."""
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Objects whose key starts with ``prefix`` (a plain string prefix), sorted by key."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object under ``key``; removing an absent key is not an error."""
        ...


def validate_key(key: str) -> str:
    """Return ``key`` if it names an object inside a store, else raise StoreError.

    Keys are relative '/'-separated paths; anything that could point outside the
    store or mean different things on different backends is refused.
    """
    if not isinstance(key, str) or not key:
        raise StoreError(f"invalid store key {key!r}: empty")
    problem = None
    if key.startswith("/"):
        problem = "absolute"
    elif "\\" in key:
        problem = "contains a backslash"
    elif any(ord(c) < 0x20 or c == "\x7f" for c in key):
        problem = "contains a control character"
    else:
        for segment in key.split("/"):
            if segment == "":
                problem = "has an empty segment"
            elif segment in (".", ".."):
                problem = f"has a {segment!r} segment"
            elif segment.startswith(TEMP_PREFIX):
                problem = f"segments may not start with {TEMP_PREFIX!r}"
            if problem:
                break
    if problem:
        raise StoreError(f"invalid store key {key!r}: {problem}")
    return key


def validate_prefix(prefix: str) -> str:
    """Return ``prefix`` if it is '' or a key, optionally ending with '/'."""
    if prefix:
        validate_key(prefix[:-1] if prefix.endswith("/") and len(prefix) > 1 else prefix)
    return prefix


def _open_file_store(uri: str) -> Store:
    # Imported here: newstrail.storage.local imports this module.
    from newstrail.storage.local import FileStore

    return FileStore.from_uri(uri)


def _open_s3_store(uri: str) -> Store:
    # Imported here: boto3 takes a while to import and local stores do not need it.
    from newstrail.storage.s3 import open_s3_store

    return open_s3_store(uri)


#: URI scheme -> factory taking the full URI. ``""`` is a plain local path.
#: Another backend registers itself here (``STORE_SCHEMES["gs"] = ...``).
STORE_SCHEMES: dict[str, Callable[[str], Store]] = {
    "": _open_file_store,
    "file": _open_file_store,
    "s3": _open_s3_store,
}


def open_store(uri: str) -> Store:
    """Open the store named by ``uri``.

    ``file:///abs/path`` and plain paths (relative or absolute) are local folders;
    ``s3://bucket/prefix`` is a bucket (see :mod:`newstrail.storage.s3`); other schemes are
    looked up in :data:`STORE_SCHEMES`.
    """
    if not uri or not uri.strip():
        raise StoreError("empty store URI")
    match = _SCHEME.match(uri)
    scheme = match.group(1).lower() if match else ""
    factory = STORE_SCHEMES.get(scheme)
    if factory is None:
        known = ", ".join(f"{s}://" for s in sorted(STORE_SCHEMES) if s)
        raise StoreError(f"unsupported store URI {uri!r}: use a local path or one of {known}")
    return factory(uri)
