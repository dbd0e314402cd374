"""Helpers shared by the site themes: escaping, links in paragraphs, dates, JSON-LD."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._model import Article, ArticleKey, BodyLink, Ref

if TYPE_CHECKING:
    from ._web import NewsWeb


def esc(text: str) -> str:
    return html.escape(text, quote=True)


class Ctx:
    """What a theme needs while rendering one page: the web and where sites live."""

    def __init__(
        self,
        web: NewsWeb,
        site: str,
        base_urls: Mapping[str, str],
        path: str = "/",
        query: str = "",
        *,
        relative: bool = False,
    ) -> None:
        self.web = web
        self.site = site
        self.base_urls = base_urls
        self.path = path
        self.query = query
        # Some sites write their own links as root-relative paths, others as
        # absolute URLs; links to other sites are always absolute.
        self.relative = relative

    @property
    def name(self) -> str:
        return self.web.sites[self.site].name

    def url(self, site: str, path: str) -> str:
        """Absolute URL of ``path`` on ``site``."""
        return self.base_urls[site] + path

    def here(self, path: str) -> str:
        return self.url(self.site, path)

    def href(self, site: str, path: str) -> str:
        if site == self.site and self.relative:
            return path
        return self.url(site, path)

    def link(self, path: str) -> str:
        """An href to ``path`` on the site being rendered."""
        return esc(self.href(self.site, path))

    def ref(self, ref: Ref) -> str:
        return esc(self.href(ref.site, ref.path))

    def art(self, key: ArticleKey) -> Article:
        return self.web.articles[key]

    def art_href(self, key: ArticleKey, query: str = "") -> str:
        return esc(self.href(key[0], key[1] + query))

    def canonical(self, article: Article) -> str:
        return esc(self.url(*article.canonical_key))

    def site_name(self, site: str) -> str:
        return self.web.sites[site].name


def linked_text(ctx: Ctx, text: str, links: Iterable[BodyLink]) -> str:
    """``text`` escaped, with each link wrapped around its words."""
    parts = re.split(r"(\s+)", text)
    n_words = (len(parts) + 1) // 2
    opens: dict[int, BodyLink] = {}
    for link in links:
        # Links that no longer fit (the text was edited) are dropped.
        if link.length > 0 and link.word + link.length <= n_words:
            opens[link.word] = link
    if not opens:
        return esc(text)
    out: list[str] = []
    close_at = -1
    for index, part in enumerate(parts):
        if index % 2:
            out.append(esc(part))
            continue
        word = index // 2
        if word in opens and close_at < word:
            link = opens[word]
            out.append(f'<a href="{ctx.ref(link.target)}">')
            close_at = word + link.length - 1
        out.append(esc(part))
        if word == close_at:
            out.append("</a>")
    return "".join(out)


def is_heading(text: str) -> bool:
    """A short block without closing punctuation: a crosshead in a seed text."""
    stripped = text.strip()
    return (
        len(stripped.split()) <= 8
        and not stripped.startswith(("-", "\u2013", "\u2014"))
        and stripped[-1:] not in {".", "!", '"', "\u201d", ":"}
    )


def body_blocks(
    ctx: Ctx,
    article: Article,
    *,
    p: str = "<p>{}</p>",
    heading: str = "<h2>{}</h2>",
    inserts: Mapping[int, str] | None = None,
) -> str:
    """The body paragraphs as HTML, with ``inserts[i]`` placed after paragraph i."""
    by_paragraph: dict[int, list[BodyLink]] = {}
    for link in article.links:
        by_paragraph.setdefault(link.paragraph, []).append(link)
    extra = inserts or {}
    out = []
    for i, text in enumerate(article.paragraphs):
        inner = linked_text(ctx, text, by_paragraph.get(i, ()))
        crosshead = article.label == "seed" and i > 0 and is_heading(text)
        out.append((heading if crosshead else p).format(inner))
        if i in extra:
            out.append(extra[i])
    return "\n".join(out)


def pull_quote_positions(article: Article, limit: int) -> list[tuple[int, str, str]]:
    """(after paragraph, quote, speaker) for pull quotes a few paragraphs after the source."""
    found: list[tuple[int, str, str]] = []
    used: set[int] = set()
    last = len(article.paragraphs) - 1
    for quote, speaker in article.quotes:
        probe = quote[:40]
        source = next((i for i, p in enumerate(article.paragraphs) if probe in p), None)
        if source is None:
            continue
        position = min(source + 2, last - 1)
        if position <= source or position in used or any(abs(position - u) < 3 for u in used):
            continue
        used.add(position)
        found.append((position, quote.rstrip(".,"), speaker))
        if len(found) == limit:
            break
    return sorted(found)


# Cross-site stable, content-free class names, as CSS-in-JS front ends emit.
def css(role: str) -> str:
    return "css-" + hashlib.sha1(role.encode()).hexdigest()[:6]


def jsonld(data: Mapping[str, Any]) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=1)
    # "</" inside a script element would end it early.
    return '<script type="application/ld+json">\n' + text.replace("</", "<\\/") + "\n</script>"


def news_article_ld(ctx: Ctx, article: Article, *, logo_path: str = "/logo.svg") -> str:
    return jsonld(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "mainEntityOfPage": {"@type": "WebPage", "@id": ctx.url(*article.canonical_key)},
            "headline": article.title,
            "description": article.standfirst,
            "datePublished": iso(article.published),
            "dateModified": iso(article.modified),
            "author": [{"@type": "Person", "name": article.author}],
            "publisher": {
                "@type": "Organization",
                "name": ctx.name,
                "logo": {"@type": "ImageObject", "url": ctx.here(logo_path)},
            },
            "articleSection": ctx.web.sites[ctx.site].sections_dict.get(article.section, ""),
            "inLanguage": "en",
        }
    )


def iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def slugify(text: str, limit: int = 80) -> str:
    # "20,000 troops" -> "20000-troops", as CMSes write it.
    text = re.sub(r"(?<=\d),(?=\d)", "", text.lower().replace("'", ""))
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug


_AP_MONTHS = (
    "Jan.", "Feb.", "March", "April", "May", "June",
    "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.",
)  # fmt: skip


def long_date(moment: dt.datetime) -> str:
    """December 28, 2018"""
    return f"{moment:%B} {moment.day}, {moment.year}"


def ap_datetime(moment: dt.datetime) -> str:
    """Jan. 4, 2019 at 3:12 PM"""
    hour = moment.hour % 12 or 12
    return (
        f"{_AP_MONTHS[moment.month - 1]} {moment.day}, {moment.year} at "
        f"{hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"
    )


def day_month_year(moment: dt.datetime) -> str:
    """13 January 2020 14:03 UTC"""
    return f"{moment.day} {moment:%B %Y %H:%M} UTC"


def short_date(moment: dt.datetime) -> str:
    """Dec 28, 2018"""
    return f"{moment:%b} {moment.day}, {moment.year}"


def ledger_date(moment: dt.datetime) -> str:
    """Fri 28 Dec 2018 14.03 GMT"""
    return f"{moment:%a} {moment.day} {moment:%b %Y %H.%M} GMT"


def wire_date(moment: dt.datetime) -> str:
    """January 6, 2020 / 2:03 PM / GMT"""
    hour = moment.hour % 12 or 12
    return f"{long_date(moment)} / {hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'} / GMT"
