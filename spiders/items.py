"""What the coverage spider yields: one PageItem per fetched page."""

from __future__ import annotations

from dataclasses import dataclass, field

from newstrail.articles import WarcPointer
from newstrail.records import TextRecord

__all__ = ["PageItem", "Provenance"]


@dataclass
class Provenance:
    """Why a page was fetched: the seed it descends from, its parent and how it was found."""

    seed: str
    parent: str | None
    hop: int
    depth: int
    channel: str
    expected: float
    anchor: str = ""

    def fields(self) -> list[tuple[str, str]]:
        """As WARC metadata fields (application/warc-fields)."""
        out = [
            ("seed", self.seed),
            ("via-channel", self.channel),
            ("hop", str(self.hop)),
            ("depth", str(self.depth)),
            ("expected-relevance", f"{self.expected:.4f}"),
        ]
        if self.parent:
            out.append(("parent", self.parent))
        if self.anchor:
            out.append(("anchor-text", self.anchor[:300]))
        return out


@dataclass
class PageItem:
    """A fetched page: its archive pointer, its provenance and, for articles, its text record."""

    url: str
    status: int
    content_type: str
    fetched_at: str
    provenance: Provenance
    warc: WarcPointer | None
    kind: str  # article | page | not-html | error | duplicate
    relevance: float | None = None
    related: bool = False
    matched_terms: list[str] = field(default_factory=list)
    threshold: float | None = None
    record: TextRecord | None = None
    duplicate_of: str | None = None
    redirected_from: list[str] = field(default_factory=list)

    def metadata_fields(self) -> list[tuple[str, str]]:
        out = self.provenance.fields()
        out.append(("page-kind", self.kind))
        if self.relevance is not None:
            out.append(("relevance", f"{self.relevance:.4f}"))
            out.append(("related", "true" if self.related else "false"))
            if self.threshold is not None:
                out.append(("relevance-threshold", f"{self.threshold:.4f}"))
            if self.matched_terms:
                out.append(("matched-terms", " ".join(self.matched_terms)))
        if self.duplicate_of:
            out.append(("duplicate-of", self.duplicate_of))
        out.extend(("redirected-from", u) for u in self.redirected_from)
        return out
