"""The archives' core: archive URLs, CDX queries, bounded CDX answers, when to ask."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from newstrail.archives import (
    Archive,
    ArchiveError,
    cdx_window,
    parse_archive,
    parse_cdx,
    use_archives,
)
from newstrail.config import CrawlConfig
from newstrail.errors import NewstrailError, SeedError
from newstrail.seeds import SeedSet, load_seed_set
from tests.conftest import one_line_error, run_newstrail


def _query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


def test_wayback_machine() -> None:
    archive = parse_archive("https://web.archive.org/")
    assert archive.kind == "wayback"
    assert archive.cdx_url == "https://web.archive.org/cdx/search/cdx"
    assert (
        archive.memento_url("20190105120000", "https://example.com/a")
        == "https://web.archive.org/web/20190105120000id_/https://example.com/a"
    )
    assert archive.delay >= 1.0  # it throttles clients above about one request a second
    query = archive.host_query(
        "example.com", start=date(2019, 1, 1), end=date(2019, 12, 31), limit=500
    )
    assert query.startswith("https://web.archive.org/cdx/search/cdx?")
    params = _query(query)
    assert ("url", "example.com/") in params
    assert ("matchType", "host") in params
    assert ("from", "20190101") in params and ("to", "20191231") in params
    assert ("filter", "mimetype:text/html") in params
    assert ("filter", "statuscode:200") in params
    assert ("collapse", "urlkey") in params and ("output", "json") in params
    assert ("showResumeKey", "true") in params and ("limit", "500") in params
    paged = _query(archive.host_query("example.com", start=None, end=None, limit=5, resume_key="k"))
    assert ("resumeKey", "k") in paged


def test_common_crawl_index_is_discovery_only() -> None:
    url = "https://index.commoncrawl.org/CC-MAIN-2019-04-index"
    archive = parse_archive(url)
    assert (archive.kind, archive.name, archive.cdx_url) == ("commoncrawl", "CC-MAIN-2019-04", url)
    assert not archive.can_replay and archive.timegate_url("https://a.example/") is None
    with pytest.raises(ArchiveError):
        archive.memento_url("2019", "https://a.example/")
    params = _query(archive.host_query("a.example", start=None, end=None, limit=10, page=3))
    assert ("page", "3") in params and ("filter", "mime:text/html") in params
    assert ("filter", "status:200") in params


def test_pywb_collection() -> None:
    archive = parse_archive("http://127.0.0.1:8123/past/")
    assert archive.kind == "pywb" and archive.name == "127.0.0.1:8123/past"
    assert archive.cdx_url == "http://127.0.0.1:8123/past/cdx"
    assert (
        archive.timegate_url("https://a.example/x")
        == "http://127.0.0.1:8123/past/https://a.example/x"
    )
    assert archive.memento_url("20190301000000", "https://a.example/x") == (
        "http://127.0.0.1:8123/past/20190301000000id_/https://a.example/x"
    )
    assert archive.host == "127.0.0.1:8123"
    closest = _query(archive.closest_query("https://a.example/x", date(2019, 3, 1)))
    assert ("closest", "20190301") in closest and ("sort", "closest") in closest
    assert ("matchType", "exact") in closest and ("limit", "1") in closest


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "web.archive.org",
        "ftp://web.archive.org",
        "https://user:pw@web.archive.org",
        "https://web.archive.org/elsewhere",
        "http://127.0.0.1:8080",  # a pywb root needs its collection
        "http://127.0.0.1:8080/a/b",
        "http://127.0.0.1:8080/coll?x=1",
        "https://index.commoncrawl.org/",
        "http://127.0.0.1:8080/co ll",
    ],
)
def test_bad_archive_urls_are_one_line_errors(bad: str) -> None:
    with pytest.raises(ArchiveError) as error:
        parse_archive(bad)
    assert "\n" not in str(error.value)
    assert "pw" not in str(error.value) or "user" not in bad


def test_bad_host_is_refused() -> None:
    archive = parse_archive("https://web.archive.org")
    for host in ("", "a b", "a/b"):
        with pytest.raises(ArchiveError):
            archive.host_query(host, start=None, end=None, limit=1)


def test_when_the_archives_are_used() -> None:
    today = date(2026, 12, 4)
    assert use_archives(date(2021, 12, 31), today)
    assert not use_archives(date(2026, 11, 30), today)  # within the last weeks
    assert not use_archives(None, today)  # open-ended: reaches today
    assert use_archives(None, today, force=True)
    assert not use_archives(date(2019, 1, 1), today, force=False)
    assert cdx_window(date(2019, 1, 8), date(2019, 12, 31)) == (
        date(2019, 1, 1),
        date(2020, 12, 30),
    )
    assert cdx_window(None, None) == (None, None)


WAYBACK_ANSWER = b"""[["original","timestamp","mimetype","statuscode"],
["https://a.example/2019/01/05/iraq-troops/","20190105120000","text/html","200"],
["https://a.example/about","20190301","text/html","200"],
[],
["com,example)/zzz 20190301"]]
"""


def test_wayback_json_array_with_resume_key() -> None:
    answer = parse_cdx(WAYBACK_ANSWER)
    assert [c.url for c in answer.captures] == [
        "https://a.example/2019/01/05/iraq-troops/",
        "https://a.example/about",
    ]
    assert answer.captures[1].timestamp == "20190301000000"
    assert answer.captures[0].datetime == datetime(2019, 1, 5, 12, tzinfo=UTC)
    assert answer.resume_key == "com,example)/zzz 20190301"
    assert answer.junk == 0 and answer.limits == []


def test_wayback_array_on_one_line() -> None:
    body = json.dumps(
        [["urlkey", "timestamp", "original"], ["k", "20190101000000", "https://a.example/x"]]
    ).encode()
    answer = parse_cdx(body)
    assert [c.url for c in answer.captures] == ["https://a.example/x"]


def test_pywb_json_lines() -> None:
    body = (
        b'{"urlkey": "example,a)/x", "timestamp": "20190105000000", "url": "https://a.example/x",'
        b' "mime": "text/html", "status": "200"}\n'
        b'{"urlkey": "example,a)/y", "timestamp": 20190106000000, "url": "https://a.example/y"}\n'
    )
    answer = parse_cdx(body)
    assert [(c.url, c.timestamp) for c in answer.captures] == [
        ("https://a.example/x", "20190105000000"),
        ("https://a.example/y", "20190106000000"),
    ]
    assert answer.captures[0].mime == "text/html" and answer.captures[0].status == "200"


def test_plain_cdx_lines() -> None:
    body = b"example,a)/x 20190105000000 https://a.example/x text/html 200 SHA1 1234\n"
    assert [c.url for c in parse_cdx(body).captures] == ["https://a.example/x"]


HOSTILE_ROWS = [
    b"garbage garbage",
    b"\xff\xfe\x00binary",
    b"{not json",
    b"[1, 2, 3, 4, 5, 6, 7]",
    b'{"url": 5, "timestamp": "20190101"}',
    b'{"url": "javascript:alert(1)", "timestamp": "20190101"}',
    b'{"url": "https://a.example/", "timestamp": "2019-01-01"}',
    b'{"url": "https://a.example/", "timestamp": "20191399000000"}',
    b'{"url": "https://a.example/", "timestamp": true}',
    b'{"url": "https://a.example/", "timestamp": ["20190101"]}',
    b'"just a string"',
    b"null",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"url": "https://a.example/' + b"x" * 20_000 + b'", "timestamp": "20190101"}',
    b'{"url": "https://a.example/ok", "timestamp": "20190101", "mime": 7, "status": null}',
]


def test_junk_rows_are_counted_never_raised() -> None:
    answer = parse_cdx(b"\n".join(HOSTILE_ROWS))
    assert [c.url for c in answer.captures] == ["https://a.example/ok"]
    assert answer.captures[0].mime == "" and answer.captures[0].status == ""
    assert answer.junk == len(HOSTILE_ROWS) - 1


def test_wrong_header_and_short_rows() -> None:
    body = b'[["timestamp","original"],\n["20190101","https://a.example/a","extra"],\n[]]'
    answer = parse_cdx(body)
    assert answer.captures == [] and answer.junk == 1


def test_a_million_rows_are_capped_quickly() -> None:
    row = b'{"url": "https://a.example/p", "timestamp": "20190101000000"}\n'
    body = row * 1_000_000  # 61 MB
    started = time.monotonic()
    answer = parse_cdx(body, max_rows=5_000)
    assert len(answer.captures) == 5_000
    assert "cdx-truncated" in answer.limits and "cdx-rows-capped" in answer.limits
    assert time.monotonic() - started < 2.0


def test_huge_answer_is_cut_at_max_bytes() -> None:
    rows = [["original", "timestamp"]] + [
        [f"https://a.example/{i}", "20190101000000"] for i in range(200_000)
    ]
    body = ("[" + ",\n".join(json.dumps(r) for r in rows) + "]").encode()
    answer = parse_cdx(body, max_bytes=100_000, max_rows=1_000_000)
    assert answer.limits == ["cdx-truncated"]
    assert 1_000 < len(answer.captures) < 5_000
    assert answer.junk <= 1  # at most the row cut in two


def test_huge_one_line_array_is_bounded() -> None:
    body = json.dumps(
        [["original", "timestamp"]] + [["https://a.example/x", "20190101"]] * 300_000
    ).encode()
    answer = parse_cdx(body, max_bytes=1_000_000, max_rows=100)
    assert answer.limits[0] == "cdx-truncated"
    assert len(answer.captures) <= 100


def test_empty_and_error_answers() -> None:
    for body in (b"", b"\n\n", b"[]", b"<html>Internal error</html>", b'{"error": "x"}'):
        answer = parse_cdx(body)
        assert answer.captures == [] and answer.resume_key is None


def test_archive_is_a_value() -> None:
    assert parse_archive("http://h:1/c") == parse_archive("http://h:1/c/")
    assert isinstance(parse_archive("http://h:1/c"), Archive)


SEED_FILE = """
archives = ["https://web.archive.org/", "http://127.0.0.1:9/past"]
outlets = ["www.Example.org", "https://news.example/section/x", "127.0.0.1:8080"]

[collection]
name = "past"

[relevance]
published_before = {before}

[[seed]]
url = "https://a.example/story"
text = "troops in Iraq"
"""


def _seed_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "seeds.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_seed_file_archives_and_outlets(tmp_path: Path) -> None:
    seeds = load_seed_set(_seed_file(tmp_path, SEED_FILE.format(before="2019-12-31")))
    assert seeds.archives == ("https://web.archive.org", "http://127.0.0.1:9/past")
    assert seeds.outlets == ("www.example.org", "news.example", "127.0.0.1:8080")
    assert SeedSet.from_dict(seeds.to_dict()) == seeds


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('archives = "https://web.archive.org"', "archives: must be a list"),
        ('archives = ["ftp://x"]', "archives: archive 'ftp://x' is not"),
        ('archives = ["http://127.0.0.1:9"]', "pywb collection is named by its root"),
        ("outlets = [1]", "outlets: must be a list"),
        ('outlets = ["not a host"]', "is not a host name"),
        ('outlets = ["a.example"] \noutlets2 = 1', "unknown section 'outlets2'"),
    ],
)
def test_bad_seed_file_archives(tmp_path: Path, line: str, message: str) -> None:
    text = line + "\n" + SEED_FILE.format(before="2019-12-31").split("\n", 3)[3]
    with pytest.raises(SeedError) as error:
        load_seed_set(_seed_file(tmp_path, text))
    assert message in str(error.value) and "\n" not in str(error.value)


def _config(seeds: SeedSet, **changes: Any) -> CrawlConfig:
    return CrawlConfig(seeds=seeds, collection="past", crawl_id="c", **changes)


def test_crawl_config_asks_archives_for_past_windows_only(tmp_path: Path) -> None:
    today = date(2026, 12, 4)
    past = load_seed_set(_seed_file(tmp_path, SEED_FILE.format(before="2019-12-31")))
    assert [a.kind for a in _config(past).archive_list(today)] == ["wayback", "pywb"]
    assert _config(past, force_archives=False).archive_list(today) == []
    recent = load_seed_set(_seed_file(tmp_path, SEED_FILE.format(before="2026-12-01")))
    assert _config(recent).archive_list(today) == []
    forced = _config(recent, force_archives=True, archives=("http://h:1/c",))
    # The flag's archives, then the seed file's (the config is built from both).
    assert [a.name for a in forced.archive_list(today)] == [
        "h:1/c",
        "web.archive.org",
        "127.0.0.1:9/past",
    ]
    # --archives alone, and no archive in the seed file: the Wayback Machine.
    bare = replace(recent, archives=())
    assert [a.url for a in _config(bare, force_archives=True).archive_list(today)] == [
        "https://web.archive.org"
    ]
    assert CrawlConfig.from_dict(_config(past).to_dict()).archives == _config(past).archives
    with pytest.raises(NewstrailError):
        _config(past, archives=("gopher://x",))


def test_crawl_command_refuses_bad_archive_flags(tmp_path: Path) -> None:
    seeds = _seed_file(tmp_path, SEED_FILE.format(before="2019-12-31"))
    bad = run_newstrail("crawl", str(seeds), "--archive", "ftp://nowhere", cwd=tmp_path)
    assert "is not an absolute http(s) URL" in one_line_error(bad)
    both = run_newstrail(
        "crawl", str(seeds), "--no-archives", "--archive", "https://web.archive.org", cwd=tmp_path
    )
    assert "choose one" in one_line_error(both)
    assert not (tmp_path / "work").exists()  # nothing started


def test_an_archive_gets_its_own_delay(tmp_path: Path) -> None:
    """The Wayback Machine's pace is kept like a robots.txt Crawl-delay on its host."""
    from scrapy.utils.test import get_crawler

    from newstrail.spiders.politeness import RobotsPoliteness

    seeds = load_seed_set(_seed_file(tmp_path, SEED_FILE.format(before="2019-12-31")))
    crawler = get_crawler(settings_dict={"NEWSTRAIL_CONFIG": _config(seeds)})
    delays = RobotsPoliteness.from_crawler(crawler).delays
    assert delays["web.archive.org"] >= 1.5
    assert "127.0.0.1:9" not in delays  # a pywb collection: the crawl's own delay
    off = get_crawler(settings_dict={"NEWSTRAIL_CONFIG": _config(seeds, force_archives=False)})
    assert RobotsPoliteness.from_crawler(off).delays == {}
