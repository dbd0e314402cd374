"""What the components of one crawl share with its spider, attached to the crawler once.

The middlewares, the dupefilter, the politeness extension and the archiver need
the spider's seen-set, trap guard, pending seeds, prior captures and its hook
for robots.txt sitemaps. Read as ``getattr(spider, "seen", None)``, a renamed
attribute silently switched a component off; read from one typed
:class:`CrawlContext`, a rename fails the type check, and a crawl without one
(another spider) is told apart from a crawl whose spider forgot a field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from scrapy.crawler import Crawler

from newstrail.frontier import TrapGuard
from newstrail.storage.captures import Capture

if TYPE_CHECKING:
    from newstrail.spiders.distributed import SeenSet

__all__ = ["CrawlContext", "attach_context", "crawl_context"]


@dataclass
class CrawlContext:
    """The state a coverage crawl's components share.

    ``seen``: canonical URLs already requested (in Redis when distributed);
    ``traps``: URL patterns closed as crawler traps; ``seeds_pending``: seeds
    admitted but not yet sent (their budget is reserved); ``prior``: the
    collection's earlier captures by canonical URL (a re-crawl); ``robots_seen``:
    called with a host, its base URL and the sitemaps its robots.txt names.
    """

    seen: SeenSet
    traps: TrapGuard
    robots_seen: Callable[[str, str, Iterable[str]], None]
    seeds_pending: set[str] = field(default_factory=set)
    prior: dict[str, Capture] = field(default_factory=dict)


_CONTEXTS: WeakKeyDictionary[Crawler, CrawlContext] = WeakKeyDictionary()


def attach_context(crawler: Crawler, context: CrawlContext) -> None:
    """Make ``context`` the crawl's shared state (the spider does this once, first)."""
    _CONTEXTS[crawler] = context


def crawl_context(crawler: Crawler) -> CrawlContext | None:
    """The crawl's shared state; None when its spider is not a coverage spider."""
    return _CONTEXTS.get(crawler)
