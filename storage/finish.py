"""The end of a crawl, from what its crawlers left to its manifest: salvage, store, finish.

Every crawl ends in ``finish_crawl``, run by one process or by many workers: the
crawl is a list of stored parts (``CrawlPart``, one per crawler; ``crawl_parts``
finds them among the stored keys), which are merged when there are several
(streaming: ``heapq.merge`` for the indexes, an external sort for the text
records, crawl-level boilerplate over the whole crawl), then the seed set and a
re-crawl's edits are stored and the manifest is written, last.

Before that, a one-process crawler's staging folder (``CrawlConfig.crawl_workdir``)
is made storable when it was killed (``salvage_crawl``: the unfinished WARC file
cut after its last complete record, the index rebuilt, text records and captures
past what was archived dropped) and stored once (``store_pending``);
``finalize_crawl`` then finishes it. A distributed crawl's workers store their
own parts; ``newstrail.flows.scaleout_steps.merge_crawl`` finishes it.
Storage code only: no Prefect, no Scrapy, no Redis; ``newstrail.flows`` calls it.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import heapq
import json
import re
import shutil
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newstrail import __version__
from newstrail.boilerplate import finalize_jsonl
from newstrail.config import CrawlConfig
from newstrail.edits import find_edit
from newstrail.errors import NewstrailError
from newstrail.frontier import UrlSet
from newstrail.records import TextRecord
from newstrail.storage import open_store
from newstrail.storage.base import CHUNK_SIZE, ObjectInfo, Store
from newstrail.storage.captures import CAPTURES_NAME, rewrite_captures
from newstrail.storage.cdxj import merge_cdxj_files, write_cdxj
from newstrail.storage.corpus import TextRecordWriter, read_text_records, sort_text_records
from newstrail.storage.manifest import (
    MANIFEST_NAME,
    Manifest,
    crawl_prefix,
    format_utc,
    parse_utc,
    write_manifest,
)
from newstrail.storage.staging import CrawlOutputs, file_sha256, salvage_open_warc
from newstrail.storage.wacz import CrawlFiles, write_wacz_files
from newstrail.storage.warc import INDEX_SPOOL_SUFFIX
from newstrail.stories import StoryIndex
from newstrail.urls import canonical_url

__all__ = [
    "INTERRUPTED",
    "JOB_NAME",
    "PRIOR_ARTICLES",
    "CrawlPart",
    "EmptyCrawl",
    "FinishedCrawl",
    "crawl_parts",
    "crawl_summary",
    "finalize_crawl",
    "finish_crawl",
    "readable_lines",
    "salvage_crawl",
    "salvage_staging",
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


_TOP = 10
_WARC_NAME = re.compile(r"^(?:(?P<part>.+)-)?\d{14}-\d{5}\.warc\.gz$")


class EmptyCrawl(NewstrailError):
    """The crawl archived no page, so it was not stored (and what it left was removed)."""


@dataclass
class CrawlPart:
    """One crawler's share of a crawl as stored (keys relative to the crawl's prefix).

    A one-process crawl is one part, named ``""``, whose files already carry the
    crawl's own names; a distributed crawl has one part per worker, its files
    tagged with the worker's name (``CrawlConfig.worker_file``). ``counts`` are
    the crawler's own; ``None`` when it died before it could give them: its text
    records and index are then rebuilt from its WARC files.
    """

    name: str
    warcs: list[str] = field(default_factory=list)
    text: str | None = None
    index: str | None = None
    captures: str | None = None
    counts: dict[str, int] | None = None

    @property
    def died(self) -> bool:
        return self.counts is None


@dataclass
class FinishedCrawl:
    """A stored crawl's manifest and, when parts were merged, its most related articles."""

    manifest: Manifest
    top_related: list[TextRecord] | None = None


def crawl_parts(
    config: CrawlConfig, keys: Iterable[str], counts: Mapping[str, Mapping[str, Any] | None]
) -> list[CrawlPart]:
    """The parts of ``config``'s crawl among its stored ``keys``, in name order.

    ``counts`` gives each part's counts by name; a part missing from it, or
    given ``None``, died.
    """
    warc_prefix = f"warc/newstrail-{config.collection}-{config.crawl_id}-"
    text_prefix = f"text/{config.crawl_id}"
    parts: dict[str, CrawlPart] = {}

    def part(name: str) -> CrawlPart:
        if name not in parts:
            found = counts.get(name)
            parts[name] = CrawlPart(
                name,
                counts=None
                if found is None
                else {k: int(v) for k, v in found.items() if isinstance(v, int)},
            )
        return parts[name]

    def tag(rest: str, suffix: str) -> str | None:
        # "" for the crawl's own name, "<worker>" for "-<worker>", None otherwise.
        if not rest.endswith(suffix):
            return None
        rest = rest[: -len(suffix)]
        return rest[1:] if rest.startswith("-") and len(rest) > 1 else None if rest else ""

    for key in keys:
        if key.startswith(warc_prefix):
            match = _WARC_NAME.match(key[len(warc_prefix) :])
            if match:
                part(match["part"] or "").warcs.append(key)
        elif (
            key.startswith(text_prefix)
            and (name := tag(key[len(text_prefix) :], ".jsonl.gz")) is not None
        ):
            part(name).text = key
        elif key.startswith("index/index") and (name := tag(key[11:], ".cdxj")) is not None:
            part(name).index = key
        elif key.startswith("index/captures") and (name := tag(key[14:], ".jsonl.gz")) is not None:
            part(name).captures = key
    return [parts[name] for name in sorted(parts)]


def finish_crawl(
    config: CrawlConfig,
    parts: Sequence[CrawlPart],
    *,
    reason: str,
    started: str | None,
    finished: str | None,
    workdir: Path,
    settings: Mapping[str, Any] | None = None,
    counts: Mapping[str, int] | None = None,
    known: Mapping[str, tuple[int, str]] | None = None,
    why_empty: str = "no page reached the crawl",
) -> FinishedCrawl:
    """Make a crawl's stored parts one crawl and write its manifest, last.

    The one end of every crawl, run by one process or by many workers. Parts
    tagged with a worker's name are merged, streaming, into the crawl's own
    files (see ``_merge_parts``) and then deleted; a one-process crawl's single
    part is already in them. Then the seed set and a re-crawl's edits are
    stored, every object is listed with its size and sha256 (from the store,
    the ledger in ``workdir``, ``known``, or read back), and the manifest is
    written. A crawl that archived no page is removed instead (an error gives
    ``why_empty``). ``workdir`` (the ledger and scratch files) is cleared at the end.
    ``counts`` are added to the crawl's counts; ``settings`` replace
    ``config.settings_summary()``.
    """
    store = open_store(config.store)
    outputs = CrawlOutputs(store, config.collection, config.crawl_id, workdir)
    total: Counter[str] = Counter()
    top = None
    superseded: set[str] = set()
    if any(p.name for p in parts):
        # The crawl's own files, if any, are from an earlier try of this merge
        # that failed before its manifest: they are written again.
        workers = [p for p in parts if p.name]
        merged = _merge_parts(config, outputs, workers, workdir / "merge")
        total.update(merged.counts)
        top = merged.top
        superseded = {k for p in workers for k in (p.text, p.index, p.captures) if k is not None}
    else:
        for part in parts:
            total.update(part.counts if part.counts is not None else _index_counts(outputs, part))
    total.update(counts or {})
    total.update(write_crawl_extras(config, outputs))
    if config.wacz and total.get("pages"):
        _store_wacz(config, outputs, workdir)
    stored = _crawl_objects(outputs, known or {})
    objects = [o for o in stored if o.key not in superseded]
    leftovers = sorted(p for p in (workdir / "warc").glob("*") if p.is_file())
    if leftovers:
        raise NewstrailError(f"{len(leftovers)} WARC file(s) were not stored; kept in {workdir}")
    if not total.get("pages"):
        _discard(config, outputs, stored, workdir)
        raise EmptyCrawl(f"nothing was archived, so the crawl is not stored: {why_empty}")
    total["warc_files"] = sum(1 for o in objects if o.key.startswith("warc/"))
    now = _now()
    manifest = Manifest(
        collection=config.collection,
        crawl_id=config.crawl_id,
        started=parse_utc(started or now),
        finished=parse_utc(finished or now),
        software=f"newstrail/{__version__}",
        seed_set=config.seeds.name,
        settings=dict(settings) if settings is not None else config.settings_summary(),
        counts=dict(sorted(total.items())),
        objects=objects,
        finish_reason=reason,
    )
    write_manifest(store, manifest)
    # Deleted only now: until the manifest is written, a failed finish can be run again.
    for key in sorted(superseded):
        store.delete(f"{outputs.prefix}/{key}")
    shutil.rmtree(workdir, ignore_errors=True)
    _prune_empty(config.workdir)
    return FinishedCrawl(manifest, top)


def crawl_summary(
    config: CrawlConfig, finished: FinishedCrawl, summary: Mapping[str, Any]
) -> dict[str, Any]:
    """``summary`` completed with where and what the finished crawl stored."""
    manifest = finished.manifest
    result = dict(summary)
    result.update(
        collection=manifest.collection,
        crawl_id=manifest.crawl_id,
        finish_reason=manifest.finish_reason,
        started=format_utc(manifest.started),
        finished=format_utc(manifest.finished),
        store=config.store,
        location=_location(config),
        counts=dict(manifest.counts),
        objects=[{"key": o.key, "size": o.size} for o in manifest.objects],
    )
    if finished.top_related is not None:
        result["top_related"] = [_related_entry(r) for r in finished.top_related]
    return result


def finalize_crawl(config: CrawlConfig, summary: dict[str, Any]) -> dict[str, Any]:
    """Finish a one-process crawl whose files are stored: its manifest, and its summary.

    ``summary`` is the crawler's (or ``salvage_crawl``'s, for a killed crawler).
    """
    store = open_store(config.store)
    prefix = crawl_prefix(config.collection, config.crawl_id)
    keys = [o.key[len(prefix) + 1 :] for o in store.list(prefix + "/")]
    parts = crawl_parts(config, keys, {"": summary.get("counts", {})})
    finished = finish_crawl(
        config,
        parts,
        reason=str(summary.get("finish_reason") or ""),
        started=summary.get("started"),
        finished=summary.get("finished"),
        workdir=config.crawl_workdir,
        why_empty=_why(summary),
    )
    return crawl_summary(config, finished, summary)


@dataclass
class _Merged:
    counts: Counter[str]
    top: list[TextRecord]


def _merge_parts(
    config: CrawlConfig, outputs: CrawlOutputs, parts: Sequence[CrawlPart], scratch: Path
) -> _Merged:
    """Merge workers' parts into the crawl's own text, index and captures files.

    Everything streams through files in ``scratch``: the indexes with
    ``heapq.merge``, the text records with an external sort into capture order,
    keeping one record per canonical URL (the first capture) and clustering
    stories over the whole crawl; crawl-level boilerplate is then removed over
    every worker's pages at once, as a one-process crawl removes it (each worker
    saw only its share of a site). A part that died has its index and text
    records rebuilt from its WARC files. The parts' own files are left for the
    caller to delete once the manifest is written.
    """
    store, prefix = outputs.store, outputs.prefix
    scratch.mkdir(parents=True, exist_ok=True)
    counts: Counter[str] = Counter()
    indexes: list[Path] = []
    captures_path = scratch / CAPTURES_NAME
    captured = 0
    with gzip.open(captures_path, "wb") as captures_out:
        for part in parts:
            local: list[Path] = []
            if (part.died or part.index is None) and part.warcs:
                local = _download(store, prefix, sorted(part.warcs), scratch / f"warc-{part.name}")
            index = scratch / f"index-{part.name}.cdxj"
            if part.index is not None:
                store.get_file(f"{prefix}/{part.index}", index)
            else:
                with index.open("wb") as out:
                    write_cdxj(local, out)
            indexes.append(index)
            if part.captures is not None:
                copy = scratch / f"captures-{part.name}.jsonl.gz"
                store.get_file(f"{prefix}/{part.captures}", copy)
                for line in readable_lines(copy):
                    captures_out.write(line)
                    captured += 1
                copy.unlink()
            counts.update(part.counts if part.counts is not None else _count_index(index))

    def part_records() -> Iterator[TextRecord]:
        for part in parts:
            if not part.died and part.text is not None:
                with store.open(f"{prefix}/{part.text}") as fh:
                    yield from read_text_records(fh, compressed=True)
            elif part.died and part.warcs:
                # Imported here: it brings in the extractor, which only a dead part needs.
                from newstrail.storage.reextract import records_from_warcs

                yield from records_from_warcs(
                    sorted((scratch / f"warc-{part.name}").glob("*.warc.gz"))
                )

    text_path = scratch / "text" / f"{config.crawl_id}.jsonl.gz"
    text_path.parent.mkdir(parents=True, exist_ok=True)
    written, duplicates, related, top = _merge_records(part_records(), text_path, scratch / "sort")
    counts["duplicates"] += duplicates
    counts["articles"] = written
    counts["related"] = related
    finalize_jsonl(text_path)
    outputs.store_file(text_path, "text")
    index_path = scratch / "index.cdxj"
    merge_cdxj_files(indexes, index_path)
    outputs.store_file(index_path, "index")
    if captured:
        outputs.store_file(captures_path, "index")
    shutil.rmtree(scratch, ignore_errors=True)
    return _Merged(counts, top)


def _store_wacz(config: CrawlConfig, outputs: CrawlOutputs, workdir: Path) -> None:
    """Store a WACZ of the crawl (its WARC files, index and related articles) next to
    them, so that it is listed in the manifest like every other object."""
    keys = [o.key[len(outputs.prefix) + 1 :] for o in outputs.store.list(outputs.prefix + "/")]
    path = workdir / "wacz" / f"{config.crawl_id}.wacz"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_wacz_files(
        outputs.store,
        config.collection,
        [CrawlFiles(config.crawl_id, outputs.prefix, [k for k in keys if k != MANIFEST_NAME])],
        path,
    )
    outputs.store_file(path, "wacz")


def _count_index(index: Path) -> Counter[str]:
    """Responses and pages archived, from a CDXJ index: what a part that died counts."""
    counts: Counter[str] = Counter()
    with index.open("rb") as fh:
        for line in fh:
            counts["responses_archived"] += 1
            counts["pages"] += b"/robots.txt " not in line
    return counts


def _index_counts(outputs: CrawlOutputs, part: CrawlPart) -> Counter[str]:
    # A crawl's own part without counts: one whose finish failed after its parts
    # were merged, run again. Never taken for empty (and removed) while it has pages.
    if part.index is None:
        return Counter()
    copy = outputs.workdir / "counted.cdxj"
    copy.parent.mkdir(parents=True, exist_ok=True)
    outputs.store.get_file(f"{outputs.prefix}/{part.index}", copy)
    try:
        return _count_index(copy)
    finally:
        copy.unlink()


def _download(store: Store, prefix: str, keys: list[str], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for key in keys:
        path = folder / key.rsplit("/", 1)[-1]
        store.get_file(f"{prefix}/{key}", path)
        paths.append(path)
    return paths


def _capture_order(record: TextRecord) -> tuple[str, str]:
    return record.fetched_at, record.url


def _merge_records(
    records: Iterable[TextRecord], out: Path, scratch: Path
) -> tuple[int, int, int, list[TextRecord]]:
    """Write one record per canonical URL (the first capture) to ``out``, in capture
    order, with stories clustered over the whole crawl; return the records written,
    the duplicates dropped, the related records and the most related ones."""
    kept = UrlSet()
    stories = StoryIndex()
    written = duplicates = related = 0
    top: list[tuple[float, int, TextRecord]] = []
    with TextRecordWriter(out) as writer:
        for record in sort_text_records(records, _capture_order, scratch):
            key = canonical_url(record.canonical_url or record.url)
            if key in kept:
                duplicates += 1
                continue
            kept.add(key)
            # Each worker clustered only what it fetched.
            story = stories.assign(record.url, record.text)
            record.extra["story_id"] = story.story_id
            record.extra["duplicate_of"] = story.duplicate_of
            writer.write(record)
            written += 1
            if record.related:
                related += 1
                entry = (record.relevance, -written, record)
                if len(top) < _TOP:
                    heapq.heappush(top, entry)
                else:
                    heapq.heappushpop(top, entry)
    ranked = [r for _, _, r in sorted(top, key=lambda e: e[:2], reverse=True)]
    return written, duplicates, related, ranked


def _related_entry(r: TextRecord) -> dict[str, Any]:
    return {
        "url": r.url,
        "title": r.title,
        "score": r.relevance,
        "matched_terms": r.matched_terms,
        "passages": r.extra.get("matched_passages", []),
        "channel": r.extra.get("channel", ""),
        "hop": r.extra.get("hop", 0),
        "parent": r.extra.get("parent"),
        "chain": r.extra.get("chain", []),
    }


def _crawl_objects(outputs: CrawlOutputs, known: Mapping[str, tuple[int, str]]) -> list[ObjectInfo]:
    """Every stored object of the crawl with its sha256, checked against the ledger.

    The sha256 comes from the store when it knows it, else from the ledger or
    ``known`` when the sizes agree, else from reading the object back.
    """
    store, prefix = outputs.store, outputs.prefix
    recorded = dict(known)
    ledger = outputs.stored()
    for obj in ledger:
        if obj.sha256:
            recorded[obj.key] = (obj.size, obj.sha256)
    objects = []
    for obj in store.list(prefix + "/"):
        key = obj.key[len(prefix) + 1 :]
        if key == MANIFEST_NAME:
            continue
        size_sha = recorded.get(key)
        if obj.sha256:
            sha256 = obj.sha256
        elif size_sha is not None and size_sha[0] == obj.size:
            sha256 = size_sha[1]
        else:
            sha256 = _read_sha256(store, obj.key)
        objects.append(ObjectInfo(key, obj.size, sha256))
    sizes = {o.key: o.size for o in objects}
    for obj in ledger:
        if sizes.get(obj.key) != obj.size:
            raise NewstrailError(
                f"{outputs.store}: object {obj.key} is missing or has the wrong size after upload"
            )
    return objects


def _read_sha256(store: Store, key: str) -> str:
    digest = hashlib.sha256()
    with store.open(key) as fh:
        while chunk := fh.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def readable_lines(path: Path) -> Iterator[bytes]:
    """Complete lines of a gzip file that may have been cut short by a crash."""
    try:
        with gzip.open(path, "rb") as fh:
            for line in fh:
                if line.endswith(b"\n"):
                    yield line
    except (EOFError, OSError, zlib.error):
        return


def _why(summary: dict[str, Any]) -> str:
    problems = [f"{u}: {s}" for u, s in summary.get("seeds", {}).items() if s != "ok"]
    if not problems:
        return "no page reached the crawl"
    more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
    return f"no seed could be captured ({'; '.join(problems[:3])}{more})"


def _discard(
    config: CrawlConfig, outputs: CrawlOutputs, objects: list[ObjectInfo], workdir: Path
) -> None:
    """Remove a crawl that archived no page: a warcinfo record and perhaps a robots.txt.

    Listed as complete it would be an empty crawl in a corpus others download;
    nothing of a page is lost.
    """
    for obj in objects:
        outputs.store.delete(f"{outputs.prefix}/{obj.key}")
    shutil.rmtree(workdir, ignore_errors=True)
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


def salvage_staging(
    workdir: Path, stored_warcs: Iterable[str] = ()
) -> tuple[set[str], dict[str, int]]:
    """Make what a killed crawler left in ``workdir`` consistent, in place.

    Its unfinished WARC file is cut after its last complete record and finished,
    and its captures keep only those pointing into what was archived (in a WARC
    file here or among ``stored_warcs``, before any cut). Returns the names of
    the crawl's WARC files and, for each file cut, the offset where it now ends.
    """
    warc_dir = workdir / "warc"
    # The unsorted index lines of the files that were being written: they are
    # indexed anew once salvaged.
    for spool in (workdir / "index").glob(f".*{INDEX_SPOOL_SUFFIX}"):
        spool.unlink()
    cut: dict[str, int] = {}
    for part in sorted(warc_dir.glob("*.warc.gz.open")):
        salvaged = salvage_open_warc(part)
        if salvaged is not None:
            cut[salvaged[0].name] = salvaged[1]
    warc_names = {p.name for p in warc_dir.glob("*.warc.gz")} | set(stored_warcs)
    # The captures of responses archived before the crash, for later re-crawls.
    for path in sorted((workdir / "index").glob("captures*.jsonl.gz")):
        rewrite_captures(
            path,
            lambda c: c.filename in warc_names and c.offset < cut.get(c.filename, c.offset + 1),
        )
    return warc_names, cut


def salvage_crawl(config: CrawlConfig) -> dict[str, Any]:
    """Make a killed crawler's staging folder storable and summarise it as interrupted.

    The unfinished WARC file is cut after its last complete record and finished;
    every finished WARC file is indexed; text records and captures that point past
    what was archived (the crawler died before writing their response) are dropped.
    """
    workdir = config.crawl_workdir
    warc_dir, index_dir = workdir / "warc", workdir / "index"
    index_dir.mkdir(parents=True, exist_ok=True)
    outputs = CrawlOutputs(open_store(config.store), config.collection, config.crawl_id, workdir)
    stored = {o.key[5:] for o in outputs.stored() if o.key.startswith("warc/")}
    warc_names, cut = salvage_staging(workdir, stored)
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
    records = _text_in_archive(config, warc_names, cut)
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
