"""The address policy: global addresses only, plus what ``--allow-private`` names."""

from __future__ import annotations

import pytest

from newstrail.errors import NewstrailError
from newstrail.netguard import AddressPolicy, AddressPolicyError, allow_list, parse_allow_entry
from newstrail.urls import is_public_address

DEFAULT = AddressPolicy.parse([])

# One address in every block of IANA's IPv4 and IPv6 Special-Purpose Address
# Registries that is not globally reachable, with the range the refusal must name.
REFUSED = [
    # IPv4 registry
    ("0.0.0.0", "0.0.0.0/8"),
    ("0.1.2.3", "0.0.0.0/8"),
    ("10.20.30.40", "10.0.0.0/8"),
    ("100.64.0.1", "100.64.0.0/10"),
    ("100.100.100.200", "100.64.0.0/10"),  # Alibaba Cloud metadata
    ("100.127.255.254", "100.64.0.0/10"),
    ("127.0.0.1", "127.0.0.0/8"),
    ("127.255.0.9", "127.0.0.0/8"),
    ("169.254.169.254", "169.254.0.0/16"),  # AWS, GCP, Azure metadata
    ("172.16.0.1", "172.16.0.0/12"),
    ("172.31.255.255", "172.16.0.0/12"),
    ("192.0.0.1", "192.0.0.0/24"),  # IETF protocol assignments
    ("192.0.0.8", "192.0.0.0/24"),  # IPv4 dummy address
    ("192.0.0.170", "192.0.0.0/24"),  # NAT64/DNS64 discovery
    ("192.0.2.1", "192.0.2.0/24"),
    ("192.88.99.1", "192.88.99.0/24"),
    ("192.168.1.1", "192.168.0.0/16"),
    ("198.18.0.1", "198.18.0.0/15"),
    ("198.19.255.1", "198.18.0.0/15"),
    ("198.51.100.7", "198.51.100.0/24"),
    ("203.0.113.9", "203.0.113.0/24"),
    ("224.0.0.251", "224.0.0.0/4"),  # multicast (mDNS)
    ("239.255.255.250", "224.0.0.0/4"),
    ("240.0.0.1", "240.0.0.0/4"),
    ("255.255.255.255", "240.0.0.0/4"),
    # IPv6 registry
    ("::", "::/128"),
    ("::1", "::1/128"),
    ("::ffff:127.0.0.1", "127.0.0.0/8"),  # IPv4-mapped: the IPv4 address itself
    ("::ffff:10.0.0.1", "10.0.0.0/8"),
    ("64:ff9b:1::a", "64:ff9b:1::/48"),
    ("100::1", "100::/64"),
    ("100:0:0:1::1", "100:0:0:1::/64"),
    ("2001:2::1", "2001::/23"),  # benchmarking
    ("2001:10::1", "2001::/23"),  # deprecated ORCHID
    ("2001:db8::1", "2001:db8::/32"),
    ("3fff::1", "3fff::/20"),
    ("5f00::1", "5f00::/16"),
    ("fc00::1", "fc00::/7"),
    ("fd12:3456::1", "fc00::/7"),
    ("fe80::1", "fe80::/10"),
    ("fe80::1%eth0", "fe80::/10"),
    ("fec0::1", "fec0::/10"),
    ("ff02::1", "ff00::/8"),
    ("ff0e::1", "ff00::/8"),
    # IPv4 inside IPv6: the IPv4 address decides
    ("2002:a9fe:a9fe::1", "169.254.0.0/16"),  # 6to4 of the metadata address
    ("2002:7f00:1::", "127.0.0.0/8"),
    ("2002:c0a8:101::1", "192.168.0.0/16"),
    ("64:ff9b::7f00:1", "127.0.0.0/8"),  # NAT64
    ("64:ff9b::a9fe:a9fe", "169.254.0.0/16"),
    ("::7f00:1", "127.0.0.0/8"),  # IPv4-compatible
    ("::a00:1", "10.0.0.0/8"),
    # Teredo: server 65.54.227.120, client 10.0.0.1 (obfuscated: ~0a000001)
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "10.0.0.0/8"),
    # Teredo: server 127.0.0.1 (the server may be the private one)
    ("2001:0:7f00:1:8000:63bf:3fff:fdd2", "127.0.0.0/8"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "192.0.2.0/24"),  # RFC 4380's example
]

# Global addresses, and the blocks inside refused ranges IANA lists as global.
ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "100.63.255.255",  # just below shared address space
    "100.128.0.1",  # just above
    "172.15.255.255",
    "172.32.0.1",
    "192.0.0.9",  # PCP anycast
    "192.0.0.10",  # TURN anycast
    "192.31.196.1",  # AS112-v4
    "192.52.193.1",  # AMT
    "192.175.48.1",  # AS112 direct delegation
    "198.17.255.255",
    "223.255.255.254",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",  # IPv4-mapped public address
    "64:ff9b::808:808",  # NAT64 of a public address
    "2002:808:808::1",  # 6to4 of a public address
    "2001:1::1",  # PCP anycast
    "2001:3::1",  # AMT
    "2001:4:112::1",  # AS112-v6
    "2001:20::1",  # ORCHIDv2
    "2001:30::1",  # drone remote ID
    "2620:4f:8000::1",  # AS112 direct delegation
]


@pytest.mark.parametrize(("address", "network"), REFUSED)
def test_non_global_addresses_are_refused_naming_the_range(address: str, network: str) -> None:
    reason = DEFAULT.refusal(address, "news.example", 443)
    assert reason is not None
    assert f"in {network} (" in reason
    assert reason.startswith("news.example resolves to ")
    assert reason.endswith("(to allow it: --allow-private news.example:443)")
    assert "\n" not in reason
    # The bare flag allows every one of them.
    assert AddressPolicy.parse(["*"]).refusal(address, "news.example", 443) is None


@pytest.mark.parametrize("address", ALLOWED)
def test_global_addresses_pass(address: str) -> None:
    assert DEFAULT.refusal(address, "news.example", 443) is None
    assert DEFAULT.refusal(address) is None


def test_wrapped_addresses_name_the_mechanism() -> None:
    reason = DEFAULT.refusal("2002:a9fe:a9fe::1")
    assert reason is not None
    assert reason.startswith("2002:a9fe:a9fe::1 is a 6to4 address wrapping 169.254.169.254")
    reason = DEFAULT.refusal("64:ff9b::7f00:1")
    assert reason is not None and "a NAT64 address wrapping 127.0.0.1" in reason
    reason = DEFAULT.refusal("2001:0:4136:e378:8000:63bf:f5ff:fffe")
    assert reason is not None and "a Teredo client address wrapping 10.0.0.1" in reason
    reason = DEFAULT.refusal("::7f00:1")
    assert reason is not None and "an IPv4-compatible address wrapping 127.0.0.1" in reason


def test_not_an_address_is_refused() -> None:
    assert DEFAULT.refusal("localhost") == "'localhost' is not an IP address"


@pytest.mark.parametrize(
    ("entries", "address", "host", "port", "allowed"),
    [
        (["127.0.0.1"], "127.0.0.1", "localhost", 8080, True),
        (["127.0.0.1"], "127.0.0.2", "localhost", 8080, False),
        (["127.0.0.0/8"], "127.0.0.2", "localhost", 8080, True),
        (["127.0.0.1:8080"], "127.0.0.1", "localhost", 8080, True),
        (["127.0.0.1:8080"], "127.0.0.1", "localhost", 8081, False),
        (["localhost"], "127.0.0.1", "localhost", 1, True),
        (["LocalHost."], "127.0.0.1", "localhost", 1, True),
        (["localhost"], "127.0.0.1", "other.example", 1, False),
        (["localhost:8080"], "127.0.0.1", "localhost", 8080, True),
        (["localhost:8080"], "127.0.0.1", "localhost", 9090, False),
        (["localhost:8080"], "127.0.0.1", None, 8080, False),
        (["10.0.0.0/8"], "10.9.8.7", "intranet.example", 80, True),
        (["10.0.0.0/8"], "::ffff:10.9.8.7", "intranet.example", 80, True),  # same host
        (["10.0.0.0/8"], "2002:a09:807::1", "intranet.example", 80, False),  # not the same
        (["10.0.0.0/8"], "192.168.0.1", "intranet.example", 80, False),
        (["[::1]"], "::1", "localhost", 80, True),
        (["::1"], "::1", "localhost", 80, True),
        (["[::1]:80"], "::1", "localhost", 81, False),
        (["fd00::/8"], "fd12::1", "h.example", 80, True),
        (["[fd00::/8]:443"], "fd12::1", "h.example", 443, True),
        (["[fd00::/8]:443"], "fd12::1", "h.example", 80, False),
        (["bücher.example"], "10.0.0.1", "xn--bcher-kva.example", 80, True),
        (["intranet.example", "127.0.0.1:9"], "127.0.0.1", "localhost", 9, True),
    ],
)
def test_allow_entries(
    entries: list[str], address: str, host: str | None, port: int, allowed: bool
) -> None:
    policy = AddressPolicy.parse(entries)
    assert (policy.refusal(address, host, port) is None) is allowed
    assert policy.to_strings() == entries
    assert not policy.allows_all


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("", "empty entry"),
        ("10.1.2.3/8", "10.1.2.3/8 has host bits set; did you mean 10.0.0.0/8?"),
        ("localhost:0", "port '0' is not a number from 1 to 65535"),
        ("localhost:99999", "port '99999' is not a number"),
        ("localhost:http", "port 'http' is not a number"),
        ("[::1]:x", "port 'x' is not a number"),
        ("[10.0.0.1]", "brackets are for IPv6 only; write 10.0.0.1"),
        ("[::1", "not an IP address or network"),
        ("300.1.1.1", "not an IP address or network"),
        ("fd00::/300", "not an IP address or network"),
        ("under_score.example", "not a host name, host:port, address or network"),
        ("-lead.example", "not a host name"),
        ("a..b", "not a host name"),
        ("http://localhost/", "not a URL"),
    ],
)
def test_malformed_entries_are_one_line_errors(entry: str, message: str) -> None:
    with pytest.raises(AddressPolicyError) as info:
        AddressPolicy.parse(["localhost", entry])
    assert isinstance(info.value, NewstrailError)
    assert message in str(info.value)
    assert str(info.value).startswith("--allow-private")
    assert "\n" not in str(info.value)


def test_bare_flag_allows_everything() -> None:
    policy = AddressPolicy.parse(["*"])
    assert policy.allows_all
    assert policy.refusal("169.254.169.254", "meta.example", 80) is None
    assert parse_allow_entry(" * ").text == "*"


def test_literal_refusal_checks_ip_hosts_only() -> None:
    assert DEFAULT.literal_refusal("localhost", 80) is None  # a name: the resolver checks it
    assert DEFAULT.literal_refusal("8.8.8.8", 80) is None
    assert DEFAULT.literal_refusal("127.0.0.1", 8080) == (
        "127.0.0.1 is in 127.0.0.0/8 (loopback): not allowed "
        "(to allow it: --allow-private 127.0.0.1:8080)"
    )
    assert DEFAULT.literal_refusal("[::1]", 8080) == (
        "::1 is in ::1/128 (loopback): not allowed (to allow it: --allow-private [::1]:8080)"
    )
    assert AddressPolicy.parse(["[::1]:8080"]).literal_refusal("::1", 8080) is None
    assert AddressPolicy.parse(["127.0.0.1"]).literal_refusal("127.0.0.1", 8080) is None


def test_allow_list_takes_the_old_boolean_and_checks_entries() -> None:
    assert allow_list(True) == ("*",)
    assert allow_list(False) == () and allow_list(None) == () and allow_list([]) == ()
    assert allow_list("localhost:8080") == ("localhost:8080",)
    assert allow_list(["10.0.0.0/8", "[::1]"]) == ("10.0.0.0/8", "[::1]")
    with pytest.raises(AddressPolicyError, match="not a URL"):
        allow_list(["https://a.org/seed"])


@pytest.mark.parametrize(("address", "network"), REFUSED)
def test_is_public_address_follows_the_same_table(address: str, network: str) -> None:
    # What the rest of the code asks (is_public_address) is the guard's answer.
    assert is_public_address(address) is False


@pytest.mark.parametrize("address", ALLOWED)
def test_is_public_address_passes_global_addresses(address: str) -> None:
    assert is_public_address(address) is True
