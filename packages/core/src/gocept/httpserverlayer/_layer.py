"""What every server layer shares: host, port, naming, lifecycle, resources."""

from __future__ import annotations

import os
import sys
import threading
import unittest
from types import FrameType
from typing import Any

import plone.testing

from gocept.httpserverlayer import _report
from gocept.httpserverlayer._http import serve_wsgi
from gocept.httpserverlayer._records import RequestLog
from gocept.httpserverlayer._records import describe_errors
from gocept.httpserverlayer._report import verbose_logging
from gocept.httpserverlayer._report import warn
from gocept.httpserverlayer._server import Error
from gocept.httpserverlayer._server import Handler
from gocept.httpserverlayer._server import Server
from gocept.httpserverlayer._tls import TLS
from gocept.httpserverlayer._tls import https_from_environment

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


def _env_port() -> int:
    value = os.environ.get("GOCEPT_HTTP_APP_PORT", "").strip()
    if not value:
        return 0
    if not value.isdigit() or int(value) > 65535:
        raise Error(
            f"GOCEPT_HTTP_APP_PORT={value!r} is not a port number: set it to"
            " a number from 1 to 65535, or to 0 or nothing to let the OS"
            " pick a free port."
        )
    return int(value)


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
        raise Error(
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


# Resources of every server layer: removed at tearDown, and named in the
# error of a read outside a set-up layer.
_SERVER_RESOURCES = frozenset(
    {
        "http_requests",
        "http_errors",
        "httpd",
        "httpd_thread",
        "http_host",
        "http_port",
        "http_address",
        "http_scheme",
        "http_url",
        "ca_bundle",
        "ca_spki_hash",
    }
)


class LayerNotSetUp(Error, KeyError):
    """A layer's resource was read while the layer was not set up."""

    def __str__(self) -> str:
        # KeyError would show the message as a quoted repr.
        return str(self.args[0])


class ServerLayer(plone.testing.Layer):
    """A layer that runs an HTTP server for the tests that use it.

    Once, at setUp, it starts a server in a thread and returns when the server
    accepts connections; at tearDown it stops the server and releases its
    port, sockets and threads. Before each test it makes sure that enough
    worker threads are idle; after each test it closes idle keep-alive
    connections and ends the workers the test needed beyond those.

    Resources: ``http_host``, ``http_port``, ``http_address``
    (``host:port``, an IPv6 host in brackets), ``httpd`` (the server),
    ``httpd_thread`` (the thread accepting connections) and
    ``http_requests`` (a :class:`~gocept.httpserverlayer.RequestLog` of
    the requests answered during the current test, emptied at
    testSetUp), ``http_scheme`` (``http`` or ``https``) and ``http_url``
    (``scheme://host:port``). A layer that serves HTTPS (see ``https``)
    also sets ``ca_bundle`` (path of a PEM file with the certificate
    authority a client must trust) and ``ca_spki_hash`` (for Chromium's
    ``--ignore-certificate-errors-spki-list``).

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
            if key not in _SERVER_RESOURCES or self.get("httpd") is not None:
                raise
        raise LayerNotSetUp(
            f"Layer {self.__module__}.{self.__name__} is not set up, so it"
            f" has no resource {key!r}: run its tests under zope.testrunner,"
            " or under pytest with zope.pytestlayer installed, which set"
            " up the layer around them."
        )

    @property
    def host(self) -> str:
        """Host name to listen on and to advertise."""
        # An empty variable counts as unset, as in a CI matrix that leaves
        # it blank.
        return (
            self.__dict__.get("_host")
            or os.environ.get("GOCEPT_HTTP_APP_HOST", "").strip()
            or "localhost"
        )

    @host.setter
    def host(self, value: str) -> None:
        self.__dict__["_host"] = value

    @property
    def port(self) -> int:
        """Port to listen on; 0 lets the OS pick a free one."""
        if "_port" in self.__dict__:
            return int(self.__dict__["_port"])
        return _env_port()

    @port.setter
    def port(self, value: int) -> None:
        self.__dict__["_port"] = value

    @property
    def https(self) -> bool:
        """Serve HTTPS instead of HTTP.

        The attribute if a subclass or instance sets it, else
        ``GOCEPT_HTTP_HTTPS`` (``1``, ``true``, ``yes`` or ``on``), else
        False. The certificate is made at setUp for ``host`` by a
        certificate authority made for the purpose, which no client
        trusts unless told to (resource ``ca_bundle``).
        """
        if "_https" in self.__dict__:
            return bool(self.__dict__["_https"])
        return https_from_environment()

    @https.setter
    def https(self, value: bool) -> None:
        self.__dict__["_https"] = value

    def _fails_on_server_errors(self) -> bool:
        if self.fail_on_server_errors is not None:
            return bool(self.fail_on_server_errors)
        value = os.environ.get("GOCEPT_HTTP_FAIL_ON_SERVER_ERRORS", "")
        return value.strip().lower() in ("1", "true", "yes", "on")

    @property
    def bind_host(self) -> str:
        """Address to listen on: ``GOCEPT_HTTP_BIND_HOST``, else ``host``.

        Set it (e.g. to ``0.0.0.0``) when browsers on other machines, such as
        Selenium Grid nodes, must reach the server, and ``host`` to the name
        they should use. The default listens where ``host`` resolves to,
        loopback for ``localhost``: a test server runs with the test's
        privileges and data, and should not be reachable from the network
        unless asked to.
        """
        return (
            self.__dict__.get("_bind_host")
            or os.environ.get("GOCEPT_HTTP_BIND_HOST", "").strip()
            or self.host
        )

    @bind_host.setter
    def bind_host(self, value: str) -> None:
        self.__dict__["_bind_host"] = value

    # Lifecycle. setUp runs the steps in this order, tearDown the reverse.

    def make_server(self, handler: Handler) -> Server:
        """Create the (bound, not yet running) server."""
        port = int(self.port)
        if port and "_port" not in self.__dict__ and _env_port():
            _check_fixed_port(port)
        self._remove_tls()
        tls = TLS(self.host) if self.https else None
        try:
            server: Server = self.server_class(
                self.bind_host,
                port,
                handler,
                name=f"HTTP server of layer {self.__name__}",
                shutdown_timeout=self.shutdown_timeout,
                threads=self.threads,
                server_name=self.host,
                ssl_context=tls.context if tls is not None else None,
                handshake_timeout=self.handshake_timeout,
            )
        except BaseException:
            if tls is not None:
                tls.remove()
            raise
        self._tls = tls
        server.verbose = verbose_logging()  # type: ignore[attr-defined]
        server.connections_start_idle = handler is serve_wsgi
        return server

    def start_server(self, server: Server) -> None:
        """Expose ``server`` as resources and serve it on a thread."""
        host = self.host
        port = server.server_port
        server.records = RequestLog()
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
        """Provide idle worker threads for the test (see ``threads``), and
        an empty record of requests."""
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
        server.release()

    def testTearDown(self) -> None:
        """Let the test's requests finish, hold new ones until the next
        test, close idle keep-alive connections, end extra workers."""
        self["httpd"].settle(self.settle_timeout)

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
            for key in _SERVER_RESOURCES:
                try:
                    del self[key]
                except KeyError:
                    pass  # never set: setUp failed before it got there
            self._remove_tls()

    def _remove_tls(self) -> None:
        if self._tls is not None:
            self._tls.remove()
            self._tls = None
