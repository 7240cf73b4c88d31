"""The threaded TCP server behind every layer.

One thread accepts connections on one or more listening sockets and hands
each to a worker thread, which runs a *connection handler* (the HTTP/1.1
WSGI protocol of :mod:`._http`, or an ``http.server`` request handler class
for the custom layer) until the connection ends. A worker serves one
connection at a time, and when all workers are busy a new one is started,
so that no connection waits for another: a browser opens several at once,
and each must be served at once, also while another waits for a slow
response. The workers are started with the server, at the layer's setUp,
because zope.testrunner reports every thread that a test leaves running.

:meth:`Server.shutdown` is what makes tearDown fast and bounded: it wakes the
accept loop through a socket pair (no polling interval), then shuts the
*reading* side of every open connection. An idle keep-alive connection, or
one over which a client has not sent anything yet, wakes up at once with
end-of-file and its thread ends; a request that is being answered may still
write its response. Threads that are still running after
``shutdown_timeout`` seconds are reported by name and left behind as daemon
threads, so tearDown never hangs.
"""

from __future__ import annotations

import errno
import queue
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

from gocept.httpserverlayer._records import RequestLog
from gocept.httpserverlayer._records import ServerError
from gocept.httpserverlayer._report import report_exception
from gocept.httpserverlayer._report import warn

# Errors that only mean that the client went away. They are not the
# application's fault, nor the server's, and produce no output at all.
DISCONNECT_ERRORS = (
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
    TimeoutError,
)
_DISCONNECT_ERRNOS = {
    errno.EPIPE,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.ENOTCONN,
    errno.EBADF,
    errno.ESHUTDOWN,
}


def is_disconnect(exc: BaseException) -> bool:
    """Tell whether ``exc`` only means that the peer closed the connection."""
    if isinstance(exc, DISCONNECT_ERRORS):
        return True
    if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return True  # a TLS client that went away, with or without notice
    return isinstance(exc, OSError) and exc.errno in _DISCONNECT_ERRNOS


class Error(Exception):
    """Base class of the errors of gocept.httpserverlayer."""


class BindError(Error, OSError):
    """The server could not listen on the host and port it was given."""


class Connection:
    """One accepted connection and what the server knows about it.

    A protocol handler that sets ``idle_known`` keeps ``state`` up to date:
    None while the connection waits for a request, else a short description
    of the request it is busy with (``"GET /path"``), so that the server can
    close idle connections between tests and say what shutdown interrupted.
    """

    __slots__ = ("sock", "address", "thread", "state", "idle_known", "held")

    def __init__(self, sock: socket.socket, address: Any) -> None:
        self.sock = sock
        self.address = address
        self.thread: threading.Thread | None = None
        self.state: str | None = None
        self.idle_known = False
        self.held = False  # waiting at the gate for the next test

    def shut(self, how: int = socket.SHUT_RD) -> None:
        """Shut the socket's reading side (or ``how``), if still open.

        Shutting the reading side wakes a thread blocked in recv() with
        end-of-file at once, while a response being written still goes out.
        For a TLS connection this shuts the TCP socket under it:
        ``SSLSocket.shutdown`` would also drop the TLS state, and a
        response being written would go out unencrypted.
        """
        try:
            socket.socket.shutdown(self.sock, how)
        except OSError:
            pass  # already closed by the client or by its worker

    def describe(self) -> str:
        host, port = self.address[:2]
        peer = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        return f"{self.state} from {peer}" if self.state else peer


Handler = Callable[[Connection, "Server"], None]


class _Worker:
    """A worker thread and the queue through which it gets connections."""

    __slots__ = ("thread", "tasks", "number")

    def __init__(self, server: Server, number: int) -> None:
        self.number = number
        self.tasks: queue.SimpleQueue[Connection | None] = queue.SimpleQueue()
        self.thread = threading.Thread(
            target=server._work,
            args=(self,),
            name=f"{server.name} worker {number}",
            daemon=True,
        )


def _loopback_pair(host: str) -> list[tuple[int, str]]:
    if host == "localhost":
        # Browsers try ::1 and 127.0.0.1 for localhost. Listening on both
        # (same port) keeps one of them from hitting another process, or
        # nothing, while the other is ours.
        return [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")]
    infos = socket.getaddrinfo(
        host, None, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE
    )
    family, _, _, _, sockaddr = infos[0]
    return [(family, str(sockaddr[0]))]


def _listen(family: int, address: str, port: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # Lets a fixed port be bound again right after a previous run left
        # connections in TIME_WAIT; on Linux it does not allow two
        # listeners on one port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((address, port))
        # Room for a burst of connections (200 clients connecting at once
        # in the stress suite): a full backlog makes clients retry their
        # SYN after a second.
        sock.listen(1024)
    except BaseException:
        sock.close()
        raise
    return sock


def bind(host: str, port: int) -> list[socket.socket]:
    """Return listening sockets for ``host`` and ``port``.

    For ``localhost`` this is 127.0.0.1 and, where the machine has it, ::1,
    on the same port. Raises :class:`BindError` naming the host, the port
    and the setting to change.
    """
    try:
        targets = _loopback_pair(host)
    except OSError as e:
        raise _bind_error(host, port, e) from e
    for _ in range(20):
        family, address = targets[0]
        try:
            first = _listen(family, address, port)
        except OSError as e:
            raise _bind_error(host, port, e) from e
        sockets = [first]
        actual = first.getsockname()[1]
        retry = False
        for family, address in targets[1:]:
            try:
                sockets.append(_listen(family, address, actual))
            except OSError as e:
                if e.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                    continue  # the machine has no such address: fine
                for sock in sockets:
                    sock.close()
                if e.errno == errno.EADDRINUSE and port == 0:
                    retry = True  # the OS's pick is taken on ::1: pick again
                    break
                raise _bind_error(host, actual, e) from e
        if not retry:
            return sockets
    raise _bind_error(host, port, OSError(errno.EADDRINUSE, "no free port"))


def _bind_error(host: str, port: int, cause: OSError) -> BindError:
    error = BindError(
        f"Cannot listen on {host}:{port} ({cause}): set GOCEPT_HTTP_APP_PORT"
        " to a free port (or 0 to let the OS pick one) or"
        " GOCEPT_HTTP_APP_HOST (GOCEPT_HTTP_BIND_HOST, if you set it) to a"
        " host name of this machine."
    )
    error.errno = cause.errno
    return error


class Server:
    """A multi-threaded TCP server that serves each connection on a thread.

    :param host: the host name to listen on (``localhost`` listens on both
        127.0.0.1 and ::1).
    :param server_name: the host name clients use (``SERVER_NAME``), if
        not ``host``: for a server that listens on 0.0.0.0, say.
    :param port: the port, 0 to let the OS pick one.
    :param handler: called as ``handler(connection, server)`` on the
        connection's own thread; it returns when the connection is done.
    :param name: used in thread names and messages.
    :param shutdown_timeout: how long :meth:`shutdown` waits for requests
        that are still being answered.
    :param threads: how many idle worker threads :meth:`top_up` provides.
        When all workers are busy, each new connection starts one more, so
        connections never wait for each other; the pool shrinks only at
        shutdown.
    :param ssl_context: serve HTTPS with this server-side context. The TLS
        handshake runs on the connection's worker thread, never in the
        accept loop, so a client that connects and never says anything
        holds up no one else; a handshake that fails (plain HTTP sent to
        the port, a client that does not trust the certificate) or takes
        longer than ``handshake_timeout`` seconds closes that connection
        silently.
    """

    #: ``wsgi.url_scheme``: ``https`` when serving with an ``ssl_context``.
    url_scheme = "http"

    def __init__(
        self,
        host: str,
        port: int,
        handler: Handler,
        *,
        name: str = "HTTP server",
        shutdown_timeout: float = 5.0,
        threads: int = 4,
        server_name: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        handshake_timeout: float = 10.0,
    ) -> None:
        self.name = name
        self.ssl_context = ssl_context
        self.handshake_timeout = handshake_timeout
        if ssl_context is not None:
            self.url_scheme = "https"
        self.handler = handler
        self.shutdown_timeout = shutdown_timeout
        self.sockets = bind(host, port)
        self.socket = self.sockets[0]
        self.server_address = self.socket.getsockname()[:2]
        self.server_name = server_name or host
        self.server_port: int = self.server_address[1]
        self._connections: set[Connection] = set()
        #: Exceptions caught while serving, since the current test began.
        self.errors: list[ServerError] = []
        self._lock = threading.Lock()
        # Notified when a worker is done with a connection.
        self._changed = threading.Condition(self._lock)
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._stopping = False
        self._wake_r, self._wake_w = socket.socketpair()
        #: Closed by settle() at the end of a test, opened by release() at
        #: the start of the next: requests wait for it before they run.
        self.gate = threading.Event()
        self.gate.set()
        self._workers: list[_Worker] = []
        # Idle workers, the one that became idle last at the end: it is
        # the first to get a connection again.
        self._idle: list[_Worker] = []
        self._started = 0
        self.threads = threads

    @property
    def stopping(self) -> bool:
        """True once :meth:`shutdown` was called."""
        return self._stopping

    def wait_until_ready(self, timeout: float = 10.0) -> None:
        """Return once :meth:`serve_forever` accepts connections."""
        if not self._ready.wait(timeout):
            raise Error(
                f"{self.name} did not start accepting connections within"
                f" {timeout} s; is its thread blocked?"
            )

    def serve_forever(self, poll_interval: float | None = None) -> None:
        """Accept connections until :meth:`shutdown` is called.

        ``poll_interval`` is accepted for compatibility with
        :mod:`socketserver` and ignored: shutdown wakes the loop at once.
        """
        selector = selectors.DefaultSelector()
        try:
            for sock in self.sockets:
                sock.setblocking(False)
                selector.register(sock, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            self._ready.set()
            while not self._stopping:
                for key, _ in selector.select():
                    if key.fileobj is self._wake_r:
                        break
                    self._accept(key.fileobj)
        finally:
            selector.close()
            self._stopped.set()

    def _accept(self, listener: Any) -> None:
        while not self._stopping:
            try:
                sock, address = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                # Out of file descriptors, or the client gave up before we
                # got to it: keep serving the others.
                if e.errno not in (errno.EMFILE, errno.ENFILE):
                    return
                warn(f"{self.name} cannot accept a connection: {e}")
                time.sleep(0.01)
                return
            sock.setblocking(True)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            connection = Connection(sock, address)
            connection.idle_known = self.connections_start_idle
            with self._lock:
                if self._stopping:
                    sock.close()
                    return
                self._connections.add(connection)
                worker = self._idle.pop() if self._idle else None
            if worker is None:
                worker = self._start_worker(idle=False)
            worker.tasks.put(connection)

    def top_up(self) -> None:
        """Start workers until ``threads`` of them are idle.

        The layers call this at setUp and at testSetUp: zope.testrunner
        reports every thread that a test leaves running, and it takes its
        list of threads after the layers' testSetUp.
        """
        with self._lock:
            missing = self.threads - len(self._idle)
        for _ in range(max(0, missing)):
            self._start_worker()

    def _start_worker(self, idle: bool = True) -> _Worker:
        with self._lock:
            self._started += 1
            number = self._started
        worker = _Worker(self, number)
        with self._lock:
            self._workers.append(worker)
            if idle:
                self._idle.append(worker)
        worker.thread.start()
        return worker

    def _work(self, worker: _Worker) -> None:
        while True:
            connection = worker.tasks.get()
            if connection is None:
                return
            self._serve_connection(connection)
            with self._lock:
                # In one step, so that settle() never sees the connection
                # gone and its worker not yet idle.
                self._connections.discard(connection)
                if not self._stopping:
                    self._idle.append(worker)
                self._changed.notify_all()

    def settle(self, timeout: float = 2.0) -> None:
        """Let the test's requests finish; hold new ones; tidy up.

        The layers call this at testTearDown, before the test's state (a
        ZODB, a document root) is rolled back, and :meth:`release` at the
        next testSetUp:

        - a request that arrives from now on waits (a browser's late XHR)
          until the next test starts, so no request runs halfway through
          the change from one test's state to the next;
        - requests that are being answered may finish, for up to
          ``timeout`` seconds; one still running then is reported by
          method and path, and goes on;
        - idle keep-alive connections are closed: they would hold worker
          threads from one test into the next, and zope.testrunner reports
          every thread that a test leaves running (clients open new ones,
          as browsers do without fuss);
        - the newest idle workers beyond ``threads`` end.
        """
        self.gate.clear()
        deadline = time.monotonic() + timeout
        closed: set[Connection] = set()
        with self._lock:
            self.settling = True
            while True:
                busy = []
                for connection in self._connections:
                    if not connection.idle_known or connection in closed:
                        continue
                    if connection.state is None:
                        connection.shut()
                        closed.add(connection)
                    elif not connection.held:
                        busy.append(connection)
                left = deadline - time.monotonic()
                if left <= 0 or not (busy or closed & self._connections):
                    break
                self._changed.wait(min(left, 0.05))
            self.settling = False
            if busy:
                warn(
                    f"{self.name}: request(s) still running {timeout} s"
                    " after the end of their test: "
                    + ", ".join(c.describe() for c in busy)
                    + "; they go on while the next test sets up."
                )
            extra = len(self._workers) - self.threads
            ending = sorted(self._idle, key=lambda w: w.number)[-extra:]
            if extra <= 0 or not ending:
                return
            for worker in ending:
                self._idle.remove(worker)
                self._workers.remove(worker)
        for worker in ending:
            worker.tasks.put(None)
        # Idle workers end at once; the bound is only a safety net.
        deadline = time.monotonic() + 1.0
        for worker in ending:
            worker.thread.join(max(0.0, deadline - time.monotonic()))

    def release(self) -> None:
        """Let requests held by :meth:`settle` run (the next test started)."""
        self.gate.set()

    def wait_for_test(self, connection: Connection) -> bool:
        """Hold a request that arrived between two tests until the next one.

        A protocol handler calls this before it runs a request while the
        gate is closed; False means that the server stops instead.
        """
        connection.held = True
        with self._lock:
            self._changed.notify_all()  # settle() need not wait for it
        try:
            while not self.gate.wait(0.05):
                if self._stopping:
                    return False
            return not self._stopping
        finally:
            connection.held = False

    #: True when the handler keeps ``Connection.state`` (the WSGI engine
    #: does): a connection that no worker has picked up yet then counts as
    #: idle, so that settle() closes it too.
    connections_start_idle = False

    #: ``(path, application)``: requests for ``path`` and below go to this
    #: WSGI application (the control endpoint of ``python -m
    #: gocept.httpserverlayer serve``) instead of the layer's, at once,
    #: also between tests, unrecorded, and :meth:`settle` does not wait
    #: for them. None (the default): no path is reserved.
    control: tuple[str, Any] | None = None

    #: True while :meth:`settle` waits for busy connections to become idle;
    #: a protocol handler then calls :meth:`now_idle` when one does.
    settling = False

    def now_idle(self, connection: Connection) -> None:
        """Mark ``connection`` as waiting for a request, and tell settle()."""
        connection.state = None
        if self.settling:
            with self._lock:
                self._changed.notify_all()

    def _serve_connection(self, connection: Connection) -> None:
        connection.thread = threading.current_thread()
        try:
            tls = self.ssl_context is not None
            if tls and not self._handshake(connection):
                return
            self.handler(connection, self)
        except BaseException as e:
            if not is_disconnect(e) and not self._stopping:
                self.errors.append(
                    ServerError(
                        connection.describe(),
                        report_exception(
                            f"{self.name} failed serving"
                            f" {connection.describe()}"
                        ),
                    )
                )
        finally:
            connection.sock.close()

    def _handshake(self, connection: Connection) -> bool:
        """Wrap the connection in TLS; return whether the handshake worked."""
        assert self.ssl_context is not None
        raw = connection.sock
        raw.settimeout(self.handshake_timeout)
        # Until the handshake is done the connection counts as idle, so
        # that settle() and shutdown() may close it.
        connection.idle_known = True
        with self._lock:
            # Under the lock: shutdown() and settle() shut connections under
            # it, and wrapping takes the file descriptor from ``raw``.
            if self._stopping:
                return False
            tls = self.ssl_context.wrap_socket(
                raw, server_side=True, do_handshake_on_connect=False
            )
            connection.sock = tls
        try:
            tls.do_handshake()
        except (OSError, ValueError):
            # ssl.SSLError, a timeout, a reset: not an HTTPS client, or one
            # that does not trust us. Nothing to report.
            return False
        tls.settimeout(None)
        connection.idle_known = False
        return True

    def shutdown(self) -> None:
        """Stop accepting, close idle connections, wait (bounded) for the rest.

        Returns once the accept loop has ended and every worker thread has
        finished, or after ``shutdown_timeout`` seconds with a warning that
        names each request still running.
        """
        self._stopping = True
        self.gate.set()  # held requests see the server stop
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        if self._ready.is_set():
            self._stopped.wait(self.shutdown_timeout)
        with self._lock:
            for connection in self._connections:
                connection.shut()
            workers, self._workers, self._idle = self._workers, [], []
        for worker in workers:
            worker.tasks.put(None)
        deadline = time.monotonic() + self.shutdown_timeout
        for worker in workers:
            if worker.thread is not threading.current_thread():
                worker.thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            stuck = list(self._connections)
        for connection in stuck:
            connection.shut(socket.SHUT_RDWR)
        if stuck:
            warn(
                f"{self.name}: {len(stuck)} request(s) still running after"
                f" {self.shutdown_timeout} s: "
                + ", ".join(c.describe() for c in stuck)
                + "; their threads are left behind as daemon threads."
            )

    def server_close(self) -> None:
        """Close the listening sockets and release the port."""
        for sock in self.sockets:
            sock.close()
        self._wake_r.close()
        self._wake_w.close()

    # wsgiref.simple_server.WSGIServer compatibility, so that the
    # ``request_handler_class`` of 4.x wsgi layers keeps working.

    application: Any = None
    base_environ: dict[str, str] = {}
    #: Where answered requests are recorded (a layer's ``http_requests``).
    records: RequestLog | None = None

    def set_app(self, application: Any) -> None:
        self.application = application

    def get_app(self) -> Any:
        return self.application
