"""``newstrail report`` and ``newstrail export`` (issue 19): the report of a real crawl
opened in a real headless Chromium, the exports read back with the standard readers."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newstrail import report
from newstrail.config import Environment
from newstrail.flows.steps import crawl_direct
from newstrail.newsweb import NewsWebServer
from newstrail.records import TextRecord
from newstrail.report import (
    MAX_TITLE,
    CrawlFigures,
    latest_captures,
    render_report,
    report_data,
)
from newstrail.seeds import SeedSet
from newstrail.storage import open_store
from newstrail.storage.base import ObjectInfo, Store
from newstrail.storage.corpus import TextRecordWriter, read_text_records
from newstrail.storage.manifest import Manifest, write_manifest
from newstrail.urls import canonical_url
from tests.browser import chromium, watch_console
from tests.conftest import ARTIFACTS, one_line_error, run_newstrail

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Collection:
    root: Path
    name: str
    records: list[TextRecord]

    @property
    def related(self) -> list[TextRecord]:
        """The related articles, one per page (as the report and the export keep them)."""
        return [r for r in self.records if r.related]


@pytest.fixture(scope="module")
def crawled(
    newsweb: NewsWebServer, default_seeds: SeedSet, tmp_path_factory: pytest.TempPathFactory
) -> Collection:
    """One crawl of the offline news web into a local store."""
    root = tmp_path_factory.mktemp("store")
    summary = crawl_direct(
        default_seeds.with_urls(newsweb.seed_urls),
        store=str(root),
        collection="story",
        budget=80,
        allow_private=True,
        download_delay=0.0,
        env=Environment(store=str(root), workdir=root.parent / "work"),
    )
    records: list[TextRecord] = []
    for path in sorted((root / "story" / summary["crawl_id"] / "text").glob("*.jsonl.gz")):
        with path.open("rb") as fh:
            records.extend(read_text_records(fh))
    # One capture per page in one crawl: what the report keeps is every record.
    assert len({canonical_url(r.url) for r in records}) == len(records)
    return Collection(root, "story", records)


def record(url: str, fetched_at: str, **fields: Any) -> TextRecord:
    extra = {k: fields.pop(k) for k in list(fields) if k not in TextRecord.__dataclass_fields__}
    base: dict[str, Any] = {
        "url": url,
        "canonical_url": url,
        "title": "A title",
        "author": None,
        "date": "2020-01-05",
        "sitename": "The Ledger",
        "language": "en",
        "text": "Troops in Iraq.",
        "relevance": 0.5,
        "related": True,
        "matched_terms": ["iraq"],
        "warc_filename": "x.warc.gz",
        "warc_record_offset": 0,
        "warc_record_id": "<urn:uuid:0>",
        "text_sha256": "0" * 64,
        "fetched_at": fetched_at,
    }
    base.update(fields)
    return TextRecord(**base, extra={"channel": "outlink", "hop": 1, **extra})


def text_bytes(records: list[TextRecord]) -> bytes:
    out = io.BytesIO()
    writer = TextRecordWriter(out, compress=True)
    for r in records:
        writer.write(r)
    return out.getvalue()


def make_crawl(store: Store, collection: str, crawl_id: str, files: dict[str, bytes]) -> None:
    objects = []
    for key, data in files.items():
        info = store.put(f"{collection}/{crawl_id}/{key}", io.BytesIO(data))
        objects.append(ObjectInfo(key, info.size, info.sha256))
    write_manifest(
        store,
        Manifest(
            collection=collection,
            crawl_id=crawl_id,
            started=T0,
            finished=T0 + timedelta(minutes=5),
            software="newstrail/test",
            seed_set="test",
            counts={"pages": 3, "related": 2},
            objects=objects,
        ),
    )


def test_one_row_per_page_its_latest_capture() -> None:
    older = record("https://a.example/1?utm_source=x", "2026-03-01T12:00:00Z", title="old")
    newer = record("https://a.example/1", "2026-03-08T12:00:00Z", title="new")
    # A copy naming the wire's original as its rel=canonical is another page, kept apart.
    wire = "https://wire.example/story"
    copy_a = record("https://b.example/story", "2026-03-02T00:00:00Z", canonical_url=wire)
    copy_b = record("https://c.example/story", "2026-03-02T00:00:00Z", canonical_url=wire)
    gone = record("https://d.example/x", "2026-03-09T00:00:00Z", related=False)
    was = record("https://d.example/x", "2026-03-01T00:00:00Z")
    captures = [
        ("c1", older),
        ("c1", copy_a),
        ("c1", was),
        ("c2", newer),
        ("c2", copy_b),
        ("c2", gone),
    ]
    kept = list(latest_captures(lambda: captures, related_only=True))
    assert [(c, r.url, r.title) for c, r in kept] == [
        ("c1", "https://b.example/story", "A title"),
        ("c2", "https://a.example/1", "new"),
        ("c2", "https://c.example/story", "A title"),
    ]
    # The latest capture is by fetch time, whatever order the crawls come in.
    (only,) = latest_captures(lambda: [("c2", newer), ("c1", older)])
    assert only[1].title == "new"


def test_a_huge_collection_shows_its_most_relevant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "MAX_ROWS", 3)
    records = [
        ("c1", record(f"https://a.example/{i}", "2026-03-01T12:00:00Z", relevance=i / 10))
        for i in range(1, 7)
    ]
    data = report_data("c", [], records)
    assert data["related_total"] == 6 and data["rows_cut"] == 3
    assert sorted(r["relevance"] for r in data["articles"]) == [0.4, 0.5, 0.6]
    assert [r["i"] for r in data["articles"]] == [0, 1, 2]


def test_hostile_records_are_escaped_and_capped() -> None:
    evil = "</script><script>window.pwned=1</script><!--<script>"
    huge = record(
        "https://a.example/1",
        "2026-03-01T12:00:00Z",
        title=evil + "x" * 5_000_000,
        matched_terms=[f"term{i}" for i in range(100_000)],
        matched_passages=["p" * 1_000_000],
        sitename="<b>Outlet</b>",
    )
    sneaky = record(
        "javascript:alert(1)", "2026-03-01T12:00:00Z", title="link", relevance=float("nan")
    )
    data = report_data("c", [CrawlFigures("c1", "a", "b")], [("c1", huge), ("c1", sneaky)])
    page = render_report(data)
    assert len(page) < 150_000
    assert page.count("<script") == 2 and "window.pwned" in page
    assert "<!--" not in page.split('id="report-data">', 1)[1]
    row = next(r for r in data["articles"] if r["url"] == "https://a.example/1")
    assert row["title"].startswith(evil) and row["title"].endswith("characters cut]")
    assert len(row["title"]) < MAX_TITLE + 40
    assert len(row["terms"]) == 12 and row["terms_cut"] == 100_000 - 12
    # A crawl made before traps were counted: unknown, not zero; what it did not count
    # (no errors) is zero.
    values = data["figures"]["crawls"][0]["values"]
    assert values["traps closed"] is None and values["errors"] == 0
    other = next(r for r in data["articles"] if r["url"] != "https://a.example/1")
    assert other["live"] is False  # no link to it, live or in replay
    assert other["relevance"] == 0.0
    embedded = page.split('id="report-data">', 1)[1].split("</script>", 1)[0]
    # JSON as a browser reads it: no NaN (Python's reader would accept one).
    json.loads(embedded, parse_constant=lambda name: pytest.fail(f"{name} in the page's data"))


def test_the_report_in_a_browser_escapes_hostile_titles(tmp_path: Path) -> None:
    evil = "</script><script>window.pwned=1</script><img src=x onerror=window.pwned=2>"
    hostile = record("https://a.example/1", "2026-03-01T12:00:00Z", title=evil)
    page_file = tmp_path / "hostile.html"
    page_file.write_text(render_report(report_data("c", [], [("c1", hostile)])))
    # Dates centuries apart (a wrong date) make a timeline of bounded width: year bins.
    odd_dates = [
        ("c1", record(f"https://b.example/{year}", "2026-03-01T12:00:00Z", date=f"{year}-06-01"))
        for year in (1, 1999, 2020, 9999)
    ]
    spread = tmp_path / "spread.html"
    spread.write_text(render_report(report_data("c", [], odd_dates)))
    with chromium() as browser:
        page = browser.new_page()
        log = watch_console(page)
        page.goto(page_file.as_uri())
        page.wait_for_selector("body[data-ready='1']")
        assert page.evaluate("window.pwned") is None
        assert page.locator("#articles tbody tr td.title a").inner_text() == evil
        page.goto(spread.as_uri())
        page.wait_for_selector("body[data-ready='1']")
        assert page.locator("#timeline .mark").count() == 4
        assert "(years)" in page.inner_text("#timeline-note")
        assert page.locator("#timeline text.axis").count() < 300
        assert log.problems == []


def test_report_of_a_crawl_in_chromium(crawled: Collection, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run_newstrail(
        "report", crawled.name, "--store", str(crawled.root), "-o", str(out), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    related = crawled.related
    assert f"{len(related)} related articles" in result.stdout
    outlets = Counter(
        r["outlet"] for r in report_data("x", [], [("c", r) for r in related])["articles"]
    )
    assert len(outlets) >= 3, outlets
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        log = watch_console(page)
        page.goto(out.as_uri())
        page.wait_for_selector("body[data-ready='1']", timeout=20_000)
        # The timeline: one mark per related article, the seeds marked.
        assert page.locator("#timeline .mark").count() == len(related)
        seeds = sum(1 for r in related if r.extra.get("channel") == "seed")
        assert seeds and page.locator("#timeline .mark.seed").count() == seeds
        assert page.locator("#articles tbody tr").count() == len(related)
        assert page.locator("#outlets tbody tr").count() == len(outlets)
        # Filtering the table by an outlet shows its rows and only them.
        outlet, count = outlets.most_common()[1]
        page.select_option("#f-outlet", outlet)
        shown = page.locator("#articles tbody tr")
        assert shown.count() == count
        assert set(shown.evaluate_all("rows => rows.map(r => r.dataset.outlet)")) == {outlet}
        assert page.inner_text("#count").startswith(f"{count} of {len(related)}")
        page.select_option("#f-outlet", "")
        # Sorting by relevance puts the most relevant first.
        page.click("#articles th[data-key=relevance]")
        best = max(related, key=lambda r: r.relevance)
        assert page.locator("#articles tbody tr td.title div").first.inner_text() == best.url
        # Links to the live page and to its capture in pywb (newstrail replay).
        stamp = re.sub(r"\D", "", best.fetched_at)[:14]
        links = page.locator("#articles tbody tr").first.locator("td.links a")
        assert links.evaluate_all("as => as.map(a => a.getAttribute('href'))") == [
            f"http://127.0.0.1:8080/story/{stamp}/{best.url}",
            best.url,
        ]
        # A row's text record: where the record and its WARC record are.
        page.locator("#articles tbody tr button.linkish").first.click()
        assert best.warc_record_id in page.inner_text("#record")
        # The crawl's figures, as its manifest counts them.
        (manifest_path,) = (crawled.root / crawled.name).glob("*/manifest.json")
        counts = json.loads(manifest_path.read_text())["counts"]
        assert "traps_closed" in counts
        headers = page.locator("#figures thead th").all_inner_texts()
        cells = page.locator("#figures tbody tr").first.locator("td").all_inner_texts()
        figures = dict(zip(headers, cells, strict=True))
        assert figures["pages fetched"] == f"{counts['pages']:,}"
        assert figures["related"] == str(counts["related"]) == str(len(related))
        assert figures["robots refusals"] == str(counts.get("robots_forbidden", 0))
        assert figures["traps closed"] == str(counts["traps_closed"])
        assert figures["errors"] == str(counts.get("errors", 0) + counts.get("failed", 0))
        page.screenshot(path=str(shot), full_page=True)
        assert log.problems == [], log.problems
    # Nothing is loaded from anywhere: no src= or stylesheet link outside the data.
    head = out.read_text().split('<script type="application/json"', 1)[0]
    assert "src=" not in head and "<link" not in head


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_export_csv_and_parquet_read_back(crawled: Collection, tmp_path: Path) -> None:
    by_url = {r.url: r for r in crawled.records}
    for fmt in ("csv", "parquet", "jsonl"):
        args = ["export", crawled.name, "--store", str(crawled.root), "--format", fmt]
        done = run_newstrail(*args, "-o", str(tmp_path / f"related.{fmt}"), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        every = run_newstrail(*args, "--all", "-o", str(tmp_path / f"all.{fmt}"), cwd=tmp_path)
        assert every.returncode == 0, every.stderr
    rows = _csv_rows(tmp_path / "related.csv")
    assert sorted(r["url"] for r in rows) == sorted(r.url for r in crawled.related)
    assert len(_csv_rows(tmp_path / "all.csv")) == len(crawled.records)
    for row in rows:
        original = by_url[row["url"]]
        assert row["title"] == (original.title or "")
        assert row["text"] == original.text
        assert float(row["relevance"]) == original.relevance
        assert row["related"] == "true"
        assert json.loads(row["matched_terms"]) == original.matched_terms
        assert json.loads(row["matched_passages"]) == original.extra["matched_passages"]
        assert row["channel"] == original.extra["channel"]
        assert row["hop"] == str(original.extra["hop"])
        assert row["warc_record_offset"] == str(original.warc_record_offset)
        assert row["crawl_id"]
    table = pq.read_table(tmp_path / "related.parquet")
    terms_type = table.schema.field("matched_terms").type
    assert pa.types.is_list(terms_type) and pa.types.is_string(terms_type.value_type)
    assert pa.types.is_int64(table.schema.field("hop").type)
    parquet_rows = table.to_pylist()
    assert [r["url"] for r in parquet_rows] == [r["url"] for r in rows]
    for row in parquet_rows:
        original = by_url[row["url"]]
        assert row["text"] == original.text and row["title"] == original.title
        assert row["matched_terms"] == original.matched_terms
        assert row["chain"] == original.extra["chain"]
        assert row["relevance"] == original.relevance and row["related"] is True
    assert pq.read_table(tmp_path / "all.parquet").num_rows == len(crawled.records)
    with (tmp_path / "related.jsonl").open() as fh:
        lines = [json.loads(line) for line in fh]
    assert [line["url"] for line in lines] == [r["url"] for r in rows]
    assert all(TextRecord.from_dict(line).to_dict().keys() >= {"crawl_id"} for line in lines)


def test_report_and_export_from_a_downloaded_corpus(crawled: Collection, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    done = run_newstrail(
        "download",
        crawled.name,
        "--store",
        str(crawled.root),
        "--only",
        "text",
        "--merge",
        "--to",
        str(corpus),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert (corpus / crawled.name / "corpus.jsonl").exists()
    for source in (corpus, corpus / crawled.name):
        out = tmp_path / "from.html"
        made = run_newstrail(
            "report", crawled.name, "--from", str(source), "-o", str(out), cwd=tmp_path
        )
        assert made.returncode == 0, made.stderr
        assert f"{len(crawled.related)} related articles" in made.stdout
    exported = run_newstrail(
        "export", crawled.name, "--from", str(corpus), "--format", "csv", cwd=tmp_path
    )
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert sorted(r["url"] for r in rows) == sorted(r.url for r in crawled.related)


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "store"))
    make_crawl(
        store,
        "good",
        "c1",
        {"text/c1.jsonl.gz": text_bytes([record("https://a.example/1", "2026-03-01T12:00:00Z")])},
    )
    make_crawl(store, "broken", "c1", {"text/c1.jsonl.gz": gzip.compress(b"{not json\n")})
    odd = record("https://a.example/odd", "2026-03-01T12:00:00Z", title=7, sitename=["x"], date=5)
    make_crawl(store, "odd", "c1", {"text/c1.jsonl.gz": text_bytes([odd])})
    no_url = record("https://a.example/2", "2026-03-01T12:00:00Z")
    no_url.url = None  # type: ignore[assignment]  # as a hand-made record may have it
    make_crawl(store, "nourl", "c1", {"text/c1.jsonl.gz": text_bytes([no_url])})
    store.put("halfway/c1/warc/x.warc.gz", io.BytesIO(b"no manifest yet"))
    uri = ["--store", str(tmp_path / "store")]
    cases = [
        (["report", "nothing", *uri], "no complete crawl of collection 'nothing'"),
        (["report", "halfway", *uri], "(1 incomplete)"),
        (["report", "broken", *uri], "invalid text record at line 1"),
        (["export", "broken", *uri, "--format", "csv"], "invalid text record"),
        (["report", "good", *uri, "-o", str(tmp_path / "no" / "such" / "r.html")], "cannot write"),
        (
            ["export", "good", *uri, "--format", "parquet", "-o", str(tmp_path / "no" / "x")],
            "cannot write",
        ),
        (["report", "good", "--from", str(tmp_path / "elsewhere")], "is not a folder"),
        (["report", "../x", *uri], "collection name"),
        (["report", "nourl", *uri], "a text record has no URL"),
        (["export", "nourl", *uri, "--format", "jsonl"], "a text record has no URL"),
        (
            ["export", "odd", *uri, "--format", "parquet", "-o", str(tmp_path / "odd.parquet")],
            "does not fit",
        ),
    ]
    for argv, needle in cases:
        line = one_line_error(run_newstrail(*argv, cwd=tmp_path))
        assert needle in line, (argv, line)
    assert not list(tmp_path.rglob("*.part"))
    usage = run_newstrail("export", "good", *uri, "--format", "parquet", cwd=tmp_path)
    assert usage.returncode == 2 and "needs -o FILE" in usage.stderr
    # Fields of odd types are shown as text in the report.
    assert (
        run_newstrail(
            "report", "odd", *uri, "-o", str(tmp_path / "odd.html"), cwd=tmp_path
        ).returncode
        == 0
    )
    # A good collection works, to standard output.
    fine = run_newstrail("export", "good", *uri, "--format", "csv", cwd=tmp_path)
    assert fine.returncode == 0 and "https://a.example/1" in fine.stdout
