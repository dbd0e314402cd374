"""A page analysis that is slow on request, for crawls that must not wait for one.

The extraction pool's workers run it in place of :func:`newstrail.pagework.analyse_page`
(``ExtractionPool(task=...)``): a page whose URL has ``slow`` in its query sleeps far
past any time limit a test sets, as an extraction stuck in a pathological page would.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from newstrail.extract import ExtractionConfig
from newstrail.pagework import DEFAULT_MAX_LINKS, PageWork, analyse_page

SLOW_SECONDS = 120.0


def slow_analyse(
    html: bytes,
    url: str,
    *,
    content_type: str | None = None,
    max_links: int = DEFAULT_MAX_LINKS,
    config: ExtractionConfig | None = None,
    **options: Any,
) -> PageWork:
    if "slow" in urlsplit(url).query:
        time.sleep(SLOW_SECONDS)
    return analyse_page(
        html, url, content_type=content_type, max_links=max_links, config=config, **options
    )
