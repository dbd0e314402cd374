"""Where a profiled crawl's CPU went: ``bench/throughput.py --profile DIR`` records
py-spy's raw stacks of every process; this sums them by process and by area.

    .venv/bin/python bench/profile_summary.py /tmp/prof/pool-101500.txt

Each sample is charged to the first area found walking its stack from the
innermost frame outwards, so scoring inside the spider counts as scoring, and
Scrapy's engine gets only what nothing more specific claims.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

#: (area, what a frame's file path contains), most specific first.
AREAS: list[tuple[str, tuple[str, ...]]] = [
    ("relevance scoring", ("newstrail/relevance.py",)),
    ("story clustering", ("newstrail/stories.py",)),
    ("text records", ("newstrail/records.py", "spiders/pipelines.py", "storage/staging.py")),
    ("WARC writing", ("storage/warc.py", "spiders/archive.py", "warcio/", "storage/cdxj.py")),
    (
        "frontier",
        (
            "spiders/scheduler.py",
            "queuelib/",
            "scrapy/squeues.py",
            "scrapy/pqueues.py",
            "scrapy/core/scheduler.py",
        ),
    ),
    (
        "URL admission",
        (
            "newstrail/urls.py",
            "newstrail/frontier.py",
            "spiders/middlewares.py",
            "w3lib/",
            "courlan/",
        ),
    ),
    ("pool IPC", ("newstrail/extract_pool.py", "concurrent/futures", "multiprocessing/")),
    ("robots, politeness", ("spiders/politeness.py", "protego")),
    ("spider code", ("spiders/coverage.py", "spiders/items.py")),
    (
        "downloader, HTTP",
        (
            "spiders/handler.py",
            "scrapy/core/downloader",
            "twisted/web",
            "scrapy/core/http2",
            "scrapy/http/",
        ),
    ),
    ("Scrapy engine, scraper, signals", ("scrapy/",)),
    ("reactor, asyncio", ("twisted/", "asyncio/")),
]
#: Inside an extraction worker.
WORKER_AREAS: list[tuple[str, tuple[str, ...]]] = [
    ("trafilatura", ("trafilatura/",)),
    ("readability", ("readability/",)),
    ("justext", ("justext/",)),
    ("resiliparse", ("resiliparse",)),
    ("lxml parsing", ("lxml/",)),
    ("newstrail extraction", ("newstrail/",)),
]

_PROCESS = re.compile(r'process (\d+):"([^"]*)"')
_FILE = re.compile(r"\(([^()]*?):\d+\)")


def kind_of(command: str) -> str:
    if "spiders.run" in command:
        return "crawler"
    if "forkserver" in command or "multiprocessing" in command:
        return "extraction workers"
    return "other"


def area_of(frames: list[str], areas: list[tuple[str, tuple[str, ...]]]) -> str:
    for frame in reversed(frames):
        found = _FILE.search(frame)
        path = found.group(1) if found else frame
        for area, needles in areas:
            if any(needle in path for needle in needles):
                return area
    return "other"


def summarise(path: Path) -> str:
    by_process: Counter[str] = Counter()
    by_area: dict[str, Counter[str]] = {}
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        processes = _PROCESS.findall(stack)
        command = processes[-1][1] if processes else ""
        kind = kind_of(command)
        frames = [f for f in _PROCESS.sub("", stack).split(";") if f]
        areas = WORKER_AREAS if kind == "extraction workers" else AREAS
        samples = int(count)
        by_process[kind] += samples
        by_area.setdefault(kind, Counter())[area_of(frames, areas)] += samples
    total = sum(by_process.values()) or 1
    out = [f"{path.name}: {total} samples"]
    for kind, samples in by_process.most_common():
        out.append(f"{kind}: {100 * samples / total:.1f}%")
        for area, n in by_area[kind].most_common():
            out.append(f"    {area:<34} {100 * n / total:5.1f}%")
    return "\n".join(out)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(summarise(Path(name)))
