"""The ASGI engine: one asyncio event loop on a thread of its own.

:class:`AsgiServer` has the shape of :class:`._server.Server` that
:class:`._layer.ServerLayer` drives (``serve_forever`` on ``httpd_thread``,
``wait_until_ready``, ``settle``, ``release``, ``shutdown``,
``server_close``, ``records``, ``errors``), so that ``asgi.Layer`` sets the
same resources and keeps the same per-test guarantees as ``wsgi.Layer``.
Every connection is served by the loop: HTTP/1.1 by
:class:`._asgi_http.HttpProtocol` (httptools), websockets by
:class:`._asgi_ws.WebSocketProtocol` (wsproto), the ``lifespan`` protocol by
:class:`._asgi_lifespan.Lifespan`. Nothing here blocks the loop; the test
thread talks to it through :func:`asyncio.run_coroutine_threadsafe`.

Why a loop of our own rather than uvicorn or hypercorn in a thread: the
benchmarks (``make bench``, figure g) measure both; the layer needs to hold
requests between tests, close a test's websockets with a code of its own,
and cancel a stuck application at once, which those servers do not offer
without reaching into their internals.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from typing import Any

# Imported here, so that a missing httptools or wsproto shows at once (the
# layer turns the ImportError into a message that says what to install).
from gocept.httpserverlayer._asgi_http import HttpProtocol
from gocept.httpserverlayer._asgi_lifespan import Lifespan
from gocept.httpserverlayer._asgi_ws import WebSocketProtocol
from gocept.httpserverlayer._errors import Error
from gocept.httpserverlayer._records import RequestLog
from gocept.httpserverlayer._records import ServerError
from gocept.httpserverlayer._report import warn
from gocept.httpserverlayer._server import bind

Protocol = HttpProtocol | WebSocketProtocol

#: The close code of a websocket still open when its test ends (testTearDown)
#: or when the server stops (tearDown): RFC 6455 7.4.1, "going away".
GOING_AWAY = 1001


class AsgiServer:
    """Serves an ASGI 3 application on an asyncio loop of its own.

    The constructor binds the listening sockets (as :class:`._server.Server`
    does: ``localhost`` is 127.0.0.1 and ::1); :meth:`serve_forever` runs the
    loop, runs the application's lifespan startup and then accepts
    connections.

    :param app: the ASGI 3 application.
    :param threads: ignored; the loop serves every connection.
    """

    url_scheme = "http"
    #: How long :meth:`wait_until_ready` waits for the lifespan startup.
    startup_timeout = 30.0
    #: Seconds a websocket client has to answer our close frame.
    close_timeout = 1.0
    websocket_close_code = GOING_AWAY
    #: ``(path, application)``: requests for ``path`` and below go to this
    #: WSGI application (the control endpoint of ``python -m
    #: gocept.httpserverlayer serve``, see ``Site.control``): at once, also
    #: between tests, unrecorded, and settle() does not wait for them.
    control: tuple[str, Any] | None = None

    def __init__(
        self,
        host: str,
        port: int,
        app: Any,
        *,
        name: str = "ASGI server",
        shutdown_timeout: float = 5.0,
        threads: int = 0,
        server_name: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        handshake_timeout: float = 10.0,
        verbose: bool = False,
    ) -> None:
        self.name = name
        self.verbose = verbose
        self.application = app
        self.shutdown_timeout = shutdown_timeout
        self.ssl_context = ssl_context
        self.handshake_timeout = handshake_timeout
        if ssl_context is not None:
            self.url_scheme = "https"
        self.sockets = bind(host, port)
        self.socket = self.sockets[0]
        self.server_address = self.socket.getsockname()[:2]
        self.server_name = server_name or host
        self.server_port: int = self.server_address[1]
        #: Exceptions caught while serving, since the current test began.
        self.errors: list[ServerError] = []
        #: Where answered requests are recorded (``http_requests``).
        self.records = RequestLog()
        self.loop = asyncio.new_event_loop()
        self.connections: set[Protocol] = set()
        # Set while tests may run requests; cleared by settle().
        self.gate = asyncio.Event()
        self.gate.set()
        # Set whenever a connection becomes idle, held or goes away.
        self.changed = asyncio.Event()
        self.lifespan = Lifespan(self)
        self._listeners: list[asyncio.Server] = []
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._stopping = False
        # True while the loop runs (between a successful start and stop).
        self._serving = False
        # True once _shutdown() has ended the tasks and stopped the loop.
        self._stopped = False
        # True from settle() to release() (the test thread's view).
        self._gate_closed = False

    @property
    def stopping(self) -> bool:
        """True once :meth:`shutdown` was called."""
        return self._stopping

    def set_app(self, application: Any) -> None:
        self.application = application

    def get_app(self) -> Any:
        return self.application

    # The loop thread ---------------------------------------------------

    def serve_forever(self, poll_interval: float | None = None) -> None:
        """Run the loop: lifespan startup, then accept until shutdown."""
        loop = self.loop
        asyncio.set_event_loop(loop)
        try:
            try:
                loop.run_until_complete(self._start())
            except BaseException as e:
                self._failure = e
                return
            self._serving = True
            self._ready.set()
            loop.run_forever()  # until _shutdown() stops it
        finally:
            self._serving = False
            try:
                if not self._stopped:  # _shutdown() did not get to it
                    self._cancel_left_over()
                    loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                asyncio.set_event_loop(None)
                loop.close()
                self._ready.set()

    async def _start(self) -> None:
        await self.lifespan.startup(self.startup_timeout)
        for sock in self.sockets:
            sock.setblocking(False)
            listener = await self.loop.create_server(
                lambda: HttpProtocol(self),
                sock=sock,
                ssl=self.ssl_context,
                ssl_handshake_timeout=(
                    self.handshake_timeout if self.ssl_context else None
                ),
                start_serving=True,
            )
            self._listeners.append(listener)

    def _cancel_left_over(self) -> None:
        """Cancel what still runs when the loop stops (a stuck app)."""
        tasks = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            self.loop.run_until_complete(
                asyncio.wait(tasks, timeout=self.shutdown_timeout)
            )

    def wait_until_ready(self, timeout: float | None = None) -> None:
        """Return once the lifespan startup is done and the server accepts
        connections; raise what made either fail."""
        limit = self.startup_timeout + 10.0 if timeout is None else timeout
        if not self._ready.wait(limit):
            raise Error(
                f"{self.name} did not start within {limit} s; is its event"
                " loop blocked by the application?"
            )
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def top_up(self) -> None:
        """Nothing to do: the loop serves every connection (no workers)."""

    # Calls from the test thread ----------------------------------------

    def _call(self, coro: Any, timeout: float) -> Any:
        """Run ``coro`` on the loop and wait (bounded) for its result."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            warn(
                f"{self.name}: its event loop did not answer within"
                f" {timeout} s; is the application blocking it (a"
                " synchronous call in a coroutine)?"
            )
            return None

    def settle(self, timeout: float = 2.0) -> None:
        """Let the test's requests finish; hold new ones; tidy up.

        Called at testTearDown (see :meth:`._server.Server.settle`). Open
        websockets are closed with ``websocket_close_code`` (1001, going
        away) and reported by path.
        """
        if not self._serving:
            return
        self._gate_closed = True
        try:
            quiet = not any(p.busy for p in list(self.connections))
        except RuntimeError:  # the loop changed the set meanwhile
            quiet = False
        if quiet:
            # Nothing to wait for: hold what comes next, close the idle
            # connections, without waiting for the loop.
            self.loop.call_soon_threadsafe(self._close_idle)
            return
        self._call(self._settle(timeout), timeout + 5.0)

    def _close_idle(self) -> None:
        self.gate.clear()
        for protocol in list(self.connections):
            if protocol.idle:
                protocol.close_idle()

    def release(self) -> None:
        """Let requests held by :meth:`settle` run (the next test started)."""
        # Only after a settle() (on this thread too): waking the loop for
        # nothing is not free. The gate's own flag would not do: a settle()
        # may have asked the loop to close it, and the loop not done so yet.
        if self._serving and self._gate_closed:
            self._gate_closed = False
            self.loop.call_soon_threadsafe(self.gate.set)

    def shutdown(self) -> None:
        """Stop accepting, close every connection, cancel the application's
        running tasks, run the lifespan shutdown; bounded."""
        self._stopping = True
        if self._serving:
            # _shutdown() stops the loop itself: one round trip.
            self._call(self._shutdown(), self.shutdown_timeout * 2 + 1.0)

    def server_close(self) -> None:
        """Close the listening sockets and release the port."""
        for sock in self.sockets:
            sock.close()

    # Coroutines on the loop ----------------------------------------------

    def notify(self) -> None:
        """A connection became idle, held, or went away (tell settle)."""
        self.changed.set()

    async def _settle(self, timeout: float) -> None:
        self.gate.clear()
        deadline = time.monotonic() + timeout
        closed = []
        for protocol in list(self.connections):
            if protocol.idle:
                protocol.close_idle()
            elif protocol.is_websocket and protocol.open:
                closed.append(protocol.describe())
                protocol.close_websocket(
                    self.websocket_close_code, "end of test"
                )
        while True:
            busy = [p for p in self.connections if p.busy and not p.held]
            left = deadline - time.monotonic()
            if not busy or left <= 0:
                break
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), min(left, 0.5))
            except TimeoutError:
                pass
        for protocol in list(self.connections):
            if protocol.idle:
                protocol.close_idle()
        if closed:
            warn(
                f"{self.name}: closed {len(closed)} websocket(s) still open at"
                f" the end of their test with code {self.websocket_close_code}"
                " (going away): " + ", ".join(closed)
            )
        if busy:
            warn(
                f"{self.name}: request(s) still running {timeout} s after the"
                " end of their test: "
                + ", ".join(p.describe() for p in busy)
                + "; they go on while the next test sets up, and are"
                " cancelled at tearDown."
            )

    async def _shutdown(self) -> None:
        self.gate.set()  # held requests see the server stop
        for listener in self._listeners:
            listener.close()
        tasks = []
        cut = []
        for protocol in list(self.connections):
            if protocol.busy and not protocol.held and not protocol.open:
                # An open websocket is closed, not cut: only its app's
                # task is cancelled, as that of any request.
                cut.append(protocol.describe())
            tasks.extend(protocol.stop(self.websocket_close_code))
        if tasks:
            await asyncio.wait(tasks, timeout=self.shutdown_timeout)
        stuck = [t for t in tasks if not t.done()]
        if cut:
            warn(
                f"{self.name} shut down with {len(cut)} request(s) unfinished,"
                " cancelled: " + ", ".join(cut)
            )
        if stuck:
            warn(
                f"{self.name}: {len(stuck)} task(s) of the application did not"
                f" end within {self.shutdown_timeout} s of being cancelled."
            )
        for protocol in list(self.connections):
            protocol.abort()
        await self.lifespan.shutdown(self.shutdown_timeout)
        for listener in self._listeners:
            await listener.wait_closed()
        # What is left (a task the app started and never awaited, say),
        # then the async generators, here rather than in further runs of
        # the loop after it stopped.
        left = [
            t
            for t in asyncio.all_tasks()
            if t is not asyncio.current_task() and not t.done()
        ]
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left, timeout=self.shutdown_timeout)
        await self.loop.shutdown_asyncgens()
        self._stopped = True
        # After this coroutine's result reached the waiting thread (its
        # done callbacks run in the same turn of the loop).
        self.loop.call_soon(self.loop.stop)
