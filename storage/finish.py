"""The end of a crawl, from its staging folder to its manifest: salvage, store, finish.

What a crawler leaves in its staging folder (``CrawlConfig.crawl_workdir``) is made
storable when it was killed (``salvage_crawl``: the unfinished WARC file cut after
its last complete record, the index rebuilt, text records and captures past what
was archived dropped), stored once (``store_pending``), and listed in the crawl's
manifest, written last (``finalize_crawl``). Storage code only: no Prefect, no
Scrapy, no Redis; ``newstrail.flows`` calls it.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newstrail import __version__
from newstrail.config import CrawlConfig
from newstrail.edits import find_edit
from newstrail.errors import NewstrailError
from newstrail.records import TextRecord
from newstrail.storage import open_store
from newstrail.storage.base import ObjectInfo, Store
from newstrail.storage.captures import CAPTURES_NAME, rewrite_captures
from newstrail.storage.cdxj import merge_cdxj_files, write_cdxj
from newstrail.storage.corpus import TextRecordWriter, read_text_records
from newstrail.storage.manifest import Manifest, crawl_prefix, format_utc, parse_utc, write_manifest
from newstrail.storage.staging import CrawlOutputs, file_sha256, salvage_open_warc
from newstrail.urls import canonical_url

__all__ = [
    "INTERRUPTED",
    "JOB_NAME",
    "PRIOR_ARTICLES",
    "finalize_crawl",
    "salvage_crawl",
    "store_pending",
    "write_crawl_extras",
]

#: The finish reason of a crawl whose crawler was killed: what it had archived was
#: stored afterwards by ``resume_crawl``, and nothing was fetched again.
INTERRUPTED = "interrupted"
#: The crawl's configuration in its staging folder, written as it starts.
JOB_NAME = "job.json"
#: A re-crawl's earlier text records, against which its edits are found.
PRIOR_ARTICLES = "prior-articles.jsonl.gz"


def finalize_crawl(config: CrawlConfig, summary: dict[str, Any]) -> dict[str, Any]:
    """Check every stored object, write the manifest (last), and clear the staging folder."""
    store = open_store(config.store)
    outputs = CrawlOutputs(store, config.collection, config.crawl_id, config.crawl_workdir)
    extras = write_crawl_extras(config, outputs)
    objects = outputs.stored()
    for obj in objects:
        found = store.stat(f"{outputs.prefix}/{obj.key}")
        if found is None or found.size != obj.size:
            raise NewstrailError(
                f"{config.store}: object {obj.key} is missing or has the wrong size after upload"
            )
    leftovers = sorted(p for p in (config.crawl_workdir / "warc").glob("*") if p.is_file())
    if leftovers:
        raise NewstrailError(
            f"{len(leftovers)} WARC file(s) were not stored; kept in {config.crawl_workdir}"
        )
    counts = {**summary.get("counts", {}), **extras}
    if not counts.get("pages"):
        _discard(config, outputs, objects)
        raise NewstrailError(f"nothing was archived, so the crawl is not stored: {_why(summary)}")
    counts["warc_files"] = sum(1 for o in objects if o.key.startswith("warc/"))
    manifest = Manifest(
        collection=config.collection,
        crawl_id=config.crawl_id,
        started=parse_utc(summary.get("started") or _now()),
        finished=parse_utc(summary.get("finished") or _now()),
        software=f"newstrail/{__version__}",
        seed_set=config.seeds.name,
        settings=config.settings_summary(),
        counts=counts,
        objects=objects,
        finish_reason=str(summary.get("finish_reason") or ""),
    )
    write_manifest(store, manifest)
    shutil.rmtree(config.crawl_workdir, ignore_errors=True)
    _prune_empty(config.workdir)
    summary = dict(summary)
    summary["store"] = config.store
    summary["location"] = _location(config)
    summary["counts"] = counts
    summary["objects"] = [{"key": o.key, "size": o.size} for o in objects]
    return summary


def _why(summary: dict[str, Any]) -> str:
    problems = [f"{u}: {s}" for u, s in summary.get("seeds", {}).items() if s != "ok"]
    if not problems:
        return "no page reached the crawl"
    more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
    return f"no seed could be captured ({'; '.join(problems[:3])}{more})"


def _discard(config: CrawlConfig, outputs: CrawlOutputs, objects: list[ObjectInfo]) -> None:
    """Remove a crawl that archived no page: a warcinfo record and perhaps a robots.txt.

    Listed as complete it would be an empty crawl in a corpus others download;
    nothing of a page is lost.
    """
    for obj in objects:
        outputs.store.delete(f"{outputs.prefix}/{obj.key}")
    shutil.rmtree(config.crawl_workdir, ignore_errors=True)
    _prune_empty(config.workdir)


def _location(config: CrawlConfig) -> str:
    prefix = crawl_prefix(config.collection, config.crawl_id)
    if "://" in config.store and not config.store.startswith("file://"):
        return f"{config.store.rstrip('/')}/{prefix}"
    root = config.store.removeprefix("file://")
    return str(Path(root) / prefix)


def _prune_empty(path: Path) -> None:
    # Remove the staging folders this crawl emptied, never anything with files in it.
    for folder in [*sorted((p for p in path.rglob("*") if p.is_dir()), reverse=True), path]:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text_in_archive(
    config: CrawlConfig, warc_names: set[str], cut: dict[str, int]
) -> list[TextRecord]:
    """Text records of a killed crawl that point into what was archived, rewritten in place."""
    records: list[TextRecord] = []
    for path in sorted((config.crawl_workdir / "text").glob("*.jsonl.gz")):
        with path.open("rb") as fh:
            kept = [
                r
                for r in read_text_records(fh, compressed=True, allow_truncated=True)
                if r.warc_filename in warc_names
                and r.warc_record_offset < cut.get(r.warc_filename, r.warc_record_offset + 1)
            ]
        tmp = path.with_name(path.name + ".tmp")
        # The temporary name does not end in .gz: say that it is compressed, like the file.
        with TextRecordWriter(tmp, compress=True) as writer:
            for record in kept:
                writer.write(record)
        tmp.replace(path)
        records.extend(kept)
    return records


def salvage_crawl(config: CrawlConfig) -> dict[str, Any]:
    """Make a killed crawler's staging folder storable and summarise it as interrupted.

    The unfinished WARC file is cut after its last complete record and finished;
    every finished WARC file is indexed; text records and captures that point past
    what was archived (the crawler died before writing their response) are dropped.
    """
    workdir = config.crawl_workdir
    warc_dir, index_dir = workdir / "warc", workdir / "index"
    index_dir.mkdir(parents=True, exist_ok=True)
    cut: dict[str, int] = {}
    for part in sorted(warc_dir.glob("*.warc.gz.open")):
        salvaged = salvage_open_warc(part)
        if salvaged is not None:
            cut[salvaged[0].name] = salvaged[1]
    for path in sorted(warc_dir.glob("*.warc.gz")):
        index = index_dir / f"{path.name}.cdxj"
        if not index.exists():
            with index.open("wb") as out:
                write_cdxj([path], out)
    parts = sorted(index_dir.glob("*.cdxj"))
    responses = pages = 0
    if parts:
        merge_cdxj_files(parts, workdir / "index.cdxj")
        with (workdir / "index.cdxj").open("rb") as fh:
            for line in fh:
                responses += 1
                pages += b"/robots.txt " not in line
    outputs = CrawlOutputs(open_store(config.store), config.collection, config.crawl_id, workdir)
    warc_names = {p.name for p in warc_dir.glob("*.warc.gz")}
    warc_names |= {o.key[5:] for o in outputs.stored() if o.key.startswith("warc/")}
    records = _text_in_archive(config, warc_names, cut)
    # The captures of responses archived before the crash, for later re-crawls.
    for path in sorted(index_dir.glob(f"*{CAPTURES_NAME}")):
        rewrite_captures(
            path,
            lambda c: c.filename in warc_names and c.offset < cut.get(c.filename, c.offset + 1),
        )
    related = sorted((r for r in records if r.related), key=lambda r: -r.relevance)
    staged = [p for p in workdir.rglob("*") if p.is_file()]
    job = workdir / JOB_NAME
    return {
        "collection": config.collection,
        "crawl_id": config.crawl_id,
        "finish_reason": INTERRUPTED,
        # The job file is written as the crawl starts; the last file touched, as it died.
        "started": format_utc(datetime.fromtimestamp(job.stat().st_mtime, UTC)),
        "finished": format_utc(datetime.fromtimestamp(max(p.stat().st_mtime for p in staged), UTC)),
        "counts": {
            "responses_archived": responses,
            "pages": pages,
            "articles": len(records),
            "related": len(related),
        },
        "seeds": {},
        "top_related": [
            {
                "url": r.url,
                "title": r.title,
                "score": r.relevance,
                "matched_terms": r.matched_terms,
                "channel": r.extra.get("channel", ""),
            }
            for r in related[:10]
        ],
    }


def store_pending(config: CrawlConfig) -> list[ObjectInfo]:
    """Store every finished file left in the crawl's staging folder; return what was stored.

    A file already in the store with the same size and sha256 (as the store
    records it, or as the ledger does) is not uploaded again, only entered in the
    ledger. The local copy goes once the store has it.
    """
    workdir = config.crawl_workdir
    outputs = CrawlOutputs(open_store(config.store), config.collection, config.crawl_id, workdir)
    # An upload killed midway leaves an unfinished multipart upload (S3) or temp file behind.
    abort = getattr(outputs.store, "abort_incomplete_uploads", None)
    if abort is not None:
        abort(outputs.prefix + "/")
    ledger = {o.key: o for o in outputs.stored()}
    pending = [(p, "warc") for p in sorted((workdir / "warc").glob("*.warc.gz"))]
    pending += [(p, "text") for p in sorted((workdir / "text").glob("*.jsonl.gz"))]
    if (workdir / "index.cdxj").exists():
        pending.append((workdir / "index.cdxj", "index"))
    pending += [(p, "index") for p in sorted((workdir / "index").glob(f"*{CAPTURES_NAME}"))]
    uploaded = []
    for path, kind in pending:
        relative = f"{kind}/{path.name}"
        size, sha256 = path.stat().st_size, file_sha256(path)
        remote = outputs.store.stat(outputs.key(kind, path.name))
        known = ledger.get(relative)
        recorded = remote.sha256 if remote is not None and remote.sha256 else None
        if recorded is None and known is not None:
            recorded = known.sha256
        if remote is not None and remote.size == size and recorded == sha256:
            if known is None or known.sha256 != sha256:
                outputs.record(ObjectInfo(relative, size, sha256))
            path.unlink()
            continue
        uploaded.append(outputs.store_file(path, kind))
    return uploaded


def _crawl_records(store: Store, outputs: CrawlOutputs) -> Iterator[TextRecord]:
    for obj in outputs.stored():
        if obj.key.startswith("text/"):
            with store.open(f"{outputs.prefix}/{obj.key}") as fh:
                yield from read_text_records(fh, compressed=obj.key.endswith(".gz"))


def write_crawl_extras(config: CrawlConfig, outputs: CrawlOutputs) -> dict[str, int]:
    """Store the crawl's seed set and, for a re-crawl, its edits; return their counts.

    Runs before the manifest is written, so both are listed in it.
    """
    workdir = config.crawl_workdir
    workdir.mkdir(parents=True, exist_ok=True)
    seeds = workdir / "seeds.json"
    seeds.write_text(json.dumps(config.seeds.to_dict(), indent=2, ensure_ascii=False))
    outputs.store_file(seeds, "")
    counts = {"edits": 0}
    previous_path = workdir / PRIOR_ARTICLES
    if config.prior is None or not previous_path.exists():
        return counts
    with previous_path.open("rb") as fh:
        previous = {canonical_url(r.url): r for r in read_text_records(fh, compressed=True)}
    edits_dir = workdir / "edits"
    edits_dir.mkdir(exist_ok=True)
    path = edits_dir / "edits.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for record in _crawl_records(outputs.store, outputs):
            before = previous.get(canonical_url(record.url))
            edit = find_edit(before, record) if before is not None else None
            if edit is not None:
                out.write(json.dumps(edit.to_dict(), ensure_ascii=False) + "\n")
                counts["edits"] += 1
    outputs.store_file(path, "edits")
    return counts
