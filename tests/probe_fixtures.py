"""Probe crawls: a tiny Scrapy crawl in a subprocess, and loopback servers that count connections.

``probe()`` runs ``tests/crawl_probe.py`` (a reactor runs once per process);
:class:`CountingServer` counts the connections it accepts, so "refused" can mean
that the server saw nothing at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["CountingServer", "guarded", "probe"]

PROBE = Path(__file__).with_name("crawl_probe.py")
ROOT = PROBE.parent.parent


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: the server closes every connection, so every request needs a new
    # connection, and so a new lookup.
    def do_GET(self) -> None:
        body = b"<html><body><p>local page</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        cookie = getattr(self.server, "cookie", None)
        if cookie:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class CountingServer(ThreadingHTTPServer):
    """An HTTP server on one loopback address that counts the connections it accepts."""

    daemon_threads = True

    def __init__(
        self,
        host: str,
        port: int = 0,
        cookie: str | None = None,
        handler: type[BaseHTTPRequestHandler] = _Handler,
    ) -> None:
        super().__init__((host, port), handler)
        self.connections = 0
        self.cookie = cookie
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.connections += 1
        return True

    def close(self) -> None:
        self.shutdown()
        self.server_close()


def guarded(policy: list[str] | None, **extra: Any) -> dict[str, Any]:
    """Settings of a crawl guarded by the resolver and its middleware."""
    settings: dict[str, Any] = {
        "TWISTED_DNS_RESOLVER": "newstrail.spiders.resolver.PolicyResolver",
        "DOWNLOADER_MIDDLEWARES": {"newstrail.spiders.resolver.AddressRefusalMiddleware": 560},
        **extra,
    }
    if policy is not None:
        settings["NEWSTRAIL_ADDRESS_POLICY"] = policy
    return settings


def probe(
    tmp_path: Path,
    urls: list[str],
    settings: dict[str, Any],
    env: dict[str, str] | None = None,
    **spec: Any,
) -> Any:
    """Crawl ``urls`` with ``settings`` in a probe subprocess; what it fetched and failed."""
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps({"urls": urls, "settings": settings, **spec}))
    result = subprocess.run(
        [sys.executable, str(PROBE), str(spec_path)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
