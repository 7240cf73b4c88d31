"""pytest fixtures for the servers of gocept.httpserverlayer, without layers.

Registered through the ``pytest11`` entry point ``gocept.httpserverlayer``:
installing the distribution is enough (``-p no:gocept.httpserverlayer``
turns it off). The servers are the layers' own: a fixture starts a layer
(``setUp``) once per session, runs ``testSetUp`` before and ``testTearDown``
after every test that asks for it, and ``tearDown`` at the end of the
session, so a server behaves exactly as under zope.testrunner.

Fixtures:

``http_server_factory`` (session)
    A callable: ``http_server_factory(wsgi=app)``,
    ``http_server_factory(directory=path)`` (or ``directory=TEMPORARY``) or
    ``http_server_factory(handler=HandlerClass)`` starts a server and
    returns its :class:`Server`. Every server it started stops at the end
    of the session.
``http_app`` (function)
    The WSGI application ``http_server`` serves; override it.
``http_server`` (function)
    One session-wide WSGI server, serving the ``http_app`` of the current
    test, reset for it.
``static_server`` (function)
    One session-wide server over a temporary directory, emptied before
    every test.
"""

from __future__ import annotations

import contextlib
import pathlib
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import pytest

from gocept.httpserverlayer._records import RequestLog

__all__ = ["TEMPORARY", "Server", "ServerFactory"]


class _Temporary:
    def __repr__(self) -> str:
        return "gocept.httpserverlayer.pytest_plugin.TEMPORARY"


#: Pass as ``directory`` for a temporary document root, emptied before
#: every test (the same as :data:`gocept.httpserverlayer.static.TEMPORARY`).
TEMPORARY: Any = _Temporary()


class Server:
    """A running server, as the fixtures hand it to a test.

    :ivar layer: the layer that runs it (set up once for the session).
    """

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self._running = True

    @property
    def address(self) -> str:
        """``host:port`` (an IPv6 host in brackets), as ``http_address``."""
        return str(self.layer["http_address"])

    @property
    def host(self) -> str:
        return str(self.layer["http_host"])

    @property
    def port(self) -> int:
        return int(self.layer["http_port"])

    @property
    def url(self) -> str:
        """``scheme://host:port``, without a trailing slash."""
        url = self.layer.get("http_url")
        return str(url) if url else f"http://{self.address}"

    @property
    def requests(self) -> RequestLog:
        """The :class:`~gocept.httpserverlayer.RequestLog` of the current
        test (``http_requests``): emptied by the per-test fixtures."""
        log: RequestLog = self.layer["http_requests"]
        return log

    @property
    def documentroot(self) -> pathlib.Path:
        """The directory a static server serves (``documentroot``)."""
        root = self.layer.get("documentroot")
        if root is None:
            raise AttributeError(
                "This server does not serve a directory: only a server"
                " started with directory=... has a documentroot."
            )
        return pathlib.Path(root)

    @contextlib.contextmanager
    def for_test(self) -> Iterator[Server]:
        """Reset the server for one test: the layer's ``testSetUp`` on
        entry (empty request record, idle workers, an emptied temporary
        root), its ``testTearDown`` on exit (idle keep-alive connections
        closed)."""
        self.layer.testSetUp()
        try:
            yield self
        finally:
            self.layer.testTearDown()

    def stop(self) -> None:
        """Stop the server (the layer's ``tearDown``); the factory does
        this at the end of the session."""
        if self._running:
            self._running = False
            self.layer.tearDown()

    def __repr__(self) -> str:
        state = self.url if self._running else "stopped"
        return f"<{type(self).__name__} {self.layer.__name__} {state}>"


class ServerFactory:
    """Starts servers for a session and stops them all at its end."""

    def __init__(self) -> None:
        self._servers: list[Server] = []
        self._shared: dict[str, Server] = {}

    def __call__(
        self,
        *,
        wsgi: Callable[..., Any] | None = None,
        directory: Any = None,
        handler: type | None = None,
        name: str | None = None,
        listing: bool = False,
    ) -> Server:
        """Start a server for a WSGI application, a directory (a path or
        :data:`TEMPORARY`) or a request handler class; give exactly one.

        :param name: the layer's name, shown in thread names and errors.
        :param listing: serve directory listings (``directory`` only).
        """
        given = [
            key
            for key, value in (
                ("wsgi", wsgi),
                ("directory", directory),
                ("handler", handler),
            )
            if value is not None
        ]
        if len(given) != 1:
            raise TypeError(
                "http_server_factory() takes exactly one of wsgi=app,"
                " directory=path (or TEMPORARY) and handler=HandlerClass;"
                f" got {', '.join(given) or 'none'}."
            )
        kw: dict[str, Any] = {"name": name, "module": __name__}
        if wsgi is not None:
            from gocept.httpserverlayer import wsgi as wsgi_module

            layer: Any = wsgi_module.Layer(wsgi_app=wsgi, **kw)
        elif handler is not None:
            from gocept.httpserverlayer import custom

            layer = custom.Layer(handler, **kw)
        else:
            from gocept.httpserverlayer import static

            if directory is TEMPORARY:
                directory = static.TEMPORARY
            layer = static.Layer(directory, listing=listing, **kw)
        layer.setUp()
        server = Server(layer)
        self._servers.append(server)
        return server

    def shared(self, key: str, **kw: Any) -> Server:
        """The server started once under ``key`` with ``kw``."""
        if key not in self._shared:
            self._shared[key] = self(name=key, **kw)
        return self._shared[key]

    def stop_all(self) -> None:
        """Stop every server, the most recent first."""
        errors = []
        while self._servers:
            try:
                self._servers.pop().stop()
            except Exception as exc:  # stop the others all the same
                errors.append(exc)
        self._shared.clear()
        if errors:
            raise errors[0]


@pytest.fixture(scope="session")
def http_server_factory() -> Iterator[ServerFactory]:
    """Start servers that live for the session:
    ``http_server_factory(wsgi=app)``, ``(directory=path)``,
    ``(handler=cls)``. Reset one per test with ``server.for_test()``."""
    factory = ServerFactory()
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture
def http_app() -> Any:
    """The WSGI application that ``http_server`` serves: override it."""
    raise pytest.UsageError(
        "The http_server fixture serves the WSGI application of the"
        " http_app fixture: define a fixture named http_app (in the test"
        " module or a conftest.py) that returns your application."
    )


@pytest.fixture
def http_server(
    http_server_factory: ServerFactory, http_app: Any
) -> Iterator[Server]:
    """A WSGI server serving ``http_app``, reset for the test.

    The server starts once per session (per pytest-xdist worker); every
    test gets it with an empty request record, serving that test's
    ``http_app``.
    """
    server = http_server_factory.shared(
        "gocept.httpserverlayer.http_server", wsgi=http_app
    )
    # wsgi.Layer takes up its application anew at every testSetUp.
    server.layer.wsgi_app = http_app
    with server.for_test():
        yield server


@pytest.fixture
def static_server(http_server_factory: ServerFactory) -> Iterator[Server]:
    """A server over a temporary directory (``.documentroot``, a
    :class:`pathlib.Path`), emptied before every test."""
    server = http_server_factory.shared(
        "gocept.httpserverlayer.static_server", directory=TEMPORARY
    )
    with server.for_test():
        yield server
