"""A record that cannot be written stops the crawl with an error, never a silent loss (issue 13)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from newstrail.newsweb import NewsWebServer
from newstrail.storage.corpus import read_text_records
from tests.conftest import BIN, run_newstrail


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs, so the staging folder fills up mid-crawl."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_full_staging_disk_stops_the_crawl(
    tmp_path: Path, small_disk: Path, newsweb: NewsWebServer
) -> None:
    """A full staging disk stops the crawl with one line, and --resume stores what it held."""
    env = {"NEWSTRAIL_WORKDIR": str(small_disk)}
    result = run_newstrail(
        "crawl",
        *newsweb.seed_urls,
        "--collection",
        "full",
        "--allow-private",
        "--delay",
        "0.01",
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("newstrail: error:")]
    assert len(errors) == 1, result.stderr
    assert "No space left on device" in errors[0] and "--resume full/" in errors[0]
    assert "Traceback" not in result.stderr
    # Nothing is listed complete while the staging folder holds what was not stored.
    assert "\tcomplete" not in run_newstrail("ls", cwd=tmp_path).stdout

    # Once there is room again, --resume stores what was archived, as interrupted.
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    resumed = run_newstrail("crawl", "--resume", cwd=tmp_path, env=env)
    assert resumed.returncode == 0, resumed.stderr
    listing = run_newstrail("ls", cwd=tmp_path).stdout
    assert "\tinterrupted" in listing, listing
    crawl = next((tmp_path / "newstrail-data" / "full").iterdir())
    warcs = sorted(map(str, crawl.glob("warc/*.warc.gz")))
    assert warcs and not list(small_disk.rglob("*.warc.gz*"))
    check = subprocess.run([str(BIN / "warcio"), "check", *warcs], capture_output=True)
    assert check.returncode == 0, check.stdout
    # Every text record points at a response in the stored WARC files.
    offsets = set().union(*(_response_offsets(Path(w)) for w in warcs))
    (text,) = crawl.glob("text/*.jsonl.gz")
    with text.open("rb") as fh:
        records = list(read_text_records(fh))
    assert records
    assert all((r.warc_filename, r.warc_record_offset) in offsets for r in records)


def _response_offsets(path: Path) -> set[tuple[str, int]]:
    with path.open("rb") as fh:
        iterator = ArchiveIterator(fh)
        return {
            (path.name, iterator.get_record_offset())
            for record in iterator
            if record.rec_type == "response"
        }
