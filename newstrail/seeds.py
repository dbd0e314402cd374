"""Seed sets: the articles a crawl starts from and the texts relevance is measured against.

The file format is documented in ``seeds/README.md``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newstrail.archives import parse_archive
from newstrail.errors import NewstrailError, SeedError
from newstrail.redact import has_userinfo, redact
from newstrail.relevance import DEFAULT_THRESHOLD, DateWindow, RelevanceModel
from newstrail.urls import is_http_url

__all__ = [
    "Seed",
    "SeedSet",
    "check_seed_url",
    "default_seed_file",
    "load_seed_set",
    "outlet_host",
    "seed_set_from_urls",
    "validate_name",
]

DEFAULT_SEED_NAME = "iraq-us-troops.toml"


def default_seed_file() -> Path:
    """The project's default seed set: installed with the package, or in the checkout.

    A wheel carries ``seeds/`` as ``newstrail/_seeds``; a checkout (and an editable
    install) has it beside the package.
    """
    package = Path(__file__).resolve().parent
    for folder in (package / "_seeds", package.parent / "seeds"):
        path = folder / DEFAULT_SEED_NAME
        if path.is_file():
            return path
    raise SeedError(f"the default seed file {DEFAULT_SEED_NAME} is not installed with newstrail")


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HOST = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,62}\.)*[a-z0-9-]{1,63}(:\d{1,5})?$")
_RELEVANCE_KEYS = {"keywords", "threshold", "published_after", "published_before"}


@dataclass(frozen=True)
class Seed:
    """One seed article: a URL to fetch, a text to measure relevance against, or both."""

    url: str | None
    title: str | None = None
    author: str | None = None
    published: str | None = None
    site: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class SeedSet:
    """A named set of seed articles, plus optional topic keywords."""

    name: str
    seeds: tuple[Seed, ...]
    description: str = ""
    keywords: tuple[str, ...] = ()
    threshold: float | None = None
    source: str | None = None
    published_after: str | None = None
    published_before: str | None = None
    #: Web archives to ask (``archives = [...]``: URLs, see ``newstrail.archives``).
    archives: tuple[str, ...] = ()
    #: More outlet hosts whose archived pages are looked up (``outlets = [...]``).
    outlets: tuple[str, ...] = ()

    @property
    def urls(self) -> list[str]:
        """The seed URLs to fetch, in file order."""
        return [s.url for s in self.seeds if s.url]

    @property
    def window(self) -> DateWindow:
        """The publication-date window of related articles."""
        return DateWindow(
            date.fromisoformat(self.published_after) if self.published_after else None,
            date.fromisoformat(self.published_before) if self.published_before else None,
        )

    @property
    def texts(self) -> list[str]:
        """The seed texts known before crawling (the relevance profile)."""
        return [s.text for s in self.seeds if s.text]

    def relevance_model(self, threshold: float | None = None) -> RelevanceModel:
        """The relevance model of this seed set: its texts, keywords and date window,
        and ``threshold`` if given (a crawl's, already chosen), else its own, else the
        default. 0 is a threshold like any other."""
        if threshold is None:
            threshold = DEFAULT_THRESHOLD if self.threshold is None else self.threshold
        return RelevanceModel(self.texts, self.keywords, threshold=threshold, window=self.window)

    def with_urls(self, urls: Sequence[str]) -> SeedSet:
        """The same profile with the seed URLs replaced, in order (used by the demo)."""
        seeds = list(self.seeds)
        if len(urls) > len(seeds):
            raise SeedError(f"{len(urls)} URLs given for {len(seeds)} seeds")
        for i, url in enumerate(urls):
            check_seed_url(url)
            seeds[i] = Seed(
                url=url,
                title=seeds[i].title,
                author=seeds[i].author,
                published=seeds[i].published,
                site=seeds[i].site,
                text=seeds[i].text,
            )
        return replace(self, seeds=tuple(seeds))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form, to hand the seed set to the crawler process."""
        return {
            "name": self.name,
            "description": self.description,
            "keywords": list(self.keywords),
            "threshold": self.threshold,
            "source": self.source,
            "published_after": self.published_after,
            "published_before": self.published_before,
            "archives": list(self.archives),
            "outlets": list(self.outlets),
            "seeds": [s.__dict__.copy() for s in self.seeds],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeedSet:
        """The seed set of :meth:`to_dict`'s form (a job file, a Prefect parameter, a
        collection's seeds.json); its URLs are checked as a seed file's are."""
        for seed in data["seeds"]:
            if seed.get("url"):
                check_seed_url(seed["url"])
        return cls(
            name=data["name"],
            description=data.get("description", ""),
            keywords=tuple(data.get("keywords", ())),
            threshold=data.get("threshold"),
            source=data.get("source"),
            published_after=data.get("published_after"),
            published_before=data.get("published_before"),
            archives=tuple(data.get("archives", ())),
            outlets=tuple(data.get("outlets", ())),
            seeds=tuple(Seed(**s) for s in data["seeds"]),
        )


def check_seed_url(url: str, where: str = "seed URL") -> str:
    """Check a seed URL: absolute http(s), and no user name or password in it.

    Seed URLs are published with the corpus (warcinfo, manifest, seeds.json) and
    appear in logs, so credentials in one would be made public: they are refused,
    and the error shows the URL with the password masked.
    """
    if has_userinfo(url):
        raise SeedError(
            f"{where} {redact(url)!r} holds a user name or password, which would be "
            "published with the corpus: remove it from the URL"
        )
    if not is_http_url(url):
        raise SeedError(f"{where} {redact(url)!r} is not an absolute http(s) URL")
    return url


def validate_name(name: str, what: str = "collection name") -> str:
    """Check a name: letters, digits, '.', '_' and '-', starting with a letter or digit."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise SeedError(
            f"invalid {what} {name!r}: use letters, digits, '.', '_' and '-' "
            "(at most 100, starting with a letter or digit)"
        )
    return name


@dataclass
class _Where:
    path: Path
    items: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return ": ".join([str(self.path), *self.items])


def _string(
    table: dict[str, Any], key: str, where: _Where, *, required: bool = False
) -> str | None:
    value = table.get(key)
    if value is None:
        if required:
            raise SeedError(f"{where}: missing required key '{key}'")
        return None
    if not isinstance(value, str) or not value.strip():
        raise SeedError(f"{where}: '{key}' must be a non-empty string")
    return value.strip()


def load_seed_set(path: str | Path) -> SeedSet:
    """Read a seed file (TOML). Every problem raises SeedError naming the file and the spot."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SeedError(f"{path}: no such seed file") from None
    except OSError as exc:
        raise SeedError(f"{path}: cannot read seed file: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SeedError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SeedError(f"{path}: invalid TOML: {exc}") from None

    known = {"collection", "seed", "relevance", "archives", "outlets"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise SeedError(f"{path}: unknown section '{unknown[0]}' (expected {sorted(known)})")

    collection = data.get("collection")
    if not isinstance(collection, dict):
        raise SeedError(f"{path}: missing [collection] table with a 'name'")
    where = _Where(path, ["[collection]"])
    name = _string(collection, "name", where, required=True)
    assert name is not None
    try:
        validate_name(name)
    except SeedError as exc:
        raise SeedError(f"{where}: {exc}") from None
    description = _string(collection, "description", where) or ""

    relevance = data.get("relevance", {})
    if not isinstance(relevance, dict):
        raise SeedError(f"{path}: [relevance] must be a table")
    where = _Where(path, ["[relevance]"])
    keywords = relevance.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
        raise SeedError(f"{where}: 'keywords' must be a list of strings")
    threshold = relevance.get("threshold")
    if threshold is not None and (
        not isinstance(threshold, int | float)
        or isinstance(threshold, bool)
        or not 0 <= threshold < 1
    ):
        raise SeedError(f"{where}: 'threshold' must be a number from 0 up to 1 (not 1)")

    window = {}
    for key in ("published_after", "published_before"):
        value = relevance.get(key)
        if value is None:
            continue
        if isinstance(value, date):  # TOML dates arrive as datetime.date
            value = value.isoformat()
        if not isinstance(value, str) or not _FULL_DATE.match(value):
            raise SeedError(f"{where}: '{key}' must be a date, YYYY-MM-DD")
        window[key] = value
    unknown_keys = sorted(set(relevance) - _RELEVANCE_KEYS)
    if unknown_keys:
        raise SeedError(f"{where}: unknown key '{unknown_keys[0]}'")

    entries = data.get("seed")
    if not isinstance(entries, list) or not entries:
        raise SeedError(f"{path}: no [[seed]] entries")
    seeds = [
        _parse_seed(entry, _Where(path, [f"seed {i}"]), path.parent)
        for i, entry in enumerate(entries, 1)
    ]
    if not any(s.url for s in seeds):
        raise SeedError(f"{path}: no seed has a 'url', so there is nothing to fetch")
    archives = _archives(data.get("archives", []), _Where(path, ["archives"]))
    outlets = _outlets(data.get("outlets", []), _Where(path, ["outlets"]))
    return SeedSet(
        name=name,
        description=description,
        seeds=tuple(seeds),
        keywords=tuple(keywords),
        threshold=float(threshold) if threshold is not None else None,
        source=str(path),
        archives=archives,
        outlets=outlets,
        **window,
    )


#: Outlets of one seed file: each is one CDX query per archive, at least.
MAX_OUTLETS = 200


def _archives(value: Any, where: _Where) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SeedError(f"{where}: must be a list of archive URLs")
    try:
        return tuple(dict.fromkeys(parse_archive(v).url for v in value))
    except NewstrailError as exc:
        raise SeedError(f"{where}: {exc}") from None


def outlet_host(value: str) -> str:
    """The host of an outlet given as a host name or a URL; SeedError if neither."""
    text = value.strip()
    host = (urlsplit(text).netloc if "://" in text else text.split("/", 1)[0]) or ""
    host = host.lower().rstrip(".")
    if not _HOST.match(host):
        raise SeedError(f"outlet {value!r} is not a host name or an http(s) URL")
    return host


def _outlets(value: Any, where: _Where) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SeedError(f"{where}: must be a list of host names or URLs")
    if len(value) > MAX_OUTLETS:
        raise SeedError(f"{where}: {len(value)} outlets, at most {MAX_OUTLETS}")
    try:
        return tuple(dict.fromkeys(outlet_host(v) for v in value))
    except SeedError as exc:
        raise SeedError(f"{where}: {exc}") from None


_SEED_KEYS = {"url", "title", "author", "published", "site", "text", "text_file"}


def _parse_seed(entry: Any, where: _Where, base: Path) -> Seed:
    if not isinstance(entry, dict):
        raise SeedError(f"{where}: must be a table")
    unknown = sorted(set(entry) - _SEED_KEYS)
    if unknown:
        raise SeedError(f"{where}: unknown key '{unknown[0]}' (expected {sorted(_SEED_KEYS)})")
    url = _string(entry, "url", where)
    if url is not None:
        check_seed_url(url, f"{where}: url")
    published = _string(entry, "published", where)
    if published is not None and not _DATE.match(published):
        raise SeedError(f"{where}: published {published!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    text = _string(entry, "text", where)
    text_file = _string(entry, "text_file", where)
    if text and text_file:
        raise SeedError(f"{where}: give 'text' or 'text_file', not both")
    if text_file:
        file = _text_file_path(text_file, base, where)
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SeedError(
                f"{where}: text_file {text_file!r} not found (relative to {base})"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SeedError(f"{where}: cannot read text_file {text_file!r}: {exc}") from None
        if not text.strip():
            raise SeedError(f"{where}: text_file {text_file!r} is empty")
    if url is None and text is None:
        raise SeedError(f"{where}: a seed needs a 'url', a 'text' or a 'text_file'")
    return Seed(
        url=url,
        title=_string(entry, "title", where),
        author=_string(entry, "author", where),
        published=published,
        site=_string(entry, "site", where),
        text=text,
    )


def _text_file_path(text_file: str, base: Path, where: _Where) -> Path:
    """The file ``text_file`` names, which must lie in the seed file's folder (``base``).

    Seed texts are published with the corpus (seeds.json), so a seed file must not
    be able to pull in any other file of the machine it runs on: no absolute
    paths, no ``..`` out of the folder, no symlinks pointing out of it.
    """
    if Path(text_file).is_absolute():
        raise SeedError(
            f"{where}: text_file {text_file!r} is an absolute path; give a path "
            "relative to the seed file's folder"
        )
    folder = base.resolve()
    file = (folder / text_file).resolve()
    if not file.is_relative_to(folder):
        raise SeedError(
            f"{where}: text_file {text_file!r} leads out of the seed file's folder "
            f"({base}); seed texts must lie inside it"
        )
    return file


def seed_set_from_urls(urls: Sequence[str], collection: str) -> SeedSet:
    """A seed set of URLs given on the command line; their texts join the profile once fetched."""
    validate_name(collection)
    if not urls:
        raise SeedError("no seed URLs given")
    for url in urls:
        check_seed_url(url)
    return SeedSet(name=collection, seeds=tuple(Seed(url=u) for u in urls))
