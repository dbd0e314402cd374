"""Whole crawls behind the address guard (issue 14): what a user runs, checked from outside.

Each crawl is ``newstrail crawl`` in a subprocess. Where a test needs a hostile
name server or an audit of the network, a ``sitecustomize`` on the crawl's
``PYTHONPATH`` installs it in every process of the crawl (the command, the
crawler and its extraction workers) before anything else is imported:

- ``NEWSTRAIL_TEST_REBIND=NAME=IP,IP,...``: NAME resolves to the next address of
  the list at each lookup, round and round, like an attacker's name server with
  a zero TTL;
- ``NEWSTRAIL_TEST_AUDIT=FILE``: every lookup of a name other than ``localhost``
  and every connection to an address other than loopback is written to FILE and
  refused (``tests/crawl_probe.py``'s audit hook);
- ``NEWSTRAIL_TEST_MODULES=FILE``: each process appends the modules it imported.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from newstrail.newsweb import NewsWebServer
from tests.conftest import BIN, ROOT
from tests.probe_fixtures import CountingServer

_SITECUSTOMIZE = """
import os
import socket
from pathlib import Path

_modules = os.environ.get("NEWSTRAIL_TEST_MODULES")
if _modules:
    import atexit
    import sys

    def _write_modules():
        with open(_modules, "a", encoding="utf-8") as fh:
            fh.write("".join(f"{os.getpid()} {name}\\n" for name in sorted(sys.modules)))

    atexit.register(_write_modules)

_audit = os.environ.get("NEWSTRAIL_TEST_AUDIT")
if _audit:
    from tests.crawl_probe import install_audit

    install_audit(Path(_audit))

_rebind = os.environ.get("NEWSTRAIL_TEST_REBIND")
if _rebind:
    import itertools
    import threading

    _name, _, _answers = _rebind.partition("=")
    _next = itertools.cycle(_answers.split(",")).__next__
    _lock = threading.Lock()
    _real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if isinstance(host, bytes):
            host = host.decode("ascii")
        if host != _name:
            return _real(host, port, family, type, proto, flags)
        with _lock:
            address = _next()
        return _real(address, port, family, type, proto, flags)

    _real_byname = socket.gethostbyname

    def gethostbyname(host):
        if host != _name:
            return _real_byname(host)
        with _lock:
            return _next()

    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname
"""


def crawl(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    full_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]),
        "NEWSTRAIL_STORE": str(tmp_path / "store"),
        "NEWSTRAIL_WORKDIR": str(tmp_path / "work"),
        **(env or {}),
    }
    full_env.pop("PREFECT_API_URL", None)
    return subprocess.run(
        [str(BIN / "newstrail"), "crawl", *args, "--delay", "0"],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def manifests(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in (tmp_path / "store").rglob("manifest.json")]


def warc_records(tmp_path: Path) -> Iterator[Any]:
    for path in sorted((tmp_path / "store").rglob("*.warc.gz")):
        with path.open("rb") as fh:
            yield from ArchiveIterator(fh)


class _Handler(BaseHTTPRequestHandler):
    server: _AddressLoggingServer

    def do_GET(self) -> None:
        local = self.connection.getsockname()[0]
        with self.server.lock:
            self.server.log.append((local, self.path))
        if self.path == "/robots.txt":
            body = b"User-agent: *\nAllow: /\n"
            kind = "text/plain"
        else:
            # What an internal service would answer: only ever on 127.0.0.1.
            secret = "INTERNAL-ONLY " if local == "127.0.0.1" else ""
            links = "".join(f'<p><a href="/story/{i}">Story {i}</a></p>' for i in range(12))
            body = (
                f"<html><head><title>{secret}Troops in Iraq {self.path}</title></head><body>"
                f"<article><h1>{secret}Troops in Iraq</h1><p>{'US troops in Iraq. ' * 60}</p>"
                f"{links}</article></body></html>"
            ).encode()
            kind = "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", "session=abc123; Path=/")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _AddressLoggingServer(CountingServer):
    """Serves every loopback address; logs which local address each request came to."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.log: list[tuple[str, str]] = []
        super().__init__("0.0.0.0", handler=_Handler)


@pytest.fixture
def any_loopback() -> Iterator[_AddressLoggingServer]:
    server = _AddressLoggingServer()
    yield server
    server.close()


def test_a_rebinding_name_never_reaches_the_address_it_was_not_checked_for(
    tmp_path: Path, any_loopback: _AddressLoggingServer
) -> None:
    """rebind.test answers 127.0.0.2 (allowed) and 127.0.0.1 (refused) in turn: the
    crawler connects only to what it checked, so the internal page is never fetched,
    never archived."""
    seed = f"http://rebind.test:{any_loopback.port}/"
    result = crawl(
        tmp_path,
        seed,
        "--collection",
        "rebind",
        "--budget",
        "8",
        "--allow-private",
        "127.0.0.2",
        env={"NEWSTRAIL_TEST_REBIND": "rebind.test=127.0.0.2,127.0.0.1"},
    )
    assert "Traceback" not in result.stderr
    served = {local for local, _ in any_loopback.log}
    assert served == {"127.0.0.2"}, any_loopback.log
    assert len(any_loopback.log) >= 2  # robots.txt and the seed at least
    addresses = {r.rec_headers.get_header("WARC-IP-Address") for r in warc_records(tmp_path)}
    assert "127.0.0.1" not in addresses
    for path in (tmp_path / "store").rglob("*.gz"):
        assert b"INTERNAL-ONLY" not in gzip.decompress(path.read_bytes())


def test_allow_private_entries_allow_only_what_they_name(
    tmp_path: Path, newsweb: NewsWebServer
) -> None:
    """--allow-private 127.0.0.1:PORT: that server only; links to the other servers of
    the same address are refused and counted, and none of them is contacted."""
    seed = newsweb.seed_urls[0]
    port = seed.split(":")[2].split("/")[0]
    newsweb.reset_log()
    result = crawl(
        tmp_path,
        seed,
        "--collection",
        "narrow",
        "--budget",
        "40",
        "--allow-private",
        f"127.0.0.1:{port}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    sites = {entry.site for entry in newsweb.request_log}
    seed_site = {e.site for e in newsweb.request_log if e.path != "/robots.txt"}
    assert len(sites) == 1 and sites == seed_site, sites
    (manifest,) = manifests(tmp_path)
    assert manifest["counts"]["refused_addresses"] > 0
    assert manifest["settings"]["allow_private"] == [f"127.0.0.1:{port}"]


def test_a_crawl_makes_no_lookup_or_connection_beyond_loopback(
    tmp_path: Path, any_loopback: _AddressLoggingServer
) -> None:
    """Pages that set cookies, on a host name: no public-suffix list download, no
    lookup of anything but localhost, no connection off the machine."""
    audit = tmp_path / "audit.jsonl"
    result = crawl(
        tmp_path,
        f"http://localhost:{any_loopback.port}/",
        "--collection",
        "offline",
        "--budget",
        "6",
        "--allow-private",
        "localhost",
        env={
            "NEWSTRAIL_TEST_AUDIT": str(audit),
            # An empty cache, as on a machine where no crawl has run yet.
            "TLDEXTRACT_CACHE": str(tmp_path / "tldextract-cache"),
            "NEWSTRAIL_TEST_MODULES": str(tmp_path / "modules.txt"),
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(any_loopback.log) >= 4  # robots.txt, the seed and its stories
    assert not audit.exists(), audit.read_text()
    # Scale-out is an add-on: a one-process crawl loads neither it nor Redis.
    lines = (tmp_path / "modules.txt").read_text().splitlines()
    processes = {line.split()[0] for line in lines}
    modules = {line.split()[1] for line in lines}
    assert len(processes) >= 2 and "newstrail.spiders.coverage" in modules  # the crawler's
    shared = {
        "redis",
        "scrapy_redis",
        "newstrail.spiders.distributed",
        "newstrail.spiders.crawlstate",
    }
    assert modules & shared == set()


def test_credentials_never_reach_the_corpus_or_the_terminal(
    tmp_path: Path, any_loopback: _AddressLoggingServer
) -> None:
    secret = "s3cr3t-Hunter2"
    seeds = tmp_path / "seeds.toml"
    seeds.write_text(
        '[collection]\nname = "creds"\n'
        f'[[seed]]\nurl = "http://reader:{secret}@localhost:{any_loopback.port}/"\n'
        'text = "US troops in Iraq"\n'
    )
    refused = crawl(tmp_path, str(seeds), "--allow-private", "localhost")
    assert refused.returncode != 0
    errors = [line for line in refused.stderr.splitlines() if line.startswith("newstrail: error")]
    assert len(errors) == 1 and "user name or password" in errors[0], refused.stderr
    assert secret not in refused.stdout + refused.stderr
    assert any_loopback.log == []

    # Secrets in the environment (cloud keys, a token) reach nothing a crawl writes.
    seeds.write_text(
        '[collection]\nname = "creds"\n'
        f'[[seed]]\nurl = "http://localhost:{any_loopback.port}/"\n'
        'text = "US troops in Iraq"\n'
    )
    env = {
        "AWS_SECRET_ACCESS_KEY": f"aws-{secret}",
        "AWS_SESSION_TOKEN": f"token-{secret}",
        "GITHUB_TOKEN": f"gh-{secret}",
    }
    done = crawl(tmp_path, str(seeds), "--allow-private", "localhost", "--budget", "4", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    written = [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    assert any(p.name == "seeds.json" for p in written)
    texts = [done.stdout, done.stderr]
    for path in written:
        raw = path.read_bytes()
        texts.append((gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("latin-1"))
    assert secret not in "\n".join(texts)


@pytest.mark.skipif(sys.platform != "linux", reason="127.0.0.2 is loopback on Linux")
def test_the_rebinding_server_answers_on_every_loopback_address(
    any_loopback: _AddressLoggingServer,
) -> None:
    # The rebinding test means something only if 127.0.0.1 would have been served.
    import urllib.request

    for address in ("127.0.0.1", "127.0.0.2"):
        with urllib.request.urlopen(f"http://{address}:{any_loopback.port}/x", timeout=5) as r:
            assert r.status == 200
    assert [local for local, _ in any_loopback.log] == ["127.0.0.1", "127.0.0.2"]
