"""What extraction takes and gives: its settings and the article it finds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractionConfig:
    """Extraction options, built once and passed to every call.

    ``favor_precision``, ``favor_recall`` and ``include_tables`` are trafilatura's
    switches (the defaults scored best on our evaluation sets). ``min_text_length``
    (characters, after filtering) separates articles from other pages: below it
    ``extract_article`` returns None. Under ``fallback_length`` trafilatura's result
    counts as a miss and the fallbacks are tried. ``max_link_share`` is the largest
    share of the text that may consist of link texts before the page counts as a list
    of links (a home or section page). ``post_filters`` switches our boilerplate
    filters off, to compare with plain trafilatura. ``second_opinion`` checks
    trafilatura's text against readability's, and when the two agree less than
    ``min_agreement`` (shingle F1) asks justext too and keeps the extraction the other
    two agree with most (``newstrail.candidates``); it needs the post-filters, since
    the candidates are compared after filtering.

    ``max_html_bytes`` bounds the work on one page (512 KiB: trafilatura's time grows
    faster than the page, and at the cap the worst pages we measured, 20,000 to
    50,000 short paragraphs or link rows, take 1.5 to 2.6 s, against 3.3 to 6.2 s at
    1 MiB; article pages are far smaller once scripts and styles are gone). Above it
    the body's scripts (except JSON-LD), styles and comments are dropped, then it is
    cut at the last tag start before the cap.
    ``max_second_opinion_lines`` skips readability and
    justext when trafilatura's text has more lines than that (articles have a few
    hundred at most; justext's revision is quadratic in them).
    """

    favor_precision: bool = False
    favor_recall: bool = False
    include_tables: bool = True
    min_text_length: int = 200
    fallback_length: int = 250
    max_link_share: float = 0.6
    post_filters: bool = True
    second_opinion: bool = True
    min_agreement: float = 0.9
    max_html_bytes: int = 512 * 1024
    max_second_opinion_lines: int = 1000


@dataclass
class Article:
    """The main text and metadata of one page.

    ``text`` holds one block (paragraph, heading, list item, table row) per entry,
    entries separated by a blank line, so ``text.split("\\n\\n")`` gives the blocks
    back. ``date`` is ``YYYY-MM-DD``, as written (no time zone conversion): a date in
    the URL or the meta tags, else the date the page shows with its headline, else
    one only JSON-LD declares. ``date_source`` says where it came from: ``url`` (a
    date in the URL path), ``meta`` (meta tags such as article:published_time),
    ``time`` (a ``<time>`` element marked as the publication date), ``byline`` (shown
    near the headline and declared nowhere), ``json-ld`` or ``htmldate`` (heuristics
    over the page); a date both shown and declared is credited to the declaration.
    ``canonical_url`` comes from ``<link rel=canonical>``, else ``og:url``, made
    absolute against the page URL; None when the page declares neither.
    ``boilerplate_removed`` counts the lines our post-filters dropped. ``limits``
    names the work limits the page reached (see the module docstring), empty for
    normal pages.
    """

    text: str
    title: str | None
    author: str | None
    date: str | None
    sitename: str | None
    language: str | None
    canonical_url: str | None
    description: str | None
    date_source: str | None
    boilerplate_removed: int
    limits: tuple[str, ...] = ()


DEFAULT_CONFIG = ExtractionConfig()
