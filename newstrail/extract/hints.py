"""Boilerplate hints from the markup: texts the page marks as captions, author bios,
newsletter boxes, related links, share bars, promos, comments, or as quotes."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from lxml.etree import XPath

from newstrail.extract.text import _key

# --- Boilerplate hints from the markup --------------------------------------------

# Class/id names of containers whose text is never article body, matched on name
# boundaries ("related-posts" and "post_related" hit, "unrelated" does not).
_HINT_NAMES = re.compile(
    r"""(?:^|[\s_-])(?:
        author[-_]?(?:bio|box|info|about|desc(?:ription)?|details|card|profile|block)
        |about[-_]?(?:the[-_]?)?author|bio|biography|contributor[-_]?bio
        |newsletters?|signup|sign[-_]up|subscribe|subscription|optin|opt[-_]in|mailing[-_]?list
        |related|recommended|recommendations|read[-_]?(?:more|next|also)|more[-_](?:stories|articles)
        |also[-_]like|you[-_]may[-_]like|most[-_](?:popular|read|viewed)|trending
        |share|sharing|sharebar|social[-_]?(?:share|links|icons|buttons|media)
        |promo|promotion|sponsored|advert|advertisement|ad[-_]?(?:slot|unit|container|wrapper)
        |comments?|comment[-_]?(?:form|respond)|respond|disqus
        |caption|wp[-_]caption[-_]text|credit|(?:photo|image|img)[-_]?credits?
        |breadcrumbs?|skip[-_]?(?:link|links|to[-_]content)|screen[-_]reader[-_]text|sr[-_]only
        |visually[-_]hidden|cookies?|consent|gdpr
        |publisher[-_]?(?:info|blurb|about|note)|republish(?:ing)?
    )(?=$|[\s_-])""",
    re.IGNORECASE | re.VERBOSE,
)
_QUOTE_NAMES = re.compile(
    r"(?:^|[\s_-])(?:pull[-_]?quote|pullquote|quote|blockquote|pull)(?=$|[\s_-])", re.IGNORECASE
)
# Attribution under a pull quote: "- Name" or "— Name, role". The name is one to five
# capitalised words, so a dashed list item ("- Easy setup for ...") is not one.
_NAME = r"[A-Z][\w.'\u2019-]*(?:\s+(?:[A-Z][\w.'\u2019-]*|de|la|van|von|al|bin|el)){0,4}"
_ATTRIBUTION = re.compile(rf"^\s*[-\u2013—―]\s*{_NAME}(?:\s*,\s*[^,]{{1,60}})?\s*$")
# A quote and its attribution run together: "... bigger foothold - Donald Trump".
_TRAILING_ATTRIBUTION = re.compile(
    rf"^(.{{30,}}?)\s+[-\u2013—―]\s*({_NAME}(?:\s*,\s*[^,]{{1,60}})?)\s*$"
)
_DASHES = "-\u2013—―"
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCK_TAGS = ("p", "li", *_HEADINGS, "blockquote", "dd", "dt", "td", "th", "pre")
_MIN_LINK_TEXT_WORDS = 2
_MIN_TEASER_WORDS = 6
# A boilerplate-named container holding more of the page's paragraph text than this
# is a layout wrapper whose name happens to match ("post-share-enabled").
_MAX_CONTAINER_SHARE = 0.4


class _Hints:
    """What the markup says about texts, as sets of text keys.

    ``boilerplate``: texts in boilerplate-named containers and captions. ``quotes``:
    texts of quote elements. ``body``: texts of blocks outside boilerplate containers.
    ``teasers``: texts of links to where a "Read more" link points (teaser headlines).
    ``links``: link texts of two words or more. ``body`` and ``links`` are built on
    first use, since most pages never need them.
    """

    def __init__(self, root: Any = None) -> None:
        self.boilerplate: set[str] = set()
        self.quotes: set[str] = set()
        self.teasers: set[str] = set()  # headlines linking where a "Read more" links
        self.inside: set[Any] = set()  # elements within boilerplate containers
        self._root = root
        self.page_urls: set[str] = set()  # the page's URL and canonical URL

    @functools.cached_property
    def body(self) -> set[str]:
        if self._root is None:
            return set()
        blocks = self._root.iter(*_BLOCK_TAGS)
        return {_key(block.text_content()) for block in blocks if block not in self.inside}

    @functools.cached_property
    def link_paragraphs(self) -> set[str]:
        """Keys of paragraphs whose whole text is one link: inline promos and teasers."""
        if self._root is None:
            return set()
        keys = set()
        for paragraph in self._root.iter("p"):
            links = paragraph.findall(".//a")
            key = _key(paragraph.text_content())
            if len(links) == 1 and key and key == _key(links[0].text_content()):
                keys.add(key)
        return keys

    @functools.cached_property
    def links(self) -> set[str]:
        if self._root is None:
            return set()
        return {key for key in self.link_texts if key.count(" ") + 1 >= _MIN_LINK_TEXT_WORDS}

    @functools.cached_property
    def link_texts(self) -> set[str]:
        """Keys of every link text, one word or more."""
        if self._root is None:
            return set()
        return {_key(link.text_content()) for link in self._root.iter("a")} - {""}

    def link_text_share(self, lines: list[str]) -> float:
        """Share of the lines' text that is link text: whole lines, or the link a line
        opens with (a teaser's headline before its summary). Unlike ``_link_share``
        (is the whole extraction a list of headlines?) every line counts, one-word
        menu links too."""
        total = linked = 0
        for line in lines:
            key = _key(line)
            total += len(key)
            if key in self.link_texts:
                linked += len(key)
            else:
                opening = (text for text in self.link_texts if key.startswith(text + " "))
                linked += max(map(len, opening), default=0)
        return linked / total if total else 0.0


def _unslug(identifier: str | None) -> str:
    """An id, unless it is a slug of some text (four words or more), which names nothing."""
    if not identifier or identifier.count("-") + identifier.count("_") >= 3:
        return ""
    return identifier


def _block_texts(element: Any) -> Iterator[str]:
    """Keys of the element's text and of each descendant block's text."""
    yield _key(element.text_content())
    for child in element.iter(*_BLOCK_TAGS, "div", "span", "a", "figcaption", "cite", "q"):
        if child is not element:
            yield _key(child.text_content())


def _page_hints(tree: Any) -> _Hints:
    """Collect the texts the markup marks as boilerplate, quotes or teaser headlines."""
    body = tree.find("body")
    root = body if body is not None else tree
    hints = _Hints(root)
    hinted: list[Any] = list(root.iter("figcaption"))
    quotes: list[Any] = list(root.iter("blockquote", "aside", "q"))
    for element in root.xpath(".//*[@class or @id]"):
        if element.tag in _HEADINGS:
            # A heading's id is a slug of its own text ("social-media-tips").
            continue
        names = f"{element.get('class') or ''} {_unslug(element.get('id'))}"
        if _HINT_NAMES.search(names) and not _in_code(element):
            hinted.append(element)
        lowered = names.lower()
        # Substring tests first: the regex on every named element is a hot spot.
        if ("quote" in lowered or "pull" in lowered) and _QUOTE_NAMES.search(names):
            quotes.append(element)
    hints.teasers = _teaser_headlines(root)
    for element in quotes:
        hints.quotes.update(_block_texts(element))
        if match := _TRAILING_ATTRIBUTION.match(" ".join(element.text_content().split())):
            hints.quotes.add(_key(match.group(1)))
    total = sum(len(p.text_content()) for p in root.iter("p")) if hinted else 0
    for element in hinted:
        if element in hints.inside:
            continue
        share = sum(len(p.text_content()) for p in element.iter("p")) / (total or 1)
        if share > _MAX_CONTAINER_SHARE or element.find(".//h1") is not None:
            continue
        hints.inside.update(element.iter())
        hints.boilerplate.update(_block_texts(element))
    hints.boilerplate.discard("")
    hints.quotes.discard("")
    return hints


# Links whose whole text is "Read more", "Continue reading" and the like, found by
# XPath (lowercasing and prefix tests in C rather than a Python loop over all links).
_LOWER = "translate(normalize-space(), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
_READ_MORE_LINKS = XPath(
    f".//a[@href][string-length(normalize-space()) < 30][starts-with({_LOWER}, 'read more')"
    f" or starts-with({_LOWER}, 'continue reading') or starts-with({_LOWER}, 'read the full')"
    f" or starts-with({_LOWER}, 'read full')]"
)


def _teaser_headlines(root: Any) -> set[str]:
    """Texts of links pointing where a "Read more" link points: teaser headlines."""
    targets = {link.get("href") for link in _READ_MORE_LINKS(root)}
    if not targets:
        return set()
    keys = (_key(link.text_content()) for link in root.iter("a") if link.get("href") in targets)
    # Article headlines are sentences; shorter link texts to the same place are product
    # or section names ("Acer Nitro 16"), which "best of" lists keep as headings.
    return {key for key in keys if key.count(" ") + 1 >= _MIN_TEASER_WORDS}


def _in_code(element: Any) -> bool:
    # Syntax highlighters name code tokens "comment", "share" and the like.
    return bool(element.xpath("ancestor-or-self::*[self::pre or self::code]"))
