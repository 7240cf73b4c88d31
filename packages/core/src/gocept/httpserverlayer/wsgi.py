"""Serve a WSGI application to the tests of a layer.

The application is served by a multi-threaded HTTP/1.1 server with
keep-alive (thread per connection), so that a browser's parallel
connections are all served at once.
"""

from __future__ import annotations

import wsgiref.simple_server
from typing import Any

from gocept.httpserverlayer._http import serve_wsgi
from gocept.httpserverlayer._layer import ServerLayer
from gocept.httpserverlayer._report import request_line
from gocept.httpserverlayer._report import verbose_logging
from gocept.httpserverlayer._server import Connection
from gocept.httpserverlayer._server import Error
from gocept.httpserverlayer._server import Server

__all__ = ["FixupMiddleware", "Layer", "LogWSGIRequestHandler"]  # noqa: F822


class LogWSGIRequestHandler(wsgiref.simple_server.WSGIRequestHandler):
    """The request handler of 4.x, for subclasses that name it.

    A :class:`Layer` subclass that sets ``request_handler_class`` to a
    :class:`wsgiref.simple_server.WSGIRequestHandler` subclass is served by
    that handler, one request per connection, on the same threaded server.
    It logs a line per request only when GOCEPT_HTTP_VERBOSE_LOGGING is set.
    """

    def log_message(self, format: str, *args: Any) -> None:
        if verbose_logging():
            request_line(f"{self.address_string()} {format % args}")


class Layer(ServerLayer):
    """Serves a WSGI application over HTTP to the tests of the layer.

    The application is the ``wsgi_app`` attribute when it is set (on the
    instance, a subclass, or as the ``wsgi_app`` keyword), otherwise the
    ``wsgi_app`` resource of a base layer. The server starts once at setUp;
    at every testSetUp the layer picks up the application anew, so a base
    layer may provide a new one per test.

    Resources: ``http_host``, ``http_port``, ``http_address``, ``httpd``,
    ``httpd_thread``.

    :param wsgi_app: the application, instead of setting the attribute.

    .. versionchanged:: 5.0
       Multi-threaded HTTP/1.1 with keep-alive instead of wsgiref; unnamed
       layers get unique names; ``wsgi_app`` keyword.
    """

    #: Set to a :class:`wsgiref.simple_server.WSGIRequestHandler` subclass
    #: to serve requests with it instead of the built-in HTTP/1.1 engine.
    request_handler_class: Any = None

    def __init__(self, *args: Any, wsgi_app: Any = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._wsgi_app = wsgi_app

    @property
    def wsgi_app(self) -> Any:
        """The application: the attribute if set, else a base's resource."""
        if self._wsgi_app is not None:
            return self._wsgi_app
        return self.get("wsgi_app")

    @wsgi_app.setter
    def wsgi_app(self, value: Any) -> None:
        self._wsgi_app = value

    def _application(self) -> Any:
        app = self.wsgi_app
        if app is None:
            raise Error(
                f"Layer {self.__module__}.{self.__name__} has no WSGI"
                " application: set its wsgi_app attribute, or give it a base"
                " layer that provides the 'wsgi_app' resource."
            )
        if not callable(app):
            raise Error(
                f"The wsgi_app of layer {self.__module__}.{self.__name__} is"
                f" {app!r}, which is not callable: it must be a WSGI"
                " application."
            )
        return app

    def setUp(self) -> None:
        app = self._application()
        if self.request_handler_class is None:
            server = self.make_server(serve_wsgi)
        else:
            server = self.make_server(self._serve_with_handler_class)
            server.base_environ = {
                "SERVER_NAME": server.server_name,
                "GATEWAY_INTERFACE": "CGI/1.1",
                "SERVER_PORT": str(server.server_port),
                "REMOTE_HOST": "",
                "CONTENT_LENGTH": "",
                "SCRIPT_NAME": "",
            }
            if server.url_scheme == "https":
                # What wsgiref's handler makes wsgi.url_scheme from.
                server.base_environ["HTTPS"] = "on"
        server.set_app(app)
        self.start_server(server)

    def testSetUp(self) -> None:
        super().testSetUp()
        self["httpd"].set_app(self._application())

    def tearDown(self) -> None:
        self.stop_server()

    def _serve_with_handler_class(
        self, connection: Connection, server: Server
    ) -> None:
        self.request_handler_class(connection.sock, connection.address, server)


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
