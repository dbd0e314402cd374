from __future__ import annotations

import pytest

from newstrail.urls import (
    canonical_url,
    host_key,
    is_http_url,
    is_public_address,
    not_coverage_reason,
    url_tokens,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("HTTP://Example.COM:80/a?b=2&a=1#top", "http://example.com/a?a=1&b=2"),
        ("https://example.com/a?utm_source=x&utm_medium=y&id=3", "https://example.com/a?id=3"),
        ("https://example.com/a;jsessionid=ABC123?x=1", "https://example.com/a?x=1"),
        ("https://example.com/a?sessionid=9&fbclid=z", "https://example.com/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://127.0.0.1:8001/a", "http://127.0.0.1:8001/a"),
    ],
)
def test_canonical_url(a: str, b: str) -> None:
    assert canonical_url(a) == b


def test_host_key_keeps_non_default_ports() -> None:
    assert host_key("http://127.0.0.1:8001/x") == "127.0.0.1:8001"
    assert host_key("https://Example.com:443/x") == "example.com"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False),
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("not-an-ip", False),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_http_urls_and_slugs() -> None:
    assert is_http_url("https://a.org/x")
    assert not is_http_url("mailto:a@b.org")
    assert not is_http_url("/relative")
    assert url_tokens("https://a.org/2020/01/iraq-votes-to-expel-us-troops.html") == [
        "iraq",
        "votes",
        "to",
        "expel",
        "us",
        "troops",
    ]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://twitter.com/intent/tweet?text=Flood&url=https://a.example/x", "share link"),
        ("https://x.com/intent/post?text=x", "share link"),
        ("https://www.facebook.com/sharer/sharer.php?u=https://a.example/x", "share link"),
        ("https://www.facebook.com/dialog/share?app_id=1", "share link"),
        ("https://www.linkedin.com/shareArticle?mini=true&url=x", "share link"),
        ("https://www.linkedin.com/sharing/share-offsite/?url=x", "share link"),
        ("https://www.reddit.com/submit?url=x", "share link"),
        ("https://pinterest.com/pin/create/button/?url=x", "share link"),
        ("https://api.whatsapp.com/send?text=x", "share link"),
        ("https://wa.me/?text=x", "share link"),
        ("https://t.me/share/url?url=x", "share link"),
        ("https://www.tumblr.com/share/link?url=x", "share link"),
        ("https://www.addtoany.com/share#url=x", "share link"),
        ("https://news.example/tools/share.php?u=x", "share link"),
        ("mailto:?subject=Flood", "mailto link"),
        ("whatsapp://send?text=x", "whatsapp link"),
        ("tel:+441234", "tel link"),
        ("https://news.example/wp-login.php?redirect_to=x", "account page"),
        ("https://news.example/login?next=/a", "account page"),
        ("https://news.example/account/settings", "account page"),
        ("https://news.example/2024/05/flood/?replytocom=12#respond", "comment reply"),
        ("https://news.example/2024/05/flood/#respond", "comment reply"),
        ("https://news.example/2024/05/flood/comment-page-2/", "comment page"),
        # Coverage, however close the words.
        ("https://x.com/newsdesk/status/123", None),
        ("https://www.facebook.com/newsdesk/posts/1", None),
        ("https://www.reddit.com/r/news/comments/abc/flood/", None),
        ("https://news.example/accountability/flood-inquiry", None),
        ("https://news.example/login-trouble-at-the-ministry", None),
        ("https://news.example/sharing-economy/flood", None),
        ("https://news.example/subscribe", None),
        ("https://news.example/2024/05/flood/", None),
    ],
)
def test_not_coverage_reason(url: str, reason: str | None) -> None:
    assert not_coverage_reason(url) == reason


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        # courlan's trackers (what trafilatura strips) and the session ids it lacks.
        ("https://a.example/x?id=7&source=rss&xtor=RSS-1", "https://a.example/x?id=7"),
        ("https://a.example/x?page=2&twclid=abc&ref=tw", "https://a.example/x?page=2"),
        ("https://a.example/x?PHPSESSID=1&hsa_acc=2&q=iraq", "https://a.example/x?q=iraq"),
    ],
)
def test_tracking_parameters_are_courlans_and_session_ids(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical
