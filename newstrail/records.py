"""The text record: one JSON object per extracted article."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TextRecord:
    """Clean text and metadata of one archived HTML response.

    ``warc_filename`` and ``warc_record_offset`` point at the WARC response record
    the text was extracted from (the offset of its gzip member in that file).
    """

    url: str
    canonical_url: str
    title: str | None
    author: str | None
    date: str | None
    sitename: str | None
    language: str | None
    text: str
    relevance: float
    related: bool
    matched_terms: list[str]
    warc_filename: str
    warc_record_offset: int
    warc_record_id: str
    text_sha256: str
    fetched_at: str = ""
    status: int = 200
    #: The limits extraction reached on the page (``html-truncated``,
    #: ``second-opinions-skipped``, ``links-capped``...): the text may be partial.
    limits: list[str] = field(default_factory=list)
    #: ``live``, or ``archive`` for a memento (a capture in a web archive of a page
    #: gone from the live web): then the page's own URL, the memento's and its date.
    source: str = "live"
    original_url: str | None = None
    memento_url: str | None = None
    memento_datetime: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        extra = data.pop("extra")
        data.update(extra)
        return data

    def to_json(self) -> str:
        # to_dict's JSON, without its deep copy: one is written for every article.
        data = {name: getattr(self, name) for name in _FIELD_NAMES}
        data.update(self.extra)
        return json.dumps(data, ensure_ascii=False, sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextRecord:
        known = {k: v for k, v in data.items() if k in _FIELD_NAMES}
        extra = {k: v for k, v in data.items() if k not in _FIELD_NAMES}
        return cls(**known, extra=extra)


_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(TextRecord) if f.name != "extra")
