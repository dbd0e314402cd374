"""Rolling WARC 1.1 writer: what the crawler archives, one gzip member per record.

Records are serialised here, in the fields, order and digests warcio's writer
gives them (the tests hold the bytes to that), without building warcio's record
objects on the crawl's reactor thread for every record.

Files are staged locally as ``<name>.open`` and renamed to their final name only
once finished, so a crash never leaves a file that looks complete; ``on_close``
hands each finished file to the caller (to be stored while the crawl goes on).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import ipaddress
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, BinaryIO, NamedTuple
from urllib.parse import urlsplit

from warcio.timeutils import datetime_to_iso_date

from newstrail import __version__
from newstrail.errors import StoreError
from newstrail.storage.cdxj import BODY_METHODS, cdxj_line, sort_cdxj_lines
from newstrail.storage.gzip_members import GzipMembers

__all__ = [
    "DEFAULT_MAX_SIZE",
    "IDENTICAL_PAYLOAD",
    "INDEX_SPOOL_SUFFIX",
    "LARGE_RECORD",
    "SERVER_NOT_MODIFIED",
    "ExchangeRefs",
    "HeaderList",
    "RecordRef",
    "RollingWarcWriter",
    "warc_date",
]

DEFAULT_MAX_SIZE = 1_000_000_000

#: A stream body larger than this is spooled to disk, not memory, when it cannot be seeked.
SPOOL_MEMORY = 1024 * 1024
_CHUNK = 1024 * 1024

WARC_VERSION = "WARC/1.1"

#: The CDXJ lines of a WARC file being written, unsorted: ``.<name><suffix>`` in the
#: writer's ``index_dir`` (a killed crawl may leave one; its file is indexed anew).
INDEX_SPOOL_SUFFIX = ".cdxj.lines"

#: Each record is one gzip member, deflated by zlib-ng (the same format as zlib's, in
#: about half the time) at its level 5, as small as zlib's default level 6 within
#: 1.3% (wget's and Heritrix's WARCs are at zlib's 6, warcio's at 9); a record over
#: ``LARGE_RECORD`` bytes at a faster one. Records are written on the crawl's
#: reactor thread. Measured here on the shared evaluation's 181 real pages (170 KiB
#: on average), best of five: zlib's level 6 took 2.63 ms a page, to 19.74% of its
#: size; zlib-ng's 6, 1.37 ms to 19.89%; its 5, 1.12 ms to 19.99%; its 4, 1.03 ms to
#: 20.42%. A 49 MB page of links took 0.36 s at zlib's level 6, 0.27 s at zlib-ng's
#: and 0.06 s at zlib-ng's level 2, all to 4.7-4.8 MB (zlib-ng's level 1: 7.3 MB).
GZIP_LEVEL = 5
LARGE_RECORD = 1024 * 1024
LARGE_RECORD_GZIP_LEVEL = 2
_CONFORMS_TO = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"

#: Headers as the HTTP client gives them: names and values as bytes (kept verbatim) or str.
HeaderList = Sequence[tuple[str | bytes, str | bytes]]

_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
#: Why a response's body is not whole (WARC 1.1, WARC-Truncated).
_TRUNCATED_REASONS = frozenset({"length", "time", "disconnect", "unspecified"})
#: WARC 1.1 revisit profiles.
IDENTICAL_PAYLOAD = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


#: Each record type's WARC ``Content-Type`` (as warcio writes them).
_CONTENT_TYPES = {
    "warcinfo": "application/warc-fields",
    "request": "application/http; msgtype=request",
    "response": "application/http; msgtype=response",
    "revisit": "application/http; msgtype=response",
    "metadata": "application/warc-fields",
}


def _sha1(hashed: Any) -> str:
    """A WARC digest field's value: ``sha1:`` and the digest in base 32."""
    return "sha1:" + base64.b32encode(hashed.digest()).decode("ascii")


def _digests(
    head: bytes, body: bytes | IO[bytes], size: int, *, payload: bool
) -> tuple[str, str | None]:
    """A record's block digest (``head`` then ``body``) and, when ``payload``, its
    payload digest (``body``'s). A stream's ``size`` bytes are read from its current
    position, one chunk at a time, and it is left where it was."""
    block = hashlib.sha1(head)
    if isinstance(body, bytes):
        block.update(body)
        return _sha1(block), _sha1(hashlib.sha1(body)) if payload else None
    body_hash = hashlib.sha1() if payload else None
    start = body.tell()
    for chunk in _chunks(body, size):
        block.update(chunk)
        if body_hash is not None:
            body_hash.update(chunk)
    body.seek(start)
    return _sha1(block), _sha1(body_hash) if body_hash is not None else None


def _chunks(body: IO[bytes], size: int) -> Iterator[bytes]:
    left = size
    while left > 0:
        chunk = body.read(min(_CHUNK, left))
        if not chunk:
            raise OSError(f"the body ended {left} bytes short of its length")
        left -= len(chunk)
        yield chunk


def _record_bytes(
    fields: list[tuple[str, str]],
    record_type: str,
    head: bytes,
    body: bytes | IO[bytes],
    size: int,
    digests: tuple[str, str | None],
) -> Iterator[bytes]:
    """One WARC record's bytes, in pieces: its header, then its block and the two
    line ends that close it.

    The block is ``head`` (an HTTP head, or nothing) followed by ``body``
    (``size`` bytes, from a stream's current position when not bytes). ``fields``
    are the first WARC header fields, in order; then come ``WARC-Payload-Digest``
    (when ``digests`` has one: see :func:`_digests`), ``WARC-Block-Digest``,
    ``Content-Type`` and ``Content-Length``: the fields and the order warcio writes
    them in.
    """
    block, payload = digests
    lines = [WARC_VERSION]
    lines += [f"{name}: {value}" for name, value in fields]
    if payload is not None:
        lines.append(f"WARC-Payload-Digest: {payload}")
    lines.append(f"WARC-Block-Digest: {block}")
    lines.append(f"Content-Type: {_CONTENT_TYPES[record_type]}")
    lines.append(f"Content-Length: {len(head) + size}")
    lines.append("\r\n")
    yield "\r\n".join(lines).encode("utf-8") + head
    if isinstance(body, bytes):
        yield body
    else:
        yield from _chunks(body, size)
    yield b"\r\n\r\n"


@dataclass(frozen=True)
class RecordRef:
    """Where a record was written: ``offset`` is the start of its gzip member.
    ``payload_digest`` is the ``WARC-Payload-Digest`` the writer computed for it
    (a request's or a response's), else None."""

    filename: str
    offset: int
    length: int
    record_id: str
    payload_digest: str | None = None


class _HashingWriter(io.BufferedWriter):
    """A WARC file being written, hashed (SHA-256) as it is written.

    A finished file's hash is then known without reading the file again (its
    upload needs it first). A write group rolled back (``truncate``) leaves it
    unknown: ``whole`` is then False.
    """

    def __init__(self, raw: io.RawIOBase) -> None:
        super().__init__(raw, buffer_size=1 << 20)
        self.sha256 = hashlib.sha256()
        self.whole = True

    def write(self, data: Any) -> int:
        written = super().write(data)
        self.sha256.update(data)
        return written

    def truncate(self, pos: int | None = None) -> int:
        self.whole = False
        return super().truncate(pos)


class ExchangeRefs(NamedTuple):
    """The records of one network exchange, written in this order."""

    request: RecordRef
    response: RecordRef


def _head_end(raw: bytes) -> int:
    """Where the head at the start of ``raw`` ends (after its blank line), or -1."""
    ends = [i + 4 for i in (raw.find(b"\r\n\r\n"),) if i >= 0]
    ends += [i + 2 for i in (raw.find(b"\n\n"),) if i >= 0]
    return min(ends) if ends else -1


def _start_line(head: bytes) -> list[str]:
    """The parts of a raw head's start line (latin-1), as a reader splitting lines finds it."""
    lines = head.decode("latin-1").splitlines()
    return lines[0].split(" ", 2) if lines else []


def _built_head(start_line: str, headers: list[tuple[str, str]]) -> bytes:
    """A head built from parsed parts, each string going out as the bytes it came
    from (latin-1): a server's non-ASCII bytes are archived as they were."""
    lines = [start_line, *(f"{name}: {value}" for name, value in headers), "\r\n"]
    return "\r\n".join(lines).encode("latin-1")


def _verbatim_request(raw: bytes) -> tuple[bytes, bytes]:
    """A request as sent: its head (start line, header lines, blank line), verbatim,
    and its body."""
    end = _head_end(raw)
    if end < 0:
        raise ValueError("the request as sent has no end of headers")
    head, body = raw[:end], raw[end:]
    start = _start_line(head)
    if len(start) != 3 or not _TOKEN.match(start[0]):
        raise ValueError(f"invalid request line {head.splitlines()[0]!r}")
    return head, body


def _verbatim_response(head: bytes) -> bytes:
    """A response head as received, but for the ``Transfer-Encoding: chunked`` convention.

    The body archived is de-chunked, so a ``Transfer-Encoding`` line naming
    ``chunked`` is kept under the ``X-Archive-Orig-`` prefix (pywb's convention,
    see ``_archived_response_headers``), its bytes otherwise untouched.
    """
    if _head_end(head) != len(head):
        raise ValueError("a response head must end with its blank line, and only there")
    out = []
    for n, line in enumerate(head.splitlines(keepends=True)):
        name, colon, value = line.partition(b":")
        if (
            n
            and colon
            and line[:1] not in (b" ", b"\t")
            and name.strip().lower() == b"transfer-encoding"
            and b"chunked" in value.lower()
        ):
            line = b"X-Archive-Orig-" + line
        out.append(line)
    raw = b"".join(out)
    start = _start_line(raw)
    if len(start) < 2 or not start[0].startswith("HTTP/") or not start[1].isdigit():
        raise ValueError(f"invalid status line {head.splitlines()[0]!r}")
    return raw


def _request_head(
    url: str,
    method: str,
    protocol: str,
    headers: HeaderList,
    body: bytes,
    wire: bytes | None,
) -> tuple[bytes, bytes]:
    """A request record's head and body: as sent when ``wire`` has it, else built."""
    if wire is not None:
        return _verbatim_request(wire)
    return _built_head(f"{method} {_request_target(url)} {protocol}", _http_headers(headers)), body


def _response_head(
    status: int, reason: str, protocol: str, headers: HeaderList, wire: bytes | None
) -> bytes:
    """A response's head: as received when ``wire`` has it, else built."""
    if wire is not None:
        return _verbatim_response(wire)
    return _built_head(
        f"{protocol} {_status_line(status, reason)}", _archived_response_headers(headers)
    )


def _refers_to(record_id: str, date: datetime | str, payload_digest: str) -> str:
    """Check a revisit's pointers at its original; its ``WARC-Refers-To-Date``."""
    if not re.fullmatch(r"[A-Za-z0-9-]+:[A-Za-z0-9+/=]+", payload_digest):
        raise ValueError(f"invalid payload digest {payload_digest!r}")
    _no_newline(record_id, "WARC-Refers-To")
    if isinstance(date, str):
        return _no_newline(date, "WARC-Refers-To-Date")
    return warc_date(date)


def warc_date(when: datetime) -> str:
    """``when`` as a WARC 1.1 date: UTC, ISO 8601, microseconds when non-zero."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"WARC dates need a timezone-aware datetime, got {when!r}")
    naive_utc = when.astimezone(UTC).replace(tzinfo=None)
    return str(datetime_to_iso_date(naive_utc, use_micros=True))


def _default_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _no_newline(value: str, what: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"{what} may not contain a line break: {value!r}")
    return value


def _latin1(value: str | bytes, what: str) -> str:
    raw = value if isinstance(value, bytes) else value.encode("utf-8")
    return _no_newline(raw.decode("latin-1"), what)


def _http_headers(headers: HeaderList) -> list[tuple[str, str]]:
    # Odd but parseable names from a server are archived as they came; only what
    # would break the record's framing is refused.
    result = []
    for name, value in headers:
        text_name = _latin1(name, "header name")
        if not text_name or ":" in text_name:
            raise ValueError(f"invalid HTTP header name {text_name!r}")
        result.append((text_name, _latin1(value, f"header {text_name}")))
    return result


def _archived_response_headers(headers: HeaderList) -> list[tuple[str, str]]:
    """Response headers as they go into the WARC record.

    The HTTP client has already removed the chunked framing from the body we
    are given. Keeping ``Transfer-Encoding: chunked`` would make every WARC
    reader (warcio, pywb, OpenWayback) try to de-chunk a body that is not
    chunked, corrupting or failing the replay. The header is kept under the
    ``X-Archive-Orig-`` prefix (pywb's convention for rewritten headers) so the
    fact that the server chunked the response is not lost.
    """
    result = []
    for name, value in _http_headers(headers):
        codings = [c.strip().lower() for c in value.split(",")]
        if name.lower() == "transfer-encoding" and "chunked" in codings:
            result.append(("X-Archive-Orig-Transfer-Encoding", value))
        else:
            result.append((name, value))
    return result


_SPACE = re.compile(r"\s")


def _check_url(url: str) -> str:
    if not url or _SPACE.search(url):
        raise ValueError(f"invalid target URI {url!r}")
    return url


def _check_protocol(protocol: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", protocol):
        raise ValueError(f"invalid HTTP protocol {protocol!r}")
    return protocol


def _status_line(status: int, reason: str) -> str:
    if not 100 <= status <= 999:
        raise ValueError(f"invalid HTTP status {status}")
    # RFC 9112: the space after the status code is there even when the reason is empty.
    return f"{status} {_latin1(reason, 'reason phrase')}"


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return target


def _fields_body(fields: Mapping[str, str] | Iterable[tuple[str, str]]) -> bytes:
    items = fields.items() if isinstance(fields, Mapping) else fields
    lines = []
    for name, value in items:
        if not name or ":" in name or name != name.strip():
            raise ValueError(f"invalid WARC field name {name!r}")
        lines.append(f"{_no_newline(name, 'field name')}: {_no_newline(value, name)}\r\n")
    return "".join(lines).encode("utf-8")


@contextlib.contextmanager
def _sized_body(body: bytes | BinaryIO) -> Iterator[tuple[bytes | IO[bytes], int]]:
    """The body as bytes or a seekable stream, with its length, without loading a
    stream into memory."""
    if isinstance(body, bytes | bytearray | memoryview):
        data = bytes(body)
        yield data, len(data)
        return
    if body.seekable():
        start = body.tell()
        end = body.seek(0, io.SEEK_END)
        body.seek(start)
        yield body, end - start
        return
    # A stream body is read twice (its digests, then the copy).
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY) as spool:
        shutil.copyfileobj(body, spool, _CHUNK)
        size = spool.tell()
        spool.seek(0)
        yield spool, size


def _fsync_dir(path: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):  # pragma: no cover - not on POSIX
        return
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or exc.__class__.__name__


class RollingWarcWriter:
    """Writes WARC/1.1 files of gzip-per-record members, rolling over at ``max_size``.

    Files are named ``{prefix}-{YYYYmmddHHMMSS}-{serial:05d}.warc.gz`` (UTC time of
    opening), start with a ``warcinfo`` record built from ``warcinfo`` and are
    written as ``<name>.open`` until finished. ``on_close(path)`` is called once for
    each finished file. A file is opened on the first record, and the size limit
    is checked before each exchange or revisit, so an exchange never spans files.

    ``id_factory`` (returning ``<urn:uuid:...>`` ids) and ``clock`` (returning
    timezone-aware datetimes) can be injected for reproducible output.

    If writing a record group fails, the file is truncated back to where the group
    began, so a finished file never holds a partial record; if even that fails,
    the file is left as ``.open`` and writing goes on in a new file.

    With ``index_dir``, each finished file's CDXJ index is written there as
    ``<name>.cdxj`` before ``on_close``: the lines cdxj_indexer would write for it,
    made as its records are written (:func:`~newstrail.storage.cdxj.cdxj_line`), so
    that the file need not be read back. A file with a POST or PUT request, or whose
    lines could not be kept, gets none: whoever stores it indexes it by reading it.
    """

    def __init__(
        self,
        directory: Path,
        prefix: str,
        *,
        max_size: int = DEFAULT_MAX_SIZE,
        warcinfo: Mapping[str, str] | None = None,
        on_close: Callable[[Path], None] | None = None,
        id_factory: Callable[[], str] | None = None,
        clock: Callable[[], datetime] | None = None,
        index_dir: Path | None = None,
    ) -> None:
        if not _PREFIX.match(prefix):
            raise ValueError(f"invalid WARC filename prefix {prefix!r}")
        if max_size < 1:
            raise ValueError(f"max_size must be positive, not {max_size}")
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_size = max_size
        info = {
            "software": f"newstrail/{__version__}",
            "format": "WARC File Format 1.1",
            "conformsTo": _CONFORMS_TO,
        }
        info.update(warcinfo or {})
        for name, value in info.items():
            _no_newline(name, "warcinfo field name")
            _no_newline(value, f"warcinfo field {name}")
        self.warcinfo = info
        self.on_close = on_close
        self._new_id = id_factory or _default_id
        self._clock = clock or _utcnow
        self._serial = 0
        self._files: list[Path] = []
        self._sha256: dict[Path, str] = {}
        self._fh: _HashingWriter | None = None
        self._members = GzipMembers()
        self._name = ""
        self._broken = False
        self._closed = False
        self.index_dir = Path(index_dir) if index_dir is not None else None
        # The current file's CDXJ lines: those of finished groups in the spool, those
        # of the group being written pending; whether the spool holds them all.
        self._index: IO[str] | None = None
        self._index_whole = False
        self._pending: list[str] = []

    # -- files -------------------------------------------------------------

    @property
    def files(self) -> list[Path]:
        """Finished files, in the order they were closed."""
        return list(self._files)

    def sha256(self, path: Path) -> str | None:
        """The SHA-256 of a finished file as it was written, if known (not when a
        failed write was rolled back in it)."""
        return self._sha256.get(Path(path))

    @property
    def current_path(self) -> Path | None:
        """The ``.open`` file being written, if any."""
        return self.directory / f"{self._name}.open" if self._fh is not None else None

    def _open_file(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            while True:
                stamp = self._clock().astimezone(UTC).strftime("%Y%m%d%H%M%S")
                name = f"{self.prefix}-{stamp}-{self._serial:05d}.warc.gz"
                self._serial += 1
                if (self.directory / name).exists():
                    continue
                try:
                    raw = open(self.directory / f"{name}.open", "xb", buffering=0)  # noqa: SIM115
                except FileExistsError:
                    continue
                fh = _HashingWriter(raw)
                break
        except OSError as exc:
            raise StoreError(
                f"cannot create WARC file in {self.directory}: {_reason(exc)}"
            ) from None
        self._fh, self._name, self._broken = fh, name, False
        self._open_index()
        fields = [("WARC-Type", "warcinfo"), ("WARC-Record-ID", self._new_id())]
        fields += [("WARC-Filename", name), ("WARC-Date", warc_date(self._clock()))]
        info = "".join(f"{key}: {value}\r\n" for key, value in self.warcinfo.items() if value)
        try:
            self._write(fields, "warcinfo", body=info.encode("utf-8"))
        except BaseException as exc:
            # A file without its warcinfo record is of no use to anyone.
            self._discard_file(remove=True)
            if isinstance(exc, OSError):
                part = self.directory / f"{name}.open"
                raise StoreError(f"cannot write {part}: {_reason(exc)}") from None
            raise

    def _discard_file(self, *, remove: bool) -> None:
        path = self.directory / f"{self._name}.open"
        fh, self._fh = self._fh, None
        self._drop_index()
        if fh is not None:
            with contextlib.suppress(OSError):
                fh.close()
        if remove:
            with contextlib.suppress(OSError):
                path.unlink()

    def _finish_file(self) -> None:
        fh = self._fh
        assert fh is not None
        part = self.directory / f"{self._name}.open"
        final = self.directory / self._name
        try:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            os.replace(part, final)
            _fsync_dir(self.directory)
        except OSError as exc:
            self._discard_file(remove=False)
            raise StoreError(f"cannot finish WARC file {part}: {_reason(exc)}") from None
        self._fh = None
        self._files.append(final)
        if fh.whole:
            self._sha256[final] = fh.sha256.hexdigest()
        self._finish_index()
        if self.on_close is not None:
            self.on_close(final)

    @contextlib.contextmanager
    def _group(self, *, may_roll: bool = True) -> Iterator[None]:
        """Records written inside go to one file, all of them or none."""
        if self._closed:
            raise ValueError("write to a closed RollingWarcWriter")
        if self._fh is not None and self._broken:
            self._discard_file(remove=False)
        if may_roll and self._fh is not None and self._fh.tell() >= self.max_size:
            self._finish_file()
        if self._fh is None:
            self._open_file()
        fh = self._fh
        assert fh is not None
        start = fh.tell()
        self._pending = []
        try:
            yield
        except BaseException as exc:
            self._pending = []
            try:
                fh.seek(start)
                fh.truncate()
            except (OSError, ValueError):
                self._broken = True
            if isinstance(exc, OSError):
                raise StoreError(f"cannot write {self.current_path}: {_reason(exc)}") from None
            raise
        self._keep_index_lines()

    # -- the index of the file being written --------------------------------

    def _spool_path(self) -> Path:
        assert self.index_dir is not None
        return self.index_dir / f".{self._name}{INDEX_SPOOL_SUFFIX}"

    def _open_index(self) -> None:
        self._index, self._index_whole, self._pending = None, False, []
        if self.index_dir is None:
            return
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            self._index = open(self._spool_path(), "w", encoding="utf-8")  # noqa: SIM115
        except OSError:
            return  # indexed by reading the file back once finished
        self._index_whole = True

    def _keep_index_lines(self) -> None:
        pending, self._pending = self._pending, []
        if self._index is None or not self._index_whole or not pending:
            return
        try:
            self._index.write("".join(pending))
        except OSError:
            self._index_whole = False

    def _drop_index(self) -> None:
        index, self._index, self._index_whole = self._index, None, False
        if index is not None:
            with contextlib.suppress(OSError):
                index.close()
            with contextlib.suppress(OSError):
                self._spool_path().unlink()

    def _finish_index(self) -> None:
        """Sort the finished file's CDXJ lines into ``<name>.cdxj`` (as cdxj_indexer
        sorts, in bounded memory: :func:`~newstrail.storage.cdxj.sort_cdxj_lines`),
        then remove the spool."""
        index, whole = self._index, self._index_whole
        if index is None or self.index_dir is None:
            return
        part = self.index_dir / f"{self._name}.cdxj"
        try:
            index.close()
            if whole:
                temporary = part.with_name(f".{part.name}.tmp")
                with (
                    self._spool_path().open(encoding="utf-8") as lines,
                    temporary.open("wb") as out,
                ):
                    sort_cdxj_lines(lines, out)
                os.replace(temporary, part)
        except OSError:
            with contextlib.suppress(OSError):
                part.with_name(f".{part.name}.tmp").unlink()
        finally:
            self._drop_index()

    def _write(
        self,
        fields: list[tuple[str, str]],
        record_type: str,
        *,
        head: bytes = b"",
        body: bytes | IO[bytes] = b"",
        size: int | None = None,
        payload_digest: bool = False,
    ) -> RecordRef:
        """Write one record as one gzip member (see :func:`_record_bytes`)."""
        fh = self._fh
        assert fh is not None
        if size is None:
            assert isinstance(body, bytes)
            size = len(body)
        level = LARGE_RECORD_GZIP_LEVEL if size > LARGE_RECORD else GZIP_LEVEL
        offset = fh.tell()
        digests = _digests(head, body, size, payload=payload_digest)
        parts = _record_bytes(fields, record_type, head, body, size, digests)
        member = self._members.member(parts, level)
        if isinstance(body, bytes):
            fh.write(b"".join(member))  # one write of the whole member
        else:
            for piece in member:
                fh.write(piece)
        fh.flush()
        length = fh.tell() - offset
        if self._index_whole and record_type in ("response", "revisit"):
            values = dict(fields)
            digest = digests[1] or values.get("WARC-Payload-Digest")
            self._pending.append(
                cdxj_line(
                    values["WARC-Target-URI"],
                    values["WARC-Date"],
                    record_type,
                    head,
                    digest,
                    length,
                    offset,
                    self._name,
                )
            )
        return RecordRef(self._name, offset, length, fields[1][1], digests[1])

    def close(self) -> None:
        """Finish the current file (rename, then ``on_close``); later writes fail."""
        if self._closed:
            return
        self._closed = True
        if self._fh is None:
            return
        if self._broken:
            self._discard_file(remove=False)
        else:
            self._finish_file()

    def __enter__(self) -> RollingWarcWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- records -----------------------------------------------------------

    def write_exchange(
        self,
        url: str,
        *,
        method: str = "GET",
        request_headers: HeaderList = (),
        request_body: bytes = b"",
        status: int,
        reason: str = "",
        protocol: str = "HTTP/1.1",
        response_headers: HeaderList = (),
        response_body: bytes | BinaryIO = b"",
        ip: str | None = None,
        date: datetime | None = None,
        truncated: str | None = None,
        wire_request: bytes | None = None,
        wire_response_head: bytes | None = None,
    ) -> ExchangeRefs:
        """Write the request and response records of one exchange, in that order.

        ``response_body`` is the body as received after de-chunking, before any
        content decoding; a stream is read from its current position to its end
        and never loaded whole into memory. The records point at each other with
        ``WARC-Concurrent-To`` (the response's link is the one CDXJ indexers use
        to pair a request with the response that follows it). ``ip`` is the
        server's address (``WARC-IP-Address``), ``date`` the fetch time (default:
        the writer's clock). ``truncated`` is the reason the body is not whole
        (``WARC-Truncated``: ``length``, ``time``, ``disconnect``, ``unspecified``).

        ``wire_request`` (the request as sent: line, headers, blank line, body)
        and ``wire_response_head`` (the status line and headers as received,
        through the blank line) go into the records byte for byte, in place of
        heads built from ``method``, ``request_headers``, ``status``, ``reason``,
        ``protocol`` and ``response_headers`` (and ``request_body``).
        """
        _check_url(url)
        if truncated is not None and truncated not in _TRUNCATED_REASONS:
            raise ValueError(f"invalid WARC-Truncated reason {truncated!r}")
        if not _TOKEN.match(method):
            raise ValueError(f"invalid HTTP method {method!r}")
        _check_protocol(protocol)
        ip_address = None if ip is None else str(ipaddress.ip_address(ip))
        when = warc_date(date if date is not None else self._clock())
        req_http, request_body = _request_head(
            url, method, protocol, request_headers, request_body, wire_request
        )
        resp_http = _response_head(status, reason, protocol, response_headers, wire_response_head)
        with _sized_body(response_body) as (body, size), self._group():
            # Ids are drawn once the file is open, so its warcinfo record comes first.
            request_id, response_id = self._new_id(), self._new_id()
            fields = _warc_fields("response", response_id, url, when, ip_address, request_id)
            if truncated is not None:
                fields.append(("WARC-Truncated", truncated))
            request_ref = self._write_request(
                url, req_http, request_body, request_id, when, ip_address, response_id
            )
            response_ref = self._write(
                fields, "response", head=resp_http, body=body, size=size, payload_digest=True
            )
        return ExchangeRefs(request_ref, response_ref)

    def write_metadata(
        self,
        url: str,
        fields: Mapping[str, str] | Iterable[tuple[str, str]],
        concurrent_to: str | None = None,
        *,
        date: datetime | None = None,
    ) -> RecordRef:
        """Write a ``metadata`` record of ``application/warc-fields`` about ``url``.

        ``fields`` say why the page was fetched (seed, parent, hop, channel,
        score...); ``concurrent_to`` is the id of the response they describe. A
        metadata record never starts a new file, so it stays in the file of the
        exchange it describes.
        """
        _check_url(url)
        body = _fields_body(fields)
        when = warc_date(date if date is not None else self._clock())
        with self._group(may_roll=False):
            # A metadata record's block has no payload apart from itself: like wget and
            # Heritrix, give it a block digest only (FastWARC, which takes the payload
            # to be what follows the block's first header-like lines, fails the digest).
            fields = _warc_fields("metadata", self._new_id(), url, when, None, concurrent_to)
            return self._write(fields, "metadata", body=body)

    def write_revisit(
        self,
        url: str,
        *,
        refers_to_record_id: str,
        refers_to_uri: str,
        refers_to_date: datetime | str,
        payload_digest: str,
        status: int,
        reason: str = "",
        protocol: str = "HTTP/1.1",
        headers: HeaderList = (),
        ip: str | None = None,
        date: datetime | None = None,
    ) -> RecordRef:
        """Write a ``revisit`` record (identical-payload-digest profile).

        For a response whose payload is identical to one already archived: the
        block is the new response's HTTP headers only, and ``WARC-Refers-To*``
        point at the original record. ``payload_digest`` is the original's
        ``WARC-Payload-Digest`` (e.g. ``sha1:...``); ``refers_to_date`` its
        ``WARC-Date`` (a string is used as is). ``ip`` and ``date`` are as for
        :meth:`write_exchange`.
        """
        _check_url(url)
        _check_url(refers_to_uri)
        _check_protocol(protocol)
        refers_date = _refers_to(refers_to_record_id, refers_to_date, payload_digest)
        ip_address = None if ip is None else str(ipaddress.ip_address(ip))
        when = warc_date(date if date is not None else self._clock())
        http = _response_head(status, reason, protocol, headers, None)
        with self._group():
            fields = _warc_fields("revisit", self._new_id(), url, when, ip_address, None)
            fields += _refers_to_fields(
                refers_to_record_id, IDENTICAL_PAYLOAD, refers_to_uri, refers_date, payload_digest
            )
            return self._write(fields, "revisit", head=http)

    def write_revisit_exchange(
        self,
        url: str,
        *,
        refers_to_record_id: str,
        refers_to_uri: str,
        refers_to_date: datetime | str,
        payload_digest: str,
        status: int,
        reason: str = "",
        protocol: str = "HTTP/1.1",
        headers: HeaderList = (),
        method: str = "GET",
        request_headers: HeaderList = (),
        request_body: bytes = b"",
        ip: str | None = None,
        date: datetime | None = None,
        wire_request: bytes | None = None,
        wire_response_head: bytes | None = None,
    ) -> ExchangeRefs:
        """Write the request record and the ``revisit`` record of one exchange whose
        payload is already archived (``refers_to_*``, ``payload_digest``: the
        original response record's), in that order, pointing at each other.

        A ``304 Not Modified`` gets the ``server-not-modified`` profile and an empty
        block: pywb (2.10) replays a revisit with the headers in its block and the
        payload of the original, so a 304 status there would replay as an empty
        page, while an empty block replays the earlier capture whole. Whoever
        keeps the 304's own status line and headers keeps them elsewhere (the
        crawl's metadata record). Any other status gets ``identical-payload-digest``
        and, as its block, the new response's head: ``wire_response_head`` byte for
        byte, else one built from ``status``, ``reason``, ``protocol`` and
        ``headers``. The request record is as in :meth:`write_exchange`.
        """
        _check_url(url)
        _check_url(refers_to_uri)
        _check_protocol(protocol)
        if not _TOKEN.match(method):
            raise ValueError(f"invalid HTTP method {method!r}")
        refers_date = _refers_to(refers_to_record_id, refers_to_date, payload_digest)
        ip_address = None if ip is None else str(ipaddress.ip_address(ip))
        when = warc_date(date if date is not None else self._clock())
        req_http, request_body = _request_head(
            url, method, protocol, request_headers, request_body, wire_request
        )
        not_modified = status == 304
        resp_http = (
            b""
            if not_modified
            else _response_head(status, reason, protocol, headers, wire_response_head)
        )
        profile = SERVER_NOT_MODIFIED if not_modified else IDENTICAL_PAYLOAD
        with self._group():
            request_id, revisit_id = self._new_id(), self._new_id()
            fields = _warc_fields("revisit", revisit_id, url, when, ip_address, request_id)
            fields += _refers_to_fields(
                refers_to_record_id, profile, refers_to_uri, refers_date, payload_digest
            )
            request_ref = self._write_request(
                url, req_http, request_body, request_id, when, ip_address, revisit_id
            )
            revisit_ref = self._write(fields, "revisit", head=resp_http)
        return ExchangeRefs(request_ref, revisit_ref)

    def _write_request(
        self,
        url: str,
        head: bytes,
        body: bytes,
        record_id: str,
        when: str,
        ip_address: str | None,
        concurrent_to: str,
    ) -> RecordRef:
        fields = _warc_fields("request", record_id, url, when, ip_address, concurrent_to)
        if head.split(b" ", 1)[0].decode("latin-1").upper() in BODY_METHODS:
            # Its body goes into the key: the file is indexed by reading it back.
            self._index_whole = False
        return self._write(fields, "request", head=head, body=bytes(body), payload_digest=True)


def _warc_fields(
    record_type: str,
    record_id: str,
    url: str,
    date: str,
    ip_address: str | None,
    concurrent_to: str | None,
) -> list[tuple[str, str]]:
    """A record's first WARC header fields; the record id second (``_write`` reads it there)."""
    fields = [
        ("WARC-Type", record_type),
        ("WARC-Record-ID", _no_newline(record_id, "WARC-Record-ID")),
        ("WARC-Target-URI", url),
        ("WARC-Date", date),
    ]
    if ip_address:
        fields.append(("WARC-IP-Address", ip_address))
    if concurrent_to:
        fields.append(("WARC-Concurrent-To", _no_newline(concurrent_to, "WARC-Concurrent-To")))
    return fields


def _refers_to_fields(
    record_id: str, profile: str, uri: str, date: str, payload_digest: str
) -> list[tuple[str, str]]:
    """A revisit's fields after the first ones: what it refers to, and how."""
    return [
        ("WARC-Refers-To", record_id),
        ("WARC-Profile", profile),
        ("WARC-Refers-To-Target-URI", uri),
        ("WARC-Refers-To-Date", date),
        ("WARC-Payload-Digest", payload_digest),
    ]
