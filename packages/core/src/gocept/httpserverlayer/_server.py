"""The threaded TCP server behind every layer: sockets, workers, the gate.

One thread accepts connections on one or more listening sockets and hands
each to a worker thread, which runs the server's *protocol* (the WSGI
engine of :mod:`._wsgi`, or the request handler route of :mod:`._handler`)
until the connection ends. A worker serves one connection at a time, and
when all workers are busy a new one is started, so that no connection waits
for another: a browser opens several at once, and each must be served at
once, also while another waits for a slow response. The workers are started
with the server, at the layer's setUp, because zope.testrunner reports every
thread that a test leaves running.

The protocol sees the server only through its :class:`~._site.Site`: the
application, the records, the names, and the :class:`~._site.TestGate`
that :meth:`Server.settle` closes at the end of a test and
:meth:`Server.release` opens at the start of the next.

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

import collections
import errno
import queue
import selectors
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from gocept.httpserverlayer._connection import CONTROL
from gocept.httpserverlayer._connection import HANDSHAKE
from gocept.httpserverlayer._connection import HELD
from gocept.httpserverlayer._connection import Connection
from gocept.httpserverlayer._connection import is_disconnect
from gocept.httpserverlayer._errors import BindError
from gocept.httpserverlayer._errors import Error
from gocept.httpserverlayer._records import RequestLog
from gocept.httpserverlayer._records import ServerError
from gocept.httpserverlayer._report import warn
from gocept.httpserverlayer._site import Site
from gocept.httpserverlayer._site import TestGate

__all__ = ["BindError", "Error", "Protocol", "Server", "bind"]

#: Serves one connection on a worker thread until it ends (returns False or
#: None), or until it hands it back between two requests (returns True, see
#: ``Site.crowded``).
Protocol = Callable[[Connection], "bool | None"]
#: Makes the protocol of a server: ``factory(site, server)``.
ProtocolFactory = Callable[[Site, "Server"], Protocol]


# Linux hands TCP_NODELAY of a listening socket on to the connections it
# accepts; elsewhere it is set on each one.
_NODELAY_INHERITED = sys.platform.startswith("linux")
# The first task of a worker started for a waiting connection: take it.
_PENDING: Any = object()
# The data of the wake-up socket in the accept loop's selector.
_WAKE: Any = object()


class _Worker:
    """A worker thread and the queue through which it gets connections."""

    __slots__ = ("thread", "tasks", "number")

    def __init__(self, server: Server, number: int) -> None:
        self.number = number
        self.tasks: queue.SimpleQueue[Any] = queue.SimpleQueue()
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
        # Small responses go out at once; Linux hands this on to every
        # connection accepted (see _NODELAY_INHERITED).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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
    :param port: the port, 0 to let the OS pick one.
    :param protocol: called as ``protocol(site, server)`` once the server
        is bound; returns what serves a connection, called as
        ``serve(connection)`` on the connection's own thread until the
        connection is done.
    :param server_name: the host name clients use (``SERVER_NAME``), if
        not ``host``: for a server that listens on 0.0.0.0, say.
    :param name: used in thread names and messages.
    :param shutdown_timeout: how long :meth:`shutdown` waits for requests
        that are still being answered.
    :param threads: how many idle worker threads :meth:`top_up` provides.
        When all workers are busy, each new connection starts one more, so
        connections never wait for each other; the pool shrinks only at
        settle() and shutdown.
    :param ssl_context: serve HTTPS with this server-side context. The TLS
        handshake runs on the connection's worker thread, never in the
        accept loop, so a client that connects and never says anything
        holds up no one else; a handshake that fails (plain HTTP sent to
        the port, a client that does not trust the certificate) or takes
        longer than ``handshake_timeout`` seconds closes that connection
        silently.
    :param verbose: write a log line per request.
    """

    def __init__(
        self,
        host: str,
        port: int,
        protocol: ProtocolFactory,
        *,
        name: str = "HTTP server",
        shutdown_timeout: float = 5.0,
        threads: int = 4,
        server_name: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        handshake_timeout: float = 10.0,
        verbose: bool = False,
    ) -> None:
        self.name = name
        self.ssl_context = ssl_context
        self.handshake_timeout = handshake_timeout
        self.shutdown_timeout = shutdown_timeout
        self.sockets = bind(host, port)
        self.socket = self.sockets[0]
        self.server_address = self.socket.getsockname()[:2]
        self.server_name = server_name or host
        self.server_port: int = self.server_address[1]
        self._connections: set[Connection] = set()
        self._lock = threading.Lock()
        # Notified when a worker is done with a connection, or one becomes
        # idle or held while settle() waits.
        self._changed = threading.Condition(self._lock)
        #: Holds requests between two tests (see :meth:`settle`).
        self.gate = TestGate(self._changed)
        #: What the protocol sees of the server.
        self.site = Site(
            name=name,
            server_name=self.server_name,
            server_port=self.server_port,
            url_scheme="https" if ssl_context is not None else "http",
            gate=self.gate,
            verbose=verbose,
        )
        #: ``http``, or ``https`` when serving with an ``ssl_context``.
        self.url_scheme = self.site.url_scheme
        #: Whether to write a log line per request (handlers read it).
        self.verbose = verbose
        #: The requests answered during the current test.
        self.records: RequestLog = self.site.records
        #: Exceptions caught while serving, since the current test began.
        self.errors: list[ServerError] = self.site.errors
        try:
            self.protocol = protocol(self.site, self)
        except BaseException:
            for sock in self.sockets:
                sock.close()
            raise
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_w.setblocking(False)  # _wake() never waits
        self._workers: list[_Worker] = []
        # Idle workers, the one that became idle last at the end: it is
        # the first to get a connection again.
        self._idle: list[_Worker] = []
        self._started = 0
        # Accepted connections that wait for a worker, oldest first; the
        # spawner thread, while it starts workers for them; how many of
        # those have yet to take one.
        self._pending: collections.deque[Connection] = collections.deque()
        self._spawner: threading.Thread | None = None
        self._spawned: threading.Thread | None = None
        self._starting = 0
        # Connections parked between two requests (see _park): all of them,
        # and those the accept loop has yet to watch.
        self._parked: set[Connection] = set()
        self._to_watch: list[Connection] = []
        self.threads = threads

    @property
    def application(self) -> Any:
        """What the protocol serves (``set_app``)."""
        return self.site.app

    def set_app(self, application: Any) -> None:
        """Serve ``application`` from the next request on."""
        self.site.app = application

    def get_app(self) -> Any:
        """The application (``wsgiref`` request handlers call this)."""
        return self.site.app

    @property
    def control(self) -> tuple[str, Any] | None:
        """``(path, application)`` of a control endpoint (``Site.control``)."""
        return self.site.control

    @control.setter
    def control(self, value: tuple[str, Any] | None) -> None:
        self.site.control = value

    #: The environ ``wsgiref`` request handlers start from (``wsgi.Layer``
    #: sets it for its ``request_handler_class``).
    base_environ: dict[str, str] = {}

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
            selector.register(self._wake_r, selectors.EVENT_READ, _WAKE)
            self._ready.set()
            while not self.gate.stopped:
                for key, _ in selector.select():
                    if key.data is None:
                        self._accept(key.fileobj)
                    elif key.data is _WAKE:
                        if self.gate.stopped:
                            break  # shutdown() woke it: nothing to watch
                        self._woken(selector)
                    else:  # a parked connection: its next request came
                        selector.unregister(key.fileobj)
                        self._resume(key.data)
        finally:
            selector.close()
            self._stopped.set()

    def _accept(self, listener: Any) -> None:
        while not self.gate.stopped:
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
            if not _NODELAY_INHERITED:
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:
                    pass
            connection = Connection(sock, address)
            with self._lock:
                if self.gate.stopped:
                    sock.close()
                    return
                self._connections.add(connection)
            self._dispatch(connection)

    def _dispatch(self, connection: Connection) -> None:
        """Give ``connection`` to an idle worker, or have it wait for one."""
        spawner = None
        with self._lock:
            if self._idle:
                worker = self._idle.pop()
            else:
                # Every worker is busy: the connection waits for the
                # first to finish a request, or for one the spawner
                # starts. Never start one here: Thread.start waits until
                # the new thread runs, which takes long while busy
                # workers hold the GIL, and connections would pile up
                # unaccepted meanwhile.
                worker = None
                self._pending.append(connection)
                self.site.crowded = True
                if self._spawner is None:
                    spawner = self._spawner = threading.Thread(
                        target=self._spawn,
                        name=f"{self.name} spawner",
                        daemon=True,
                    )
        if worker is not None:
            worker.tasks.put(connection)
        elif spawner is not None:
            spawner.start()

    def _park(self, connection: Connection) -> None:
        """Wait in line with a connection that a worker handed back between
        two requests (``Site.crowded``): the accept loop watches it for the
        next one."""
        if connection.has_request():
            self._dispatch(connection)  # sent already: in line at once
            return
        with self._lock:
            if self.gate.stopped:
                self._connections.discard(connection)
                connection.close()
                return
            self._parked.add(connection)
            wake = not self._to_watch
            self._to_watch.append(connection)
        if wake:
            self._wake()

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass  # full (the loop wakes anyway) or closed (shut down)

    def _woken(self, selector: selectors.BaseSelector) -> None:
        """Watch the connections parked meanwhile (on the loop's thread: a
        selector is not for sharing)."""
        try:
            self._wake_r.recv(4096)
        except OSError:
            pass
        with self._lock:
            watch, self._to_watch = self._to_watch, []
        for connection in watch:
            selector.register(
                connection.sock, selectors.EVENT_READ, connection
            )

    def _resume(self, connection: Connection) -> None:
        """A parked connection has its next request (or was closed)."""
        with self._lock:
            self._parked.discard(connection)
        self._dispatch(connection)

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
        """Start a worker; an idle one, or one for a waiting connection."""
        with self._lock:
            self._started += 1
            worker = _Worker(self, self._started)
            self._workers.append(worker)
            if idle:
                self._idle.append(worker)
            else:
                worker.tasks.put(_PENDING)
        try:
            worker.thread.start()
        except BaseException:
            with self._lock:
                self._workers.remove(worker)
                if worker in self._idle:
                    self._idle.remove(worker)
            raise
        return worker

    def _spawn(self) -> None:
        """Start workers while connections wait for one (a thread of its
        own, so that the accept loop never waits for a thread to start)."""
        while True:
            with self._lock:
                if self.gate.stopped or len(self._pending) <= self._starting:
                    # Done; settle() and shutdown() join it (_spawned).
                    self._spawned = self._spawner
                    self._spawner = None
                    self._changed.notify_all()
                    return
                self._starting += 1
            try:
                self._start_worker(idle=False)
            except RuntimeError as e:  # the system refuses another thread
                with self._lock:
                    self._starting -= 1
                    self._spawned = self._spawner
                    self._spawner = None
                    self._changed.notify_all()
                    waiting = len(self._pending)
                warn(
                    f"{self.name} cannot start another worker thread ({e});"
                    f" {waiting} connection(s) wait for a busy one to"
                    " finish."
                )
                return

    def _drop_pending(self, keep_requests: bool = False) -> set[Connection]:
        """Close the connections that wait for a worker (under the lock);
        with ``keep_requests``, only those without a request to read, and
        return the others (in line still)."""
        if not self._pending:
            return set()  # nearly always (crowded is False then)
        kept: collections.deque[Connection] = collections.deque()
        for connection in self._pending:
            if keep_requests and connection.has_request():
                kept.append(connection)
            else:
                connection.close()
                self._connections.discard(connection)
        self._pending = kept
        self.site.crowded = bool(kept)
        return set(kept)

    def _work(self, worker: _Worker) -> None:
        connection: Connection | None = None
        while True:
            if connection is None:
                task = worker.tasks.get()
                if task is None:
                    return
                if task is _PENDING:  # started by the spawner
                    with self._lock:
                        self._starting -= 1
                        self._changed.notify_all()
                        if self.gate.stopped:
                            continue  # its None follows
                        if not self._pending:
                            # Taken by a worker that finished first.
                            self._idle.append(worker)
                            continue
                        task = self._next_pending()
                connection = task
            parked = self._serve_connection(connection)
            if parked:
                self._park(connection)
            with self._lock:
                # In one step, so that settle() never sees the connection
                # gone and its worker not yet idle.
                if not parked:
                    self._connections.discard(connection)
                connection = None
                if self.gate.stopped:
                    pass
                elif self._pending:
                    connection = self._next_pending()
                else:
                    self._idle.append(worker)
                self._changed.notify_all()

    def _next_pending(self) -> Connection:
        """The connection that waited longest (under the lock)."""
        connection = self._pending.popleft()
        if not self._pending:
            self.site.crowded = False
        return connection

    def settle(self, timeout: float = 2.0) -> None:
        """Let the test's requests finish; hold new ones; tidy up.

        The layers call this at testTearDown, before the test's state (a
        ZODB, a document root) is rolled back, and :meth:`release` at the
        next testSetUp:

        - a request that arrives from now on waits (a browser's late XHR)
          until the next test starts, so no request runs halfway through
          the change from one test's state to the next;
        - requests that are being received or answered may finish, for up
          to ``timeout`` seconds; one still running then is reported by
          method and path, and goes on;
        - connections waiting for a request (idle keep-alive connections,
          new ones) are closed: they would hold worker threads from one
          test into the next, and zope.testrunner reports every thread
          that a test leaves running (clients open new ones, as browsers
          do without fuss);
        - the newest idle workers beyond ``threads`` end.
        """
        gate = self.gate
        gate.close()
        deadline = time.monotonic() + timeout
        closed: set[Connection] = set()
        with self._lock:
            gate.settling = True
            while True:
                # Those that wait for a worker with a request are the
                # test's: served or held, as a worker gets to them.
                waiting = self._drop_pending(keep_requests=True)
                busy = list(waiting)
                for connection in self._connections:
                    if connection in closed or connection in waiting:
                        continue
                    if connection.phase.closable:
                        connection.shut()
                        closed.add(connection)
                    elif connection.phase not in (HELD, CONTROL):
                        busy.append(connection)
                left = deadline - time.monotonic()
                # The spawner, and the workers it started, must be done: a
                # thread the test started and left running is reported.
                spawning = self._spawner is not None or self._starting > 0
                if left <= 0 or not (
                    busy or closed & self._connections or spawning
                ):
                    break
                self._changed.wait(min(left, 0.05))
            gate.settling = False
            spawner, self._spawned = self._spawned, None
            if busy:
                warn(
                    f"{self.name}: request(s) still running {timeout} s"
                    " after the end of their test: "
                    + ", ".join(c.describe() for c in busy)
                    + "; they go on while the next test sets up."
                )
            extra = len(self._workers) - self.threads
            ending: list[_Worker] = []
            if extra > 0:
                ending = sorted(self._idle, key=lambda w: w.number)[-extra:]
            for worker in ending:
                self._idle.remove(worker)
                self._workers.remove(worker)
        if spawner is not None:
            spawner.join(1.0)  # it said it is done: a matter of microseconds
        for worker in ending:
            worker.tasks.put(None)
        # Idle workers end at once; the bound is only a safety net.
        deadline = time.monotonic() + 1.0
        for worker in ending:
            worker.thread.join(max(0.0, deadline - time.monotonic()))

    def release(self) -> None:
        """Let requests held by :meth:`settle` run (the next test started)."""
        self.gate.open()

    def _serve_connection(self, connection: Connection) -> bool:
        """Serve ``connection`` until it ends (False) or is parked (True)."""
        connection.thread = threading.current_thread()
        parked = False
        try:
            new = connection.rfile is None
            if new and self.ssl_context is not None:
                if not self._handshake(connection):
                    return False
            parked = self.protocol(connection) is True
        except BaseException as e:
            if not is_disconnect(e) and not self.gate.stopped:
                self.site.report_error(connection, "failure")
        finally:
            if not parked:
                connection.close()
        return parked

    def _handshake(self, connection: Connection) -> bool:
        """Wrap the connection in TLS; return whether the handshake worked."""
        assert self.ssl_context is not None
        raw = connection.sock
        raw.settimeout(self.handshake_timeout)
        # Until the handshake is done the connection may be closed by
        # settle() and shutdown().
        connection.phase = HANDSHAKE
        with self._lock:
            # Under the lock: shutdown() and settle() shut connections under
            # it, and wrapping takes the file descriptor from ``raw``.
            if self.gate.stopped:
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
        return True

    def shutdown(self) -> None:
        """Stop accepting, close idle connections, wait (bounded) for the rest.

        Returns once the accept loop has ended and every worker thread has
        finished, or after ``shutdown_timeout`` seconds with a warning that
        names each request still running.
        """
        self.gate.stop()  # held requests see the server stop
        self._wake()
        if self._ready.is_set():
            self._stopped.wait(self.shutdown_timeout)
        # The accept loop has ended: no spawner starts any more. One still
        # running sees the server stopped and ends, its workers listed.
        with self._lock:
            spawner = self._spawner or self._spawned
        if spawner is not None and spawner.ident is not None:
            spawner.join(self.shutdown_timeout)
        with self._lock:
            self._drop_pending()
            # Parked connections: the accept loop, which watched them, has
            # ended; no worker serves them.
            for connection in self._parked:
                connection.close()
                self._connections.discard(connection)
            self._parked.clear()
            self._to_watch = []
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
