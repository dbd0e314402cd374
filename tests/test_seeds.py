from __future__ import annotations

from pathlib import Path

import pytest

from newstrail.errors import SeedError
from newstrail.seeds import load_seed_set, seed_set_from_urls

ROOT = Path(__file__).resolve().parent.parent


def test_default_seed_set_loads_texts_and_urls() -> None:
    seeds = load_seed_set(ROOT / "seeds" / "iraq-us-troops.toml")
    assert seeds.name == "iraq-us-troops"
    assert seeds.urls == [
        "https://citizentruth.org/breaking-iraq-says-us-military-has-20000-troops-in-iraq-and-they-have-immunity/"
    ]
    assert len(seeds.texts) == 2
    assert "diplomatic notes" in seeds.texts[1]
    # The profile texts hold body paragraphs only, none of the page boilerplate.
    for text in seeds.texts:
        for line in ("Leave a Comment", "Skip to main content", "Read More »", "newsletters"):
            assert line not in text


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "story.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[collection\nname='x'", "invalid TOML"),
        ("[[seed]]\nurl='https://a.org/x'", "missing [collection]"),
        ("[collection]\nname='bad name'\n[[seed]]\nurl='https://a.org/'", "invalid collection"),
        ("[collection]\nname='x'", "no [[seed]] entries"),
        ("[collection]\nname='x'\n[[seed]]\nurl='a.org/x'", "seed 1: url 'a.org/x' is not"),
        ("[collection]\nname='x'\n[[seed]]\ntitle='t'", "seed 1: a seed needs"),
        ("[collection]\nname='x'\n[[seed]]\nurl='https://a.org/'\nlink='y'", "unknown key 'link'"),
        ("[collection]\nname='x'\n[[seed]]\ntext='words'", "no seed has a 'url'"),
        (
            "[collection]\nname='x'\n[[seed]]\nurl='https://a.org/'\ntext_file='missing.txt'",
            "text_file 'missing.txt' not found",
        ),
        (
            "[collection]\nname='x'\n[[seed]]\nurl='https://a.org/'\npublished='Jan 2020'",
            "is not YYYY",
        ),
        (
            "[collection]\nname='x'\n[relevance]\nthreshold=2\n[[seed]]\nurl='https://a.org/'",
            "'threshold' must be",
        ),
        ("[collection]\nname='x'\n[extra]\n[[seed]]\nurl='https://a.org/'", "unknown section"),
    ],
)
def test_malformed_seed_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SeedError) as info:
        load_seed_set(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_toml_errors_carry_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "[collection]\nname = 'x'\nthis is wrong\n")
    with pytest.raises(SeedError, match=r"line 3"):
        load_seed_set(path)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="no such seed file"):
        load_seed_set(tmp_path / "nope.toml")
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(SeedError, match="not UTF-8"):
        load_seed_set(binary)


def test_inline_text_and_relative_text_file(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "a.txt").write_text("Body one.\n\nBody two.\n", encoding="utf-8")
    path = write(
        tmp_path,
        "[collection]\nname='s'\n[relevance]\nkeywords=['Iraq']\nthreshold=0.3\n"
        "[[seed]]\nurl='https://a.org/1'\ntext_file='t/a.txt'\n"
        "[[seed]]\ntext='''Inline text.'''\n",
    )
    seeds = load_seed_set(path)
    assert seeds.texts == ["Body one.\n\nBody two.\n", "Inline text."]
    assert seeds.keywords == ("Iraq",)
    assert seeds.threshold == 0.3
    assert seeds.urls == ["https://a.org/1"]
    assert type(seeds).from_dict(seeds.to_dict()) == seeds


def test_seed_urls_from_command_line() -> None:
    seeds = seed_set_from_urls(["https://a.org/x"], "mine")
    assert seeds.urls == ["https://a.org/x"] and seeds.texts == []
    with pytest.raises(SeedError, match="not an absolute"):
        seed_set_from_urls(["ftp://a.org/x"], "mine")
    with pytest.raises(SeedError, match="invalid collection"):
        seed_set_from_urls(["https://a.org/x"], "../up")


def test_date_window(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[collection]\nname='w'\n[relevance]\npublished_after=2018-01-01\n"
        "published_before='2021-12-31'\n[[seed]]\nurl='https://a.org/'\n",
    )
    seeds = load_seed_set(path)
    assert (seeds.published_after, seeds.published_before) == ("2018-01-01", "2021-12-31")
    assert seeds.window.excludes("2017-12-31") == "published 2017-12-31 before 2018-01-01"
    assert seeds.window.excludes("2020-01-05") is None
    assert type(seeds).from_dict(seeds.to_dict()) == seeds
    bad = write(tmp_path, "[collection]\nname='w'\n[relevance]\npublished_after='Jan'\n")
    with pytest.raises(SeedError, match="'published_after' must be a date"):
        load_seed_set(bad)
    typo = write(tmp_path, "[collection]\nname='w'\n[relevance]\nkeyword=['x']\n")
    with pytest.raises(SeedError, match="unknown key 'keyword'"):
        load_seed_set(typo)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:hunter2@a.org/x", "'http://user:***@a.org/x'"),
        ("https://:hunter2@a.org/x", "'https://:***@a.org/x'"),
        ("https://hunter2@a.org/x", "'https://***@a.org/x'"),  # a bare token as user name
    ],
)
def test_credentials_in_seed_urls_are_refused_unechoed(
    tmp_path: Path, url: str, shown: str
) -> None:
    path = write(tmp_path, f"[collection]\nname='x'\n[[seed]]\nurl='{url}'\n")
    with pytest.raises(SeedError) as info:
        load_seed_set(path)
    message = str(info.value)
    assert message.startswith(f"{path}: seed 1: url {shown} holds a user name or password")
    assert "hunter2" not in message and "\n" not in message

    with pytest.raises(SeedError) as info:
        seed_set_from_urls(["https://a.org/ok", url], "mine")
    assert str(info.value).startswith(f"seed URL {shown} holds a user name or password")
    assert "hunter2" not in str(info.value)

    seeds = load_seed_set(ROOT / "seeds" / "iraq-us-troops.toml")
    with pytest.raises(SeedError, match="holds a user name or password"):
        seeds.with_urls([url])
    # A seed set handed over as data (job file, Prefect parameter, seeds.json).
    data = seeds.to_dict()
    data["seeds"][0]["url"] = url
    with pytest.raises(SeedError, match="holds a user name or password"):
        type(seeds).from_dict(data)


def test_a_malformed_seed_url_is_shown_without_its_password() -> None:
    with pytest.raises(SeedError) as info:
        seed_set_from_urls(["ftp://me:hunter2@a.org/x"], "mine")
    assert "hunter2" not in str(info.value)
    # A URL whose host part holds '@' only after the path is not user-info.
    assert seed_set_from_urls(["https://a.org/@someone"], "mine").urls == ["https://a.org/@someone"]


def seed_file_with_text_file(folder: Path, text_file: str) -> Path:
    return write(
        folder,
        f"[collection]\nname='x'\n[[seed]]\nurl='https://a.org/'\ntext_file='{text_file}'\n",
    )


@pytest.mark.parametrize(
    ("text_file", "message"),
    [
        ("/etc/passwd", "text_file '/etc/passwd' is an absolute path"),
        ("../../../../etc/passwd", "text_file '../../../../etc/passwd' leads out of"),
        ("../outside.txt", "text_file '../outside.txt' leads out of"),
        ("texts/../../outside.txt", "leads out of"),
        ("link-out.txt", "text_file 'link-out.txt' leads out of"),  # symlink pointing out
        ("linked-dir/outside.txt", "leads out of"),  # through a symlinked folder
    ],
)
def test_text_files_must_lie_in_the_seed_files_folder(
    tmp_path: Path, text_file: str, message: str
) -> None:
    folder = tmp_path / "seeds"
    (folder / "texts").mkdir(parents=True)
    (tmp_path / "outside.txt").write_text("A secret of the machine.", encoding="utf-8")
    (folder / "link-out.txt").symlink_to(tmp_path / "outside.txt")
    (folder / "linked-dir").symlink_to(tmp_path, target_is_directory=True)
    path = seed_file_with_text_file(folder, text_file)
    with pytest.raises(SeedError) as info:
        load_seed_set(path)
    assert str(info.value).startswith(f"{path}: seed 1: ")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_text_files_inside_the_folder_still_load(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    (folder / "texts").mkdir(parents=True)
    (folder / "texts" / "a.txt").write_text("Body.", encoding="utf-8")
    (folder / "link-in.txt").symlink_to(folder / "texts" / "a.txt")
    for text_file in ("texts/a.txt", "./texts/../texts/a.txt", "link-in.txt"):
        assert load_seed_set(seed_file_with_text_file(folder, text_file)).texts == ["Body."]
    # The seed file may be named by a path that goes through '..'.
    (folder / "texts" / "nested").mkdir()
    roundabout = folder / "texts" / "nested" / ".." / ".." / "story.toml"
    assert load_seed_set(roundabout).texts == ["Body."]
