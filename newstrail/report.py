"""A collection seen whole: its report as one HTML file, and its articles as one table.

Plain functions over text records (no store, no framework): the storage layer reads
a collection's crawls and hands their records here.

- :func:`latest_captures` keeps one record per canonical URL, its latest capture;
- :func:`report_data` turns records and crawl figures into what the report shows
  (a timeline, the outlets, the stories, the article table, the crawls' figures),
  every string and list capped, and marked where it was cut;
- :func:`render_report` makes the self-contained HTML page (inline CSS and JS, the
  data as JSON in the page; nothing is loaded from anywhere);
- :func:`export_records` writes the records as CSV, Parquet (pyarrow, imported only
  there) or JSON lines.
"""

from __future__ import annotations

import contextlib
import csv
import heapq
import html
import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from newstrail.errors import NewstrailError
from newstrail.records import TextRecord
from newstrail.urls import canonical_url

__all__ = [
    "EXPORT_FORMATS",
    "FIGURES",
    "REPLAY_BASE",
    "CrawlFigures",
    "export_records",
    "latest_captures",
    "render_report",
    "report_data",
]

#: Where ``newstrail replay COLLECTION`` serves pywb by default.
REPLAY_BASE = "http://127.0.0.1:8080"

#: The crawl figures the report shows: (label, the manifest counts summed for it).
#: A crawl counts only what happened (no ``errors`` key: none), so a missing count is
#: zero, except those older crawls did not keep (in ``SINCE_LATER``): unknown there.
FIGURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pages fetched", ("pages",)),
    ("articles", ("articles",)),
    ("related", ("related",)),
    ("duplicates", ("duplicates",)),
    ("revisits", ("revisits",)),
    ("edits", ("edits",)),
    ("errors", ("errors", "failed")),
    ("robots refusals", ("robots_forbidden",)),
    ("traps closed", ("traps_closed",)),
    ("links dropped as traps", ("trap_links_dropped",)),
)
SINCE_LATER = frozenset({"traps_closed"})

EXPORT_FORMATS = ("csv", "parquet", "jsonl")

# What one record may cost the report: strings and lists past these are cut, and
# the cut is marked (an ellipsis and the size cut; "+N more" for lists).
MAX_TITLE = 300
MAX_TEXT_FIELD = 200
MAX_URL = 2000
MAX_PASSAGE = 400
MAX_EXCERPT = 200
MAX_TERMS = 12
MAX_TERM = 60
#: Rows in one report: a collection past this shows its most relevant articles and says so.
MAX_ROWS = 50_000
#: Stories listed with their copies (the largest first).
MAX_STORIES = 300
#: Outlets given a colour of their own in the timeline; the rest share one.
MAX_COLOURED = 10


@dataclass(frozen=True)
class CrawlFigures:
    """One complete crawl as its manifest describes it."""

    crawl_id: str
    started: str
    finished: str
    finish_reason: str = ""
    counts: Mapping[str, int] = field(default_factory=dict)
    #: Where the crawl's text records are (a file:// URI for a local store, else a key).
    text_location: str = ""


def _capture_time(record: TextRecord) -> datetime:
    try:
        when = datetime.fromisoformat(record.fetched_at)
    except (TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def url_key(record: TextRecord) -> str:
    """The canonical form of the page's own URL.

    Not its ``canonical_url`` field (the page's rel=canonical): a syndicated copy
    names the original there, but it is another page on another outlet.
    """
    if not isinstance(record.url, str) or not record.url:
        raise NewstrailError(f"a text record has no URL (url is {record.url!r:.80})")
    return canonical_url(record.url)


def latest_captures(
    read: Callable[[], Iterable[tuple[str, TextRecord]]], *, related_only: bool = False
) -> Iterator[tuple[str, TextRecord]]:
    """One ``(crawl_id, record)`` per canonical URL, its latest capture, in the order read.

    ``read()`` gives the records crawl by crawl, oldest crawl first, the same each
    time it is called: it is read twice, first to find each URL's latest capture (by
    ``fetched_at``; of two at the same time the later one read wins), then to yield
    them, so only a URL and a position per page are held, never a record.
    ``related_only`` keeps the URLs whose latest capture is related.
    """
    latest: dict[str, tuple[datetime, int]] = {}
    for position, (_, record) in enumerate(read()):
        key = url_key(record)
        when = _capture_time(record)
        current = latest.get(key)
        if current is None or when >= current[0]:
            latest[key] = (when, position)
    for position, (crawl_id, record) in enumerate(read()):
        if related_only and not record.related:
            continue
        entry = latest.get(url_key(record))
        if entry is not None and entry[1] == position:
            yield crawl_id, record


def _cap(value: object, limit: int) -> str:
    text = "" if value is None else str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit:,} characters cut]"


def _cap_list(values: object, limit: int, item_limit: int) -> tuple[list[str], int]:
    if not isinstance(values, list):
        return [], 0
    return [_cap(v, item_limit) for v in values[:limit]], max(0, len(values) - limit)


def _web_url(url: str) -> str | None:
    """``url`` if it is an http(s) URL a link may point at, else None (no ``javascript:``)."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") and len(url) <= MAX_URL else None


def _pub_date(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def _outlet(record: TextRecord) -> str:
    """The outlet's name; its host when the page names none, or only its host name."""
    try:
        parts = urlsplit(record.url)
        host = (parts.netloc.rsplit("@", 1)[-1] or "").lower()
        hostname = (parts.hostname or "").lower()
    except ValueError:
        host = hostname = ""
    name = str(record.sitename or "").strip()
    if not name or name.lower() == hostname:
        name = host or "(unknown)"
    return _cap(name, MAX_TEXT_FIELD)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _row(crawl_id: str, record: TextRecord) -> dict[str, Any]:
    terms, terms_cut = _cap_list(record.matched_terms, MAX_TERMS, MAX_TERM)
    passages = record.extra.get("matched_passages")
    passage = _cap(passages[0], MAX_PASSAGE) if isinstance(passages, list) and passages else ""
    # The replay link is made in the page from these: pywb's /COLLECTION/TIMESTAMP/URL.
    stamp = "".join(c for c in str(record.fetched_at) if c.isdigit())[:14]
    relevance = record.relevance if isinstance(record.relevance, int | float) else 0.0
    if not math.isfinite(relevance):
        # NaN would make the page's JSON invalid (JSON has no NaN).
        relevance = 0.0
    return {
        "title": _cap(record.title or "", MAX_TITLE),
        "url": _cap(record.url, MAX_URL),
        "live": _web_url(record.url) is not None,
        "stamp": stamp if len(stamp) == 14 else None,
        "outlet": _outlet(record),
        "date": _pub_date(record.date),
        "date_source": _cap(record.extra.get("date_source") or "", MAX_TEXT_FIELD),
        "relevance": round(float(relevance), 4),
        "terms": terms,
        "terms_cut": terms_cut,
        "passage": passage,
        "channel": _cap(record.extra.get("channel") or "", MAX_TEXT_FIELD),
        "hop": _int(record.extra.get("hop")),
        "parent": _cap(record.extra.get("parent") or "", MAX_URL),
        "seed": record.extra.get("channel") == "seed",
        "crawl": crawl_id,
        "fetched_at": _cap(record.fetched_at, MAX_TEXT_FIELD),
        "story": _cap(record.extra.get("story_id") or "", MAX_TEXT_FIELD),
        "duplicate_of": _cap(record.extra.get("duplicate_of") or "", MAX_URL),
        "author": _cap(record.author or "", MAX_TEXT_FIELD),
        "excerpt": _cap(record.text, MAX_EXCERPT),
        "record_id": _cap(record.warc_record_id, MAX_TEXT_FIELD),
        "warc": _cap(record.warc_filename, MAX_TEXT_FIELD),
        "warc_offset": _int(record.warc_record_offset),
    }


def _figures(crawls: Sequence[CrawlFigures]) -> dict[str, Any]:
    rows = []
    totals = dict.fromkeys((label for label, _ in FIGURES), 0)
    recorded = dict.fromkeys(totals, False)
    for crawl in crawls:
        values: dict[str, int | None] = {}
        for label, keys in FIGURES:
            if all(k in SINCE_LATER and k not in crawl.counts for k in keys):
                values[label] = None
                continue
            value = sum(v for k in keys if isinstance(v := crawl.counts.get(k, 0), int))
            values[label] = value
            totals[label] += value
            recorded[label] = True
        rows.append(
            {
                "crawl": crawl.crawl_id,
                "started": crawl.started,
                "finished": crawl.finished,
                "finish_reason": crawl.finish_reason,
                "values": values,
            }
        )
    return {
        "labels": [label for label, _ in FIGURES],
        "crawls": rows,
        "totals": {k: (v if recorded[k] else None) for k, v in totals.items()},
    }


def report_data(
    collection: str,
    crawls: Sequence[CrawlFigures],
    records: Iterable[tuple[str, TextRecord]],
    *,
    generated: datetime | None = None,
) -> dict[str, Any]:
    """What the report of ``collection`` shows, as plain JSON-able data.

    ``records`` are ``(crawl_id, record)`` pairs, one per page (what
    :func:`latest_captures` gives); the related ones are shown, at most
    ``MAX_ROWS``: the most relevant, and the number left out is said.
    """
    # The rows are built as the records come, so only their capped fields are held,
    # and at most MAX_ROWS of them (a heap of the most relevant).
    kept: list[tuple[float, int, dict[str, Any]]] = []
    total_related = 0
    for position, (crawl_id, record) in enumerate(records):
        if not record.related:
            continue
        total_related += 1
        row = _row(crawl_id, record)
        # -position: of equally relevant rows the earlier stays; never compares rows.
        item = (row["relevance"], -position, row)
        if len(kept) < MAX_ROWS:
            heapq.heappush(kept, item)
        elif item[:2] > kept[0][:2]:
            heapq.heapreplace(kept, item)
    rows = sorted(
        (row for _, _, row in kept), key=lambda r: (r["date"] or "9999", r["outlet"], r["url"])
    )
    for index, row in enumerate(rows):
        row["i"] = index
    return {
        "collection": collection,
        "generated": (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%SZ"),
        "replay_base": REPLAY_BASE,
        "text_files": {c.crawl_id: c.text_location for c in crawls},
        "related_total": total_related,
        "rows_cut": total_related - len(rows),
        "articles": rows,
        "outlets": _outlets(rows),
        "stories": _stories(rows),
        "figures": _figures(crawls),
    }


def _outlets(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = found.setdefault(
            row["outlet"], {"name": row["outlet"], "count": 0, "first": None, "last": None}
        )
        entry["count"] += 1
        when = row["date"]
        if when is not None:
            entry["first"] = min(entry["first"] or when, when)
            entry["last"] = max(entry["last"] or when, when)
    return sorted(found.values(), key=lambda e: (-e["count"], e["name"]))


def _stories(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        if row["story"]:
            groups.setdefault(row["story"], []).append(row)
    stories = []
    for story, members in groups.items():
        if len(members) < 2:
            continue
        members = sorted(members, key=lambda r: (bool(r["duplicate_of"]), r["fetched_at"]))
        stories.append(
            {
                "story": story,
                "title": members[0]["title"] or members[0]["url"],
                "copies": [m["i"] for m in members],
            }
        )
    stories.sort(key=lambda s: (-len(s["copies"]), s["title"]))
    return {"total": len(stories), "listed": stories[:MAX_STORIES]}


def _script_json(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&``.

    Escaping every ``<`` (not only ``</``) also keeps ``<!--`` out, which would put
    the HTML parser in a state where the block's own end tag no longer ends it.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


_SLOT = re.compile(r"\{\{(TITLE|DATA)\}\}")


def render_report(data: Mapping[str, Any]) -> str:
    """The report as one self-contained HTML page (the template is package data)."""
    template = resources.files("newstrail").joinpath("report.html").read_text(encoding="utf-8")
    values = {
        "TITLE": html.escape(f"newstrail report: {data['collection']}"),
        "DATA": _script_json(data),
    }
    # One pass: nothing put in a slot is looked at again.
    return _SLOT.sub(lambda m: values[m.group(1)], template)


# The export's columns: the text record's fields, in the README's order, with the
# type each has in Parquet. Fields a record has beyond these go in ``extra`` as JSON.
_LIST = "list"
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("url", "string"),
    ("canonical_url", "string"),
    ("title", "string"),
    ("author", "string"),
    ("date", "string"),
    ("sitename", "string"),
    ("language", "string"),
    ("text", "string"),
    ("relevance", "float"),
    ("related", "bool"),
    ("matched_terms", _LIST),
    ("warc_filename", "string"),
    ("warc_record_offset", "int"),
    ("warc_record_id", "string"),
    ("text_sha256", "string"),
    ("fetched_at", "string"),
    ("status", "int"),
    ("limits", _LIST),
    ("threshold", "float"),
    ("matched_passages", _LIST),
    ("not_related_reason", "string"),
    ("story_id", "string"),
    ("duplicate_of", "string"),
    ("channel", "string"),
    ("hop", "int"),
    ("parent", "string"),
    ("seed", "string"),
    ("chain", _LIST),
    ("source", "string"),
    ("original_url", "string"),
    ("memento_url", "string"),
    ("memento_datetime", "string"),
    ("date_source", "string"),
    ("boilerplate_removed", "int"),
    ("crawl_boilerplate_removed", "int"),
    ("crawl_id", "string"),
    ("extra", "string"),
)
_KNOWN = {name for name, _ in EXPORT_COLUMNS}


def _export_row(crawl_id: str, record: TextRecord) -> dict[str, Any]:
    data = record.to_dict()
    row: dict[str, Any] = {name: data.get(name) for name, _ in EXPORT_COLUMNS}
    row["crawl_id"] = crawl_id
    rest = {k: v for k, v in data.items() if k not in _KNOWN}
    row["extra"] = json.dumps(rest, ensure_ascii=False, sort_keys=True) if rest else None
    return row


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        # JSON, not a joined string: a term or passage may hold any separator.
        return json.dumps(value, ensure_ascii=False)
    return value


def export_records(records: Iterable[tuple[str, TextRecord]], fmt: str, out: Path | IO[str]) -> int:
    """Write ``(crawl_id, record)`` pairs as one table; returns the rows written.

    ``csv``: a header and one row per record, list fields as JSON arrays, empty for
    none; ``jsonl``: the records as they are, with ``crawl_id``; ``parquet``: typed
    columns, list fields as lists of strings (``out`` must be a path).
    """
    if fmt not in EXPORT_FORMATS:
        raise NewstrailError(f"unknown export format {fmt!r}: use {', '.join(EXPORT_FORMATS)}")
    rows = (_export_row(crawl_id, record) for crawl_id, record in records)
    if fmt == "parquet":
        if not isinstance(out, Path):
            raise NewstrailError("Parquet is written to a file: give -o FILE.parquet")
        return _write_parquet(rows, out)
    with contextlib.ExitStack() as stack:
        fh = (
            stack.enter_context(out.open("w", encoding="utf-8", newline=""))
            if isinstance(out, Path)
            else out
        )
        count = 0
        if fmt == "csv":
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow([name for name, _ in EXPORT_COLUMNS])
            for row in rows:
                writer.writerow([_csv_value(row[name]) for name, _ in EXPORT_COLUMNS])
                count += 1
        else:
            for row in rows:
                line = {k: v for k, v in row.items() if k != "extra"}
                if row["extra"] is not None:
                    line.update(json.loads(row["extra"]))
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
                count += 1
    return count


#: Rows a Parquet row group holds (and this process, at a time).
PARQUET_BATCH = 2000


def _write_parquet(rows: Iterable[dict[str, Any]], out: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    kinds = {
        "string": pa.string(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "int": pa.int64(),
        _LIST: pa.list_(pa.string()),
    }
    schema = pa.schema([(name, kinds[kind]) for name, kind in EXPORT_COLUMNS])
    count = 0
    with pq.ParquetWriter(out, schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in itertools.chain(rows, [None]):
            if row is not None:
                batch.append(row)
                if len(batch) < PARQUET_BATCH:
                    continue
            if not batch:
                break
            try:
                table = pa.Table.from_pylist(batch, schema=schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise NewstrailError(f"a record does not fit the export's columns: {exc}") from None
            writer.write_table(table)
            count += table.num_rows
            batch = []
    return count
