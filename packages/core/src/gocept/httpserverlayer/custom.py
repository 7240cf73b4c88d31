"""Serve an ``http.server`` request handler class to the tests of a layer.

The handler runs on a threading server (a thread per connection) with the
usual :class:`http.server.BaseHTTPRequestHandler` API.
"""

from __future__ import annotations

import http.server
from typing import Any

from gocept.httpserverlayer._capture import TeeReader
from gocept.httpserverlayer._layer import ServerLayer
from gocept.httpserverlayer._records import Request
from gocept.httpserverlayer._report import request_line
from gocept.httpserverlayer._report import verbose_logging
from gocept.httpserverlayer._server import Connection
from gocept.httpserverlayer._server import Error
from gocept.httpserverlayer._server import Server

__all__ = ["Layer", "RequestHandler"]


class RequestHandler(http.server.BaseHTTPRequestHandler):
    """A request handler for tests: it writes no log line per request.

    With GOCEPT_HTTP_VERBOSE_LOGGING set it logs one line per request to
    the ``gocept.httpserverlayer`` logger (and standard error).

    Unlike :class:`http.server.BaseHTTPRequestHandler` it answers a
    malformed request with a full HTTP/1.0 error response (the standard
    library sends an HTTP/0.9 body without status line or headers when the
    request line has no version, or says HTTP/0.9), and it answers 400 to
    a request with a malformed or repeated Content-Length, or with both
    Content-Length and Transfer-Encoding: ``http.server`` ignores
    Transfer-Encoding, so such a body could carry a second, smuggled
    request that the handler would then serve.

    .. versionchanged:: 5.0
       Full error responses; ambiguous request framing refused.
    """

    default_request_version = "HTTP/1.0"

    def setup(self) -> None:
        super().setup()
        # Copies each request's body into the layer's record.
        self.rfile = TeeReader(self.rfile)  # type: ignore[assignment]

    def send_error(
        self, code: int, message: str | None = None, explain: str | None = None
    ) -> None:
        """Send an error response, with status line and headers always."""
        # http.server leaves out the status line and headers for a request
        # that said HTTP/0.9: a client could not tell the error page from a
        # response.
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"
        super().send_error(code, message, explain)

    def parse_request(self) -> bool:
        """Parse the request; refuse HTTP/0.9 and ambiguous framing."""
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":
            self.send_error(505, explain="HTTP/0.9 is not supported.")
            return False
        lengths = self.headers.get_all("Content-Length") or []
        if len(lengths) > 1 or not all(
            v.strip().isascii() and v.strip().isdigit() for v in lengths
        ):
            self.send_error(400, explain=f"Bad Content-Length {lengths!r}.")
            return False
        if lengths and "Transfer-Encoding" in self.headers:
            self.send_error(
                400,
                explain="A request must not have both Content-Length and"
                " Transfer-Encoding.",
            )
            return False
        records = getattr(self.server, "records", None)
        if records is not None and isinstance(self.rfile, TeeReader):
            self.rfile.start(records.max_body)
        return True

    def log_request(
        self, code: int | str = "-", size: int | str = "-"
    ) -> None:
        """Record the request in the layer's ``http_requests``; log it."""
        records = getattr(self.server, "records", None)
        if records is not None and str(code).isdigit():
            # An error found while parsing the request comes before the
            # handler has its command, path or headers.
            request = Request(
                getattr(self, "command", None) or "",
                getattr(self, "path", None) or "",
                int(code),
                None,
                getattr(self, "headers", None),
            )
            if isinstance(self.rfile, TeeReader):
                # What the handler read of the body before it answered.
                body, request.body_truncated = self.rfile.stop()
                request._capture = _Kept(body)
            records.add(request)
        super().log_request(code, size)

    def log_message(self, format: str, *args: Any) -> None:
        if verbose_logging():
            request_line(f"{self.address_string()} {format % args}")


class _Kept:
    """A body copied before the record was made: nothing left to read."""

    def __init__(self, kept: bytes) -> None:
        self.kept = kept

    def complete(self) -> None:
        pass


class Layer(ServerLayer):
    """Serves a request handler class over HTTP to the tests of the layer.

    The server starts once at setUp and stops at tearDown; each connection
    is served on its own thread by an instance of the handler class.

    Resources: ``request_handler`` (the handler class), ``http_host``,
    ``http_port``, ``http_address``, ``httpd``, ``httpd_thread``.

    :param request_handler: a :class:`http.server.BaseHTTPRequestHandler`
        subclass, such as a subclass of :class:`RequestHandler`.
    """

    def __init__(
        self, request_handler: Any = None, *args: Any, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.request_handler = request_handler

    def setUp(self) -> None:
        if self.request_handler is None:
            raise Error(
                f"Layer {self.__module__}.{self.__name__} has no request"
                " handler: pass a BaseHTTPRequestHandler subclass, as in"
                " custom.Layer(MyHandler)."
            )
        self["request_handler"] = self.request_handler
        try:
            self.start_server(self.make_server(self._handle))
        except BaseException:
            del self["request_handler"]
            raise

    def tearDown(self) -> None:
        try:
            self.stop_server()
        finally:
            del self["request_handler"]

    def _handle(self, connection: Connection, server: Server) -> None:
        self.request_handler(connection.sock, connection.address, server)
