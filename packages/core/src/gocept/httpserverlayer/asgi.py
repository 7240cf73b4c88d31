"""Serve an ASGI 3 application, websockets included, to the tests of a layer.

The engine is an asyncio event loop on a thread of its own, on httptools
(HTTP/1.1) and wsproto (websockets): the ``asgi`` extra,
``pip install gocept.httpserverlayer[asgi]``. Without it this module still
imports; setting the layer up says what to install.
"""

from __future__ import annotations

import importlib.util
import inspect
from typing import Any

from gocept.httpserverlayer._layer import ServerLayer
from gocept.httpserverlayer._server import Error

__all__ = ["GOING_AWAY", "Layer", "MissingDependency", "WebSocketRequest"]  # noqa: F822

#: The close code of a websocket that is still open when its test ends
#: (testTearDown) or the server stops (tearDown): 1001, "going away"
#: (RFC 6455 7.4.1), with the reason ``end of test`` or ``server stopped``.
GOING_AWAY = 1001

_ENGINE = ("httptools", "wsproto")


class MissingDependency(Error, ImportError):
    """The ``asgi`` extra of gocept.httpserverlayer is not installed."""


def _engine() -> Any:
    try:
        from gocept.httpserverlayer._asgi_server import AsgiServer
    except ImportError as e:
        missing = [n for n in _ENGINE if importlib.util.find_spec(n) is None]
        if not missing:
            raise
        names = " and ".join(missing)
        raise MissingDependency(
            f"asgi.Layer needs {names}, which"
            f" {'is' if len(missing) == 1 else 'are'} not installed: install"
            " the asgi extra, pip install 'gocept.httpserverlayer[asgi]'."
        ) from e
    return AsgiServer


def __getattr__(name: str) -> Any:
    if name == "WebSocketRequest":
        _engine()
        from gocept.httpserverlayer._asgi_ws import WebSocketRequest

        return WebSocketRequest
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _positional(app: Any) -> int | None:
    """How many positional arguments ``app`` takes (None: any number, or
    not known)."""
    if inspect.isfunction(app) and not app.__code__.co_flags & (
        inspect.CO_VARARGS
    ):
        # A plain function: what inspect.signature would say, faster (the
        # check runs at every setUp).
        return int(app.__code__.co_argcount)
    try:
        signature = inspect.signature(app)
    except (TypeError, ValueError):
        return None
    count = 0
    for parameter in signature.parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            return None
        if parameter.kind in (
            parameter.POSITIONAL_ONLY,
            parameter.POSITIONAL_OR_KEYWORD,
        ):
            count += 1
    return count


def check_application(app: Any, owner: str) -> None:
    """Raise :class:`Error` unless ``app`` looks like an ASGI 3 application:
    ``async def app(scope, receive, send)``, or an object whose
    ``__call__`` is such a coroutine function."""
    expected = (
        "asgi.Layer serves an ASGI 3 application, a coroutine function"
        " app(scope, receive, send) or an object with such an async"
        " __call__"
    )
    if app is None:
        raise Error(
            f"Layer {owner} has no ASGI application: set its asgi_app"
            " attribute (or pass asgi_app=...), or give it a base layer that"
            " provides the 'asgi_app' resource."
        )
    if inspect.isclass(app):
        raise Error(
            f"The asgi_app of layer {owner} is the class {app!r}, which is"
            " an ASGI 2 application (instantiated per connection):"
            f" {expected}."
            " Wrap it with asgiref.compatibility.guarantee_single_callable()."
        )
    if not callable(app):
        raise Error(
            f"The asgi_app of layer {owner} is {app!r}, which is not"
            f" callable: {expected}."
        )
    count = _positional(app)
    coroutine = inspect.iscoroutinefunction(app) or (
        inspect.iscoroutinefunction(type(app).__call__)
    )
    if count == 2 and not coroutine:
        raise Error(
            f"The asgi_app of layer {owner} is {app!r}, which takes two"
            " arguments as a WSGI application (environ, start_response)"
            f" does: {expected}. Serve a WSGI application with"
            " gocept.httpserverlayer.wsgi.Layer."
        )
    if count == 1 and not coroutine:
        raise Error(
            f"The asgi_app of layer {owner} is {app!r}, which takes one"
            " argument as an ASGI 2 application (scope) does:"
            f" {expected}. Wrap it with"
            " asgiref.compatibility.guarantee_single_callable()."
        )
    if count is not None and count != 3:
        raise Error(
            f"The asgi_app of layer {owner} is {app!r}, which takes {count}"
            f" positional argument(s): {expected}."
        )


class Layer(ServerLayer):
    """Serves an ASGI 3 application over HTTP and websockets to the tests
    of the layer.

    The application is the ``asgi_app`` attribute when it is set (on the
    instance, a subclass, or as the ``asgi_app`` keyword), otherwise the
    ``asgi_app`` resource of a base layer. At setUp the server starts on an
    event loop of its own and runs the application's ``lifespan`` startup
    (a failing startup fails setUp with the application's exception; an
    application without lifespan support is served all the same); at
    tearDown it closes every connection, cancels what the application
    still runs, and runs the lifespan shutdown. At every testSetUp the
    layer picks the application up anew.

    Per test, as for ``wsgi.Layer``: ``http_requests`` is emptied at
    testSetUp; at testTearDown running requests may finish within
    ``settle_timeout`` (those still running are reported by method and
    path), idle keep-alive connections are closed, websockets still open
    are closed with ``websocket_close_code`` (:data:`GOING_AWAY`, 1001)
    and reported by path, and new connections wait for the next test.

    Resources: ``http_host``, ``http_port``, ``http_address``,
    ``http_scheme``, ``http_url``, ``http_requests`` (websocket handshakes
    as :class:`WebSocketRequest`, with their ``close_code``),
    ``http_errors``, ``httpd`` (the server), ``httpd_thread`` (the thread
    of its event loop), and with ``https=True`` ``ca_bundle`` and
    ``ca_spki_hash`` (``wss://`` then works too).

    :param asgi_app: the application, instead of setting the attribute.

    .. versionadded:: 5.0
    """

    #: Seconds the application's lifespan startup may take.
    startup_timeout: float = 30.0
    #: The close code of websockets still open at testTearDown and tearDown.
    websocket_close_code: int = GOING_AWAY

    def __init__(self, *args: Any, asgi_app: Any = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._asgi_app = asgi_app

    @property
    def asgi_app(self) -> Any:
        """The application: the attribute if set, else a base's resource."""
        if self._asgi_app is not None:
            return self._asgi_app
        return self.get("asgi_app")

    @asgi_app.setter
    def asgi_app(self, value: Any) -> None:
        self._asgi_app = value

    @property
    def server_class(self) -> Any:
        """The engine; says what to install when the extra is missing."""
        return _engine()

    def _application(self) -> Any:
        app = self.asgi_app
        check_application(app, f"{self.__module__}.{self.__name__}")
        return app

    def setUp(self) -> None:
        app = self._application()
        server: Any = self.make_server(app)
        server.startup_timeout = self.startup_timeout
        server.websocket_close_code = self.websocket_close_code
        self.start_server(server)

    def testSetUp(self) -> None:
        super().testSetUp()
        server = self["httpd"]
        app = self.asgi_app
        if app is not server.application:
            check_application(app, f"{self.__module__}.{self.__name__}")
            server.set_app(app)

    def tearDown(self) -> None:
        self.stop_server()
