"""No network traffic the user did not ask for: a crawl that meets cookies stays on loopback.

Each crawl runs in a subprocess (``tests/crawl_probe.py``) with an audit hook that
records, and refuses, every name lookup other than ``localhost`` and every
connection to an address other than loopback: nothing leaves the machine, and
any attempt shows in the record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.probe_fixtures import CountingServer, probe

STOCK_COOKIES = "scrapy.downloadermiddlewares.cookies.CookiesMiddleware"


@pytest.fixture
def cookie_server() -> Iterator[CountingServer]:
    srv = CountingServer("127.0.0.1", cookie="session=abc; Path=/")
    yield srv
    srv.close()


def attempts(audit: Path) -> list[dict[str, Any]]:
    if not audit.exists():
        return []
    return [json.loads(line) for line in audit.read_text().splitlines()]


def crawl_with_cookies(tmp_path: Path, server: CountingServer, offline: bool) -> list[Any]:
    audit = tmp_path / "audit.jsonl"
    middlewares: dict[str, int | None] = {}
    if offline:
        middlewares = {
            STOCK_COOKIES: None,
            "newstrail.spiders.offline.OfflineCookiesMiddleware": 700,
        }
    url = f"http://localhost:{server.port}/"
    out = probe(
        tmp_path,
        [url, url + "again"],
        {
            "DOWNLOADER_MIDDLEWARES": middlewares,
            "CONCURRENT_REQUESTS": 1,
            "TWISTED_DNS_RESOLVER": "newstrail.spiders.resolver.PolicyResolver",
            "NEWSTRAIL_ADDRESS_POLICY": ["localhost"],
        },
        audit=str(audit),
        # An empty tldextract cache, as on a machine where no crawl has run yet.
        env={"TLDEXTRACT_CACHE": str(tmp_path / "tldextract-cache")},
    )
    assert [r[1] for r in out["responses"]] == [200, 200]
    return attempts(audit)


def test_cookies_need_no_lookup(tmp_path: Path, cookie_server: CountingServer) -> None:
    assert crawl_with_cookies(tmp_path, cookie_server, offline=True) == []


def test_scrapys_own_cookie_middleware_would_fetch_the_suffix_list(
    tmp_path: Path, cookie_server: CountingServer
) -> None:
    # What the audit catches without the offline middleware: tldextract fetching the
    # Public Suffix List (refused by the hook, so it falls back to its snapshot).
    targets = {a["target"] for a in crawl_with_cookies(tmp_path, cookie_server, offline=False)}
    assert targets & {"publicsuffix.org", "raw.githubusercontent.com"}
