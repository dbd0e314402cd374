from __future__ import annotations

from pathlib import Path

from newstrail.relevance import RelevanceModel, tokenize
from newstrail.seeds import load_seed_set

ROOT = Path(__file__).resolve().parent.parent

ON_TOPIC = (
    "Iraq's parliament voted on Sunday to expel US troops from the country, two days after "
    "a US drone strike in Baghdad killed the Iranian general Qassem Soleimani. Lawmakers said "
    "the 2014 diplomatic notes that invited American forces no longer had their support, and "
    "the caretaker prime minister asked Washington to send a delegation to plan a withdrawal. "
    "President Trump threatened sanctions on Iraq if the troops were forced to leave."
)
OFF_TOPIC = (
    "The city council approved a new bicycle lane network on Tuesday. Cyclists welcomed the "
    "plan, which adds forty kilometres of protected lanes, while shop owners worried about "
    "parking. Work starts in the spring and should be finished within two years."
)


def model() -> RelevanceModel:
    return RelevanceModel(load_seed_set(ROOT / "seeds" / "iraq-us-troops.toml").texts)


def test_on_topic_scores_high_and_off_topic_low() -> None:
    m = model()
    on, off = m.score(ON_TOPIC), m.score(OFF_TOPIC)
    assert on.related and not off.related
    assert on.score > 3 * off.score
    assert {"iraq", "troop"} <= set(on.matched_terms)
    assert 0.0 <= off.score < on.score <= 1.0


def test_seed_text_scores_one() -> None:
    m = model()
    text = load_seed_set(ROOT / "seeds" / "iraq-us-troops.toml").texts[0]
    assert m.score(text).score > 0.99


def test_link_scores_follow_anchor_and_slug() -> None:
    m = model()
    good = m.score_link("Iraqi lawmakers vote to expel US troops", "https://a.org/news/x")
    slug = m.score_link("", "https://a.org/2020/iraq-parliament-expel-us-troops")
    bad = m.score_link("Weekend football results", "https://a.org/sport/results")
    assert good > bad and slug > bad
    assert bad < 0.05


def test_keywords_alone_make_a_profile() -> None:
    m = RelevanceModel(keywords=["Iraq troops"], threshold=0.2)
    assert m.ready
    assert m.score(ON_TOPIC).score > m.score(OFF_TOPIC).score


def test_tokenize_folds_plurals_and_possessives() -> None:
    assert tokenize("Iraq\u2019s troops, the ISIS crisis and policies") == [
        "iraq",
        "troop",
        "isis",
        "crisis",
        "policy",
    ]


def test_passages_are_ranked_by_the_paragraphs_cosine_and_can_be_left_out() -> None:
    from newstrail import relevance

    m = model()
    paragraphs = [ON_TOPIC, OFF_TOPIC, ON_TOPIC.split(". ")[0], ON_TOPIC + " " + OFF_TOPIC]
    # A paragraph with more distinct terms than a profile has is summed in the
    # profile's order, as the dot product of the two vectors is.
    small = {"iraq": 0.8, "troop": 0.6}
    for paragraph in paragraphs:
        tokens = tokenize(paragraph)
        for profile in [*m._profiles(), small]:
            assert relevance._cosine(tokens, profile) == relevance._dot(
                relevance._vector(tokens), profile
            )
    assert relevance._cosine([], small) == 0
    text = "\n".join(paragraphs)
    whole = m.score(text)
    assert whole.passages and whole.passages[0].startswith("Iraq's parliament")
    # Under the cut the passages are the same; at or above it, none.
    assert m.score(text, explain_under=whole.score + 0.01) == whole
    assert m.score(text, explain_under=whole.score) == relevance.Relevance(
        whole.score, whole.related, whole.matched_terms, whole.threshold, (), whole.reason
    )
