"""Machine-readable pages: RSS, Atom, sitemaps, robots.txt, a PDF and image placeholders."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from email.utils import format_datetime
from xml.sax.saxutils import escape as xml_escape

from ._html import Ctx, iso
from ._model import Article, Site
from ._theme_base import Theme

FEED_SIZE = 20
NEWS_SITEMAP_SIZE = 30


def _x(text: str) -> str:
    return xml_escape(text, {'"': "&quot;"})


def rss(ctx: Ctx, theme: Theme, items: Sequence[Article], built: dt.datetime) -> str:
    entries = "\n".join(
        f"""  <item>
   <title>{_x(a.title)}</title>
   <link>{_x(ctx.url(*a.key))}</link>
   <guid isPermaLink="true">{_x(ctx.url(*a.key))}</guid>
   <pubDate>{format_datetime(a.published)}</pubDate>
   <dc:creator>{_x(a.author)}</dc:creator>
   <category>{_x(theme.section_name(a.section))}</category>
   <description>{_x(a.standfirst)}</description>
  </item>"""
        for a in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
 <channel>
  <title>{_x(theme.name)}</title>
  <link>{_x(ctx.here("/"))}</link>
  <atom:link href="{_x(ctx.here(theme.feed_path))}" rel="self" type="application/rss+xml"/>
  <description>Latest stories from {_x(theme.name)}</description>
  <language>en</language>
  <lastBuildDate>{format_datetime(built)}</lastBuildDate>
{entries}
 </channel>
</rss>
"""


def atom(ctx: Ctx, theme: Theme, items: Sequence[Article], built: dt.datetime) -> str:
    entries = "\n".join(
        f"""  <entry>
    <id>{_x(ctx.url(*a.key))}</id>
    <title type="text">{_x(a.title)}</title>
    <link rel="alternate" type="text/html" href="{_x(ctx.url(*a.key))}"/>
    <published>{iso(a.published)}</published>
    <updated>{iso(a.modified)}</updated>
    <author><name>{_x(a.author)}</name></author>
    <category term="{_x(a.section)}" label="{_x(theme.section_name(a.section))}"/>
    <summary type="text">{_x(a.standfirst)}</summary>
  </entry>"""
        for a in items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <id>{_x(ctx.here("/"))}</id>
  <title>{_x(theme.name)}</title>
  <updated>{iso(built)}</updated>
  <link rel="self" type="application/atom+xml" href="{_x(ctx.here(theme.feed_path))}"/>
  <link rel="alternate" type="text/html" href="{_x(ctx.here("/"))}"/>
{entries}
</feed>
"""


def urlset(entries: Sequence[tuple[str, dt.datetime | None]]) -> str:
    rows = "\n".join(
        f"  <url><loc>{_x(loc)}</loc>"
        + (f"<lastmod>{iso(mod)}</lastmod>" if mod else "")
        + "</url>"
        for loc, mod in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{rows}
</urlset>
"""


def sitemap_index(entries: Sequence[tuple[str, dt.datetime]]) -> str:
    rows = "\n".join(
        f"  <sitemap><loc>{_x(loc)}</loc><lastmod>{iso(mod)}</lastmod></sitemap>"
        for loc, mod in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{rows}
</sitemapindex>
"""


def news_sitemap(ctx: Ctx, theme: Theme, items: Sequence[Article]) -> str:
    rows = "\n".join(
        f"""  <url>
    <loc>{_x(ctx.url(*a.key))}</loc>
    <news:news>
      <news:publication><news:name>{_x(theme.name)}</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>{iso(a.published)}</news:publication_date>
      <news:title>{_x(a.title)}</news:title>
    </news:news>
  </url>"""
        for a in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{rows}
</urlset>
"""


def robots(ctx: Ctx, theme: Theme, sitemaps: Sequence[str]) -> str:
    lines = ["# robots.txt for " + theme.name, "User-agent: *"]
    lines += [f"Disallow: {prefix}" for prefix in theme.disallow]
    lines += [f"Allow: {prefix}" for prefix in theme.allow]
    if theme.crawl_delay is not None:
        lines.append(f"Crawl-delay: {theme.crawl_delay:g}")
    text = "\n".join(lines) + "\n"
    # A rule group for a named bot, as most news sites now carry.
    text += "\nUser-agent: GPTBot\nDisallow: /\n\n"
    text += "".join(f"Sitemap: {ctx.here(path)}\n" for path in sitemaps)
    return text


def placeholder_svg(label: str) -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360" viewBox="0 0 640 360">'
        '<rect width="640" height="360" fill="#c8ccd0"/>'
        f'<text x="320" y="186" font-family="sans-serif" font-size="20" text-anchor="middle" '
        f'fill="#555">{_x(label)}</text></svg>'
    ).encode()


def pdf_document(lines: Sequence[str]) -> bytes:
    """A minimal valid one-page PDF showing ``lines`` (ASCII) in Helvetica."""
    text_ops = ["BT", "/F1 12 Tf", "72 760 Td", "16 TL"]
    for line in lines:
        safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text_ops.append(f"({safe}) '")
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)


def _rule_pattern(rule: str) -> re.Pattern[str]:
    # robots.txt rules (RFC 9309): "*" matches any characters, a final "$" the end.
    anchored = rule.endswith("$")
    body = re.escape(rule.rstrip("$")).replace(r"\*", ".*")
    return re.compile(body + ("$" if anchored else ""))


def robots_disallows(site: Site, target: str) -> bool:
    """Whether the ``*`` group of ``site``'s robots.txt disallows ``target`` (path and
    query): the longest matching rule wins, Allow on a tie (RFC 9309, 2.2.2)."""
    best: tuple[int, bool] | None = None
    for rule, allowed in [(r, False) for r in site.disallow] + [(r, True) for r in site.allow]:
        if _rule_pattern(rule).match(target):
            candidate = (len(rule), allowed)
            if best is None or candidate > best:
                best = candidate
    return best is not None and not best[1]
