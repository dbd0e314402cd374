"""Which network addresses a crawl may connect to: global ones, plus what the user allows.

A crawler that follows links from the open web must not be steered into the
operator's own network (SSRF): by default only globally reachable addresses
are allowed. The user widens that with ``--allow-private`` entries, parsed
here into an :class:`AddressPolicy`:

- ``*``: every address (what the bare flag means);
- a host name, ``localhost`` or ``intranet.example``: any address that name
  resolves to, on any port; ``localhost:8080``: on that port only;
- an address or a network, ``127.0.0.1``, ``[::1]``, ``10.0.0.0/8``,
  ``fd00::/8``: any host resolving into it; ``127.0.0.1:8080``,
  ``[::1]:8080``, ``[fd00::/8]:443``: on that port only.

The table of refused ranges is IANA's special-purpose address registries (the
entries not globally reachable), plus multicast, the deprecated site-local
``fec0::/10`` and 6to4 relay ``192.88.99.0/24``. Addresses that carry an IPv4
address inside an IPv6 one (IPv4-mapped, IPv4-compatible, 6to4, Teredo, NAT64)
are refused when the IPv4 address inside is, since that is where the packets
end up. The table is ours rather than ``ipaddress``'s ``is_global``, whose
answers differ between Python patch releases and miss the newest ranges.

No Scrapy or Twisted here: the Scrapy resolver (``newstrail.spiders.resolver``) applies
this policy to every connection.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from newstrail.errors import NewstrailError

__all__ = [
    "ALLOW_ALL",
    "REFUSED_NETWORKS",
    "AddressPolicy",
    "AddressPolicyError",
    "AllowEntry",
    "allow_list",
    "normalise_host",
    "parse_allow_entry",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# The allow-list entry meaning "every address": what a bare --allow-private gives.
ALLOW_ALL = "*"


class AddressPolicyError(NewstrailError):
    """An ``--allow-private`` entry is malformed."""


def _nets(*pairs: tuple[str, str]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(net), name) for net, name in pairs)


# Refused ranges with the name the refusal gives. IANA IPv4 and IPv6 Special-Purpose
# Address Registries (2025), "Globally Reachable: False" (and the N/A ones that are
# not destinations: the deprecated 6to4 relay anycast), plus multicast.
REFUSED_NETWORKS: tuple[tuple[IPNetwork, str], ...] = _nets(
    ("0.0.0.0/8", "'this network'"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared address space: carrier-grade NAT, cloud metadata"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation, TEST-NET-1"),
    ("192.88.99.0/24", "deprecated 6to4 relay anycast"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation, TEST-NET-2"),
    ("203.0.113.0/24", "documentation, TEST-NET-3"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("255.255.255.255/32", "limited broadcast"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("64:ff9b:1::/48", "local-use IPv4/IPv6 translation"),
    ("100::/64", "discard-only"),
    ("100:0:0:1::/64", "dummy prefix"),
    ("2001::/23", "IETF protocol assignments"),
    ("2001:db8::/32", "documentation"),
    ("3fff::/20", "documentation"),
    ("5f00::/16", "SRv6 segment identifiers"),
    ("fc00::/7", "unique local, private"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local, deprecated"),
    ("ff00::/8", "multicast"),
)

# Inside the refused ranges above, the blocks IANA lists as globally reachable.
_GLOBAL_EXCEPTIONS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        "192.0.0.9/32",  # Port Control Protocol anycast
        "192.0.0.10/32",  # TURN anycast
        "2001:1::1/128",  # Port Control Protocol anycast
        "2001:1::2/128",  # TURN anycast
        "2001:1::3/128",  # DNS-SD service registration protocol anycast
        "2001:3::/32",  # AMT
        "2001:4:112::/48",  # AS112-v6
        "2001:20::/28",  # ORCHIDv2
        "2001:30::/28",  # drone remote ID
    )
)

_TEREDO = ipaddress.ip_network("2001::/32")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")

_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_PORTED = re.compile(r"^(?P<host>[^:\[\]]+):(?P<port>[^:]*)$")
_BRACKETED = re.compile(r"^\[(?P<addr>[^\]]*)\](?::(?P<port>.*))?$")


def normalise_host(host: str) -> str:
    """A host name as policies compare it: lower case, no trailing dot, IDNA (ASCII) form."""
    host = host.strip().rstrip(".").lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _ip(address: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(address.strip().strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _named_range(ip: IPAddress) -> tuple[IPNetwork, str] | None:
    if any(ip in net for net in _GLOBAL_EXCEPTIONS if net.version == ip.version):
        return None
    for net, name in REFUSED_NETWORKS:
        if net.version == ip.version and ip in net:
            return net, name
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[tuple[ipaddress.IPv4Address, str]]:
    """The IPv4 addresses packets to ``ip`` are really bound for, with the mechanism's name."""
    if ip.sixtofour is not None:
        return [(ip.sixtofour, "6to4")]
    if ip in _TEREDO:
        assert ip.teredo is not None
        server, client = ip.teredo
        return [(server, "Teredo server"), (client, "Teredo client")]
    if ip in _NAT64:
        return [(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "NAT64")]
    # ::/96 holds the deprecated IPv4-compatible form, except :: and ::1 themselves.
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        return [(ipaddress.IPv4Address(int(ip)), "IPv4-compatible")]
    return []


def _non_global(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a global address, or None when it is."""
    for inner, mechanism in _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else []:
        named = _named_range(inner)
        if named is not None:
            article = "an" if mechanism[0] in "AEIOU" else "a"
            return f"{article} {mechanism} address wrapping {inner}, in {named[0]} ({named[1]})"
    named = _named_range(ip)
    if named is not None:
        return f"in {named[0]} ({named[1]})"
    return None


def _port(text: str, entry: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise AddressPolicyError(
            f"--allow-private {entry!r}: port {text!r} is not a number from 1 to 65535"
        )
    return int(text)


def _network(text: str, entry: str) -> IPNetwork:
    try:
        return ipaddress.ip_network(text)
    except ValueError as exc:
        if "has host bits set" in str(exc):
            fixed = ipaddress.ip_network(text, strict=False)
            raise AddressPolicyError(
                f"--allow-private {entry!r}: {text} has host bits set; did you mean {fixed}?"
            ) from None
        raise AddressPolicyError(
            f"--allow-private {entry!r}: not an IP address or network ({exc})"
        ) from None


@dataclass(frozen=True)
class AllowEntry:
    """One parsed ``--allow-private`` entry: a host name or a network, maybe with a port."""

    text: str
    host: str | None = None
    network: IPNetwork | None = None
    port: int | None = None

    def allows(self, ip: IPAddress, host: str | None, port: int | None) -> bool:
        """True when this entry covers a connection to ``ip`` for ``host`` on ``port``."""
        if self.port is not None and port != self.port:
            return False
        if self.network is not None:
            return self.network.version == ip.version and ip in self.network
        return host is not None and normalise_host(host) == self.host


def parse_allow_entry(entry: str) -> AllowEntry:
    """Parse one ``--allow-private`` value; a malformed one is an AddressPolicyError."""
    text = entry.strip()
    if not text:
        raise AddressPolicyError("--allow-private: empty entry")
    if text == ALLOW_ALL:
        return AllowEntry(text=text, network=None, host=None)
    if "://" in text:
        raise AddressPolicyError(
            f"--allow-private {entry!r}: give a host name, host:port, address or network, "
            "not a URL (a bare --allow-private goes after the seeds)"
        )
    bracketed = _BRACKETED.match(text)
    if bracketed:
        port = None if bracketed["port"] is None else _port(bracketed["port"], entry)
        network = _network(bracketed["addr"], entry)
        if network.version != 6:
            raise AddressPolicyError(
                f"--allow-private {entry!r}: brackets are for IPv6 only; write {bracketed['addr']}"
            )
        return AllowEntry(text=text, network=network, port=port)
    if text.count(":") > 1:  # a bare IPv6 address or network: no port possible
        return AllowEntry(text=text, network=_network(text, entry))
    host, port = text, None
    ported = _PORTED.match(text)
    if ported:
        host, port = ported["host"], _port(ported["port"], entry)
    if re.fullmatch(r"[0-9./]+", host):
        return AllowEntry(text=text, network=_network(host, entry), port=port)
    name = normalise_host(host)
    if len(name) > 253 or not all(_HOST_LABEL.match(label) for label in name.split(".")):
        raise AddressPolicyError(
            f"--allow-private {entry!r}: not a host name, host:port, address or network"
        )
    return AllowEntry(text=text, host=name, port=port)


def allow_list(value: bool | str | Iterable[str] | None) -> tuple[str, ...]:
    """The ``--allow-private`` entries of a setting that may still be the old boolean.

    ``True`` is the bare flag (every address), ``False`` or None none; a string is
    one entry. Every entry is checked, so a bad one fails here, as a one-line
    AddressPolicyError, and not when the crawl starts.
    """
    if value is None or value is False:
        return ()
    if value is True:
        return (ALLOW_ALL,)
    entries = (value,) if isinstance(value, str) else tuple(value)
    AddressPolicy.parse(entries)
    return entries


@dataclass(frozen=True)
class AddressPolicy:
    """Global addresses always; other addresses only when an allow entry covers them."""

    entries: tuple[AllowEntry, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AddressPolicy:
        """The policy of these ``--allow-private`` values (none: global addresses only)."""
        return cls(tuple(parse_allow_entry(e) for e in entries))

    @property
    def allows_all(self) -> bool:
        """True when the policy lets every address through (bare ``--allow-private``)."""
        return any(e.text == ALLOW_ALL for e in self.entries)

    def to_strings(self) -> list[str]:
        """The entries as given, to pass the policy through settings or a job file."""
        return [e.text for e in self.entries]

    def refusal(self, address: str, host: str | None = None, port: int | None = None) -> str | None:
        """Why connecting to ``address`` (for ``host`` on ``port``) is refused, or None.

        The reason is one line that names the host, the address, its range and the
        narrowest ``--allow-private`` entry that would allow it.
        """
        ip = _ip(address)
        if ip is None:
            return f"{address!r} is not an IP address"
        # Dual-stack sockets show IPv4 peers in this form: it is the IPv4 address.
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        why = _non_global(ip)
        if why is None or self.allows_all:
            return None
        if any(e.allows(ip, host, port) for e in self.entries if e.text != ALLOW_ALL):
            return None
        shown = f"[{ip}]" if ip.version == 6 else str(ip)
        is_name = host is not None and _ip(host) is None
        target = normalise_host(host) if is_name and host is not None else shown
        allow = f"{target}:{port}" if port is not None else target
        subject = f"{target} resolves to {ip}, " if is_name else f"{ip} is "
        return f"{subject}{why}: not allowed (to allow it: --allow-private {allow})"

    def literal_refusal(self, host: str, port: int | None = None) -> str | None:
        """Why a URL whose host is an IP literal is refused, or None (also for host names).

        Host names are checked when they are resolved for the connection; an IP
        literal needs no resolution, so it is checked on its own, before a request.
        """
        if _ip(host) is None:
            return None
        return self.refusal(host, host, port)
