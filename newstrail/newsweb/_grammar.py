"""A small template grammar: slot filling, inline alternatives and numbers.

Template syntax:

- ``{name}``: a binding of the article (same value everywhere in it) if one is
  set, else a random alternative of the rule ``name``, itself expanded.
- ``[a|b|c]``: one of the alternatives, chosen at random.
- ``{#lo-hi}``: a random integer in news style: words below ten, thousands
  separators from 1,000 up.
- ``{.lo-hi}``: a random number with one decimal, ``lo/10`` to ``hi/10``.
- ``{=lo-hi}``: a random integer without separators (years).
- A leading ``{>YYYY-MM-DD}`` or ``{<YYYY-MM-DD}`` on a sentence of a pool
  restricts it to articles dated after or before that day, so that background
  sentences never mention events that had not happened yet.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

RuleValue = Sequence[str] | Callable[[random.Random], str]

_ALT = re.compile(r"\[([^\[\]]*)\]")
_SLOT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_INT = re.compile(r"\{#(\d+)-(\d+)\}")
_DEC = re.compile(r"\{\.(\d+)-(\d+)\}")
_PLAIN = re.compile(r"\{=(\d+)-(\d+)\}")
_TAG = re.compile(r"^\{([<>])(\d{4}-\d{2}-\d{2})\}")

# Deep enough for rules that refer to rules, shallow enough to stop a cycle.
_MAX_DEPTH = 12


class Grammar:
    """Named rules expanded with a caller's random generator."""

    def __init__(self, *rule_sets: Mapping[str, RuleValue]) -> None:
        self._rules: dict[str, RuleValue] = {}
        for rules in rule_sets:
            self._rules.update(rules)

    def with_rules(self, rules: Mapping[str, RuleValue]) -> Grammar:
        """A copy with ``rules`` added (replacing rules of the same name)."""
        return Grammar(self._rules, rules)

    def pick(self, name: str, rng: random.Random) -> str:
        """One unexpanded alternative of rule ``name``."""
        rule = self._rules[name]
        if callable(rule):
            return rule(rng)
        return rng.choice(rule)

    def expand(
        self, template: str, rng: random.Random, bindings: Mapping[str, str] | None = None
    ) -> str:
        """Expand ``template`` fully; an unknown slot raises ``KeyError``."""
        bound = bindings or {}

        def slot(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in bound:
                return bound[name]
            return self.pick(name, rng)

        text = template
        for _ in range(_MAX_DEPTH):
            if "{" not in text and "[" not in text:
                # Nothing left to expand: the regular expressions would find nothing.
                return text
            before = text
            text = _ALT.sub(lambda m: rng.choice(m.group(1).split("|")), text)
            text = _INT.sub(lambda m: _format_int(rng.randint(int(m[1]), int(m[2]))), text)
            text = _PLAIN.sub(lambda m: str(rng.randint(int(m[1]), int(m[2]))), text)
            text = _DEC.sub(lambda m: f"{rng.randint(int(m[1]), int(m[2])) / 10:.1f}", text)
            text = _SLOT.sub(slot, text)
            if text == before:
                return text
        raise ValueError(f"template does not converge: {template!r}")


_SMALL = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _format_int(value: int) -> str:
    # News style: "nine matches", "950 fans", "1,500 jobs".
    if value < 10:
        return _SMALL[value]
    return f"{value:,}" if value >= 1000 else str(value)


def date_ok(sentence: str, day: dt.date) -> bool:
    """Whether a pool sentence's date tag (if any) allows an article of ``day``."""
    match = _TAG.match(sentence)
    if match is None:
        return True
    bound = dt.date.fromisoformat(match.group(2))
    return day > bound if match.group(1) == ">" else day < bound


def strip_tag(sentence: str) -> str:
    return _TAG.sub("", sentence, count=1)


def usable(pool: Iterable[str], day: dt.date) -> list[str]:
    """The sentences of ``pool`` allowed on ``day``, tags removed."""
    if isinstance(pool, tuple):
        return list(_usable(pool, day))
    return [strip_tag(s) for s in pool if date_ok(s, day)]


@functools.lru_cache(maxsize=65536)
def _usable(pool: tuple[str, ...], day: dt.date) -> tuple[str, ...]:
    # Large webs draw from the same pools on the same days thousands of times.
    return tuple(strip_tag(s) for s in pool if date_ok(s, day))


def capitalize(sentence: str) -> str:
    """Upper-case the first letter (after any opening quote)."""
    for i, char in enumerate(sentence):
        if char.isalpha():
            return sentence[:i] + char.upper() + sentence[i + 1 :]
        if char not in "\"'\u2018\u201c(":
            return sentence
    return sentence
