"""The byline zone, the visible texts around the headline: the date and the author
the page shows, chosen against what it declares."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from htmldate import find_date
from lxml.etree import XPath
from trafilatura.metadata import extract_author

from newstrail.extract.dates import _UPDATED, _dates_in, _iso_date
from newstrail.extract.metadata import _clean_author, _Meta
from newstrail.extract.text import _key, _names_host

# --- The byline zone: what the page shows around its headline -----------------------

_VISIBLE_TEXTS = XPath(
    "//body//text()[normalize-space()][not(ancestor::script or ancestor::style"
    " or ancestor::noscript or ancestor::template or ancestor::svg or ancestor::select)]"
)
_ZONE_AFTER = 1000  # characters of visible text after the headline that can hold a byline
_ZONE_BEFORE = 250  # ... and before it (dates and kickers above the headline)
_ZONE_NODE = 200  # longer texts are body text, whose dates and names are about other things


@dataclass
class _Zone:
    """Visible texts near the headline, each with its element: after it in document
    order, and before it nearest first."""

    after: list[tuple[str, Any]] = field(default_factory=list)
    before: list[tuple[str, Any]] = field(default_factory=list)


def _find_headline(tree: Any, title: str | None) -> Any:
    key = _key(title or "")
    if not key:
        return None
    h1s = list(tree.iter("h1"))
    for element in h1s:
        if _key(element.text_content()).startswith(key):
            return element
    for element in tree.iter("h2", "h3"):
        if _key(element.text_content()) == key:
            return element
    return h1s[0] if h1s else None


def _container(text: Any) -> Any:
    """The element whose content a text node is (a tail belongs to the parent)."""
    parent = text.getparent()
    return parent.getparent() if text.is_tail and parent is not None else parent


def _byline_zone(tree: Any, title: str | None) -> _Zone:
    """The visible texts around the headline: ``_ZONE_AFTER`` characters after it and
    ``_ZONE_BEFORE`` before it."""
    zone = _Zone()
    headline = _find_headline(tree, title)
    if headline is None:
        return zone
    inside = set(headline.iter())
    texts = _VISIBLE_TEXTS(tree)
    start = next((i for i, text in enumerate(texts) if _container(text) in inside), None)
    if start is None:
        return zone
    length = 0
    for text in texts[start + 1 :]:
        element = _container(text)
        if element in inside:
            continue
        zone.after.append((str(text).strip(), element))
        length += len(zone.after[-1][0])
        if length > _ZONE_AFTER:
            break
    length = 0
    for text in reversed(texts[:start]):
        zone.before.append((str(text).strip(), _container(text)))
        length += len(zone.before[-1][0])
        if length > _ZONE_BEFORE:
            break
    return zone


@dataclass(frozen=True)
class _ShownDate:
    date: str
    distance: int  # characters of visible text between the headline and the date
    updated: bool  # labelled as an update ("Updated", "Last modified")
    ambiguous: bool  # numeric, with day and month both 12 or less


def _shown_dates(texts: list[tuple[str, Any]], *, below: bool) -> list[_ShownDate]:
    """The dates shown in short texts near the headline (bylines, datelines).

    Per text the date nearest the headline: the first one below it, the last one
    above it. A ``<time>`` element's machine-readable datetime wins over its text.
    """
    shown: list[_ShownDate] = []
    distance = 0
    for index, (text, element) in enumerate(texts):
        distance += len(text)
        if len(text) > _ZONE_NODE:
            continue
        dates = _dates_in(text)
        if not dates:
            continue
        offset, date, ambiguous = dates[0 if below else -1]
        time = element if element.tag == "time" else element.find("time")
        if time is not None and (machine := _iso_date(time.get("datetime"))):
            date, ambiguous = machine, False
        # The label stands before the date, in the same text or in the one before it
        # ("Updated on", then the date), unless that one has a date of its own.
        previous = index - 1 if below else index + 1
        label = text[:offset]
        if 0 <= previous < len(texts) and not _dates_in(texts[previous][0]):
            label = texts[previous][0][-40:] + " " + label
        updated = _UPDATED.search(label) is not None
        shown.append(_ShownDate(date, distance - len(text), updated, ambiguous))
    return shown


_NEAR_HEADLINE = 300  # characters: a byline is this close; dates further down are the body's


def _visible_date(zone: _Zone) -> _ShownDate | None:
    """The date shown with the headline: the first one under it (bylines sit there),
    unless it is far below and one stands right above the headline; a publication
    date over an update shown next to it."""
    below = _shown_dates(zone.after, below=True)
    above = _shown_dates(zone.before, below=False)
    near = [shown for shown in below if shown.distance <= _NEAR_HEADLINE] + [
        shown for shown in above if shown.distance <= _NEAR_HEADLINE
    ]
    if not near:
        return next(iter(below + above), None)
    return next((shown for shown in near if not shown.updated), near[0])


# Dates in order of trust. A date in the URL path is fixed at publication, and so is
# what the meta tags declare (article:published_time and kin, read by search engines
# and link previews); a ``<time>`` marked as the publication date comes next.
_DECLARED_FIRST = ("url", "meta", "time")
# JSON-LD comes after the date shown with the headline: page builders and SEO plugins
# fill it in on their own, often with the date the page was first drafted, which on
# a guide kept up to date is years older than the date the page shows.
_DECLARED_LAST = ("json-ld", "json-ld-page")
# A page cannot show a date before it was published: a declared date this many days
# after the shown one is the date of a migration or a re-import.
_MIGRATION_DAYS = 2


def _days_between(earlier: str, later: str) -> int:
    return (datetime.date.fromisoformat(later) - datetime.date.fromisoformat(earlier)).days


def _choose_date(meta: _Meta, tree: Any, url: str, zone: _Zone) -> tuple[str | None, str | None]:
    """The publication date, as ``(YYYY-MM-DD, source)``.

    A date in the URL or the meta tags comes first: the date shown under the headline
    is often the last update's, labelled so or not. A shown date days before the
    declared one wins, though: the declaration records a migration. The shown date
    comes next, before a date that only JSON-LD declares; htmldate's heuristics come
    last. A date both shown and declared is credited to the declaration.
    """
    first, last = (
        [(date, source) for wanted in order for source, date in meta.dates if source == wanted]
        for order in (_DECLARED_FIRST, _DECLARED_LAST)
    )
    visible = _visible_date(zone)
    shown = None if visible is None else visible.date
    if visible is not None and visible.ambiguous:
        # "03/10/2023": the declarations say which of the two readings is meant.
        swapped = f"{visible.date[:4]}-{visible.date[8:]}-{visible.date[5:7]}"
        if any(date == swapped for date, _ in first + last):
            shown = swapped
    if first and not (shown and _days_between(shown, first[0][0]) > _MIGRATION_DAYS):
        return first[0]
    if shown is not None:
        source = next((source for known, source in first + last if known == shown), "byline")
        return shown, source.removesuffix("-page")
    if last:
        return last[0][0], "json-ld"
    # Extensive search (dates in the text) is slower but finds a fifth more dates.
    found = _iso_date(find_date(tree, url=url, original_date=True, extensive_search=True))
    return (found, "htmldate") if found else (None, None)


def _choose_author(meta: _Meta, tree: Any, zone: _Zone, url: str) -> str | None:
    """Declared authors first; otherwise the visible byline under the headline, else
    the byline trafilatura finds in the markup.

    A declared name that is the site's own (an organisation credited as author) gives
    way to a person named in the visible byline. When the byline prints the declared
    names ("A, B and C"), its wording is kept.
    """
    declared = next(filter(None, (_clean_author(author) for _, author in meta.authors)), None)
    visible = _visible_byline(zone)
    if declared is None:
        # extract_author is not in trafilatura's __all__, but it is the byline search
        # of extract_metadata, which would also run htmldate and more we do not need.
        return visible or _clean_author(extract_author(tree))
    if visible is None:
        return declared
    organisation = _key(declared) in {_key(meta.sitename or ""), *meta.organisations}
    if (organisation or _names_host(declared, url)) and _looks_like_names(visible):
        return visible
    if _name_keys(visible) == _name_keys(declared):
        return visible
    return declared


def _name_keys(names: str) -> list[str]:
    return [_key(name) for name in _NAME_SEPARATORS.split(names) if _key(name)]


_BYLINE_LABEL = re.compile(
    r"^(?:(?:written|posted|words|story|text|article)\s+by|by|authors?|written|writer)\b\s*:?\s*",
    re.IGNORECASE,
)
_NOT_AUTHOR_LABEL = re.compile(
    r"\b(?:reviewed|edited|fact[-\s]?checked|photos?|illustrations?|image)\s+by\b", re.IGNORECASE
)
_NAME_SEPARATORS = re.compile(r"\s*(?:,|\band\b|&)\s*")
_NAME_WORD = re.compile(r"^(?:[A-Z][\w.'\u2019-]*|de|la|le|van|von|der|da|di|al|bin|el|du)$")
_BYLINE_NODES = 12  # bylines sit among the first texts under the headline


def _looks_like_names(text: str) -> bool:
    """One or more person names: one to five capitalised words (or particles) each."""
    names = [name for name in _NAME_SEPARATORS.split(text) if name]
    return bool(names) and all(
        1 <= len(name.split()) <= 5 and all(_NAME_WORD.match(word) for word in name.split())
        for name in names
    )


def _visible_byline(zone: _Zone) -> str | None:
    """The author named under the headline: "By Jane Doe", "Written by" then a name,
    or a name marked up as the author (rel/itemprop/class "author", "byline")."""
    texts = zone.after[:_BYLINE_NODES]
    for index, (text, element) in enumerate(texts):
        if len(text) > 120 or _NOT_AUTHOR_LABEL.search(text):
            continue
        label = _BYLINE_LABEL.match(text)
        if label is not None:
            rest = text[label.end() :]
            if not rest and index + 1 < len(texts):
                rest = texts[index + 1][0]
            if (author := _clean_author(rest)) and _looks_like_names(author):
                return author
            continue
        author = _clean_author(text) if _marked_as_author(element) else None
        if author and _looks_like_names(author):
            return author
    # No label, no markup: a lone name right under the headline, next to a date or a
    # reading time, is the byline.
    for index, (text, _) in enumerate(texts[:_UNLABELLED_BYLINE_NODES]):
        if len(text) > 40 or not _looks_like_names(text) or len(text.split()) < 2:
            continue
        near = texts[max(0, index - 2) : index + 3]
        if any(_dates_in(other) or _READING_TIME.search(other) for other, _ in near):
            return text
    return None


_UNLABELLED_BYLINE_NODES = 4
_READING_TIME = re.compile(r"\b\d+\s*min(?:ute)?s?\b", re.IGNORECASE)


_AUTHOR_MARKUP = re.compile(
    r"(?:^|[\s_-])(?:author|authors|byline|by-line|writer|contributor)(?:[-_]?name)?(?=$|[\s_-])",
    re.IGNORECASE,
)


def _marked_as_author(element: Any) -> bool:
    for candidate in (element, element.getparent()):
        if candidate is None:
            continue
        if (
            "author" in (candidate.get("rel") or "")
            or "author" in (candidate.get("itemprop") or "").lower()
        ):
            return True
        if _AUTHOR_MARKUP.search(f"{candidate.get('class') or ''} {candidate.get('id') or ''}"):
            return True
    return False
