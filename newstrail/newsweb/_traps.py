"""Crawler traps: URL spaces without end, and URL variants of pages a crawler already has.

Each trap lives on one site and is linked from that site's ordinary pages:

- ``calendar``: Citizen Truth's events calendar, ``/calendar/YYYY/MM/``, every month
  linking to the months around it, for any year.
- ``pagination``: Capital Ledger's ``/latest?page=N`` answers every N with a page
  that has a "Next" link, long after the real items have run out.
- ``facets``: Middle East Eye's ``/browse?sort=...&filter=...&view=...&page=N``,
  every combination linking to more combinations.
- ``session``: URLs carrying a session id: Tigris Wire's "Most read" links get a
  fresh ``;jsessionid=`` in every response, the Gazette's links a ``?sessionid=``.
- ``redirect_loop``: the Gazette's "Breaking News" link redirects A -> B -> A.
- ``tracking``: URLs carrying tracking parameters: Capital Ledger's "More from the
  Ledger" links add ``itm_*`` parameters naming the linking article, so every page
  mints new URLs for the same articles; ``utm_*`` links elsewhere.

:func:`trap_kind` classifies any request target, so a benchmark can count the
fetches a crawler spent on traps from the server's request log.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qsl, urlencode

from ._html import Ctx, esc
from ._model import Article

if TYPE_CHECKING:
    from ._theme_base import Theme
    from ._web import NewsWeb

TrapKind = Literal["calendar", "pagination", "facets", "session", "redirect_loop", "tracking"]
TRAP_KINDS: tuple[TrapKind, ...] = (
    "calendar",
    "pagination",
    "facets",
    "session",
    "redirect_loop",
    "tracking",
)

CALENDAR_SITE = "citizentruth"
CALENDAR_START = (2020, 1)
ENDLESS_SITE = "capitalledger"
ENDLESS_PATH = "/latest"
ENDLESS_PAGE_SIZE = 20
FACET_SITE = "mee"
FACET_PATH = "/browse"
FACET_SORTS = ("newest", "oldest", "popular", "az")
FACET_VIEWS = ("grid", "list", "compact")
FACET_PAGE_SIZE = 6
FACET_START = "?sort=newest&filter=all&view=grid"
SESSION_SITE = "tigriswire"
LOOP_SITE = "harborgazette"
LOOP_A = "/news/breaking.html"
LOOP_B = "/news/breaking/"
TRACKING_SITE = "capitalledger"

_CALENDAR = re.compile(r"/calendar/(\d{4})/(\d{2})/")
_SESSION_PARAMS = frozenset({"sid", "sessionid", "jsessionid", "phpsessid"})
_TRACKING_PREFIXES = ("utm_", "itm_")
_EVENTS = (
    "Town hall on road repairs",
    "Library book sale",
    "Farmers market",
    "Veterans' breakfast",
    "School board meeting",
    "Charity 5K run",
    "Open mic night",
)


def trap_sources(web: NewsWeb) -> dict[TrapKind, tuple[str, str]]:
    """(site, target) of an ordinary page that links into each trap."""
    last = endless_pages(web, ENDLESS_SITE)
    return {
        "calendar": (CALENDAR_SITE, "/"),
        "pagination": (ENDLESS_SITE, f"{ENDLESS_PATH}?page={last}"),
        "facets": (FACET_SITE, "/"),
        "session": (SESSION_SITE, "/"),
        "redirect_loop": (LOOP_SITE, "/"),
        "tracking": (TRACKING_SITE, "/"),
    }


def calendar_start() -> str:
    year, month = CALENDAR_START
    return _month_path(year, month)


def split_target(target: str) -> tuple[str, str, str]:
    """(path, path parameters, query) of a request target: ``/a;jsessionid=1?x=y``."""
    path, _, query = target.partition("?")
    path, _, params = path.partition(";")
    return path or "/", params, query.partition("#")[0]


def trap_kind(web: NewsWeb, site: str, target: str) -> TrapKind | None:
    """Which trap a request for ``target`` (path and query) on ``site`` falls into, if any."""
    path, params, query = split_target(target)
    if site == CALENDAR_SITE and path.startswith("/calendar/"):
        return "calendar"
    if site == FACET_SITE and path == FACET_PATH:
        return "facets"
    if site == LOOP_SITE and path in (LOOP_A, LOOP_B):
        return "redirect_loop"
    if site == ENDLESS_SITE and path == ENDLESS_PATH:
        real = endless_pages(web, site)
        if _int_param(query, "page", 1) > real:
            return "pagination"
    names = {name.lower() for name, _ in parse_qsl(query, keep_blank_values=True)}
    names |= {p.partition("=")[0].lower() for p in params.split(";") if p}
    if names & _SESSION_PARAMS:
        return "session"
    if any(name.startswith(_TRACKING_PREFIXES) for name in names):
        return "tracking"
    return None


def _int_param(query: str, name: str, default: int) -> int:
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == name:
            try:
                return int(value)
            except ValueError:
                return default
    return default


def session_token(seed: int, counter: int) -> str:
    """The session id of the ``counter``-th response: new in every response."""
    return hashlib.sha1(f"jsession:{seed}:{counter}".encode()).hexdigest()[:24].upper()


_FRESH_SESSION = re.compile(rb";jsessionid=[0-9A-F]{24}")


def without_sessions(body: bytes) -> bytes:
    """``body`` without its fresh session ids: what the page's ETag is computed
    from, as a cache in front of the site would, so conditional requests still work."""
    return _FRESH_SESSION.sub(b";jsessionid=", body)


def tracking_query(article: Article) -> str:
    """The ``itm_*`` parameters Capital Ledger adds to links on ``article``'s page."""
    return f"?itm_source=article&itm_medium=more&itm_content={article.number}"


# -- the endless "latest" listing -------------------------------------------------


def endless_pages(web: NewsWeb, site: str) -> int:
    """How many pages of ``/latest`` have real items (at least one)."""
    count = len(web.listed_articles(site))
    return max(1, -(-count // ENDLESS_PAGE_SIZE))


def render_endless(web: NewsWeb, ctx: Ctx, theme: Theme) -> str:
    page = max(1, _int_param(ctx.query, "page", 1))
    items = web.listed_articles(ctx.site)
    shown = items[(page - 1) * ENDLESS_PAGE_SIZE : page * ENDLESS_PAGE_SIZE]
    rows = "".join(
        f'<li class="c-latest__item"><a href="{ctx.art_href(a.key)}">{esc(a.title)}</a>'
        f' <span class="c-latest__standfirst">{esc(a.standfirst)}</span></li>'
        for a in shown
    )
    if not shown:
        rows = '<li class="c-latest__empty">No more stories to show.</li>'
    pager = ""
    if page > 1:
        previous = ctx.link(f"{ENDLESS_PATH}?page={page - 1}")
        pager += f'<a class="c-pager__link" rel="prev" href="{previous}">Previous</a> '
    # The "Next" link is always there: the CMS does not know where the list ends.
    following = ctx.link(f"{ENDLESS_PATH}?page={page + 1}")
    pager += f'<a class="c-pager__link c-pager__link--next" rel="next" href="{following}">Next</a>'
    body = f'<ol class="c-latest">{rows}</ol><nav class="c-pager">{pager}</nav>'
    return theme.page(ctx, title=f"Latest news - page {page}", body=body)


# -- the events calendar ----------------------------------------------------------


def parse_calendar(path: str) -> tuple[int, int] | None:
    match = _CALENDAR.fullmatch(path)
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= year <= 9999 and 1 <= month <= 12):
        return None
    return year, month


def _month_path(year: int, month: int) -> str:
    return f"/calendar/{year:04d}/{month:02d}/"


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


def render_calendar(web: NewsWeb, ctx: Ctx, theme: Theme, year: int, month: int) -> str:
    name = f"{calendar.month_name[month]} {year}"
    digest = hashlib.sha1(f"{web.seed}:{year}:{month}".encode()).digest()
    events = "".join(
        f"<li><time>{calendar.month_abbr[month]} {1 + digest[i] % 28}</time> "
        f"{esc(_EVENTS[digest[i + 4] % len(_EVENTS)])}</li>"
        for i in range(digest[8] % 3)
    )
    nav = []
    for by, label in ((-1, "&laquo; "), (1, "")):
        y, m = _shift(year, month, by)
        if 1 <= y <= 9999:
            text = f"{label}{calendar.month_name[m]} {y}{' &raquo;' if by > 0 else ''}"
            rel = "prev" if by < 0 else "next"
            nav.append(f'<a rel="{rel}" href="{ctx.link(_month_path(y, m))}">{text}</a>')
    months = " | ".join(
        f'<a href="{ctx.link(_month_path(year, m))}">{calendar.month_abbr[m]}</a>'
        for m in range(1, 13)
        if m != month
    )
    body = (
        f'<div class="tribe-events-calendar"><h2>Events in {name}</h2>'
        f'<ul class="tribe-events-list">{events or "<li>No events scheduled.</li>"}</ul>'
        f'<nav class="tribe-events-nav">{" ".join(nav)}</nav>'
        f'<p class="tribe-events-months">{months}</p></div>'
    )
    return theme.page(ctx, title=f"Events for {name}", body=body)


# -- faceted navigation -------------------------------------------------------------


def render_facets(web: NewsWeb, ctx: Ctx, theme: Theme) -> str:
    params = dict(parse_qsl(ctx.query, keep_blank_values=True))
    sections = [s for s, _ in theme.sections]
    sort = params.get("sort", "newest")
    sort = sort if sort in FACET_SORTS else "newest"
    view = params.get("view", "grid")
    view = view if view in FACET_VIEWS else "grid"
    chosen = [s for s in params.get("filter", "all").split(",") if s in sections]
    page = max(1, _int_param(ctx.query, "page", 1))
    items = [a for a in web.listed_articles(ctx.site) if not chosen or a.section in chosen]
    items = _sorted(web, items, sort)
    shown = items[(page - 1) * FACET_PAGE_SIZE : page * FACET_PAGE_SIZE]

    def href(**changes: str) -> str:
        # The facet just changed goes first, as the widget appends the others.
        merged = {"sort": sort, "filter": ",".join(chosen) or "all", "view": view}
        if page > 1:
            merged["page"] = str(page)
        merged.update(changes)
        ordered = [(k, merged[k]) for k in changes] + [
            (k, v) for k, v in merged.items() if k not in changes
        ]
        return ctx.link(FACET_PATH + "?" + urlencode(ordered, safe=","))

    links: list[tuple[str, str]] = []
    links += [(href(sort=s), f"Sort: {s}") for s in FACET_SORTS if s != sort]
    for section in sections:
        if section in chosen:
            rest = [s for s in chosen if s != section]
            links.append((href(filter=",".join(rest) or "all"), f"- {section}"))
        else:
            links.append((href(filter=",".join([*chosen, section])), f"+ {section}"))
    links += [(href(view=v), f"View: {v}") for v in FACET_VIEWS if v != view]
    facets = "".join(f'<li><a href="{h}" rel="nofollow">{esc(t)}</a></li>' for h, t in links)
    rows = "".join(
        f'<li class="views-row"><a href="{ctx.art_href(a.key)}">{esc(a.title)}</a></li>'
        for a in shown
    )
    next_page = href(page=str(page + 1))
    body = (
        f'<div class="facets"><ul class="facet-links">{facets}</ul></div>'
        f'<ol class="browse-results view-{view}">{rows or "<li>No results.</li>"}</ol>'
        f'<nav class="pager"><a rel="next" href="{next_page}">Next &rsaquo;</a></nav>'
    )
    return theme.page(ctx, title="Browse", body=body)


def _sorted(web: NewsWeb, items: Sequence[Article], sort: str) -> list[Article]:
    if sort == "oldest":
        return list(reversed(items))
    if sort == "az":
        return sorted(items, key=lambda a: a.title)
    if sort == "popular":
        return sorted(items, key=lambda a: hashlib.sha1(f"{web.seed}{a.path}".encode()).digest())
    return list(items)
