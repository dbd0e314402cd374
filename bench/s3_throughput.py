"""S3 throughput of the Store next to plain boto3, against the same server in one run.

Writes a WARC file of about ``--size`` MB (gzip-per-record response records with
HTML-like bodies), then uploads and downloads it through ``S3Store`` (streaming
multipart upload with the file's SHA-256 in its metadata, every request signed over
its payload's SHA-256, verification; ranged parallel download hashing SHA-256) and
through boto3's ``upload_file``/``download_file`` with their default settings, taking
turns, and prints the median MB/s of each and their ratio. The store's upload is
timed twice: as a crawl stores its WARC files (their writer hashed them as it wrote
them) and for a file whose SHA-256 must first be read out of it.

    .venv/bin/python bench/s3_throughput.py            # starts a throwaway radosgw
    .venv/bin/python bench/s3_throughput.py --endpoint http://127.0.0.1:7480  # AWS_* keys set

(Not named bench/storage.py: run as a script, that name would hide the storage package
from every script in bench/.)
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import boto3

from newstrail.storage.s3 import S3Settings, S3Store
from newstrail.storage.staging import file_sha256
from newstrail.storage.warc import RollingWarcWriter

ROOT = Path(__file__).resolve().parent.parent
MB = 1_000_000


def make_warc(folder: Path, size: int) -> tuple[Path, str]:
    """A WARC file of at least ``size`` bytes, like a crawl's (compressible HTML bodies),
    and its SHA-256 as its writer computed it while writing."""
    rng = random.Random(7)
    words = [base64.b32encode(rng.randbytes(5)).decode().lower() for _ in range(5000)]
    paragraphs = [" ".join(rng.choices(words, k=400)).encode() for _ in range(500)]
    clock = iter(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=i) for i in range(10**7))
    with RollingWarcWriter(folder, "bench", max_size=size * 2, clock=lambda: next(clock)) as writer:
        n = 0
        while True:
            body = b"</p><p>".join(rng.choices(paragraphs, k=50))
            html = b"<html><body><article><p>" + body + b"</p></article></body></html>"
            writer.write_exchange(
                f"https://news.example/article/{n}",
                method="GET",
                request_headers=[("Host", "news.example")],
                status=200,
                reason="OK",
                response_headers=[("Content-Type", "text/html; charset=utf-8")],
                response_body=html,
            )
            n += 1
            path = writer.current_path
            if path is not None and path.stat().st_size >= size:
                break
    (warc,) = writer.files
    sha256 = writer.sha256(warc)
    assert sha256 is not None
    return warc, sha256


@contextmanager
def radosgw(endpoint: str | None) -> Iterator[str]:
    """The endpoint given, or a throwaway radosgw started for the run."""
    if endpoint:
        yield endpoint
        return
    env = {**os.environ, "NEWSTRAIL_CEPH_DIR": tempfile.mkdtemp(prefix="newstrail-bench-ceph-")}
    started = subprocess.run(
        [str(ROOT / "infra/ceph/start-radosgw.sh"), "--env"],
        env=env,
        capture_output=True,
        text=True,
    )
    if started.returncode != 0:
        last = (started.stderr.strip().splitlines() or ["no output"])[-1]
        sys.exit(f"cannot start a radosgw (infra/ceph/start-radosgw.sh): {last}")
    out = started.stdout
    for line in out.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        if name.startswith("AWS_"):
            os.environ[name] = value
    try:
        yield os.environ["AWS_ENDPOINT_URL"]
    finally:
        subprocess.run([str(ROOT / "infra/ceph/stop-radosgw.sh")], env=env, check=False)


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200, help="WARC size in MB (default 200)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument(
        "--endpoint",
        default=os.environ.get("NEWSTRAIL_TEST_S3_ENDPOINT"),
        help="S3 endpoint with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY set "
        "(default: start a radosgw with infra/ceph/start-radosgw.sh)",
    )
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="newstrail-bench-") as tmp,
        radosgw(args.endpoint) as endpoint,
    ):
        folder = Path(tmp)
        started = time.perf_counter()
        warc, written_sha256 = make_warc(folder / "warc", args.size * MB)
        size = warc.stat().st_size
        print(
            f"{size / MB:.1f} MB WARC made in {time.perf_counter() - started:.1f} s; "
            f"server {endpoint}; {args.runs} runs each, median",
            flush=True,
        )
        client = boto3.session.Session().client("s3", endpoint_url=endpoint)
        bucket = f"newstrail-bench-{secrets.token_hex(4)}"
        client.create_bucket(Bucket=bucket)
        settings = dataclasses.replace(S3Settings.from_env(), endpoint_url=endpoint)
        store = S3Store(bucket, "store", settings=settings)
        names = ("store up", "store up*", "boto3 up", "store down", "boto3 down")
        times: dict[str, list[float]] = {name: [] for name in names}
        try:
            expected = file_sha256(warc)
            if expected != written_sha256:
                sys.exit("the writer's SHA-256 of the WARC file is not the file's")
            for run in range(args.runs):
                # New keys each run: overwriting would set radosgw's garbage collector to
                # work on the old object during the next transfer. And the two take turns
                # going first, so that whatever the server still does weighs on both.
                store_key, boto3_key = f"run{run}.warc.gz", f"boto3/run{run}.warc.gz"
                known_key = f"known/run{run}.warc.gz"
                store_out, boto3_out = folder / f"store{run}.out", folder / f"boto3{run}.out"
                up = {
                    "store up": partial(store.put_file, store_key, warc),
                    # As a crawl stores its WARC files: hashed by the writer as written.
                    "store up*": partial(store.put_file, known_key, warc, sha256=written_sha256),
                    "boto3 up": partial(client.upload_file, str(warc), bucket, boto3_key),
                }
                down = {
                    "store down": partial(store.get_file, store_key, store_out),
                    "boto3 down": partial(client.download_file, bucket, boto3_key, str(boto3_out)),
                }
                for steps in (up, down):
                    for name in sorted(steps, reverse=run % 2 == 1):
                        times[name].append(timed(steps[name]))
                for out in (store_out, boto3_out):
                    if file_sha256(out) != expected:
                        sys.exit(f"{out.name} differs from the WARC file")
                    out.unlink()
                for key in (f"store/{store_key}", f"store/{known_key}", boto3_key):
                    client.delete_object(Bucket=bucket, Key=key)
                time.sleep(6)  # radosgw's garbage collection of those (infra/ceph: every 5 s)
        finally:
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for entry in page.get("Contents", []):
                    client.delete_object(Bucket=bucket, Key=entry["Key"])
            client.delete_bucket(Bucket=bucket)
    rate = {k: size / MB / statistics.median(v) for k, v in times.items()}
    w = 26
    print(f"{'':{w}}{'upload MB/s':>14}{'download MB/s':>16}")
    print(f"{'Store, WARC as written':{w}}{rate['store up*']:>14.1f}{rate['store down']:>16.1f}")
    print(f"{'Store, file of unknown hash':{w}}{rate['store up']:>14.1f}")
    print(f"{'boto3 transfer':{w}}{rate['boto3 up']:>14.1f}{rate['boto3 down']:>16.1f}")
    ratio_known = rate["store up*"] / rate["boto3 up"]
    ratio_up = rate["store up"] / rate["boto3 up"]
    ratio_down = rate["store down"] / rate["boto3 down"]
    print(f"{'Store / boto3, as written':{w}}{ratio_known:>14.0%}{ratio_down:>16.0%}")
    print(f"{'Store / boto3, unknown':{w}}{ratio_up:>14.0%}")
    print("(* a crawl's WARC files: their writer hashed them as it wrote them)")
    for name, values in times.items():
        print(f"  {name}: " + ", ".join(f"{size / MB / t:.1f}" for t in values) + " MB/s")


if __name__ == "__main__":
    main()
