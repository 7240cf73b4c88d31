"""Serve an ``http.server`` request handler class to the tests of a layer.

The handler runs on a threading server (a thread per connection) with the
usual :class:`http.server.BaseHTTPRequestHandler` API.
"""

from __future__ import annotations

import http.server
from typing import Any

from gocept.httpserverlayer._layer import ServerLayer
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
    """

    def log_message(self, format: str, *args: Any) -> None:
        if verbose_logging():
            request_line(f"{self.address_string()} {format % args}")


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
