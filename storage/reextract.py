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


def _crawl_metadata(path: Path) -> dict[str, dict[str, str]]:
    """The crawl's metadata records (why fetched, relevance), by response record id."""
    found: dict[str, dict[str, str]] = {}
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type != "metadata":
                continue
            target = record.rec_headers.get_header("WARC-Concurrent-To")
            if not target:
                continue
            fields: dict[str, str] = {}
            for line in record.content_stream().read().decode("utf-8", "replace").splitlines():
                name, sep, value = line.partition(":")
                if sep:
                    fields[name.strip()] = value.strip()
            found[target] = fields
    return found


def _relevance(fields: dict[str, str]) -> Relevance:
    if "relevance" not in fields:
        return Relevance(0.0, False, (), 0.0)
    return Relevance(
        score=float(fields["relevance"]),
        related=fields.get("related") == "true",
        matched_terms=tuple(fields.get("matched-terms", "").split()),
        threshold=float(fields.get("relevance-threshold", "0") or 0),
    )


def _provenance(fields: dict[str, str]) -> dict[str, object]:
    if "via-channel" not in fields:
        return {}
    return {
        "channel": fields["via-channel"],
        "hop": int(fields.get("hop", "0")),
        "parent": fields.get("parent"),
        "seed": fields.get("seed"),
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
    metadata: dict[str, dict[str, str]] = {}
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
    path: Path, metadata: dict[str, dict[str, str]], model: RelevanceModel | None
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
                    relevance = model.score(article.text, article.title)
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
