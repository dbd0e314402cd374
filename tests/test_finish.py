"""The one end of every crawl (newstrail.storage.finish): parts found among stored keys,
merged streaming, and a finish that can be run again after it failed."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

import newstrail.storage.finish as finish
from newstrail.config import CrawlConfig, Environment
from newstrail.errors import NewstrailError
from newstrail.flows.steps import plan_crawl
from newstrail.records import TextRecord
from newstrail.seeds import SeedSet
from newstrail.storage.base import Store
from newstrail.storage.cdxj import write_cdxj
from newstrail.storage.corpus import TextRecordWriter, read_text_records
from newstrail.storage.local import FileStore
from newstrail.storage.manifest import crawl_prefix, read_manifest
from newstrail.storage.staging import CrawlOutputs
from newstrail.storage.warc import RollingWarcWriter

CRAWL = "20260101T000000Z-00f1a1"


def _config(tmp_path: Path, seeds: SeedSet) -> CrawlConfig:
    env = Environment(store=str(tmp_path / "store"), workdir=tmp_path / "work")
    return plan_crawl(seeds, collection="fin", crawl_id=CRAWL, env=env)


def _store_worker(config: CrawlConfig, worker: str, urls: list[str], when: str) -> None:
    """Store what a finished worker stores: its WARC file, text records and index."""
    folder = config.workdir / "parts" / worker
    outputs = CrawlOutputs(FileStore(Path(config.store)), "fin", CRAWL, folder)
    with RollingWarcWriter(folder / "warc", f"newstrail-fin-{CRAWL}-{worker}") as writer:
        refs = [
            writer.write_exchange(
                url,
                status=200,
                reason="OK",
                response_headers=[("Content-Type", "text/html")],
                response_body=f"<html><p>{url}</p></html>".encode(),
            )
            for url in urls
        ]
    (warc,) = writer.files
    text = folder / f"{CRAWL}-{worker}.jsonl.gz"
    with TextRecordWriter(text) as out:
        for n, (url, ref) in enumerate(zip(urls, refs, strict=True)):
            body = f"Article at {url} about the harbour strike, paragraph {n}."
            out.write(
                TextRecord(
                    url=url,
                    canonical_url=url,
                    title=url,
                    author=None,
                    date=None,
                    sitename=None,
                    language="en",
                    text=body,
                    relevance=0.5 + n / 100,
                    related=True,
                    matched_terms=["harbour"],
                    warc_filename=warc.name,
                    warc_record_offset=ref.response.offset,
                    warc_record_id=ref.response.record_id,
                    text_sha256=hashlib.sha256(body.encode()).hexdigest(),
                    fetched_at=f"{when}{n}Z",
                )
            )
    index = folder / f"index-{worker}.cdxj"
    with index.open("wb") as fh:
        write_cdxj([warc], fh)
    outputs.store_file(warc, "warc")
    outputs.store_file(text, "text")
    outputs.store_file(index, "index")


def _keys(store: Store) -> list[str]:
    prefix = crawl_prefix("fin", CRAWL)
    return sorted(o.key[len(prefix) + 1 :] for o in store.list(prefix + "/"))


def test_parts_are_found_by_name_for_one_process_and_for_workers(
    tmp_path: Path, default_seeds: SeedSet
) -> None:
    config = _config(tmp_path, default_seeds)
    keys = [
        f"warc/newstrail-fin-{CRAWL}-20260101000000-00000.warc.gz",
        f"warc/newstrail-fin-{CRAWL}-host-12-ab01-20260101000000-00001.warc.gz",
        f"text/{CRAWL}.jsonl.gz",
        f"text/{CRAWL}-host-12-ab01.jsonl.gz",
        "index/index.cdxj",
        "index/index-host-12-ab01.cdxj",
        "index/captures.jsonl.gz",
        "index/captures-host-12-ab01.jsonl.gz",
        "seeds.json",
        "edits/edits.jsonl",
        f"warc/newstrail-other-{CRAWL}-20260101000000-00000.warc.gz",
    ]
    own, worker = finish.crawl_parts(config, keys, {"": {"pages": 3}})
    assert (own.name, own.warcs, own.text, own.index, own.captures) == (
        "",
        [keys[0]],
        keys[2],
        keys[4],
        keys[6],
    )
    assert own.counts == {"pages": 3} and not own.died
    assert (worker.name, worker.warcs, worker.text, worker.index, worker.captures) == (
        "host-12-ab01",
        [keys[1]],
        keys[3],
        keys[5],
        keys[7],
    )
    assert worker.died  # no counts given for it


def test_a_merge_that_failed_before_its_manifest_can_be_run_again(
    tmp_path: Path, default_seeds: SeedSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path, default_seeds)
    store = FileStore(Path(config.store))
    a2 = "https://a.example/2"  # fetched by both workers
    _store_worker(config, "a-1-0a", ["https://a.example/1", a2], "2026-01-01T10:0")
    _store_worker(config, "b-2-0b", ["https://b.example/1", a2], "2026-01-01T11:0")
    counts: dict[str, Any] = {"a-1-0a": {"pages": 2, "responses_archived": 2}}
    counts["b-2-0b"] = {"pages": 2, "responses_archived": 2}
    workdir = config.workdir / "coordinator"

    def run() -> finish.FinishedCrawl:
        parts = finish.crawl_parts(config, _keys(store), counts)
        return finish.finish_crawl(
            config, parts, reason="finished", started=None, finished=None, workdir=workdir
        )

    def no_manifest(*args: object) -> None:
        raise NewstrailError("the store went away")

    with monkeypatch.context() as patch:
        patch.setattr(finish, "write_manifest", no_manifest)
        with pytest.raises(NewstrailError, match="went away"):
            run()
    # The merged files are stored, the workers' are still there: nothing is lost yet.
    assert f"text/{CRAWL}.jsonl.gz" in _keys(store)
    assert f"text/{CRAWL}-a-1-0a.jsonl.gz" in _keys(store)

    done = run()
    manifest = read_manifest(store, "fin", CRAWL)
    assert manifest.counts["pages"] == 4 and manifest.counts["articles"] == 3
    assert manifest.counts["duplicates"] == 1
    assert done.top_related is not None and done.top_related[0].url == a2
    keys = _keys(store)
    assert [o.key for o in manifest.objects] == [k for k in keys if k != "manifest.json"]
    # Only the crawl's own files are left, once each.
    assert not any("a-1-0a.jsonl" in k or "index-" in k for k in keys)
    assert f"text/{CRAWL}.jsonl.gz" in keys and "index/index.cdxj" in keys
    assert sum(k.startswith("warc/") for k in keys) == 2
    with store.open(f"{crawl_prefix('fin', CRAWL)}/text/{CRAWL}.jsonl.gz") as fh:
        records = list(read_text_records(fh, compressed=True))
    assert [r.url for r in records] == [
        "https://a.example/1",
        "https://a.example/2",
        "https://b.example/1",
    ]
    # Every record points at its response in the WARC file it names.
    for record in records:
        with store.open(f"{crawl_prefix('fin', CRAWL)}/warc/{record.warc_filename}") as fh:
            fh.seek(record.warc_record_offset)
            found = next(iter(ArchiveIterator(fh)))
            assert found.rec_headers.get_header("WARC-Record-ID") == record.warc_record_id
    with store.open(f"{crawl_prefix('fin', CRAWL)}/index/index.cdxj") as fh:
        assert len(fh.read().splitlines()) == 4
    assert not workdir.exists()


def test_a_crawl_without_pages_is_removed_with_its_parts(
    tmp_path: Path, default_seeds: SeedSet
) -> None:
    config = _config(tmp_path, default_seeds)
    store = FileStore(Path(config.store))
    _store_worker(config, "a-1-0a", ["https://a.example/robots.txt"], "2026-01-01T10:0")
    parts = finish.crawl_parts(config, _keys(store), {"a-1-0a": {"pages": 0}})
    with pytest.raises(finish.EmptyCrawl, match=r"nothing was archived.*no page here"):
        finish.finish_crawl(
            config,
            parts,
            reason="finished",
            started=None,
            finished=None,
            workdir=config.workdir / "coordinator",
            why_empty="no page here",
        )
    assert _keys(store) == []
