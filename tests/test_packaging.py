"""What `pip install .` installs: one namespace, and a plain install runs the demo (issue 15)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT

_DEMO = "import sys; from newstrail.cli import main; sys.argv[0] = 'newstrail'; main()"


def _python(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_a_plain_install_carries_the_seeds_and_runs_the_demo(tmp_path: Path) -> None:
    # From a copy of the sources: setuptools builds in the tree and reuses what an
    # earlier build left in build/.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "build",
            "dist",
            "*.egg-info",
            "__pycache__",
            ".*_cache",
            "newstrail-data",
            ".newstrail-work",
        ),
    )
    wheels = tmp_path / "wheels"
    built = _python("-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source))
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = wheels.glob("newstrail-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "newstrail/_seeds/iraq-us-troops.toml" in names
    assert "newstrail/_seeds/iraq-us-troops/000-citizentruth.txt" in names
    # One namespace: nothing but newstrail (and its metadata) at the top of site-packages.
    assert {n.split("/")[0] for n in names} == {"newstrail", "newstrail-0.1.0.dist-info"}
    assert "newstrail/spiders/coverage.py" in names and "newstrail/storage/warc.py" in names
    # The report's template is package data: `newstrail report` and the demo need it.
    assert "newstrail/report.html" in names

    # Installed on its own (the dependencies are this venv's), away from the checkout.
    target = tmp_path / "site"
    installed = _python("-m", "pip", "install", "-q", "--no-deps", "-t", str(target), str(wheel))
    assert installed.returncode == 0, installed.stderr[-3000:]
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("PREFECT_API_URL", None)
    demo = _python("-c", _DEMO, "demo", "--budget", "30", cwd=work, env=env)
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "on-topic articles of the demo web found" in demo.stdout
    # The demo ends with the collection's report, in the store beside its crawls.
    report = work / "newstrail-data" / "demo-iraq-us-troops" / "report.html"
    assert f"report: {report.as_uri()}" in demo.stdout
    assert 'id="report-data"' in report.read_text(encoding="utf-8")
    where = _python("-c", "import newstrail; print(newstrail.__file__)", cwd=work, env=env)
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(target))
