"""The data the offline web is made of: seed articles, generated articles, routes."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ._topics import Label

ArticleKey = tuple[str, str]
"""(site key, path) of an article."""

Channel = Literal["link", "feed", "sitemap"]
"""How a crawler can reach an article: HTML links, the site's feed, its sitemaps."""
CHANNELS: tuple[Channel, ...] = ("link", "feed", "sitemap")

_BLANK_LINES = re.compile(r"\n\s*\n")

EPOCH = dt.datetime(2021, 1, 4, 9, 0, tzinfo=dt.UTC)
"""Last-Modified of pages that never change (robots.txt, about pages, the PDF)."""


@dataclass(frozen=True)
class SeedArticle:
    """A seed article: the text a seed page of the offline web is built around.

    ``date`` may be given as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (as seed
    files write it); it is stored as a date, see :func:`parse_seed_date`.
    ``paragraphs`` may be any sequence; it is stored as a tuple.
    """

    title: str
    author: str
    date: dt.date | str
    paragraphs: Sequence[str]

    def __post_init__(self) -> None:
        # Frozen, so normalise through object.__setattr__.
        object.__setattr__(self, "date", parse_seed_date(self.date))
        object.__setattr__(self, "paragraphs", tuple(self.paragraphs))
        if not self.paragraphs:
            raise ValueError(f"seed article {self.title!r} has no paragraphs")

    @property
    def day(self) -> dt.date:
        """``date`` as a :class:`datetime.date` (it always is after construction)."""
        return parse_seed_date(self.date)

    @classmethod
    def from_text(cls, text: str, *, title: str, author: str, date: dt.date | str) -> SeedArticle:
        """One paragraph per blank-line-separated block of ``text``."""
        blocks = (" ".join(b.split("\n")).strip() for b in _BLANK_LINES.split(text))
        return cls(title=title, author=author, date=date, paragraphs=tuple(b for b in blocks if b))


def parse_seed_date(value: dt.date | str) -> dt.date:
    """A page needs a full date: a missing month is June, a missing day the 28th
    (which every month has)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = value.strip()
    if re.fullmatch(r"\d{4}", text):
        return dt.date(int(text), 6, 28)
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return dt.date.fromisoformat(f"{text}-28")
    return dt.date.fromisoformat(text[:10])


def load_seed_articles(toml_path: str | Path) -> list[SeedArticle]:
    """Read the ``[[seed]]`` entries of a seed collection file (``seeds/*.toml``).

    Each entry needs ``title``, ``author``, ``published`` and ``text_file``
    (relative to the TOML file's directory).
    """
    path = Path(toml_path)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    seeds = []
    for entry in data.get("seed", []):
        text = (path.parent / entry["text_file"]).read_text(encoding="utf-8")
        seeds.append(
            SeedArticle.from_text(
                text,
                title=entry["title"],
                author=entry["author"],
                date=str(entry["published"]),
            )
        )
    return seeds


def default_seed_articles() -> list[SeedArticle]:
    """The project's default seed set (``seeds/iraq-us-troops.toml``)."""
    from newstrail.seeds import default_seed_file

    return load_seed_articles(default_seed_file())


@dataclass(frozen=True)
class Ref:
    """A link target on one of the sites: site key and path (with any query)."""

    site: str
    path: str


@dataclass(frozen=True)
class BodyLink:
    """A link wrapped around ``length`` words of a body paragraph, text unchanged."""

    paragraph: int
    word: int
    length: int
    target: Ref


@dataclass
class Article:
    """One article page. Mutable so the server can edit it between crawls."""

    site: str
    path: str
    number: int
    label: Label
    topic: str
    section: str
    title: str
    standfirst: str
    author: str
    published: dt.datetime
    modified: dt.datetime
    paragraphs: list[str]
    caption: str
    quotes: list[tuple[str, str]] = field(default_factory=list)
    links: list[BodyLink] = field(default_factory=list)
    related: list[ArticleKey] = field(default_factory=list)
    teaser: ArticleKey | None = None
    canonical: ArticleKey | None = None
    """Another article this one is a copy of (syndication); None for itself."""
    orphan: bool = False
    """No article, and no home page, links here: only listings, feeds, sitemaps."""
    comments: list[tuple[str, str]] = field(default_factory=list)
    only: Channel | None = None
    """``feed`` or ``sitemap``: the one channel that lists this article (no HTML page
    links to it, and the other channel leaves it out); None for ordinary articles."""
    copy_of: ArticleKey | None = None
    """The wire original this article republishes (with or without rel=canonical)."""
    story_id: str = ""
    """Set on copies to the original's story id; see ``story``."""

    @property
    def key(self) -> ArticleKey:
        return (self.site, self.path)

    @property
    def canonical_key(self) -> ArticleKey:
        return self.canonical or self.key

    @property
    def listed(self) -> bool:
        """Shown on HTML pages (listings, related boxes, links): not feed- or sitemap-only."""
        return self.only is None

    @property
    def story(self) -> str:
        """Story id: copies of a wire story share the original's."""
        return self.story_id or f"{self.site}:{self.number}"


@dataclass(frozen=True)
class Site:
    """What a crawler can know about a site up front."""

    key: str
    name: str
    feed_path: str
    feed_kind: str
    """``rss`` or ``atom``."""
    sitemap_path: str
    disallow: tuple[str, ...]
    sections: tuple[tuple[str, str], ...]
    """(slug, display name) pairs."""
    crawl_delay: float | None = None
    """Seconds between requests that robots.txt asks for (``Crawl-delay:``)."""
    allow: tuple[str, ...] = ()
    """robots.txt ``Allow:`` rules of the ``*`` group."""

    @property
    def sections_dict(self) -> dict[str, str]:
        return dict(self.sections)


@dataclass(frozen=True)
class Specials:
    """The deliberately awkward pages, as site paths."""

    redirect_from: Ref
    redirect_to: ArticleKey
    not_found: Ref
    server_error: Ref
    pdf: Ref
    duplicate_of: ArticleKey
    duplicate_variants: tuple[Ref, ...]
    syndicated_copy: ArticleKey
    syndicated_original: ArticleKey
    disallowed: tuple[Ref, ...]
    """Pages under a robots.txt ``Disallow:`` rule that other pages link to."""


@dataclass(frozen=True)
class WireStory:
    """A wire story and the sites that republished it, each copy edited a little."""

    original: ArticleKey
    copies: tuple[tuple[ArticleKey, str], ...]
    """(copy, edit) pairs; edit is ``verbatim`` (rel=canonical to the original),
    ``relede`` (a new first sentence) or ``note`` (an editor's note added)."""


@dataclass(frozen=True)
class Route:
    """What a path on a site serves."""

    kind: str
    arg: str = ""
    page: int = 1


@dataclass(frozen=True)
class Response:
    """A rendered response, before conditional-request handling."""

    status: int
    content_type: str
    body: bytes
    last_modified: dt.datetime | None = None
    location: str | None = None
