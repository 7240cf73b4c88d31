"""HTTP_SERVER: the Zope application of the current test over real HTTP."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import plone.testing.zope

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer.zope2 import FixupMiddleware

# Plone's own names for the test server's host and port (plone.testing's
# WSGI_SERVER reads them, plone.app.robotframework set-ups set them), the
# first one set wins; GOCEPT_HTTP_APP_HOST and GOCEPT_HTTP_APP_PORT win over
# both.
PLONE_HOST_VARIABLES = ("WSGI_SERVER_HOST", "ZSERVER_HOST")
PLONE_PORT_VARIABLES = ("WSGI_SERVER_PORT", "ZSERVER_PORT")


class Error(Exception):
    """Base class of the errors of gocept.httpserverlayer.plonetesting."""


def _plone_setting(names: tuple[str, ...]) -> tuple[str, str] | None:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return name, value
    return None


class CurrentRegistry:
    """Runs every request with the current global component registry.

    zope.component keeps the site manager of each thread in a thread-local
    that changes only when the thread sets a site. plone.testing layers
    push and pop global registries (``plone.testing.zca``) in the test
    thread, and HTTP_SERVER's worker threads live on from one layer to the
    next: without this, a worker would start a request with the registry of
    a layer that is gone (and Plone's site root would be a 404).

    :param app: the WSGI application to call.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: Any, start_response: Any) -> Any:
        from zope.component.hooks import setSite

        setSite(None)  # also takes the current global site manager
        return self.app(environ, start_response)


def zope_wsgi_app() -> Any:
    """Zope's WSGI publisher behind Zope's ``httpexceptions`` filter.

    The same pipeline as ``plone.testing.zope.WSGI_SERVER``'s, built
    without ``Zope2.Startup.run.make_wsgi_app``, which would read a
    ``zope.conf`` and reconfigure Zope for the rest of the process, and
    wrapped in :class:`~gocept.httpserverlayer.zope2.FixupMiddleware` (a
    400, not a 500 and a traceback, for requests Zope cannot read, such as
    a path that is not UTF-8) and :class:`CurrentRegistry`. To serve more
    middleware, wrap this and pass the result as HTTPServer's
    ``wsgi_app``.
    """
    # Imported here: Zope is started by the STARTUP layer, not at import.
    # Zope ships no type information.
    from ZPublisher.httpexceptions import HTTPExceptionHandler  # type: ignore[import-untyped,unused-ignore]
    from ZPublisher.WSGIPublisher import publish_module  # type: ignore[import-untyped,unused-ignore]

    return CurrentRegistry(
        FixupMiddleware(HTTPExceptionHandler(publish_module))
    )


class HTTPServer(gocept.httpserverlayer.wsgi.Layer):
    """Serves the Zope application of the current test over HTTP.

    Once, at setUp: starts the core's multi-threaded HTTP/1.1 server on
    Zope's WSGI publisher and pushes the ``host`` and ``port`` resources
    that plone.testing.zope's STARTUP layer defines (``nohost`` and 80), so
    that URLs the test computes (``absolute_url()``) point at the server.
    Per test: its base, a ``plone.testing.zope.FunctionalTesting`` layer,
    stacks a ``DemoStorage`` over the fixture's database; Zope's publisher
    opens every request on that database, so what the test commits is served
    and what a request commits is seen by the test (after
    ``transaction.begin()``) and gone in the next test. After each test,
    before the database goes, the server closes idle keep-alive
    connections.

    Resources: ``http_host``, ``http_port``, ``http_address``, ``httpd``,
    ``httpd_thread``, ``host``, ``port``, plus FunctionalTesting's ``app``
    and ``request`` and STARTUP's ``zodbDB``.

    :param wsgi_app: an application to serve instead of Zope's publisher,
        e.g. the publisher behind more middleware.
    """

    @property
    def host(self) -> str:
        """Host name to listen on and to advertise: the attribute if set,
        else ``GOCEPT_HTTP_APP_HOST``, else Plone's ``WSGI_SERVER_HOST``,
        else ``ZSERVER_HOST``, else ``localhost``."""
        if (
            self.__dict__.get("_host")
            or os.environ.get("GOCEPT_HTTP_APP_HOST", "").strip()
        ):
            return str(super().host)
        plone = _plone_setting(PLONE_HOST_VARIABLES)
        return plone[1] if plone else "localhost"

    @host.setter
    def host(self, value: str) -> None:
        self.__dict__["_host"] = value

    @property
    def port(self) -> int:
        """Port to listen on: the attribute if set, else
        ``GOCEPT_HTTP_APP_PORT``, else Plone's ``WSGI_SERVER_PORT``, else
        ``ZSERVER_PORT``, else 0 (the OS picks a free one)."""
        if (
            "_port" in self.__dict__
            or os.environ.get("GOCEPT_HTTP_APP_PORT", "").strip()
        ):
            return int(super().port)
        plone = _plone_setting(PLONE_PORT_VARIABLES)
        if plone is None:
            return 0
        name, value = plone
        if not value.isascii() or not value.isdigit() or int(value) > 65535:
            raise Error(
                f"{name}={value!r} is not a port number: set it to a number"
                " from 1 to 65535, or to 0 or nothing to let the OS pick a"
                " free port."
            )
        return int(value)

    @port.setter
    def port(self, value: int) -> None:
        self.__dict__["_port"] = value

    @property
    def wsgi_app(self) -> Any:
        """The application: the attribute if set, else Zope's publisher."""
        if self._wsgi_app is None:
            self._wsgi_app = zope_wsgi_app()
        return self._wsgi_app

    @wsgi_app.setter
    def wsgi_app(self, value: Any) -> None:
        self._wsgi_app = value

    def setUp(self) -> None:
        super().setUp()
        self["host"] = self["http_host"]
        self["port"] = self["http_port"]

    _make_test_request: Callable[..., Any] | None = None

    def testSetUp(self) -> None:
        super().testSetUp()
        if self["http_scheme"] == "https":
            self._https_test_requests()

    def testTearDown(self) -> None:
        if self._make_test_request is not None:
            plone.testing.zope.makeTestRequest = self._make_test_request
            self._make_test_request = None
        super().testTearDown()

    def _https_test_requests(self) -> None:
        """Make the test's requests for this server say https.

        The request of the test's ``app`` (``FunctionalTesting`` makes it
        for the ``host`` and ``port`` resources) is set to https, and so
        are those that layers on this one make during the test, through
        ``plone.testing.zope.makeTestRequest``, which is restored at
        testTearDown: their ``absolute_url()`` is then the server's.
        """
        host, port = str(self["http_host"]), str(self["http_port"])
        original = plone.testing.zope.makeTestRequest

        def makeTestRequest(environ: Any = None) -> Any:
            environ = dict(environ or {})
            if (
                environ.get("SERVER_NAME"),
                str(environ.get("SERVER_PORT")),
            ) == (
                host,
                port,
            ):
                environ.setdefault("HTTPS", "on")
            return original(environ)

        self._make_test_request = original
        plone.testing.zope.makeTestRequest = makeTestRequest
        request = self.get("request")
        if request is not None:
            request.setServerURL(protocol="https")
            request["ACTUAL_URL"] = request.get("URL")

    def tearDown(self) -> None:
        del self["port"]
        del self["host"]
        super().tearDown()


# The per-test database of HTTP_SERVER: a layer of its own (not
# plone.testing.zope.FUNCTIONAL_TESTING), so that the server's testTearDown,
# which closes idle connections, runs before the database is closed.
ZOPE_FUNCTIONAL = plone.testing.zope.FunctionalTesting(
    bases=(plone.testing.zope.STARTUP,),
    name="HTTPServer:ZopeFunctional",
    module="gocept.httpserverlayer.plonetesting",
)

HTTP_SERVER = HTTPServer(
    bases=(ZOPE_FUNCTIONAL,),
    name="HTTPServer",
    module="gocept.httpserverlayer.plonetesting",
)
