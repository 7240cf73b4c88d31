"""Serve a WSGI application to the tests of a layer.

The application is served by a multi-threaded HTTP/1.1 server with
keep-alive (thread per connection), so that a browser's parallel
connections are all served at once.
"""

from __future__ import annotations

import wsgiref.simple_server
from typing import TYPE_CHECKING
from typing import Any

from gocept.httpserverlayer._errors import ConfigurationError
from gocept.httpserverlayer._handler import HandlerProtocol
from gocept.httpserverlayer._handler import WatchedApp
from gocept.httpserverlayer._layer import ServerLayer
from gocept.httpserverlayer._report import request_line
from gocept.httpserverlayer._server import Protocol
from gocept.httpserverlayer._server import Server
from gocept.httpserverlayer._site import Site
from gocept.httpserverlayer._wsgi import WSGIProtocol

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["FixupMiddleware", "Layer", "LogWSGIRequestHandler"]  # noqa: F822


class LogWSGIRequestHandler(wsgiref.simple_server.WSGIRequestHandler):
    """The request handler of 4.x, for subclasses that name it.

    A :class:`Layer` subclass that sets ``request_handler_class`` to a
    :class:`wsgiref.simple_server.WSGIRequestHandler` subclass is served by
    that handler (see :class:`Layer`). It logs a line per request only when
    GOCEPT_HTTP_VERBOSE_LOGGING is on.
    """

    def log_message(self, format: str, *args: Any) -> None:
        if getattr(self.server, "verbose", False):
            request_line(f"{self.address_string()} {format % args}")


class Layer(ServerLayer):
    """Serves a WSGI application over HTTP to the tests of the layer.

    The application is the ``wsgi_app`` attribute when it is set (on the
    instance, a subclass, or as the ``wsgi_app`` keyword), otherwise the
    ``wsgi_app`` resource of a base layer. The server starts once at setUp;
    at every testSetUp the layer picks up the application anew (before the
    test's requests run), so a base layer may provide a new one per test.

    A chunked request body is read whole before the application runs, and
    the application sees it with its ``CONTENT_LENGTH`` (and without
    ``HTTP_TRANSFER_ENCODING``), as any other body.

    Resources: ``http_host``, ``http_port``, ``http_address``, ``httpd``,
    ``httpd_thread``, ``http_requests``, ``http_errors``, ``http_scheme``,
    ``http_url`` (and ``ca_bundle``, ``ca_spki_hash`` with HTTPS).

    :param wsgi_app: the application, instead of setting the attribute.

    .. versionchanged:: 5.0
       Multi-threaded HTTP/1.1 with keep-alive instead of wsgiref; unnamed
       layers get unique names; ``wsgi_app`` keyword.
    """

    #: Set to a :class:`wsgiref.simple_server.WSGIRequestHandler` subclass
    #: to answer requests with it instead of the built-in HTTP/1.1 engine.
    #: The requests still go through the server's parser, connection loop
    #: and test gate (records, errors, settle, bounded tearDown); the
    #: handler writes the responses as ``wsgiref`` does: HTTP/1.0, and the
    #: connection closed after each.
    request_handler_class: Any = None

    def __init__(
        self, *args: Any, wsgi_app: WSGIApplication | None = None, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self._wsgi_app = wsgi_app

    @property
    def wsgi_app(self) -> WSGIApplication | None:
        """The application: the attribute if set, else a base's resource."""
        if self._wsgi_app is not None:
            return self._wsgi_app
        app: WSGIApplication | None = self.get("wsgi_app")
        return app

    @wsgi_app.setter
    def wsgi_app(self, value: WSGIApplication | None) -> None:
        self._wsgi_app = value

    def _application(self) -> WSGIApplication:
        app = self.wsgi_app
        if app is None:
            raise ConfigurationError(
                f"Layer {self.__module__}.{self.__name__} has no WSGI"
                " application: set its wsgi_app attribute, or give it a base"
                " layer that provides the 'wsgi_app' resource."
            )
        if not callable(app):
            raise ConfigurationError(
                f"The wsgi_app of layer {self.__module__}.{self.__name__} is"
                f" {app!r}, which is not callable: it must be a WSGI"
                " application."
            )
        return app

    def setUpApplication(self) -> None:
        """Check that there is an application to serve."""
        self._application()

    def make_protocol(self, site: Site, server: Server) -> Protocol:
        """The HTTP/1.1 engine, or ``request_handler_class`` if set."""
        site.app = self._served(site, self._application())
        handler = self.request_handler_class
        if handler is None:
            return WSGIProtocol(site)
        server.base_environ = {
            "SERVER_NAME": site.server_name,
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PORT": str(site.server_port),
            "REMOTE_HOST": "",
            "CONTENT_LENGTH": "",
            "SCRIPT_NAME": "",
        }
        if site.url_scheme == "https":
            # What wsgiref's handler makes wsgi.url_scheme from.
            server.base_environ["HTTPS"] = "on"
        return HandlerProtocol(handler, site, server)

    def _served(self, site: Site, app: WSGIApplication) -> WSGIApplication:
        if self.request_handler_class is None:
            return app
        # wsgiref catches the application's exceptions and only prints
        # them: report them as the engine does.
        return WatchedApp(app, site)

    def testSetUpApplication(self) -> None:
        """Serve the application of this test."""
        server = self["httpd"]
        server.set_app(self._served(server.site, self._application()))


def __getattr__(name: str) -> Any:
    if name == "FixupMiddleware":
        try:
            from gocept.httpserverlayer.zope2 import FixupMiddleware
        except ImportError:
            return _MissingFixupMiddleware
        return FixupMiddleware
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _MissingFixupMiddleware:
    """Stands in for FixupMiddleware while gocept.httpserverlayer.zope2 is
    not installed: importing it works (gocept.selenium does so at module
    level), wrapping an application says what to install."""

    def __init__(self, app: Any) -> None:
        raise ImportError(
            "FixupMiddleware is part of the distribution"
            " gocept.httpserverlayer.zope2: install it (pip install"
            " gocept.httpserverlayer.zope2) to wrap an application with it."
        )
