"""``newstrail download`` from a real radosgw: verification, resuming, merging, path safety."""

from __future__ import annotations

import gzip
import io
import json
import os
import pty
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newstrail.errors import NewstrailError, StoreError
from newstrail.records import TextRecord
from newstrail.storage import open_store
from newstrail.storage.base import TEMP_PREFIX, ObjectInfo, Store
from newstrail.storage.corpus import TextRecordWriter
from newstrail.storage.download import download, plan_download, safe_path
from newstrail.storage.manifest import Manifest, write_manifest
from tests.conftest import one_line_error, run_newstrail
from tests.s3_fixtures import S3Server

BIN = Path(sys.executable).parent
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def record(url: str, fetched_at: str, text: str) -> TextRecord:
    return TextRecord(
        url=url,
        canonical_url=url,
        title=text[:20],
        author=None,
        date=None,
        sitename=None,
        language="en",
        text=text,
        relevance=0.5,
        related=True,
        matched_terms=["iraq"],
        warc_filename="x.warc.gz",
        warc_record_offset=0,
        warc_record_id="<urn:uuid:0>",
        text_sha256="0" * 64,
        fetched_at=fetched_at,
    )


def text_file(records: list[TextRecord]) -> bytes:
    out = io.BytesIO()
    writer = TextRecordWriter(out, compress=True)
    for r in records:
        writer.write(r)
    return out.getvalue()


def make_crawl(
    store: Store, collection: str, crawl_id: str, started: datetime, files: dict[str, bytes]
) -> Manifest:
    objects = []
    for key, data in files.items():
        info = store.put(f"{collection}/{crawl_id}/{key}", io.BytesIO(data))
        objects.append(ObjectInfo(key, info.size, info.sha256))
    manifest = Manifest(
        collection=collection,
        crawl_id=crawl_id,
        started=started,
        finished=started + timedelta(minutes=5),
        software="newstrail/test",
        seed_set="test",
        objects=objects,
    )
    write_manifest(store, manifest)
    return manifest


@pytest.fixture
def two_crawls(s3_bucket: str, s3_env: S3Server) -> tuple[str, Store]:
    """Two complete crawls of ``news`` and an incomplete third, in s3://BUCKET/store."""
    uri = f"s3://{s3_bucket}/store"
    store = open_store(uri)
    make_crawl(
        store,
        "news",
        "c1",
        T0,
        {
            "warc/c1.warc.gz": b"old warc",
            "text/c1.jsonl.gz": text_file(
                [
                    record("https://a.example/1", "2026-03-01T12:00:00Z", "a1 first capture"),
                    # Fetched later than c2's capture of the same page, though in an older crawl.
                    record("https://a.example/2", "2026-03-09T00:00:00Z", "a2 latest capture"),
                ]
            ),
            "index/index.cdxj": b"old index\n",
        },
    )
    make_crawl(
        store,
        "news",
        "c2",
        T0 + timedelta(days=7),
        {
            "warc/c2.warc.gz": b"new warc",
            "text/c2.jsonl.gz": text_file(
                [
                    record("https://a.example/1", "2026-03-08T12:00:00Z", "a1 latest capture"),
                    record("https://a.example/2", "2026-03-08T12:00:00Z", "a2 older capture"),
                    record("https://b.example/3", "2026-03-08T12:00:01Z", "b3 only capture"),
                ]
            ),
            "index/index.cdxj": b"new index\n",
        },
    )
    store.put("news/c3/warc/partial.warc.gz", io.BytesIO(b"no manifest yet"))
    return uri, store


def test_download_everything_then_resume_after_local_damage(
    two_crawls: tuple[str, Store], tmp_path: Path
) -> None:
    uri, _ = two_crawls
    dest = tmp_path / "dl"
    result = run_newstrail("download", "news", "--store", uri, "--to", str(dest), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 crawl(s) of news" in result.stdout and "6 file(s) downloaded" in result.stdout
    assert "1 incomplete crawl(s) left out" in result.stdout
    assert (dest / "news/c1/warc/c1.warc.gz").read_bytes() == b"old warc"
    assert json.loads((dest / "news/c2/manifest.json").read_text())["crawl_id"] == "c2"
    assert not (dest / "news/c3").exists()

    (dest / "news/c1/warc/c1.warc.gz").write_bytes(b"bit rot")
    (dest / "news/c2/index/index.cdxj").unlink()
    again = run_newstrail(
        "download", "news", "--store", uri, "--to", str(dest), "--quiet", cwd=tmp_path
    )
    assert again.returncode == 0 and again.stdout == "" and again.stderr == ""
    assert (dest / "news/c1/warc/c1.warc.gz").read_bytes() == b"old warc"
    assert (dest / "news/c2/index/index.cdxj").read_bytes() == b"new index\n"
    store = open_store(uri)
    third = download(store, plan_download(store, "news"), dest)
    assert (third.downloaded, third.skipped) == (0, 6)

    # A download killed midway leaves its temporary copies (and the store's, inside
    # them) beside the files; the next run removes them, and nothing else.
    warc = dest / "news/c1/warc"
    killed = [
        warc / f"{TEMP_PREFIX}0123456789abcdef-c1.warc.gz",
        warc / f"{TEMP_PREFIX}fedcba9876543210-{TEMP_PREFIX}00112233aabbccdd-c1.warc.gz",
        dest / f"news/c2/{TEMP_PREFIX}0123456789abcdef-manifest.json",
    ]
    kept = [warc / f"{TEMP_PREFIX}notes.txt", warc / f"{TEMP_PREFIX}0123456789abcdef-other.gz"]
    for path in [*killed, *kept]:
        path.write_bytes(b"x" * 1000)
    fourth = run_newstrail(
        "download", "news", "--store", uri, "--to", str(dest), "--quiet", cwd=tmp_path
    )
    assert fourth.returncode == 0, fourth.stderr
    assert not any(p.exists() for p in killed)
    assert all(p.exists() for p in kept)


def test_selecting_crawls_and_kinds(two_crawls: tuple[str, Store], tmp_path: Path) -> None:
    uri, store = two_crawls
    plan = plan_download(store, "news", only=["text"])
    assert [i.key for i in plan.items] == ["text/c1.jsonl.gz", "text/c2.jsonl.gz"]
    plan = plan_download(store, "news", since=T0 + timedelta(days=1))
    assert [m.crawl_id for m in plan.manifests] == ["c2"]
    assert plan_download(store, "news", crawl_id="c1").manifests[0].crawl_id == "c1"

    incomplete = run_newstrail(
        "download", "news", "--crawl", "c3", "--store", uri, "--to", "x", cwd=tmp_path
    )
    assert "news/c3" in one_line_error(incomplete) and "not complete" in incomplete.stderr
    assert plan_download(store, "sport").manifests == []
    with pytest.raises(NewstrailError, match=r"unknown kind\(s\) pdf"):
        plan_download(store, "news", only=["pdf"])


def test_merge_keeps_the_latest_capture_of_each_canonical_url(
    two_crawls: tuple[str, Store], tmp_path: Path
) -> None:
    uri, _ = two_crawls
    dest = tmp_path / "dl"
    args = ["download", "news", "--only", "text", "--merge", "--store", uri, "--to", str(dest)]
    result = run_newstrail(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (dest / "news/c1/warc").exists()
    lines = (dest / "news/corpus.jsonl").read_text().splitlines()
    merged = {r["canonical_url"]: r["text"] for r in map(json.loads, lines)}
    assert merged == {
        "https://a.example/1": "a1 latest capture",
        "https://a.example/2": "a2 latest capture",
        "https://b.example/3": "b3 only capture",
    }
    assert "3 records merged" in result.stdout


@pytest.mark.parametrize("keep_metadata", [True, False], ids=["sha-metadata-kept", "no-metadata"])
def test_a_corrupted_object_fails_the_download_and_is_not_kept(
    two_crawls: tuple[str, Store],
    s3_bucket: str,
    s3_env: S3Server,
    tmp_path: Path,
    keep_metadata: bool,
) -> None:
    uri, _ = two_crawls
    key = "store/news/c2/warc/c2.warc.gz"
    client = s3_env.client()
    recorded = client.head_object(Bucket=s3_bucket, Key=key)["Metadata"]
    # Same length, other bytes: only a checksum can tell.
    client.put_object(
        Bucket=s3_bucket, Key=key, Body=b"bad warc", Metadata=recorded if keep_metadata else {}
    )
    dest = tmp_path / "dl"
    result = run_newstrail("download", "news", "--store", uri, "--to", str(dest), cwd=tmp_path)
    line = one_line_error(result)
    assert "failed verification" in line and "news/c2/warc/c2.warc.gz" in line and uri in line
    assert not (dest / "news/c2/warc/c2.warc.gz").exists()
    assert not (dest / "news/c2/manifest.json").exists()  # the crawl is not vouched for
    assert (dest / "news/c1/manifest.json").exists()  # the good crawl is complete
    assert (dest / "news/c2/text/c2.jsonl.gz").exists()
    leftovers = [p for p in dest.rglob("*") if p.name.startswith(".newstrail-tmp-")]
    assert leftovers == []


def test_keys_cannot_lead_outside_the_folder(
    two_crawls: tuple[str, Store], s3_bucket: str, s3_env: S3Server, tmp_path: Path
) -> None:
    uri, store = two_crawls
    client = s3_env.client()
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dl"

    # A manifest naming keys that climb out, or are absolute.
    for n, bad in enumerate(("../../../outside/evil", "/tmp/evil", "warc/../../evil")):
        manifest = {
            "manifest_version": 1,
            "collection": "evil",
            "crawl_id": "c1",
            "started": "2026-01-01T00:00:00Z",
            "finished": "2026-01-01T00:00:00Z",
            "software": "x",
            "software_version": "0",
            "seed_set": "x",
            "objects": [{"key": bad, "size": 4, "sha256": "0" * 64}],
        }
        client.put_object(
            Bucket=s3_bucket, Key="store/evil/c1/manifest.json", Body=json.dumps(manifest).encode()
        )
        if n == 0:
            result = run_newstrail(
                "download", "evil", "--store", uri, "--to", str(dest), cwd=tmp_path
            )
            assert "invalid object key" in one_line_error(result)
        with pytest.raises(StoreError, match="invalid object key"):
            plan_download(store, "evil")
    assert list(outside.iterdir()) == [] and not (tmp_path / "evil").exists()
    assert not Path("/tmp/evil").exists()

    # A symbolic link planted in the download folder is not followed.
    (dest / "news/c1").mkdir(parents=True)
    (dest / "news/c1/warc").symlink_to(outside)
    with pytest.raises(StoreError, match="symbolic link"):
        download(store, plan_download(store, "news", crawl_id="c1"), dest)
    assert list(outside.iterdir()) == []

    for parts in (["..", "x"], ["a", "../b"], ["/abs"], ["a", ""], ["a/b"]):
        with pytest.raises(StoreError, match="refusing"):
            safe_path(dest, parts)


def test_progress_bar_only_on_a_terminal(two_crawls: tuple[str, Store], tmp_path: Path) -> None:
    uri, store = two_crawls
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    proc = subprocess.Popen(
        [str(BIN / "newstrail"), "download", "news", "--store", uri, "--to", str(tmp_path / "dl")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    proc.wait(60)
    os.close(leader)
    assert proc.returncode == 0
    assert b"news" in shown and b"B/s" in shown  # bytes, speed and time left
    assert b"\x1b[" in shown

    plan = plan_download(store, "news")
    seen: list[int] = []
    download(store, plan, tmp_path / "api", progress=seen.append)
    assert sum(seen) == plan.total_bytes


def test_merge_output_is_plain_jsonl(two_crawls: tuple[str, Store], tmp_path: Path) -> None:
    from newstrail.storage.download import merge_corpus

    first = tmp_path / "a.jsonl.gz"
    first.write_bytes(text_file([record("https://x/1", "2026-01-01T00:00:00Z", "one")]))
    second = tmp_path / "b.jsonl"
    second.write_bytes(gzip.decompress(text_file([record("https://x/1", "", "undated")])))
    out = tmp_path / "corpus.jsonl"
    assert merge_corpus([first, second], out) == 1
    assert json.loads(out.read_text())["text"] == "one"  # a capture without a date is older
