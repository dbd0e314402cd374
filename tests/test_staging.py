"""Staging folders of interrupted crawls: salvaging a killed crawler's WARC file, skipping
what is already stored. (With an S3 store and real kills: tests/test_s3_crawl.py.)"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from newstrail.config import Environment
from newstrail.errors import NewstrailError
from newstrail.flows.steps import JOB_NAME, plan_crawl, resume_crawl, store_pending
from newstrail.seeds import SeedSet
from newstrail.storage.local import FileStore
from newstrail.storage.staging import CrawlOutputs, salvage_open_warc
from newstrail.storage.warc import RollingWarcWriter

BIN = Path(sys.executable).parent


def open_warc(folder: Path, exchanges: int) -> tuple[Path, list[int]]:
    """A ``.open`` WARC file as a killed crawler leaves it, and where each record starts
    (the file's length last)."""
    with RollingWarcWriter(folder, "salvage") as writer:
        for n in range(exchanges):
            writer.write_exchange(
                f"https://news.example/{n}",
                status=200,
                reason="OK",
                response_headers=[("Content-Type", "text/html")],
                response_body=os.urandom(2000) + b"<html>page</html>",
            )
    (final,) = writer.files
    with final.open("rb") as fh:
        records = ArchiveIterator(fh)
        offsets = [records.get_record_offset() for _ in records]
    path = final.with_name(final.name + ".open")
    final.rename(path)
    return path, [*offsets, path.stat().st_size]


def test_salvage_cuts_after_the_last_complete_record(tmp_path: Path) -> None:
    path, offsets = open_warc(tmp_path, 3)
    # Killed halfway through the third exchange's response record (the 7th record).
    with open(path, "r+b") as fh:
        fh.truncate((offsets[6] + offsets[7]) // 2)
    salvaged = salvage_open_warc(path)
    assert salvaged is not None
    final, length = salvaged
    assert final.name.endswith(".warc.gz") and not path.exists()
    assert final.stat().st_size == length == offsets[6]
    with final.open("rb") as fh:
        types = [r.rec_type for r in ArchiveIterator(fh)]
    # warcinfo, two whole exchanges, and the third's request: complete records only.
    assert types == ["warcinfo", "request", "response", "request", "response", "request"]
    check = subprocess.run([str(BIN / "warcio"), "check", str(final)], capture_output=True)
    assert check.returncode == 0


def test_salvage_drops_a_file_with_nothing_but_its_warcinfo(tmp_path: Path) -> None:
    path, offsets = open_warc(tmp_path, 1)
    with open(path, "r+b") as fh:
        fh.truncate((offsets[1] + offsets[2]) // 2)  # in the request: only warcinfo is whole
    assert salvage_open_warc(path) is None
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError):
        salvage_open_warc(tmp_path / "x.warc.gz")


def test_store_pending_skips_what_the_ledger_says_is_stored(
    tmp_path: Path, default_seeds: SeedSet
) -> None:
    root = tmp_path / "store"
    env = Environment(store=str(root), workdir=tmp_path / "work")
    config = plan_crawl(default_seeds, collection="c", crawl_id="20260101T000000Z-000001", env=env)
    warc = config.crawl_workdir / "warc"
    warc.mkdir(parents=True)
    (warc / "a.warc.gz").write_bytes(b"first")
    (warc / "b.warc.gz").write_bytes(b"second")
    outputs = CrawlOutputs(FileStore(root), "c", config.crawl_id, config.crawl_workdir)
    # Stored and entered in the ledger, but killed before the local copy was removed.
    outputs.store_file(warc / "a.warc.gz", "warc", keep=True)
    stored_at = (root / "c" / config.crawl_id / "warc" / "a.warc.gz").stat().st_mtime_ns

    uploaded = store_pending(config)
    assert [o.key for o in uploaded] == [f"c/{config.crawl_id}/warc/b.warc.gz"]
    assert (root / "c" / config.crawl_id / "warc" / "a.warc.gz").stat().st_mtime_ns == stored_at
    assert list(warc.iterdir()) == []
    ledger = [json.loads(line) for line in outputs.ledger.read_text().splitlines()]
    assert {e["key"]: e["sha256"] for e in ledger} == {
        "warc/a.warc.gz": hashlib.sha256(b"first").hexdigest(),
        "warc/b.warc.gz": hashlib.sha256(b"second").hexdigest(),
    }


_HOLD = """
import sys, time
from pathlib import Path
from newstrail.config import crawler_lock
with crawler_lock(Path(sys.argv[1]), "crawl"):
    print("held", flush=True)
    time.sleep(120)
"""


def test_resume_waits_for_whoever_works_on_the_staging_folder(
    tmp_path: Path, default_seeds: SeedSet
) -> None:
    # Told by a lock the kernel drops when its holder dies, not by a crawler.pid
    # (written by the parent after the start, or never) and the process table.
    env = Environment(store=str(tmp_path / "store"), workdir=tmp_path / "work")
    config = plan_crawl(default_seeds, collection="c", crawl_id="20260101T000000Z-000002", env=env)
    config.crawl_workdir.mkdir(parents=True)
    (config.crawl_workdir / JOB_NAME).write_text(json.dumps(config.to_dict()))
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(config.crawl_workdir)], stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        with pytest.raises(NewstrailError, match="still running"):
            resume_crawl(f"c/{config.crawl_id}", env=env)
        with pytest.raises(NewstrailError, match="still running"):
            resume_crawl(f"c/{config.crawl_id}", env=env)  # and again: nothing was changed
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()  # type: ignore[union-attr]
    # Its holder gone (killed), the crawl is resumed: here, it had archived nothing.
    with pytest.raises(NewstrailError, match="nothing was archived"):
        resume_crawl(f"c/{config.crawl_id}", env=env)
