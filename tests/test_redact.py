"""Secrets are masked in lines bound for logs and error messages."""

from __future__ import annotations

import io
import logging

import pytest

from newstrail.redact import RedactingFilter, has_userinfo, install_redaction, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "fetch failed: http://user:hunter2@a.org/x?b=1 (timeout)",
            "fetch failed: http://user:***@a.org/x?b=1 (timeout)",
        ),
        ("redis://:hunter2@10.0.0.5:6379/0", "redis://:***@10.0.0.5:6379/0"),
        ("https://hunter2@github.com/o/r.git", "https://***@github.com/o/r.git"),
        (
            "https://a.org/x?token=hunter2&page=2&password=hunter2#top",
            "https://a.org/x?token=***&page=2&password=***#top",
        ),
        (
            "s3 GET https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA1/2&X-Amz-Signature=ab12",
            "s3 GET https://b.s3.amazonaws.com/k?X-Amz-Credential=***&X-Amz-Signature=***",
        ),
        ("https://a.org/?api_key=hunter2", "https://a.org/?api_key=***"),
        (
            "AWS_SECRET_ACCESS_KEY=wJalr/K7MDENG+bPx export X=1",
            "AWS_SECRET_ACCESS_KEY=*** export X=1",
        ),
        ("aws_session_token = hunter2", "aws_session_token = ***"),
        ('REDIS_PASSWORD="two words" next', 'REDIS_PASSWORD="***" next'),
        ('{"api_key": "hunter2", "page": 2}', '{"api_key": "***", "page": 2}'),
        ('{"token": "hunter2"}', '{"token": "***"}'),
        ("API_TOKEN: hunter2", "API_TOKEN: ***"),
        ("Authorization: Bearer eyJhbGciOi.x.y", "Authorization: Bearer ***"),
        ("Authorization: Basic dXNlcjpodW50ZXIy", "Authorization: Basic ***"),
    ],
)
def test_secrets_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert "hunter2" not in redact(text)
    assert redact(redact(text)) == redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "https://a.org/2024/01/troops-leave?page=2&utm_source=x",
        "https://a.org/@someone/post",
        "mailto:editor@a.org",
        "written by editor@a.org on Monday",
        "robots.txt of https://a.org:8443/ disallows /private",
        "AWS_ENDPOINT_URL=http://127.0.0.1:9000",
        "a secret: the budget ran out",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_has_userinfo() -> None:
    assert has_userinfo("http://u:p@h/") and has_userinfo(" https://token@h/x")
    assert has_userinfo("http://@h/")
    assert not has_userinfo("http://h/a@b") and not has_userinfo("https://a.org/x?to=a@b.org")


def test_the_logging_filter_masks_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("newstrail.test_redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("fetch failed: %s (%s)", "http://u:hunter2@a.org/", "timeout")
        try:
            raise ValueError("bad redis://:hunter2@10.0.0.5:6379/0")
        except ValueError:
            logger.exception("frontier down")
        logger.warning("nothing secret: %d pages", 3)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "hunter2" not in text
    assert "fetch failed: http://u:***@a.org/ (timeout)" in text
    assert "ValueError: bad redis://:***@10.0.0.5:6379/0" in text
    assert "nothing secret: 3 pages" in text


def test_install_redaction_masks_records_for_handlers_added_later() -> None:
    factory = logging.getLogRecordFactory()
    stream = io.StringIO()
    logger = logging.getLogger("newstrail.test_redact.installed")
    logger.propagate = False
    try:
        install_redaction()
        install_redaction()  # twice: still one mask, no error
        # A handler that arrives afterwards, as Scrapy's root handler does.
        handler = logging.StreamHandler(stream)
        logger.addHandler(handler)
        logger.error("store %s unreachable", "s3://AKIA:hunter2@bucket/x")
        logger.removeHandler(handler)
    finally:
        logging.setLogRecordFactory(factory)
    assert stream.getvalue() == "store s3://AKIA:***@bucket/x unreachable\n"
