"""A store in an S3 bucket (AWS S3, Ceph RADOS Gateway, MinIO, R2, ...): ``s3://bucket/prefix``.

Credentials come only from the standard AWS chain (environment, shared
credentials and config files, profiles); the endpoint from ``NEWSTRAIL_S3_ENDPOINT``
(what ``--s3-endpoint`` sets), else from botocore's own ``AWS_ENDPOINT_URL_S3``,
``AWS_ENDPOINT_URL`` or the AWS config. Neither ever goes into a message.

Uploads stream in parts of ``NEWSTRAIL_S3_PART_SIZE`` bytes, several at a time.
An object's SHA-256 is its identity and goes into the upload's own metadata
(``x-amz-meta-sha256``), with no copy of the object onto itself afterwards. A
crawl's WARC files come with it (their writer hashes them as it writes them, so
they are read once, to be sent); any other file is hashed before it is sent (a
stream that cannot be read twice is spooled to a temporary file as it is hashed).
Every request is signed over the SHA-256 of its body (SigV4 payload signing,
switched on for https too), which AWS, radosgw and MinIO check before they store
anything: a body changed in transit is refused (``XAmzContentSHA256Mismatch``)
and sent again. That makes a Content-MD5 per part
redundant, and computing it cost more CPU than the transfer. After the upload the
object's size must be the size sent, its ETag the one the parts' ETags imply and
its ``x-amz-meta-sha256`` the SHA-256 computed; anything else removes the object
and raises. Downloads fetch ranges several at a time and hash them in order as
they are written.

Hand-written rather than boto3's managed transfer (s3transfer): measured side by
side with ``bench/s3_throughput.py`` (200 MB, 5 runs each), this code moved 87 %
of plain boto3's upload and 98 % of its download rate, an s3transfer-based store
84 % and 73 % (it cannot hash a download in order while writing parts in parallel,
and its in-order path for unseekable targets stalled on a 200 MB object). With the
WARC writer's hash, a crawl's WARC file goes up at 102 % of boto3's rate (a file
hashed first: 85 %), and comes down at 98 %.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import secrets
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from newstrail.errors import StoreError
from newstrail.storage.base import (
    CHUNK_SIZE,
    TEMP_PREFIX,
    ChecksumMismatchError,
    ObjectInfo,
    ObjectNotFoundError,
    validate_key,
    validate_prefix,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["S3Settings", "S3Store"]

log = logging.getLogger(__name__)

# botocore's DEBUG records show signed request headers, access key id included; a
# crawler logging at DEBUG must not copy them into its log. Still adjustable by hand.
if logging.getLogger("botocore").level == logging.NOTSET:
    logging.getLogger("botocore").setLevel(logging.INFO)

MIB = 1024 * 1024
DEFAULT_PART_SIZE = 8 * MIB
#: S3's limits: parts of at least 5 MiB (but the last), at most 10,000 of them,
#: and at most 5 GiB copied by one CopyObject.
MIN_PART_SIZE = 5 * MIB
MAX_PART_SIZE = 5 * 1024 * MIB
MAX_PARTS = 10_000
# Bytes read at a time to hash a file before it is stored.
_HASH_CHUNK = 8 * MIB
#: Object metadata key (``x-amz-meta-sha256``) holding the object's SHA-256.
SHA256_META = "sha256"

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DENIED = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "AllAccessDisabled",
}
#: Error codes of a request body that reached the server altered (signed payload or
#: Content-MD5 mismatch): worth sending again, a few times.
_ALTERED = frozenset({"XAmzContentSHA256Mismatch", "BadDigest", "InvalidDigest"})
_INTACT_ATTEMPTS = 3
#: Bytes of a ranged download written at a time (s3transfer's choice too).
_RANGE_PIECE = 256 * 1024
_UNREACHABLE = (EndpointConnectionError, ConnectTimeoutError, ConnectionClosedError)
_CONTENT_TYPES = (
    (".warc.gz", "application/warc"),
    (".warc", "application/warc"),
    (".json", "application/json"),
    (".jsonl", "application/jsonl"),
    (".gz", "application/gzip"),
    (".cdxj", "text/plain; charset=utf-8"),
)


def _env_int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise StoreError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise StoreError(f"{name}={raw!r} must be between {low} and {high}")
    return value


@dataclass(frozen=True)
class S3Settings:
    """The NEWSTRAIL_S3_* settings, read once.

    ``endpoint_url`` None leaves the endpoint to botocore (``AWS_ENDPOINT_URL_S3``,
    ``AWS_ENDPOINT_URL``, the AWS config file, then AWS itself).
    """

    endpoint_url: str | None = None
    part_size: int = DEFAULT_PART_SIZE
    concurrency: int = 10
    max_attempts: int = 5
    retry_mode: str = "standard"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> S3Settings:
        env = os.environ if env is None else env
        endpoint = env.get("NEWSTRAIL_S3_ENDPOINT") or None
        if endpoint is not None:
            parts = urlsplit(endpoint)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise StoreError(f"S3 endpoint {endpoint!r} is not an http(s) URL")
            if parts.username or parts.password:
                raise StoreError("an S3 endpoint URL may not carry credentials")
        mode = env.get("NEWSTRAIL_S3_RETRY_MODE") or "standard"
        if mode not in ("standard", "adaptive"):
            raise StoreError(f"NEWSTRAIL_S3_RETRY_MODE={mode!r}: use standard or adaptive")
        return cls(
            endpoint_url=endpoint,
            part_size=_env_int(
                env, "NEWSTRAIL_S3_PART_SIZE", DEFAULT_PART_SIZE, MIN_PART_SIZE, MAX_PART_SIZE
            ),
            concurrency=_env_int(env, "NEWSTRAIL_S3_CONCURRENCY", 10, 1, 64),
            max_attempts=_env_int(env, "NEWSTRAIL_S3_MAX_ATTEMPTS", 5, 1, 20),
            retry_mode=mode,
        )

    def client_config(self, path_style: bool) -> Config:
        return Config(
            retries={"mode": self.retry_mode, "total_max_attempts": self.max_attempts},
            max_pool_connections=self.concurrency + 4,
            connect_timeout=10,
            read_timeout=60,
            # The signed payload SHA-256 is the integrity check every S3 server makes;
            # the newer CRC checksums are unknown to many S3-compatible servers.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            s3={
                "payload_signing_enabled": True,
                **({"addressing_style": "path"} if path_style else {}),
            },
        )


def _content_type(key: str) -> str:
    for suffix, ctype in _CONTENT_TYPES:
        if key.endswith(suffix):
            return ctype
    return "application/octet-stream"


def _read_full(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes; fewer only at the end of the stream."""
    data = stream.read(size)
    if not data or len(data) == size:
        return bytes(data or b"")
    chunks = [data]
    got = len(data)
    while got < size:
        more = stream.read(size - got)
        if not more:
            break
        chunks.append(more)
        got += len(more)
    return b"".join(chunks)


def _multipart_etag(part_etags: list[str]) -> str | None:
    """The ETag S3 gives an object assembled from parts with these ETags (None if unknown)."""
    try:
        digests = b"".join(bytes.fromhex(etag) for etag in part_etags)
    except ValueError:
        return None  # a server whose part ETags are not MD5s (some encrypting ones)
    if len(digests) != 16 * len(part_etags):
        return None
    return hashlib.md5(digests).hexdigest() + f"-{len(part_etags)}"


def _etag(response: Mapping[str, Any]) -> str:
    return str(response.get("ETag", "")).strip('"')


class _Body(io.RawIOBase):
    """A GetObject body as a raw stream whose errors are StoreErrors."""

    def __init__(self, body: Any, fail: Callable[[Exception], NoReturn]) -> None:
        self._body = body
        self._fail = fail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data = self._body.read(len(view))
        except (BotoCoreError, OSError) as exc:
            self._fail(exc)
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._body.close()
        super().close()


class S3Store:
    """A :class:`~newstrail.storage.base.Store` under ``prefix`` in the S3 bucket ``bucket``."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        settings: S3Settings | None = None,
        client: Any = None,
    ) -> None:
        if not _BUCKET.match(bucket) or ".." in bucket:
            raise StoreError(f"invalid S3 bucket name {bucket!r}")
        prefix = prefix.strip("/")
        if prefix:
            validate_key(prefix)
        self.bucket = bucket
        self.prefix = prefix
        self.uri = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        self.settings = settings or S3Settings.from_env()
        if client is None:
            endpoint = self.settings.endpoint_url
            # A server of one's own rarely has per-bucket DNS names: address by path.
            path_style = bool(
                endpoint
                or os.environ.get("AWS_ENDPOINT_URL_S3")
                or os.environ.get("AWS_ENDPOINT_URL")
            )
            try:
                # A session of its own: boto3's default session is not thread-safe.
                client = boto3.session.Session().client(
                    "s3", endpoint_url=endpoint, config=self.settings.client_config(path_style)
                )
            except BotoCoreError as exc:
                raise StoreError(f"cannot open store {self.uri}: {exc}") from None
        self.client = client

    @classmethod
    def from_uri(cls, uri: str, settings: S3Settings | None = None) -> S3Store:
        """A store for ``s3://bucket`` or ``s3://bucket/prefix``."""
        parts = urlsplit(uri)
        if parts.scheme.lower() != "s3" or not parts.netloc:
            raise StoreError(f"invalid store URI {uri!r}: use s3://bucket/prefix")
        if "@" in parts.netloc:
            raise StoreError(
                "credentials in a store URI are not accepted: use the AWS credential chain"
                " (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)"
            )
        if parts.query or parts.fragment or ":" in parts.netloc:
            raise StoreError(f"invalid store URI {uri!r}: s3://bucket/prefix, nothing more")
        prefix = parts.path.strip("/")
        try:
            validate_prefix(prefix)
        except StoreError as exc:
            raise StoreError(f"invalid store URI {uri!r}: {exc}") from None
        return cls(parts.netloc, prefix, settings=settings)

    def __repr__(self) -> str:
        return f"S3Store({self.uri!r})"

    @property
    def endpoint(self) -> str:
        """The endpoint in use (for messages: it carries no credentials)."""
        return str(self.client.meta.endpoint_url)

    # -- errors ------------------------------------------------------------

    def _error(self, exc: Exception, action: str, key: str | None = None) -> StoreError:
        what = f"{action} {key!r}" if key else action
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "NoSuchBucket":
                return StoreError(f"{self.uri}: no such bucket {self.bucket!r} at {self.endpoint}")
            if code in ("NoSuchKey", "404") and key is not None:
                return ObjectNotFoundError(f"no object {key!r} in store {self.uri}")
            if code in _DENIED or status == 403:
                # Only the code: some servers echo request details in the message.
                return StoreError(
                    f"{self.uri}: access denied ({code or status}) when trying to {what};"
                    " check the AWS credentials and the bucket's permissions"
                )
            return StoreError(
                f"{self.uri}: cannot {what}: {code or 'error'} (HTTP {status}) from {self.endpoint}"
            )
        if isinstance(exc, _UNREACHABLE):
            return StoreError(f"{self.uri}: cannot reach the S3 endpoint {self.endpoint}")
        if isinstance(exc, ReadTimeoutError):
            return StoreError(f"{self.uri}: the S3 endpoint {self.endpoint} timed out")
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            return StoreError(
                f"{self.uri}: no AWS credentials found (set AWS_ACCESS_KEY_ID and"
                " AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)"
            )
        if isinstance(exc, OSError):
            return StoreError(f"{self.uri}: cannot {what}: {exc.strerror or exc}")
        return StoreError(f"{self.uri}: cannot {what}: {exc}")

    def _call(self, method: str, action: str, key: str | None, **params: Any) -> Any:
        try:
            return getattr(self.client, method)(Bucket=self.bucket, **params)
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, action, key) from None

    def _full(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    # -- writing -----------------------------------------------------------

    def put(self, key: str, stream: BinaryIO) -> ObjectInfo:
        """Stream ``stream`` to ``key`` (multipart past one part), then verify it."""
        try:
            seekable = stream.seekable()
        except OSError:
            seekable = False
        if seekable:
            return self._put(key, stream, self.settings.part_size, self._known_sha256(stream, key))
        # Read once only: spooled to a temporary file, so that its SHA-256 is known
        # before the upload starts and goes into its metadata (no copy afterwards).
        with tempfile.TemporaryFile(prefix="newstrail-s3-") as spool:
            try:
                shutil.copyfileobj(stream, spool, _HASH_CHUNK)
                spool.seek(0)
            except OSError as exc:
                raise StoreError(
                    f"cannot store {key!r} in {self.uri}: {exc.strerror or exc}"
                ) from None
            size = spool.seek(0, os.SEEK_END)
            spool.seek(0)
            part_size = max(self.settings.part_size, -(-size // MAX_PARTS))
            return self._put(key, spool, part_size, self._known_sha256(spool, key))

    def put_file(self, key: str, path: Path, *, sha256: str | None = None) -> ObjectInfo:
        """Store the local file ``path`` under ``key``; ``sha256``, when given, is
        taken as the file's (its size is checked as it is sent) instead of reading
        the file once more to hash it before the upload."""
        try:
            with open(path, "rb") as src:
                size = os.fstat(src.fileno()).st_size
                # A file of more than 10,000 parts gets larger parts.
                part_size = max(self.settings.part_size, -(-size // MAX_PARTS))
                if sha256 is not None and _SHA256.match(sha256):
                    known = (sha256, size)
                else:
                    known = self._known_sha256(src, key)
                return self._put(key, src, part_size, known)
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None

    def _known_sha256(self, stream: BinaryIO, key: str) -> tuple[str, int]:
        """SHA-256 and length of what is left of a seekable ``stream``, then rewound.

        Known before a multipart upload starts, it goes into the upload's metadata:
        no copy of the object onto itself afterwards to attach it (a second full
        write on the server, and a second version in a versioned bucket). The
        upload checks that it sent as many bytes; the bytes themselves are checked
        against the SHA-256 whenever the object is downloaded.
        """
        try:
            start = stream.tell()
            digest = hashlib.sha256()
            length = 0
            while chunk := stream.read(_HASH_CHUNK):
                digest.update(chunk)
                length += len(chunk)
            stream.seek(start)
        except OSError as exc:
            raise StoreError(f"cannot store {key!r} in {self.uri}: {exc.strerror or exc}") from None
        return digest.hexdigest(), length

    def _read(self, stream: BinaryIO, size: int, key: str) -> bytes:
        try:
            return _read_full(stream, size)
        except OSError as exc:
            raise StoreError(f"cannot store {key!r} in {self.uri}: {exc.strerror or exc}") from None

    def _put(
        self, key: str, stream: BinaryIO, part_size: int, known: tuple[str, int]
    ) -> ObjectInfo:
        full = self._full(key)
        ctype = _content_type(key)
        first = self._read(stream, part_size, key)
        if len(first) < part_size:
            sha256 = hashlib.sha256(first).hexdigest()
            response = self._send(
                "put_object",
                key,
                Key=full,
                Body=first,
                ContentType=ctype,
                Metadata={SHA256_META: sha256},
            )
            self._verify(key, full, len(first), sha256, {_etag(response)})
            return ObjectInfo(key, len(first), sha256)
        return self._put_multipart(key, full, ctype, stream, first, part_size, known)

    def _send(self, method: str, key: str, **params: Any) -> Any:
        """A request with a body, sent again when the body reached the server altered."""
        attempt = 1
        while True:
            try:
                return getattr(self.client, method)(Bucket=self.bucket, **params)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code not in _ALTERED or attempt == _INTACT_ATTEMPTS:
                    raise self._error(exc, "store", key) from None
                log.warning("%s: %r arrived altered (%s); sending it again", self.uri, key, code)
            except BotoCoreError as exc:
                raise self._error(exc, "store", key) from None
            attempt += 1

    def _upload_part(self, key: str, full: str, upload_id: str, number: int, data: bytes) -> str:
        response = self._send(
            "upload_part", key, Key=full, UploadId=upload_id, PartNumber=number, Body=data
        )
        etag = _etag(response)
        if not etag:
            raise StoreError(f"{self.uri}: the server gave part {number} of {key!r} no ETag")
        return etag

    def _put_multipart(
        self,
        key: str,
        full: str,
        ctype: str,
        stream: BinaryIO,
        first: bytes,
        part_size: int,
        known: tuple[str, int],
    ) -> ObjectInfo:
        metadata = {SHA256_META: known[0]}
        created = self._call(
            "create_multipart_upload", "store", key, Key=full, ContentType=ctype, Metadata=metadata
        )
        upload_id = str(created["UploadId"])
        size = 0
        futures: list[Future[str]] = []
        in_flight: set[Future[str]] = set()
        pool = ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="s3-put")
        try:
            part = first
            while part:
                if len(futures) >= MAX_PARTS:
                    raise StoreError(
                        f"cannot store {key!r} in {self.uri}: more than {MAX_PARTS} parts;"
                        " raise NEWSTRAIL_S3_PART_SIZE"
                    )
                size += len(part)
                future = pool.submit(
                    self._upload_part, key, full, upload_id, len(futures) + 1, part
                )
                futures.append(future)
                in_flight.add(future)
                del part
                # At most `concurrency` parts in memory, waiting or on the wire.
                while len(in_flight) >= self.settings.concurrency:
                    done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    for finished in done:
                        finished.result()
                part = self._read(stream, part_size, key)
            etags = [future.result() for future in futures]
            if size != known[1]:
                # The file changed while it was stored: no object that says otherwise.
                raise StoreError(
                    f"cannot store {key!r} in {self.uri}: it changed while it was stored "
                    f"({known[1]} bytes, then {size})"
                )
            completed = self._call(
                "complete_multipart_upload",
                "store",
                key,
                Key=full,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [
                        {"ETag": f'"{etag}"', "PartNumber": n}
                        for n, etag in enumerate(etags, start=1)
                    ]
                },
            )
        except BaseException:
            for future in futures:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
            with contextlib.suppress(Exception):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=full, UploadId=upload_id)
            raise
        pool.shutdown(wait=True)
        # A multipart object's ETag is the MD5 of its parts' binary MD5s, "-" and the
        # part count (S3, radosgw, MinIO): proof that it was assembled from these parts.
        expected = _multipart_etag(etags)
        # radosgw (Pacific at least) answers CompleteMultipartUpload with an empty ETag.
        etag = _etag(completed) or _etag(self._call("head_object", "verify", key, Key=full))
        if expected is not None and etag != expected:
            self._reject(key, full, f"the server's ETag {etag} is not the parts' {expected}")
        self._verify(key, full, size, known[0], {etag})
        return ObjectInfo(key, size, known[0])

    def _verify(self, key: str, full: str, size: int, sha256: str | None, etags: set[str]) -> None:
        head = self._call("head_object", "verify", key, Key=full)
        problems = []
        if int(head.get("ContentLength", -1)) != size:
            problems.append(f"{head.get('ContentLength')} bytes, not {size}")
        if _etag(head) not in etags:
            problems.append(f"ETag {_etag(head)}, not {' or '.join(sorted(etags))}")
        if sha256 is not None and head.get("Metadata", {}).get(SHA256_META) != sha256:
            problems.append("its recorded sha256 is not the data's")
        if problems:
            self._reject(key, full, "; ".join(problems))

    def _reject(self, key: str, full: str, problem: str) -> NoReturn:
        # Never leave an object that failed verification looking stored.
        with contextlib.suppress(Exception):
            self.client.delete_object(Bucket=self.bucket, Key=full)
        raise StoreError(f"{self.uri}: {key!r} failed verification after upload: {problem}")

    # -- reading -----------------------------------------------------------

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            response: dict[str, Any] = self.client.head_object(
                Bucket=self.bucket, Key=self._full(key)
            )
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404 and exc.response.get("Error", {}).get("Code") != "NoSuchBucket":
                return None
            raise self._error(exc, "read", key) from None
        except BotoCoreError as exc:
            raise self._error(exc, "read", key) from None
        return response

    @contextlib.contextmanager
    def _open(self, key: str) -> Iterator[BinaryIO]:
        response = self._call("get_object", "read", key, Key=self._full(key))

        def fail(exc: Exception) -> NoReturn:
            raise self._error(exc, "read", key) from None

        with io.BufferedReader(_Body(response["Body"], fail), CHUNK_SIZE) as stream:
            yield stream

    def open(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """Open the object under ``key`` for reading, streamed from the server."""
        return self._open(key)

    def _get_range(
        self, key: str, full: str, etag: str, start: int, end: int, fd: int
    ) -> list[bytes]:
        """Write bytes ``start`` to ``end`` of the object at their offset in ``fd`` as they
        arrive; return them, in pieces, for hashing in order."""
        response = self._call(
            "get_object",
            "read",
            key,
            Key=full,
            Range=f"bytes={start}-{end - 1}",
            IfMatch=f'"{etag}"',
        )
        pieces: list[bytes] = []
        offset = start
        chunks = response["Body"].iter_chunks(_RANGE_PIECE)
        while True:
            try:
                piece = next(chunks, b"")
            except (BotoCoreError, OSError) as exc:
                raise self._error(exc, "read", key) from None
            if not piece:
                break
            view = memoryview(piece)
            while view:  # an OSError here is the local file's: get_file reports it
                done = os.pwrite(fd, view, offset)
                offset += done
                view = view[done:]
            pieces.append(piece)
        if offset != end:
            raise StoreError(f"{self.uri}: {key!r} changed or was cut short while being read")
        return pieces

    def _download(
        self, key: str, head: Mapping[str, Any], out: BinaryIO, progress: Callable[[int], None]
    ) -> tuple[int, str]:
        """Write the object into ``out``; return the bytes written and their sha256.

        Beyond one part, ranges are fetched several at a time, each streamed to its
        offset in the file by the thread that fetches it, while this thread hashes
        them in order: writing and hashing overlap instead of taking turns.
        """
        digest = hashlib.sha256()
        size = int(head["ContentLength"])
        part = self.settings.part_size
        written = 0
        if size <= part:
            with self.open(key) as stream:
                while chunk := stream.read(CHUNK_SIZE):
                    out.write(chunk)
                    digest.update(chunk)
                    written += len(chunk)
                    progress(len(chunk))
            out.flush()
            return written, digest.hexdigest()
        full, etag = self._full(key), _etag(head)
        fd = out.fileno()
        os.ftruncate(fd, size)
        ranges = deque((start, min(start + part, size)) for start in range(0, size, part))
        pending: deque[Future[list[bytes]]] = deque()
        with ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="s3-get") as pool:
            try:
                while ranges or pending:
                    # Twice as many parts in flight as threads: a thread that is done
                    # starts on the next part while this one hashes in order.
                    while ranges and len(pending) < 2 * self.settings.concurrency:
                        start, end = ranges.popleft()
                        pending.append(
                            pool.submit(self._get_range, key, full, etag, start, end, fd)
                        )
                    for piece in pending.popleft().result():
                        digest.update(piece)
                        written += len(piece)
                        progress(len(piece))
            finally:
                for future in pending:
                    future.cancel()
        return written, digest.hexdigest()

    def get_file(
        self, key: str, dest_path: Path, *, progress: Callable[[int], None] | None = None
    ) -> ObjectInfo:
        """Copy the object to ``dest_path`` atomically, checking its size and recorded sha256."""
        head = self._head(key)
        if head is None:
            raise ObjectNotFoundError(f"no object {key!r} in store {self.uri}")
        dest_path = Path(dest_path)
        size = int(head["ContentLength"])
        tmp = dest_path.with_name(f"{TEMP_PREFIX}{secrets.token_hex(8)}-{dest_path.name}")
        try:
            dest_path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "xb") as out:
                written, sha256 = self._download(key, head, out, progress or (lambda n: None))
            # No fsync, unlike the local store's writes: a download is checked against
            # its sha256 again before it is ever trusted, so a crash costs a re-fetch.
            recorded = head.get("Metadata", {}).get(SHA256_META)
            if written != size:
                raise ChecksumMismatchError(f"{self.uri}: {key!r} has {written} bytes, not {size}")
            if recorded is not None and recorded != sha256:
                raise ChecksumMismatchError(
                    f"{self.uri}: {key!r} is corrupt: its sha256 is {sha256}, not the recorded"
                    f" {recorded}"
                )
            os.replace(tmp, dest_path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise StoreError(f"cannot write {dest_path}: {exc.strerror or exc}") from None
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return ObjectInfo(key, size, sha256)

    def stat(self, key: str) -> ObjectInfo | None:
        """Size and recorded sha256 of the object under ``key`` (one HEAD request)."""
        head = self._head(key)
        if head is None:
            return None
        recorded = head.get("Metadata", {}).get(SHA256_META)
        sha256 = recorded if isinstance(recorded, str) and _SHA256.match(recorded) else None
        return ObjectInfo(key, int(head["ContentLength"]), sha256)

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        return self._head(key) is not None

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Objects whose key starts with ``prefix``, sorted by key; sha256 is ``None``."""
        validate_prefix(prefix)
        base = f"{self.prefix}/" if self.prefix else ""
        found: list[ObjectInfo] = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=base + prefix
            )
            for page in pages:
                for entry in page.get("Contents", []):
                    key = str(entry["Key"])[len(base) :]
                    try:
                        validate_key(key)
                    except StoreError:
                        continue  # put there by other means, and no key could address it
                    found.append(ObjectInfo(key, int(entry["Size"]), None))
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, "list", prefix or None) from None
        found.sort(key=lambda info: info.key)
        yield from found

    def delete(self, key: str) -> None:
        """Remove the object under ``key``; an absent key is not an error."""
        self._call("delete_object", "delete", key, Key=self._full(key))

    def abort_incomplete_uploads(self, prefix: str) -> int:
        """Abort the unfinished multipart uploads under ``prefix`` (left by a killed upload).

        Their parts are invisible but stored (and billed) until aborted. Returns how
        many were aborted.
        """
        validate_prefix(prefix)
        base = f"{self.prefix}/" if self.prefix else ""
        aborted = 0
        try:
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=base + prefix
            )
            for page in pages:
                for upload in page.get("Uploads", []):
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    aborted += 1
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, "abort unfinished uploads under", prefix or None) from None
        return aborted


def open_s3_store(uri: str) -> S3Store:
    """Factory registered in :data:`newstrail.storage.base.STORE_SCHEMES` for ``s3://``."""
    return S3Store.from_uri(uri)
