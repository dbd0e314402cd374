"""Discovery helpers: feeds, sitemaps, trap guard, story clustering."""

from __future__ import annotations

import errno
import gzip
import os
import random
import threading
import time
import urllib.request
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from newstrail.discovery import (
    FEED_MAX_BYTES,
    FEED_MAX_ENTRIES,
    SITEMAP_MAX_ENTRIES,
    feed_links,
    parse_feed,
    parse_sitemap,
    read_feed,
    read_sitemap,
)
from newstrail.extract import extract_article
from newstrail.frontier import TrapGuard, UrlSet, static_trap_reason, url_pattern
from newstrail.newsweb import NewsWebServer
from newstrail.stories import StoryIndex, StoryMatch
from tests.test_guarded_crawl import crawl

ROOT = Path(__file__).resolve().parent.parent

RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>T</title>
<item><title>Iraq votes to expel US troops</title><link>/news/iraq-vote</link>
<description>&lt;p&gt;Lawmakers in &lt;b&gt;Baghdad&lt;/b&gt; voted.&lt;/p&gt;</description>
<pubDate>Sun, 05 Jan 2020 10:00:00 GMT</pubDate></item>
<item><title>No link</title></item>
</channel></rss>"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://a.org/2020/01/iraq-vote</loc>
    <news:news><news:publication>
    <news:name>A</news:name><news:language>en</news:language></news:publication>
    <news:publication_date>2020-01-05T10:00:00+03:00</news:publication_date>
    <news:title>Iraq's parliament votes to expel US troops</news:title></news:news></url>
  <url><loc>https://a.org/about</loc><lastmod>2019-02-01</lastmod></url>
</urlset>"""

INDEX = b"""<?xml version="1.0"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://a.org/sitemap-2020.xml</loc><lastmod>2020-02-01</lastmod></sitemap>
</sitemapindex>"""

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<urlset><url><loc>https://a.org/&lol2;</loc></url></urlset>"""


def test_feed_entries_carry_title_summary_date() -> None:
    entries = parse_feed(RSS, "https://a.org/feed")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.url == "https://a.org/news/iraq-vote"
    assert entry.title == "Iraq votes to expel US troops"
    assert entry.summary == "Lawmakers in Baghdad voted."
    assert entry.published is not None and entry.published.isoformat() == "2020-01-05"
    assert parse_feed(b"not a feed", "https://a.org/feed") == []


def test_news_sitemap_entries_and_indexes() -> None:
    entries = list(parse_sitemap(NEWS_SITEMAP, "https://a.org/sitemap.xml"))
    assert [e.url for e in entries] == ["https://a.org/2020/01/iraq-vote", "https://a.org/about"]
    assert entries[0].title == "Iraq's parliament votes to expel US troops"
    assert str(entries[0].published) == "2020-01-05"
    assert str(entries[1].published) == "2019-02-01"
    index = list(parse_sitemap(INDEX, "https://a.org/sitemap.xml"))
    assert index[0].is_sitemap and index[0].url == "https://a.org/sitemap-2020.xml"


def test_sitemaps_with_entities_are_refused() -> None:
    assert list(parse_sitemap(BOMB, "https://a.org/s.xml")) == []
    assert list(parse_sitemap(b"<urlset><url><loc>https://a.org/x", "https://a.org/")) == []


def _rss(items: int, summary: str = "") -> bytes:
    entry = "<item><title>Item {0}</title><link>https://ex.org/a/{0}</link>"
    entry += f"<description>{summary}</description></item>"
    body = "".join(entry.format(i) for i in range(items))
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{body}</channel></rss>'.encode()


def test_a_huge_feed_is_read_up_to_its_limits() -> None:
    small, limits = read_feed(_rss(20), "https://ex.org/feed")
    assert len(small) == 20 and limits == []
    started = time.perf_counter()
    entries, limits = read_feed(_rss(200_000), "https://ex.org/feed")
    took = time.perf_counter() - started
    assert len(entries) == FEED_MAX_ENTRIES and limits == ["feed-truncated"]
    assert entries[-1].url == f"https://ex.org/a/{FEED_MAX_ENTRIES - 1}"
    assert took < 10, took
    # A few entries with enormous summaries: cut by bytes, the entries before kept.
    entries, limits = read_feed(_rss(8, "troops " * 100_000), "https://ex.org/feed")
    assert limits == ["feed-truncated"]
    assert 1 <= len(entries) <= FEED_MAX_BYTES // 700_000 + 1


def test_a_sitemap_is_read_up_to_its_limit() -> None:
    urls = SITEMAP_MAX_ENTRIES + 10
    body = '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    body += "".join(f"<url><loc>https://ex.org/s/{i}</loc></url>" for i in range(urls))
    entries, limits = read_sitemap((body + "</urlset>").encode(), "https://ex.org/sitemap.xml")
    assert len(entries) == SITEMAP_MAX_ENTRIES and limits == ["sitemap-truncated"]
    entries, limits = read_sitemap(
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://ex.org/one</loc></url></urlset>",
        "https://ex.org/sitemap.xml",
    )
    assert [e.url for e in entries] == ["https://ex.org/one"] and limits == []


def test_a_gzipped_sitemap_is_unpacked_within_a_cap() -> None:
    """sitemap.xml.gz, as news sites serve it (a file, not a content coding)."""
    entries, limits = read_sitemap(gzip.compress(NEWS_SITEMAP), "https://a.org/sitemap.xml.gz")
    assert entries == list(parse_sitemap(NEWS_SITEMAP, "https://a.org/sitemap.xml"))
    assert entries and entries[0].title and limits == []
    # A bomb: 1 GiB of zeros unpacks no further than the cap, and fast.
    zeros = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = zeros.compress(b"\0" * (64 << 20)) * 16 + zeros.flush()
    started = time.monotonic()
    entries, limits = read_sitemap(bomb, "https://a.org/sitemap.xml.gz")
    assert (entries, limits) == ([], ["sitemap-truncated"])
    assert time.monotonic() - started < 5
    # A cut or corrupt file says so instead of passing for an empty sitemap.
    assert read_sitemap(b"\x1f\x8b\x08\x00garbage", "https://a.org/s.xml.gz") == (
        [],
        ["sitemap-undecodable"],
    )
    cut = gzip.compress(NEWS_SITEMAP)[:-40]
    entries, limits = read_sitemap(cut, "https://a.org/s.xml.gz")
    assert limits == ["sitemap-truncated"]


def test_feed_autodiscovery() -> None:
    html = (
        b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed/">'
        b'<link rel="alternate" type="text/html" hreflang="fr" href="/fr/">'
        b'<link rel="stylesheet" href="/s.css"></head><body></body></html>'
    )
    assert feed_links(html, "https://a.org/news/x") == ["https://a.org/feed/"]


def test_url_patterns_and_static_traps() -> None:
    assert url_pattern("https://a.org/cal/2020/01/?day=3") == url_pattern(
        "https://a.org/cal/1999/12/?day=30"
    )
    assert url_pattern("https://a.org/x?b=1&a=2") == "a.org/x?a&b"
    assert static_trap_reason("https://a.org/a/b/a/b/a/b") == "repeating path segments"
    assert static_trap_reason("https://a.org/s?a=1&b=2&c=3&d=4&e=5") is not None
    assert static_trap_reason("https://a.org/2020/01/05/iraq-vote") is None


def test_trap_guard_closes_barren_patterns_only() -> None:
    guard = TrapGuard(patience=3)
    for month in range(1, 4):
        assert guard.allows(f"https://a.org/cal/2020/{month:02d}/")
        guard.record(f"https://a.org/cal/2020/{month:02d}/", related=False, new_links=1)
    assert not guard.allows("https://a.org/cal/2021/07/")
    # A pattern that produced related pages stays open, however many others it has.
    for n in range(40):
        guard.record(f"https://a.org/news/{n}", related=n == 0, new_links=0)
    assert guard.allows("https://a.org/news/99")


def test_url_set() -> None:
    urls = UrlSet(["https://a.org/1"])
    urls.add("https://a.org/2")
    assert "https://a.org/1" in urls and "https://a.org/3" not in urls and len(urls) == 2


def test_story_index_clusters_copies() -> None:
    text = (ROOT / "seeds" / "iraq-us-troops" / "001-middleeasteye.txt").read_text()
    other = (ROOT / "seeds" / "iraq-us-troops" / "000-citizentruth.txt").read_text()
    index = StoryIndex()
    first = index.assign("https://a.org/1", text)
    copy = index.assign(
        "https://b.org/1",
        "Editor's note: this story was updated. " + text.replace("brutal, ", ""),
    )
    different = index.assign("https://c.org/1", other)
    assert first.duplicate_of is None
    assert copy.story_id == first.story_id and copy.duplicate_of == "https://a.org/1"
    assert different.story_id != first.story_id and different.duplicate_of is None


def test_a_story_index_with_its_signatures_on_disk_matches_as_one_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(5)
    vocabulary = [f"w{n}" for n in range(3000)]
    texts: list[tuple[str, str]] = []
    for n in range(60):
        words = [rng.choice(vocabulary) for _ in range(300)]
        texts += [
            (f"https://a.test/{n}", " ".join(words)),
            (f"https://b.test/{n}", " ".join(words[:250])),
        ]
    rng.shuffle(texts)
    real_pwrite, writes = os.pwrite, 0

    def disk_fills_up(fd: int, data: bytes, offset: int) -> int:
        nonlocal writes
        writes += 1
        if writes > 40:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_pwrite(fd, data, offset)

    memory = StoryIndex()
    in_memory = [memory.assign(url, text) for url, text in texts]
    monkeypatch.setattr(os, "pwrite", disk_fills_up)
    on_disk = StoryIndex(folder=tmp_path)
    try:
        assert [on_disk.assign(url, text) for url, text in texts] == in_memory
    finally:
        on_disk.close()
    assert sum(1 for match in in_memory if match.duplicate_of) == 60
    assert writes > 40, "the disk filled up before the index was half written"
    assert list(tmp_path.iterdir()) == [], "the file is unlinked"


def _paragraphs(path: Path) -> list[str]:
    return [p.strip() for p in path.read_text().split("\n\n") if p.strip()]


def test_story_index_copies_with_other_sites_lines_and_cuts() -> None:
    paragraphs = _paragraphs(ROOT / "seeds" / "iraq-us-troops" / "001-middleeasteye.txt")
    index = StoryIndex()
    first = index.assign("https://wire.org/1", "\n\n".join(paragraphs))
    # Another site's caption, byline, editor's note and paywall lines around the text,
    # a new first sentence: only those lines' shingles differ.
    republished = [
        "Editor's note: This article was first published by Wire and is republished "
        "here with permission. It has been edited for length.",
        "US soldiers at a base in western Iraq in 2019 (Reuters/File photo)",
        "By Wire staff | Published 5 January 2020 | Updated 6 January 2020",
        "Lawmakers say the official figure leaves out contractors and rotating units.",
        *paragraphs[1:],
        "You have 2 free articles left this month.",
        "Subscribe for full access to our journalism, and support independent reporting.",
    ]
    copy = index.assign("https://b.org/1", "\n\n".join(republished))
    # Edited for length: the last third cut.
    cut = index.assign("https://c.org/1", "\n\n".join(paragraphs[: 2 * len(paragraphs) // 3]))
    for match in (copy, cut):
        assert match == StoryMatch(first.story_id, "https://wire.org/1")


def test_story_index_keeps_different_stories_apart() -> None:
    story = _paragraphs(ROOT / "seeds" / "iraq-us-troops" / "000-citizentruth.txt")
    longer = _paragraphs(ROOT / "seeds" / "iraq-us-troops" / "001-middleeasteye.txt")
    index = StoryIndex()
    first = index.assign("https://a.org/1", "\n\n".join(story))
    # A story on the same topic that reuses half of the first one's paragraphs, in
    # another order, among its own: not a copy.
    mixed = story[::2][::-1] + longer[: len(longer) // 4]
    hard = index.assign("https://h.org/1", "\n\n".join(mixed))
    # A round-up that quotes the whole story among three times as much else is not a
    # copy of it either (nor of the story above).
    roundup = index.assign("https://r.org/1", "\n\n".join(longer + story))
    # Too short to tell: never matched, even to itself.
    short = "Iraq's parliament voted to expel US troops."
    assert index.assign("https://s.org/1", short) == index.assign("https://s.org/2", short)
    assert index.assign("https://s.org/2", short).duplicate_of is None
    assert hard.duplicate_of is None and roundup.duplicate_of is None
    assert len({first.story_id, hard.story_id, roundup.story_id}) == 3 == len(index)


def test_story_index_against_the_newswebs_truth(newsweb: NewsWebServer) -> None:
    """Every copy of the wire story (other sites' captions, bylines and editor's notes
    surviving extraction; AMP and print versions) is one story; no two of the web's
    other stories on the topic, hard negatives included, are, in any capture order."""
    wanted = ("seed", "on_topic", "hard_negative")
    urls = [url for url, label in sorted(newsweb.truth.items()) if label in wanted]
    for wire in newsweb.syndicated:
        urls += [wire.original, *(url for url, _ in wire.copies), *wire.amp, *wire.printable]
    texts: dict[str, str] = {}
    for url in dict.fromkeys(urls):
        with urllib.request.urlopen(url, timeout=10) as response:
            article = extract_article(response.read(), url)
        if article is not None:
            texts[url] = article.text
    syndicated = {wire.story for wire in newsweb.syndicated}
    assert sum(1 for url in texts if newsweb.story_of(url) in syndicated) >= 6
    for order in (sorted(texts), sorted(texts, reverse=True)):
        index = StoryIndex()
        first: dict[str | None, str] = {}
        ids: dict[str | None, set[str]] = {}
        for url in order:
            story = newsweb.story_of(url)
            match = index.assign(url, texts[url])
            ids.setdefault(story, set()).add(match.story_id)
            assert match.duplicate_of == first.get(story), url
            first.setdefault(story, url)
        assert all(len(story_ids) == 1 for story_ids in ids.values())
        assert len({i for story_ids in ids.values() for i in story_ids}) == len(ids)


class _GzSitemapSite(BaseHTTPRequestHandler):
    """A news site whose robots.txt names a gzipped sitemap (served as a file)."""

    def do_GET(self) -> None:
        base = f"http://{self.headers['Host']}"
        kind = "text/html; charset=utf-8"
        if self.path == "/robots.txt":
            body, kind = f"User-agent: *\nSitemap: {base}/news.xml.gz\n".encode(), "text/plain"
        elif self.path == "/news.xml.gz":
            urls = "".join(
                f"<url><loc>{base}/story/{n}</loc><news:news><news:publication_date>"
                f"2020-01-0{n + 1}</news:publication_date><news:title>US troops in Iraq: "
                f"parliament votes on their presence, part {n}</news:title></news:news></url>"
                for n in range(3)
            )
            body = gzip.compress(
                b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                b'sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
                + urls.encode()
                + b"</urlset>"
            )
            kind = "application/x-gzip"
        else:
            words = "US troops in Iraq and the vote of the Iraqi parliament on their presence. "
            body = (
                f"<html><head><title>Troops {self.path}</title></head><body><article>"
                f"<h1>US troops in Iraq {self.path}</h1><p>{words * 30}</p></article></body></html>"
            ).encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.paths.append(self.path)  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_crawl_follows_a_gzipped_sitemap(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GzSitemapSite)
    server.paths = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = crawl(
            tmp_path,
            f"http://localhost:{server.server_address[1]}/",
            "--collection",
            "gz",
            "--budget",
            "10",
            "--allow-private",
            "localhost",
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr[-3000:]
    paths = server.paths  # type: ignore[attr-defined]
    assert "/news.xml.gz" in paths
    assert {"/story/0", "/story/1", "/story/2"} <= set(paths), paths


def test_a_story_index_compares_a_text_with_a_bounded_number_of_stories(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Texts made of the same 40 sentences: any two share phrasing, so without a
    # bound each new text had more candidates than the last.
    rng = random.Random(9)
    words = [f"w{n}" for n in range(400)]
    pool = [" ".join(rng.choice(words) for _ in range(8)) + "." for _ in range(40)]
    texts = [" ".join(rng.sample(pool, 25)) for _ in range(600)]
    copies = {n: "Updated on Monday. " + texts[n] for n in (3, 40, 250)}
    compared: list[int] = []
    real_best = StoryIndex._best_match

    def counting(index: StoryIndex, signature: Any, size: int, candidates: list[int]) -> Any:
        compared.append(len(candidates))
        return real_best(index, signature, size, candidates)

    monkeypatch.setattr(StoryIndex, "_best_match", counting)
    bounded, unbounded = StoryIndex(max_candidates=16), StoryIndex(max_candidates=10**9)
    for index in (bounded, unbounded):
        for n, text in enumerate(texts):
            index.assign(f"https://a.test/{n}", text)
    assert max(compared[: len(texts)]) == 16 and bounded.candidates_capped > 100
    assert max(compared[len(texts) :]) > 64, "the texts share enough to need the bound"
    for n, copy in copies.items():
        for index in (bounded, unbounded):
            match = index.assign(f"https://b.test/{n}", copy)
            assert match.duplicate_of == f"https://a.test/{n}"


def test_a_signature_is_the_minimum_of_each_hash_function() -> None:
    # The signature is computed in place, high bits taken of the minima only: the
    # same values as hashing every shingle with every function, then taking minima.
    import numpy as np

    from newstrail.stories import _MinHasher

    hasher = _MinHasher(64)
    rng = np.random.default_rng(7)
    for size in (1, 5, 700):
        shingles = rng.integers(0, 2**32, size=size, dtype=np.uint64).astype(np.uint32)
        expected = [
            min(((int(x) * int(a) + int(b)) % 2**64) >> 32 for x in shingles)
            for a, b in zip(hasher.a, hasher.b, strict=True)
        ]
        assert hasher.signature(shingles).tolist() == expected
