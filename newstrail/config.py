"""Crawl configuration: one typed object, built once from arguments and NEWSTRAIL_* settings."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from newstrail import __version__
from newstrail.archives import WAYBACK, Archive, parse_archive, use_archives
from newstrail.errors import NewstrailError
from newstrail.netguard import allow_list
from newstrail.relevance import DEFAULT_THRESHOLD
from newstrail.seeds import SeedSet

__all__ = [
    "DEFAULT_CONTACT",
    "DEFAULT_EXTRACT_TIMEOUT",
    "DEFAULT_MAX_LINKS",
    "DEFAULT_STORE",
    "ERROR_FD_ENV",
    "FRONTIER",
    "SEEN",
    "SEEN_CAPACITY",
    "WORKER",
    "WORKER_TIMEOUT",
    "CrawlConfig",
    "Environment",
    "crawler_lock",
    "new_crawl_id",
    "user_agent",
]

DEFAULT_STORE = "./newstrail-data"
DEFAULT_CONTACT = "https://github.com/newstrail/newstrail"
#: Set for the crawler process: a pipe's file descriptor on which it writes why it
#: failed (not summary.json: the reason may be a full staging disk).
ERROR_FD_ENV = "NEWSTRAIL_ERROR_FD"
#: ``CrawlConfig.extra`` keys of a distributed crawl (``newstrail crawl --frontier``).
FRONTIER = "frontier"  # redis:// URL of the shared frontier
WORKER = "worker"  # this process's worker name (unique in the crawl)
SEEN = "seen"  # "set" (default) or "bloom"
SEEN_CAPACITY = "seen_capacity"  # URLs the Bloom filter is sized for
WORKER_TIMEOUT = "worker_timeout"  # seconds without a heartbeat before a worker is dead
#: In a crawl's staging folder: locked by whichever process works on it.
CRAWLER_LOCK = "crawler.lock"


@contextlib.contextmanager
def crawler_lock(workdir: Path, what: str) -> Iterator[None]:
    """Work on the staging folder ``workdir`` alone: the crawler, or ``--resume`` after it.

    An exclusive ``flock`` that the kernel releases however its holder ends (even
    killed), so a crawl still running is told from one that died without looking at
    process ids, which are reused. Raises NewstrailError if another process holds it.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(workdir / CRAWLER_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise NewstrailError(f"cannot lock {workdir}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise NewstrailError(
                f"{what} is still running (another process works in {workdir})"
            ) from None
        yield
    finally:
        os.close(fd)


def new_crawl_id(now: datetime | None = None) -> str:
    """A sortable, unique crawl id: UTC start time plus a random suffix."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def user_agent(contact: str) -> str:
    """An honest User-Agent: the software, its version and where to reach its operator."""
    return f"newstrail/{__version__} (+{contact}; news coverage archiving)"


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise NewstrailError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise NewstrailError(f"{name}={raw!r} must be at least {minimum}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise NewstrailError(f"{name}={raw!r} is not a number") from None
    if not value > 0:
        raise NewstrailError(f"{name}={raw!r} must be more than 0")
    return value


# One page's analysis (article, outlinks, feeds) in the extraction pool, in seconds.
DEFAULT_EXTRACT_TIMEOUT = 20.0
# Outlinks of one page that are scored and may be followed.
DEFAULT_MAX_LINKS = 1000
#: Bytes of one response body downloaded; the transfer stops there (NEWSTRAIL_MAX_PAGE_BYTES).
DEFAULT_MAX_PAGE_BYTES = 50 * 1024 * 1024
#: Seconds one download may take (NEWSTRAIL_DOWNLOAD_TIMEOUT).
DEFAULT_DOWNLOAD_TIMEOUT = 30.0
#: Page requisites fetched in one crawl, over and above its page budget
#: (NEWSTRAIL_MAX_REQUISITES); one page gives at most 50 (newstrail.pagework).
DEFAULT_MAX_REQUISITES = 2000
#: Whose page requisites are fetched: "related" (seeds and related articles), "all"
#: (every HTML page) or "none".
REQUISITE_MODES = ("related", "all", "none")


@dataclass(frozen=True)
class Environment:
    """The NEWSTRAIL_* settings, read once."""

    store: str = DEFAULT_STORE
    contact: str = DEFAULT_CONTACT
    workdir: Path = Path(".newstrail-work")
    warc_max_size: int = 1_000_000_000
    #: Extraction worker processes during crawls: None for one per CPU, 0 for none
    #: (extraction in the crawler's own process).
    extract_workers: int | None = None
    #: Seconds one page's analysis may take in the extraction pool (NEWSTRAIL_EXTRACT_TIMEOUT).
    extract_timeout: float = DEFAULT_EXTRACT_TIMEOUT
    #: Outlinks of one page scored and possibly followed (NEWSTRAIL_MAX_LINKS).
    max_links_per_page: int = DEFAULT_MAX_LINKS
    #: Bytes of one response body (NEWSTRAIL_MAX_PAGE_BYTES).
    max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES
    #: Seconds one download may take (NEWSTRAIL_DOWNLOAD_TIMEOUT).
    download_timeout: float = DEFAULT_DOWNLOAD_TIMEOUT
    #: Page requisites one crawl fetches at most (NEWSTRAIL_MAX_REQUISITES).
    max_requisites: int = DEFAULT_MAX_REQUISITES
    #: Every page gets the full extraction, not only those the fast text puts near
    #: the relevance threshold (NEWSTRAIL_FULL_EXTRACTION=1).
    full_extraction: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Environment:
        env = os.environ if env is None else env
        return cls(
            store=env.get("NEWSTRAIL_STORE") or DEFAULT_STORE,
            contact=env.get("NEWSTRAIL_CONTACT") or DEFAULT_CONTACT,
            workdir=Path(env.get("NEWSTRAIL_WORKDIR") or ".newstrail-work"),
            warc_max_size=_int(env, "NEWSTRAIL_WARC_MAX_SIZE", 1_000_000_000, minimum=1_000_000),
            extract_workers=(
                _int(env, "NEWSTRAIL_EXTRACT_WORKERS", 0)
                if env.get("NEWSTRAIL_EXTRACT_WORKERS")
                else None
            ),
            extract_timeout=_float(env, "NEWSTRAIL_EXTRACT_TIMEOUT", DEFAULT_EXTRACT_TIMEOUT),
            max_links_per_page=_int(env, "NEWSTRAIL_MAX_LINKS", DEFAULT_MAX_LINKS, minimum=1),
            max_page_bytes=_int(
                env, "NEWSTRAIL_MAX_PAGE_BYTES", DEFAULT_MAX_PAGE_BYTES, minimum=1024
            ),
            download_timeout=_float(env, "NEWSTRAIL_DOWNLOAD_TIMEOUT", DEFAULT_DOWNLOAD_TIMEOUT),
            max_requisites=_int(env, "NEWSTRAIL_MAX_REQUISITES", DEFAULT_MAX_REQUISITES),
            full_extraction=env.get("NEWSTRAIL_FULL_EXTRACTION", "") not in ("", "0"),
        )


def _latest_published(seeds: SeedSet) -> date | None:
    """The latest seed publication date (YYYY, YYYY-MM: the period's end, about)."""
    days = []
    for seed in seeds.seeds:
        parts = [int(p) for p in (seed.published or "").split("-") if p.isdigit()]
        if parts:
            month = parts[1] if len(parts) > 1 else 12
            day = parts[2] if len(parts) > 2 else 28
            with contextlib.suppress(ValueError):
                days.append(date(parts[0], month, day))
    return max(days, default=None)


@dataclass(frozen=True)
class CrawlConfig:
    """Everything one crawl needs; serialisable, so it can cross into the crawler process."""

    seeds: SeedSet
    collection: str
    crawl_id: str
    store: str = DEFAULT_STORE
    budget: int = 500
    max_hops: int = 3
    #: ``--allow-private`` entries (``newstrail.netguard``): non-global addresses the
    #: crawl may connect to; empty: global addresses only; ``("*",)``: every address.
    allow_private: tuple[str, ...] = ()
    obey_robots: bool = True
    download_delay: float = 1.0
    concurrency_per_host: int = 2
    autothrottle: bool = True
    contact: str = DEFAULT_CONTACT
    threshold: float = DEFAULT_THRESHOLD
    warc_max_size: int = 1_000_000_000
    workdir: Path = Path(".newstrail-work")
    log_level: str = "WARNING"
    extract_workers: int | None = None
    extract_timeout: float = DEFAULT_EXTRACT_TIMEOUT
    max_links_per_page: int = DEFAULT_MAX_LINKS
    max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES
    download_timeout: float = DEFAULT_DOWNLOAD_TIMEOUT
    #: Store a WACZ of the crawl next to its WARC files (wacz/<crawl id>.wacz).
    wacz: bool = False
    #: Whose page requisites are fetched (REQUISITE_MODES), and how many at most.
    requisites: str = "related"
    max_requisites: int = DEFAULT_MAX_REQUISITES
    #: The full extraction for every page (else only for seeds, known articles and
    #: pages whose fast text scores near the threshold: ``newstrail.pagework``).
    full_extraction: bool = False
    # Incremental re-crawls: the collection's latest captures (a captures file in
    # the staging folder), and the known related articles and feeds to revisit.
    prior: str | None = None
    known_urls: tuple[str, ...] = ()
    known_feeds: tuple[str, ...] = ()
    #: Web archives (``newstrail.archives``) the crawl may ask, by URL: ``--archive``
    #: and the seed file's ``archives``.
    archives: tuple[str, ...] = ()
    #: ``--archives`` (True) or ``--no-archives`` (False); None: :func:`use_archives`
    #: decides by the seed set's date window.
    force_archives: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Checked here, so a bad entry is a one-line error before anything starts.
        object.__setattr__(self, "allow_private", allow_list(self.allow_private))
        if self.budget < 1:
            raise NewstrailError(f"budget must be at least 1 page, not {self.budget}")
        if self.max_hops < 0:
            raise NewstrailError(f"max hops must be 0 or more, not {self.max_hops}")
        if not 0 <= self.threshold < 1:
            raise NewstrailError(f"threshold must be from 0 up to 1 (not 1), not {self.threshold}")
        if self.download_delay < 0:
            raise NewstrailError("download delay cannot be negative")
        if not 1 <= self.concurrency_per_host <= 16:
            raise NewstrailError("concurrency per host must be between 1 and 16")
        if not self.extract_timeout > 0:
            raise NewstrailError("extraction timeout must be more than 0 seconds")
        if self.max_links_per_page < 1:
            raise NewstrailError("max links per page must be at least 1")
        if self.max_page_bytes < 1:
            raise NewstrailError("max page bytes must be at least 1")
        if not self.download_timeout > 0:
            raise NewstrailError("download timeout must be more than 0 seconds")
        if self.requisites not in REQUISITE_MODES:
            raise NewstrailError(
                f"page requisites {self.requisites!r}: use {', '.join(REQUISITE_MODES)}"
            )
        if self.max_requisites < 0:
            raise NewstrailError("max requisites cannot be negative")
        # The command line's first, then the seed file's.
        given = (*self.archives, *self.seeds.archives)
        archives = tuple(dict.fromkeys(parse_archive(url).url for url in given))
        if self.force_archives and not archives:
            archives = (WAYBACK,)  # --archives alone: the Wayback Machine
        object.__setattr__(self, "archives", archives)

    def archive_list(self, today: date | None = None) -> list[Archive]:
        """The archives this crawl asks: none unless the rule (or a flag) says so."""
        today = today or datetime.now(UTC).date()
        window_end = self.seeds.window.before or _latest_published(self.seeds)
        if not use_archives(window_end, today, force=self.force_archives):
            return []
        return [parse_archive(url) for url in self.archives]

    @property
    def user_agent(self) -> str:
        return user_agent(self.contact)

    @property
    def crawl_workdir(self) -> Path:
        """Local staging folder of this crawl: open WARC files and not yet stored outputs."""
        return self.workdir / self.collection / self.crawl_id

    @property
    def frontier(self) -> str | None:
        """The Redis URL of a distributed crawl's shared frontier; None for one process."""
        url = self.extra.get(FRONTIER)
        return str(url) if url else None

    @property
    def worker(self) -> str | None:
        """This process's worker name in a distributed crawl, or None."""
        name = self.extra.get(WORKER)
        return str(name) if name else None

    def worker_file(self, name: str) -> str:
        """``name`` with ``-<worker>`` before its suffix (``index.cdxj`` -> ``index-w1.cdxj``)
        for a worker of a distributed crawl, else ``name``: workers writing into one
        crawl folder never overwrite each other."""
        tag = f"-{self.worker}" if self.worker else ""
        for suffix in (".jsonl.gz", ".cdxj", ".warc.gz"):
            if name.endswith(suffix):
                return name[: -len(suffix)] + tag + suffix
        return name + tag

    @property
    def summary_path(self) -> Path:
        """Where the crawler process leaves the crawl's summary for the flow."""
        return self.crawl_workdir / "summary.json"

    def settings_summary(self) -> dict[str, Any]:
        """The settings worth recording in the warcinfo record and the manifest."""
        return {
            "seed_set": self.seeds.name,
            "seed_urls": self.seeds.urls,
            "budget": self.budget,
            "max_hops": self.max_hops,
            "obey_robots": self.obey_robots,
            "download_delay": self.download_delay,
            "concurrency_per_host": self.concurrency_per_host,
            "autothrottle": self.autothrottle,
            "threshold": self.threshold,
            "user_agent": self.user_agent,
            "allow_private": list(self.allow_private),
            "warc_max_size": self.warc_max_size,
            "max_page_bytes": self.max_page_bytes,
            "download_timeout": self.download_timeout,
            "requisites": self.requisites,
            "max_requisites": self.max_requisites,
            "full_extraction": self.full_extraction,
            "incremental": self.prior is not None,
            "archives": [a.url for a in self.archive_list()],
        }

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seeds"] = self.seeds.to_dict()
        data["workdir"] = str(self.workdir)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CrawlConfig:
        data = dict(data)
        data["seeds"] = SeedSet.from_dict(data["seeds"])
        data["workdir"] = Path(data["workdir"])
        data["known_urls"] = tuple(data.get("known_urls", ()))
        data["known_feeds"] = tuple(data.get("known_feeds", ()))
        data["archives"] = tuple(data.get("archives", ()))
        # Job files of earlier versions hold a boolean.
        data["allow_private"] = allow_list(data.get("allow_private"))
        return cls(**data)

    def evolve(self, **changes: Any) -> CrawlConfig:
        return replace(self, **changes)
