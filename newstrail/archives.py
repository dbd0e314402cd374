"""Web archives as a source: their CDX indexes for discovery, their mementos for dead pages.

Three kinds of archive are known, each named by one URL (``--archive URL``):

- the Wayback Machine, ``https://web.archive.org``: CDX server API at
  ``https://web.archive.org/cdx/search/cdx`` (one JSON array per answer, paged with
  ``showResumeKey``), mementos at ``https://web.archive.org/web/<timestamp>id_/<url>``;
- a Common Crawl URL index, by its index URL
  (``https://index.commoncrawl.org/CC-MAIN-2019-04-index``): the same CDX API at that
  URL (JSON lines, paged with ``page``). Its records live in WARC files on
  data.commoncrawl.org, read by offset and length; newstrail uses Common Crawl for
  discovery only (the live page is fetched, never the WARC record);
- any pywb collection, by its root ``http://HOST:PORT/COLLECTION``: CDX API at
  ``<root>/cdx`` (JSON lines), mementos at ``<root>/<timestamp>id_/<url>``, Memento
  TimeGate at ``<root>/<url>``.

Nothing here fetches: this module builds the query URLs and reads the answers,
bounded (:func:`parse_cdx`), so the crawler makes the requests itself, throttled,
archived and counted like every other. cdx_toolkit speaks the Wayback Machine's and
Common Crawl's CDX APIs too, but it makes its own requests (``requests``, its own
retries and pacing), outside the crawl's politeness, address guard and WARC files;
only its URL conventions are followed here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from newstrail.errors import NewstrailError
from newstrail.redact import has_userinfo
from newstrail.urls import is_http_url

__all__ = [
    "ARCHIVE_KINDS",
    "CDX_MAX_BYTES",
    "CDX_MAX_ROWS",
    "RECENT_WEEKS",
    "WAYBACK",
    "Archive",
    "ArchiveError",
    "Capture",
    "CdxAnswer",
    "cdx_window",
    "parse_archive",
    "parse_cdx",
    "path_date",
    "use_archives",
]

WAYBACK = "https://web.archive.org"
ARCHIVE_KINDS = ("wayback", "commoncrawl", "pywb")
#: Bytes of one CDX answer that are read; the rest is dropped (``cdx-truncated``).
CDX_MAX_BYTES = 8 * 1024 * 1024
#: Captures of one CDX answer that are kept (``cdx-rows-capped`` past them).
CDX_MAX_ROWS = 5_000
#: Bytes of one CDX row: a longer line is junk, not a capture.
CDX_MAX_LINE = 16 * 1024
#: A seed set whose date window ends more than this many weeks ago uses the archives.
RECENT_WEEKS = 8
#: Days before the window's start and after its end in which captures are asked for:
#: a page is captured after it is published, often months after.
MARGIN_BEFORE = timedelta(days=7)
MARGIN_AFTER = timedelta(days=365)
#: Seconds between requests to one archive: the Wayback Machine throttles clients
#: above about one request a second; Common Crawl's index asks for the same.
DEFAULT_DELAYS = {"wayback": 1.5, "commoncrawl": 1.5, "pywb": 0.0}

_PATH_DATE = re.compile(
    r"/((?:19|20)\d\d)[/-]?(0[1-9]|1[0-2])(?:[/-]?(0[1-9]|[12]\d|3[01]))?(?=[/-]|$)"
)
_CC_INDEX = re.compile(r"/(CC-MAIN-\d{4}-\d{2})-index/?$")
_TIMESTAMP = re.compile(r"^\d{4,14}$")


class ArchiveError(NewstrailError):
    """An archive URL or an archive's answer cannot be used."""


@dataclass(frozen=True)
class Capture:
    """One row of a CDX answer: a URL captured at a time."""

    url: str
    timestamp: str  # 14 digits, UTC
    mime: str = ""
    status: str = ""

    @property
    def datetime(self) -> datetime:
        """The capture's time (the memento datetime)."""
        stamp = self.timestamp.ljust(14, "0")
        return datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


@dataclass
class CdxAnswer:
    """A CDX answer as read: its captures, the key of the next page, what was dropped."""

    captures: list[Capture] = field(default_factory=list)
    resume_key: str | None = None
    junk: int = 0  # rows that were not captures (wrong type, missing fields, bad JSON)
    limits: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Archive:
    """One web archive, from the URL the user gave."""

    url: str  # as given, without a trailing slash
    kind: str  # one of ARCHIVE_KINDS
    name: str  # short, for records and logs: "web.archive.org", "CC-MAIN-2019-04", "host:port/coll"
    cdx_url: str
    #: Where mementos are replayed (``<prefix>/<timestamp>id_/<url>``); None: discovery only.
    replay_prefix: str | None
    delay: float

    @property
    def host(self) -> str:
        """The archive's host (the crawl's politeness slot for it)."""
        return urlsplit(self.url).netloc

    @property
    def can_replay(self) -> bool:
        return self.replay_prefix is not None

    def memento_url(self, timestamp: str, url: str) -> str:
        """The original bytes of ``url`` as captured at ``timestamp`` (the ``id_`` form)."""
        if self.replay_prefix is None:
            raise ArchiveError(f"archive {self.name} serves no mementos (discovery only)")
        return f"{self.replay_prefix}/{timestamp}id_/{url}"

    def timegate_url(self, url: str) -> str | None:
        """The Memento TimeGate of ``url`` (asked with ``Accept-Datetime``), if any."""
        if self.replay_prefix is None:
            return None
        return f"{self.replay_prefix}/{url}"

    def _params(self, params: list[tuple[str, str]]) -> str:
        return f"{self.cdx_url}?{urlencode(params)}"

    def _filters(self) -> list[tuple[str, str]]:
        # The Wayback Machine's field names; pywb and Common Crawl name them mime and status.
        if self.kind == "wayback":
            return [("filter", "mimetype:text/html"), ("filter", "statuscode:200")]
        return [("filter", "mime:text/html"), ("filter", "status:200")]

    def host_query(
        self,
        host: str,
        *,
        start: date | None,
        end: date | None,
        limit: int,
        page: int = 0,
        resume_key: str | None = None,
    ) -> str:
        """The CDX query for the HTML pages of ``host`` captured from ``start`` to
        ``end``, one row per URL, ``limit`` rows; the next page by ``resume_key``
        (Wayback Machine) or ``page`` (Common Crawl, pywb)."""
        if not host or "/" in host or any(c.isspace() for c in host):
            raise ArchiveError(f"not a host name: {host!r}")
        params = [("url", f"{host}/"), ("matchType", "host")]
        if start is not None:
            params.append(("from", start.strftime("%Y%m%d")))
        if end is not None:
            params.append(("to", end.strftime("%Y%m%d")))
        params += self._filters()
        params += [("collapse", "urlkey"), ("output", "json"), ("limit", str(max(1, limit)))]
        if self.kind == "wayback":
            params.append(("fl", "original,timestamp,mimetype,statuscode"))
            params.append(("showResumeKey", "true"))
            if resume_key:
                params.append(("resumeKey", resume_key))
        elif page:
            params.append(("page", str(page)))
        return self._params(params)

    def closest_query(self, url: str, when: date | datetime | None) -> str:
        """The CDX query for the good HTML capture of ``url`` closest to ``when``."""
        params = [("url", url), ("matchType", "exact")]
        params += self._filters()
        if when is not None:
            stamp = when.strftime("%Y%m%d%H%M%S" if isinstance(when, datetime) else "%Y%m%d")
            params += [("closest", stamp), ("sort", "closest")]
        params += [("output", "json"), ("limit", "1")]
        if self.kind == "wayback":
            params.append(("fl", "original,timestamp,mimetype,statuscode"))
        return self._params(params)


def parse_archive(url: str) -> Archive:
    """The archive that ``url`` names; ArchiveError (one line) if it names none."""
    if not isinstance(url, str) or not is_http_url(url.strip()):
        raise ArchiveError(f"archive {url!r} is not an absolute http(s) URL")
    url = url.strip().rstrip("/")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise ArchiveError(f"archive {url!r} holds spaces or control characters")
    if has_userinfo(url):
        raise ArchiveError("an archive URL may not hold a user name or password")
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise ArchiveError(f"archive {url!r}: give the archive's root, without ?query or #")
    host = (parts.hostname or "").lower()
    path = parts.path
    if host in ("web.archive.org", "wayback.archive.org"):
        if path not in ("", "/web"):
            raise ArchiveError(f"archive {url!r}: the Wayback Machine is https://web.archive.org")
        base = f"{parts.scheme}://{parts.netloc}"
        return Archive(
            url=base,
            kind="wayback",
            name=host,
            cdx_url=f"{base}/cdx/search/cdx",
            replay_prefix=f"{base}/web",
            delay=DEFAULT_DELAYS["wayback"],
        )
    crawl = _CC_INDEX.search(path)
    if crawl:
        return Archive(
            url=url,
            kind="commoncrawl",
            name=crawl.group(1),
            cdx_url=url,
            replay_prefix=None,
            delay=DEFAULT_DELAYS["commoncrawl"],
        )
    if host.endswith("commoncrawl.org"):
        raise ArchiveError(
            f"archive {url!r}: name a Common Crawl index by its URL, "
            "such as https://index.commoncrawl.org/CC-MAIN-2019-04-index"
        )
    segments = [s for s in path.split("/") if s]
    if len(segments) != 1:
        raise ArchiveError(
            f"archive {url!r}: a pywb collection is named by its root, http://HOST:PORT/COLLECTION"
        )
    return Archive(
        url=url,
        kind="pywb",
        name=f"{parts.netloc}/{segments[0]}",
        cdx_url=f"{url}/cdx",
        replay_prefix=url,
        delay=DEFAULT_DELAYS["pywb"],
    )


def use_archives(
    window_end: date | None, today: date, *, force: bool | None = None, weeks: int = RECENT_WEEKS
) -> bool:
    """Whether a crawl asks the archives: ``force`` if given (``--archives``,
    ``--no-archives``); else when the seed set's date window ends more than
    ``weeks`` weeks before ``today`` (the live web's feeds and sitemaps still list
    articles of the last weeks; older ones are buried or gone). A window without an
    end reaches today: no archives."""
    if force is not None:
        return force
    if window_end is None:
        return False
    return window_end < today - timedelta(weeks=weeks)


def path_date(url: str) -> date | None:
    """The date a URL's path gives (``/2019/01/05/``, ``/2019-01-05-``, ``/201901/``),
    the first of the month when it names no day; None when it gives none."""
    found = _PATH_DATE.search(urlsplit(url).path[:2048])
    if found is None:
        return None
    year, month, day = found.group(1), found.group(2), found.group(3) or "01"
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def cdx_window(start: date | None, end: date | None) -> tuple[date | None, date | None]:
    """The capture dates asked of an archive for a publication window: from a week
    before its start to a year after its end (pages are captured after they appear)."""
    return (
        start - MARGIN_BEFORE if start else None,
        end + MARGIN_AFTER if end else None,
    )


_FIELD_NAMES = {
    "original": "url",
    "url": "url",
    "timestamp": "timestamp",
    "mimetype": "mime",
    "mime": "mime",
    "statuscode": "status",
    "status": "status",
}
_DEFAULT_FIELDS = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


def _capture(fields: dict[str, Any]) -> Capture | None:
    url, stamp = fields.get("url"), fields.get("timestamp")
    if not isinstance(url, str) or not is_http_url(url) or len(url) > 4096:
        return None
    if isinstance(stamp, int) and not isinstance(stamp, bool):
        stamp = str(stamp)
    if not isinstance(stamp, str) or not _TIMESTAMP.match(stamp):
        return None
    stamp = stamp.ljust(14, "0")
    try:
        datetime.strptime(stamp, "%Y%m%d%H%M%S")
    except ValueError:
        return None
    mime, status = fields.get("mime", ""), fields.get("status", "")
    return Capture(
        url=url,
        timestamp=stamp,
        mime=mime if isinstance(mime, str) else "",
        status=str(status) if isinstance(status, str | int) else "",
    )


def parse_cdx(
    body: bytes, *, max_bytes: int = CDX_MAX_BYTES, max_rows: int = CDX_MAX_ROWS
) -> CdxAnswer:
    """Read a CDX answer, bounded: the Wayback Machine's JSON array (a header row of
    field names, one row per line, then ``[]`` and ``[resume key]`` when paged),
    JSON lines (pywb, Common Crawl: one object per line), or plain CDX lines.

    At most ``max_bytes`` are read (``cdx-truncated``) and ``max_rows`` captures kept
    (``cdx-rows-capped``); a row that is no capture is counted in ``junk``, never
    raised.
    """
    answer = CdxAnswer()
    if len(body) > max_bytes:
        body = body[:max_bytes]
        answer.limits.append("cdx-truncated")
    header: list[str] | None = None
    lines: Iterable[Any] = _rows(body)
    stripped = body.strip()
    if stripped.startswith(b"[[") and b"\n" not in stripped:
        # The whole array on one line (within max_bytes, so json's memory is bounded).
        try:
            whole = json.loads(stripped)
        except (ValueError, RecursionError):
            whole = None
        if isinstance(whole, list):
            lines = whole
    after_blank = False
    for line in lines:
        if isinstance(line, bytes):
            if len(line) > CDX_MAX_LINE:
                answer.junk += 1
                continue
            row = _row(line)
        else:
            row = line
        if row is None:
            answer.junk += 1
            continue
        if isinstance(row, list):
            if not row:
                after_blank = True  # the Wayback Machine's separator before the resume key
                continue
            if after_blank and len(row) == 1 and isinstance(row[0], str):
                answer.resume_key = row[0][:4096]
                continue
            if header is None and all(isinstance(v, str) for v in row) and "timestamp" in row:
                header = [str(v) for v in row]
                continue
            names = header or _DEFAULT_FIELDS
            if len(row) != len(names):
                answer.junk += 1
                continue
            fields = {_FIELD_NAMES.get(n, n): v for n, v in zip(names, row, strict=True)}
        elif isinstance(row, dict):
            fields = {_FIELD_NAMES.get(str(n), str(n)): v for n, v in row.items()}
        else:
            answer.junk += 1
            continue
        capture = _capture(fields)
        if capture is None:
            answer.junk += 1
            continue
        if len(answer.captures) >= max_rows:
            answer.limits.append("cdx-rows-capped")
            break
        answer.captures.append(capture)
    return answer


def _rows(body: bytes) -> Iterable[bytes]:
    start = 0
    while start < len(body):
        end = body.find(b"\n", start)
        if end < 0:
            end = len(body)
        line = body[start:end].strip()
        start = end + 1
        if line:
            yield line


def _row(line: bytes) -> Any:
    """One row: a JSON list or object, with the array's own brackets and commas
    taken off; a plain CDX line as a list of its fields; None if it is neither."""
    text = line
    if text.startswith(b"[["):
        text = text[1:]
    if text.endswith(b"]]"):
        text = text[:-1]
    text = text.rstrip(b",").strip()
    if text.startswith((b"[", b"{")):
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            return None
    try:
        fields = text.decode("utf-8").split()
    except UnicodeDecodeError:
        return None
    return fields if len(fields) >= 3 else None
