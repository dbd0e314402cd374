"""Past stories: the news web's past in a real pywb, its live version, and crawls of both."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date

import pytest

from newstrail.archives import parse_archive, parse_cdx
from newstrail.seeds import SeedSet
from tests.archive_fixtures import PastAndLive, past_and_live


@pytest.fixture(scope="module")
def past(default_seeds: SeedSet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PastAndLive]:
    with past_and_live(default_seeds, tmp_path_factory.mktemp("pywb")) as web:
        yield web


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_live_web_lost_what_the_archive_holds(past: PastAndLive) -> None:
    server = past.server
    seed = server.seed_urls[0]
    assert past.fates[seed] == "gone" and _get(seed)[0] == 404
    old_on_topic = [u for u in server.on_topic_urls if u in past.fates]
    assert len(old_on_topic) >= 5
    listings = b"".join(_get(server.url(site, "/"))[1] for site in server.web.sites)
    listings += b"".join(_get(url)[1] for url in server.feed_urls.values())
    for url in past.fates:
        assert url.encode() not in listings
    statuses = {past.fates[u]: _get(u)[0] for u in past.fates}
    assert statuses == {"gone": 404, "unlisted": 200, "home": 200}  # home: after a 301


def test_the_archive_answers_cdx_and_mementos(past: PastAndLive) -> None:
    archive = parse_archive(past.archive)
    seed = past.server.seed_urls[0]
    host = seed.split("/")[2]
    status, body = _get(archive.host_query(host, start=None, end=None, limit=1000))
    answer = parse_cdx(body)
    assert status == 200 and answer.junk == 0
    assert seed in {c.url for c in answer.captures}
    status, body = _get(archive.closest_query(seed, date(2019, 1, 1)))
    (capture,) = parse_cdx(body).captures
    assert capture.datetime == past.captured[seed]
    status, page = _get(archive.memento_url(capture.timestamp, seed))
    assert status == 200 and b"20,000" in page
    # the id_ form: the original bytes, nothing of pywb's rewriting in them
    assert b"wombat" not in page and b"_wb_" not in page
