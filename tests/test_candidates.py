"""Candidate extractions and the choice between them (newstrail.candidates)."""

from __future__ import annotations

from copy import deepcopy

from trafilatura import load_html
from trafilatura.baseline import basic_cleaning
from trafilatura.external import try_justext

from newstrail.candidates import agreement, choose, justext_lines, page_lengths, readability_lines
from newstrail.extract import ExtractionConfig, extract_article

BODY = [
    "The city council voted on Tuesday to expand the harbour ferry service to three new "
    "stops along the eastern shore, after months of debate about its cost and its route.",
    "Supporters said the ferries would take hundreds of cars off the coastal road each "
    "morning, and that the new stops would serve neighbourhoods without a rail link.",
    "Opponents questioned the operating subsidy, which the council put at two million a "
    "year, and asked for a review of the timetable once the first winter is over.",
]
PAGE = f"""<html><head><title>Ferry service to expand</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<article><h1>Ferry service to expand</h1>
{"".join(f"<p>{paragraph}</p>" for paragraph in BODY)}
</article>
<footer><p>Contact us</p><p>Privacy policy</p></footer>
</body></html>"""
TEASER = "More from the harbour desk: tide tables, the week's shipping news and our photo gallery"


def test_readability_and_justext_find_the_article_paragraphs() -> None:
    tree = load_html(PAGE)
    for lines in (readability_lines(tree), justext_lines(tree)):
        assert all(paragraph in lines for paragraph in BODY)
        assert "Privacy policy" not in lines


def test_justext_lines_are_trafilaturas_justext() -> None:
    # justext_lines re-implements justext's classification with trafilatura's settings
    # (faster); its paragraphs must be those trafilatura's try_justext keeps.
    links = "".join(f'<a href="/s/{n}">Story number {n} of the day</a> ' for n in range(6))
    noisy = PAGE.replace(
        "</article>",
        f"<p>{links}</p><p>\u00a9 2024 Harbour News, all rights reserved, no reuse.</p>"
        "<p>Short line.</p><h2>A heading between paragraphs of the ferry story</h2>"
        f"<p>{BODY[0]} {BODY[1]}</p></article>",
    )
    for html in (PAGE, noisy):
        tree = load_html(html)
        body = try_justext(basic_cleaning(deepcopy(tree)), None, None)
        expected = [" ".join(p.text.split()) for p in body.iter("p") if (p.text or "").strip()]
        assert justext_lines(tree) == expected
    assert BODY[0] in justext_lines(load_html(noisy))


def test_second_opinions_leave_the_tree_alone() -> None:
    tree = load_html(PAGE)
    assert tree is not None
    before = len(list(tree.iter()))
    readability_lines(tree)
    justext_lines(tree)
    assert len(list(tree.iter())) == before


def test_agreement_is_shingle_overlap() -> None:
    assert agreement(BODY, BODY) == 1.0
    assert agreement(BODY, ["Nothing in common with the ferry story here at all"]) == 0.0
    assert 0.5 < agreement(BODY, BODY[:2]) < 1.0
    assert agreement([], []) == 1.0


def test_choose_keeps_the_first_when_the_second_agrees() -> None:
    def never() -> list[str]:
        raise AssertionError("the third opinion is only asked when the first two disagree")

    assert choose(BODY, BODY[:1] + BODY[1:], never, 0.9) == (0, BODY)


def test_choose_outvotes_an_extraction_alone_in_its_mistake() -> None:
    with_teasers = [*BODY, TEASER, TEASER.replace("photo", "video")]
    # trafilatura kept the teasers, readability and justext did not.
    assert choose(with_teasers, BODY, lambda: BODY, 0.9) == (1, BODY)
    # readability alone missed the last paragraph: the first candidate stays.
    assert choose(BODY, BODY[:2], lambda: BODY, 0.95) == (0, BODY)


MORE = [
    f"{paragraph} The ferry company said the {n} stop would open in the spring."
    for n, paragraph in zip(("first", "second", "third", "fourth"), BODY + BODY[:1], strict=True)
]


def test_choose_extends_a_winner_that_stopped_short() -> None:
    # trafilatura and readability agree on the first paragraph; the page holds five.
    short, whole = BODY[:1], BODY[:1] + MORE
    length = sum(map(len, whole))
    assert choose(short, short, lambda: whole, 0.9, [length, length]) == (2, whole)
    # Not when either measure finds the winner covers half the page or more...
    assert choose(short, short, lambda: whole, 0.9, [length, len(BODY[0]) + 10])[0] == 0
    # ...nor when justext's text does not hold the winner's (another part of the page).
    elsewhere = [f"{TEASER}, part {n}" for n in range(12)]
    assert choose(short, short, lambda: elsewhere, 0.9, [length, length])[0] == 0
    # The page is measured by all its paragraphs, then by trafilatura's baseline (here
    # the <article>: headline and paragraphs, without the footer).
    paragraphs, article = page_lengths(load_html(PAGE))
    assert paragraphs == sum(map(len, [*BODY, "Contact us", "Privacy policy"]))
    assert sum(map(len, BODY)) < article < sum(map(len, ["Ferry service to expand", *BODY])) + 5


def test_choose_keeps_a_first_that_adds_content_to_what_the_others_agree_on() -> None:
    # readability and justext both drop a checklist's short items; trafilatura keeps them.
    checklist = [f"- Book the {item} early" for item in ("venue", "band", "florist", "caterer")]
    with_list = [*BODY[:2], *checklist, BODY[2]]
    teasers = [TEASER, TEASER.replace("photo", "video"), TEASER.replace("tide", "bus")]
    with_teasers = [*BODY, *teasers]

    def links(texts: list[str]) -> float:
        return sum(len(text) for text in texts if text in teasers) / sum(map(len, texts))

    assert choose(with_list, BODY, lambda: BODY, 0.95, link_share=links) == (0, with_list)
    # What it adds being links, the vote stands (a teaser list after the article)...
    assert choose(with_teasers, BODY, lambda: BODY, 0.95, link_share=links)[0] == 1
    # ...as it does when the first is longer for repeating itself...
    assert choose(BODY + BODY, BODY, lambda: BODY, 0.95, link_share=links)[0] == 1
    # ...and when the others hold text the first lacks.
    assert choose(with_list[2:], BODY, lambda: BODY, 0.95, link_share=links)[0] == 1


def test_choose_does_not_hold_a_table_against_the_first() -> None:
    # trafilatura prints a table as rows the others leave out; its prose is theirs.
    table = ["| Stop | Opens |", "| North Quay | March |", "| Eastbank | May |"] * 12
    assert choose([*BODY, *table], BODY, lambda: BODY, 0.9) == (0, [*BODY, *table])


def test_extract_article_with_and_without_second_opinion() -> None:
    for config in (ExtractionConfig(), ExtractionConfig(second_opinion=False)):
        article = extract_article(PAGE, "https://example.org/ferry", config)
        assert article is not None
        assert article.text.split("\n\n") == BODY
