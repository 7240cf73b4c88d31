"""What every server layer shares: host, port, naming, lifecycle, resources.

:class:`ServerLayer` owns the lifecycle. Its setUp and tearDown are paired
steps in plone.testing's manner, each undone by its pair in reverse order:

=========================  ============================
setUp                      tearDown
=========================  ============================
``setUpApplication()``     ``tearDownApplication()``
``setUpServer()``          ``tearDownServer()``
=========================  ============================

A layer that serves something fills in the *application hooks*:
``setUpApplication``/``tearDownApplication`` (what the server serves, and
its resources), ``make_protocol`` (what answers each connection, given the
server's :class:`~._site.Site`) and
``testSetUpApplication``/``testTearDownApplication`` (per test, while no
request of the test runs). ``wsgi.Layer``, ``static.Layer`` and
``custom.Layer`` are such layers, and so is any later one (an ASGI layer,
a control endpoint): none of them writes its own setUp or tearDown.
"""

from __future__ import annotations

import os
import sys
import threading
import unittest
from collections.abc import Callable
from types import FrameType
from typing import Any
from typing import Generic
from typing import TypeVar
from typing import overload

import plone.testing

from gocept.httpserverlayer import _config
from gocept.httpserverlayer import _report
from gocept.httpserverlayer._errors import ConfigurationError
from gocept.httpserverlayer._errors import Error
from gocept.httpserverlayer._records import describe_errors
from gocept.httpserverlayer._report import warn
from gocept.httpserverlayer._resources import SERVER_RESOURCES
from gocept.httpserverlayer._server import Protocol
from gocept.httpserverlayer._server import Server
from gocept.httpserverlayer._site import Site
from gocept.httpserverlayer._tls import TLS

_INTERNAL_PREFIXES = ("gocept.httpserverlayer", "plone.testing")
# (module, name) pairs given to layers that were not named explicitly.
_taken_names: dict[tuple[str, str], int] = {}
_names_lock = threading.Lock()


def _calling_module(layer: Any) -> str | None:
    """The module whose code instantiated ``layer``.

    Skips the frames of ``__init__`` methods of the layer itself (subclass
    constructors calling ``super().__init__``).
    """
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_locals.get("self") is not layer:
            return frame.f_globals.get("__name__")
        frame = frame.f_back
    return None


def _parallel_workers() -> str | None:
    """Name the parallel test run this process is a worker of, if any."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        return f"pytest-xdist worker {worker}"
    if "--resume-layer" not in sys.argv:
        return None  # not a zope.testrunner subprocess
    args = sys.argv
    for i, arg in enumerate(args):
        value = None
        if arg in ("-j", "--parallel") and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--parallel="):
            value = arg.split("=", 1)[1]
        elif arg.startswith("-j") and len(arg) > 2:
            value = arg[2:]
        if value is not None and value.isdigit() and int(value) > 1:
            return f"zope-testrunner -j {value}"
    return None


def _check_fixed_port(port: int) -> None:
    parallel = _parallel_workers()
    if parallel:
        raise ConfigurationError(
            f"GOCEPT_HTTP_APP_PORT={port} fixes the port of every layer, but"
            f" this process is a {parallel}: parallel workers would all bind"
            " that port. Unset GOCEPT_HTTP_APP_PORT so that each worker gets"
            " a free port, or run the tests without parallel workers."
        )


def _running_test() -> unittest.TestCase | None:
    """The unittest test being set up, found in the calling frames.

    zope.testrunner calls the layers' testSetUp from its startTest(test).
    """
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        for name in ("test", "self"):
            candidate = frame.f_locals.get(name)
            if isinstance(candidate, unittest.TestCase):
                return candidate
        frame = frame.f_back
    return None


def _fail_on_server_errors(server: Server) -> None:
    """A test cleanup: fail with the tracebacks the server caught."""
    errors = list(server.errors)
    if errors:
        why = " (fail_on_server_errors is on)"
        raise AssertionError(describe_errors(errors, why))


class LayerNotSetUp(Error, KeyError):
    """A layer's resource was read while the layer was not set up."""

    def __str__(self) -> str:
        # KeyError would show the message as a quoted repr.
        return str(self.args[0])


T = TypeVar("T")


class _Setting(Generic[T]):
    """A layer attribute that falls back to the environment.

    A value set on the instance (also before its setUp) or a class
    attribute of a subclass wins, unless it is None or empty; otherwise
    ``default(layer)`` gives it, from :mod:`._config`.
    """

    def __init__(
        self,
        convert: Callable[[Any], T],
        default: Callable[[Any], T],
        doc: str,
    ) -> None:
        self.convert = convert
        self.default = default
        self.__doc__ = doc
        self.key = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = f"_{name}"

    @overload
    def __get__(self, layer: None, owner: Any = None) -> _Setting[T]: ...

    @overload
    def __get__(self, layer: object, owner: Any = None) -> T: ...

    def __get__(self, layer: Any, owner: Any = None) -> Any:
        if layer is None:
            return self
        value = layer.__dict__.get(self.key)
        if value is None or value == "":
            return self.default(layer)
        return self.convert(value)

    def __set__(self, layer: Any, value: T) -> None:
        layer.__dict__[self.key] = value


class ServerLayer(plone.testing.Layer):
    """A layer that runs an HTTP server for the tests that use it.

    Once, at setUp, it prepares what the server serves
    (``setUpApplication``), starts a server in a thread and returns when
    the server accepts connections (``setUpServer``); at tearDown it stops
    the server and releases its port, sockets and threads, then what it
    served. Before each test it makes sure that enough worker threads are
    idle and lets requests run; after each test it lets the test's
    requests finish, holds new ones until the next test, closes idle
    keep-alive connections and ends the workers the test needed beyond
    those.

    Resources: ``http_host``, ``http_port``, ``http_address``
    (``host:port``, an IPv6 host in brackets), ``httpd`` (the server),
    ``httpd_thread`` (the thread accepting connections) and
    ``http_requests`` (a :class:`~gocept.httpserverlayer.RequestLog` of
    the requests answered during the current test, emptied at
    testSetUp), ``http_errors`` (the exceptions the server caught during
    the current test), ``http_scheme`` (``http`` or ``https``) and
    ``http_url`` (``scheme://host:port``). A layer that serves HTTPS (see
    ``https``) also sets ``ca_bundle`` (path of a PEM file with the
    certificate authority a client must trust) and ``ca_spki_hash`` (for
    Chromium's ``--ignore-certificate-errors-spki-list``).
    :func:`gocept.httpserverlayer.resources` gives them typed.

    The host is the class attribute ``host`` if a subclass or instance sets
    one, else ``GOCEPT_HTTP_APP_HOST``, else ``localhost``; the port likewise
    from ``port``, ``GOCEPT_HTTP_APP_PORT``, else 0 (the OS picks one).
    ``shutdown_timeout`` bounds how long tearDown waits for a request that is
    still being answered, ``settle_timeout`` how long testTearDown does;
    from testTearDown to the next testSetUp the server holds requests that
    arrive (a browser's late XHR), so that none runs while one test's state
    gives way to the next. ``threads`` worker threads start with the
    server, and at every testSetUp the layer starts more until that many
    are idle; when all are busy, another one starts for each new
    connection. At testTearDown the layer closes the connections that
    clients keep open between requests and ends the workers the test
    needed beyond ``threads``, so that zope.testrunner does not report
    them as threads the test left behind.

    ``https=True`` (a keyword of every server layer, or the attribute
    ``https`` on a subclass or instance) serves HTTPS; see ``https``.

    A layer made without a name gets one that is unique among the layers
    made in the same module, so two unnamed layers are two layers to
    zope.testrunner; its ``__module__`` is the module that made it.

    A subclass serves something by filling in the application hooks, and
    writes no setUp or tearDown of its own: :meth:`setUpApplication`,
    :meth:`make_protocol`, :meth:`testSetUpApplication`,
    :meth:`testTearDownApplication` and :meth:`tearDownApplication`.
    """

    shutdown_timeout: float = 5.0
    settle_timeout: float = 2.0
    #: Fail the test during which the server caught an exception (None:
    #: as GOCEPT_HTTP_FAIL_ON_SERVER_ERRORS says; off by default).
    fail_on_server_errors: bool | None = None
    threads: int = 4
    #: Seconds a client has for its TLS handshake (HTTPS only).
    handshake_timeout: float = 10.0
    _tls: TLS | None = None
    _said_cannot_fail = False
    #: What make_server makes: called as :class:`._server.Server` is.
    server_class: Any = Server

    def __init__(
        self,
        bases: Any = None,
        name: str | None = None,
        module: str | None = None,
        *,
        https: bool | None = None,
    ) -> None:
        if https is not None:
            self.https = https
        if module is None:
            module = _calling_module(self)
        if name is None:
            name = type(self).__name__
            with _names_lock:
                count = _taken_names.get((module or "", name), 0) + 1
                _taken_names[(module or "", name)] = count
            if count > 1:
                name = f"{name}-{count}"
        super().__init__(bases=bases, name=name, module=module)

    def __getitem__(self, key: str) -> Any:
        try:
            return super().__getitem__(key)
        except KeyError:
            if key not in SERVER_RESOURCES or self.get("httpd") is not None:
                raise
        raise LayerNotSetUp(
            f"Layer {self.__module__}.{self.__name__} is not set up, so it"
            f" has no resource {key!r}: run its tests under zope.testrunner,"
            " or under pytest with zope.pytestlayer installed, which set"
            " up the layer around them."
        )

    host = _Setting(
        str,
        lambda layer: _config.host(),
        """Host name to listen on and to advertise.

        The attribute if a subclass or instance sets it, else
        ``GOCEPT_HTTP_APP_HOST``, else ``localhost``.
        """,
    )
    port = _Setting(
        int,
        lambda layer: _config.port(),
        """Port to listen on; 0 lets the OS pick a free one.

        The attribute if a subclass or instance sets it, else
        ``GOCEPT_HTTP_APP_PORT``, else 0.
        """,
    )
    https = _Setting(
        bool,
        lambda layer: _config.https(),
        """Serve HTTPS instead of HTTP.

        The attribute if a subclass or instance sets it, else
        ``GOCEPT_HTTP_HTTPS`` (``1``, ``true``, ``yes`` or ``on``), else
        False. The certificate is made at setUp for ``host`` by a
        certificate authority made for the purpose, which no client
        trusts unless told to (resource ``ca_bundle``).
        """,
    )
    bind_host = _Setting(
        str,
        lambda layer: _config.bind_host() or layer.host,
        """Address to listen on: ``GOCEPT_HTTP_BIND_HOST``, else ``host``.

        Set it (e.g. to ``0.0.0.0``) when browsers on other machines, such as
        Selenium Grid nodes, must reach the server, and ``host`` to the name
        they should use. The default listens where ``host`` resolves to,
        loopback for ``localhost``: a test server runs with the test's
        privileges and data, and should not be reachable from the network
        unless asked to.
        """,
    )

    def _fails_on_server_errors(self) -> bool:
        if self.fail_on_server_errors is not None:
            return bool(self.fail_on_server_errors)
        return _config.fail_on_server_errors()

    # The application hooks: what a layer serves.

    def setUpApplication(self) -> None:
        """Prepare what the server serves, and set its resources.

        Runs at setUp before the server starts; :meth:`tearDownApplication`
        undoes it, also when the server fails to start.
        """

    def tearDownApplication(self) -> None:
        """Undo :meth:`setUpApplication`; runs after the server stopped."""

    def make_protocol(self, site: Site, server: Server) -> Protocol:
        """Return what serves each connection of ``server``.

        :param site: all that the protocol may use of the server: its
            application (set ``site.app`` here), records and names.
        :param server: the server, for protocols whose API hands it on
            (``http.server`` request handlers get it as ``self.server``).
        """
        raise NotImplementedError(
            f"{type(self).__name__} serves nothing: a ServerLayer subclass"
            " must implement make_protocol()."
        )

    def testSetUpApplication(self) -> None:
        """Prepare for a test; requests wait until this has returned."""

    def testTearDownApplication(self) -> None:
        """Tidy up after a test; the test's requests have finished."""

    # Lifecycle: setUp runs the steps in this order, tearDown the reverse.

    def setUp(self) -> None:
        """Prepare the application, then start the server."""
        self.setUpApplication()
        try:
            self.setUpServer()
        except BaseException:
            self.tearDownApplication()
            raise

    def tearDown(self) -> None:
        """Stop the server, then release the application."""
        try:
            self.tearDownServer()
        finally:
            self.tearDownApplication()

    def setUpServer(self) -> None:
        """Start a server for :meth:`make_protocol`; set the resources."""
        self.start_server(self.make_server(self.make_protocol))

    def tearDownServer(self) -> None:
        """Stop the server and delete the resources it set."""
        self.stop_server()

    def make_server(self, protocol: Any) -> Server:
        """Create the (bound, not yet running) server.

        :param protocol: called as ``protocol(site, server)``; see
            :meth:`make_protocol`.
        """
        port = int(self.port)
        if port and "_port" not in self.__dict__ and _config.port():
            _check_fixed_port(port)
        self._remove_tls()
        tls = TLS(self.host) if self.https else None
        try:
            server: Server = self.server_class(
                self.bind_host,
                port,
                protocol,
                name=f"HTTP server of layer {self.__name__}",
                shutdown_timeout=self.shutdown_timeout,
                threads=self.threads,
                server_name=self.host,
                ssl_context=tls.context if tls is not None else None,
                handshake_timeout=self.handshake_timeout,
                verbose=_config.verbose_logging(),
            )
        except BaseException:
            if tls is not None:
                tls.remove()
            raise
        self._tls = tls
        return server

    def start_server(self, server: Server) -> None:
        """Expose ``server`` as resources and serve it on a thread."""
        host = self.host
        port = server.server_port
        self["http_requests"] = server.records
        self["http_errors"] = server.errors
        self["httpd"] = server
        self["http_host"] = host
        self["http_port"] = port
        self["http_address"] = address = (
            f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        )
        self["http_scheme"] = server.url_scheme
        self["http_url"] = f"{server.url_scheme}://{address}"
        if self._tls is not None:
            self["ca_bundle"] = self._tls.ca_bundle
            self["ca_spki_hash"] = self._tls.spki_hash
        thread = threading.Thread(
            target=self.serve, name=f"{server.name} (accept)", daemon=True
        )
        self["httpd_thread"] = thread
        try:
            thread.start()
            server.wait_until_ready()
            server.top_up()
        except BaseException:
            self.stop_server()
            raise

    def testSetUp(self) -> None:
        """Provide idle worker threads and an empty record for the test,
        prepare the application, then let requests run."""
        server = self["httpd"]
        server.records.clear()
        server.errors.clear()
        if self._fails_on_server_errors():
            test = _running_test()
            if test is not None:
                test.addCleanup(_fail_on_server_errors, server)
            elif not _report.pytest_fails_tests and not self._said_cannot_fail:
                self._said_cannot_fail = True
                warn(
                    f"Layer {self.__module__}.{self.__name__}:"
                    " fail_on_server_errors is on, but the test that runs"
                    " is not a unittest.TestCase run by zope.testrunner,"
                    " nor a pytest test with the gocept.httpserverlayer"
                    " plugin: exceptions of the server are reported, but"
                    " cannot fail the test. Check layer['http_errors'] in"
                    " the test instead."
                )
        server.top_up()
        self.testSetUpApplication()
        server.release()

    def testTearDown(self) -> None:
        """Let the test's requests finish, hold new ones until the next
        test, close idle keep-alive connections, end extra workers."""
        self["httpd"].settle(self.settle_timeout)
        self.testTearDownApplication()

    def serve(self) -> None:
        """Run the server's accept loop (on ``httpd_thread``)."""
        self["httpd"].serve_forever()

    def shutdown(self) -> None:
        """Stop the server: bounded, and quick with idle clients."""
        self["httpd"].shutdown()
        self["httpd"].server_close()

    def stop_server(self) -> None:
        """Shut the server down and remove the resources start_server set."""
        try:
            self.shutdown()
            thread = self["httpd_thread"]
            if thread.ident is not None:
                thread.join(self.shutdown_timeout)
        finally:
            for key in SERVER_RESOURCES:
                try:
                    del self[key]
                except KeyError:
                    pass  # never set: setUp failed before it got there
            self._remove_tls()

    def _remove_tls(self) -> None:
        if self._tls is not None:
            self._tls.remove()
            self._tls = None
