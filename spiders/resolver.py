"""The address guard on the connection itself: a Scrapy DNS resolver that applies the policy.

Twisted's HTTP/1.1 client (Scrapy's ``http``/``https`` handler) connects through
``HostnameEndpoint``, which asks the reactor's name resolver for the addresses
of a host once per connection and connects to exactly those addresses. This
resolver is that name resolver: it resolves the host once and hands the
connection only the addresses the :class:`~newstrail.netguard.AddressPolicy`
allows. The check and the connection use the same answer, so a name that
resolves to a public address for a check and to ``127.0.0.1`` for the
connection (DNS rebinding) cannot reach anything the policy refuses, and a
refused host is never connected to: nothing is sent, nothing is archived.

When no address is left, ``HostnameEndpoint`` fails the download with Twisted's
``DNSLookupError`` (Scrapy's ``CannotResolveHostError``);
:class:`AddressRefusalMiddleware` turns that into an ``IgnoreRequest`` that says
which address was refused and how to allow it, and counts it in the
``newstrail/refused_address`` stat.

Settings:

- ``TWISTED_DNS_RESOLVER = "newstrail.spiders.resolver.PolicyResolver"`` (Scrapy 2.19's name
  for the resolver setting; ``DNS_RESOLVER`` is deprecated);
- ``NEWSTRAIL_ADDRESS_POLICY``: the ``--allow-private`` entries, a list of strings
  (see ``newstrail.netguard``); empty or unset: global addresses only; ``["*"]``:
  every address;
- ``DNSCACHE_ENABLED`` and ``DNSCACHE_SIZE``, as for Scrapy's resolvers: answers
  are cached per host, and checked against the policy on every use.

Scrapy builds the resolver once per process (with the ``CrawlerProcess``, before
any crawler exists), so it reads the process's settings and has no crawler
stats of its own: the middleware counts refusals.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attr
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.settings import BaseSettings
from scrapy.utils.datatypes import LocalCache
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import (
    IAddress,
    IHostnameResolver,
    IHostResolution,
    IResolutionReceiver,
)
from zope.interface import implementer

from newstrail.netguard import AddressPolicy, normalise_host

if TYPE_CHECKING:
    from typing import Self

__all__ = [
    "POLICY_SETTING",
    "AddressRefusalMiddleware",
    "PolicyResolver",
    "installed_resolver",
    "policy_from_settings",
    "request_refusal",
]

logger = logging.getLogger(__name__)

POLICY_SETTING = "NEWSTRAIL_ADDRESS_POLICY"
_DEFAULT_PORTS = {"http": 80, "https": 443}


# Twisted's interfaces are zope interfaces, which mypy cannot check without a plugin:
# these protocols say what this module uses of them.
class _Receiver(Protocol):
    def resolutionBegan(self, resolutionInProgress: Any) -> None: ...
    def addressResolved(self, address: IAddress) -> None: ...
    def resolutionComplete(self) -> None: ...


class _NameResolver(Protocol):
    def resolveHostName(
        self,
        resolutionReceiver: Any,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> Any: ...


class _Reactor(Protocol):
    @property
    def nameResolver(self) -> Any: ...
    def installNameResolver(self, resolver: Any) -> Any: ...


def policy_from_settings(settings: BaseSettings) -> AddressPolicy:
    """The address policy of a crawl: ``NEWSTRAIL_ADDRESS_POLICY``'s allow-list entries."""
    return AddressPolicy.parse(settings.getlist(POLICY_SETTING))


def _host_and_port(request: Request) -> tuple[str, int | None]:
    parts = urlparse_cached(request)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.hostname or "", port or _DEFAULT_PORTS.get(parts.scheme)


def request_refusal(policy: AddressPolicy, request: Request) -> str | None:
    """Why ``request``'s URL is refused when its host is an IP literal, else None.

    For the downloader middleware, before robots.txt and the budget: a literal
    needs no lookup, so it is refused before anything is queued for it. Host
    names are left to :class:`PolicyResolver`, which checks the addresses the
    connection will use.
    """
    host, port = _host_and_port(request)
    return policy.literal_refusal(host, port)


@implementer(IHostResolution)
class _Resolution:
    """A resolution answered from the cache, which has nothing left to cancel."""

    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:
        pass


def _with_port(address: IAddress, port: int) -> IAddress:
    if getattr(address, "port", port) == port:
        return address
    return attr.evolve(address, port=port)  # type: ignore[misc]


@implementer(IResolutionReceiver)
class _Answer:
    """Collects the upstream resolver's addresses, then hands the allowed ones on."""

    def __init__(
        self,
        resolver: PolicyResolver,
        receiver: _Receiver,
        host: str,
        port: int,
        key: tuple[str, frozenset[type[IAddress]] | None],
    ) -> None:
        self.resolver = resolver
        self.receiver = receiver
        self.host = host
        self.port = port
        self.key = key
        self.addresses: list[IAddress] = []

    def resolutionBegan(self, resolutionInProgress: IHostResolution) -> None:
        self.receiver.resolutionBegan(resolutionInProgress)

    def addressResolved(self, address: IAddress) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        if self.addresses and self.resolver.cache.limit:
            self.resolver.cache[self.key] = [_with_port(a, 0) for a in self.addresses]
        self.resolver.deliver(self.receiver, self.host, self.port, self.addresses)


@implementer(IHostnameResolver)
class PolicyResolver:
    """Scrapy DNS resolver that hands connections only the addresses the policy allows.

    Resolves IPv4 and IPv6 with the reactor's own name resolver (``getaddrinfo``
    in a thread), in the same way as Scrapy's ``CachingHostnameResolver``.
    """

    def __init__(
        self,
        reactor: _Reactor,
        policy: AddressPolicy,
        cache_size: int = 0,
        upstream: _NameResolver | None = None,
    ) -> None:
        self.reactor = reactor
        self.policy = policy
        current = reactor.nameResolver
        # Installed twice in one process (tests): wrap what the first one wrapped.
        while isinstance(current, PolicyResolver):
            current = current.upstream
        self.upstream: _NameResolver = upstream if upstream is not None else current
        self.cache: LocalCache[tuple[str, frozenset[type[IAddress]] | None], list[IAddress]] = (
            LocalCache(cache_size)
        )
        # The last refusal of each (host, port), for AddressRefusalMiddleware's message.
        self._refusals: LocalCache[tuple[str, int], str] = LocalCache(10_000)

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: _Reactor) -> Self:
        """Build from the process's settings (Scrapy passes the CrawlerProcess here)."""
        settings: BaseSettings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, policy_from_settings(settings), cache_size)

    def install_on_reactor(self) -> None:
        """Become the reactor's name resolver, for host-name endpoints and ``connectTCP``."""
        # installNameResolver also makes reactor.resolver (the IResolverSimple that
        # connectTCP uses for names) a wrapper of this resolver.
        self.reactor.installNameResolver(self)

    def resolveHostName(
        self,
        resolutionReceiver: _Receiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> Any:
        """Resolve ``hostName`` once; tell the receiver only the allowed addresses."""
        key = (normalise_host(hostName), frozenset(addressTypes) if addressTypes else None)
        cached = self.cache.get(key) if self.cache.limit else None
        if cached is not None:
            resolution = _Resolution(hostName)
            resolutionReceiver.resolutionBegan(resolution)
            self.deliver(resolutionReceiver, hostName, portNumber, cached)
            return resolution
        answer = _Answer(self, resolutionReceiver, hostName, portNumber, key)
        return self.upstream.resolveHostName(
            answer, hostName, portNumber, addressTypes, transportSemantics
        )

    def deliver(
        self,
        receiver: _Receiver,
        host: str,
        port: int,
        addresses: Sequence[IAddress],
    ) -> None:
        """Hand ``receiver`` the addresses of ``host`` the policy allows on ``port``."""
        refused: list[str] = []
        allowed = 0
        for address in addresses:
            ip = str(getattr(address, "host", ""))
            reason = self.policy.refusal(ip, host, port or None)
            if reason is None:
                receiver.addressResolved(_with_port(address, port))
                allowed += 1
            else:
                refused.append(reason)
        key = (normalise_host(host), port)
        if refused and not allowed:
            self._refusals[key] = refused[0]
            # Info, not warning: a hostile page can link to any number of internal
            # hosts; the refusal reaches the request's errback and the crawl's stats.
            logger.info("refused %s:%s: %s", host, port, refused[0])
        else:
            self._refusals.pop(key, None)
            if refused:
                logger.info(
                    "%s:%s: %d address(es) left out: %s", host, port, len(refused), refused[0]
                )
        receiver.resolutionComplete()

    def refusal_for(self, host: str, port: int | None) -> str | None:
        """Why the last lookup of ``host`` for ``port`` gave the connection no address."""
        return self._refusals.get((normalise_host(host), port or 0))


def installed_resolver() -> PolicyResolver | None:
    """The PolicyResolver installed on the running reactor, if it is the one installed."""
    from twisted.internet import reactor

    resolver = getattr(reactor, "nameResolver", None)
    return resolver if isinstance(resolver, PolicyResolver) else None


class AddressRefusalMiddleware:
    """Say why a download failed when the resolver refused every address of its host.

    ``HostnameEndpoint`` reports a host left without addresses as a plain
    ``DNSLookupError`` (which Scrapy's handler turns into ``CannotResolveHostError``,
    an exception Scrapy retries); this middleware replaces it with an
    ``IgnoreRequest`` naming the refused address and the ``--allow-private`` entry
    that would allow it, counts it in ``newstrail/refused_address``, and so keeps
    the retry middleware from trying again. Its ``process_exception`` must run before
    Scrapy's ``RetryMiddleware`` (550), so it sits above it: 560.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception) -> None:
        if not isinstance(exception, DNSLookupError | CannotResolveHostError):
            return
        resolver = installed_resolver()
        if resolver is None:
            return
        host, port = _host_and_port(request)
        reason = resolver.refusal_for(host, port)
        if reason is None:
            return
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("newstrail/refused_address")
        raise IgnoreRequest(f"refused {request.url}: {reason}")
