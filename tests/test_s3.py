"""S3 stores against a real Ceph RADOS Gateway: the Store protocol, errors and retries."""

from __future__ import annotations

import hashlib
import http.client
import io
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from newstrail.errors import StoreError
from newstrail.newsweb import NewsWebServer
from newstrail.storage import open_store
from newstrail.storage.base import ChecksumMismatchError, ObjectInfo, ObjectNotFoundError
from newstrail.storage.s3 import MIN_PART_SIZE, S3Settings, S3Store
from tests.conftest import free_port, one_line_error, run_newstrail
from tests.s3_fixtures import S3Server


class OneShotStream(io.RawIOBase):
    """A stream that cannot seek and hands out odd-sized reads, like a socket."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), 777_777, len(self._data) - self._pos)
        buffer[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


def store_for(bucket: str, prefix: str = "p", **settings: Any) -> S3Store:
    return S3Store(bucket, prefix, settings=S3Settings(**settings))


def test_uri_parsing_and_refusals(s3_env: S3Server) -> None:
    store = open_store("s3://some-bucket/a/b/")
    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix, store.uri) == ("some-bucket", "a/b", "s3://some-bucket/a/b")
    assert open_store("s3://some-bucket").uri == "s3://some-bucket"
    with pytest.raises(StoreError, match="credential chain"):
        open_store("s3://KEY:SECRET@some-bucket/p")
    for bad in ("s3://some-bucket/../x", "s3://x/p", "s3://Bad_Bucket!/p", "s3://b-b-b/p?x=1"):
        with pytest.raises(StoreError):
            open_store(bad)


def test_small_and_multipart_objects_round_trip(
    s3_bucket: str, s3_env: S3Server, tmp_path: Path
) -> None:
    store = store_for(s3_bucket, part_size=MIN_PART_SIZE, concurrency=3)
    small = store.put("c/x/warc/small.warc.gz", io.BytesIO(b"hello"))
    assert small.sha256 == hashlib.sha256(b"hello").hexdigest()
    big_data = hashlib.sha256(b"seed").digest() * (12 * 1024 * 1024 // 32 + 1234)
    # Not seekable, odd reads: spooled as it is hashed, so the upload carries its
    # SHA-256 and the object is not copied onto itself afterwards.
    calls: list[str] = []
    store.client.meta.events.register(
        "before-parameter-build.s3", lambda model, **_: calls.append(model.name)
    )
    big = store.put("c/x/warc/big.warc.gz", io.BufferedReader(OneShotStream(big_data)))
    assert (big.size, big.sha256) == (len(big_data), hashlib.sha256(big_data).hexdigest())
    assert "CopyObject" not in calls and calls.count("UploadPart") == 3

    # The server holds what was sent, and says so in its own terms.
    head = s3_env.client().head_object(Bucket=s3_bucket, Key="p/c/x/warc/big.warc.gz")
    assert head["ContentLength"] == len(big_data)
    assert head["ETag"].strip('"').endswith("-3")  # three parts of 5 MiB at most
    assert head["Metadata"]["sha256"] == big.sha256
    assert head["ContentType"] == "application/warc"

    assert store.stat("c/x/warc/big.warc.gz") == big
    assert store.stat("c/x/warc/none") is None
    got = store.get_file("c/x/warc/big.warc.gz", tmp_path / "big")
    assert got == big and (tmp_path / "big").read_bytes() == big_data
    assert not [p for p in tmp_path.iterdir() if p.name != "big"]  # no temporary file left
    with store.open("c/x/warc/small.warc.gz") as fh:
        assert fh.read() == b"hello"
    assert [o.key for o in store.list("c/")] == ["c/x/warc/big.warc.gz", "c/x/warc/small.warc.gz"]
    assert [o.key for o in store.list("c/x/warc/s")] == ["c/x/warc/small.warc.gz"]

    store.delete("c/x/warc/small.warc.gz")
    store.delete("c/x/warc/small.warc.gz")  # absent: not an error
    assert not store.exists("c/x/warc/small.warc.gz")
    with pytest.raises(ObjectNotFoundError, match="s3://"):
        store.get_file("c/x/warc/small.warc.gz", tmp_path / "gone")
    with pytest.raises(ObjectNotFoundError), store.open("c/x/nothing"):
        pass


def test_a_failed_stream_leaves_no_object_and_no_upload(s3_bucket: str, s3_env: S3Server) -> None:
    class Failing(io.RawIOBase):
        def __init__(self) -> None:
            self.sent = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            if self.sent > 2 * MIN_PART_SIZE:
                raise OSError(5, "Input/output error")
            buffer[: len(buffer)] = b"x" * len(buffer)
            self.sent += len(buffer)
            return len(buffer)

    store = store_for(s3_bucket, part_size=MIN_PART_SIZE)
    with pytest.raises(StoreError, match="Input/output error"):
        store.put("k/big", io.BufferedReader(Failing()))
    assert not store.exists("k/big")
    client = s3_env.client()
    assert client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []


def test_a_file_is_stored_once_with_its_sha256_and_no_copy(
    s3_bucket: str, s3_env: S3Server, tmp_path: Path
) -> None:
    """The SHA-256 of a file goes into its multipart upload's metadata: no CopyObject of
    the object onto itself afterwards (a second full write, a second version)."""
    data = os.urandom(12 * 1024 * 1024 + 4321)
    path = tmp_path / "big.warc.gz"
    path.write_bytes(data)
    store = store_for(s3_bucket, part_size=MIN_PART_SIZE, concurrency=3)
    calls: list[str] = []
    store.client.meta.events.register(
        "before-parameter-build.s3", lambda model, **_: calls.append(model.name)
    )
    info = store.put_file("c/x/warc/big.warc.gz", path)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert "CopyObject" not in calls
    assert calls.count("UploadPart") == 3
    head = s3_env.client().head_object(Bucket=s3_bucket, Key="p/c/x/warc/big.warc.gz")
    assert head["Metadata"]["sha256"] == info.sha256
    assert store.stat("c/x/warc/big.warc.gz") == info

    # Given by the file's writer (which hashed it as it wrote it), the file is not
    # read once more to hash it before the upload.
    def no_second_pass(*args: Any) -> Any:
        raise AssertionError("the file was hashed again")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "_known_sha256", no_second_pass)
        again = store.put_file("c/x/warc/again.warc.gz", path, sha256=info.sha256)
    assert again == ObjectInfo("c/x/warc/again.warc.gz", len(data), info.sha256)
    assert store.stat("c/x/warc/again.warc.gz") == again


def test_a_file_that_changes_while_stored_is_refused(s3_bucket: str, s3_env: S3Server) -> None:
    class Rewritten(io.BytesIO):
        """Hashed at one length, then read again at another (a file being rewritten)."""

        def seek(self, offset: int, whence: int = 0) -> int:
            self.truncate(2 * MIN_PART_SIZE)
            return super().seek(offset, whence)

    store = store_for(s3_bucket, part_size=MIN_PART_SIZE)
    with pytest.raises(StoreError, match="changed while it was stored"):
        store.put("k/moving", Rewritten(os.urandom(2 * MIN_PART_SIZE + 10)))
    assert not store.exists("k/moving")
    assert s3_env.client().list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []


def test_get_file_catches_an_object_changed_behind_the_stores_back(
    s3_bucket: str, s3_env: S3Server, tmp_path: Path
) -> None:
    store = store_for(s3_bucket)
    info = store.put("k/obj", io.BytesIO(b"the real bytes"))
    # Same size, same recorded sha256, other bytes: what bit rot or a rogue writer does.
    s3_env.client().put_object(
        Bucket=s3_bucket, Key="p/k/obj", Body=b"the fake bytes", Metadata={"sha256": info.sha256}
    )
    with pytest.raises(ChecksumMismatchError, match="corrupt"):
        store.get_file("k/obj", tmp_path / "obj")
    assert list(tmp_path.iterdir()) == []


class FlakyProxy:
    """Forwards requests to the gateway, answering the first ``failures`` with 503 SlowDown.

    The first ``corruptions`` PUT bodies of at least a part's size are forwarded with
    one byte flipped, as a faulty link or middlebox would.
    """

    def __init__(self, upstream: str, failures: int = 0, corruptions: int = 0) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.failures = failures
        self.corruptions = corruptions
        self.requests = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as S3 clients expect

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                proxy.requests += 1
                if proxy.requests <= proxy.failures:
                    payload = b"<Error><Code>SlowDown</Code><Message>slow</Message></Error>"
                    self.send_response(503)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if self.command == "PUT" and len(body) >= MIN_PART_SIZE and proxy.corruptions:
                    proxy.corruptions -= 1
                    body = body[:1000] + bytes([body[1000] ^ 1]) + body[1001:]
                conn = http.client.HTTPConnection(proxy.upstream, timeout=30)
                # Headers as signed by the client (Host included), so the signature holds.
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    conn.putheader(name, value)
                conn.endheaders(body or None)
                response = conn.getresponse()
                data = response.read()
                self.send_response(response.status)
                # A HEAD answer keeps the object's length: it has no body to measure.
                skipped: tuple[str, ...] = ("transfer-encoding", "connection")
                if self.command != "HEAD":
                    skipped += ("content-length",)
                    self.send_header("Content-Length", str(len(data)))
                for name, value in response.getheaders():
                    if name.lower() not in skipped:
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FlakyProxy:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_throttling_and_5xx_are_retried_with_backoff(s3_bucket: str, s3_env: S3Server) -> None:
    with FlakyProxy(s3_env.endpoint, failures=2) as proxy:
        store = store_for(s3_bucket, endpoint_url=proxy.url, max_attempts=4)
        info = store.put("k/retried", io.BytesIO(b"made it"))
        assert info.size == 7
        assert proxy.requests >= 4  # two refusals, the PUT, the HEAD
    with FlakyProxy(s3_env.endpoint, failures=10) as proxy:
        store = store_for(s3_bucket, endpoint_url=proxy.url, max_attempts=2)
        with pytest.raises(StoreError) as caught:
            store.put("k/given-up", io.BytesIO(b"no"))
        assert proxy.requests == 2
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"s3://{s3_bucket}/p: ")
    assert "SlowDown" in message and "HTTP 503" in message


def test_a_part_altered_on_the_way_is_refused_and_sent_again(
    s3_bucket: str, s3_env: S3Server
) -> None:
    data = os.urandom(2 * MIN_PART_SIZE + 123)
    with FlakyProxy(s3_env.endpoint, corruptions=1) as proxy:
        store = store_for(s3_bucket, endpoint_url=proxy.url, part_size=MIN_PART_SIZE)
        info = store.put("k/mended", io.BytesIO(data))
        assert proxy.corruptions == 0  # one part did arrive altered
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    body = s3_env.client().get_object(Bucket=s3_bucket, Key="p/k/mended")["Body"].read()
    assert body == data
    # A link that alters every attempt: an error, and neither object nor upload left.
    with FlakyProxy(s3_env.endpoint, corruptions=100) as proxy:
        store = store_for(s3_bucket, endpoint_url=proxy.url, part_size=MIN_PART_SIZE)
        with pytest.raises(StoreError, match="XAmzContentSHA256Mismatch"):
            store.put("k/broken", io.BytesIO(data))
    assert not store_for(s3_bucket).exists("k/broken")
    uploads = s3_env.client().list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])
    assert [u for u in uploads if u["Key"] == "p/k/broken"] == []


def test_storage_errors_are_one_line_naming_the_store(
    s3_bucket: str, s3_env: S3Server, tmp_path: Path, newsweb: NewsWebServer
) -> None:
    missing = one_line_error(
        run_newstrail("ls", "--store", "s3://no-such-bucket-here/x", cwd=tmp_path)
    )
    assert "s3://no-such-bucket-here/x" in missing and "no such bucket" in missing

    wrong = {"AWS_SECRET_ACCESS_KEY": "not-the-secret-at-all"}
    denied = run_newstrail("ls", "--store", f"s3://{s3_bucket}/x", env=wrong, cwd=tmp_path)
    line = one_line_error(denied)
    assert f"s3://{s3_bucket}/x" in line and "access denied" in line
    assert "not-the-secret-at-all" not in denied.stderr + denied.stdout

    port = free_port()
    unreachable = run_newstrail(
        "download",
        "coll",
        "--store",
        f"s3://{s3_bucket}/x",
        "--s3-endpoint",
        f"http://127.0.0.1:{port}",
        "--to",
        str(tmp_path / "dl"),
        env={"NEWSTRAIL_S3_MAX_ATTEMPTS": "1"},
        cwd=tmp_path,
    )
    line = one_line_error(unreachable)
    assert (
        f"s3://{s3_bucket}/x" in line
        and f"cannot reach the S3 endpoint http://127.0.0.1:{port}" in line
    )

    # A crawl into a bucket that does not exist fails before it fetches anything.
    newsweb.reset_log()
    crawl = run_newstrail(
        "crawl",
        newsweb.seed_urls[0],
        "--collection",
        "c",
        "--allow-private",
        "--store",
        "s3://no-such-bucket-here/x",
        cwd=tmp_path,
    )
    assert "no such bucket" in one_line_error(crawl)
    assert newsweb.request_log == []
