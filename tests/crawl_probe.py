"""Run a tiny Scrapy crawl in this process and print what happened, as JSON on stdout.

``python tests/crawl_probe.py SPEC.json``; the spec holds:

- ``urls``: the URLs to fetch, all at once;
- ``settings``: Scrapy settings on top of the probe's own;
- ``rebind`` (optional): ``{"host": NAME, "answers": [IP, ...]}``: before the crawl,
  the reactor's name resolver becomes one that answers NAME with the next
  address of the list at each lookup (the last one repeats), like an attacker's
  DNS server with a zero TTL, and counts the lookups; other names go to the
  system resolver;
- ``audit`` (optional): a file to which every attempt to look up a name other
  than ``localhost`` or to connect to an address other than loopback is
  written, one JSON line each, and refused (an audit hook, installed before
  Scrapy is imported): nothing leaves the machine.

The output: ``responses`` (url, status, address it came from), ``errors`` (url,
exception type, message), ``stats`` and ``lookups`` (per name, with ``rebind``).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import sys
from pathlib import Path
from typing import Any

_LOCAL_NAMES = {"localhost", b"localhost"}


def _is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def install_audit(log: Path) -> None:
    """Record and refuse every name lookup and connection that could leave the machine."""

    def hook(event: str, args: tuple[Any, ...]) -> None:
        target: Any = None
        if event == "socket.getaddrinfo":
            host = args[0]
            if host is None or host in _LOCAL_NAMES or _is_loopback(host):
                return
            target = host
        elif event in ("socket.gethostbyname", "socket.gethostbyname_ex"):
            if args[0] in _LOCAL_NAMES or _is_loopback(args[0]):
                return
            target = args[0]
        elif event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            address = args[-1] if event != "socket.sendmsg" else None
            if not isinstance(address, tuple) or _is_loopback(address[0]):
                return
            target = address[0]
        else:
            return
        if isinstance(target, bytes):
            target = target.decode("ascii", "replace")
        with log.open("a") as fh:
            fh.write(json.dumps({"event": event, "target": str(target)}) + "\n")
        if event.startswith("socket.get"):
            raise socket.gaierror(socket.EAI_NONAME, f"lookup of {target} refused by the probe")
        raise ConnectionRefusedError(f"connection to {target} refused by the probe")

    sys.addaudithook(hook)


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    if spec.get("audit"):
        install_audit(Path(spec["audit"]))

    # Scrapy is imported only now, so the audit hook sees everything it does.
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from twisted.internet.interfaces import IHostnameResolver
    from twisted.python.failure import Failure
    from zope.interface import implementer

    results: dict[str, Any] = {"responses": [], "errors": [], "lookups": {}}

    class Probe(scrapy.Spider):
        name = "probe"

        async def start(self) -> Any:
            for url in spec["urls"]:
                yield scrapy.Request(url, errback=self.failed, dont_filter=True)

        def parse(self, response: scrapy.http.Response) -> None:
            ip = str(response.ip_address) if response.ip_address is not None else None
            results["responses"].append([response.url, response.status, ip])

        def failed(self, failure: Failure) -> None:
            request = failure.request  # type: ignore[attr-defined]
            name = failure.type.__name__ if failure.type else "?"
            results["errors"].append([request.url, name, failure.getErrorMessage()])

    settings: dict[str, Any] = {
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "ROBOTSTXT_OBEY": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "LOGSTATS_INTERVAL": 0,
        "DOWNLOAD_TIMEOUT": 20,
        "RETRY_TIMES": 1,
        **spec.get("settings", {}),
    }
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(Probe)
    process.crawl(crawler)  # installs the reactor; Scrapy's resolver comes at start()

    rebind = spec.get("rebind")
    if rebind:
        from twisted.internet import reactor
        from twisted.internet.address import IPv4Address

        system = reactor.nameResolver

        @implementer(IHostnameResolver)
        class Rebinding:
            def resolveHostName(
                self,
                receiver: Any,
                host: str,
                port: int = 0,
                types: Any = None,
                semantics: str = "TCP",
            ) -> Any:
                if host != rebind["host"]:
                    return system.resolveHostName(receiver, host, port, types, semantics)
                count = results["lookups"].get(host, 0)
                results["lookups"][host] = count + 1
                answer = rebind["answers"][min(count, len(rebind["answers"]) - 1)]
                receiver.resolutionBegan(None)
                receiver.addressResolved(IPv4Address("TCP", answer, port))
                receiver.resolutionComplete()
                return None

        assert type(reactor).__name__ == "AsyncioSelectorReactor"
        reactor.installNameResolver(Rebinding())

    process.start()
    assert crawler.stats is not None and crawler.stats.get_value("finish_reason") == "finished"
    results["stats"] = {k: v for k, v in crawler.stats.get_stats().items() if "time" not in k}
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
