"""Dates in URLs, in declared metadata and in the text a page shows."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

_ISO_DATE = re.compile(r"((?:19|20)\d\d)-([01]\d)-([0-3]\d)")
_URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-]?([01]\d)[/-]?([0-3]\d)(?:/|[-_]|$)")
# "/2023/october/03/", "/2023/oct/3/"
_URL_MONTH_DATE = re.compile(
    r"/((?:19|20)\d\d)/(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
    r"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)/([0-3]?\d)(?:/|$)",
    re.IGNORECASE,
)


def _iso_date(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    match = _ISO_DATE.search(value[:40])
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:  # "2025-02-30"
        return None


def _ymd(year: str | int, month: str | int, day: str | int) -> str | None:
    """``YYYY-MM-DD`` when the parts make a real date from 1990 on, else None."""
    try:
        date = datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return date.isoformat() if 1990 <= date.year <= 2100 else None


def _url_date(url: str) -> str | None:
    path = urlsplit(url).path
    if match := _URL_DATE.search(path):
        return _iso_date("-".join(match.groups()))
    if match := _URL_MONTH_DATE.search(path):
        year, month, day = match.groups()
        return _ymd(year, _MONTHS[month[:3].lower()], day)
    return None


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_MONTH_NAME = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_YEAR = r"((?:19|20)\d\d)"
_VISIBLE_DATES = (
    # "March 9, 2026", "Dec 18 2025", "Sept. 4th, 2025"
    (re.compile(rf"\b{_MONTH_NAME}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}\b", re.I), "mdy"),
    # "9 March 2026", "24 Apr 2000", "16th of December, 2025"
    (
        re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_NAME},?\s+{_YEAR}\b", re.I),
        "dmy",
    ),
    (re.compile(rf"\b{_YEAR}-(\d\d)-(\d\d)\b"), "iso"),
    # Numeric dates: month first with slashes (US), day first with dots (Europe); a
    # first number above 12 can only be a day.
    (re.compile(rf"\b(\d{{1,2}})/(\d{{1,2}})/{_YEAR}\b"), "slash"),
    (re.compile(rf"\b(\d{{1,2}})\.(\d{{1,2}})\.{_YEAR}\b"), "dot"),
)
_UPDATED = re.compile(r"\b(?:updated|modified|revised|refreshed)\b", re.IGNORECASE)


def _dates_in(text: str) -> list[tuple[int, str, bool]]:
    """Dates written in a short text, with their offsets, in order, each flagged when
    its day and month could be swapped (numeric, both 12 or less)."""
    found: list[tuple[int, str, bool]] = []
    for pattern, order in _VISIBLE_DATES:
        for match in pattern.finditer(text):
            a, b, c = match.groups()
            ambiguous = False
            if order == "mdy":
                date = _ymd(c, _MONTHS[a[:3].lower()], b)
            elif order == "dmy":
                date = _ymd(c, _MONTHS[b[:3].lower()], a)
            elif order == "iso":
                date = _ymd(a, b, c)
            elif order == "slash":
                date = _ymd(c, b, a) if int(a) > 12 else _ymd(c, a, b)
                ambiguous = int(a) <= 12 and int(b) <= 12 and a != b
            else:
                date = _ymd(c, a, b) if int(b) > 12 else _ymd(c, b, a)
                ambiguous = int(a) <= 12 and int(b) <= 12 and a != b
            if date:
                found.append((match.start(), date, ambiguous))
    return sorted(found)
