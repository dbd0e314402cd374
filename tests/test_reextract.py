"""``newstrail extract`` on hostile WARCs: every coding, bombs, files cut short or corrupt."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from pathlib import Path

from newstrail.storage.reextract import ExtractReport, records_from_warcs
from tests.slow_analysis import slow_analyse
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

# Runs a command and prints its peak RSS (bytes) on the last line of stderr.
_MEASURED = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024\n"
    "print(peak, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def extract(*warcs: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "newstrail"), "extract", *map(str, warcs)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def urls(stdout: str) -> list[str]:
    return [json.loads(line)["url"] for line in stdout.splitlines() if line.strip()]


def test_every_coding_is_extracted(encodings_warc: Path) -> None:
    report = ExtractReport()
    records = list(records_from_warcs([encodings_warc], report=report))
    assert sorted(r.url.rsplit("/", 1)[1] for r in records) == sorted(
        [*CODINGS, "x-gzip", "chain", "identity"]
    )
    assert all(r.title == "Troops leave the city" and "last troops" in r.text for r in records)
    assert report == ExtractReport()


def test_bombs_are_skipped_in_bounded_memory(bombs_warc: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", _MEASURED, str(BIN / "newstrail"), "extract", str(bombs_warc)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert urls(run.stdout) == ["https://news.example/before", "https://news.example/after"]
    peak = int(run.stderr.splitlines()[-1])
    assert peak < 300 << 20, f"peak RSS {peak >> 20} MiB"


def _ticker(paragraphs: int) -> bytes:
    """A live ticker: tens of thousands of short paragraphs after the article's own."""
    updates = b"".join(b"<p>%d: markets move on troop news.</p>" % i for i in range(paragraphs))
    return PAGE.replace(b"</article>", updates + b"</article>")


def test_a_page_over_the_caps_is_extracted_from_its_first_bytes(tmp_path: Path) -> None:
    """As in a crawl: a page over the decoding cap or the HTML cap gives the text of its
    first bytes, marked html-truncated, instead of nothing."""
    ticker = _ticker(300_000)  # about 12 MB
    path = write_warc(
        tmp_path,
        [
            ("https://news.example/ticker", "br", encode(ticker, "br")),
            ("https://news.example/page", "br", encode(PAGE, "br")),
        ],
    )
    report = ExtractReport()
    started = time.monotonic()
    records = list(records_from_warcs([path], report=report))
    took = time.monotonic() - started
    assert [r.url for r in records] == ["https://news.example/ticker", "https://news.example/page"]
    ticker_record, page_record = records
    assert "last troops" in ticker_record.text
    assert "html-truncated" in ticker_record.limits and page_record.limits == []
    assert (report.truncated, report.timed_out, report.problems) == (1, [], {})
    assert took < 60, f"{took:.1f} s"
    # Decoded only up to a cap: the page is still given, from what decoded.
    capped = list(records_from_warcs([path], report=ExtractReport(), max_bytes=len(PAGE)))
    assert "html-truncated" in capped[0].limits and capped[1].limits == []


def test_a_page_whose_analysis_never_ends_is_left_out_in_time(tmp_path: Path) -> None:
    """The analysis runs in a worker with a time limit: a page past it is left out and
    counted, its worker replaced, and the pages after it are extracted."""
    pages = [(f"https://news.example/{n}", "gzip", encode(PAGE, "gzip")) for n in range(4)]
    pages.insert(1, ("https://news.example/stuck?slow", "gzip", encode(PAGE, "gzip")))
    path = write_warc(tmp_path, pages)
    report = ExtractReport()
    started = time.monotonic()
    records = list(
        records_from_warcs([path], report=report, timeout=3.0, workers=1, task=slow_analyse)
    )
    took = time.monotonic() - started
    assert [r.url for r in records] == [f"https://news.example/{n}" for n in range(4)]
    assert report.timed_out == ["https://news.example/stuck?slow"]
    assert took < 3.0 + 30, f"{took:.1f} s"


def test_extract_tells_the_limits_it_met_and_exits_0(tmp_path: Path) -> None:
    path = write_warc(
        tmp_path,
        [
            ("https://news.example/ticker", "gzip", encode(_ticker(50_000), "gzip")),
            ("https://news.example/page", "gzip", encode(PAGE, "gzip")),
        ],
    )
    run = extract(path)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert "html-truncated" in records[0]["limits"] and records[1]["limits"] == []
    assert "1 page(s) extracted from their first bytes (html-truncated)" in run.stderr


def test_a_file_cut_short_gives_its_whole_records_a_warning_and_status_1(
    encodings_warc: Path, tmp_path: Path
) -> None:
    whole = [json.loads(line) for line in extract(encodings_warc).stdout.splitlines()]
    last = max(whole, key=lambda r: r["warc_record_offset"])
    cut = tmp_path / encodings_warc.name
    # Cut in the middle of the last response record.
    cut.write_bytes(encodings_warc.read_bytes()[: last["warc_record_offset"] + 100])
    run = extract(cut)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert sorted(urls(run.stdout)) == sorted(r["url"] for r in whole if r is not last)
    [warning] = [line for line in run.stderr.splitlines() if "warning" in line]
    offset = last["warc_record_offset"]
    assert warning == f"newstrail: warning: {cut}: cut short in the record at offset {offset}"


def test_a_corrupt_file_is_shown_as_a_literal(encodings_warc: Path, tmp_path: Path) -> None:
    data = encodings_warc.read_bytes()
    garbage = b"\x00\x1b[2J\x1b]0;pwned\x07" + bytes(range(256)) * 4
    first = min(
        json.loads(line)["warc_record_offset"]
        for line in extract(encodings_warc).stdout.splitlines()
    )
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(data[:first] + garbage + data[first:])
    run = extract(bad, encodings_warc)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    # Every record of the good file, and none of the bad one past the garbage.
    assert len(urls(run.stdout)) == 7
    [warning] = [line for line in run.stderr.splitlines() if "warning" in line]
    assert warning.startswith(f"newstrail: warning: {bad}: no valid WARC record at offset {first}")
    assert "b'\\x00\\x1b[2J\\x1b]0;pwned\\x07\\x00\\x01" in warning
    assert len(warning) < 300
    assert not any(ch in run.stderr for ch in "\x00\x1b\x07")


def test_an_uncompressed_warc_cut_short_is_told_too(encodings_warc: Path, tmp_path: Path) -> None:
    plain = gzip.decompress(encodings_warc.read_bytes())
    whole = tmp_path / "whole.warc"
    whole.write_bytes(plain)
    cut = tmp_path / "cut.warc"
    cut.write_bytes(plain[:-300])
    report = ExtractReport()
    assert len(list(records_from_warcs([whole], report=report))) == 7
    assert report.problems == {}
    records = list(records_from_warcs([cut], report=report))
    assert len(records) == 6
    [problem] = report.problems.values()
    assert problem.startswith(f"{cut}: cut short in the record at offset ")
