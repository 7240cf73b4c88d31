"""Serve an ``http.server`` request handler class to the tests of a layer.

The handler runs on the layer's multi-threaded server (a thread per
connection) with the usual :class:`http.server.BaseHTTPRequestHandler`
API. Every request goes through the server's own HTTP/1.1 parser first,
whatever the handler's base class: a malformed or ambiguous request (a
request line without version, a bad Content-Length, a smuggling shape) is
answered with a 4xx and never reaches the handler; a chunked body reaches
it de-chunked, with its Content-Length.
"""

from __future__ import annotations

import http.server
from collections.abc import Callable
from typing import Any

from gocept.httpserverlayer._errors import ConfigurationError
from gocept.httpserverlayer._handler import HandlerProtocol
from gocept.httpserverlayer._layer import ServerLayer
from gocept.httpserverlayer._report import request_line
from gocept.httpserverlayer._server import Protocol
from gocept.httpserverlayer._server import Server
from gocept.httpserverlayer._site import Site

__all__ = ["Layer", "RequestHandler"]


class RequestHandler(http.server.BaseHTTPRequestHandler):
    """A request handler for tests: it writes no log line per request.

    With GOCEPT_HTTP_VERBOSE_LOGGING on it logs one line per request to
    the ``gocept.httpserverlayer`` logger (and standard error).

    .. versionchanged:: 5.0
       The checks of malformed and ambiguous requests it made moved into
       the layer's server, which makes them for every handler class.
    """

    def log_message(self, format: str, *args: Any) -> None:
        if getattr(self.server, "verbose", False):
            request_line(f"{self.address_string()} {format % args}")


class Layer(ServerLayer):
    """Serves a request handler class over HTTP to the tests of the layer.

    The server starts once at setUp and stops at tearDown; each connection
    is served on its own thread, each request by a new instance of the
    handler class. The connection carries the next request where the
    handler allows it (``protocol_version = "HTTP/1.1"`` and a response
    with Content-Length), as with :mod:`http.server`. Requests are
    recorded in ``http_requests`` (with the status the handler wrote) and
    held between two tests like those of every layer; an exception in the
    handler is reported, kept in ``http_errors`` and answered with a 500
    when the handler had written nothing yet.

    Resources: ``request_handler`` (the handler class), ``http_host``,
    ``http_port``, ``http_address``, ``httpd``, ``httpd_thread``,
    ``http_requests``, ``http_errors``, ``http_scheme``, ``http_url``.

    :param request_handler: a :class:`http.server.BaseHTTPRequestHandler`
        subclass, such as a subclass of :class:`RequestHandler`.

    .. versionchanged:: 5.0
       Requests are parsed and checked by the server before the handler
       sees them; a request per handler instance; requests held between
       tests; a 500 for a handler's exception.
    """

    def __init__(
        self,
        request_handler: Callable[..., Any] | None = None,
        *args: Any,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.request_handler = request_handler

    def setUpApplication(self) -> None:
        """Check that there is a handler; set the resource."""
        if self.request_handler is None:
            raise ConfigurationError(
                f"Layer {self.__module__}.{self.__name__} has no request"
                " handler: pass a BaseHTTPRequestHandler subclass, as in"
                " custom.Layer(MyHandler)."
            )
        self["request_handler"] = self.request_handler

    def make_protocol(self, site: Site, server: Server) -> Protocol:
        """The request handler route, with this layer's handler."""
        assert self.request_handler is not None
        return HandlerProtocol(self.request_handler, site, server)

    def tearDownApplication(self) -> None:
        """Delete the resource."""
        try:
            del self["request_handler"]
        except KeyError:
            pass  # setUpApplication failed before it set it
