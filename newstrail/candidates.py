"""Second opinions on a page's main text, and the choice between candidate extractions.

trafilatura's rules fail in ways another algorithm does not: it keeps a teaser list or
a publisher blurb that ends the article's container, or stops at a layout break in the
middle of the text. readability scores DOM nodes by their text and commas, justext
classifies paragraphs by length, link density and stopwords; their mistakes are mostly
different ones. So each page gets a second opinion from readability (a few
milliseconds), and when the two disagree a third from justext; the candidate that
agrees most with the others wins, so a mistake made by one extractor alone is outvoted.
Agreement is measured the way the text is scored: overlap of 4-word shingles.

Two agreeing extractors can be wrong together too: readability and justext both drop
short lines (a checklist's items, a list of specifications) and tables, which
trafilatura keeps. So an outvoted trafilatura that holds the other two texts still
wins when what it adds is not link text (link text being the menus and teaser lists
the vote is there to remove). And as readability and justext may leave a table out,
trafilatura's text is compared with and without its table rows, whichever agrees more.

A vote cannot fix one mistake: trafilatura and readability both stopping at the same
layout break (a recipe's ingredient box, a comparison table, a "key takeaways" box
before the body). Their texts then agree, but cover a small part of the page's text.
When the winner covers less than half of it, justext is asked too, and when its text
holds the winner's and is at least twice as long, it wins. The page's text is measured
twice, both must find the winner short: all its paragraphs (cheap, but counting
comment threads too) and trafilatura's baseline (the JSON-LD articleBody, the
``<article>`` elements, else the paragraphs; a few milliseconds, so only asked when
the paragraphs find the winner short).

Candidates are lists of lines (blocks), filtered by the caller before they are compared.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from copy import deepcopy
from typing import Any

from justext.core import ParagraphMaker, revise_paragraph_classification
from justext.paragraph import Paragraph
from justext.utils import normalize_whitespace
from trafilatura import baseline
from trafilatura.baseline import basic_cleaning
from trafilatura.external import jt_stoplist_init, try_readability

__all__ = ["agreement", "choose", "justext_lines", "page_lengths", "readability_lines"]

_WORD = re.compile(r"\w+")
_SHINGLE = 4
_TABLE_ROW = re.compile(r"^\|.*\|$")

# Elements that start a new line of text; everything else runs inline.
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_SKIP = frozenset({"script", "style", "noscript", "template"})
# Below this share of the page's paragraph text the winner may have stopped short.
_MIN_COVERAGE = 0.5
# A longer candidate extends the winner when it holds this share of the winner's
# shingles and is this many times longer.
_MIN_CONTAINMENT = 0.8
_MIN_EXTENSION = 2.0
# trafilatura's text outvoted, but holding this share of each other candidate's
# shingles, is kept unless what it adds is more than this share link text.
_MIN_HELD = 0.9
_MAX_EXTRA_LINKS = 0.1


def _element_lines(root: Any) -> list[str]:
    """The element's text as lines, a new line at each block element."""
    lines: list[str] = []
    parts: list[str] = []

    def flush() -> None:
        line = " ".join(" ".join(parts).split())
        if line:
            lines.append(line)
        parts.clear()

    def walk(element: Any) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _SKIP:
            return
        block = tag in _BLOCKS
        if block:
            flush()
        if element.text:
            parts.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            flush()

    walk(root)
    flush()
    return lines


def readability_lines(tree: Any) -> list[str]:
    """readability's main text (trafilatura's fork of readability-lxml), as lines."""
    # readability strips and rewrites the tree it is given.
    return _element_lines(try_readability(deepcopy(tree)))


class _Paragraph(Paragraph):  # type: ignore[misc]
    """justext's paragraph, its text and words computed once.

    justext recomputes a paragraph's text (joining and normalising its text nodes) on
    every access, a dozen times per paragraph while classifying.
    """

    @functools.cached_property
    def text(self) -> str:
        return str(normalize_whitespace("".join(self.text_nodes).strip()))

    @functools.cached_property
    def words(self) -> list[str]:
        return self.text.split()


@functools.cache
def _stoplist() -> frozenset[str]:
    """The stopwords justext judges by, every language's (as trafilatura sets justext up
    when the page's language is not given), lowercased once."""
    return frozenset(word.lower() for word in jt_stoplist_init())


def _classify(paragraphs: list[_Paragraph], stoplist: frozenset[str]) -> None:
    """justext's context-free classification with trafilatura's settings (lengths 50
    and 150, stopword densities 0.1 and 0.2, link density 0.25, no headings).

    justext's own classify_paragraphs lowercases its whole stoplist, 150,000 words
    for the all-languages list, on every call; this is the same rule without that.
    """
    for paragraph in paragraphs:
        length = len(paragraph.text)
        words = paragraph.words
        stopwords = sum(word.lower() in stoplist for word in words) / len(words) if words else 0
        paragraph.heading = False
        linked = length and paragraph.chars_count_in_links / length > 0.25
        copyright = "\xa9" in paragraph.text or "&copy" in paragraph.text
        if linked or copyright or "select" in paragraph.dom_path:
            paragraph.cf_class = "bad"
        elif length < 50:
            paragraph.cf_class = "bad" if paragraph.chars_count_in_links > 0 else "short"
        elif stopwords >= 0.2:
            paragraph.cf_class = "good" if length > 150 else "neargood"
        elif stopwords >= 0.1:
            paragraph.cf_class = "neargood"
        else:
            paragraph.cf_class = "bad"


def justext_lines(tree: Any) -> list[str]:
    """The paragraphs justext classifies as content (trafilatura's justext set-up)."""
    try:
        paragraphs = ParagraphMaker.make_paragraphs(basic_cleaning(deepcopy(tree)))
        for paragraph in paragraphs:
            paragraph.__class__ = _Paragraph
        _classify(paragraphs, _stoplist())
        revise_paragraph_classification(paragraphs, 150)
    except Exception:  # justext fails on odd trees; trafilatura's set-up yields nothing then
        return []
    return [" ".join(p.text.split()) for p in paragraphs if not p.is_boilerplate and p.text]


def page_lengths(tree: Any) -> Iterator[int]:
    """The page's text length by two measures, the cheap one first (module docstring)."""
    yield sum(len(" ".join(p.text_content().split())) for p in tree.iter("p"))
    yield len(baseline(tree)[1])


def _length(lines: Sequence[str]) -> int:
    return sum(map(len, lines))


def _shingles(lines: Sequence[str]) -> Counter[tuple[str, ...]]:
    words = _WORD.findall("\n".join(lines))
    if len(words) < _SHINGLE:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(zip(*(words[i:] for i in range(_SHINGLE)), strict=False))


def _overlap(a: Counter[tuple[str, ...]], b: Counter[tuple[str, ...]]) -> float:
    """F1 of two shingle multisets: 1 for the same text, 0 for nothing in common."""
    total = a.total() + b.total()
    return 2 * (a & b).total() / total if total else 1.0


def _held(text: Counter[tuple[str, ...]], part: Counter[tuple[str, ...]]) -> float:
    """Share of ``part``'s shingles that ``text`` holds (1 for an empty ``part``)."""
    # Not ``text & part``: that walks all of ``text``, however small ``part`` is.
    held = sum(min(count, text[shingle]) for shingle, count in part.items())
    return held / part.total() if part else 1.0


def _keeps_first(
    candidates: list[list[str]],
    shingles: list[Counter[tuple[str, ...]]],
    best: int,
    link_share: Callable[[list[str]], float],
) -> bool:
    """Whether an outvoted first candidate holds the others' text and adds content
    they dropped (lists, short lines) rather than links (menus, teasers)."""
    first = candidates[0]
    if any(_held(shingles[0], other) < _MIN_HELD for other in shingles[1:]):
        return False
    extra = [line for line in first if _held(shingles[best], _shingles([line])) < 0.5]
    added = _length(first) - _length(candidates[best])
    return _length(extra) >= 0.5 * added > 0 and link_share(extra) < _MAX_EXTRA_LINKS


def agreement(a: Sequence[str], b: Sequence[str]) -> float:
    """How far two extractions hold the same text (shingle F1, between 0 and 1)."""
    return _overlap(_shingles(a), _shingles(b))


def choose(
    first: list[str],
    second: list[str],
    third: Callable[[], list[str]],
    min_agreement: float,
    page_lengths: Iterable[int] | None = None,
    link_share: Callable[[list[str]], float] | None = None,
) -> tuple[int, list[str]]:
    """Pick among candidate extractions by agreement; return its index and lines.

    ``first`` is the preferred candidate: it is kept when ``second`` agrees with it at
    least ``min_agreement``. Otherwise ``third()`` is computed and the candidate agreeing
    most with the other two wins, ``first`` on ties; ``first``'s table rows (``| a |
    b |``) count for it but never against it. An outvoted ``first`` that holds both
    others' text is kept when what it adds, which must make up at least half of its
    extra length, is less than a tenth link text by ``link_share``. ``page_lengths``
    measure the page's text (``page_lengths``): a winner covering less than half of it
    by every measure gives way to ``third()`` when that extends it (module docstring).
    """
    shingles = [_shingles(first), _shingles(second)]
    # trafilatura prints tables as rows; the others may leave tables out.
    prose = [line for line in first if not _TABLE_ROW.match(line)]
    prose_shingles = _shingles(prose) if len(prose) < len(first) else None

    def with_first(other: Counter[tuple[str, ...]]) -> float:
        overlap = _overlap(shingles[0], other)
        if prose_shingles is None:
            return overlap
        return max(overlap, _overlap(prose_shingles, other))

    first_second = with_first(shingles[1])
    candidates = [first, second]
    if first_second >= min_agreement:
        best = 0
    else:
        candidates.append(third())
        shingles.append(_shingles(candidates[2]))
        first_third = with_first(shingles[2])
        second_third = _overlap(shingles[1], shingles[2])
        scores = [
            first_second + first_third,
            first_second + second_third,
            first_third + second_third,
        ]
        best = max(range(3), key=lambda i: (scores[i], i == 0))
        if best and link_share is not None and _keeps_first(candidates, shingles, best, link_share):
            best = 0
    length = _length(candidates[best])
    if (
        best < 2
        and page_lengths is not None
        and all(length < _MIN_COVERAGE * page for page in page_lengths)
    ):
        if len(candidates) == 2:
            candidates.append(third())
            shingles.append(_shingles(candidates[2]))
        extends = _length(candidates[2]) >= _MIN_EXTENSION * length
        if extends and _held(shingles[2], shingles[best]) >= _MIN_CONTAINMENT:
            best = 2
    return best, candidates[best]
