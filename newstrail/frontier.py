"""Frontier hygiene: compact seen-sets and crawler-trap detection, as plain functions.

Traps (infinite calendars, endless pagination, faceted navigation) are not
recognised by what their URLs say but by how they behave: many fetches of the
same URL *pattern* that bring neither related articles nor new links. A pattern
that keeps giving nothing is closed; one that yields related coverage never is.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

__all__ = ["TrapGuard", "UrlSet", "static_trap_reason", "url_pattern"]

_DIGITS = re.compile(r"\d+")
_MAX_QUERY_PARAMS = 4
_MAX_URL_LENGTH = 400
_MAX_PATH_DEPTH = 12


class UrlSet:
    """A set of canonical URLs kept as 8-byte digests: about a third of the memory of strings."""

    __slots__ = ("_items",)

    def __init__(self, urls: Iterable[str] = ()) -> None:
        self._items: set[int] = set()
        for url in urls:
            self.add(url)

    @staticmethod
    def _key(url: str) -> int:
        return int.from_bytes(hashlib.blake2b(url.encode("utf-8"), digest_size=8).digest(), "big")

    def add(self, url: str) -> None:
        self._items.add(self._key(url))

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and self._key(url) in self._items

    def __len__(self) -> int:
        return len(self._items)


def url_pattern(url: str) -> str:
    """A URL with numbers and query values abstracted away: the unit traps repeat in.

    ``/calendar/2020/01/?day=3`` and ``/calendar/1999/12/?day=30`` share the
    pattern ``host/calendar/#/#/?day``.
    """
    parts = urlsplit(url)
    path = _DIGITS.sub("#", parts.path)
    names = sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)})
    query = "&".join(names)
    return f"{parts.netloc}{path}?{query}" if query else f"{parts.netloc}{path}"


def static_trap_reason(url: str) -> str | None:
    """Why a URL looks like a trap before fetching it at all, or None."""
    if len(url) > _MAX_URL_LENGTH:
        return "URL too long"
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) > _MAX_PATH_DEPTH:
        return "path too deep"
    # /a/b/a/b/a/b: relative links resolved against the wrong base, a classic loop.
    for size in (1, 2, 3):
        if len(segments) >= 3 * size:
            tail = segments[-3 * size :]
            if tail[:size] == tail[size : 2 * size] == tail[2 * size :]:
                return "repeating path segments"
    if len(parse_qsl(parts.query, keep_blank_values=True)) > _MAX_QUERY_PARAMS:
        return "too many query parameters (faceted navigation)"
    return None


@dataclass
class _PatternStats:
    fetched: int = 0
    barren: int = 0  # fetched pages with no related article and no new link
    fruitful: int = 0  # fetched pages that were related


class TrapGuard:
    """Closes URL patterns that keep yielding nothing.

    A pattern is closed when ``patience`` of its pages in a row brought no
    related article and (almost) no new links, or when its path has been
    fetched ``cap`` times, whatever the query, without a single related page:
    faceted navigation keeps making new links, and new parameter combinations,
    so only the path tells its pages apart from the rest of the site. Patterns
    that ever produced a related page stay open: that is how a news site's
    article URLs look.
    """

    def __init__(self, patience: int = 4, cap: int = 5, min_new_links: int = 2) -> None:
        self.patience = patience
        self.cap = cap
        self.min_new_links = min_new_links
        self._stats: dict[str, _PatternStats] = {}
        self.closed: set[str] = set()

    @property
    def closed_any(self) -> bool:
        """Whether any pattern is closed (none is: every URL is allowed)."""
        return bool(self.closed)

    def allows(self, url: str) -> bool:
        """False when the URL's pattern, or its path whatever the query, has been closed."""
        if not self.closed:
            return True
        pattern = url_pattern(url)
        return pattern not in self.closed and pattern.split("?", 1)[0] not in self.closed

    def record(self, url: str, *, related: bool, new_links: int) -> None:
        """Account for a fetched page of ``url``'s pattern."""
        pattern = url_pattern(url)
        path = pattern.split("?", 1)[0]
        stats = self._stats.setdefault(pattern, _PatternStats())
        by_path = self._stats.setdefault(path, _PatternStats()) if path != pattern else stats
        for entry in {id(stats): stats, id(by_path): by_path}.values():
            entry.fetched += 1
            if related:
                entry.fruitful += 1
        if related:
            stats.barren = 0
            return
        stats.barren = stats.barren + 1 if new_links < self.min_new_links else 0
        if stats.fruitful == 0 and stats.barren >= self.patience:
            self.closed.add(pattern)
        if by_path.fruitful == 0 and by_path.fetched >= self.cap:
            self.closed.add(path)
