"""How long a manual crawl takes to start fetching.

Runs ``newstrail crawl`` against the offline news web and prints the time from
launching the command to the first request the web server sees, with and
without a Prefect API configured (the former needs ``--prefect-api URL``).

    .venv/bin/python bench/startup.py [--runs 5] [--prefect-api http://127.0.0.1:4200/api]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newstrail.demo import demo_seed_articles
from newstrail.newsweb import NewsWebServer, build_web
from newstrail.seeds import load_seed_set

ROOT = Path(__file__).resolve().parent.parent


def first_request_delay(server: NewsWebServer, env: dict[str, str], workdir: Path) -> float:
    server.reset_log()
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "newstrail"),
            "crawl",
            server.seed_urls[0],
            "--collection",
            "startup",
            "--budget",
            "3",
            "--allow-private",
            "--delay",
            "0",
        ],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while not server.request_log:
            if proc.poll() is not None and not server.request_log:
                raise RuntimeError("the crawl ended without fetching anything")
            time.sleep(0.01)
        return server.request_log[0].time - started
    finally:
        proc.wait(timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--prefect-api", help="also measure with PREFECT_API_URL set to this")
    args = parser.parse_args()
    seeds = load_seed_set(ROOT / "seeds" / "iraq-us-troops.toml")
    with (
        NewsWebServer(build_web(demo_seed_articles(seeds))) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        base = {**os.environ, "NEWSTRAIL_WORKDIR": f"{tmp}/work", "NEWSTRAIL_STORE": f"{tmp}/s"}
        base.pop("PREFECT_API_URL", None)
        modes = {"no Prefect API (flow steps run directly)": base}
        if args.prefect_api:
            modes["PREFECT_API_URL set (tracked flow run)"] = {
                **base,
                "PREFECT_API_URL": args.prefect_api,
            }
        for name, env in modes.items():
            delays = [first_request_delay(server, env, Path(tmp)) for _ in range(args.runs)]
            print(
                f"{name}: first request after median {statistics.median(delays):.2f} s "
                f"(min {min(delays):.2f}, max {max(delays):.2f}, {args.runs} runs)"
            )


if __name__ == "__main__":
    main()
