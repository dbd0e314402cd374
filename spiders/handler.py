"""Scrapy's HTTP download handler, recording what goes over the wire, with a limit
on the size of response headers.

**The bytes on the wire.** Scrapy keeps a response's headers only as parsed
(names recased, repeats regrouped, the reason phrase and the request as sent
gone). This handler keeps, for each download, the request exactly as it was
written to the connection (request line, headers, blank line and body) and the
response's status line and headers exactly as they were received, up to and
including the blank line (``request.meta[WIRE_META]``, a :class:`WireBytes`).
They are taken inside the HTTP protocol, below TLS (after it, the bytes are
plain HTTP), and the archive writes them as they are. A response body is kept
as Scrapy hands it over: de-chunked, not content-decoded.

**Headers without end.** Twisted's HTTP client keeps every header line a server
sends, with no limit on their number or on a folded header's continuation
lines: a server that sends headers without end grew a crawler past 5.9 GB
before the download timeout (30 s) stopped it. This handler gives up on a
response whose status line and headers pass :data:`MAX_HEADER_BYTES` (256 KiB,
Chromium's limit too): the request fails with :class:`ResponseHeadersTooLarge`
and the crawl goes on.

It is Scrapy's own ``HTTP11DownloadHandler`` with its connection pool building
another protocol (Scrapy 2.19 sets ``_pool._factory`` the same way for its
lenient parser) and its agent handing the recorded bytes over with the response.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import Any, cast

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
    _ResultT,
    _ScrapyAgent,
)
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadTimeoutError, ResponseDataLossError
from scrapy.http import Response
from scrapy.utils._download_handlers import (
    get_dataloss_msg,
    make_response,
    wrap_twisted_exceptions,
)
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IAddress
from twisted.python.failure import Failure
from twisted.web._newclient import HEADER, STATUS, HTTP11ClientProtocol

__all__ = [
    "MAX_HEADER_BYTES",
    "SENT_META",
    "TIMED_OUT",
    "WIRE_META",
    "BoundedHTTPDownloadHandler",
    "ResponseHeadersTooLarge",
    "WireBytes",
    "truncation",
]

logger = logging.getLogger(__name__)

#: Bytes of status line and headers one response may have.
MAX_HEADER_BYTES = 256 * 1024
#: Bytes of one request (line, headers and body) kept as sent; a longer one is not kept.
MAX_REQUEST_BYTES = 1024 * 1024
#: request.meta key: when the request went to the network (a UTC datetime).
SENT_META = "newstrail_sent_at"
#: request.meta key: the :class:`WireBytes` of the request's last download.
WIRE_META = "newstrail_wire"
#: Response flag: the download timed out mid-body; the response holds what came.
TIMED_OUT = "newstrail-timed-out"

_TEE = "_newstrail_tee"
_HEAD = "_newstrail_head"


@dataclass(frozen=True)
class WireBytes:
    """What went over the wire for one download.

    ``request``: the request line, headers, blank line and body as written to the
    connection (None if over :data:`MAX_REQUEST_BYTES`). ``response_head``: the
    status line and headers as received, with the blank line that ends them
    (None if the response never completed its headers).
    """

    request: bytes | None
    response_head: bytes | None


def truncation(flags: list[str]) -> str | None:
    """Why a response's body is not whole, as WARC-Truncated says it, or None.

    ``length``: stopped at a size limit (``StopDownload``); ``disconnect``: the
    connection closed before the body's announced end (Scrapy's ``dataloss``);
    ``time``: the download timed out mid-body (:data:`TIMED_OUT`).
    """
    if "download_stopped" in flags:
        return "length"
    if "dataloss" in flags:
        return "disconnect"
    if TIMED_OUT in flags:
        return "time"
    return None


class ResponseHeadersTooLarge(Exception):
    """A response's status line and headers passed :data:`MAX_HEADER_BYTES`."""


class _Tee:
    """A connection's transport, keeping a copy of what one request writes to it."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self.sent = bytearray()
        self.complete = True

    def _keep(self, data: bytes) -> None:
        if len(self.sent) + len(data) > MAX_REQUEST_BYTES:
            self.complete = False
        elif self.complete:
            self.sent += data

    def write(self, data: bytes) -> None:
        self._keep(data)
        self._transport.write(data)

    def writeSequence(self, data: list[bytes]) -> None:
        for piece in data:
            self._keep(piece)
        self._transport.writeSequence(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def response_head(received: bytes) -> bytes | None:
    """The final response's status line and headers at the start of ``received``,
    through the blank line; informational (1xx) responses before it are skipped."""
    while True:
        ends = [i + 4 for i in (received.find(b"\r\n\r\n"),) if i >= 0]
        ends += [i + 2 for i in (received.find(b"\n\n"),) if i >= 0]
        if not ends:
            return None
        end = min(ends)
        head, received = received[:end], received[end:]
        parts = head.split(None, 2)
        if len(parts) >= 2 and parts[1][:1] == b"1" and len(parts[1]) == 3:
            continue  # 100 Continue, 103 Early Hints: the parser skips them too
        return head


class _RecordingParser(_LenientHTTPClientParser):
    """Scrapy's lenient response parser, handing the recorded bytes to the response
    as its headers end: the response is delivered (and may be complete) before
    the protocol's ``dataReceived`` returns."""

    _recorder: _RecordingProtocol

    def allHeadersReceived(self) -> None:
        recorder = self._recorder
        setattr(self.response, _HEAD, response_head(bytes(recorder.received)))
        setattr(self.response, _TEE, recorder.tee)
        super().allHeadersReceived()  # type: ignore[no-untyped-call]


class _RecordingProtocol(_LenientHTTP11ClientProtocol):
    _header_bytes = 0
    #: Told the request's URL once its bytes are written to the connection.
    on_sent: Callable[[str], None] | None = None

    def request(self, request: Any) -> Any:
        self._header_bytes = 0
        self.received = bytearray()
        transport = self.transport
        self.tee = _Tee(transport)
        # Twisted writes the request to self.transport while request() runs (a
        # body producer keeps the transport it was given): the tee sees all of it.
        self.transport = self.tee  # type: ignore[assignment]
        try:
            result = super().request(request)
        finally:
            self.transport = transport
        uri = getattr(request, "_parsedURI", None)
        if self.on_sent is not None and uri is not None:
            self.on_sent(uri.toBytes().decode("ascii", "replace"))
        # As Scrapy swaps in its lenient parser (it adds no state; neither does ours).
        parser = self._parser
        if parser is not None:
            parser.__class__ = _RecordingParser
            parser._recorder = self  # type: ignore[attr-defined]
        return result

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
            self.received += data
        super().dataReceived(data)  # type: ignore[no-untyped-call]


class _RecordingFactory(_LenientHTTP11ClientFactory):
    #: Given to each connection's protocol (``_RecordingProtocol.on_sent``).
    on_sent: Callable[[str], None] | None = None

    def buildProtocol(self, addr: IAddress | None) -> HTTP11ClientProtocol:
        protocol = _RecordingProtocol(self._quiescentCallback)  # type: ignore[no-untyped-call]
        protocol.on_sent = self.on_sent
        return protocol


class _RecordingAgent(_ScrapyAgent):
    """Scrapy's agent, leaving the download's :class:`WireBytes` in the request's meta."""

    _wire: WireBytes | None = None

    def download_request(self, request: Request) -> Deferred[Response]:
        # Never the bytes of an earlier download (meta goes on to redirects and retries).
        request.meta[WIRE_META] = None

        def keep(response: Response) -> Response:
            request.meta[WIRE_META] = self._wire
            return response

        return super().download_request(request).addCallback(keep)

    def _cb_timeout(self, result: Any, request: Request, url: str, timeout: float) -> Any:
        try:
            return super()._cb_timeout(result, request, url, timeout)
        except DownloadTimeoutError:
            # Timed out mid-body: what came is evidence too, archived as such.
            partial = self._partial(url)
            if partial is None:
                raise
            logger.info("%s: timed out after %s s mid-body; kept what came", url, timeout)
            return partial

    def _partial(self, url: str) -> Response | None:
        txresponse = self._txresponse
        reader = getattr(txresponse, "_bodyProtocol", None)
        buffer = getattr(reader, "_bodybuf", None)
        if txresponse is None or not isinstance(buffer, BytesIO):
            return None
        self._cb_bodydone_wire(txresponse)
        version = txresponse.version
        return make_response(
            url=url,
            status=int(txresponse.code),
            headers=self._headers_from_twisted_response(txresponse),
            body=buffer.getvalue(),
            flags=[TIMED_OUT],
            ip_address=getattr(reader, "_ip_address", None),
            protocol=f"{version[0].decode()}/{version[1]}.{version[2]}",
        )

    def _cb_bodydone_wire(self, txresponse: Any) -> None:
        tee = getattr(txresponse, _TEE, None)
        sent = bytes(tee.sent) if isinstance(tee, _Tee) and tee.complete else None
        self._wire = WireBytes(sent, getattr(txresponse, _HEAD, None))

    def _cb_bodydone(self, result: _ResultT, url: str) -> Response:
        self._cb_bodydone_wire(result["txresponse"])
        return super()._cb_bodydone(result, url)


class BoundedHTTPDownloadHandler(HTTP11DownloadHandler):
    """``HTTP11DownloadHandler`` recording the bytes on the wire, whose responses may
    not have over 256 KiB of headers.

    It also notes when each request goes to the network (``SENT_META``, a UTC
    datetime): after the host's delay, as the connection is taken or opened. The
    archive dates the exchange's records by it, as WARC 1.1 asks (the moment
    capture began), not by the arrival of the last byte.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._pool._factory = _RecordingFactory

    def tell_sent(self, on_sent: Callable[[str], None]) -> None:
        """Have ``on_sent`` called with each request's URL once its bytes are
        written to the connection (the moment it leaves, not when it was queued)."""
        telling = type("_TellingFactory", (_RecordingFactory,), {"on_sent": staticmethod(on_sent)})
        self._pool._factory = cast("type[_RecordingFactory]", telling)

    async def download_request(self, request: Request) -> Response:
        request.meta[SENT_META] = datetime.now(UTC)
        # HTTP11DownloadHandler.download_request with the recording agent.
        agent = _RecordingAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=self._default_maxsize,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                logger.warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
