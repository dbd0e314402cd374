"""What the coverage spider yields: one PageItem per fetched page."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from newstrail.articles import WarcPointer
from newstrail.records import TextRecord

__all__ = ["CHAIN_LENGTH", "PageItem", "Provenance"]

# How many links back a page's discovery chain is kept (the seed is always kept).
CHAIN_LENGTH = 6
#: Where a queued link was found, as Heritrix says it in an outlink field, by channel.
_OUTLINK_CONTEXT = {"outlink": "a/@href", "feed": "feed", "sitemap": "sitemap/loc"}


@lru_cache(maxsize=64)
def _extend(chain: tuple[str, ...], channel: str, parent: str) -> tuple[str, ...]:
    """``chain`` and one step more: one tuple for all the links of one page, which
    wait in the frontier together (a copy each was about 200 bytes a request)."""
    longer = (*chain, f"{channel} {parent}")
    if len(longer) > CHAIN_LENGTH:
        longer = (longer[0], "…", *longer[-(CHAIN_LENGTH - 2) :])
    return longer


@dataclass(frozen=True, slots=True)
class Provenance:
    """Why a page was fetched: its seed, its parent, how it was found and the chain to it.

    ``hop`` counts links since the last related page; ``depth`` since the seed.
    ``chain`` lists ``channel url`` steps from the seed (the middle is elided
    on long chains).
    """

    seed: str
    parent: str | None
    hop: int
    depth: int
    channel: str
    expected: float
    anchor: str = ""
    chain: tuple[str, ...] = ()
    #: The web archive whose index named this page (channel ``archive-index``) or
    #: that served it (a memento); empty for the live web's own channels.
    archive: str = ""

    def child(
        self, url: str, *, parent: str, channel: str, hop: int, expected: float, anchor: str = ""
    ) -> Provenance:
        """The provenance of a link found on the page this provenance describes."""
        return Provenance(
            seed=self.seed,
            parent=parent,
            hop=hop,
            depth=self.depth + 1,
            channel=channel,
            expected=round(expected, 4),
            anchor=anchor[:300],
            chain=_extend(self.chain, self.channel, parent),
        )

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
            # The names Heritrix writes, which archive tools read.
            out.append(("via", self.parent))
        if self.depth:
            # L: a link; E: an embed (a page requisite), as Heritrix writes them.
            last = "E" if self.channel == "requisite" else "L"
            out.append(("hopsFromSeed", "L" * (self.depth - 1) + last))
        if self.anchor:
            out.append(("anchor-text", " ".join(self.anchor.split())))
        out.extend(("chain", step) for step in self.chain)
        if self.archive:
            out.append(("via-archive", self.archive))
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
    kind: str  # article | page | feed | sitemap | not-html | error | duplicate | truncated
    relevance: float | None = None
    related: bool = False
    matched_terms: list[str] = field(default_factory=list)
    threshold: float | None = None
    record: TextRecord | None = None
    duplicate_of: str | None = None
    story_id: str | None = None
    not_related_reason: str | None = None
    passages: list[str] = field(default_factory=list)
    redirected_from: list[str] = field(default_factory=list)
    discovered: int = 0
    #: The links queued from the page: (URL, channel), as many as ``discovered``.
    outlinks: list[tuple[str, str]] = field(default_factory=list)
    # Limits the page's analysis reached ("html-truncated", "links-capped",
    # "extraction-timeout", ...): what was read of it is not all it holds.
    limits: list[str] = field(default_factory=list)
    #: A memento's provenance: the archived page's own URL, its capture time, the archive.
    memento: dict[str, str] | None = None

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
            out.extend(("matched-passage", " ".join(p.split())) for p in self.passages)
        if self.not_related_reason:
            out.append(("not-related-because", self.not_related_reason))
        if self.story_id:
            out.append(("story-id", self.story_id))
        if self.duplicate_of:
            out.append(("duplicate-of", self.duplicate_of))
        if self.discovered:
            out.append(("links-queued", str(self.discovered)))
        # Heritrix's outlink field: URL, hop type (L: a link) and where it was found.
        out.extend(
            ("outlink", f"{url} L {_OUTLINK_CONTEXT.get(channel, channel)}")
            for url, channel in self.outlinks
        )
        out.extend(("redirected-from", u) for u in self.redirected_from)
        out.extend(("newstrail-limit", limit) for limit in self.limits)
        if self.memento:
            out.append(("memento-original-url", self.memento["original_url"]))
            out.append(("memento-datetime", self.memento["memento_datetime"]))
            out.append(("memento-archive", self.memento["archive"]))
        return out
