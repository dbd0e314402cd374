"""Crawls into a real radosgw: byte-identical downloads, secrets kept out, interrupted uploads."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from newstrail.config import Environment
from newstrail.errors import NewstrailError
from newstrail.flows.steps import (
    crawl_direct,
    plan_crawl,
    preflight_store,
    resume_crawl,
    run_crawler,
)
from newstrail.newsweb import NewsWebServer
from newstrail.seeds import SeedSet
from newstrail.storage import STORE_SCHEMES, open_store
from newstrail.storage.captures import CAPTURES_NAME, read_captures
from newstrail.storage.corpus import read_text_records
from newstrail.storage.download import download, plan_download
from newstrail.storage.manifest import read_manifest
from newstrail.storage.s3 import S3Store
from tests.s3_fixtures import S3Server

BIN = Path(sys.executable).parent
#: What writes data into the bucket (CopyObject only rewrites metadata in place).
UPLOADS = {"PutObject", "CreateMultipartUpload", "UploadPart"}


@pytest.fixture
def s3_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(operation, key) of every S3 request the stores of this process make."""
    calls: list[tuple[str, str]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, str(params.get("Key", ""))))

    def factory(uri: str) -> S3Store:
        store = S3Store.from_uri(uri)
        store.client.meta.events.register("before-parameter-build.s3", record)
        return store

    monkeypatch.setitem(STORE_SCHEMES, "s3", factory)
    return calls


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "NEWSTRAIL_WORKDIR": str(tmp_path / "work")}
    env.pop("PREFECT_API_URL", None)
    return env


def stored_objects(s3: S3Server, bucket: str, prefix: str) -> dict[str, dict[str, Any]]:
    client = s3.client()
    found: dict[str, dict[str, Any]] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            found[entry["Key"]] = entry
    return found


def test_crawl_into_s3_then_download_gives_byte_identical_files(
    s3_bucket: str,
    s3_env: S3Server,
    newsweb: NewsWebServer,
    default_seeds: SeedSet,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    store_uri = f"s3://{s3_bucket}/archive"
    summary = crawl_direct(
        default_seeds.with_urls(newsweb.seed_urls),
        store=store_uri,
        collection="s3demo",
        budget=40,
        allow_private=True,
        download_delay=0.0,
        warc_max_size=150_000,
        # Everything the crawler and botocore log, so that the check below means something.
        log_level="DEBUG",
        env=Environment(store=store_uri, workdir=tmp_path / "work"),
    )
    crawl_id = summary["crawl_id"]
    assert summary["location"] == f"{store_uri}/s3demo/{crawl_id}"
    assert not (tmp_path / "work" / "s3demo").exists()  # staging cleared once stored

    listing = subprocess.run(
        [str(BIN / "newstrail"), "ls", "--store", store_uri],
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"s3demo\t{crawl_id}" in listing.stdout and "\tcomplete" in listing.stdout

    dest = tmp_path / "copy"
    args = ["download", "s3demo", "--store", store_uri, "--to", str(dest)]
    first = subprocess.run(
        [str(BIN / "newstrail"), *args], env=cli_env(tmp_path), capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""  # no progress bar off a terminal

    manifest = read_manifest(open_store(store_uri), "s3demo", crawl_id)
    assert manifest.finish_reason == summary["finish_reason"] != ""
    warcs = [o for o in manifest.objects if o.key.startswith("warc/")]
    assert len(warcs) >= 2, "the crawl should have rolled over to several WARC files"
    client = s3_env.client()
    crawl_dir = dest / "s3demo" / crawl_id
    for obj in manifest.objects:
        local = (crawl_dir / obj.key).read_bytes()
        assert hashlib.sha256(local).hexdigest() == obj.sha256
        remote = client.get_object(Bucket=s3_bucket, Key=f"archive/s3demo/{crawl_id}/{obj.key}")
        assert remote["Body"].read() == local
    manifest_key = f"archive/s3demo/{crawl_id}/manifest.json"
    stored_manifest = client.get_object(Bucket=s3_bucket, Key=manifest_key)["Body"].read()
    assert (crawl_dir / "manifest.json").read_bytes() == stored_manifest
    downloaded = sorted(p.relative_to(crawl_dir).as_posix() for p in crawl_dir.rglob("*.*"))
    assert downloaded == sorted([*(o.key for o in manifest.objects), "manifest.json"])
    check = subprocess.run(
        [str(BIN / "warcio"), "check", *(str(crawl_dir / o.key) for o in warcs)],
        capture_output=True,
    )
    assert check.returncode == 0, check.stdout

    again = subprocess.run(
        [str(BIN / "newstrail"), *args], env=cli_env(tmp_path), capture_output=True, text=True
    )
    assert again.returncode == 0
    assert f"0 file(s) downloaded (0 B), {len(manifest.objects)} already present" in again.stdout

    # The keys never reach what the crawl wrote, nor what anything logged.
    out, err = capfd.readouterr()
    texts = [out, err, first.stdout, listing.stdout, stored_manifest.decode()]
    for obj in manifest.objects:
        raw = (crawl_dir / obj.key).read_bytes()
        texts.append((gzip.decompress(raw) if obj.key.endswith(".gz") else raw).decode("latin-1"))
    everything = "\n".join(texts)
    assert "Crawled (200)" in everything  # the DEBUG log was captured
    assert s3_env.secret_key not in everything
    assert s3_env.access_key not in everything


def test_resume_after_the_crawler_was_killed(
    s3_bucket: str,
    s3_env: S3Server,
    s3_calls: list[tuple[str, str]],
    newsweb: NewsWebServer,
    default_seeds: SeedSet,
    tmp_path: Path,
) -> None:
    """Resume stores what a killed crawler archived, never fetches again, says 'interrupted'."""
    store_uri = f"s3://{s3_bucket}/k"
    env = Environment(store=store_uri, workdir=tmp_path / "work")
    config = plan_crawl(
        default_seeds.with_urls(newsweb.seed_urls),
        store=store_uri,
        collection="killed",
        budget=300,
        allow_private=True,
        download_delay=0.0,
        warc_max_size=60_000,
        env=env,
    )
    preflight_store(config)
    failure: list[BaseException] = []

    def crawl() -> None:
        try:
            run_crawler(config)
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=crawl)
    thread.start()
    prefix = f"k/killed/{config.crawl_id}/"
    deadline = time.monotonic() + 90
    while not stored_objects(s3_env, s3_bucket, prefix + "warc/"):
        assert thread.is_alive() and time.monotonic() < deadline, "no WARC file was stored"
        time.sleep(0.1)
    with pytest.raises(NewstrailError, match="still running"):
        resume_crawl(f"killed/{config.crawl_id}", env=env)  # the crawler holds its folder
    pid = int((config.crawl_workdir / "crawler.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    thread.join(60)
    assert failure and isinstance(failure[0], NewstrailError)
    assert f"--resume killed/{config.crawl_id}" in str(failure[0])
    assert not (config.crawl_workdir / "summary.json").exists()
    before = stored_objects(s3_env, s3_bucket, prefix)
    assert not any(key.endswith("manifest.json") for key in before)

    newsweb.reset_log()
    s3_calls.clear()
    summary = resume_crawl(f"killed/{config.crawl_id}", env=env)
    assert newsweb.request_log == []  # nothing fetched again
    assert summary["finish_reason"] == "interrupted"
    reuploaded = [(op, key) for op, key in s3_calls if op in UPLOADS and key in before]
    assert reuploaded == []
    assert any(op == "PutObject" and key.endswith("index/index.cdxj") for op, key in s3_calls)

    store = open_store(store_uri)
    manifest = read_manifest(store, "killed", config.crawl_id)
    assert manifest.finish_reason == "interrupted"
    assert manifest.counts["articles"] > 0
    after = stored_objects(s3_env, s3_bucket, prefix)
    for key, entry in before.items():
        assert after[key]["ETag"] == entry["ETag"]  # untouched
    assert not config.crawl_workdir.exists()

    # What was stored is consistent: every text record points into a stored WARC file.
    plan = plan_download(store, "killed")
    assert download(store, plan, tmp_path / "copy").failures == []
    crawl_dir = tmp_path / "copy" / "killed" / config.crawl_id
    sizes = {o.key.removeprefix("warc/"): o.size for o in manifest.objects if "warc/" in o.key}
    with (crawl_dir / "text" / f"{config.crawl_id}.jsonl.gz").open("rb") as fh:
        records = list(read_text_records(fh))
    assert len(records) == manifest.counts["articles"]
    for record in records:
        assert record.warc_record_offset < sizes[record.warc_filename]
    # ... and so does every capture a later re-crawl will rely on.
    with (crawl_dir / "index" / CAPTURES_NAME).open("rb") as fh:
        captures = list(read_captures(fh))
    assert len(captures) >= len(records)
    for capture in captures:
        assert capture.offset < sizes[capture.filename]
    check = subprocess.run(
        [str(BIN / "warcio"), "check", *map(str, (crawl_dir / "warc").iterdir())],
        capture_output=True,
    )
    assert check.returncode == 0, check.stdout
    listing = subprocess.run(
        [str(BIN / "newstrail"), "ls", "--store", store_uri],
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    assert "\tinterrupted" in listing.stdout

    # Once done there is nothing left to resume.
    with pytest.raises(NewstrailError, match="no staging folder"):
        resume_crawl(f"killed/{config.crawl_id}", env=env)


def _staged_crawl(
    tmp_path: Path, store_uri: str, seeds: SeedSet, files: dict[str, bytes]
) -> tuple[Environment, str]:
    """A crawl whose crawler finished but whose upload has not started."""
    env = Environment(store=store_uri, workdir=tmp_path / "work")
    config = plan_crawl(
        seeds, store=store_uri, collection="staged", crawl_id="20260102T030405Z-abc123", env=env
    )
    for key, data in files.items():
        path = config.crawl_workdir / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (config.crawl_workdir / "job.json").write_text(json.dumps(config.to_dict()))
    config.summary_path.write_text(
        json.dumps(
            {
                "collection": "staged",
                "crawl_id": config.crawl_id,
                "finish_reason": "finished",
                "started": "2026-01-02T03:04:05Z",
                "finished": "2026-01-02T03:14:05Z",
                "counts": {"pages": 3},
            }
        )
    )
    return env, config.crawl_id


def test_an_upload_killed_midway_resumes_without_uploading_finished_objects(
    s3_bucket: str,
    s3_env: S3Server,
    s3_calls: list[tuple[str, str]],
    default_seeds: SeedSet,
    tmp_path: Path,
) -> None:
    store_uri = f"s3://{s3_bucket}/m"
    big = os.urandom(48 * 1024 * 1024)
    files = {
        "warc/a-00000.warc.gz": os.urandom(300_000),
        "warc/a-00001.warc.gz": os.urandom(200_000),
        "warc/z-00002.warc.gz": big,
        "text/20260102T030405Z-abc123.jsonl.gz": gzip.compress(b""),
    }
    env, crawl_id = _staged_crawl(tmp_path, store_uri, default_seeds, files)
    prefix = f"m/staged/{crawl_id}/"
    client = s3_env.client()
    proc = subprocess.Popen(
        [str(BIN / "newstrail"), "crawl", "--resume", f"staged/{crawl_id}"],
        env={
            **cli_env(tmp_path),
            # Small parts, one at a time: the big file's upload lasts long enough to kill.
            "NEWSTRAIL_S3_PART_SIZE": str(5 * 1024 * 1024),
            "NEWSTRAIL_S3_CONCURRENCY": "1",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None and time.monotonic() < deadline, "the big upload was missed"
        uploads = client.list_multipart_uploads(Bucket=s3_bucket, Prefix=prefix).get("Uploads")
        if uploads:
            parts = client.list_parts(
                Bucket=s3_bucket, Key=uploads[0]["Key"], UploadId=uploads[0]["UploadId"]
            )
            if parts.get("Parts"):
                break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = stored_objects(s3_env, s3_bucket, prefix)
    assert sorted(before) == [prefix + "warc/a-00000.warc.gz", prefix + "warc/a-00001.warc.gz"]
    assert client.list_multipart_uploads(Bucket=s3_bucket, Prefix=prefix).get("Uploads")

    s3_calls.clear()
    summary = resume_crawl(f"staged/{crawl_id}", env=env)
    assert summary["finish_reason"] == "finished"
    written = {key for op, key in s3_calls if op in UPLOADS}
    assert not written & set(before)
    assert {
        prefix + "manifest.json",
        prefix + "text/20260102T030405Z-abc123.jsonl.gz",
        prefix + "warc/z-00002.warc.gz",
    } <= written
    # The killed upload's parts were discarded, not left to be billed.
    assert not client.list_multipart_uploads(Bucket=s3_bucket, Prefix=prefix).get("Uploads")

    store = open_store(store_uri)
    result = download(store, plan_download(store, "staged"), tmp_path / "copy")
    assert result.failures == [] and result.downloaded >= 4
    for key, data in files.items():
        assert (tmp_path / "copy" / "staged" / crawl_id / key).read_bytes() == data


def test_a_retried_flow_finishes_the_upload_instead_of_crawling_again(
    s3_bucket: str,
    s3_env: S3Server,
    default_seeds: SeedSet,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """crawl_coverage with the crawl id of a staged crawl (what a retried flow run has)."""
    from newstrail.flows.crawl import crawl_coverage

    store_uri = f"s3://{s3_bucket}/f"
    files = {"warc/a-00000.warc.gz": b"warc bytes", "index/index.cdxj": b""}
    _, crawl_id = _staged_crawl(tmp_path, store_uri, default_seeds, files)
    (tmp_path / "work" / "staged" / crawl_id / "index" / "index.cdxj").rename(
        tmp_path / "work" / "staged" / crawl_id / "index.cdxj"
    )
    monkeypatch.setenv("NEWSTRAIL_WORKDIR", str(tmp_path / "work"))
    # The seeds are on the internet, unreachable here: a crawl would fail, a resume does not.
    result = crawl_coverage.fn(
        seeds=default_seeds.to_dict(), store=store_uri, collection="staged", crawl_id=crawl_id
    )
    assert result["crawl_id"] == crawl_id
    manifest = read_manifest(open_store(store_uri), "staged", crawl_id)
    keys = {o.key for o in manifest.objects}
    assert {"index/index.cdxj", "warc/a-00000.warc.gz"} <= keys
