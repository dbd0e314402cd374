"""JSONL(.gz) text records: written a record at a time, read back from streams."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from newstrail.errors import StoreError
from newstrail.records import TextRecord
from newstrail.storage import TextRecordWriter, read_text_records


def record(n: int) -> TextRecord:
    return TextRecord(
        url=f"https://example.org/{n}",
        canonical_url=f"https://example.org/{n}",
        title=f"Troops {n} \u2014 « withdrawal »",
        author=None,
        date="2024-05-01",
        sitename="Example",
        language="en",
        text="Line one.\nLine two with \u2028 separator.",
        relevance=0.5 + n / 100,
        related=True,
        matched_terms=["troops", "iraq"],
        warc_filename="test-20240501120000-00000.warc.gz",
        warc_record_offset=1000 * n,
        warc_record_id=f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>",
        text_sha256="0" * 64,
        fetched_at="2024-05-01T12:00:00Z",
        extra={"hop": n},
    )


RECORDS = [record(n) for n in range(5)]


@pytest.mark.parametrize("name", ["records.jsonl", "records.jsonl.gz"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with TextRecordWriter(path) as writer:
        for r in RECORDS:
            writer.write(r)
    assert writer.count == 5

    with open(path, "rb") as fh:
        assert list(read_text_records(fh)) == RECORDS
    if name.endswith(".gz"):
        assert path.read_bytes()[:2] == b"\x1f\x8b"
        assert len(gzip.decompress(path.read_bytes()).splitlines()) == 5
    else:
        assert len(path.read_bytes().splitlines()) == 5  # one record a line


@pytest.mark.parametrize("name", ["records.jsonl", "records.jsonl.gz"])
def test_each_record_is_readable_as_soon_as_written(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    writer = TextRecordWriter(path)
    for n, r in enumerate(RECORDS, 1):
        writer.write(r)
        # Read while the writer is still open, as after a crash.
        with open(path, "rb") as fh:
            assert list(read_text_records(fh)) == RECORDS[:n]
    writer.close()


@pytest.mark.parametrize("compress", [False, True])
def test_cut_short_last_record(compress: bool) -> None:
    out = io.BytesIO()
    writer = TextRecordWriter(out, compress=compress)
    for r in RECORDS[:2]:
        writer.write(r)
    two = len(out.getvalue())
    writer.write(RECORDS[2])
    data = out.getvalue()
    cut = data[: (two + len(data)) // 2]  # a crash in the middle of the third record

    with pytest.raises(StoreError, match="cut short") as err:
        list(read_text_records(io.BytesIO(cut)))
    assert "\n" not in str(err.value)
    assert list(read_text_records(io.BytesIO(cut), allow_truncated=True)) == RECORDS[:2]


def test_append_keeps_a_valid_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl.gz"
    with TextRecordWriter(path) as writer:
        writer.write(RECORDS[0])
    with TextRecordWriter(path, append=True) as writer:
        writer.write(RECORDS[1])
    with open(path, "rb") as fh:
        assert list(read_text_records(fh)) == RECORDS[:2]


def test_writer_leaves_a_given_stream_open() -> None:
    out = io.BytesIO()
    with TextRecordWriter(out) as writer:
        writer.write(RECORDS[0])
    assert not out.closed
    assert out.getvalue().endswith(b"\n")


def test_reader_handles_blank_lines_missing_final_newline_and_explicit_format() -> None:
    lines = [r.to_json().encode() for r in RECORDS[:2]]
    data = lines[0] + b"\n\n" + lines[1]
    assert list(read_text_records(io.BytesIO(data))) == RECORDS[:2]
    assert list(read_text_records(io.BytesIO(gzip.compress(data)), compressed=True)) == RECORDS[:2]
    assert list(read_text_records(io.BytesIO(b""))) == []


def test_malformed_lines_name_their_line_number() -> None:
    good = RECORDS[0].to_json().encode()
    with pytest.raises(StoreError, match="line 2"):
        list(read_text_records(io.BytesIO(good + b"\n[1, 2]\n")))
    with pytest.raises(StoreError, match="line 1"):
        list(read_text_records(io.BytesIO(b'{"url": "x"}\n')))


def test_unwritable_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot write"):
        TextRecordWriter(blocker / "records.jsonl")


def test_records_are_sorted_with_a_bounded_number_in_memory(tmp_path: Path) -> None:
    from newstrail.storage.corpus import sort_text_records

    records = [record(n) for n in (7, 3, 9, 1, 8, 2, 6, 0, 5, 4)]
    for r in records:
        r.fetched_at = f"2024-05-01T12:00:{r.warc_record_offset // 1000:02d}Z"
    made: list[int] = []

    def source() -> Iterator[TextRecord]:
        for r in records:
            # Runs of three are written as the records come: never more than three held.
            made.append(len(list((tmp_path / "runs").glob("run-*"))))
            yield r

    out = sort_text_records(
        source(), lambda r: (r.fetched_at, r.url), tmp_path / "runs", run_size=3
    )
    first = next(out)
    assert made == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]
    assert len(list((tmp_path / "runs").iterdir())) == 4
    rest = list(out)
    assert [r.url for r in [first, *rest]] == [f"https://example.org/{n}" for n in range(10)]
    assert [r.to_dict() for r in [first, *rest]] == [
        r.to_dict() for r in sorted(records, key=lambda r: r.fetched_at)
    ]
    assert list((tmp_path / "runs").iterdir()) == []  # the runs are removed


def test_sorted_cdxj_indexes_merge_line_by_line(tmp_path: Path) -> None:
    from newstrail.storage.cdxj import merge_cdxj, merge_cdxj_files

    a = [b"org,example)/a 20240101000000 {}\n", b"org,example)/c 20240101000000 {}\n"]
    b = [b"org,example)/a 20230101000000 {}\n", b"org,example)/b 20240101000000 {}"]
    out = io.BytesIO()
    assert merge_cdxj([iter(a), iter(b)], out) == 4
    assert out.getvalue().splitlines() == sorted(line.rstrip(b"\n") for line in a + b)
    for name, lines in (("a", a), ("b", b)):
        (tmp_path / f"{name}.cdxj").write_bytes(b"".join(lines))
    merged = tmp_path / "index.cdxj"
    assert merge_cdxj_files([tmp_path / "a.cdxj", tmp_path / "b.cdxj"], merged) == 4
    assert merged.read_bytes() == out.getvalue()


def test_a_records_json_is_its_dict_as_json() -> None:
    # to_json skips to_dict's deep copy: the same JSON, extra fields last.
    import dataclasses
    import json

    extra = {"story_id": "00ff", "chain": ["http://a/", "http://b/"], "hop": 2}
    record = dataclasses.replace(RECORDS[0], extra=extra)
    assert record.to_json() == json.dumps(record.to_dict(), ensure_ascii=False)
    assert TextRecord.from_dict(json.loads(record.to_json())) == record
