"""Text keys for comparing lines and names, host names, and mojibake repair."""

from __future__ import annotations

import re
import unicodedata
from html import unescape
from urllib.parse import urlsplit

from ftfy import fix_encoding

# --- Text keys --------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def _key(text: str) -> str:
    """Comparison key of a text: its words, case-folded, one space apart.

    trafilatura and lxml's ``text_content`` differ in spacing and in punctuation
    around inline markup; the words are what both keep.
    """
    return " ".join(_WORD.findall(text.casefold()))


# UTF-8 read as Latin-1 or cp1252, as templates and databases store it now and then:
# "â€™" or "â\x80\x99" for a right quote, "Ã©" for "é", "Â®" for "®".
_MOJIBAKE = re.compile("[\u00c2\u00c3][\u0080-\u00bf]|\u00e2(?:[\u0080-\u00bf]|\u20ac)")


def _repair(text: str) -> str:
    """Undo mojibake (ftfy's encoding fix, asked only when the text shows its marks)."""
    return fix_encoding(text) if _MOJIBAKE.search(text) else text


def _clean(text: object) -> str | None:
    if not isinstance(text, str):
        return None
    # Meta contents and JSON-LD strings now and then arrive HTML-escaped twice.
    text = unescape(text) if "&" in text else text
    return " ".join(unicodedata.normalize("NFC", _repair(text)).split()) or None


_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "or", "ne", "go"})


def _host_label(url: str) -> str:
    """The label of the registered domain: "example" for news.example.co.uk."""
    labels = (_hostname(url) or "").split(".")
    if len(labels) > 2 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        labels.pop()
    return labels[-2 if len(labels) > 1 else -1].replace("-", "")


def _names_host(name: str, url: str) -> bool:
    """Whether a name spells the site's host ("Rapid7" on rapid7.com)."""
    label = _host_label(url)
    squashed = _key(name).replace(" ", "")
    if len(label) < 4 or len(squashed) < 3 or len(name.split()) > 5:
        return False
    return label in squashed or squashed in label


def _hostname(url: str) -> str | None:
    host = urlsplit(url).hostname
    return host.removeprefix("www.") if host else None
