"""A real headless browser for the report's tests and ``bench/report.py``: Debian's
Chromium, driven by Playwright for Python (never ``playwright install``, which
downloads a browser of its own)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

__all__ = ["CHROMIUM_ARGS", "ConsoleLog", "chromium", "chromium_path", "watch_console"]

#: No sandbox (root in CI), no GPU, and nothing that talks to the network by itself.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> Path:
    """Chromium's program: ``NEWSTRAIL_CHROMIUM``, else Debian's ``/usr/bin/chromium``.

    Raises RuntimeError saying how to install it when it is not there: a test of the
    report in a browser fails then, it is never skipped.
    """
    path = Path(os.environ.get("NEWSTRAIL_CHROMIUM", "/usr/bin/chromium"))
    if not path.is_file():
        raise RuntimeError(
            f"Chromium is not installed at {path}: apt-get install chromium (as .ci/run does), "
            "or set NEWSTRAIL_CHROMIUM to its program"
        )
    return path


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium for the duration of the block."""
    program = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(program), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class ConsoleLog:
    """The console errors and warnings, uncaught exceptions and failed requests of a page."""

    def __init__(self) -> None:
        self.problems: list[str] = []


def watch_console(page: Page) -> ConsoleLog:
    log = ConsoleLog()
    page.on(
        "console",
        lambda m: (
            log.problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda exc: log.problems.append(f"uncaught: {exc}"))
    page.on("requestfailed", lambda r: log.problems.append(f"request failed: {r.url}"))
    return log
