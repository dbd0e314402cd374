"""Every content coding a server may send is archived as sent, indexed and checked;
bombs of each are indexed without being expanded."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import WarcRecordType
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newstrail.errors import StoreError
from newstrail.storage import write_cdxj, write_cdxj_streams
from newstrail.storage._payload import read_payload, show_bytes
from tests.warc_fixtures import (
    CODINGS,
    PAGE,
    bomb_payloads,
    bombs_warc,
    encode,
    encodings_warc,
    write_warc,
)

__all__ = ["bomb_payloads", "bombs_warc", "encodings_warc"]  # fixtures used here

BIN = Path(sys.executable).parent


def responses(path: Path) -> dict[str, Any]:
    """Each response record's URL, Content-Encoding, payload as archived, and digest."""
    found = {}
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response":
                found[record.rec_headers["WARC-Target-URI"]] = (
                    record.http_headers.get_header("Content-Encoding"),
                    record.raw_stream.read(),
                    record.rec_headers["WARC-Payload-Digest"],
                )
    return found


def test_every_coding_is_archived_as_sent(encodings_warc: Path) -> None:
    archived = responses(encodings_warc)
    for coding in CODINGS:
        header, payload, digest = archived[f"https://news.example/{coding}"]
        assert header == coding
        assert payload == encode(PAGE, coding) != PAGE
        assert digest == "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode()


def test_every_coding_is_indexed(encodings_warc: Path) -> None:
    out = io.BytesIO()
    assert write_cdxj([encodings_warc], out) == 7
    entries = {
        json.loads(line.split(b" ", 2)[2])["url"]: json.loads(line.split(b" ", 2)[2])
        for line in out.getvalue().splitlines()
    }
    archived = responses(encodings_warc)
    assert set(entries) == set(archived)
    for url, entry in entries.items():
        assert (entry["status"], entry["mime"]) == ("200", "text/html")
        assert entry["digest"] == archived[url][2]


def test_payloads_decode_to_the_page(encodings_warc: Path) -> None:
    with encodings_warc.open("rb") as fh:
        it = ArchiveIterator(fh)
        decoded = {
            r.rec_headers["WARC-Target-URI"]: read_payload(r)
            for r in it
            if r.rec_type == "response"
        }
    assert len(decoded) == 7
    for url, payload in decoded.items():
        assert (payload.body, payload.complete, payload.error) == (PAGE, True, None), url


def test_payloads_are_cut_at_the_cap_and_a_corrupt_coding_is_told(tmp_path: Path) -> None:
    broken = encode(PAGE, "zstd")[:-20]
    plain_but_labelled = PAGE
    path = write_warc(
        tmp_path,
        [
            ("https://news.example/long", "br", encode(PAGE * 50, "br")),
            ("https://news.example/cut", "zstd", broken),
            ("https://news.example/mislabelled", "gzip", plain_but_labelled),
            ("https://news.example/unknown", "compress, gzip", encode(b"LZW", "gzip")),
        ],
    )
    with path.open("rb") as fh:
        payloads = {
            r.rec_headers["WARC-Target-URI"].rsplit("/", 1)[1]: read_payload(r, cap=1000)
            for r in ArchiveIterator(fh)
            if r.rec_type == "response"
        }
    assert payloads["long"].body == PAGE[:1000]
    assert not payloads["long"].complete
    # Cut short: what arrived, as a browser shows it.
    assert payloads["cut"].error is None and PAGE.startswith(payloads["cut"].body)
    assert payloads["mislabelled"].body == b""
    assert "gzip" in (payloads["mislabelled"].error or "")
    # The outer coding is not one to decode: only the inner gzip is undone.
    assert (payloads["unknown"].body, payloads["unknown"].error) == (b"LZW", None)


def test_show_bytes_is_a_short_literal() -> None:
    assert show_bytes(b"\x00\x1b[2J" + bytes(100), 8) == "b'\\x00\\x1b[2J\\x00\\x00\\x00'..."
    assert show_bytes(b"WARC/1.1") == "b'WARC/1.1'"


def test_warcio_check_accepts_every_coding(encodings_warc: Path) -> None:
    # warcio decodes each payload while checking: brotli only works with the decoder
    # newstrail's storage registers (storage/_payload.py), so the check runs with it.
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, storage; from warcio.cli import main; main(sys.argv[1:])",
            "check",
            "-v",
            str(encodings_warc),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("digest pass") == 1 + 2 * 7
    assert "fail" not in check.stdout.lower()


def test_warcio_check_cli_accepts_what_warcio_can_decode(tmp_path: Path) -> None:
    path = write_warc(
        tmp_path,
        [(f"https://news.example/{c}", c, encode(PAGE, c)) for c in ("gzip", "deflate", "zstd")],
    )
    check = subprocess.run(
        [str(BIN / "warcio"), "check", "-v", str(path)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("digest pass") == 1 + 2 * 3


def test_fastwarc_verifies_every_coding(encodings_warc: Path) -> None:
    check = subprocess.run(
        [str(BIN / "fastwarc"), "check", "--verify-payloads", "--quiet", str(encodings_warc)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    with encodings_warc.open("rb") as fh:
        verified = [
            record.verify_payload_digest()
            for record in FastIterator(fh, record_types=WarcRecordType.response)
        ]
    assert verified == [True] * 7


_MEASURED_INDEX = """
import io, resource, sys, time
from pathlib import Path
from newstrail.errors import StoreError
from newstrail.storage import write_cdxj, write_cdxj_streams
# Any temporary file the indexer writes counts against this: past it, the process dies.
resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))
start = time.monotonic()
out = io.BytesIO()
lines = write_cdxj([Path(sys.argv[1])], out)
seconds = time.monotonic() - start
written = int(dict(l.split(": ") for l in open("/proc/self/io").read().splitlines())["wchar"])
# VmHWM, this process's own peak: ru_maxrss keeps the parent's across fork and exec,
# so it measured pytest's size at this point of the suite (over 300 MiB in a full run).
peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024
print(lines, seconds, written, peak)
"""


def test_bombs_are_indexed_without_expanding(bombs_warc: Path, tmp_path: Path) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-c", _MEASURED_INDEX, str(bombs_warc)],
        capture_output=True,
        text=True,
        env={"TMPDIR": str(tmpdir), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    lines, seconds, written, peak = run.stdout.split()
    assert int(lines) == 2 + len(CODINGS)
    # Reading the WARC is the work; nothing is decoded, nothing spooled.
    assert float(seconds) < 30
    assert int(written) < 1 << 20, f"{int(written) >> 20} MiB written"
    assert int(peak) < 300 << 20, f"peak RSS {int(peak) >> 20} MiB"
    assert list(tmpdir.iterdir()) == []
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("coding", CODINGS)
def test_a_bomb_decodes_to_the_cap_only(coding: str, bombs_warc: Path) -> None:
    with bombs_warc.open("rb") as fh:
        for record in ArchiveIterator(fh):
            url = record.rec_headers.get_header("WARC-Target-URI")
            if record.rec_type == "response" and url == f"https://news.example/bomb/{coding}":
                payload = read_payload(record, cap=4 << 20)
                break
    assert (len(payload.body), payload.complete, payload.error) == (4 << 20, False, None)
    assert payload.body == bytes(4 << 20)


def test_indexing_a_corrupt_warc_names_it_and_shows_its_bytes_as_a_literal(
    encodings_warc: Path,
) -> None:
    data = encodings_warc.read_bytes()
    with encodings_warc.open("rb") as fh:
        it = ArchiveIterator(fh)
        next(it)
        second = it.offset
    corrupt = data[:second] + b"\x00\x1b[2J\x07" + bytes(range(32)) * 8 + data[second:]
    with pytest.raises(StoreError) as raised:
        write_cdxj_streams([("bad.warc.gz", io.BytesIO(corrupt))], io.BytesIO())
    message = str(raised.value)
    assert message.startswith("bad.warc.gz: not a readable WARC file (")
    assert "\\x00\\x1b[2J\\x07" in message
    assert message.isprintable() and len(message) < 200


def test_fastwarc_verifies_the_bombs_as_archived(bombs_warc: Path) -> None:
    check = subprocess.run(
        [str(BIN / "fastwarc"), "check", "--verify-payloads", "--quiet", str(bombs_warc)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_chunked_payload_of_another_tool_is_unchunked_then_decoded(tmp_path: Path) -> None:
    # newstrail archives bodies unchunked; WARCs of other tools may keep the framing.
    body = encode(PAGE, "gzip")
    chunked = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 500]), body[i : i + 500])
        for i in range(0, len(body), 500)
    )
    chunked += b"0\r\n\r\n"
    http = StatusAndHeaders(
        "200 OK",
        [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
        protocol="HTTP/1.1",
    )
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    writer.write_record(
        writer.create_warc_record(
            "https://other.example/",
            "response",
            payload=io.BytesIO(chunked),
            length=len(chunked),
            http_headers=http,
        )
    )
    out.seek(0)
    [payload] = [read_payload(r) for r in ArchiveIterator(out) if r.rec_type == "response"]
    assert (payload.body, payload.complete, payload.error) == (PAGE, True, None)
