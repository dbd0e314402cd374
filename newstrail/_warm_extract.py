"""Imported by the extraction pool's fork server (and spawned workers) to warm up.

Importing the extractor is only part of its start-up: the first page also pays for
lazy imports and caches inside trafilatura, htmldate and lxml (about 0.5 s measured
here, against 20-40 ms for later pages). Extracting one small page at import time
pays it once, in the process every worker forks from; the page goes through
:func:`newstrail.pagework.analyse_page`, what the workers run, scored, so that the
word frequencies relevance scoring reads (wordfreq's English list, tens of MB) are
loaded once here and shared by the workers instead of loaded by each.
"""

from __future__ import annotations

from newstrail.pagework import PageScoring, analyse_page
from newstrail.relevance import RelevanceModel

_PARAGRAPH = (
    "<p>The council met on Tuesday to discuss the new budget for the city's schools,"
    " which will rise by four per cent next year after a long debate.</p>"
)
_PAGE = (
    "<html><head><title>Council backs school budget | Example</title>"
    '<meta property="article:published_time" content="2020-01-05T10:00:00Z"></head>'
    "<body><article><h1>Council backs school budget</h1><p>By Jane Doe</p>"
    f"{_PARAGRAPH * 4}</article></body></html>"
).encode()

analyse_page(
    _PAGE,
    "https://news.example/2020/01/05/council-budget",
    scoring=PageScoring(RelevanceModel(["school budget council city"])),
)
