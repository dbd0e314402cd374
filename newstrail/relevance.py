"""Relevance of a page to the seed articles: TF-IDF cosine, explainable.

Term weights use a general-language IDF taken from word frequencies (wordfreq's
Zipf scale is log10 of a word's frequency per billion words, so ``9 - zipf`` is
an IDF in log10 units over a very large corpus). That gives sensible weights
before the crawl has seen a single page and keeps scores comparable across
crawls, which a corpus-dependent IDF would not.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from wordfreq import zipf_frequency

from newstrail.urls import url_tokens

__all__ = ["DEFAULT_THRESHOLD", "DateWindow", "Relevance", "RelevanceModel", "tokenize"]

# Calibrated on the bundled demo web: its on-topic articles score 0.32-0.45, articles that
# share the vocabulary but not the story (US troops in Syria, the 2003 anniversary) 0.12-0.23.
DEFAULT_THRESHOLD = 0.27
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*", re.UNICODE)
_MAX_IDF = 9.0
_UNKNOWN_IDF = 7.0

# Function words are dropped outright: their IDF is low but their counts are high,
# and cosine similarity is sensitive to that mass.
_STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further get got had has have having he her here hers herself him
    himself his how i if in into is it its itself just like me more most mr mrs ms my
    myself new no nor not now of off on once one only or other our ours ourselves out
    over own said same say says she should so some such than that the their theirs them
    themselves then there these they this those through to too two under until up very
    was we were what when where which while who whom why will with would you your yours
    yourself yourselves
    """.split()  # noqa: SIM905
)


def _stem(word: str) -> str:
    """Harman's 'S' stemmer: folds plurals only, so terms stay readable in explanations."""
    if len(word) > 3 and word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if len(word) > 2 and word.endswith("s") and not word.endswith(("us", "ss", "is")):
        return word[:-1]
    return word


def _term(word: str) -> str:
    """The term a lower-cased word counts as ("" for none)."""
    word = word.replace("\u2019", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) < 2 or word in _STOPWORDS or (word.isdigit() and len(word) != 4):
        return ""
    return _stem(word)


# Words seen, with their terms: most words of a crawl's pages recur.
_terms: dict[str, str] = {}
_MAX_TERMS = 200_000


def tokenize(text: str) -> list[str]:
    """Lower-cased, plural-folded content words of ``text``."""
    out = []
    terms = _terms
    for word in _WORD.findall(text.lower()):
        term = terms.get(word)
        if term is None:
            term = _term(word)
            if len(terms) < _MAX_TERMS:
                terms[word] = term
        if term:
            out.append(term)
    return out


_idf_cache: dict[str, float] = {}


def _idf(term: str) -> float:
    idf = _idf_cache.get(term)
    if idf is None:
        zipf = zipf_frequency(term, "en")
        idf = _UNKNOWN_IDF if zipf <= 0 else max(0.0, _MAX_IDF - zipf)
        if len(_idf_cache) < 500_000:
            _idf_cache[term] = idf
    return idf


Vector = dict[str, float]


def _weights(tokens: Iterable[str]) -> Vector:
    """Each term's TF-IDF weight (log-scaled count times IDF), not normalised."""
    return {t: (1.0 + math.log(n)) * _idf(t) for t, n in Counter(tokens).items()}


def _norm(vec: Vector) -> float:
    return math.sqrt(sum(w * w for w in vec.values()))


def _vector(tokens: Iterable[str]) -> Vector:
    return _normalise(_weights(tokens))


def _normalise(vec: Vector) -> Vector:
    norm = _norm(vec)
    if norm == 0:
        return {}
    return {t: w / norm for t, w in vec.items() if w > 0}


def _clip(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _cosine(tokens: Iterable[str], profile: Vector) -> float:
    """``_dot(_vector(tokens), profile)``, the same float, without building the
    normalised vector (the passages of every page scored are ranked by it)."""
    weights = _weights(tokens)
    norm = _norm(weights)
    if norm == 0:
        return 0.0
    kept = [(t, w / norm) for t, w in weights.items() if w > 0]
    if len(kept) > len(profile):
        return _dot(dict(kept), profile)  # summed in the profile's order, as _dot does
    return sum(w * profile.get(t, 0.0) for t, w in kept)


def _dot(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


@dataclass(frozen=True)
class Relevance:
    """A page's score against the seed profile, with what made it: terms and passages."""

    score: float
    related: bool
    matched_terms: tuple[str, ...]
    threshold: float
    passages: tuple[str, ...] = ()
    # Why a page that scores above the threshold is still not related (date window).
    reason: str | None = None


@dataclass(frozen=True)
class DateWindow:
    """Publication dates a related article may have (either end open)."""

    after: date | None = None
    before: date | None = None

    def excludes(self, published: str | None) -> str | None:
        """Why ``published`` (YYYY-MM-DD...) is outside the window, or None."""
        if not published or (self.after is None and self.before is None):
            return None
        try:
            day = date.fromisoformat(published[:10])
        except ValueError:
            return None
        if self.after is not None and day < self.after:
            return f"published {day} before {self.after}"
        if self.before is not None and day > self.before:
            return f"published {day} after {self.before}"
        return None


class RelevanceModel:
    """The seed profile: one TF-IDF vector per seed text plus their centroid.

    A page scores the best cosine between its vector and any of them, so a page
    close to one seed article counts even when the seeds cover different angles.
    """

    def __init__(
        self,
        texts: Sequence[str] = (),
        keywords: Sequence[str] = (),
        threshold: float = DEFAULT_THRESHOLD,
        explain_terms: int = 10,
        window: DateWindow | None = None,
    ) -> None:
        self.threshold = threshold
        self.explain_terms = explain_terms
        self.window = window or DateWindow()
        self._keywords = _vector(tok for k in keywords for tok in tokenize(k))
        self._seeds: list[Vector] = []
        self._centroid: Vector = {}
        for text in texts:
            self.add_text(text)

    @property
    def ready(self) -> bool:
        """True once the profile has at least one text or keyword to compare against."""
        return bool(self._seeds or self._keywords)

    def add_text(self, text: str) -> None:
        """Add a seed text to the profile (URL-only seeds join once their page is fetched)."""
        vec = _vector(tokenize(text))
        if not vec:
            return
        self._seeds.append(vec)
        total: Counter[str] = Counter()
        for seed in self._seeds:
            total.update(seed)
        # Keywords weigh as much as one seed article in the centroid.
        total.update(self._keywords)
        self._centroid = _normalise(dict(total))

    def _profiles(self) -> list[Vector]:
        if not self._seeds:
            return [self._keywords] if self._keywords else []
        return [self._centroid, *self._seeds]

    def score(
        self,
        text: str,
        title: str | None = None,
        published: str | None = None,
        *,
        explain_under: float | None = None,
    ) -> Relevance:
        """Score an article's text (and title, counted twice) against the profile.

        An article published outside the seed set's date window keeps its score
        but is not related; the record says why. With ``explain_under``, a score
        at or above it has no passages (a caller that scores the page again from a
        fuller text does not need them: they are a third of the cost).
        """
        paragraphs = [p for p in text.split("\n") if p.strip()]
        tokenised = [tokenize(p) for p in paragraphs]
        tokens = [t for para in tokenised for t in para]
        if title:
            tokens.extend(tokenize(title) * 2)
        vec = _vector(tokens)
        best, best_profile = 0.0, self._centroid
        for profile in self._profiles():
            cos = _dot(vec, profile)
            if cos > best:
                best, best_profile = cos, profile
        contributions = sorted(
            ((w * best_profile.get(t, 0.0), t) for t, w in vec.items() if t in best_profile),
            reverse=True,
        )
        terms = tuple(t for c, t in contributions[: self.explain_terms] if c > 0)
        score = round(min(1.0, best), 4)
        reason = self.window.excludes(published)
        return Relevance(
            score=score,
            related=score >= self.threshold and reason is None,
            matched_terms=terms,
            threshold=self.threshold,
            passages=(
                self._passages(paragraphs, tokenised, best_profile)
                if score and (explain_under is None or score < explain_under)
                else ()
            ),
            reason=reason,
        )

    @staticmethod
    def _passages(
        paragraphs: list[str], tokenised: list[list[str]], profile: Vector, keep: int = 2
    ) -> tuple[str, ...]:
        # Short paragraphs (captions, datelines) match by accident; explain with real ones.
        scored = sorted(
            (
                (_cosine(tokens, profile), i)
                for i, tokens in enumerate(tokenised)
                if len(tokens) >= 8
            ),
            reverse=True,
        )[:keep]
        return tuple(_clip(paragraphs[i]) for cos, i in sorted(scored, key=lambda x: x[1]) if cos)

    def score_link(self, anchor: str, url: str) -> float:
        """Expected relevance of an unfetched link from its anchor text and URL slug."""
        tokens = tokenize(anchor) + [_stem(w) for w in url_tokens(url) if w not in _STOPWORDS]
        vec = _vector(tokens)
        if not vec:
            return 0.0
        return min(1.0, max((_dot(vec, p) for p in self._profiles()), default=0.0))
