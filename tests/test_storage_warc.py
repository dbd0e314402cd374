"""RollingWarcWriter and the CDXJ index, checked with warcio's own reader and tools."""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import os
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator
from zlib_ng import zlib_ng

from newstrail.errors import StoreError
from newstrail.storage import (
    FileStore,
    RecordRef,
    RollingWarcWriter,
    write_cdxj,
    write_cdxj_streams,
)
from newstrail.storage.warc import GZIP_LEVEL, LARGE_RECORD, LARGE_RECORD_GZIP_LEVEL

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
URL = "https://example.org/news/story?id=7"
CHUNKED = [(b"Content-Type", b"text/html; charset=utf-8"), (b"Transfer-Encoding", b"chunked")]


def id_factory() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"<urn:uuid:00000000-0000-4000-8000-{next(counter):012d}>"


def make_writer(directory: Path, **kwargs: Any) -> RollingWarcWriter:
    kwargs.setdefault("id_factory", id_factory())
    kwargs.setdefault("clock", lambda: T0)
    kwargs.setdefault("warcinfo", {"software": "newstrail-test", "operator": "tests"})
    return RollingWarcWriter(directory, "test", **kwargs)


def exchange(
    writer: RollingWarcWriter, url: str, body: bytes | Any = b"<p>hi</p>", **kw: Any
) -> Any:
    kw.setdefault("status", 200)
    kw.setdefault("reason", "OK")
    kw.setdefault("response_headers", [(b"Content-Type", b"text/html")])
    return writer.write_exchange(url, response_body=body, **kw)


def record_at(path: Path, offset: int) -> Any:
    """The record whose gzip member starts at ``offset``, read by warcio, with its payload."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
        record.payload = record.content_stream().read()
        return record


def read_all(path: Path) -> list[Any]:
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        records = []
        for record in it:
            record.payload = record.content_stream().read()
            records.append(record)
        return records


def warcio_cli(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("warcio")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "warcio.cli"]
    return subprocess.run([*command, *args], capture_output=True, text=True, check=False)


def b32_sha1(data: bytes) -> bytes:
    return b"sha1:" + base64.b32encode(hashlib.sha1(data).digest())


def gzip_members(data: bytes) -> Iterator[bytes]:
    while data:
        member = zlib.decompressobj(wbits=31)
        yield member.decompress(data)
        assert member.eof
        data = member.unused_data


# -- byte-exact golden file ----------------------------------------------------

GOLDEN_NAME = "golden-20240501120000-00000.warc.gz"
GOLDEN_RECORDS = [
    [
        b"WARC/1.1",
        b"WARC-Type: warcinfo",
        b"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>",
        b"WARC-Filename: golden-20240501120000-00000.warc.gz",
        b"WARC-Date: 2024-05-01T12:00:00Z",
        b"WARC-Block-Digest: sha1:3YKTA5YHYTHAZZYZ44B57ROODDJAL73A",
        b"Content-Type: application/warc-fields",
        b"Content-Length: 207",
        b"",
        b"software: newstrail-test/1.0",
        b"format: WARC File Format 1.1",
        b"conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        b"operator: Newstrail tests",
        b"isPartOf: test-collection",
        b"",
        b"",
        b"",
    ],
    [
        b"WARC/1.1",
        b"WARC-Type: request",
        b"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000002>",
        b"WARC-Target-URI: https://example.org/news/story?id=7",
        b"WARC-Date: 2024-05-01T12:00:01.250000Z",
        b"WARC-IP-Address: 192.0.2.10",
        b"WARC-Concurrent-To: <urn:uuid:00000000-0000-4000-8000-000000000003>",
        b"WARC-Payload-Digest: sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ",
        b"WARC-Block-Digest: sha1:3G57YBUVEQWZZYJNGFLUPDYT52M6PKPQ",
        b"Content-Type: application/http; msgtype=request",
        b"Content-Length: 107",
        b"",
        b"GET /news/story?id=7 HTTP/1.1",
        b"Host: example.org",
        b"User-Agent: newstrail-test/1.0",
        b"Accept-Encoding: gzip",
        b"",
        b"",
        b"",
        b"",
    ],
    [
        b"WARC/1.1",
        b"WARC-Type: response",
        b"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000003>",
        b"WARC-Target-URI: https://example.org/news/story?id=7",
        b"WARC-Date: 2024-05-01T12:00:01.250000Z",
        b"WARC-IP-Address: 192.0.2.10",
        b"WARC-Concurrent-To: <urn:uuid:00000000-0000-4000-8000-000000000002>",
        b"WARC-Payload-Digest: sha1:A23QUGOWEQNA4UGBP7L6M2FZIC7SFER5",
        b"WARC-Block-Digest: sha1:IT4SZ5BKTXMT3IDIUGAB3PACTHUAVZOY",
        b"Content-Type: application/http; msgtype=response",
        b"Content-Length: 148",
        b"",
        b"HTTP/1.1 200 OK",
        b"Content-Type: text/html; charset=utf-8",
        b"X-Archive-Orig-Transfer-Encoding: chunked",
        b"X-Note: caf\xe9",
        b"",
        b"<html><body>Troops</body></html>",
        b"",
        b"",
    ],
    [
        b"WARC/1.1",
        b"WARC-Type: metadata",
        b"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000004>",
        b"WARC-Target-URI: https://example.org/news/story?id=7",
        b"WARC-Date: 2024-05-01T12:00:00Z",
        b"WARC-Concurrent-To: <urn:uuid:00000000-0000-4000-8000-000000000003>",
        b"WARC-Block-Digest: sha1:UBPXKBAUYZMC72YAIGTOKTSF5VEHMYTO",
        b"Content-Type: application/warc-fields",
        b"Content-Length: 33",
        b"",
        b"seed: true",
        b"hop: 0",
        b"score: 0.91",
        b"",
        b"",
        b"",
    ],
    [
        b"WARC/1.1",
        b"WARC-Type: revisit",
        b"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000005>",
        b"WARC-Target-URI: https://example.org/news/story?id=7",
        b"WARC-Date: 2024-05-02T12:00:00Z",
        b"WARC-Refers-To: <urn:uuid:00000000-0000-4000-8000-000000000003>",
        b"WARC-Profile: http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
        b"WARC-Refers-To-Target-URI: https://example.org/news/story?id=7",
        b"WARC-Refers-To-Date: 2024-05-01T12:00:01.250000Z",
        b"WARC-Payload-Digest: sha1:A23QUGOWEQNA4UGBP7L6M2FZIC7SFER5",
        b"WARC-Block-Digest: sha1:RVY4E22T37LT6JG5NVZTWD2ISUNREATS",
        b"Content-Type: application/http; msgtype=response",
        b"Content-Length: 79",
        b"",
        b"HTTP/1.1 200 OK",
        b"Content-Type: text/html; charset=utf-8",
        b"Content-Length: 32",
        b"",
        b"",
        b"",
        b"",
    ],
]


def write_golden(directory: Path) -> RollingWarcWriter:
    fetched = T0 + timedelta(seconds=1, microseconds=250000)
    with RollingWarcWriter(
        directory,
        "golden",
        warcinfo={
            "software": "newstrail-test/1.0",
            "operator": "Newstrail tests",
            "isPartOf": "test-collection",
        },
        id_factory=id_factory(),
        clock=lambda: T0,
    ) as writer:
        refs = writer.write_exchange(
            URL,
            request_headers=[
                (b"Host", b"example.org"),
                (b"User-Agent", b"newstrail-test/1.0"),
                (b"Accept-Encoding", b"gzip"),
            ],
            status=200,
            reason="OK",
            response_headers=[*CHUNKED, (b"X-Note", b"caf\xe9")],
            response_body=b"<html><body>Troops</body></html>",
            ip="192.0.2.10",
            date=fetched,
        )
        writer.write_metadata(
            URL, [("seed", "true"), ("hop", "0"), ("score", "0.91")], refs.response.record_id
        )
        writer.write_revisit(
            URL,
            refers_to_record_id=refs.response.record_id,
            refers_to_uri=URL,
            refers_to_date=fetched,
            payload_digest="sha1:A23QUGOWEQNA4UGBP7L6M2FZIC7SFER5",
            status=200,
            reason="OK",
            headers=[(b"Content-Type", b"text/html; charset=utf-8"), (b"Content-Length", b"32")],
            date=T0 + timedelta(days=1),
        )
    return writer


def test_golden_file_is_byte_exact(tmp_path: Path) -> None:
    writer = write_golden(tmp_path)

    assert writer.files == [tmp_path / GOLDEN_NAME]
    members = list(gzip_members((tmp_path / GOLDEN_NAME).read_bytes()))
    # Compared after gunzip: the WARC bytes are ours, the deflate stream is zlib's.
    assert members == [b"\r\n".join(lines) for lines in GOLDEN_RECORDS]


def test_golden_lengths_and_digests_check_out_independently(tmp_path: Path) -> None:
    write_golden(tmp_path)
    for member in gzip_members((tmp_path / GOLDEN_NAME).read_bytes()):
        head, _, rest = member.partition(b"\r\n\r\n")
        fields = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
        block = rest[: int(fields[b"Content-Length"])]
        assert rest[len(block) :] == b"\r\n\r\n"
        assert fields[b"WARC-Block-Digest"] == b32_sha1(block)
        if fields[b"WARC-Type"] == b"response":
            assert fields[b"WARC-Payload-Digest"] == b32_sha1(block.partition(b"\r\n\r\n")[2])


# -- reading back --------------------------------------------------------------


def test_records_read_back_with_warcio(tmp_path: Path) -> None:
    with make_writer(tmp_path) as writer:
        refs = writer.write_exchange(
            "http://example.com/page",
            method="POST",
            request_headers=[("Content-Type", "application/x-www-form-urlencoded")],
            request_body=b"q=troops",
            status=404,
            reason="Not Found",
            response_headers=[(b"Content-Type", b"text/plain")],
            response_body=b"missing",
            date=datetime(2024, 5, 3, 8, 0, tzinfo=UTC),
        )
    records = read_all(writer.files[0])

    assert [r.rec_type for r in records] == ["warcinfo", "request", "response"]
    info, request, response = records
    assert info.rec_headers["WARC-Filename"] == writer.files[0].name
    assert b"operator: tests\r\n" in info.payload
    assert request.http_headers.protocol == "POST"
    assert request.payload == b"q=troops"
    assert request.rec_headers["WARC-Concurrent-To"] == refs.response.record_id
    assert response.rec_headers["WARC-Concurrent-To"] == refs.request.record_id
    assert response.http_headers.get_statuscode() == "404"
    assert response.payload == b"missing"
    assert response.rec_headers["WARC-Date"] == "2024-05-03T08:00:00Z"
    assert response.rec_headers["WARC-Target-URI"] == "http://example.com/page"
    assert response.rec_headers["WARC-Payload-Digest"] == b32_sha1(b"missing").decode()
    assert response.rec_headers["WARC-Block-Digest"].startswith("sha1:")


def test_a_large_record_is_gzipped_at_a_faster_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Records are written on the crawl's reactor thread: a page of tens of megabytes
    # at warcio's level 9 held it for over a second.
    levels: list[int] = []
    compressobj = zlib_ng.compressobj

    def spy(level: int, *args: Any) -> Any:
        levels.append(level)
        return compressobj(level, *args)

    monkeypatch.setattr(zlib_ng, "compressobj", spy)
    small = b"<p>Iraq</p>" * 100
    large = b"<li><a href='/l/1'>a link</a></li>\n" * (LARGE_RECORD // 30)
    with make_writer(tmp_path) as writer:
        for _ in range(3):
            exchange(writer, "http://example.com/small", small)
            exchange(writer, "http://example.com/large", large)
    # One deflate stream per level for all the records, not one per record.
    assert sorted(levels) == sorted([GZIP_LEVEL, LARGE_RECORD_GZIP_LEVEL])
    assert LARGE_RECORD_GZIP_LEVEL < GZIP_LEVEL
    data = writer.files[0].read_bytes()
    # zlib's XFL byte: 0 at its default level and at level 2.
    assert {data[8]} == {0}
    bodies = [r.payload for r in read_all(writer.files[0]) if r.rec_type == "response"]
    assert bodies == [small, large] * 3


def test_each_record_is_a_gzip_member_of_its_own(tmp_path: Path) -> None:
    # Records share a deflate stream (flushed and cleared between them): each member
    # must still decompress alone, from its offset, to its record and nothing more.
    with make_writer(tmp_path) as writer:
        refs = [exchange(writer, f"http://example.com/{i}", os.urandom(i * 900)) for i in range(5)]
        refs.append(exchange(writer, "http://example.com/s", NonSeekable(b"abc" * 50_000)))
    data = writer.files[0].read_bytes()
    for ref in [r for pair in refs for r in pair]:
        member = data[ref.offset : ref.offset + ref.length]
        inflate = zlib.decompressobj(wbits=31)
        record = inflate.decompress(member)
        assert inflate.eof and not inflate.unused_data
        assert record.startswith(b"WARC/1.1\r\n") and record.endswith(b"\r\n\r\n")
        assert record_at(writer.files[0], ref.offset).rec_headers["WARC-Record-ID"] == (
            ref.record_id
        )
    assert warcio_cli("check", str(writer.files[0])).returncode == 0


def test_every_record_ref_points_at_its_record(tmp_path: Path) -> None:
    refs: list[RecordRef] = []
    with make_writer(tmp_path, max_size=3000) as writer:
        for i in range(6):
            ex = exchange(writer, f"http://example.com/{i}", os.urandom(700))
            refs += [ex.request, ex.response]
            refs.append(
                writer.write_metadata(
                    f"http://example.com/{i}", {"hop": str(i)}, ex.response.record_id
                )
            )
        refs.append(
            writer.write_revisit(
                "http://example.com/0",
                refers_to_record_id=refs[1].record_id,
                refers_to_uri="http://example.com/0",
                refers_to_date=T0,
                payload_digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                status=200,
            )
        )
    assert len(writer.files) > 1
    indexed: set[tuple[str, int, int, str]] = set()
    for path in writer.files:
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh)
            for record in it:
                record_id = record.rec_headers["WARC-Record-ID"]
                offset, length = it.get_record_offset(), it.get_record_length()
                indexed.add((path.name, offset, length, record_id))
    for ref in refs:
        assert (
            record_at(tmp_path / ref.filename, ref.offset).rec_headers["WARC-Record-ID"]
            == ref.record_id
        )
        assert (ref.filename, ref.offset, ref.length, ref.record_id) in indexed


def test_warcio_check_and_index_accept_the_files(tmp_path: Path) -> None:
    refs = []
    with make_writer(tmp_path, max_size=2000) as writer:
        for i in range(4):
            ex = exchange(
                writer, f"https://example.com/a/{i}", os.urandom(900), response_headers=CHUNKED
            )
            refs.append(ex.response)
            writer.write_metadata(
                f"https://example.com/a/{i}", {"seed": "no"}, ex.response.record_id
            )
        writer.write_revisit(
            "https://example.com/a/0",
            refers_to_record_id=refs[0].record_id,
            refers_to_uri="https://example.com/a/0",
            refers_to_date=T0,
            payload_digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            status=200,
        )
    paths = [str(p) for p in writer.files]

    check = warcio_cli("check", "-v", *paths)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout
    assert "fail" not in check.stdout.lower()

    index = warcio_cli("index", "-f", "offset,warc-type,warc-record-id", *paths)
    assert index.returncode == 0, index.stderr
    entries = [json.loads(line) for line in index.stdout.splitlines()]
    assert sum(e["warc-type"] == "warcinfo" for e in entries) == len(paths)
    by_id = {e["warc-record-id"]: int(e["offset"]) for e in entries}
    assert all(by_id[ref.record_id] == ref.offset for ref in refs)


# -- rollover and atomic files -------------------------------------------------


def test_rollover_starts_each_file_with_warcinfo_and_calls_on_close_once(tmp_path: Path) -> None:
    closed: list[Path] = []
    max_size = 2500
    with make_writer(tmp_path, max_size=max_size, on_close=closed.append) as writer:
        exchanges = [exchange(writer, f"http://example.com/{i}", os.urandom(800)) for i in range(8)]
        assert closed == writer.files  # files are handed over as they roll, not at the end

    assert len(writer.files) >= 3
    assert closed == writer.files
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in writer.files)
    names = [p.name for p in writer.files]
    assert names == [f"test-20240501120000-{n:05d}.warc.gz" for n in range(len(names))]
    for path in writer.files:
        records = read_all(path)
        assert records[0].rec_type == "warcinfo"
        assert records[0].rec_headers["WARC-Filename"] == path.name
        assert [r.rec_type for r in records[1:]] == ["request", "response"] * (len(records) // 2)
    for ex in exchanges:
        assert ex.request.filename == ex.response.filename
        assert ex.request.offset < max_size  # the limit is checked before each exchange


def test_metadata_stays_in_the_file_of_its_exchange(tmp_path: Path) -> None:
    with make_writer(tmp_path, max_size=1) as writer:
        first = exchange(writer, "http://example.com/1")
        meta = writer.write_metadata(
            "http://example.com/1", {"seed": "yes"}, first.response.record_id
        )
        second = exchange(writer, "http://example.com/2")
    assert meta.filename == first.response.filename != second.response.filename
    assert len(writer.files) == 2


def test_open_file_is_named_open_until_closed(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing until the first record
    exchange(writer, "http://example.com/")
    assert [p.name for p in tmp_path.iterdir()] == ["test-20240501120000-00000.warc.gz.open"]
    assert writer.current_path == tmp_path / "test-20240501120000-00000.warc.gz.open"
    assert writer.files == []
    writer.close()
    assert [p.name for p in tmp_path.iterdir()] == ["test-20240501120000-00000.warc.gz"]
    writer.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        exchange(writer, "http://example.com/")


def test_existing_file_names_are_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "test-20240501120000-00000.warc.gz").write_bytes(b"earlier run")
    with make_writer(tmp_path) as writer:
        exchange(writer, "http://example.com/")
    assert [p.name for p in writer.files] == ["test-20240501120000-00001.warc.gz"]
    assert (tmp_path / "test-20240501120000-00000.warc.gz").read_bytes() == b"earlier run"


class BreaksWhileWriting(io.BytesIO):
    """A seekable body whose reads fail once ``limit`` bytes have been read in all."""

    def __init__(self, data: bytes, limit: int) -> None:
        super().__init__(data)
        self.limit = limit
        self.total = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.total += len(chunk)
        if self.total > self.limit:
            raise ConnectionResetError("disk went away")
        return chunk


def test_failed_exchange_leaves_no_partial_records(tmp_path: Path) -> None:
    body = os.urandom(100_000)
    with make_writer(tmp_path) as writer:
        exchange(writer, "http://example.com/before")
        # The writer reads a stream body twice (its digests, then the copy): fail in the
        # copy, after the request record is already in the file.
        with pytest.raises(StoreError, match="disk went away"):
            exchange(writer, "http://example.com/broken", BreaksWhileWriting(body, 150_000))
        after = exchange(writer, "http://example.com/after", body)

    records = read_all(writer.files[0])
    uris = [r.rec_headers["WARC-Target-URI"] for r in records[1:]]
    assert uris == ["http://example.com/before"] * 2 + ["http://example.com/after"] * 2
    assert records[-1].payload == body
    assert record_at(writer.files[0], after.response.offset).payload == body
    assert warcio_cli("check", str(writer.files[0])).returncode == 0
    # Hashed as written, the file's SHA-256 would count the bytes cut off again.
    assert writer.sha256(writer.files[0]) is None


def test_a_finished_file_is_hashed_as_it_is_written(tmp_path: Path) -> None:
    with make_writer(tmp_path, max_size=50_000) as writer:
        for n in range(6):
            exchange(writer, f"http://example.com/{n}", os.urandom(20_000))
    assert len(writer.files) >= 2
    for path in writer.files:
        assert writer.sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


# -- what goes into the records ------------------------------------------------


def test_chunked_transfer_encoding_is_kept_under_another_name(tmp_path: Path) -> None:
    body = b"already de-chunked by the HTTP client"
    with make_writer(tmp_path) as writer:
        refs = exchange(
            writer,
            "http://example.com/",
            body,
            response_headers=[
                (b"Date", b"Wed, 01 May 2024 12:00:00 GMT"),
                (b"transfer-encoding", b"Chunked"),
                (b"Content-Type", b"text/plain"),
            ],
        )
    response = record_at(writer.files[0], refs.response.offset)
    assert response.http_headers.headers == [
        ("Date", "Wed, 01 May 2024 12:00:00 GMT"),
        ("X-Archive-Orig-Transfer-Encoding", "Chunked"),
        ("Content-Type", "text/plain"),
    ]
    assert response.payload == body  # a reader does not try to de-chunk it


def test_other_transfer_encodings_are_kept(tmp_path: Path) -> None:
    with make_writer(tmp_path) as writer:
        refs = exchange(
            writer, "http://example.com/", response_headers=[(b"Transfer-Encoding", b"gzip")]
        )
    response = record_at(writer.files[0], refs.response.offset)
    assert response.http_headers.get_header("Transfer-Encoding") == "gzip"


def test_header_bytes_are_kept_verbatim(tmp_path: Path) -> None:
    with make_writer(tmp_path) as writer:
        refs = exchange(
            writer,
            "http://example.com/",
            response_headers=[(b"Content-Disposition", b"attachment; filename=\xe9t\xe9.txt")],
        )
    member = next(gzip_members(writer.files[0].read_bytes()[refs.response.offset :]))
    assert b"\r\nContent-Disposition: attachment; filename=\xe9t\xe9.txt\r\n" in member


class NonSeekable(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self.data.read(size)


def test_stream_bodies(tmp_path: Path) -> None:
    big = os.urandom(3 * 1024 * 1024)  # beyond the in-memory spool
    seekable = io.BytesIO(b"HEADER-NOT-BODY" + big)
    seekable.seek(len(b"HEADER-NOT-BODY"))
    with make_writer(tmp_path) as writer:
        from_pipe = exchange(writer, "http://example.com/pipe", NonSeekable(big))
        from_file = exchange(writer, "http://example.com/file", seekable)
        from_bytes = exchange(writer, "http://example.com/bytes", big)

    records = {
        ref.offset: record_at(writer.files[0], ref.offset)
        for ref in [from_pipe.response, from_file.response, from_bytes.response]
    }
    assert all(r.payload == big for r in records.values())
    digests = {r.rec_headers["WARC-Payload-Digest"] for r in records.values()}
    assert digests == {b32_sha1(big).decode()}
    assert warcio_cli("check", str(writer.files[0])).returncode == 0


def test_revisit_record(tmp_path: Path) -> None:
    with make_writer(tmp_path) as writer:
        original = exchange(writer, URL, b"same payload", ip="2001:db8::1")
        digest = b32_sha1(b"same payload").decode()
        ref = writer.write_revisit(
            URL,
            refers_to_record_id=original.response.record_id,
            refers_to_uri=URL,
            refers_to_date="2024-05-01T12:00:00Z",
            payload_digest=digest,
            status=200,
            reason="OK",
            headers=[*CHUNKED, (b"Content-Length", b"12")],
            ip="2001:db8::1",
            date=T0 + timedelta(hours=1),
        )
    revisit = record_at(writer.files[0], ref.offset)
    h = revisit.rec_headers
    assert revisit.rec_type == "revisit"
    assert h["WARC-Profile"] == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    assert h["WARC-Refers-To"] == original.response.record_id
    assert h["WARC-Refers-To-Target-URI"] == URL
    assert h["WARC-Refers-To-Date"] == "2024-05-01T12:00:00Z"
    assert h["WARC-Payload-Digest"] == digest
    assert h["WARC-Date"] == "2024-05-01T13:00:00Z"
    assert h["WARC-IP-Address"] == "2001:db8::1"
    assert h["Content-Type"] == "application/http; msgtype=response"
    assert revisit.payload == b""  # headers only
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
    block += b"X-Archive-Orig-Transfer-Encoding: chunked\r\nContent-Length: 12\r\n\r\n"
    assert int(h["Content-Length"]) == len(block)
    assert h["WARC-Block-Digest"] == b32_sha1(block).decode()


def test_metadata_record(tmp_path: Path) -> None:
    with make_writer(tmp_path) as writer:
        refs = exchange(writer, URL)
        ref = writer.write_metadata(
            URL, {"seed": URL, "channel": "rss", "score": "0.5"}, refs.response.record_id
        )
    meta = record_at(writer.files[0], ref.offset)
    assert meta.rec_type == "metadata"
    assert meta.rec_headers["Content-Type"] == "application/warc-fields"
    assert meta.rec_headers["WARC-Concurrent-To"] == refs.response.record_id
    assert meta.payload == f"seed: {URL}\r\nchannel: rss\r\nscore: 0.5\r\n".encode()


@pytest.mark.parametrize(
    "bad",
    [
        {"response_headers": [(b"X-Evil", b"a\r\nWARC-Type: resource")]},
        {"request_headers": [(b"Bad:Name", b"x")]},
        {"method": "GET /"},
        {"date": datetime(2024, 1, 1)},  # naive: which timezone?
        {"ip": "not-an-ip"},
        {"status": 20},
    ],
)
def test_invalid_input_is_refused_before_writing(tmp_path: Path, bad: dict[str, Any]) -> None:
    with make_writer(tmp_path) as writer:
        with pytest.raises(ValueError):
            exchange(writer, "http://example.com/", **bad)
        with pytest.raises(ValueError):
            writer.write_metadata("http://example.com/", {"a": "line\nbreak"})
        with pytest.raises(ValueError):
            exchange(writer, "http://example.com/has space")
    assert writer.files == []


# -- CDXJ ----------------------------------------------------------------------


def test_cdxj_index_is_sorted_and_points_at_records(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    urls = [
        "https://www.example.org/z",
        "http://example.com/b?x=1",
        "https://news.example.net/a",
        "http://example.com/a",
    ]
    responses: dict[str, RecordRef] = {}
    with make_writer(staging, max_size=1500) as writer:
        for url in urls:
            responses[url] = exchange(writer, url, os.urandom(600)).response
            writer.write_metadata(url, {"hop": "1"}, responses[url].record_id)
        post = exchange(
            writer, "http://example.com/search", method="POST", request_body=b"q=troops"
        )
        revisit = writer.write_revisit(
            urls[0],
            refers_to_record_id=responses[urls[0]].record_id,
            refers_to_uri=urls[0],
            refers_to_date=T0,
            payload_digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            status=200,
        )
    assert len(writer.files) > 1
    store = FileStore(tmp_path / "store")
    for path in writer.files:
        store.put_file(f"coll/crawl/warc/{path.name}", path)

    out = io.BytesIO()
    with ExitStack() as stack:
        streams = [
            (o.key.rsplit("/", 1)[1], stack.enter_context(store.open(o.key)))
            for o in store.list("coll/crawl/warc/")
        ]
        count = write_cdxj_streams(streams, out)

    lines = out.getvalue().decode().splitlines()
    assert count == len(lines) == len(urls) + 2  # responses + POST + revisit; no requests/metadata
    assert lines == sorted(lines)
    by_url: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        _urlkey, timestamp, data = line.split(" ", 2)
        entry = json.loads(data)
        assert timestamp == "20240501120000"
        by_url.setdefault(entry["url"], []).append(entry)
        assert "/" not in entry["filename"]
        record = record_at(store.root / "coll/crawl/warc" / entry["filename"], int(entry["offset"]))
        assert record.rec_headers["WARC-Target-URI"] == entry["url"]
    assert lines[0].startswith("com,example)/a ")
    for url, ref in responses.items():
        entries = [e for e in by_url[url] if e["mime"] != "warc/revisit"]
        assert [(e["filename"], int(e["offset"]), int(e["length"])) for e in entries] == [
            (ref.filename, ref.offset, ref.length)
        ]
    [revisit_entry] = [e for e in by_url[urls[0]] if e["mime"] == "warc/revisit"]
    assert int(revisit_entry["offset"]) == revisit.offset
    [post_line] = [line for line in lines if "__wb_method=post" in line]
    assert json.loads(post_line.split(" ", 2)[2])["offset"] == str(post.response.offset)

    # Indexing the local files gives the same index.
    local = io.BytesIO()
    assert write_cdxj(writer.files, local) == count
    assert local.getvalue() == out.getvalue()


def test_cdxj_refuses_unfinished_file_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_cdxj_streams([("x.warc.gz.open", io.BytesIO())], io.BytesIO())
    with pytest.raises(ValueError):
        write_cdxj_streams([("warc/x.warc.gz", io.BytesIO())], io.BytesIO())


def test_cdxj_is_byte_identical_to_cdxj_indexers(tmp_path: Path) -> None:
    # newstrail pairs records itself so as not to decode payloads; the index must
    # stay what cdxj-indexer (POST bodies appended, sorted) writes for the same files.
    with make_writer(tmp_path, max_size=1500) as writer:
        for i in range(3):
            ref = exchange(writer, f"https://example.com/p/{i}", os.urandom(700))
            writer.write_metadata(
                f"https://example.com/p/{i}", {"hop": "1"}, ref.response.record_id
            )
        exchange(
            writer,
            "https://example.com/gz",
            zlib.compress(b"<p>deflated</p>"),
            response_headers=[(b"Content-Type", b"text/html"), (b"Content-Encoding", b"deflate")],
        )
        exchange(
            writer,
            "http://example.com/search?x=1",
            method="POST",
            request_headers=[("Content-Type", "application/x-www-form-urlencoded")],
            request_body=b"q=troops&page=2",
        )
        exchange(writer, "http://example.com/put", method="PUT", request_body=b"\x00\xffbin")
    assert len(writer.files) > 1
    ours = io.BytesIO()
    write_cdxj(writer.files, ours)
    script = Path(sys.executable).with_name("cdxj-indexer")
    theirs = subprocess.run(
        [str(script), "--post-append", "--sort", *map(str, writer.files)],
        capture_output=True,
        check=True,
    )
    assert ours.getvalue() == theirs.stdout
    assert b'"requestBody": "q=troops&page=2"' in theirs.stdout


def test_a_record_ref_gives_the_payload_digest_written(tmp_path: Path) -> None:
    # The archiver keeps it in the captures log instead of hashing the body again.
    body = os.urandom(5000)
    with make_writer(tmp_path) as writer:
        refs = exchange(writer, "http://example.com/a", body)
        streamed = exchange(writer, "http://example.com/b", NonSeekable(body))
        metadata = writer.write_metadata("http://example.com/a", [("hop", "0")])
    for ref in (refs.response, streamed.response):
        assert ref.payload_digest == b32_sha1(body).decode()
        assert record_at(writer.files[0], ref.offset).rec_headers["WARC-Payload-Digest"] == (
            ref.payload_digest
        )
    assert refs.request.payload_digest == b32_sha1(b"").decode()
    assert metadata.payload_digest is None


def test_the_index_made_while_writing_is_cdxj_indexers(tmp_path: Path) -> None:
    # Each finished file's index is made from the records as they are written, not by
    # reading the file back: it must be the very lines cdxj_indexer writes for it.
    index_dir = tmp_path / "index"
    with make_writer(tmp_path / "warc", max_size=20_000, index_dir=index_dir) as writer:
        for i in range(12):
            url = f"https://example.com/news/{i}?ref=feed&utm=x" if i % 3 else f"http://b.org/{i}"
            ref = exchange(
                writer,
                url,
                os.urandom(900 + 300 * i),
                response_headers=[(b"Content-Type", b"text/HTML ; charset=utf-8")],
                truncated="length" if i == 4 else None,
                ip="192.0.2.7",
            )
            writer.write_metadata(url, {"hop": "1"}, ref.response.record_id)
        exchange(writer, "http://b.org/no-type", b"x", response_headers=[])
        exchange(writer, "http://b.org/empty-type", b"x", response_headers=[(b"Content-Type", b"")])
        exchange(
            writer,
            "http://b.org/wire",
            b"<p>w</p>",
            wire_request=b"GET /wire HTTP/1.1\r\nHost: b.org\r\n\r\n",
            wire_response_head=b"HTTP/1.1 203 Fine\r\ncontent-type: text/plain\r\nX: \xe9\r\n\r\n",
        )
        exchange(writer, "http://b.org/stream", NonSeekable(os.urandom(3000)))
        with pytest.raises(StoreError, match="disk went away"):
            exchange(writer, "http://b.org/broken", BreaksWhileWriting(os.urandom(9000), 12_000))
        for status in (200, 304):
            writer.write_revisit_exchange(
                "http://b.org/1",
                refers_to_record_id="<urn:uuid:00000000-0000-4000-8000-000000000003>",
                refers_to_uri="http://b.org/1",
                refers_to_date=T0,
                payload_digest="sha1:A23QUGOWEQNA4UGBP7L6M2FZIC7SFER5",
                status=status,
                headers=[(b"Content-Type", b"text/html")],
            )
        writer.write_revisit(
            "http://b.org/2",
            refers_to_record_id="<urn:uuid:00000000-0000-4000-8000-000000000005>",
            refers_to_uri="http://b.org/2",
            refers_to_date="2024-01-01T00:00:00Z",
            payload_digest="sha1:A23QUGOWEQNA4UGBP7L6M2FZIC7SFER5",
            status=200,
        )
        # A POST's body goes into its key: the file holding it is left to write_cdxj.
        exchange(writer, "http://b.org/search", method="POST", request_body=b"q=troops")
    assert len(writer.files) > 2
    *indexed, with_post = writer.files
    for path in indexed:
        theirs = io.BytesIO()
        write_cdxj([path], theirs)
        assert (index_dir / f"{path.name}.cdxj").read_bytes() == theirs.getvalue()
    assert not (index_dir / f"{with_post.name}.cdxj").exists()
    assert sorted(p.name for p in index_dir.iterdir()) == sorted(f"{p.name}.cdxj" for p in indexed)


def test_index_lines_are_sorted_in_bounded_runs() -> None:
    # A 1 GB file of small records has a million lines: sorted in runs merged from
    # temporary files, as cdxj_indexer sorts, not all at once in memory.
    import random

    from newstrail.storage.cdxj import sort_cdxj_lines

    lines = [f"org,example)/{i:06d} 20240501120000 {{}}\n" for i in range(2000)]
    shuffled = random.Random(3).sample(lines, len(lines))
    out = io.BytesIO()
    assert sort_cdxj_lines(shuffled, out, run_size=4096) == len(lines)
    assert out.getvalue().decode() == "".join(sorted(lines))
