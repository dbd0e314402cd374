"""Re-crawls: conditional requests, revisit records, edit tracking, scheduled Prefect runs."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from newstrail.newsweb import NewsWebServer
from newstrail.replay import build_replay, serve
from newstrail.seeds import SeedSet
from newstrail.storage import open_store
from newstrail.storage.captures import load_prior
from tests.conftest import prefect_env, run_newstrail

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


def write_seeds(path: Path, newsweb: NewsWebServer, seeds: SeedSet) -> Path:
    texts = []
    for i, (url, seed) in enumerate(zip(newsweb.seed_urls, seeds.seeds, strict=False)):
        text_file = path.parent / f"seed{i}.txt"
        text_file.write_text(seed.text or "", encoding="utf-8")
        texts.append(f"[[seed]]\nurl = {url!r}\ntext_file = {text_file.name!r}\n")
    path.write_text("[collection]\nname = 'story'\n\n" + "\n".join(texts), encoding="utf-8")
    return path


def warc_records(crawl_dir: Path) -> list[Any]:
    out = []
    for path in sorted((crawl_dir / "warc").glob("*.warc.gz")):
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                out.append((rec.rec_type, dict(rec.rec_headers.headers)))
    return out


def _with_http(crawl_dir: Path) -> list[Any]:
    out = []
    for path in sorted((crawl_dir / "warc").glob("*.warc.gz")):
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                out.append((rec.rec_type, dict(rec.rec_headers.headers), rec.http_headers))
    return out


def _payloads(crawl_dir: Path, kind: str = "response") -> list[Any]:
    out = []
    for path in sorted((crawl_dir / "warc").glob("*.warc.gz")):
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                body = rec.raw_stream.read() if rec.rec_type == kind else b""
                out.append((rec.rec_type, dict(rec.rec_headers.headers), body))
    return out


def edit_a_related_article(newsweb: NewsWebServer, store: Path) -> str:
    prior = load_prior(open_store(str(store)), "story")
    target = next(u for u in prior.related_urls if u in newsweb.on_topic_urls)
    article = newsweb.article(target)
    paragraphs = list(article.paragraphs)
    newsweb.set_article_text(
        target, [paragraphs[0] + " (This article was corrected.)", *paragraphs[2:]]
    )
    return target


def test_recrawl_archives_revisits_and_lists_edits(
    tmp_path: Path, newsweb: NewsWebServer, default_seeds: SeedSet
) -> None:
    seeds = write_seeds(tmp_path / "story.toml", newsweb, default_seeds)
    options = ["--budget", "40", "--allow-private", "--delay", "0"]
    first = run_newstrail("crawl", str(seeds), *options, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    store = tmp_path / "newstrail-data"
    edited = edit_a_related_article(newsweb, store)
    newsweb.reset_log()
    second = run_newstrail("recrawl", "story", *options, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "revisits (unchanged, not archived again)" in second.stdout

    # Known pages were asked for conditionally, and most answered 304.
    conditional = [e for e in newsweb.request_log if "If-None-Match" in e.headers]
    assert len(conditional) >= 10
    assert Counter(e.status for e in conditional)[304] >= len(conditional) // 2

    crawls = sorted(p for p in (store / "story").iterdir() if (p / "manifest.json").exists())
    assert len(crawls) == 2
    records = warc_records(crawls[1])
    revisits = [h for kind, h in records if kind == "revisit"]
    assert revisits
    first_ids = {
        h["WARC-Record-ID"]: h for kind, h in warc_records(crawls[0]) if kind == "response"
    }
    requests = {
        h["WARC-Concurrent-To"]: http
        for kind, h, http in _with_http(crawls[1])
        if kind == "request"
    }
    not_modified = [h for h in revisits if h["WARC-Profile"].endswith("/server-not-modified")]
    assert len(not_modified) >= len(revisits) // 2
    for headers in revisits:
        # A 304 is server-not-modified; an identical body, identical-payload-digest.
        assert headers["WARC-Profile"].rsplit("/", 1)[1] in {
            "server-not-modified",
            "identical-payload-digest",
        }
        original = first_ids[headers["WARC-Refers-To"]]
        assert headers["WARC-Refers-To-Target-URI"] == original["WARC-Target-URI"]
        assert headers["WARC-Refers-To-Date"] == original["WARC-Date"]
        assert headers["WARC-Payload-Digest"] == original["WARC-Payload-Digest"]
        # Every revisit has its request record; a 304's, with the conditional headers sent.
        request = requests[headers["WARC-Record-ID"]]
        if headers in not_modified:
            assert request.get_header("If-None-Match") or request.get_header("If-Modified-Since")
    # The 304's own status line and headers are in the page's metadata record.
    metadata = {
        h["WARC-Concurrent-To"]: body.decode()
        for kind, h, body in _payloads(crawls[1], "metadata")
        if kind == "metadata"
    }
    for headers in not_modified:
        fields = metadata[headers["WARC-Record-ID"]]
        assert re.search(r"^not-modified-response: HTTP/1\.[01] 304 ", fields, re.M), fields
    # pywb, given both crawls, replays an unchanged page at the re-crawl's time as its
    # full earlier capture (a 304 in the revisit's block would replay an empty page).
    originals = {
        h["WARC-Target-URI"]: body for kind, h, body in _payloads(crawls[0]) if kind == "response"
    }
    folder = build_replay(open_store(str(store)), "story", tmp_path / "replay")
    with serve(folder.root) as base:
        for headers in not_modified:
            url = headers["WARC-Target-URI"]
            stamp = "".join(c for c in headers["WARC-Date"] if c.isdigit())[:14]
            with urllib.request.urlopen(f"{base}/story/{stamp}id_/{url}", timeout=30) as got:
                assert got.status == 200, url
                assert got.headers["Memento-Datetime"]
                assert got.read() == originals[url], url
    # The edited article is a full capture again, not a revisit.
    assert edited not in {h["WARC-Target-URI"] for h in revisits}
    check = subprocess.run(
        [str(BIN / "warcio"), "check", *map(str, (crawls[1] / "warc").glob("*.gz"))],
        capture_output=True,
    )
    assert check.returncode == 0

    listing = run_newstrail("edits", "story", "--json", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    found = [json.loads(line) for line in listing.stdout.splitlines()]
    assert [e["url"] for e in found] == [edited]
    change = found[0]["changes"]
    assert {c["op"] for c in change} == {"changed", "removed"}
    assert any("(This article was corrected.)" in line for c in change for line in c["new"])
    human = run_newstrail("edits", "story", cwd=tmp_path)
    assert edited in human.stdout and "+ " in human.stdout


def _flow_runs(api: str, deployment_name: str) -> list[dict[str, Any]]:
    body = {"deployments": {"name": {"any_": [deployment_name]}}, "sort": "EXPECTED_START_TIME_ASC"}
    request = urllib.request.Request(
        f"{api}/flow_runs/filter",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        runs: list[dict[str, Any]] = json.load(response)
    return runs


def _wait_for_completed(api: str, name: str, count: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 150
    while True:
        runs = _flow_runs(api, name)
        states = [r["state"]["type"] for r in runs if r.get("state")]
        if states.count("COMPLETED") >= count:
            return
        assert "FAILED" not in states and "CRASHED" not in states, states
        assert proc.poll() is None, "the schedule process ended"
        assert time.monotonic() < deadline, f"only {states} after waiting"
        time.sleep(1)


def test_scheduled_deployment_fires_twice(
    tmp_path: Path, newsweb: NewsWebServer, default_seeds: SeedSet, prefect_api: str
) -> None:
    seeds = write_seeds(tmp_path / "story.toml", newsweb, default_seeds)
    env = {
        **os.environ,
        **prefect_env(tmp_path / "prefect-client"),
        "PREFECT_API_URL": prefect_api,
        "NEWSTRAIL_WORKDIR": str(tmp_path / "work"),
    }
    proc = subprocess.Popen(
        [
            str(BIN / "newstrail"),
            "schedule",
            str(seeds),
            "--interval",
            "15s",
            "--collection",
            "scheduled",
            "--budget",
            "30",
            "--allow-private",
            "--delay",
            "0",
            # The edit must land between two runs 15 s apart: fetching the articles'
            # images and styles too would stretch a run past the interval.
            "--requisites",
            "none",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for_completed(prefect_api, "scheduled", 1, proc)
        store = tmp_path / "newstrail-data"
        prior = load_prior(open_store(str(store)), "scheduled")
        target = next(u for u in prior.related_urls if u in newsweb.on_topic_urls)
        paragraphs = list(newsweb.article(target).paragraphs)
        newsweb.set_article_text(target, [*paragraphs, "Update: a reader pointed out an error."])
        _wait_for_completed(prefect_api, "scheduled", 2, proc)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    crawls = sorted(
        (p for p in (store / "scheduled").iterdir() if (p / "manifest.json").exists()),
        key=lambda p: json.loads((p / "manifest.json").read_text())["started"],
    )
    assert len(crawls) >= 2
    second = json.loads((crawls[1] / "manifest.json").read_text())
    assert second["settings"]["incremental"] is True
    assert second["counts"]["revisits"] > 0
    kinds = Counter(kind for kind, _ in warc_records(crawls[1]))
    assert kinds["revisit"] == second["counts"]["revisits"]
    edits = [
        json.loads(line)
        for crawl in crawls[1:]
        if (crawl / "edits" / "edits.jsonl").exists()
        for line in (crawl / "edits" / "edits.jsonl").read_text().splitlines()
    ]
    assert target in {e["url"] for e in edits}


def test_prefect_yaml_deploys_a_scheduled_deployment(tmp_path: Path, prefect_api: str) -> None:
    env = {
        **os.environ,
        **prefect_env(tmp_path / "prefect-client"),
        "PREFECT_API_URL": prefect_api,
    }
    prefect = str(BIN / "prefect")
    pool = subprocess.run(
        [prefect, "work-pool", "create", "newstrail-process", "--type", "process"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert pool.returncode == 0 or "already exists" in pool.stdout + pool.stderr, pool.stderr
    deploy = subprocess.run(
        [prefect, "--no-prompt", "deploy", "--all", "--prefect-file", "flows/prefect.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert deploy.returncode == 0, deploy.stdout[-2000:] + deploy.stderr[-2000:]
    url = f"{prefect_api}/deployments/name/crawl_coverage/iraq-us-troops"
    with urllib.request.urlopen(url, timeout=10) as response:
        deployment = json.load(response)
    assert deployment["parameters"]["incremental"] is True
    assert deployment["schedules"][0]["schedule"]["cron"] == "0 */6 * * *"
    assert deployment["work_pool_name"] == "newstrail-process"
