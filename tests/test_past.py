"""Past stories: the news web's past in a real pywb, its live version, and crawls of both."""

from __future__ import annotations

import html
import json
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from warcio.archiveiterator import ArchiveIterator

from newstrail.archives import parse_archive, parse_cdx
from newstrail.articles import page_canonical_url
from newstrail.config import Environment
from newstrail.extract import extract_article
from newstrail.flows.steps import crawl_direct
from newstrail.records import TextRecord
from newstrail.replay import archive_tool, serve
from newstrail.seeds import SeedSet, seed_set_from_urls
from newstrail.spiders.middlewares import _is_home_redirect, retry_after
from newstrail.storage.corpus import read_text_records
from newstrail.storage.reextract import records_from_warcs
from newstrail.stories import StoryIndex
from tests.archive_fixtures import PastAndLive, past_and_live
from tests.conftest import free_port, run_newstrail


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


@dataclass
class PastCrawl:
    summary: dict[str, Any]
    records: list[TextRecord]
    warcs: list[Path]


def _crawl(past: PastAndLive, seeds: SeedSet, root: Path, *, archives: bool) -> PastCrawl:
    # The seed file names one more outlet: the closed one, only in the archive.
    outlets = (past.dead_outlet.split("/")[2], past.dead_domain.split("/")[2])
    summary = crawl_direct(
        replace(seeds.with_urls(past.server.seed_urls), outlets=outlets),
        store=str(root),
        collection="past",
        budget=BUDGET,
        allow_private=["127.0.0.1"],
        download_delay=0.0,
        archives=[past.archive] if archives else [],
        force_archives=None if archives else False,
        env=Environment(store=str(root), workdir=root.parent / f"work-{archives}"),
    )
    crawl_dir = root / "past" / summary["crawl_id"]
    records: list[TextRecord] = []
    for path in sorted((crawl_dir / "text").glob("*.jsonl.gz")):
        with path.open("rb") as fh:
            records.extend(read_text_records(fh, compressed=True))
    return PastCrawl(summary, records, sorted((crawl_dir / "warc").glob("*.warc.gz")))


# Past the web's size, so that each crawl ends with its frontier and what it
# finds does not depend on the order of equal-scored work. At 200 pages the closed
# outlet's archive lookup was left behind the budget in 5 runs of 11, and at 250
# in 2 of 3 CI runs and 1 of 3 runs alone (its live fetch is refused early, but
# the lookup waits its turn among better-scored links); the crawl with the archive
# ends by itself at about 540 requests.
BUDGET = 600


@pytest.fixture(scope="module")
def crawls(
    past: PastAndLive, default_seeds: SeedSet, tmp_path_factory: pytest.TempPathFactory
) -> tuple[PastCrawl, PastCrawl]:
    """The same crawl of the live web, with the archive and without it."""
    with_archive = _crawl(past, default_seeds, tmp_path_factory.mktemp("with"), archives=True)
    live_only = _crawl(past, default_seeds, tmp_path_factory.mktemp("without"), archives=False)
    return with_archive, live_only


def _stories_found(past: PastAndLive, crawl: PastCrawl) -> set[str]:
    found = set()
    for record in crawl.records:
        if record.related:
            story = past.story_of(record.original_url or record.url)
            if story is not None:
                found.add(story)
    return found


def test_a_dead_seed_is_recovered_from_the_archive(
    past: PastAndLive, crawls: tuple[PastCrawl, PastCrawl]
) -> None:
    with_archive, live_only = crawls
    dead_seed = past.server.seed_urls[0]
    assert live_only.summary["seeds"][dead_seed].startswith("HTTP 404")
    assert with_archive.summary["seeds"][dead_seed] == "ok"
    (memento,) = [r for r in with_archive.records if r.original_url == dead_seed]
    assert memento.source == "archive" and memento.related
    assert memento.memento_url is not None and memento.memento_url.startswith(past.archive + "/")
    assert memento.url == memento.memento_url and "id_/" in memento.url
    assert memento.memento_datetime == "2018-12-29T09:30:00Z"
    assert memento.extra["channel"] == "seed" and memento.extra["archive"]
    assert "20,000" in memento.text
    live = [r for r in with_archive.records if r.source == "live"]
    assert live and all(r.original_url is None for r in live)


def test_the_memento_is_archived_with_its_provenance(
    past: PastAndLive, crawls: tuple[PastCrawl, PastCrawl]
) -> None:
    with_archive, _ = crawls
    dead_seed = past.server.seed_urls[0]
    (memento,) = [r for r in with_archive.records if r.original_url == dead_seed]
    targets: dict[str, list[str]] = {}
    metadata: dict[str, str] = {}
    for path in with_archive.warcs:
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                target = record.rec_headers.get_header("WARC-Target-URI")
                targets.setdefault(target, []).append(record.rec_type)
                if record.rec_type == "metadata" and target == memento.url:
                    metadata[target] = record.content_stream().read().decode()
    assert {"request", "response", "metadata"} <= set(targets[memento.url])
    fields = metadata[memento.url]
    assert f"memento-original-url: {dead_seed}" in fields
    assert "memento-datetime: 2018-12-29T09:30:00Z" in fields
    assert "memento-archive: " in fields
    # The archive's CDX answers are archived too, as any fetch of the crawl.
    assert any((url or "").startswith(past.archive + "/cdx?") for url in targets)


def test_archive_index_finds_what_only_the_archive_holds(
    past: PastAndLive, crawls: tuple[PastCrawl, PastCrawl]
) -> None:
    with_archive, live_only = crawls
    old_stories = {
        past.server.story_of(url) for url in past.fates if url in set(past.server.on_topic_urls)
    }
    found_with = _stories_found(past, with_archive) & old_stories
    found_without = _stories_found(past, live_only) & old_stories
    via_index = [r for r in with_archive.records if r.extra.get("channel") == "archive-index"]
    assert via_index and all(r.extra.get("archive") for r in via_index)
    # All 6 in 8 runs of 9 at 200 pages on a loaded machine; one may be left behind
    # the budget (bench/discovery.py --past measures at 300 and 1,000).
    assert len(found_with) >= len(old_stories) - 1, (len(found_with), len(old_stories))
    assert len(found_with) > len(found_without)
    counts = with_archive.summary["counts"]
    print(
        f"old stories {len(old_stories)}: found with the archive {len(found_with)}, "
        f"live only {len(found_without)}; counts {counts}"
    )


def test_a_live_copy_and_its_memento_are_one_story(past: PastAndLive) -> None:
    """A page still alive, fetched live and from the archive (the id_ form): one story,
    the memento a copy of the live capture, and one canonical URL."""
    alive = past.server.seed_urls[1]  # the 2020 seed: live, and captured in 2020
    archive = parse_archive(past.archive)
    _, body = _get(archive.closest_query(alive, None))
    (capture,) = parse_cdx(body).captures
    memento_url = archive.memento_url(capture.timestamp, alive)
    live = extract_article(_get(alive)[1], alive)
    memento = extract_article(_get(memento_url)[1], memento_url)
    assert live is not None and memento is not None
    index = StoryIndex()
    first = index.assign(alive, live.text)
    second = index.assign(memento_url, memento.text)
    assert second.story_id == first.story_id and second.duplicate_of == alive
    assert page_canonical_url(memento_url, memento) == page_canonical_url(alive, live)


def test_retry_after_and_soft_404_rules() -> None:
    assert retry_after(b"120", 0.0) == 120.0
    assert retry_after(b"Wed, 21 Oct 2015 07:28:00 GMT", 1445412470.0) == 10.0
    for junk in (None, b"", b"soon", b"-5", b"Wed, 99 Oct"):
        assert retry_after(junk, 0.0) is None
    assert _is_home_redirect("https://a.example/2019/story", "/")
    assert _is_home_redirect("https://a.example/2019/story", "https://a.example")
    assert not _is_home_redirect("https://a.example/", "/")
    assert not _is_home_redirect("https://a.example/old", "/new")
    assert not _is_home_redirect("https://a.example/old", "https://b.example/")
    assert not _is_home_redirect("https://a.example/old", "/?from=old")


def test_crawl_command_with_an_archive_in_the_seed_file(
    past: PastAndLive, default_seeds: SeedSet, tmp_path: Path
) -> None:
    """`newstrail crawl` as a user runs it: the seed file names the archive, the dead
    seed is recovered, and the crawl's counts say what the archive gave."""
    dead_seed = past.server.seed_urls[0]
    text = default_seeds.texts[0].replace('"""', "")
    seeds = tmp_path / "past.toml"
    seeds.write_text(
        f'archives = ["{past.archive}"]\n'
        f'outlets = ["{dead_seed.split("/")[2]}"]\n\n'
        '[collection]\nname = "past-cli"\n\n'
        "[relevance]\npublished_after = 2018-01-01\npublished_before = 2021-12-31\n\n"
        f'[[seed]]\nurl = "{dead_seed}"\npublished = "2018-12"\ntext = """{text}"""\n',
        encoding="utf-8",
    )
    store = tmp_path / "store"
    args = ["crawl", str(seeds), "--store", str(store), "--budget", "25", "--delay", "0"]
    done = run_newstrail(*args, "--allow-private", "127.0.0.1", cwd=tmp_path, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "seed not captured" not in done.stderr
    assert "web archives: " in done.stdout and "1 seeds)" in done.stdout
    (crawl_dir,) = (store / "past-cli").iterdir()
    summary = json.loads((crawl_dir / "manifest.json").read_text())
    records: list[TextRecord] = []
    for path in sorted((crawl_dir / "text").glob("*.jsonl.gz")):
        with path.open("rb") as fh:
            records.extend(read_text_records(fh, compressed=True))
    assert any(r.original_url == dead_seed and r.source == "archive" for r in records)
    assert summary["settings"]["archives"] == [past.archive]
    # --no-archives: the same crawl leaves the dead seed dead.
    off = run_newstrail(
        *args, "--no-archives", "--allow-private", "127.0.0.1", cwd=tmp_path, timeout=240
    )
    assert "seed not captured" in off.stderr and "HTTP 404" in off.stderr


def test_a_closed_outlet_is_found_through_the_archive(
    past: PastAndLive, crawls: tuple[PastCrawl, PastCrawl]
) -> None:
    """An outlet of the seed file whose server is gone (connection refused): the
    archive's index names its article, the live fetch fails, the memento is fetched."""
    with_archive, live_only = crawls
    (record,) = [r for r in with_archive.records if r.original_url == past.dead_outlet]
    assert record.source == "archive" and record.related
    assert record.extra["channel"] == "archive-index" and record.extra["archive"]
    assert record.memento_datetime == "2019-01-11T00:00:00Z"
    assert with_archive.summary["counts"]["dead_refused"] >= 1
    assert not any(r.original_url == past.dead_outlet for r in live_only.records)
    # The other closed outlet's name no longer resolves: the same, from a DNS failure.
    (gone,) = [r for r in with_archive.records if r.original_url == past.dead_domain]
    assert gone.source == "archive" and with_archive.summary["counts"]["dead_dns"] >= 1


class _BusyThenOk(BaseHTTPRequestHandler):
    """An archive-like server that asks the crawler to come back later, once."""

    times: ClassVar[list[float]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path != "/2019/01/05/story":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.times.append(time.monotonic())
        if len(self.times) == 1:
            self.send_response(429)
            self.send_header("Retry-After", "2")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = (
            "<html><head><title>US troops in Iraq</title></head><body><article>"
            + "<p>The US military presence in Iraq and the immunity of its troops.</p>" * 20
            + "</article></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_retry_after_is_honoured(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _BusyThenOk)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/2019/01/05/story"
        summary = crawl_direct(
            seed_set_from_urls([url], "busy"),
            store=str(tmp_path / "store"),
            budget=3,
            allow_private=["127.0.0.1"],
            download_delay=0.0,
            env=Environment(store=str(tmp_path / "store"), workdir=tmp_path / "work"),
        )
    finally:
        server.shutdown()
        server.server_close()
    times = _BusyThenOk.times
    assert len(times) == 2 and summary["seeds"][url] == "ok"
    assert times[1] - times[0] >= 1.8, times[1] - times[0]
    assert summary["counts"]["retry_after_honoured"] == 1


def test_re_extraction_reads_the_memento_back(
    past: PastAndLive, crawls: tuple[PastCrawl, PastCrawl]
) -> None:
    """`newstrail extract` on the crawl's WARC files gives the memento's record as the
    crawl did: its source, original URL, memento URL and date, from the metadata."""
    with_archive, _ = crawls
    dead_seed = past.server.seed_urls[0]
    (crawled,) = [r for r in with_archive.records if r.original_url == dead_seed]
    again = [r for r in records_from_warcs(with_archive.warcs) if r.original_url == dead_seed]
    assert len(again) == 1
    for name in ("url", "canonical_url", "source", "memento_url", "memento_datetime", "text"):
        assert getattr(again[0], name) == getattr(crawled, name), name
    assert again[0].extra["archive"] == crawled.extra["archive"]


def test_a_past_crawl_is_a_valid_wacz_that_replays_its_mementos_in_pywb(
    past: PastAndLive, crawls: tuple[PastCrawl, PastCrawl], tmp_path: Path
) -> None:
    """The field's own tools take a crawl with mementos in it: the reference WACZ
    validator, and pywb, which replays the recovered seed under its memento URL."""
    with_archive, _ = crawls
    root = with_archive.warcs[0].parents[3]
    target = tmp_path / "past.wacz"
    made = run_newstrail("wacz", "past", "--store", str(root), "-o", str(target), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    checked = subprocess.run(
        [str(archive_tool("wacz")), "validate", "-f", str(target)], capture_output=True, text=True
    )
    assert checked.returncode == 0 and "is valid" in checked.stdout, checked.stdout
    dead_seed = past.server.seed_urls[0]
    (memento,) = [r for r in with_archive.records if r.original_url == dead_seed]
    assert memento.memento_url is not None
    collection = tmp_path / "pywb" / "collections"
    collection.parent.mkdir()
    for step in (["init", "mementos"], ["add", "--unpack-wacz", "mementos", str(target)]):
        added = subprocess.run(
            [str(archive_tool("wb-manager")), *step],
            cwd=collection.parent,
            capture_output=True,
            text=True,
        )
        assert added.returncode == 0, added.stdout + added.stderr
    with serve(collection.parent) as base:
        url = f"{base}/mementos/mp_/{memento.memento_url}"
        with urllib.request.urlopen(url, timeout=30) as got:
            assert got.status == 200
            body = got.read().decode("utf-8", "replace")
    assert (memento.title or "") in html.unescape(body)
    assert "20,000" in body
