"""Quality gate: extraction must not fall below pinned floors on the shared eval sets.

Like trafilatura's tests/eval_gate.py. The full sets take over a minute, so the gate
runs a fixed subset: every 4th page of each set, in truth.jsonl order. The floors
sit a little below what newstrail scored on that subset when they were pinned (see
FLOORS); a change that lowers the figures below them fails here, and should either
be fixed or come with new, justified floors. ``bench/extraction.py`` gives the
full-set figures.

The sets are read from ``../shared/eval`` beside the repository (as CI has it), or
from ``$NEWSTRAIL_EVAL_DIR``. Without them the gate fails: a missing eval folder
must not pass for a green gate.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from newstrail.extract import extract_article

REPO = Path(__file__).resolve().parent.parent
EVAL_DIR = Path(os.environ.get("NEWSTRAIL_EVAL_DIR") or REPO.parent / "shared" / "eval")
EVERY = 4  # the subset: pages 0, 4, 8, ... of each set

# Measured on the subset when pinned (second opinion and extension from
# newstrail.candidates, date and title choice by source, the line filters of
# 2026-11-22): scrapinghub F1 0.9695 (46 pages); wcxb-dev F1 0.9403, title 0.848,
# author 0.800, date 0.913 (178 pages; one page is 0.006).
FLOORS: dict[str, dict[str, float]] = {
    "scrapinghub": {"f1": 0.965},
    "wcxb-dev": {
        "f1": 0.936,
        "title_accuracy": 0.835,
        "author_accuracy": 0.785,
        "date_accuracy": 0.895,
    },
}


def load_scorer() -> ModuleType:
    path = EVAL_DIR / "score_extraction.py"
    if not path.is_file():
        pytest.fail(
            f"extraction eval data not found: {path} is missing. The quality gate needs "
            "the shared eval sets in ../shared/eval beside the repository (or set "
            "NEWSTRAIL_EVAL_DIR to the folder holding score_extraction.py and extraction/)."
        )
    spec = importlib.util.spec_from_file_location("score_extraction", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def subset(set_dir: Path) -> list[dict[str, Any]]:
    with (set_dir / "truth.jsonl").open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    return records[::EVERY]


@pytest.fixture(scope="module", params=sorted(FLOORS))
def scored(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    set_name: str = request.param
    scorer = load_scorer()
    set_dir = EVAL_DIR / "extraction" / set_name
    truth: dict[str, dict[str, Any]] = {}
    predictions: dict[str, dict[str, Any]] = {}
    for record in subset(set_dir):
        page_id = str(record["id"])
        truth[page_id] = record
        html = gzip.decompress((set_dir / "html" / f"{page_id}.html.gz").read_bytes())
        article = extract_article(html, record["url"])
        predictions[page_id] = {
            "text": article.text if article else "",
            "title": article.title if article else None,
            "author": article.author if article else None,
            "date": article.date if article else None,
        }
    result: dict[str, Any] = scorer.evaluate(truth, predictions, n_boot=2)
    return set_name, result


def test_extraction_stays_above_the_pinned_floors(scored: tuple[str, dict[str, Any]]) -> None:
    set_name, result = scored
    below = {
        metric: (round(result[metric], 4), floor)
        for metric, floor in FLOORS[set_name].items()
        if result[metric] < floor
    }
    assert not below, f"{set_name}: below the floor (got, floor): {below}"


def test_subset_is_the_pinned_one() -> None:
    # The floors hold for this subset only: a changed eval set needs new floors.
    load_scorer()
    sizes = {name: len(subset(EVAL_DIR / "extraction" / name)) for name in FLOORS}
    assert sizes == {"scrapinghub": 46, "wcxb-dev": 178}
