"""The command line as a user runs it: one-line errors, non-zero exits, nothing lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from newstrail.newsweb import NewsWebServer
from newstrail.storage.base import TEMP_PREFIX
from newstrail.storage.corpus import read_text_records
from tests.conftest import free_port, prefect_env, run_newstrail

BIN = Path(sys.executable).parent


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("newstrail: error")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0] or needle in result.stderr, result.stderr


_REQUISITES = (".css", ".js", ".svg", ".png", ".jpg", ".gif", ".ico", ".woff2", ".pdf")


def page_requests(server: NewsWebServer) -> list[str]:
    """Requests for pages: not robots.txt, nor page requisites (own budget)."""
    return [
        e.path
        for e in server.request_log
        if not e.path.endswith("robots.txt") and not e.path.endswith(_REQUISITES)
    ]


def test_malformed_seed_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[collection]\nname = 'x'\n[[seed]]\nurl = 'not a url'\n")
    result = run_newstrail("crawl", str(bad), cwd=tmp_path)
    assert_one_line_error(result, "bad.toml", "seed 1", "not an absolute http(s) URL")
    assert not (tmp_path / "newstrail-data").exists()


def test_seed_urls_need_a_collection(tmp_path: Path) -> None:
    result = run_newstrail("crawl", "https://example.org/a", cwd=tmp_path)
    assert_one_line_error(result, "--collection")


def test_unreachable_seed(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/gone"
    result = run_newstrail(
        "crawl", url, "--collection", "c", "--allow-private", "--delay", "0", cwd=tmp_path
    )
    assert_one_line_error(result, "no seed could be captured")
    assert url in result.stderr and "onnection" in result.stderr
    # A crawl that archived nothing is not listed as a complete (empty) crawl.
    assert "nothing was archived" in result.stderr
    assert not list((tmp_path / "newstrail-data").rglob("*.*"))
    assert "c\t" not in run_newstrail("ls", cwd=tmp_path).stdout


def test_private_addresses_are_refused_by_default(tmp_path: Path, newsweb: NewsWebServer) -> None:
    newsweb.reset_log()
    result = run_newstrail("crawl", newsweb.seed_urls[0], "--collection", "c", cwd=tmp_path)
    assert_one_line_error(result, "loopback", "not allowed", "--allow-private 127.0.0.1:")
    assert newsweb.request_log == []


@pytest.mark.parametrize(
    ("entry", "needle"),
    [("http://127.0.0.1/", "not a URL"), ("10.0.0.0/33", "10.0.0.0/33"), ("host:99999", "port")],
)
def test_a_malformed_allow_entry_is_one_line(
    tmp_path: Path, newsweb: NewsWebServer, entry: str, needle: str
) -> None:
    newsweb.reset_log()
    result = run_newstrail(
        "crawl", newsweb.seed_urls[0], "--collection", "c", "--allow-private", entry, cwd=tmp_path
    )
    assert_one_line_error(result, "--allow-private", needle)
    assert newsweb.request_log == []


def test_unwritable_store_fails_before_fetching(tmp_path: Path, newsweb: NewsWebServer) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    newsweb.reset_log()
    result = run_newstrail(
        "crawl",
        newsweb.seed_urls[0],
        "--collection",
        "c",
        "--allow-private",
        "--store",
        str(blocker / "store"),
        cwd=tmp_path,
    )
    assert_one_line_error(result, str(blocker / "store"))
    assert newsweb.request_log == []


def test_non_html_seed_is_archived_and_reported(tmp_path: Path, newsweb: NewsWebServer) -> None:
    pdf = newsweb.specials.pdf
    result = run_newstrail(
        "crawl", pdf, "--collection", "pdf", "--allow-private", "--delay", "0", cwd=tmp_path
    )
    assert_one_line_error(result, "not HTML", "application/pdf")
    # The PDF itself is kept: the crawl is complete and its WARC holds the response.
    listing = run_newstrail("ls", cwd=tmp_path)
    assert "pdf" in listing.stdout and "complete" in listing.stdout
    warcs = list((tmp_path / "newstrail-data" / "pdf").glob("*/warc/*.warc.gz"))
    assert len(warcs) == 1


def test_budget_is_respected(tmp_path: Path, newsweb: NewsWebServer) -> None:
    newsweb.reset_log()
    result = run_newstrail(
        "crawl",
        *newsweb.seed_urls,
        "--collection",
        "small",
        "--budget",
        "7",
        "--allow-private",
        "--delay",
        "0",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert len(page_requests(newsweb)) == 7
    assert "pages fetched: 7" in result.stdout


def test_ls_lists_complete_and_incomplete_crawls(tmp_path: Path) -> None:
    broken = tmp_path / "newstrail-data" / "coll" / "20260101T000000Z-abcdef" / "warc"
    broken.mkdir(parents=True)
    (broken / "x.warc.gz").write_bytes(b"partial")
    result = run_newstrail("ls", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "coll" in result.stdout and "incomplete" in result.stdout


def test_killed_crawl_keeps_what_it_archived(tmp_path: Path, newsweb: NewsWebServer) -> None:
    """A crawler killed mid-crawl leaves its finished WARC files in the store, listed as
    an incomplete crawl, never a half-written file that looks complete."""
    env = {
        **os.environ,
        "NEWSTRAIL_WORKDIR": str(tmp_path / "work"),
        "NEWSTRAIL_WARC_MAX_SIZE": "1000000",
    }
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen(
        [
            str(BIN / "newstrail"),
            "crawl",
            *newsweb.seed_urls,
            "--collection",
            "killed",
            "--allow-private",
            "--delay",
            "0.01",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    store = tmp_path / "newstrail-data" / "killed"

    def stored() -> list[Path]:
        # Not the store's temporary files: an object being stored is not stored yet.
        return [p for p in store.glob("*/warc/*.warc.gz") if not p.name.startswith(TEMP_PREFIX)]

    deadline = time.monotonic() + 90
    while not stored():
        assert proc.poll() is None and time.monotonic() < deadline, "no WARC file was stored"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert stored() and not list(store.glob("*/manifest.json"))
    check = subprocess.run([str(BIN / "warcio"), "check", *map(str, stored())], capture_output=True)
    assert check.returncode == 0
    listing = run_newstrail("ls", cwd=tmp_path)
    assert "killed" in listing.stdout and "incomplete" in listing.stdout
    # Finishing it stores what the crawler staged and clears what a killed copy left.
    resumed = run_newstrail("crawl", "--resume", cwd=tmp_path, env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert not list(store.rglob(f"{TEMP_PREFIX}*"))
    listing = run_newstrail("ls", cwd=tmp_path)
    assert "interrupted" in listing.stdout
    # Resuming writes what a crawl writes: the text records stay gzip ...
    (text,) = store.glob("*/text/*.jsonl.gz")
    assert text.read_bytes()[:2] == b"\x1f\x8b"
    with text.open("rb") as fh:
        assert list(read_text_records(fh, compressed=True))
    # ... so a re-crawl of the collection reads them.
    recrawl = run_newstrail(
        "recrawl",
        "killed",
        "--allow-private",
        "--delay",
        "0",
        "--budget",
        "5",
        cwd=tmp_path,
        env=env,
    )
    assert recrawl.returncode == 0, recrawl.stderr[-2000:]


def test_crawl_as_a_prefect_flow_run(
    tmp_path: Path, newsweb: NewsWebServer, prefect_api: str
) -> None:
    env = {**prefect_env(tmp_path / "prefect-client"), "PREFECT_API_URL": prefect_api}
    result = run_newstrail(
        "crawl",
        *newsweb.seed_urls,
        "--collection",
        "flowed",
        "--budget",
        "20",
        "--allow-private",
        "--delay",
        "0",
        cwd=tmp_path,
        env=env,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    request = urllib.request.Request(
        f"{prefect_api}/artifacts/filter",
        data=json.dumps({"artifacts": {"key": {"any_": ["crawl-flowed"]}}}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        artifacts = json.load(response)
    assert len(artifacts) == 1
    assert "Top related articles" in artifacts[0]["data"]
    flow_run_id = artifacts[0]["flow_run_id"]
    with urllib.request.urlopen(f"{prefect_api}/flow_runs/{flow_run_id}", timeout=10) as response:
        flow_run = json.load(response)
    assert flow_run["state"]["type"] == "COMPLETED"
    # The crawl id is the flow run's id.
    assert (tmp_path / "newstrail-data" / "flowed" / flow_run_id / "manifest.json").exists()
    # The collection's report is in the store and linked from the same flow run.
    request = urllib.request.Request(
        f"{prefect_api}/artifacts/filter",
        data=json.dumps({"artifacts": {"key": {"any_": ["report-flowed"]}}}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        (link,) = json.load(response)
    report = tmp_path / "newstrail-data" / "flowed" / "report.html"
    # Prefect keeps a link artifact as Markdown: [text](link).
    assert f"[Report of flowed]({report.as_uri()})" in link["data"], link
    assert link["flow_run_id"] == flow_run_id
    assert 'id="report-data"' in report.read_text(encoding="utf-8")
    assert list((tmp_path / "newstrail-data" / "flowed").glob("*/manifest.json"))


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["crawl", "--help"],
        ["ls", "--help"],
        ["extract", "--help"],
        ["demo", "--help"],
        ["download", "--help"],
        ["report", "--help"],
        ["export", "--help"],
    ],
)
def test_every_command_is_documented_in_the_readme(argv: list[str], tmp_path: Path) -> None:
    result = run_newstrail(*argv, cwd=tmp_path)
    assert result.returncode == 0
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    if argv[0] != "--help":
        assert f"newstrail {argv[0]}" in readme
