"""Scrapy's HTTP download handler, with a limit on the size of response headers.

Twisted's HTTP client keeps every header line a server sends, with no limit on
their number or on a folded header's continuation lines: a server that sends
headers without end grew a crawler past 5.9 GB before the download timeout
(30 s) stopped it. This handler gives up on a response whose status line and
headers pass :data:`MAX_HEADER_BYTES` (256 KiB, Chromium's limit too): the
request fails with :class:`ResponseHeadersTooLarge` and the crawl goes on.

It is Scrapy's own ``HTTP11DownloadHandler`` with one change, the protocol its
connection pool builds (Scrapy 2.19 sets ``_pool._factory`` the same way for its
lenient parser): each response counts the bytes it receives until its headers
are complete.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
)
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.internet.interfaces import IAddress
from twisted.python.failure import Failure
from twisted.web._newclient import HEADER, STATUS, HTTP11ClientProtocol

__all__ = [
    "MAX_HEADER_BYTES",
    "SENT_META",
    "BoundedHTTPDownloadHandler",
    "ResponseHeadersTooLarge",
]

#: Bytes of status line and headers one response may have.
MAX_HEADER_BYTES = 256 * 1024
#: request.meta key: when the request went to the network (a UTC datetime).
SENT_META = "newstrail_sent_at"


class ResponseHeadersTooLarge(Exception):
    """A response's status line and headers passed :data:`MAX_HEADER_BYTES`."""


class _BoundedHeadersProtocol(_LenientHTTP11ClientProtocol):
    _header_bytes = 0

    def request(self, request: Any) -> Any:
        self._header_bytes = 0
        return super().request(request)

    def dataReceived(self, data: bytes) -> None:
        parser = self._parser
        if parser is not None and parser.state in (STATUS, HEADER):
            # Counted by the chunk: a chunk that ends the headers may hold some of
            # the body too, so the limit is met at most one chunk late.
            self._header_bytes += len(data)
            if self._header_bytes > MAX_HEADER_BYTES:
                message = f"response headers over {MAX_HEADER_BYTES // 1024} KiB"
                self._giveUp(Failure(ResponseHeadersTooLarge(message)))  # type: ignore[no-untyped-call]
                return
        super().dataReceived(data)  # type: ignore[no-untyped-call]


class _BoundedHeadersFactory(_LenientHTTP11ClientFactory):
    def buildProtocol(self, addr: IAddress | None) -> HTTP11ClientProtocol:
        return _BoundedHeadersProtocol(self._quiescentCallback)  # type: ignore[no-untyped-call]


class BoundedHTTPDownloadHandler(HTTP11DownloadHandler):
    """``HTTP11DownloadHandler`` whose responses may not have over 256 KiB of headers.

    It also notes when each request goes to the network (``SENT_META``, a UTC
    datetime): after the host's delay, as the connection is taken or opened. The
    archive dates the exchange's records by it, as WARC 1.1 asks (the moment
    capture began), not by the arrival of the last byte.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._pool._factory = _BoundedHeadersFactory

    async def download_request(self, request: Request) -> Response:
        request.meta[SENT_META] = datetime.now(UTC)
        return await super().download_request(request)
