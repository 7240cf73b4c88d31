"""The servers of the pytest plugin: what a fixture hands to a test, and
the factory that starts them.

Imports no pytest, so that it can be read and type-checked on its own; the
plugin (:mod:`gocept.httpserverlayer.pytest_plugin`) wires it into pytest.
"""

from __future__ import annotations

import contextlib
import inspect
import pathlib
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

from gocept.httpserverlayer._records import RequestLog
from gocept.httpserverlayer._records import ServerError
from gocept.httpserverlayer._records import describe_errors


class _Temporary:
    def __repr__(self) -> str:
        return "gocept.httpserverlayer.pytest_plugin.TEMPORARY"


#: Pass as ``directory`` for a temporary document root, emptied before
#: every test (the same as :data:`gocept.httpserverlayer.static.TEMPORARY`).
TEMPORARY: Any = _Temporary()


class Server:
    """A running server, as the fixtures hand it to a test.

    :ivar layer: the layer that runs it (set up once for the session).

    .. versionchanged:: 5.0
       ``ca_bundle``, ``ca_spki_hash``, ``https``, ``errors`` and
       ``check_errors()``.
    """

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self._running = True
        # The layer's list, emptied at every testSetUp; kept here so that
        # the errors of the last test can be read after the server stopped.
        self._errors: list[ServerError] = layer["http_errors"]
        # The errors check_errors() reported already, by identity.
        self._reported: set[int] = set()

    @property
    def running(self) -> bool:
        """False once :meth:`stop` was called."""
        return self._running

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
        return str(self.layer["http_url"])

    @property
    def https(self) -> bool:
        """Whether the server serves HTTPS."""
        return bool(self.layer["http_scheme"] == "https")

    @property
    def ca_bundle(self) -> str | None:
        """Path of the PEM file with the CA a client must trust (HTTPS
        only; None for HTTP): ``requests.get(url, verify=ca_bundle)``."""
        value = self.layer.get("ca_bundle")
        return None if value is None else str(value)

    @property
    def ca_spki_hash(self) -> str | None:
        """The hash for Chromium's ``--ignore-certificate-errors-spki-list``
        (HTTPS only; None for HTTP)."""
        value = self.layer.get("ca_spki_hash")
        return None if value is None else str(value)

    @property
    def requests(self) -> RequestLog:
        """The :class:`~gocept.httpserverlayer.RequestLog` of the current
        test (``http_requests``), emptied before every test."""
        log: RequestLog = self.layer["http_requests"]
        return log

    @property
    def errors(self) -> list[ServerError]:
        """The exceptions the server caught during the current test
        (``http_errors``), with ``request`` and ``traceback``."""
        return list(self._errors)

    def check_errors(self) -> None:
        """Fail (``AssertionError``, with the tracebacks) if the server
        caught an exception during the current test that no check reported
        yet; for a test's own teardown, whatever the settings say."""
        errors = [e for e in self.errors if id(e) not in self._reported]
        self._reported.update(id(e) for e in errors)
        if errors:
            raise AssertionError(describe_errors(errors))

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

    def begin_test(self) -> None:
        """The layer's ``testSetUp``: an empty request record, idle
        workers, an emptied temporary root."""
        self._reported.clear()
        self.layer.testSetUp()

    def end_test(self) -> None:
        """The layer's ``testTearDown``: running requests may finish, new
        ones wait for the next test, idle connections are closed."""
        self.layer.testTearDown()

    @contextlib.contextmanager
    def for_test(self) -> Iterator[Server]:
        """Reset the server around a block: :meth:`begin_test` on entry,
        :meth:`end_test` on exit. The plugin does this around every test
        for every server it started; call it for a block of your own."""
        self.begin_test()
        try:
            yield self
        finally:
            self.end_test()

    def stop(self) -> None:
        """Stop the server (the layer's ``tearDown``); the factory does
        this at the end of the session."""
        if self._running:
            self._running = False
            self.layer.tearDown()

    def __repr__(self) -> str:
        state = self.url if self._running else "stopped"
        return f"<{type(self).__name__} {self.layer.__name__} {state}>"


def is_asgi(app: Any) -> bool:
    """Whether ``app`` is an ASGI 3 application rather than a WSGI one: a
    coroutine function, an object with an async ``__call__`` (Starlette,
    FastAPI, Quart, Django's ASGIHandler), or a callable of three
    required positional parameters (scope, receive, send; WSGI takes
    two)."""
    if not callable(app):
        return False
    if inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(
        type(app).__call__
    ):
        return True
    try:
        parameters = inspect.signature(app).parameters.values()
    except (TypeError, ValueError):
        return False
    required = [
        p
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        and p.default is p.empty
    ]
    return len(required) == 3


def _wsgi_layer(app: Any, kw: dict[str, Any], listing: bool) -> Any:
    from gocept.httpserverlayer import wsgi

    return wsgi.Layer(wsgi_app=app, **kw)


def _custom_layer(handler: Any, kw: dict[str, Any], listing: bool) -> Any:
    from gocept.httpserverlayer import custom

    return custom.Layer(handler, **kw)


def _asgi_layer(app: Any, kw: dict[str, Any], listing: bool) -> Any:
    from gocept.httpserverlayer import asgi

    return asgi.Layer(asgi_app=app, **kw)


def _static_layer(directory: Any, kw: dict[str, Any], listing: bool) -> Any:
    from gocept.httpserverlayer import static

    if directory is TEMPORARY:
        directory = static.TEMPORARY
    return static.Layer(directory, listing=listing, **kw)


#: What a server can serve, by the factory's keyword: how the keyword is
#: used (for the error message) and a function that makes the layer from
#: its value, the layer's keywords and ``listing``.
KINDS: dict[str, tuple[str, Callable[[Any, dict[str, Any], bool], Any]]] = {
    "wsgi": ("wsgi=app", _wsgi_layer),
    "directory": ("directory=path (or TEMPORARY)", _static_layer),
    "handler": ("handler=HandlerClass", _custom_layer),
    "asgi": ("asgi=app", _asgi_layer),
}


class ServerFactory:
    """Starts servers for a session and stops them all at its end."""

    def __init__(self) -> None:
        self.servers: list[Server] = []
        self._shared: dict[str, Server] = {}

    def __call__(
        self,
        *,
        wsgi: Callable[..., Any] | None = None,
        directory: Any = None,
        handler: type | None = None,
        asgi: Callable[..., Any] | None = None,
        name: str | None = None,
        listing: bool = False,
        https: bool | None = None,
        host: str | None = None,
        bind_host: str | None = None,
        fail_on_server_errors: bool | None = None,
    ) -> Server:
        """Start a server for a WSGI application, a directory (a path or
        :data:`TEMPORARY`), a request handler class or an ASGI 3
        application (``asgi=``, websockets included; needs the ``asgi``
        extra); give exactly one.

        :param name: the layer's name, shown in thread names and errors.
        :param listing: serve directory listings (``directory`` only).
        :param https: serve HTTPS (True) or HTTP (False); None: as the
            settings say (``--http-https``, ``GOCEPT_HTTP_HTTPS``).
        :param host: the host to advertise (and listen on); None: as the
            settings say.
        :param bind_host: the address to listen on, if not ``host``.
        :param fail_on_server_errors: fail a test during which the server
            caught an exception; None: as the settings say.
        """
        return self.start(
            {
                "wsgi": wsgi,
                "directory": directory,
                "handler": handler,
                "asgi": asgi,
            },
            name=name,
            listing=listing,
            https=https,
            host=host,
            bind_host=bind_host,
            fail_on_server_errors=fail_on_server_errors,
        )

    def start(
        self,
        serve: dict[str, Any],
        *,
        name: str | None,
        listing: bool,
        https: bool | None,
        host: str | None,
        bind_host: str | None,
        fail_on_server_errors: bool | None,
    ) -> Server:
        """Start a server for the one value in ``serve`` that is not None,
        keyed by its kind (see :data:`KINDS`)."""
        given = [kind for kind, value in serve.items() if value is not None]
        if len(given) != 1:
            usages = [usage for usage, _ in KINDS.values()]
            raise TypeError(
                "http_server_factory() takes exactly one of"
                f" {', '.join(usages[:-1])} and {usages[-1]};"
                f" got {', '.join(given) or 'none'}."
            )
        (kind,) = given
        kw: dict[str, Any] = {"name": name, "module": __name__}
        if https is not None:
            kw["https"] = https
        layer = KINDS[kind][1](serve[kind], kw, listing)
        if host is not None:
            layer.host = host
        if bind_host is not None:
            layer.bind_host = bind_host
        if fail_on_server_errors is not None:
            layer.fail_on_server_errors = fail_on_server_errors
        layer.setUp()
        server = Server(layer)
        self.servers.append(server)
        return server

    def shared(self, key: str, **kw: Any) -> Server:
        """The server started once under ``key`` with ``kw``."""
        if key not in self._shared:
            self._shared[key] = self(name=key, **kw)
        return self._shared[key]

    def running(self) -> list[Server]:
        """The servers started and not yet stopped."""
        return [s for s in self.servers if s.running]

    def stop_all(self) -> None:
        """Stop every server, the most recent first."""
        errors = []
        while self.servers:
            try:
                self.servers.pop().stop()
            except Exception as exc:  # stop the others all the same
                errors.append(exc)
        self._shared.clear()
        if errors:
            raise errors[0]
