"""Crawl-level boilerplate removal on sites built around the seed articles.

Each site has the seed article plus sibling pages: other articles of the same site,
their bodies made of the other seed's paragraphs so that no body paragraph repeats
by accident, all sharing the seed's boilerplate (newsletter prompt, "Read More »"
teaser, publisher blurb, author bio) as plain paragraphs that no markup gives away.
Pages go through the real extraction, records are written to JSONL as a crawl
writes them, and ``finalize_jsonl`` removes what repeats across the site.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path

import pytest

from newstrail.boilerplate import (
    BoilerplateConfig,
    SiteBoilerplate,
    blocks,
    finalize_jsonl,
    site_of,
)
from newstrail.extract import extract_article

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "iraq-us-troops"
ATTRIBUTION = re.compile(r"^[-\u2013\u2014] [A-Z][^.]{0,60}$")

# The seed boilerplate of ../shared/seeds/README.md, as the sites print it.
MEE_BOILERPLATE = [
    "Stay informed with MEE's newsletters",
    "Sign up to get the latest alerts, insights and analysis, starting with Turkey Unpacked",
    "'Withdraw or prepare coffins': Thousands protest in Iraq against US troop presence",
    "Read More »",
    "Middle East Eye delivers independent and unrivalled coverage and analysis of the "
    "Middle East, North Africa and beyond. To learn more about republishing this content "
    "and the associated fees, please fill out this form. More about MEE can be found here.",
]
CT_BOILERPLATE = [
    "You Might also Like",
    "Catherine is a Research Fellow at the Henry Jackson Society and a former consultant "
    "to the UN Security Council on Yemen. Her work has been published in the Times of "
    "Israel, the Jerusalem Post, the Daily Express, Epoch Times and countless other media.",
]
SIBLINGS = 5
# A sentence two articles of a site legitimately share (a quote both report).
SHARED_QUOTE = (
    "\u201cWe will not accept any foreign forces on Iraqi soil without the consent of "
    "parliament,\u201d a senior Iraqi lawmaker told reporters in Baghdad on Monday."
)


def seed_paragraphs(name: str) -> list[str]:
    text = (SEEDS / name).read_text(encoding="utf-8")
    found = [" ".join(block.split()) for block in re.split(r"\n\s*\n", text) if block.strip()]
    # Long paragraphs only: the seed's short section headings are not what we test.
    return [p for p in found if not ATTRIBUTION.match(p) and len(p) > 80]


def page(title: str, url: str, site: str, paragraphs: list[str], boilerplate: list[str]) -> str:
    """An article page: the body with the site's boilerplate as plain paragraphs (the
    newsletter prompt mid-article, teaser and blurb or bio at the end)."""
    esc = html.escape
    middle = len(paragraphs) // 2
    parts = [
        *paragraphs[:middle],
        *boilerplate[:2],
        *paragraphs[middle:],
        *boilerplate[2:],
    ]
    body = "".join(f"<p>{esc(text)}</p>" for text in parts)
    return (
        f'<!DOCTYPE html><html lang="en"><head><title>{esc(title)} | {esc(site)}</title>'
        f'<link rel="canonical" href="{esc(url)}"><meta property="og:site_name" '
        f'content="{esc(site)}"></head><body><header><a href="/">{esc(site)}</a></header>'
        f"<main><article><h1>{esc(title)}</h1>{body}</article></main></body></html>"
    )


def site_pages(
    host: str, site: str, seed: list[str], other: list[str], boilerplate: list[str]
) -> dict[str, tuple[str, list[str]]]:
    """The seed article and its siblings: URL -> (HTML, body paragraphs)."""
    pages = {f"https://{host}/news/seed-article": seed}
    # Sibling bodies: the other seed's sentences, dealt out so none repeats, two a
    # paragraph, at most eight paragraphs an article.
    sentences = [s for p in other for s in re.split(r"(?<=[.!?\u201d])\s+(?=[A-Z\u201c])", p)]
    per_page = min(16, len(sentences) // SIBLINGS)
    for number in range(SIBLINGS):
        mine = sentences[number * per_page : (number + 1) * per_page]
        body = [" ".join(mine[i : i + 2]) for i in range(0, len(mine), 2)]
        pages[f"https://{host}/news/article-{number}"] = body
    # Two articles of the site report the same quote: a legitimate repeat.
    first, second = list(pages)[1:3]
    pages[first] = [*pages[first], SHARED_QUOTE]
    pages[second] = [SHARED_QUOTE, *pages[second]]
    return {
        url: (page(f"Story {n} on Iraq", url, site, body, boilerplate), body)
        for n, (url, body) in enumerate(pages.items())
    }


@pytest.fixture(scope="module")
def sites() -> dict[str, dict[str, tuple[str, list[str]]]]:
    ct = seed_paragraphs("000-citizentruth.txt")
    mee = seed_paragraphs("001-middleeasteye.txt")
    return {
        "mee": site_pages("www.middleeasteye.net", "Middle East Eye", mee, ct, MEE_BOILERPLATE),
        "ct": site_pages("citizentruth.org", "Citizen Truth", ct, mee, CT_BOILERPLATE),
    }


@pytest.fixture(scope="module")
def finalized(
    sites: dict[str, dict[str, tuple[str, list[str]]]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, dict[str, object]], dict[str, dict[str, object]]]:
    """Records as the crawl writes them, and as the end of the crawl leaves them."""
    path = tmp_path_factory.mktemp("crawl") / "texts.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for pages in sites.values():
            for url, (page_html, _) in pages.items():
                article = extract_article(page_html.encode("utf-8"), url)
                assert article is not None, url
                record = {
                    "url": url,
                    "canonical_url": article.canonical_url,
                    "text": article.text,
                    "text_sha256": hashlib.sha256(article.text.encode("utf-8")).hexdigest(),
                    "boilerplate_removed": article.boilerplate_removed,
                }
                out.write(json.dumps(record) + "\n")
    written = {r["url"]: r for r in map(json.loads, path.read_text().splitlines())}
    stats = finalize_jsonl(path)
    assert stats.records == len(written)
    final = {r["url"]: r for r in map(json.loads, path.read_text().splitlines())}
    return written, final


def test_page_level_filters_leave_plain_paragraph_boilerplate(
    finalized: tuple[dict[str, dict[str, object]], dict[str, dict[str, object]]],
) -> None:
    # Without telling markup, some of it survives one page at a time: crawl-level work.
    written, _ = finalized
    survivors = [
        line
        for record in written.values()
        for line in MEE_BOILERPLATE + CT_BOILERPLATE
        if line in blocks(str(record["text"]))
    ]
    assert survivors


@pytest.mark.parametrize("site", ["mee", "ct"])
def test_seed_boilerplate_goes_from_every_page(
    site: str,
    sites: dict[str, dict[str, tuple[str, list[str]]]],
    finalized: tuple[dict[str, dict[str, object]], dict[str, dict[str, object]]],
) -> None:
    _, final = finalized
    boilerplate = MEE_BOILERPLATE if site == "mee" else CT_BOILERPLATE
    for url in sites[site]:
        text = str(final[url]["text"])
        assert not [line for line in boilerplate if line in blocks(text)], url
        assert "Middle East Eye delivers" not in text
        assert "Research Fellow at the Henry Jackson Society" not in text


@pytest.mark.parametrize("site", ["mee", "ct"])
def test_every_body_paragraph_stays_including_a_shared_one(
    site: str,
    sites: dict[str, dict[str, tuple[str, list[str]]]],
    finalized: tuple[dict[str, dict[str, object]], dict[str, dict[str, object]]],
) -> None:
    _, final = finalized
    shared = 0
    for url, (_, body) in sites[site].items():
        got = [" ".join(block.split()) for block in blocks(str(final[url]["text"]))]
        assert got == body, url
        shared += SHARED_QUOTE in got
    assert shared == 2


def test_records_count_removed_lines_and_hash_the_clean_text(
    finalized: tuple[dict[str, dict[str, object]], dict[str, dict[str, object]]],
) -> None:
    written, final = finalized
    for url, record in final.items():
        text = str(record["text"])
        assert record["text_sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
        removed = len(blocks(str(written[url]["text"]))) - len(blocks(text))
        assert record["crawl_boilerplate_removed"] == removed
        before = written[url]["boilerplate_removed"]
        assert isinstance(before, int)
        assert record["boilerplate_removed"] == before + removed
    assert any(record["crawl_boilerplate_removed"] for record in final.values())


def test_finalizing_twice_changes_nothing(
    finalized: tuple[dict[str, dict[str, object]], dict[str, dict[str, object]]],
    tmp_path: Path,
) -> None:
    _, final = finalized
    path = tmp_path / "texts.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in final.values()), encoding="utf-8")
    stats = finalize_jsonl(path)
    assert (stats.records, stats.changed, stats.removed) == (len(final), 0, 0)
    again = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert again == list(final.values())


def test_observed_model_matches_the_file_pass(
    sites: dict[str, dict[str, tuple[str, list[str]]]],
) -> None:
    # The crawl observes pages as they arrive; order does not change the outcome.
    texts = {
        url: "\n\n".join([*body[:2], *MEE_BOILERPLATE, *body[2:]])
        for url, (_, body) in sites["mee"].items()
    }
    forward, backward = SiteBoilerplate(), SiteBoilerplate()
    for url in texts:
        forward.observe(site_of(url), texts[url], url)
        forward.observe(site_of(url), texts[url], url)  # a page seen twice counts once
    for url in reversed(list(texts)):
        backward.observe(site_of(url), texts[url], url)
    assert forward.pages("middleeasteye.net") == len(texts)
    for url, text in texts.items():
        assert forward.clean(site_of(url), text) == backward.clean(site_of(url), text)
        cleaned, removed = forward.clean(site_of(url), text)
        assert removed == len(MEE_BOILERPLATE)
        assert blocks(cleaned) == sites["mee"][url][1]


def test_sites_are_separate_and_small_shares_stay() -> None:
    model = SiteBoilerplate(BoilerplateConfig(min_pages=3, min_share=0.3))
    background = "The US has about 5,200 troops in Iraq, a legacy of the war against IS."
    for n in range(12):
        extra = [background] if n < 3 else []
        model.observe("a.example", "\n\n".join([f"Body paragraph {n}.", *extra, "Subscribe!"]))
    for n in range(2):
        model.observe("b.example", f"Other body {n}.\n\nSubscribe!")
    # On 3 of 12 pages (25 %): a repeated background paragraph, not the template.
    assert not model.is_boilerplate("a.example", background)
    assert model.is_boilerplate("a.example", "Subscribe!")
    assert model.is_boilerplate("a.example", "  subscribe  ")  # compared by words
    # Two pages of another site never make a line boilerplate there.
    assert not model.is_boilerplate("b.example", "Subscribe!")
    assert model.clean("c.example", "Anything.\n\nSubscribe!") == ("Anything.\n\nSubscribe!", 0)
    assert model.boilerplate_count("a.example") == 1


def test_config_is_checked() -> None:
    with pytest.raises(ValueError, match="min_pages"):
        BoilerplateConfig(min_pages=1)
    with pytest.raises(ValueError, match="min_share"):
        BoilerplateConfig(min_share=0.0)
