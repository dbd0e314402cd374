"""The address guard on the connection: real Scrapy crawls against servers on loopback.

Each crawl runs in a subprocess (``tests/crawl_probe.py``: a reactor runs once
per process) with ``newstrail.spiders.resolver.PolicyResolver`` as Scrapy's resolver;
``localhost`` resolves to 127.0.0.1 through the system's own resolver
(``/etc/hosts``). The servers count the connections they accept, so "refused"
means the server saw nothing at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.settings import Settings

from newstrail.netguard import AddressPolicyError
from newstrail.spiders.resolver import policy_from_settings
from tests.probe_fixtures import CountingServer, guarded, probe


@pytest.fixture
def server() -> Iterator[CountingServer]:
    srv = CountingServer("127.0.0.1")
    yield srv
    srv.close()


@pytest.mark.parametrize("policy", [None, []])
def test_a_name_resolving_to_loopback_is_refused_before_any_connection(
    tmp_path: Path, server: CountingServer, policy: list[str] | None
) -> None:
    url = f"http://localhost:{server.port}/"
    out = probe(tmp_path, [url], guarded(policy))
    assert out["responses"] == []
    assert out["errors"] == [
        [
            url,
            "IgnoreRequest",
            f"refused {url}: localhost resolves to 127.0.0.1, in 127.0.0.0/8 (loopback): "
            f"not allowed (to allow it: --allow-private localhost:{server.port})",
        ]
    ]
    assert server.connections == 0
    assert out["stats"]["newstrail/refused_address"] == 1
    assert "retry/count" not in out["stats"]  # refused once, not retried


@pytest.mark.parametrize(
    "policy", [["127.0.0.1"], ["127.0.0.0/8"], ["localhost:{port}"], ["localhost"], ["*"]]
)
def test_an_allowed_loopback_address_is_fetched(
    tmp_path: Path, server: CountingServer, policy: list[str]
) -> None:
    url = f"http://localhost:{server.port}/"
    entries = [p.format(port=server.port) for p in policy]
    out = probe(tmp_path, [url], guarded(entries))
    assert out["errors"] == []
    assert out["responses"] == [[url, 200, "127.0.0.1"]]
    assert server.connections == 1
    assert "newstrail/refused_address" not in out["stats"]


def test_an_allowance_for_another_port_does_not_apply(
    tmp_path: Path, server: CountingServer
) -> None:
    url = f"http://localhost:{server.port}/"
    out = probe(tmp_path, [url], guarded([f"localhost:{server.port + 1}", "127.0.0.1:1"]))
    assert out["responses"] == []
    [[_, kind, message]] = out["errors"]
    assert kind == "IgnoreRequest"
    assert message.endswith(f"(to allow it: --allow-private localhost:{server.port})")
    assert server.connections == 0


def test_ip_literals_are_refused_by_the_resolver_too(
    tmp_path: Path, server: CountingServer
) -> None:
    # Twisted's HostnameEndpoint hands IP literals to the name resolver as well, so the
    # resolver guards them even without the middleware's literal check.
    url = f"http://127.0.0.1:{server.port}/"
    out = probe(tmp_path, [url], guarded([]))
    assert out["errors"] == [
        [
            url,
            "IgnoreRequest",
            f"refused {url}: 127.0.0.1 is in 127.0.0.0/8 (loopback): "
            f"not allowed (to allow it: --allow-private 127.0.0.1:{server.port})",
        ]
    ]
    assert server.connections == 0
    out = probe(tmp_path, [url], guarded([f"127.0.0.1:{server.port}"]))
    assert out["responses"] == [[url, 200, "127.0.0.1"]]


def test_without_the_resolver_scrapy_connects(tmp_path: Path, server: CountingServer) -> None:
    # What the resolver setting changes: Scrapy's own resolver lets loopback through.
    url = f"http://localhost:{server.port}/"
    out = probe(tmp_path, [url], {"NEWSTRAIL_ADDRESS_POLICY": []})
    assert out["responses"] == [[url, 200, "127.0.0.1"]]
    assert server.connections == 1


def test_a_rebinding_name_reaches_only_the_address_that_was_checked(tmp_path: Path) -> None:
    # 127.0.0.2 stands for a public address (the policy allows it), 127.0.0.1 for an
    # internal one. The name answers 127.0.0.2 once, then 127.0.0.1, as a rebinding
    # attacker's DNS server does. Every connection is made to the answer its own
    # lookup was checked on, so the internal server is never reached.
    public = CountingServer("127.0.0.2")
    try:
        internal = CountingServer("127.0.0.1", public.port)
    except OSError:
        public.close()
        pytest.skip("the port taken on 127.0.0.2 is busy on 127.0.0.1")
    try:
        urls = [f"http://rebind.test:{public.port}/{page}" for page in "abc"]
        out = probe(
            tmp_path,
            urls,
            guarded(["127.0.0.2"], DNSCACHE_ENABLED=False),
            rebind={"host": "rebind.test", "answers": ["127.0.0.2", "127.0.0.1"]},
        )
        assert [r[1:] for r in out["responses"]] == [[200, "127.0.0.2"]]
        assert len(out["errors"]) == 2
        for _, kind, message in out["errors"]:
            assert kind == "IgnoreRequest"
            assert "rebind.test resolves to 127.0.0.1, in 127.0.0.0/8 (loopback)" in message
        assert internal.connections == 0
        assert public.connections == 1
        # One lookup per connection attempt: the check and the connection share it.
        assert out["lookups"] == {"rebind.test": 3}
    finally:
        public.close()
        internal.close()


def test_a_cached_answer_is_checked_on_every_use(tmp_path: Path, server: CountingServer) -> None:
    # With Scrapy's DNS cache on, the name is looked up once; each connection's port
    # is still checked against the policy.
    other = CountingServer("127.0.0.1")
    try:
        urls = [f"http://rebind.test:{server.port}/", f"http://rebind.test:{other.port}/"]
        out = probe(
            tmp_path,
            urls,
            guarded([f"rebind.test:{server.port}"], DNSCACHE_ENABLED=True, CONCURRENT_REQUESTS=1),
            rebind={"host": "rebind.test", "answers": ["127.0.0.1"]},
        )
        assert out["responses"] == [[urls[0], 200, "127.0.0.1"]]
        assert [e[:2] for e in out["errors"]] == [[urls[1], "IgnoreRequest"]]
        assert (server.connections, other.connections) == (1, 0)
        assert out["lookups"] == {"rebind.test": 1}
    finally:
        other.close()


def test_a_malformed_policy_setting_is_a_one_line_error() -> None:
    settings = Settings({"NEWSTRAIL_ADDRESS_POLICY": ["localhost", "10.1.2.3/8"]})
    with pytest.raises(AddressPolicyError, match=r"did you mean 10\.0\.0\.0/8"):
        policy_from_settings(settings)
    assert policy_from_settings(Settings()).entries == ()
    # A comma-separated string, as from the command line (-s), is a list too.
    assert policy_from_settings(
        Settings({"NEWSTRAIL_ADDRESS_POLICY": "localhost:1,127.0.0.1"})
    ).to_strings() == ["localhost:1", "127.0.0.1"]
