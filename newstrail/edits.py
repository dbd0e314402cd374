"""Edit tracking: what changed in an article between two captures, paragraph by paragraph."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from typing import Any

from newstrail.records import TextRecord

__all__ = ["Edit", "diff_paragraphs", "find_edit"]


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n") if p.strip()]


def diff_paragraphs(old: str, new: str) -> list[dict[str, Any]]:
    """Paragraph-level changes from ``old`` to ``new``: removed, added and changed paragraphs.

    Each change gives the paragraphs before and after and their positions, so a
    reader can see exactly what a publisher altered. Within a block of
    differing paragraphs, a new paragraph that resembles an old one is a change
    of it; the rest were removed or added.
    """
    before, after = _paragraphs(old), _paragraphs(new)
    changes: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        changes.extend(_align(before, after, range(i1, i2), range(j1, j2)))
    return changes


def _change(op: str, i: int, j: int, old: list[str], new: list[str]) -> dict[str, Any]:
    return {"op": op, "old_index": i, "new_index": j, "old": old, "new": new}


def _align(before: list[str], after: list[str], olds: range, news: range) -> list[dict[str, Any]]:
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for i in olds:
        best, best_j = 0.6, None
        for j in news:
            if j in used:
                continue
            ratio = difflib.SequenceMatcher(a=before[i], b=after[j], autojunk=False).ratio()
            if ratio > best:
                best, best_j = ratio, j
        if best_j is not None:
            pairs[i] = best_j
            used.add(best_j)
    out: list[dict[str, Any]] = []
    j_next = news.start
    for i in olds:
        if i in pairs:
            j = pairs[i]
            out.extend(
                _change("added", i, k, [], [after[k]]) for k in range(j_next, j) if k not in used
            )
            out.append(_change("changed", i, j, [before[i]], [after[j]]))
            j_next = max(j_next, j + 1)
        else:
            out.append(_change("removed", i, j_next, [before[i]], []))
    out.extend(
        _change("added", olds.stop, k, [], [after[k]])
        for k in range(j_next, news.stop)
        if k not in used
    )
    return out


@dataclass(frozen=True)
class Edit:
    """An article whose text or title changed since its previous capture."""

    url: str
    canonical_url: str
    previous_record_id: str
    previous_date: str
    previous_warc: str
    new_record_id: str
    new_date: str
    new_warc: str
    title_change: dict[str, str | None] | None
    changes: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def find_edit(previous: TextRecord, current: TextRecord) -> Edit | None:
    """The edit between two captures of one article, or None when text and title are the same."""
    same_text = previous.text_sha256 == current.text_sha256
    same_title = (previous.title or "") == (current.title or "")
    if same_text and same_title:
        return None
    return Edit(
        url=current.url,
        canonical_url=current.canonical_url,
        previous_record_id=previous.warc_record_id,
        previous_date=previous.fetched_at,
        previous_warc=previous.warc_filename,
        new_record_id=current.warc_record_id,
        new_date=current.fetched_at,
        new_warc=current.warc_filename,
        title_change=None if same_title else {"from": previous.title, "to": current.title},
        changes=[] if same_text else diff_paragraphs(previous.text, current.text),
    )
