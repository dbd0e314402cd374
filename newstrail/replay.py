"""Replay a collection in pywb, the Webrecorder wayback machine, on 127.0.0.1.

pywb (2.10) pins dependencies newstrail cannot share (redis 2.10, brotlipy, whose
``brotli`` module would replace the one newstrail decodes with), so it lives in a
virtual environment of its own, with the reference WACZ validator (``wacz``):
``NEWSTRAIL_PYWB_HOME`` (default ``~/.cache/newstrail/pywb-2.10.0``), installed
there from the package index on first use; ``NEWSTRAIL_PYWB`` may name another
``wayback`` program.

A replay folder is a pywb root: ``collections/<collection>/archive`` holds the
collection's WARC files (links to a local store's files, copies from any other
store) and ``indexes/index.cdxj`` the crawls' CDXJ indexes merged; its home page
(``templates/index.html``) lists the related articles, newest crawl first, each
linked into the replay at the time it was captured.
"""

from __future__ import annotations

import contextlib
import html
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from newstrail.errors import NewstrailError
from newstrail.records import TextRecord
from newstrail.storage.base import Store
from newstrail.storage.catalog import list_crawls
from newstrail.storage.cdxj import merge_cdxj
from newstrail.storage.corpus import read_text_records
from newstrail.storage.local import FileStore
from newstrail.storage.manifest import crawl_prefix

__all__ = [
    "PYWB_VERSION",
    "TOOLS",
    "ReplayFolder",
    "archive_tool",
    "build_replay",
    "pywb_program",
    "serve",
]

PYWB_VERSION = "2.10.0"
#: The archive tools' environment: pywb, and the reference WACZ validator.
TOOLS = (f"pywb=={PYWB_VERSION}", "wacz==0.6.0")
#: How long pywb may take to answer after it starts.
START_TIMEOUT = 60.0


def archive_tool(name: str, *, install: bool = True) -> Path:
    """A program of the archive tools' environment: pywb's ``wayback`` and
    ``wb-manager``, or ``wacz`` (the WACZ validator), installed there if need be."""
    home = Path(
        os.environ.get("NEWSTRAIL_PYWB_HOME")
        or Path.home() / ".cache" / "newstrail" / f"pywb-{PYWB_VERSION}"
    )
    program = home / "bin" / name
    if program.is_file():
        return program
    if not install:
        raise NewstrailError(f"{name} is not installed in {home}")
    print(f"newstrail: installing pywb {PYWB_VERSION} and wacz into {home} (once)", file=sys.stderr)
    steps = [[str(home / "bin" / "pip"), "install", "-q", *TOOLS]]
    if not (home / "bin" / "pip").is_file():
        steps.insert(0, [sys.executable, "-m", "venv", str(home)])
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise NewstrailError(f"cannot install the archive tools into {home}: {last}")
    if not program.is_file():
        raise NewstrailError(f"{home} has no program {name}")
    return program


def pywb_program(*, install: bool = True) -> Path:
    """pywb's ``wayback`` program (``NEWSTRAIL_PYWB``, else :func:`archive_tool`)."""
    given = os.environ.get("NEWSTRAIL_PYWB")
    if given:
        program = Path(given)
        if not program.is_file():
            raise NewstrailError(f"NEWSTRAIL_PYWB is {given}, which is not a file")
        return program
    return archive_tool("wayback", install=install)


@dataclass(frozen=True)
class ReplayFolder:
    """A pywb root holding one collection."""

    root: Path
    collection: str
    crawls: list[str]
    related: int


def _link_or_copy(store: Store, key: str, dest: Path) -> None:
    if isinstance(store, FileStore):
        source = store.root.joinpath(*key.split("/"))
        with contextlib.suppress(FileNotFoundError):
            dest.unlink()
        dest.symlink_to(source)
    else:
        store.get_file(key, dest)


def build_replay(store: Store, collection: str, root: Path) -> ReplayFolder:
    """Make ``root`` a pywb root holding every complete crawl of ``collection``."""
    crawls = [c for c in list_crawls(store, collection) if c.complete and c.manifest]
    if not crawls:
        raise NewstrailError(f"{store.uri}: no complete crawl of collection {collection!r}")
    folder = root / "collections" / collection
    archive, indexes = folder / "archive", folder / "indexes"
    archive.mkdir(parents=True, exist_ok=True)
    indexes.mkdir(parents=True, exist_ok=True)
    index_files = []
    related: list[tuple[str, str, TextRecord]] = []
    for crawl in crawls:
        assert crawl.manifest is not None
        prefix = crawl_prefix(collection, crawl.crawl_id)
        for obj in crawl.manifest.objects:
            key = f"{prefix}/{obj.key}"
            if obj.key.startswith("warc/"):
                _link_or_copy(store, key, archive / obj.key.split("/", 1)[1])
            elif obj.key.startswith("index/") and obj.key.endswith(".cdxj"):
                part = root / f"{crawl.crawl_id}.cdxj"
                store.get_file(key, part)
                index_files.append(part)
            elif obj.key.startswith("text/"):
                with store.open(key) as fh:
                    for record in read_text_records(fh, compressed=obj.key.endswith(".gz")):
                        if record.related:
                            stamp = "".join(c for c in record.fetched_at if c.isdigit())
                            related.append((crawl.crawl_id, stamp[:14], record))
    with contextlib.ExitStack() as stack:
        sources = [stack.enter_context(path.open("rb")) for path in index_files]
        with (indexes / "index.cdxj").open("wb") as out:
            merge_cdxj(sources, out)
    for path in index_files:
        path.unlink()
    (root / "config.yaml").write_text("framed_replay: true\n", encoding="utf-8")
    templates = root / "templates"
    templates.mkdir(exist_ok=True)
    (templates / "index.html").write_text(_home_page(collection, related), encoding="utf-8")
    return ReplayFolder(root, collection, [c.crawl_id for c in crawls], len(related))


def _home_page(collection: str, related: list[tuple[str, str, TextRecord]]) -> str:
    rows = []
    for crawl_id, stamp, record in sorted(related, key=lambda r: (r[0], r[1]), reverse=True):
        url = record.url
        title = record.title or url
        href = f"/{collection}/{stamp}/{url}"
        rows.append(
            f'<li><a href="{html.escape(href)}">{html.escape(title)}</a> '
            f"<small>{html.escape(url)} · crawl {html.escape(crawl_id)}</small></li>"
        )
    body = "\n".join(rows) or "<li>No related article in this collection.</li>"
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>newstrail: "
        f"{html.escape(collection)}</title></head><body><h1>{html.escape(collection)}</h1>"
        f"<p>{len(related)} related articles, newest crawl first. "
        f"<a href='/{html.escape(collection)}/*/*'>Every capture</a>.</p><ol>{body}</ol>"
        "</body></html>"
    )
    # A Jinja template to pywb: nothing in it is template code.
    return "{% raw %}" + page.replace("{% endraw %}", "") + "{% endraw %}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve(root: Path, port: int | None = None) -> Iterator[str]:
    """Run pywb on ``root`` on 127.0.0.1; yields its base URL, stops it after."""
    port = port or _free_port()
    log = (root / "pywb.log").open("wb")
    proc = subprocess.Popen(
        [str(pywb_program()), "-d", str(root), "-p", str(port), "-b", "127.0.0.1"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                tail = (root / "pywb.log").read_text(errors="replace").strip().splitlines()
                raise NewstrailError(f"pywb stopped: {(tail or ['no output'])[-1]}")
            try:
                with urllib.request.urlopen(base + "/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise NewstrailError(f"pywb did not answer on {base}") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
