"""The extraction itself: trafilatura, its second opinions and fallbacks, the line
filters, and the article assembled from text and metadata."""

from __future__ import annotations

from typing import Any

from trafilatura import bare_extraction, baseline, load_html
from trafilatura.settings import Document

from newstrail.candidates import choose, justext_lines, page_lengths, readability_lines
from newstrail.extract.byline import _byline_zone, _choose_author, _choose_date
from newstrail.extract.decode import prepare_html
from newstrail.extract.filters import _SHORT, _filter_lines
from newstrail.extract.hints import _Hints, _page_hints
from newstrail.extract.metadata import _choose_title, _page_metadata
from newstrail.extract.model import DEFAULT_CONFIG, Article, ExtractionConfig
from newstrail.extract.text import _hostname, _key, _repair

# --- Extraction -------------------------------------------------------------------


def _trafilatura(tree: Any, url: str, config: ExtractionConfig, *, recall: bool) -> str | None:
    document = bare_extraction(
        tree,
        url=url,
        favor_precision=config.favor_precision and not recall,
        favor_recall=config.favor_recall or recall,
        include_comments=False,
        include_tables=config.include_tables,
        # trafilatura's own fallback (readability and justext against its result) is
        # what the second opinion does, over filtered lines: running both pays twice.
        fast=config.second_opinion and config.post_filters and not recall,
        # Metadata comes from _page_metadata: trafilatura's costs a third of its time
        # (htmldate, a byline search on a copy of the tree) and is rarely needed.
        with_metadata=False,
    )
    return document.text if isinstance(document, Document) else None


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _link_share(lines: list[str], hints: _Hints) -> float:
    """Share of the text in lines that are link texts (lists of headlines)."""
    total = sum(map(len, lines)) or 1
    # Link lists are runs of short lines; when long paragraphs carry most of the
    # text, the page's link texts need not be collected.
    if sum(len(line) for line in lines if len(line) <= _SHORT) < 0.5 * total:
        return 0.0
    return sum(len(line) for line in lines if _key(line) in hints.links) / total


def _unnest_documents(tree: Any) -> None:
    """Put content printed after ``</html>`` back in the body.

    Templates now and then print more of the page after the closing tags. Browsers
    show it as part of the body; libxml2 makes it a second root element, which the
    extractors never look at. (A nested ``<html>`` tag libxml2 ignores, as browsers do.)
    """
    body = tree.find("body")
    if body is None:
        return
    trailing = tree.getnext()
    while trailing is not None:
        following = trailing.getnext()
        if trailing.tag == "html":
            for child in list(trailing):
                if child.tag == "body":
                    body.extend(list(child))
                elif child.tag != "head":
                    body.append(child)
        trailing = following


def extract_article(
    html: bytes | str,
    url: str,
    config: ExtractionConfig | None = None,
    *,
    content_type: str | None = None,
) -> Article | None:
    """Extract the main text and metadata of a news page.

    ``html`` is the response body: bytes are decoded by BOM, then as UTF-8, then by
    ``content_type``'s charset (the HTTP header), then by the charset the page
    declares, then by detection; a page declared UTF-8 that is mostly valid UTF-8 is
    read as UTF-8 with the bad bytes replaced. Pass ``str`` when the encoding is
    settled already. ``url`` is the page's URL, used to make the canonical URL
    absolute and as a date hint. The work is bounded by ``config.max_html_bytes``
    and ``config.max_second_opinion_lines``; ``Article.limits`` says which applied.

    Returns None when the page has no article text: empty or unparsable, shorter than
    ``config.min_text_length`` after filtering, or mostly link texts (a home or section
    page).
    """
    config = config or DEFAULT_CONFIG
    text, limits, _ = prepare_html(html, config, content_type=content_type)
    return extract_prepared(text, url, config, limits)


def extract_prepared(
    text: str, url: str, config: ExtractionConfig, limits: tuple[str, ...] = ()
) -> Article | None:
    """``extract_article`` on a body that ``prepare_html`` returned, with its limits."""
    tree = load_html(text) if text.strip() else None
    if tree is None:
        return None
    _unnest_documents(tree)
    meta = _page_metadata(tree, url)
    hints = _page_hints(tree) if config.post_filters else _Hints(tree)
    hints.page_urls = {url, *filter(None, [meta.canonical_url])}
    title = _choose_title(meta, url)
    zone = _byline_zone(tree, title)
    author = _choose_author(meta, tree, zone, url)
    sitename = meta.sitename or _hostname(url)

    def filtered(raw: str | None) -> tuple[list[str], int]:
        lines = _lines(raw)
        if not config.post_filters:
            return lines, 0
        reasons = _filter_lines(lines, hints, title, author, sitename)
        kept = [line for line, reason in zip(lines, reasons, strict=True) if reason is None]
        return kept, len(lines) - len(kept)

    lines, removed = filtered(_trafilatura(tree, url, config, recall=False))
    limits = tuple(limits)
    if (
        config.second_opinion
        and config.post_filters
        and len(lines) > config.max_second_opinion_lines
    ):
        limits += ("second-opinions-skipped",)
    elif config.second_opinion and config.post_filters:
        # A mistake of one extractor alone is outvoted (newstrail.candidates).
        second = filtered("\n".join(readability_lines(tree)))
        third: list[tuple[list[str], int]] = []

        def justext() -> list[str]:
            third.append(filtered("\n".join(justext_lines(tree))))
            return third[0][0]

        chosen, _ = choose(
            lines,
            second[0],
            justext,
            config.min_agreement,
            page_lengths(tree),
            hints.link_text_share,
        )
        lines, removed = [(lines, removed), second, *third][chosen]
    if sum(map(len, lines)) < config.fallback_length:
        # trafilatura found next to nothing: retry favouring recall, then take its
        # baseline (all paragraphs, or the JSON-LD articleBody); keep the longest.
        _, baseline_text, _ = baseline(tree)
        retry = _trafilatura(tree, url, config, recall=True)
        for candidate in (filtered(retry), filtered(baseline_text)):
            if sum(map(len, candidate[0])) > sum(map(len, lines)):
                lines, removed = candidate
    if sum(map(len, lines)) < config.min_text_length:
        return None
    if _link_share(lines, hints) > config.max_link_share:
        return None

    date, date_source = _choose_date(meta, tree, url, zone)
    return Article(
        text=_repair("\n\n".join(lines)),
        title=title,
        author=author,
        date=date,
        sitename=sitename,
        language=meta.language,
        canonical_url=meta.canonical_url,
        description=meta.description,
        date_source=date_source,
        boilerplate_removed=removed,
        limits=limits,
    )
