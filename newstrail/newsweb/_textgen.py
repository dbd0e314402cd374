"""Assemble an article from a topic's sentence pools.

An article is a lede, then paragraphs of detail, background and quotes from two
invented speakers (introduced in full on first mention, by surname after), and
a closing outlook, grown until a word target drawn between 280 and 620 and cut
back if it passes 700.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass

from ._corpus_negative import NEGATIVE_RULES, NEGATIVE_TOPICS
from ._corpus_offtopic import OFF_TOPICS, OTHER_RULES
from ._corpus_story import STORY_RULES, STORY_TOPICS
from ._grammar import Grammar, capitalize, usable
from ._topics import Speakers, Topic

MIN_WORDS = 250
MAX_WORDS = 700

ALL_TOPICS: dict[str, Topic] = {t.key: t for t in (*STORY_TOPICS, *NEGATIVE_TOPICS, *OFF_TOPICS)}

BASE_GRAMMAR = Grammar(STORY_RULES, NEGATIVE_RULES, OTHER_RULES)

_NUMBER_WORDS = {
    14: "Fourteen",
    15: "Fifteen",
    16: "Sixteen",
    17: "Seventeen",
    18: "Eighteen",
}

# After the lede the article draws blocks in this order until it is long enough.
_PLAN = (
    "detail", "quotes_a", "background", "detail", "quotes_b", "detail", "background", "quotes_a",
    "detail", "quotes_b", "detail", "background", "detail", "quotes_a", "detail", "detail",
)  # fmt: skip


@dataclass(frozen=True)
class Person:
    """A quoted person: ``full`` on first mention, ``short`` after."""

    full: str
    short: str
    name: str | None


@dataclass(frozen=True)
class GeneratedText:
    """The text of one generated article."""

    title: str
    standfirst: str
    paragraphs: tuple[str, ...]
    caption: str
    quotes: tuple[tuple[str, str], ...]
    """(quote, speaker name) pairs, for pull quotes."""


def word_count(paragraphs: tuple[str, ...] | list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def pick_date(topic: Topic, rng: random.Random) -> dt.date:
    """A day inside one of the topic's windows, weighted by window length."""
    spans = [(dt.date.fromisoformat(a), dt.date.fromisoformat(b)) for a, b in topic.windows]
    weights = [(b - a).days + 1 for a, b in spans]
    start, end = rng.choices(spans, weights=weights)[0]
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def date_bindings(day: dt.date) -> dict[str, str]:
    years = day.year - 2003
    return {
        "year": str(day.year),
        "years_since_2003": str(years),
        "years_since_2003_word": _NUMBER_WORDS.get(years, str(years)),
    }


def _make_person(
    speakers: Speakers, grammar: Grammar, rng: random.Random, bindings: dict[str, str]
) -> Person:
    if speakers.anonymous and rng.random() < 0.15:
        full, _, short = rng.choice(speakers.anonymous).partition("|")
        return Person(
            fix_articles(grammar.expand(full, rng, bindings)), short or "the official", None
        )
    first, last = rng.choice(speakers.firsts), rng.choice(speakers.lasts)
    role = grammar.expand(rng.choice(speakers.roles), rng, bindings)
    return Person(fix_articles(f"{first} {last}, {role}"), last, f"{first} {last}")


# "a Eastport defender" -> "an Eastport defender"; "a European", "a US" stay.
_A_BEFORE_VOWEL = re.compile(r"\b([Aa]) (?=(?:[AIOaio]|E(?!u)|e(?!u))[a-z])")


def fix_articles(text: str) -> str:
    return _A_BEFORE_VOWEL.sub(lambda m: m.group(1) + "n ", text)


def _as_clause(quote: str) -> str:
    """'It works.' -> 'It works,' for '"It works," she said.'"""
    return quote[:-1] + "," if quote.endswith(".") else quote


class _Writer:
    """State of one article being written: pools left, speakers, bindings."""

    def __init__(
        self, topic: Topic, grammar: Grammar, rng: random.Random, day: dt.date, site_name: str
    ) -> None:
        self.topic = topic
        self.grammar = grammar
        self.rng = rng
        self.bindings = {**date_bindings(day), "site": site_name}
        for name, template in topic.bind:
            value = grammar.expand(template, rng, self.bindings)
            # Two bound values from one rule (home and away team) must differ.
            for _ in range(8):
                if value not in self.bindings.values():
                    break
                value = grammar.expand(template, rng, self.bindings)
            self.bindings[name] = value
        self.pools: dict[str, list[str]] = {}
        for name in ("ledes", "details", "background", "quotes_a", "quotes_b", "outlooks"):
            pool = usable(getattr(topic, name), day)
            rng.shuffle(pool)
            self.pools[name] = pool
        self.person_a = _make_person(topic.speakers_a, grammar, rng, self.bindings)
        self.person_b = _make_person(topic.speakers_b, grammar, rng, self.bindings)
        while self.person_b.name is not None and self.person_b.name == self.person_a.name:
            self.person_b = _make_person(topic.speakers_b, grammar, rng, self.bindings)
        self.introduced: set[str] = set()
        self.quotes: list[tuple[str, str]] = []

    def expand(self, template: str) -> str:
        return fix_articles(capitalize(self.grammar.expand(template, self.rng, self.bindings)))

    def one(self, field: str, day: dt.date) -> str:
        return self.expand(self.rng.choice(usable(getattr(self.topic, field), day)))

    def take(self, pool: str) -> str | None:
        items = self.pools[pool]
        return self.expand(items.pop()) if items else None

    def sentences(self, pool: str, low: int, high: int) -> str | None:
        picked = [s for s in (self.take(pool) for _ in range(self.rng.randint(low, high))) if s]
        return " ".join(picked) or None

    def quote(self, which: str) -> str | None:
        person = self.person_a if which == "quotes_a" else self.person_b
        quote = self.take(which)
        if quote is None:
            return None
        if person.name is not None:
            self.quotes.append((quote, person.name))
        rng = self.rng
        if which not in self.introduced:
            self.introduced.add(which)
            # "Name, role, said" needs the comma that closes the appositive.
            subject = person.full + ("," if person.name else "")
            form = rng.randrange(4)
            if form == 0:
                return f'"{_as_clause(quote)}" said {person.full}.'
            if form == 1:
                return f'"{_as_clause(quote)}" {subject} said.'
            if form == 2:
                return f'"{_as_clause(quote)}" {subject} told {self.bindings["site"]}.'
            return capitalize(f'{subject} said: "{quote}"')
        second = self.take(which) if rng.random() < 0.35 else None
        if second is not None:
            return f'"{_as_clause(quote)}" {person.short} said. "{second}"'
        if rng.random() < 0.5:
            return capitalize(f'{person.short} added: "{quote}"')
        return f'"{_as_clause(quote)}" {person.short} said.'


def generate_article(
    topic: Topic,
    grammar: Grammar,
    rng: random.Random,
    day: dt.date,
    *,
    site_name: str,
    used_titles: set[str] | None = None,
) -> GeneratedText:
    """Write one article of ``topic`` dated ``day`` for the site ``site_name``.

    A title in ``used_titles`` is redrawn a few times (then accepted), and the
    chosen title is added to it.
    """
    writer = _Writer(topic, grammar, rng, day, site_name)
    target = rng.randint(280, 620)
    used = used_titles if used_titles is not None else set()
    title = writer.one("headlines", day)
    for _ in range(12):
        if title not in used:
            break
        title = writer.one("headlines", day)
    used.add(title)
    standfirst = writer.one("standfirsts", day)
    caption = writer.one("captions", day)
    lede = writer.take("ledes")
    assert lede is not None, f"topic {topic.key} has no lede for {day}"
    body = [lede]
    # A running count: recounting the whole body per block made long webs slow.
    words = len(lede.split())
    for block in _PLAN:
        if words >= target:
            break
        if block == "detail":
            para = writer.sentences("details", 1, 3)
        elif block == "background":
            para = writer.sentences("background", 1, 2)
        else:
            para = writer.quote(block)
        if para:
            body.append(para)
            words += len(para.split())
    # Top up from any pool left if the plan ran dry before the minimum.
    for pool in ("details", "background", "quotes_a", "quotes_b"):
        while words < MIN_WORDS + 30:
            para = writer.quote(pool) if pool.startswith("quotes") else writer.take(pool)
            if para is None:
                break
            body.append(para)
            words += len(para.split())
    outlook = writer.take("outlooks")
    if outlook:
        body.append(outlook)
        words += len(outlook.split())
    while words > MAX_WORDS and len(body) > 3:
        words -= len(body[-2].split())
        del body[-2]
    return GeneratedText(
        title=title,
        standfirst=standfirst,
        paragraphs=tuple(body),
        caption=caption,
        quotes=tuple(writer.quotes),
    )
