"""Shared fixtures: the offline news web and a real Prefect API server, both on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from newstrail.demo import demo_seed_articles
from newstrail.newsweb import NewsWebServer, build_web
from newstrail.seeds import SeedSet, load_seed_set

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEEDS = ROOT / "seeds" / "iraq-us-troops.toml"
BIN = Path(sys.executable).parent


def run_newstrail(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """The ``newstrail`` command as a user runs it in ``cwd`` (staging in ``cwd/work``,
    no Prefect API), with ``env`` added to this process's environment."""
    full = {**os.environ, "NEWSTRAIL_WORKDIR": str(cwd / "work")}
    full.pop("PREFECT_API_URL", None)
    full.update(env or {})
    return subprocess.run(
        [str(BIN / "newstrail"), *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a failed command printed: ``newstrail: error: ...``, no traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("newstrail: error: ")
    return lines[0]


#: Files tests leave for a person to look at (the report's screenshot), listed at the end.
ARTIFACTS = ROOT / "tests" / "artifacts"
_SESSION_START = time.time()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    made = sorted(
        p for p in ARTIFACTS.glob("*") if p.is_file() and p.stat().st_mtime >= _SESSION_START
    )
    for path in made:
        terminalreporter.write_line(f"written for a person to look at: {path}")


@pytest.fixture(scope="session")
def default_seeds() -> SeedSet:
    return load_seed_set(DEFAULT_SEEDS)


@pytest.fixture(scope="session")
def newsweb(default_seeds: SeedSet) -> Iterator[NewsWebServer]:
    """The bundled offline news web, served for the whole session."""
    with NewsWebServer(build_web(demo_seed_articles(default_seeds))) as server:
        yield server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prefect_env(home: Path) -> dict[str, str]:
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        # Schedules fire within seconds in tests instead of the default minute.
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
    }


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prefect API server (SQLite), started once per test session."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = {**os.environ, **prefect_env(home)}
    env.pop("PREFECT_API_URL", None)
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"Prefect server did not start: {(home / 'server.log').read_text()[-2000:]}"
                )
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


from tests.redis_fixtures import *  # noqa: E402, F403 - a real Redis for the scale-out tests
from tests.s3_fixtures import *  # noqa: E402, F403 - the S3 server fixtures, for every test module
