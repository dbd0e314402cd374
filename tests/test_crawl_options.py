"""A crawl's options mean what the command line and the README say."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from newstrail.cli import cli
from newstrail.config import CrawlConfig, Environment
from newstrail.errors import NewstrailError
from newstrail.flows.steps import plan_crawl
from newstrail.relevance import DEFAULT_THRESHOLD
from newstrail.seeds import SeedSet, load_seed_set

CRAWL_ID = "20260101T000000Z-000001"


def _option_default(command: str, name: str) -> object:
    found = cli.commands[command]
    for param in found.params:
        if isinstance(param, click.Option) and param.name == name:
            return param.default
    raise AssertionError(f"{command} has no option {name}")


def _seed_file(tmp_path: Path, threshold: float | None) -> SeedSet:
    relevance = "" if threshold is None else f"[relevance]\nthreshold={threshold}\n"
    path = tmp_path / "seeds.toml"
    path.write_text(
        f"[collection]\nname='c'\n{relevance}[[seed]]\nurl='https://a.example/x'\n"
        "text='troops leave the city'\n",
        encoding="utf-8",
    )
    return load_seed_set(path)


def test_max_hops_defaults_agree(tmp_path: Path) -> None:
    # The library's default was 2 while --max-hops and the README said 3.
    assert CrawlConfig.__dataclass_fields__["max_hops"].default == 3
    for command in ("crawl", "recrawl", "schedule"):
        assert _option_default(command, "max_hops") == 3
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "| `--max-hops N` | 3 |" in readme


@pytest.mark.parametrize(
    ("cli_threshold", "file_threshold", "expected"),
    [
        (None, None, DEFAULT_THRESHOLD),
        (None, 0.3, 0.3),
        (0.5, 0.3, 0.5),  # the command line wins over the seed file
        (0.0, 0.3, 0.0),  # 0 was taken for "not given" and fell back to the file's
        (None, 0.0, 0.0),
    ],
)
def test_threshold_precedence_and_zero(
    tmp_path: Path, cli_threshold: float | None, file_threshold: float | None, expected: float
) -> None:
    seeds = _seed_file(tmp_path, file_threshold)
    env = Environment(store=str(tmp_path / "store"), workdir=tmp_path / "work")
    config = plan_crawl(seeds, crawl_id=CRAWL_ID, threshold=cli_threshold, env=env)
    assert config.threshold == expected
    # The spider scores with the crawl's threshold; the seed file's used to win there.
    assert seeds.relevance_model(config.threshold).threshold == expected


def test_threshold_zero_is_accepted_and_one_is_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["crawl", "--threshold", "1", "https://a.example/"])
    assert result.exit_code == 2
    assert "--threshold" in result.output
    # 0 passes the option's check (the crawl then stops for want of --collection).
    result = runner.invoke(cli, ["crawl", "--threshold", "0", "https://a.example/"])
    assert "--threshold" not in result.output
    assert "--collection" in str(result.exception)
    with pytest.raises(NewstrailError, match="threshold"):
        CrawlConfig(
            seeds=_seed_file(tmp_path, None), collection="c", crawl_id=CRAWL_ID, threshold=1.0
        )
