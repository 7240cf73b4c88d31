"""HTTP/1.1 for an ASGI 3 application, on httptools (llhttp).

One :class:`HttpProtocol` per connection parses requests with httptools and
runs one :class:`Cycle` (a task of the application) per request, in order:
pipelined requests wait for the one before them. Keep-alive as HTTP/1.1
says; request bodies reach the app as they arrive (``http.request`` with
``more_body``), with reading paused while the app does not take them;
response bodies go out as the app sends them, framed by the app's
Content-Length, by chunked encoding, or (HTTP/1.0) by closing.

Bad input never reaches the application: what llhttp refuses, a request
line or headers that are too large, a missing or repeated Host, a path that
is not UTF-8 once percent-decoded: a 4xx and the connection is closed.

A websocket handshake (``Upgrade: websocket``) hands the connection to
:class:`._asgi_ws.WebSocketProtocol`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import unquote_to_bytes

import httptools

from gocept.httpserverlayer._asgi_conn import ASGI
from gocept.httpserverlayer._asgi_conn import REASONS
from gocept.httpserverlayer._asgi_conn import SERVER
from gocept.httpserverlayer._asgi_conn import ClientDisconnected
from gocept.httpserverlayer._asgi_conn import FlowControl
from gocept.httpserverlayer._asgi_conn import Reject
from gocept.httpserverlayer._asgi_conn import call_app
from gocept.httpserverlayer._asgi_conn import check_headers
from gocept.httpserverlayer._asgi_conn import error_response
from gocept.httpserverlayer._asgi_conn import http_date
from gocept.httpserverlayer._asgi_conn import peer
from gocept.httpserverlayer._asgi_conn import report
from gocept.httpserverlayer._records import Request
from gocept.httpserverlayer._report import request_line
from gocept.httpserverlayer._site import asks_for_control

if TYPE_CHECKING:
    from gocept.httpserverlayer._asgi_server import AsgiServer

MAX_URL = 16 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 100
# Request body bytes buffered for an app that does not read them yet.
HIGH_WATER = 64 * 1024
#: Seconds the head of a response waits for the rest of a request body
#: that the app did not read, for the record (Cycle.read_ahead_for_record).
READ_AHEAD_TIMEOUT = 2.0
_HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"upgrade"}
)


def split_target(url: bytes) -> tuple[bytes, bytes]:
    """The raw path and the query of a request target."""
    if url.startswith(b"/"):
        path, _, query = url.partition(b"?")
    elif url[:7].lower() == b"http://" or url[:8].lower() == b"https://":
        rest = url.split(b"//", 1)[1]
        slash = rest.find(b"/")
        if slash < 0:
            return b"/", b""
        path, _, query = rest[slash:].partition(b"?")
    elif url == b"*":
        return b"*", b""
    else:
        raise Reject(400, f"Bad request target {url[:100]!r}.")
    return path.partition(b"#")[0], query.partition(b"#")[0]


def decode_path(raw_path: bytes) -> str:
    try:
        return unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        raise Reject(
            400, f"The request path {raw_path[:100]!r} is not UTF-8."
        ) from None


def _call_wsgi(
    app: Any, environ: dict[str, Any]
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body of a (small) WSGI application's answer."""
    started: list[Any] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        started[:] = [int(status.split(" ", 1)[0]), list(headers)]
        return lambda data: None

    body = b"".join(app(environ, start_response))
    return started[0], started[1], body


def _settle_future(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():
        future.set_result(result)


class BodyCopy:
    """The start of a request body, for its record (``Request.body``).

    The server keeps up to ``limit`` bytes of the body as they arrive,
    whether or not the application reads them; the head of the response
    waits for them (``Cycle.read_ahead_for_record``).
    """

    __slots__ = ("data", "limit", "truncated", "request")

    def __init__(self, limit: int) -> None:
        self.data = bytearray()
        self.limit = limit
        self.truncated = False
        self.request: Request | None = None

    def keep(self, body: bytes) -> None:
        room = self.limit - len(self.data)
        if len(body) > room:
            self.truncated = True
            if self.request is not None:
                self.request.body_truncated = True
        if room > 0:
            self.data += body[:room]

    def attach(self, request: Request) -> None:
        self.request = request
        request.body_truncated = self.truncated
        request._capture = self

    @property
    def kept(self) -> bytes:
        return bytes(self.data)

    def complete(self) -> None:
        """Nothing to read ahead (``RequestLog.add`` calls this): the bytes
        that arrive after the record was added go into it as they come."""


class Cycle:
    """One request and its response: the ``receive`` and ``send`` of the
    application's call."""

    __slots__ = (
        "protocol",
        "scope",
        "target",
        "describe",
        "body",
        "body_done",
        "delivered",
        "event",
        "disconnected",
        "started",
        "head_sent",
        "complete",
        "status",
        "headers",
        "chunked",
        "length",
        "sent",
        "keep_alive",
        "expect_100",
        "head_only",
        "record",
        "copy",
        "control",
        "started_at",
        "task",
        "held",
    )

    def __init__(
        self,
        protocol: HttpProtocol,
        scope: dict[str, Any],
        target: str,
        keep_alive: bool,
    ) -> None:
        self.protocol = protocol
        self.scope = scope
        self.target = target
        self.describe = f"{scope['method']} {target[:200]}"
        self.body: list[bytes] = []
        self.body_done = False
        self.delivered = False  # the last http.request went to the app
        self.event = asyncio.Event()
        self.disconnected = False
        self.started = False
        self.head_sent = False
        self.complete = False
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunked = False
        self.length: int | None = None
        self.sent = 0
        self.keep_alive = keep_alive
        self.expect_100 = False
        self.head_only = scope["method"] == "HEAD"
        self.record: Request | None = None
        records = protocol.server.records
        # The body for the record (None when nothing records).
        self.copy = None if records is None else BodyCopy(records.max_body)
        # The WSGI application of the control endpoint, for a request to
        # it (see AsgiServer.control), instead of the ASGI application.
        self.control: Any = None
        self.started_at = time.perf_counter()
        self.task: asyncio.Task[None] | None = None
        self.held = False

    async def receive(self) -> dict[str, Any]:
        if self.complete or self.disconnected:
            return {"type": "http.disconnect"}
        if not self.body and not self.body_done or self.delivered:
            if self.expect_100:
                self.expect_100 = False
                self.protocol.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.protocol.resume_reading()
            self.event.clear()
            await self.event.wait()
            if self.complete or self.disconnected:
                return {"type": "http.disconnect"}
        body = b"".join(self.body) if len(self.body) != 1 else self.body[0]
        self.body.clear()
        self.delivered = self.body_done
        self.protocol.resume_reading()
        return {
            "type": "http.request",
            "body": body,
            "more_body": not self.delivered,
        }

    async def send(self, message: dict[str, Any]) -> None:
        kind = message.get("type") if isinstance(message, dict) else None
        if self.disconnected:
            raise ClientDisconnected(
                f"The client of {self.describe} went away."
            )
        if not self.started:
            if kind != "http.response.start":
                raise RuntimeError(
                    f"Expected an ASGI message 'http.response.start', got"
                    f" {message!r}."
                )
            self.start(message)
        elif not self.complete:
            if kind != "http.response.body":
                raise RuntimeError(
                    f"Expected an ASGI message 'http.response.body', got"
                    f" {message!r}."
                )
            body = message.get("body", b"")
            if not isinstance(body, (bytes, bytearray, memoryview)):
                raise RuntimeError(
                    f"The body of an 'http.response.body' message must be"
                    f" bytes, got {type(body).__name__}."
                )
            more = bool(message.get("more_body", False))
            if not self.head_sent:
                await self.read_ahead_for_record()
            self.write_body(bytes(body), more)
            if more:
                await self.protocol.drain()
        else:
            raise RuntimeError(
                f"The response to {self.describe} is complete; the app sent"
                f" {message!r} after it."
            )

    async def read_ahead_for_record(self) -> None:
        """Before the head goes out: wait (bounded) for the part of the
        request body the app has not read, up to the record's bound, as
        the WSGI engine reads it. So a test that has read the response
        finds the body in the record also when the app never read it (a
        beacon, a form answered with a redirect); the app may still read
        it. Not for a client that waits for ``100 Continue``: it has sent
        no body."""
        copy = self.copy
        if copy is None or self.expect_100:
            return
        deadline = time.monotonic() + READ_AHEAD_TIMEOUT
        while not (self.body_done or self.disconnected or copy.truncated):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.protocol.resume_reading()
            self.event.clear()
            try:
                await asyncio.wait_for(self.event.wait(), left)
            except TimeoutError:
                return

    def start(self, message: dict[str, Any]) -> None:
        status = message.get("status")
        if type(status) is not int or not 100 <= status <= 999:
            raise RuntimeError(
                f"Bad status {status!r} in 'http.response.start': it must be"
                " an int such as 200."
            )
        self.headers = check_headers(
            message.get("headers", ()), "'http.response.start'"
        )
        self.status = status
        self.started = True
        self.add_record(status)

    def add_record(self, status: int) -> None:
        records = self.protocol.server.records
        if self.control is not None:
            return  # the control endpoint's requests are no test's
        if records is not None and self.record is None:
            scope = self.scope
            self.record = Request(
                scope["method"],
                self.target,
                status,
                time.perf_counter() - self.started_at,
                scope["headers"],
            )
            if self.copy is not None:
                self.copy.attach(self.record)
            records.add(self.record)

    def build_head(self, body: bytes, more: bool) -> bytes:
        status = self.status
        lines = [b"HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, b""))]
        has_date = has_server = False
        length = None
        for name, value in self.headers:
            lower = name.lower()
            if lower in _HOP_BY_HOP:
                if lower == b"connection" and b"close" in value.lower():
                    self.keep_alive = False
                continue
            if lower == b"content-length":
                digits = value.strip()
                if length is not None or not digits.isdigit():
                    raise RuntimeError(
                        f"Bad Content-Length {value!r} in the response to"
                        f" {self.describe}."
                    )
                length = int(digits)
            elif lower == b"date":
                has_date = True
            elif lower == b"server":
                has_server = True
            lines.append(b"%s: %s\r\n" % (name, value))
        if not has_date:
            lines.append(b"Date: %s\r\n" % http_date())
        if not has_server:
            lines.append(b"Server: %s\r\n" % SERVER)
        if status < 200 or status in (204, 304):
            self.head_only = True
        elif length is None:
            if not more:
                length = len(body)
                if not self.head_only or body:
                    lines.append(b"Content-Length: %d\r\n" % length)
            elif self.head_only:
                pass
            elif self.scope["http_version"] == "1.1":
                self.chunked = True
                lines.append(b"Transfer-Encoding: chunked\r\n")
            else:
                self.keep_alive = False  # HTTP/1.0: the end of data ends it
        self.length = length
        if not self.keep_alive:
            lines.append(b"Connection: close\r\n")
        elif self.scope["http_version"] == "1.0":
            lines.append(b"Connection: keep-alive\r\n")
        lines.append(b"\r\n")
        return b"".join(lines)

    def write_body(self, body: bytes, more: bool) -> None:
        head = b""
        if not self.head_sent:
            head = self.build_head(body, more)
            self.head_sent = True
        if self.head_only:
            body = b""
        elif self.length is not None and self.sent + len(body) > self.length:
            self.protocol.write(head + body[: self.length - self.sent])
            self.keep_alive = False
            self.finish()
            raise RuntimeError(
                f"The response to {self.describe} has more than the"
                f" {self.length} bytes declared as its Content-Length."
            )
        self.sent += len(body)
        if self.chunked:
            if body:
                body = b"%x\r\n%s\r\n" % (len(body), body)
            if not more:
                body += b"0\r\n\r\n"
        if not more:
            # Complete before the last bytes go out: the client may act on
            # them (end its test) before this thread runs again.
            self.complete = True
        self.protocol.write(head + body if head else body)
        if not more:
            short = (
                self.length is not None
                and not self.head_only
                and self.sent < self.length
            )
            if short:
                self.keep_alive = False
            self.finish()
            if short:
                raise RuntimeError(
                    f"The response to {self.describe} declared Content-Length"
                    f" {self.length} but has {self.sent} bytes."
                )

    def finish(self) -> None:
        self.complete = True
        self.event.set()
        self.protocol.response_done(self)

    def on_disconnect(self) -> None:
        self.disconnected = True
        self.event.set()

    async def run(self) -> None:
        """Call the application (after the gate opens), then tidy up."""
        protocol = self.protocol
        server = protocol.server
        what = f"{self.describe} from {protocol.peer}"
        if self.control is not None:
            await self.run_control(what)
            return
        try:
            outcome = await call_app(server, self, what)
        except asyncio.CancelledError:
            if not self.complete:
                protocol.abort()
            raise
        if outcome == "stopped":
            protocol.abort()
        elif outcome == "failed":
            self.fail()
        elif outcome == "returned" and not self.complete:
            if self.disconnected:
                return
            problem = (
                "returned without completing its response"
                if self.head_sent
                else "returned without sending a response"
            )
            try:
                raise RuntimeError(f"The ASGI application {problem}.")
            except RuntimeError:
                report(server, what, f"{server.name}: while serving {what}")
            self.fail()

    async def run_control(self, what: str) -> None:
        """Answer a request to the control endpoint with its WSGI
        application, on a thread of its own: at once, also between tests,
        and settle() does not wait for it (it is marked held), since the
        hooks it runs may be what called settle()."""
        self.held = True
        server = self.protocol.server
        server.notify()
        while not self.disconnected:  # the body, if any, is not used
            message = await self.receive()
            if not message.get("more_body"):
                break
        if self.disconnected:
            return
        environ = {
            "REQUEST_METHOD": self.scope["method"],
            "PATH_INFO": self.scope["path"],
            "REMOTE_ADDR": (self.scope["client"] or ("",))[0],
        }
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[Any] = loop.create_future()

        def answer() -> None:
            result: tuple[bool, Any]
            try:
                result = (True, _call_wsgi(self.control, environ))
            except Exception as e:
                result = (False, e)
            loop.call_soon_threadsafe(_settle_future, answered, result)

        threading.Thread(
            target=answer, name=f"{server.name} control", daemon=True
        ).start()
        ok, result = await answered
        if not ok:
            try:
                raise result
            except Exception:
                report(server, what, f"{server.name}: while serving {what}")
            self.fail()
            return
        status, headers, body = result
        await self.send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (k.lower().encode("latin-1"), v.encode("latin-1"))
                    for k, v in headers
                ],
            }
        )
        await self.send({"type": "http.response.body", "body": body})

    @property
    def gone(self) -> bool:
        return self.disconnected

    def fail(self) -> None:
        """After an error of the app: a 500, or (head sent) a cut response."""
        if self.complete:
            return
        protocol = self.protocol
        if not self.head_sent:
            if self.record is None:
                self.add_record(500)
            else:
                self.record.status = 500
            protocol.write(
                error_response(
                    500,
                    "The application raised an exception; its traceback is"
                    " in the test run's output.",
                )
            )
        self.keep_alive = False
        self.complete = True
        self.event.set()
        protocol.response_done(self)


class HttpProtocol(FlowControl):
    """One HTTP/1.1 connection (see the module's docstring)."""

    is_websocket = False
    open = False

    def __init__(self, server: AsgiServer) -> None:
        self.server = server
        self.loop = server.loop
        self.parser = httptools.HttpRequestParser(self)
        self.transport: Any = None
        self.peer = "?"
        self.active: Cycle | None = None  # the cycle whose app runs
        self.parsing: Cycle | None = None  # the cycle receiving body bytes
        self.pipeline: deque[Cycle] = deque()
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.header_bytes = 0
        self.paused = False
        self.closing = False
        self.eof = False
        self.client: Any = None
        self.sockname: Any = None

    # asyncio.Protocol

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.client = transport.get_extra_info("peername")
        self.sockname = transport.get_extra_info("sockname")
        self.peer = peer(self.client)
        if self.server.stopping:
            transport.abort()
            return
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.server.connections.discard(self)
        self.server.notify()
        for cycle in (self.active, *self.pipeline):
            if cycle is not None and not cycle.complete:
                cycle.on_disconnect()
        self.wake_drain()

    def eof_received(self) -> bool | None:
        # A client that half-closes after its request still gets the
        # response: keep the transport open while a request is on.
        self.eof = True
        cycle = self.active
        if cycle is not None and not cycle.body_done:
            # The rest of the request body can never come: the app's
            # receive() says http.disconnect, and the connection closes
            # once what was written has gone out.
            self.closing = True
            cycle.on_disconnect()
            if self.transport is not None:
                self.transport.close()
            return None
        if cycle is None and not self.pipeline:
            return None
        return True

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as e:
            self.upgrade(data[e.args[0] :] if e.args else b"")
        except httptools.HttpParserCallbackError as e:
            cause = e.__context__
            if isinstance(cause, Reject):
                self.reject(cause.status, str(cause))
            else:
                raise
        except httptools.HttpParserInvalidMethodError:
            self.reject(400, "Bad request method.")
        except httptools.HttpParserInvalidURLError:
            self.reject(400, "Bad request target.")
        except httptools.HttpParserError as e:
            self.reject(400, f"Bad request: {e}.")

    # httptools callbacks

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = []
        self.header_bytes = 0

    def on_url(self, url: bytes) -> None:
        self.url += url
        if len(self.url) > MAX_URL:
            raise Reject(414, f"The request target is longer than {MAX_URL}.")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_bytes += len(name) + len(value)
        if self.header_bytes > MAX_HEADER_BYTES:
            raise Reject(
                431, f"The request headers are larger than {MAX_HEADER_BYTES}."
            )
        if len(self.headers) >= MAX_HEADERS:
            raise Reject(431, f"More than {MAX_HEADERS} request headers.")
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        parser = self.parser
        version = parser.get_http_version()
        method = parser.get_method().decode("ascii")
        headers = self.headers
        hosts = 0
        framing = 0
        expect = False
        upgrade = b""
        for name, value in headers:
            if name == b"host":
                hosts += 1
            elif name == b"content-length" or name == b"transfer-encoding":
                framing += 1
            elif name == b"expect":
                expect = value.lower() == b"100-continue"
            elif name == b"upgrade":
                upgrade = value.lower()
        if version not in ("1.1", "1.0"):
            raise Reject(505, f"HTTP/{version} is not supported.")
        if version == "1.1" and hosts != 1:
            raise Reject(
                400, "An HTTP/1.1 request needs exactly one Host header."
            )
        if framing > 1:
            raise Reject(
                400,
                "A request must have at most one Content-Length or"
                " Transfer-Encoding header.",
            )
        raw_path, query = split_target(self.url)
        path = decode_path(raw_path) if raw_path != b"*" else "*"
        server = self.server
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": ASGI,
            "http_version": version,
            "method": method,
            "scheme": server.url_scheme,
            "path": path,
            "raw_path": raw_path,
            "query_string": query,
            "root_path": "",
            "headers": headers,
            "client": self.client[:2] if self.client else None,
            "server": self.sockname[:2] if self.sockname else None,
            "state": server.lifespan.state.copy(),
        }
        target = self.url.decode("latin-1")
        if upgrade == b"websocket" and parser.should_upgrade():
            # The websocket protocol takes over (data_received catches
            # HttpParserUpgrade); no HTTP cycle.
            scope["type"] = "websocket"
            scope["scheme"] = "wss" if server.url_scheme == "https" else "ws"
            del scope["method"], scope["http_version"]
            self.parsing = None
            self.upgrading = (scope, target)
            return
        keep_alive = parser.should_keep_alive() and not self.eof
        if upgrade:
            keep_alive = False  # an upgrade we do not do: answer, close
        cycle = Cycle(self, scope, target, keep_alive)
        if asks_for_control(server.control, path):
            assert server.control is not None
            cycle.control = server.control[1]
        cycle.expect_100 = expect and version == "1.1"
        self.parsing = cycle
        if self.active is None:
            self.start(cycle)
        else:
            self.pipeline.append(cycle)
            self.pause_reading()

    def on_body(self, body: bytes) -> None:
        cycle = self.parsing
        if cycle is None or cycle.complete or cycle.disconnected:
            return
        cycle.body.append(body)
        if cycle.copy is not None:
            cycle.copy.keep(body)
        cycle.expect_100 = False
        if sum(map(len, cycle.body)) > HIGH_WATER:
            self.pause_reading()
        cycle.event.set()

    def on_message_complete(self) -> None:
        cycle = self.parsing
        if cycle is None:
            return
        cycle.body_done = True
        cycle.expect_100 = False
        cycle.event.set()
        self.parsing = None

    # the rest

    upgrading: tuple[dict[str, Any], str] | None = None

    def start(self, cycle: Cycle) -> None:
        self.active = cycle
        cycle.task = self.loop.create_task(cycle.run())

    def response_done(self, cycle: Cycle) -> None:
        """The response of ``cycle`` is complete: go on or close."""
        if self.server.verbose:
            scope = cycle.scope
            request_line(
                f'{self.peer} "{cycle.describe} HTTP/{scope["http_version"]}"'
                f" {cycle.status or 500} {cycle.sent}"
            )
        if cycle is not self.active:
            return
        self.active = None
        if self.transport.is_closing():
            return
        if not cycle.keep_alive or not cycle.body_done:
            # Unread body left on the wire: closing is simpler than
            # skipping it, and clients handle it.
            self.close()
            return
        if self.pipeline:
            self.start(self.pipeline.popleft())
            if not self.pipeline:
                self.resume_reading()
            return
        if self.rejection is not None:
            self.write(self.rejection)
            self.close()
            return
        if self.eof or not self.server.gate.is_set():
            # Half-closed by the client, or between two tests (settle
            # closes idle connections): done.
            self.close()
            return
        self.resume_reading()
        self.server.notify()

    #: The error response to a malformed request that came pipelined
    #: behind others: sent once they are answered.
    rejection: bytes | None = None

    def reject(self, status: int, message: str) -> None:
        response = error_response(status, message)
        active = self.active
        if active is None or active.complete:
            self.write(response)
            self.close()
            return
        if not active.body_done:
            # The fault is in the body of the request the app is answering,
            # which it can never get whole: its receive() says
            # http.disconnect, and the client gets the error if no response
            # had started.
            active.on_disconnect()
            if not active.head_sent:
                self.write(response)
            self.close()
            return
        self.rejection = response
        self.pause_reading()

    def write(self, data: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(data)

    def pause_reading(self) -> None:
        if not self.paused:
            self.paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.paused and not self.pipeline and self.rejection is None:
            self.paused = False
            self.transport.resume_reading()

    def close(self) -> None:
        self.closing = True
        if not self.transport.is_closing():
            self.transport.close()

    def abort(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.abort()

    # what settle() and shutdown() ask

    @property
    def idle(self) -> bool:
        """Waiting for a request (also: a request that is not complete yet
        and has not reached the app)."""
        return self.active is None and not self.pipeline and not self.closing

    @property
    def busy(self) -> bool:
        return self.active is not None and not self.active.complete

    @property
    def held(self) -> bool:
        return self.active is not None and self.active.held

    def describe(self) -> str:
        if self.active is not None:
            return f"{self.active.describe} from {self.peer}"
        return self.peer

    def close_idle(self) -> None:
        self.close()

    def close_websocket(self, code: int, reason: str) -> None:
        pass

    def stop(self, code: int) -> list[asyncio.Task[None]]:
        """Shut down: cancel the running app, close the connection."""
        tasks = []
        for cycle in (self.active, *self.pipeline):
            if cycle is not None and cycle.task is not None:
                if not cycle.task.done():
                    cycle.task.cancel()
                    tasks.append(cycle.task)
        self.pipeline.clear()
        self.close()
        return tasks

    def upgrade(self, rest: bytes) -> None:
        """Hand the connection to the websocket protocol."""
        upgrading, self.upgrading = self.upgrading, None
        if upgrading is None:
            # An upgrade the app answers as HTTP (e.g. h2c): the cycle runs;
            # what follows on the connection is not HTTP/1.1 any more.
            self.pause_reading()
            return
        from gocept.httpserverlayer._asgi_ws import WebSocketProtocol

        scope, target = upgrading
        protocol = WebSocketProtocol(
            self.server, scope, target, self.transport
        )
        self.server.connections.discard(self)
        self.transport.set_protocol(protocol)
        protocol.begin(rest)
