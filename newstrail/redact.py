"""Mask secrets in text bound for logs, error messages and anything published.

newstrail's corpora are public, and so are many logs: a password in a URL, a
query token or an AWS key must never be written out as is.
"""

from __future__ import annotations

import logging
import re
from typing import Any

__all__ = ["MASK", "RedactingFilter", "has_userinfo", "install_redaction", "redact"]

MASK = "***"

# scheme://user:password@host or scheme://token@host (the user part may be a token:
# https://TOKEN@github.com/...). Stops at the first character that ends a netloc.
_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^\s/?#@:'\"<>]*)"
    r"(?::(?P<password>[^\s/?#@'\"<>]*))?@"
)

# Query or form values whose name says they are secret: ?password=..., &access_token=...
_SECRET_PARAM = re.compile(
    r"(?P<name>[?&;](?:[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey"
    r"|auth|credential|signature|session[_-]?id|sig)[A-Za-z0-9_.-]*)=)(?P<value>[^&#\s'\"<>]+)",
    re.IGNORECASE,
)

# NAME=value and NAME: value pairs of environment variables and config files whose
# name says they are secret: AWS_SECRET_ACCESS_KEY=..., aws_session_token = ...,
# REDIS_PASSWORD=..., "api_key": "...".
_SECRET_ASSIGNMENT = re.compile(
    r"(?P<name>\b[A-Za-z0-9_.-]*(?:SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY"
    r"|ACCESS_?KEY)[A-Za-z0-9_]*(?P<quoted>['\"]?)\s*(?P<sep>[=:])\s*)"
    r"(?P<value>\"[^\"]*\"|'[^']*'|[^\s'\",&;]+)",
    re.IGNORECASE,
)

# Authorization headers: the credentials follow the scheme name.
_AUTHORIZATION = re.compile(
    r"(?P<name>\bAuthorization['\"]?\s*[:=]\s*['\"]?(?:Basic|Bearer|Token|AWS4-HMAC-SHA256)?\s*)"
    r"(?P<value>[^\s'\"]+)",
    re.IGNORECASE,
)


def _mask_userinfo(match: re.Match[str]) -> str:
    if match["password"] is not None:
        return f"{match['scheme']}{match['user']}:{MASK}@"
    # A user name alone is often a token (https://TOKEN@host/): mask it too.
    return f"{match['scheme']}{MASK}@" if match["user"] else match[0]


def _mask_assignment(match: re.Match[str]) -> str:
    value = match["value"]
    if value.strip("'\"").startswith(MASK):  # masked already, as a URL's password
        return match[0]
    key = match["name"].rstrip(" \t:='\"")
    if match["sep"] == ":" and not match["quoted"] and key.isalpha() and key.islower():
        # "secret: 3 pages" is prose; "api_key: x", "TOKEN: x", '"token": x' are not.
        return match[0]
    quote = value[0] if value[0] in "'\"" else ""
    return f"{match['name']}{quote}{MASK}{quote}"


def redact(text: str) -> str:
    """``text`` with the secrets it may hold masked as ``***``.

    Masks the password of ``scheme://user:password@host`` (and the whole user
    part when it stands alone, as tokens do), query values named like secrets
    (``password=``, ``token=``, ``api_key=``, ``X-Amz-Signature=``...), the value of
    ``NAME=value`` pairs named like secrets (``AWS_SECRET_ACCESS_KEY=``,
    ``aws_session_token =``, ``REDIS_PASSWORD=``) and Authorization credentials.
    Everything else is left as is, so the line stays useful.
    """
    text = _USERINFO.sub(_mask_userinfo, text)
    text = _SECRET_PARAM.sub(lambda m: f"{m['name']}{MASK}", text)
    text = _AUTHORIZATION.sub(lambda m: f"{m['name']}{MASK}", text)
    return _SECRET_ASSIGNMENT.sub(_mask_assignment, text)


def has_userinfo(url: str) -> bool:
    """True when ``url`` carries user-info (``scheme://user:password@host``, ``user@``)."""
    return _USERINFO.match(url.strip()) is not None


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in every record passing a handler.

    Put it on handlers, not loggers: records of child loggers reach the handlers
    without passing their ancestors' filters. In a Scrapy process, prefer
    :func:`install_redaction`: Scrapy replaces its root handler when a crawler is
    created, and a filter put on the old one is lost.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_redaction() -> None:
    """Mask secrets in every log record this process creates, whoever writes it out.

    Done where records are made (the log record factory), so it holds for every
    handler, including those Scrapy installs or replaces later. Installing twice
    is harmless.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "newstrail_redacting", False):
        return
    masker = RedactingFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        masker.filter(record)
        return record

    factory.newstrail_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
