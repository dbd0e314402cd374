"""What the components of one crawl share with its spider, attached to the crawler once.

The middlewares, the dupefilter, the politeness extension and the archiver need
the spider's seen-set, trap guard, pending seeds, prior captures and its hook
for robots.txt sitemaps. Read as ``getattr(spider, "seen", None)``, a renamed
attribute silently switched a component off; read from one typed
:class:`CrawlContext`, a rename fails the type check, and a crawl without one
(another spider) is told apart from a crawl whose spider forgot a field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol
from weakref import WeakKeyDictionary

from scrapy.crawler import Crawler

from newstrail.frontier import TrapGuard, UrlSet
from newstrail.storage.captures import Capture

__all__ = ["CrawlContext", "PageBudget", "attach_context", "crawl_context"]


class PageBudget(Protocol):
    """A page budget shared by several crawlers (a distributed crawl's workers)."""

    def take(self) -> bool:
        """Count one page request; False (and it is not sent) once the budget is spent."""
        ...

    @property
    def used(self) -> int: ...

    @property
    def spent(self) -> bool: ...


@dataclass
class CrawlContext:
    """The state a coverage crawl's components share.

    ``seen``: canonical URLs this crawler requested (a distributed crawl's workers
    also check each new request against the crawl's, in Redis, as they queue it);
    ``traps``: URL patterns closed as crawler traps; ``seeds_pending``: seeds
    admitted but not yet sent (their budget is reserved); ``prior``: the
    collection's earlier captures by canonical URL (a re-crawl); ``robots_seen``:
    called with a host, its base URL and the sitemaps its robots.txt names;
    ``shared_budget``: the budget of all workers, set by the distributed add-on
    (None: this crawler counts its own pages); ``analysis_room``: waits until the
    pages downloaded but not yet analysed are under their limit (None: no limit).
    """

    seen: UrlSet
    traps: TrapGuard
    robots_seen: Callable[[str, str, Iterable[str]], None]
    seeds_pending: set[str] = field(default_factory=set)
    prior: dict[str, Capture] = field(default_factory=dict)
    shared_budget: PageBudget | None = None
    analysis_room: Callable[[], Awaitable[None]] | None = None
    #: Gone pages whose archive lookup was sent: each holds one request of the budget
    #: for its memento (BudgetMiddleware).
    recoveries_pending: set[str] = field(default_factory=set)
    #: Called with a page request's URL and provenance when the site answers it with
    #: a redirect to its home page (a soft 404): the spider asks the archives.
    soft_not_found: Callable[[str, Any], None] | None = None


_CONTEXTS: WeakKeyDictionary[Crawler, CrawlContext] = WeakKeyDictionary()


def attach_context(crawler: Crawler, context: CrawlContext) -> None:
    """Make ``context`` the crawl's shared state (the spider does this once, first)."""
    _CONTEXTS[crawler] = context


def crawl_context(crawler: Crawler) -> CrawlContext | None:
    """The crawl's shared state; None when its spider is not a coverage spider."""
    return _CONTEXTS.get(crawler)
