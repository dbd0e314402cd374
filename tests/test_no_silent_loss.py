"""A record that cannot be written stops the crawl with an error, never a silent loss (issue 13)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from newstrail.newsweb import NewsWebServer
from tests.conftest import run_newstrail


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


@pytest.mark.xfail(
    strict=True,
    reason="issue 13, unfinished: the scheduler's disk queue, spider_closed and the ledger "
    "still raise tracebacks on a full disk, and the parent's error line lacks the OS reason",
)
def test_full_staging_disk_stops_the_crawl(
    tmp_path: Path, small_disk: Path, newsweb: NewsWebServer
) -> None:
    result = run_newstrail(
        "crawl",
        *newsweb.seed_urls,
        "--collection",
        "full",
        "--allow-private",
        "--delay",
        "0.01",
        cwd=tmp_path,
        env={"NEWSTRAIL_WORKDIR": str(small_disk)},
    )
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("newstrail: error:")]
    assert len(errors) == 1, result.stderr
    assert "No space left on device" in errors[0]
    assert "Traceback" not in result.stderr
