"""The sites of the offline web, in a fixed order."""

from __future__ import annotations

from ._site_citizen import CitizenTruth
from ._site_gazette import HarborGazette
from ._site_ledger import CapitalLedger
from ._site_mee import MiddleEastEye
from ._site_meridian import MeridianReview
from ._site_wire import TigrisWire
from ._theme_base import Theme

THEMES: dict[str, Theme] = {
    theme.key: theme
    for theme in (
        CitizenTruth(),
        MiddleEastEye(),
        TigrisWire(),
        HarborGazette(),
        MeridianReview(),
        CapitalLedger(),
    )
}

# Seed i is hosted by SEED_HOSTS[i % 6]: 000 on the WordPress blog, 001 on MEE.
SEED_HOSTS = ("citizentruth", "mee", "meridian", "tigriswire", "capitalledger", "harborgazette")
