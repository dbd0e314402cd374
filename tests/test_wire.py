"""The bytes on the wire (issue 16): a raw-socket server logs every request exactly as
received and answers with hand-written bytes (odd reason phrases, mixed-case and
repeated headers, non-ASCII header bytes, chunked and gzip bodies); a real crawl of it
must archive both, byte for byte."""

from __future__ import annotations

import contextlib
import gzip
import ipaddress
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from warcio.archiveiterator import ArchiveIterator

from newstrail.config import Environment
from newstrail.flows.steps import plan_crawl, run_crawler
from newstrail.seeds import Seed, SeedSet

BIN = Path(sys.executable).parent
STORY = "Flood barrier collapse in the river delta leaves thousands displaced"


def _page(title: str) -> bytes:
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{STORY}. {'A page of the raw web. ' * 30}</p></article></body></html>"
    ).encode()


def _answers() -> dict[str, tuple[bytes, bytes]]:
    """Path -> (status line and headers with their blank line, body as sent)."""
    odd = _page("Odd headers")
    nope = _page("Nope")
    robots = b"User-agent: *\nAllow: /\n"
    zipped = gzip.compress(_page("Gzipped"), mtime=0)
    chunked = _page("Chunked")
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(chunked[i : i + 100]), chunked[i : i + 100])
        for i in range(0, len(chunked), 100)
    )
    big = _page("Big") + b"<!-- " + b"x" * 200_000 + b" -->"
    cut = _page("Cut short")
    answers = {
        "/robots.txt": (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            b"Content-Length: %d\r\n\r\n" % len(robots),
            robots,
        ),
        "/odd": (
            b"HTTP/1.1 200 Fine\r\n"
            b"X-MiXeD-CaSe: yes\r\n"
            b"Set-Cookie: a=1\r\n"
            b'ETag: "v1"\r\n'
            b"Set-Cookie: b=2\r\n"
            b"X-Latin: caf\xe9\r\n"
            b"content-type: text/html; charset=utf-8\r\n"
            b"X-Spaces:   padded  \r\n"
            b"Connection: keep-alive\r\n"
            b"Content-Length: %d\r\n\r\n" % len(odd),
            odd,
        ),
        "/nope": (
            b"HTTP/1.1 404 Nope\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
            % len(nope),
            nope,
        ),
        "/gzip": (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
            b"Vary: Accept-Encoding\r\nContent-Length: %d\r\n\r\n" % len(zipped),
            zipped,
        ),
        "/chunked": (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n",
            chunks + b"0\r\n\r\n",
        ),
        "/big": (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(big),
            big,
        ),
    }
    for path in ("/cut", "/stall"):
        answers[path] = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(cut),
            cut,
        )
    return answers


@dataclass
class RawServer:
    base: str
    answers: dict[str, tuple[bytes, bytes]]
    received: dict[str, list[bytes]] = field(default_factory=dict)


def _serve(conn: socket.socket, server: RawServer) -> None:
    # OSError: the client gave up on the connection (a timed-out download).
    with contextlib.suppress(OSError):
        _answer(conn, server)


def _answer(conn: socket.socket, server: RawServer) -> None:
    buffer = b""
    with conn:
        while True:
            while b"\r\n\r\n" not in buffer:
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
            end = buffer.index(b"\r\n\r\n") + 4
            request, buffer = buffer[:end], buffer[end:]
            path = request.split(b" ", 2)[1].decode()
            server.received.setdefault(path, []).append(request)
            head, body = server.answers.get(
                path, (b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", b"")
            )
            if path.startswith("/cut"):
                # A third of the announced body, then the connection closes.
                conn.sendall(head + body[: len(body) // 3])
                return
            if path.startswith("/stall"):
                # A third of the body, then nothing until the client gives up.
                conn.sendall(head + body[: len(body) // 3])
                while conn.recv(65536):
                    pass
                return
            conn.sendall(head + body)


def _tls_context(folder: Path) -> ssl.SSLContext:
    """A server context with a throwaway self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


def _start(tls: ssl.SSLContext | None) -> tuple[RawServer, socket.socket]:
    listener = socket.create_server(("127.0.0.1", 0))
    scheme = "https" if tls else "http"
    server = RawServer(f"{scheme}://127.0.0.1:{listener.getsockname()[1]}", _answers())

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
                if tls is not None:
                    conn = tls.wrap_socket(conn, server_side=True)
            except OSError:
                if listener.fileno() < 0:
                    return
                continue  # a handshake that failed
            threading.Thread(target=_serve, args=(conn, server), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return server, listener


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    server, listener = _start(None)
    yield server
    listener.close()


@pytest.fixture
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RawServer]:
    server, listener = _start(_tls_context(tmp_path_factory.mktemp("tls")))
    yield server
    listener.close()


def _blocks(root: Path) -> dict[tuple[str, str], bytes]:
    """(record type, path) -> the record's whole block, as stored."""
    out = {}
    for path in sorted(root.rglob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh, no_record_parse=True):
                if record.rec_type in ("request", "response"):
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    key = (record.rec_type, "/" + uri.split("/", 3)[3])
                    out[key] = record.raw_stream.read()
    return out


def _crawl(
    server: RawServer, paths: list[str], seeds: SeedSet, tmp_path: Path, **env_changes: Any
) -> dict[str, Any]:
    urls = [server.base + p for p in paths]
    env = Environment(
        store=str(tmp_path / "store"), workdir=tmp_path / "work", extract_workers=0, **env_changes
    )
    given = seeds.with_urls(urls[: len(seeds.seeds)])
    more = tuple(Seed(url=url) for url in urls[len(seeds.seeds) :])
    config = plan_crawl(
        replace(given, seeds=given.seeds + more),
        store=str(tmp_path / "store"),
        collection="wire",
        budget=len(paths),
        max_hops=0,
        allow_private=True,
        download_delay=0.0,
        env=env,
    )
    return run_crawler(config)


@pytest.mark.parametrize("transport", ["http", "https"])
def test_requests_and_response_heads_are_archived_as_they_went_over_the_wire(
    transport: str, request: pytest.FixtureRequest, default_seeds: SeedSet, tmp_path: Path
) -> None:
    # Over TLS too: the bytes are taken inside the HTTP protocol, above TLS.
    raw_server: RawServer = request.getfixturevalue(
        "raw_server" if transport == "http" else "tls_server"
    )
    paths = ["/odd", "/nope", "/gzip", "/chunked"]
    _crawl(raw_server, paths, default_seeds, tmp_path)
    blocks = _blocks(tmp_path)
    for path in ["/robots.txt", *paths]:
        (sent,) = raw_server.received[path]
        assert blocks[("request", path)] == sent, path
        head, body = raw_server.answers[path]
        if path == "/chunked":
            # De-chunked, so the header that says chunked is kept under another name.
            head = head.replace(b"Transfer-Encoding:", b"X-Archive-Orig-Transfer-Encoding:")
            body = _page("Chunked")
        assert blocks[("response", path)] == head + body, path
    # The field's own tools accept the files, digests included.
    for warc in sorted(tmp_path.rglob("*.warc.gz")):
        for command in (
            [str(BIN / "warcio"), "check", str(warc)],
            [str(BIN / "fastwarc"), "check", "--verify-payloads", "--quiet", str(warc)],
        ):
            checked = subprocess.run(command, capture_output=True, text=True)
            assert checked.returncode == 0, (command[0], checked.stdout, checked.stderr)


def test_a_transfer_cut_short_timed_out_or_over_the_limit_is_archived_as_far_as_it_came(
    raw_server: RawServer, default_seeds: SeedSet, tmp_path: Path
) -> None:
    paths = ["/cut", "/stall", "/big", "/odd"]
    summary = _crawl(
        raw_server, paths, default_seeds, tmp_path, max_page_bytes=100_000, download_timeout=3.0
    )
    records: dict[str, list[tuple[str, str | None, bytes]]] = {}
    for warc in sorted(tmp_path.rglob("*.warc.gz")):
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                uri = record.rec_headers.get_header("WARC-Target-URI")
                if uri is None:
                    continue
                path = "/" + uri.split("/", 3)[3]
                truncated = record.rec_headers.get_header("WARC-Truncated")
                body = record.content_stream().read() if record.rec_type == "response" else b""
                records.setdefault(path, []).append((record.rec_type, truncated, body))
    _, cut = raw_server.answers["/cut"]
    # Each attempt of a cut-short or timed-out page is evidence: its request, and its
    # response as far as it came, saying why it stopped; the page is tried again.
    for path, reason in (("/cut", "disconnect"), ("/stall", "time")):
        responses = [r for r in records[path] if r[0] == "response"]
        requests = [r for r in records[path] if r[0] == "request"]
        assert len(responses) == len(requests) == len(raw_server.received[path]) >= 2, path
        assert {r[1] for r in responses} == {reason}, path
        assert all(r[2] == cut[: len(cut) // 3] for r in responses), path
    # Over the limit: stopped there and kept, not tried again.
    (big,) = [r for r in records["/big"] if r[0] == "response"]
    assert big[1] == "length" and 100_000 <= len(big[2]) < 100_000 + 70_000
    assert len(raw_server.received["/big"]) == 1
    assert [r[1] for r in records["/odd"] if r[0] == "response"] == [None]
    counts = summary["counts"]
    assert counts.get("limit_truncated_disconnect", 0) >= 2
    assert counts.get("limit_truncated_time", 0) >= 2
    assert counts.get("limit_truncated_length") == 1
    # Not extracted: no text record for a body that is not whole.
    for text in tmp_path.rglob("*.jsonl.gz"):
        if "text" in text.parts:
            with gzip.open(text, "rt") as fh:
                urls = [line.split('"url": "', 1)[1].split('"', 1)[0] for line in fh]
            assert not [u for u in urls if u.endswith(("/cut", "/stall", "/big"))]
    assert summary["seeds"][raw_server.base + "/big"] == "truncated (length)"
