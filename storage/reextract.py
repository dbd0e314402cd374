"""Text records from archived WARC files, as ``newstrail extract`` gives them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from warcio.archiveiterator import ArchiveIterator

from newstrail.articles import WarcPointer, article_record
from newstrail.errors import NewstrailError
from newstrail.extract import extract_article, looks_like_html
from newstrail.records import TextRecord
from newstrail.relevance import Relevance, RelevanceModel

__all__ = ["records_from_warcs"]

_T = TypeVar("_T")


Fields = dict[str, list[str]]


def _crawl_metadata(path: Path) -> dict[str, Fields]:
    """The crawl's metadata records (why fetched, relevance), by response record id."""
    found: dict[str, Fields] = {}
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type != "metadata":
                continue
            target = record.rec_headers.get_header("WARC-Concurrent-To")
            if not target:
                continue
            fields: Fields = {}
            for line in record.content_stream().read().decode("utf-8", "replace").splitlines():
                name, sep, value = line.partition(":")
                if sep:
                    fields.setdefault(name.strip(), []).append(value.strip())
            found[target] = fields
    return found


def _one(fields: Fields, name: str, default: str | None = None) -> str | None:
    values = fields.get(name)
    return values[0] if values else default


def _relevance(fields: Fields) -> Relevance:
    score = _one(fields, "relevance")
    if score is None:
        return Relevance(0.0, False, (), 0.0)
    return Relevance(
        score=float(score),
        related=_one(fields, "related") == "true",
        matched_terms=tuple((_one(fields, "matched-terms") or "").split()),
        threshold=float(_one(fields, "relevance-threshold") or 0),
        passages=tuple(fields.get("matched-passage", [])),
        reason=_one(fields, "not-related-because"),
    )


def _provenance(fields: Fields) -> dict[str, object]:
    """The record fields the crawl added from its provenance, read back from metadata."""
    if "via-channel" not in fields:
        return {}
    return {
        "story_id": _one(fields, "story-id"),
        "duplicate_of": _one(fields, "duplicate-of"),
        "not_related_reason": _one(fields, "not-related-because"),
        "channel": _one(fields, "via-channel"),
        "hop": int(_one(fields, "hop") or 0),
        "parent": _one(fields, "parent"),
        "seed": _one(fields, "seed"),
        "chain": fields.get("chain", []),
    }


def records_from_warcs(
    paths: Sequence[Path], model: RelevanceModel | None = None
) -> Iterator[TextRecord]:
    """One text record per HTML response record with article text in the WARC files.

    Relevance comes from ``model`` when given, otherwise from the crawl's own
    metadata records (a response without one scores 0 and is not related);
    provenance (channel, hop, parent, seed) always from those records. A page's
    metadata record may sit in a later file than its response (files roll over
    while pages are processed), so all files are read for metadata first.
    """
    metadata: dict[str, Fields] = {}
    for path in paths:
        metadata.update(_open_checked(path, _crawl_metadata))
    for path in paths:
        yield from _records(path, metadata, model)


def _open_checked(path: Path, read: Callable[[Path], _T]) -> _T:
    try:
        return read(path)
    except FileNotFoundError:
        raise NewstrailError(f"{path}: no such file") from None
    except OSError as exc:
        raise NewstrailError(f"{path}: cannot read: {exc.strerror}") from None
    except Exception as exc:  # warcio raises bare Exceptions on malformed input
        if isinstance(exc, NewstrailError):
            raise
        raise NewstrailError(f"{path}: not a readable WARC file ({exc})") from None


def _records(
    path: Path, metadata: dict[str, Fields], model: RelevanceModel | None
) -> Iterator[TextRecord]:
    # Every file was opened and read once already, for its metadata records.
    with path.open("rb") as fh:
        iterator = ArchiveIterator(fh)
        try:
            for record in iterator:
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                status = int(record.http_headers.get_statuscode() or 0)
                content_type = record.http_headers.get_header("Content-Type")
                if not 200 <= status < 300:
                    continue
                body = record.content_stream().read()
                if not looks_like_html(content_type, body[:2048]):
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                record_id = record.rec_headers.get_header("WARC-Record-ID")
                offset = iterator.get_record_offset()
                article = extract_article(body, url)
                if article is None:
                    continue
                fields = metadata.get(record_id, {})
                if model is not None:
                    relevance = model.score(article.text, article.title, article.date)
                else:
                    relevance = _relevance(fields)
                text_record = article_record(
                    url=url,
                    article=article,
                    relevance=relevance,
                    warc=WarcPointer(path.name, offset, record_id),
                    fetched_at=record.rec_headers.get_header("WARC-Date") or "",
                    status=status,
                )
                text_record.extra.update(_provenance(fields))
                yield text_record
        except Exception as exc:  # warcio raises bare Exceptions on malformed input
            if isinstance(exc, NewstrailError):
                raise
            raise NewstrailError(f"{path}: not a readable WARC file ({exc})") from None
