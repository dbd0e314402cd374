"""Types shared by the sentence pools and the text generator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Label = Literal["seed", "on_topic", "off_topic", "hard_negative"]
"""Ground-truth label of an article page."""

LABELS: tuple[Label, ...] = ("seed", "on_topic", "off_topic", "hard_negative")


@dataclass(frozen=True)
class Speakers:
    """Where quoted people come from: invented names plus a role template.

    ``anonymous`` entries are ``"full description|short reference"``.
    """

    firsts: tuple[str, ...]
    lasts: tuple[str, ...]
    roles: tuple[str, ...]
    anonymous: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    """The sentence pools of one kind of article.

    ``kind`` is the editorial kind (``world``, ``sports``, ...) that each site maps
    to one of its sections. ``windows`` are ISO date ranges the article may be
    dated in. ``bind`` names values fixed for a whole article (a team, a city),
    expanded in order, each distinct from the ones before.
    """

    key: str
    label: Label
    kind: str
    windows: tuple[tuple[str, str], ...]
    headlines: tuple[str, ...]
    standfirsts: tuple[str, ...]
    ledes: tuple[str, ...]
    details: tuple[str, ...]
    background: tuple[str, ...]
    quotes_a: tuple[str, ...]
    quotes_b: tuple[str, ...]
    speakers_a: Speakers
    speakers_b: Speakers
    outlooks: tuple[str, ...]
    captions: tuple[str, ...]
    bind: tuple[tuple[str, str], ...] = ()
