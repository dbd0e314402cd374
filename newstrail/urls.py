"""URL canonicalisation and address checks.

A canonical URL decides what is a duplicate: two links that differ only in
tracking parameters, session ids, fragments, case of the host, the default port
or the order of query parameters name the same page.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from courlan.clean import TRACKERS_RE
from w3lib.url import canonicalize_url

from newstrail.netguard import AddressPolicy

__all__ = [
    "TRACKING_PARAMS",
    "canonical_url",
    "host_key",
    "is_http_url",
    "is_public_address",
    "link_key",
    "not_coverage_reason",
    "strip_params",
    "url_tokens",
]

# Query parameters that identify a visitor, a campaign or a session, never a page:
# courlan's list of trackers (the one trafilatura uses: utm_*, fbclid, gclid,
# ref, source, ...), plus session ids and a few campaign names it does not know.
TRACKING_PARAMS = frozenset(
    {
        "cmpid",
        "ocid",
        "sid",
        "phpsessid",
        "jsessionid",
        "aspsessionid",
        "cfid",
        "cftoken",
        "share",
        "amp;utm_source",
    }
)
TRACKING_PREFIXES = ("hsa_",)

# ";jsessionid=..." style path parameters (Java servlet containers, some CMSs).
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sid|sessionid)=[^/?#]*", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# No --allow-private entries: global addresses only.
_GLOBAL_ONLY = AddressPolicy()


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return (
        lowered in TRACKING_PARAMS
        or lowered.startswith(TRACKING_PREFIXES)
        or TRACKERS_RE.search(lowered) is not None
    )


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


# A crawl asks for the same URL's form several times as one page goes through
# (scheduling, trap guard, archive, analysis): about 4% of the crawler's CPU
# before the last few thousand answers were kept.
@functools.lru_cache(maxsize=4096)
def canonical_url(url: str) -> str:
    """Return the canonical form of ``url`` used to decide what is a duplicate.

    Lower-cases scheme and host, drops the default port, the fragment, tracking
    and session parameters, sorts the query (w3lib's canonicalize_url) and
    normalises percent-escapes.
    """
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    # No user name or password: they are not part of what the page is, and never
    # belong in a published corpus.
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    path = _PATH_SESSION.sub("", parts.path) or "/"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    )
    return canonicalize_url(urlunsplit((scheme, netloc, path, query, "")))


def host_key(url: str) -> str:
    """The server a URL lives on (host and non-default port): the unit of politeness."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None or _DEFAULT_PORTS.get(parts.scheme.lower()) == port:
        return host
    return f"{host}:{port}"


def is_public_address(address: str) -> bool:
    """True only for a globally reachable IP address (``newstrail.netguard``'s table).

    A crawler that follows links from the open web must not be steered into the
    operator's own network (SSRF), so other addresses are refused unless the
    user allows them explicitly (``--allow-private``).
    """
    return _GLOBAL_ONLY.refusal(address) is None


def strip_params(url: str, names: frozenset[str] | set[str]) -> str:
    """``url`` without the query parameters in ``names``."""
    parts = urlsplit(url)
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names]
    )
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


_SLUG_SPLIT = re.compile(r"[^0-9A-Za-z]+")


def url_tokens(url: str) -> list[str]:
    """Words of a URL's path (its slug), for guessing what a link is about."""
    path = urlsplit(url).path
    words = [w for w in _SLUG_SPLIT.split(path) if w]
    # Drop file extensions and bare ids: they say nothing about the topic.
    return [w.lower() for w in words if not w.isdigit() and w.lower() not in {"html", "htm", "php"}]


# Links that lead to no coverage: share and intent endpoints of social networks
# (they open a form prefilled with the page), account pages and comment replies.
# Fetching them only spends budget and annoys the sites. Hosts match with their
# subdomains ("www.", "m."); paths match as prefixes.
_NOT_COVERAGE_PATHS: dict[str, tuple[str, ...]] = {
    "twitter.com": ("/intent/", "/share", "/home?status="),
    "x.com": ("/intent/", "/share"),
    "facebook.com": ("/sharer", "/share", "/dialog/"),
    "linkedin.com": ("/sharearticle", "/shareArticle", "/sharing/", "/cws/share"),
    "reddit.com": ("/submit",),
    "pinterest.com": ("/pin/create",),
    "api.whatsapp.com": ("/send",),
    "web.whatsapp.com": ("/send",),
    "wa.me": ("/",),
    "t.me": ("/share",),
    "telegram.me": ("/share",),
    "tumblr.com": ("/share", "/widgets/share"),
    "addtoany.com": ("/",),
    "sharethis.com": ("/",),
    "news.ycombinator.com": ("/submitlink",),
}
_NOT_COVERAGE_SCHEMES = frozenset(
    {"mailto", "whatsapp", "tel", "sms", "javascript", "fb-messenger"}
)
# Account pages on any site. "/subscribe" is not here: news sites put subscription
# offers and newsletters there, but also topic pages ("/subscribe/climate" is rare,
# yet "/subscriber-only/..." articles exist), so it is left to relevance scoring.
_ACCOUNT_PATHS = (
    "/login",
    "/log-in",
    "/signin",
    "/sign-in",
    "/signup",
    "/sign-up",
    "/register",
    "/wp-login.php",
    "/wp-admin",
    "/account",
    "/my-account",
    "/logout",
)


def link_key(url: str) -> tuple[str | None, str | None]:
    """The canonical URL a crawl would fetch for an outlink, else None and why it is
    never fetched: ``"not-http"`` or ``"not-coverage"`` (:func:`not_coverage_reason`)."""
    if not is_http_url(url):
        return None, "not-http"
    if not_coverage_reason(url) is not None:
        return None, "not-coverage"
    return canonical_url(url), None


def not_coverage_reason(url: str) -> str | None:
    """Why ``url`` cannot be coverage (a share link, an account page, a comment reply), or None.

    Checked on outlinks before they are scored: these links are on every article
    page and lead to forms, not to articles.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in _NOT_COVERAGE_SCHEMES:
        return f"{scheme} link"
    host = (parts.hostname or "").lower()
    path = parts.path or "/"
    lowered = path.lower()
    labels = host.split(".")
    for i in range(len(labels) - 1):
        prefixes = _NOT_COVERAGE_PATHS.get(".".join(labels[i:]))
        if prefixes is not None:
            target = path + ("?" + parts.query if parts.query else "")
            if any(target.lower().startswith(p.lower()) for p in prefixes):
                return "share link"
            break
    query = parts.query.lower()
    if "replytocom=" in query or parts.fragment.lower() in ("respond", "reply"):
        return "comment reply"
    if "/comment-page-" in lowered:
        return "comment page"
    for prefix in _ACCOUNT_PATHS:
        if lowered == prefix or lowered.startswith(prefix + "/"):
            return "account page"
    # Share endpoints that sites and widgets host themselves.
    if lowered.endswith(("/share.php", "/sharer.php")):
        return "share link"
    return None
