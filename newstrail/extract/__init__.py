"""Main text and metadata of a news page: trafilatura, tuned, plus our own post-filters.

The pipeline is a chain of plain functions over one parsed tree:

1. ``_decode`` turns response bytes into text (BOM, UTF-8, declared charset, guess).
2. ``_page_metadata`` reads what the publisher declared for search engines (JSON-LD,
   Open Graph, meta tags) plus the visible ``<h1>``s; ``_choose_title`` picks the
   headline; ``_byline_zone`` collects the visible texts around it, where
   ``_visible_date`` and ``_visible_byline`` find the date and the author the page
   shows. htmldate and trafilatura's byline search only run for what is still missing.
3. ``_page_hints`` records texts that the markup marks as boilerplate (figure captions,
   containers named like author bios, newsletter boxes, related links, share bars,
   promos, comment sections) or as quotes.
4. trafilatura extracts the main text; readability gives a second opinion, and when
   the two disagree justext a third: the candidate the others agree with most wins,
   and justext's text extends a winner that covers under half of the page
   (``newstrail.candidates``). A recall-oriented retry and trafilatura's baseline take
   over when that finds (almost) nothing.
5. ``_filter_lines`` drops the boilerplate lines trafilatura keeps: skip links, search
   prompts, comment forms, newsletter prompts, "Read more" teasers, share prompts,
   captions, pull quotes repeating the body and their attribution, tables of contents,
   tag lists, the repeated headline, timestamps, author bios, publisher blurbs,
   contact and social lines, copyright notices, print and reprint furniture, shouted
   link promos, image URLs leaking from markup, sentence-long lines printed twice.
6. ``_repair`` undoes mojibake (UTF-8 read as Latin-1) in the text and metadata.

Work per page is bounded (``prepare_html``): a body over ``max_html_bytes`` loses its
scripts (except JSON-LD), styles and comments, and what is still over the cap is cut
at a tag boundary; above ``max_second_opinion_lines`` lines of trafilatura's text the
second opinions (readability, justext) are skipped, since justext's paragraph
revision is quadratic in the number of paragraphs. ``Article.limits`` names the
limits a page reached, with stable names:

- ``"html-truncated"``: the body was cut to ``max_html_bytes``;
- ``"second-opinions-skipped"``: readability and justext were not asked.

Boilerplate that only shows as such across pages (the same blurb on every article of
a site) is ``newstrail.boilerplate``'s job, at the end of a crawl.

Every rule is general (markup, wording, repetition); none is keyed to a site. The
package imports neither Scrapy nor Prefect. Its modules, one concern each:
``sniff`` (is it HTML), ``decode`` (bytes to text, the cap on work), ``text`` (keys
for comparing lines, mojibake), ``dates``, ``metadata`` (what the page declares),
``byline`` (what it shows around the headline), ``hints`` (what the markup marks as
boilerplate), ``filters`` (the line filters) and ``choose`` (the extraction itself),
with ``model`` holding the settings and the result.
"""

from newstrail.extract.choose import extract_article, extract_prepared
from newstrail.extract.decode import PreparedHtml, prepare_html
from newstrail.extract.model import Article, ExtractionConfig
from newstrail.extract.sniff import looks_like_html

__all__ = [
    "Article",
    "ExtractionConfig",
    "PreparedHtml",
    "extract_article",
    "extract_prepared",
    "looks_like_html",
    "prepare_html",
]
