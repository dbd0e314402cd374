"""WARC writing side by side: newstrail's writer and warcio's, on real article pages.

Each page is archived as a crawl archives it: a request record, a response record
(the page with its HTTP head) and a metadata record, one gzip member each. The
reference is warcio's ``WARCWriter`` (its level 9 gzip, as the plain spider of
``bench/throughput.py`` uses it) and the same writer at zlib's level 6 (wget's and
Heritrix's), so that the gain of the record code and of the compressor show apart. Pages come
from the shared evaluation set (``--pages-from``, the ``*.html.gz`` files under it),
``--rounds`` rounds in alternation; it prints ms per page, MB written and ratios.

    .venv/bin/python bench/warc_write.py
    .venv/bin/python bench/warc_write.py --pages 100 --rounds 5
"""

from __future__ import annotations

import argparse
import gzip
import io
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

from newstrail.storage.warc import RollingWarcWriter  # noqa: E402

DEFAULT_PAGES = _HERE.parent.parent / "shared" / "eval" / "extraction"
REQUEST = (
    b"GET /news/story.html HTTP/1.1\r\nHost: example.org\r\n"
    b"User-Agent: newstrail-bench\r\nAccept: text/html\r\n\r\n"
)
FIELDS = [("hop", "1"), ("channel", "outlink"), ("score", "0.4213")]

Page = tuple[str, bytes, bytes]  # url, response head, body


def load_pages(folder: Path, limit: int) -> list[Page]:
    files = sorted(folder.rglob("*.html.gz"))[:limit]
    if not files:
        raise SystemExit(f"no *.html.gz pages under {folder} (--pages-from)")
    pages = []
    for n, path in enumerate(files):
        body = gzip.decompress(path.read_bytes())
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        head += b"Content-Length: %d\r\n\r\n" % len(body)
        pages.append((f"http://example.org/news/{n}.html", head, body))
    return pages


def newstrail_writer(pages: list[Page], folder: Path) -> int:
    with RollingWarcWriter(folder, "bench") as writer:
        for url, head, body in pages:
            refs = writer.write_exchange(
                url,
                status=200,
                ip="127.0.0.1",
                wire_request=REQUEST,
                wire_response_head=head,
                response_body=body,
            )
            writer.write_metadata(url, FIELDS, refs.response.record_id)
    return sum(path.stat().st_size for path in writer.files)


class _Level6(WARCWriter):  # type: ignore[misc]  # warcio ships no type hints
    def _write_warc_record(self, out: Any, record: Any) -> None:
        member = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS + 16)

        class Out:
            def write(self, data: bytes) -> None:
                out.write(member.compress(data))

            def flush(self) -> None:
                out.write(member.flush())

        super()._write_warc_record(Out(), record)


def warcio_writer(level: int) -> Callable[[list[Page], Path], int]:
    def write(pages: list[Page], folder: Path) -> int:
        path = folder / "warcio.warc.gz"
        with path.open("wb") as out:
            writer = (
                WARCWriter(out, gzip=True, warc_version="1.1")
                if level == 9
                else _Level6(out, gzip=False, warc_version="1.1")
            )
            for url, head, body in pages:
                lines = head.decode("latin-1").split("\r\n")
                fields = [tuple(line.split(": ", 1)) for line in lines[1:] if line]
                http = StatusAndHeaders(lines[0].split(" ", 1)[1], fields, protocol="HTTP/1.1")
                response = writer.create_warc_record(
                    url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http
                )
                request = writer.create_warc_record(
                    url,
                    "request",
                    payload=io.BytesIO(b""),
                    length=0,
                    http_headers=StatusAndHeaders(
                        "/news/story.html HTTP/1.1", [("Host", "example.org")], protocol="GET"
                    ),
                )
                writer.write_request_response_pair(request, response)
                body_fields = "".join(f"{k}: {v}\r\n" for k, v in FIELDS).encode()
                metadata = writer.create_warc_record(
                    url,
                    "metadata",
                    payload=io.BytesIO(body_fields),
                    length=len(body_fields),
                    warc_content_type="application/warc-fields",
                )
                writer.write_record(metadata)
        return path.stat().st_size

    return write


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages-from", type=Path, default=DEFAULT_PAGES)
    parser.add_argument("--pages", type=int, default=300, help="pages (300)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (3)")
    args = parser.parse_args(argv)
    pages = load_pages(args.pages_from, args.pages)
    size = sum(len(body) for _, _, body in pages)
    print(f"{len(pages)} pages, {size / len(pages) / 1024:.0f} KiB on average")
    writers = {
        "warcio (level 9)": warcio_writer(9),
        "warcio (level 6)": warcio_writer(6),
        "newstrail": newstrail_writer,
    }
    times: dict[str, list[float]] = {name: [] for name in writers}
    sizes: dict[str, int] = {}
    for round_ in range(args.rounds):
        order = list(writers) if round_ % 2 == 0 else list(reversed(writers))
        for name in order:
            with tempfile.TemporaryDirectory(prefix="newstrail-warc-bench-") as folder:
                start = time.perf_counter()
                sizes[name] = writers[name](pages, Path(folder))
                times[name].append(1000 * (time.perf_counter() - start) / len(pages))
    print(f"{'writer':<18} {'ms/page, median [range]':>26} {'WARC MB':>8}")
    for name in writers:
        figures = times[name]
        span = f"{statistics.median(figures):.2f} [{min(figures):.2f}-{max(figures):.2f}]"
        print(f"{name:<18} {span:>26} {sizes[name] / 1e6:8.1f}")
    ours = statistics.median(times["newstrail"])
    for name in writers:
        if name != "newstrail":
            ratio = statistics.median(times[name]) / ours
            print(f"{name} / newstrail time: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
