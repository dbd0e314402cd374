"""Other renderings of an article: its AMP page and its print version.

Both carry the article's full text and a rel=canonical to the article page, so a
crawler that fetches them has fetched the same story twice.
"""

# HTML templates: markup lines are kept whole rather than wrapped at 100 columns.
# ruff: noqa: E501

from __future__ import annotations

from ._html import Ctx, body_blocks, esc, iso, long_date
from ._model import Article
from ._theme_base import Theme

_AMP_BOILERPLATE = (
    "<style amp-boilerplate>body{-webkit-animation:-amp-start 8s steps(1,end) 0s 1 normal both;"
    "animation:-amp-start 8s steps(1,end) 0s 1 normal both}</style>"
    "<noscript><style amp-boilerplate>body{-webkit-animation:none;animation:none}</style></noscript>"
)


def amp_page(ctx: Ctx, theme: Theme, article: Article) -> str:
    """The article as an AMP page (canonical: the article page on the same site)."""
    canonical = esc(ctx.here(article.path))
    return f"""<!doctype html>
<html amp lang="en">
<head>
<meta charset="utf-8">
<title>{esc(article.title)} | {esc(theme.name)}</title>
<link rel="canonical" href="{canonical}">
<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">
<meta property="article:published_time" content="{iso(article.published)}">
<meta name="author" content="{esc(article.author)}">
<script async src="https://cdn.ampproject.org/v0.js"></script>
{_AMP_BOILERPLATE}
<style amp-custom>body{{font-family:sans-serif;margin:0 16px}} .amp-byline{{color:#666}}</style>
</head>
<body>
<header class="amp-header"><a href="{ctx.link("/")}">{esc(theme.name)}</a></header>
<article class="amp-article">
<h1>{esc(article.title)}</h1>
<p class="amp-byline">By {esc(article.author)} &middot; <time datetime="{iso(article.published)}">{long_date(article.published)}</time></p>
{body_blocks(ctx, article)}
</article>
<footer class="amp-footer"><a href="{canonical}">View the full site</a> &middot; &copy; {esc(theme.name)}</footer>
</body>
</html>
"""


def print_page(ctx: Ctx, theme: Theme, article: Article) -> str:
    """The article's printer-friendly version (``?print=1``)."""
    canonical = ctx.canonical(article)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{esc(article.title)} | {esc(theme.name)} (print)</title>
<link rel="canonical" href="{canonical}">
<meta name="robots" content="noindex">
<meta property="article:published_time" content="{iso(article.published)}">
<meta name="author" content="{esc(article.author)}">
<style>body{{font-family:Georgia,serif;max-width:40em;margin:2em auto}} .noprint{{display:none}}</style>
</head>
<body onload="window.print()">
<p class="print-masthead">{esc(theme.name)}</p>
<h1>{esc(article.title)}</h1>
<p class="print-byline">By {esc(article.author)}, {long_date(article.published)}</p>
{body_blocks(ctx, article)}
<p class="print-source">Printed from {esc(ctx.here(article.path))}</p>
</body>
</html>
"""
