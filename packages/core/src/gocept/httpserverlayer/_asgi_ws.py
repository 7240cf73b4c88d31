"""Websockets for an ASGI 3 application, on wsproto (RFC 6455).

:class:`WebSocketProtocol` takes a connection over from
:class:`._asgi_http.HttpProtocol` once httptools has parsed a handshake
request (``Upgrade: websocket``). wsproto checks the handshake and frames
the messages; the application gets the ``websocket`` scope of the ASGI spec
(2.4, with the ``websocket.http.response`` extension for a denied handshake
with a body of its own).

- ``websocket.accept`` answers 101 (with the subprotocol and headers the
  app chose, and permessage-deflate when the client offers it);
  ``websocket.close`` before that answers 403.
- Text and binary messages, fragmented or not, reach the app whole; pings
  are answered with pongs.
- A malformed frame closes that socket with 1002 (1007 for text that is not
  UTF-8, as RFC 6455 says); the app gets ``websocket.disconnect`` with that
  code, and nothing is reported.
- The handshake is recorded in ``http_requests`` as a
  :class:`WebSocketRequest`, whose ``close_code`` tells how the socket
  ended (1006: the connection was lost without a close frame).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING
from typing import Any

from wsproto import ConnectionType
from wsproto import WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import AcceptConnection
from wsproto.events import BytesMessage
from wsproto.events import CloseConnection
from wsproto.events import Event
from wsproto.events import Ping
from wsproto.events import RejectConnection
from wsproto.events import RejectData
from wsproto.events import Request as Handshake
from wsproto.events import TextMessage
from wsproto.extensions import PerMessageDeflate
from wsproto.utilities import RemoteProtocolError

from gocept.httpserverlayer._asgi_conn import ClientDisconnected
from gocept.httpserverlayer._asgi_conn import FlowControl
from gocept.httpserverlayer._asgi_conn import call_app
from gocept.httpserverlayer._asgi_conn import check_headers
from gocept.httpserverlayer._asgi_conn import error_response
from gocept.httpserverlayer._asgi_conn import peer
from gocept.httpserverlayer._records import Request
from gocept.httpserverlayer._report import request_line

if TYPE_CHECKING:
    from gocept.httpserverlayer._asgi_server import AsgiServer

# Messages buffered for an app that does not read them: then reading pauses.
MAX_QUEUED = 64
ABNORMAL = 1006  # RFC 6455 7.4.1: closed without a close frame
INTERNAL_ERROR = 1011


class WebSocketRequest(Request):
    """The record of a websocket handshake in ``http_requests``.

    :ivar status: 101 when the app accepted, else the status of the
        denial (403, or the app's own, or 400 for a bad handshake).
    :ivar close_code: the code the socket was closed with, by either side
        (None while it is open).
    """

    __slots__ = ("close_code",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.close_code: int | None = None

    def __repr__(self) -> str:
        text = super().__repr__()[:-1] + " websocket"
        if self.close_code is not None:
            text += f", closed {self.close_code}"
        return text + ">"


class WebSocketProtocol(FlowControl):
    """One websocket connection (see the module's docstring)."""

    is_websocket = True
    idle = False

    def __init__(
        self,
        server: AsgiServer,
        scope: dict[str, Any],
        target: str,
        transport: Any,
    ) -> None:
        self.server = server
        self.scope = scope
        self.target = target
        self.transport = transport
        self.client = transport.get_extra_info("peername")
        self.peer = peer(self.client)
        self.conn = WSConnection(ConnectionType.SERVER)
        self.queue: deque[dict[str, Any]] = deque()
        self.event = asyncio.Event()
        self.final: dict[str, Any] | None = None  # websocket.disconnect
        self.parts: list[Any] = []
        self.accepted = False
        self.denied = False  # an HTTP response instead of the upgrade
        self.close_sent = False
        self.task: asyncio.Task[None] | None = None
        self.held = False
        self.record: WebSocketRequest | None = None
        self.started_at = time.perf_counter()
        self.paused = False
        self.closer: asyncio.TimerHandle | None = None

    # state for settle() and shutdown()

    @property
    def open(self) -> bool:
        return self.accepted and not self.close_sent and self.final is None

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done()

    def describe(self) -> str:
        return f"websocket {self.target[:200]} from {self.peer}"

    # from HttpProtocol

    def begin(self, rest: bytes) -> None:
        self.server.connections.add(self)
        try:
            self.conn.initiate_upgrade_connection(
                self.scope["headers"], self.target
            )
        except RemoteProtocolError as e:
            self.add_record(400)
            self.write(error_response(400, f"Bad websocket handshake: {e}."))
            self.transport.close()
            return
        self.handle_events()
        if rest:
            self.data_received(rest)

    # asyncio.Protocol

    def data_received(self, data: bytes) -> None:
        self.conn.receive_data(data)
        self.handle_events()

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)
        self.server.notify()
        if self.closer is not None:
            self.closer.cancel()
        self.disconnected(ABNORMAL, "")
        self.wake_drain()

    # wsproto's events

    def handle_events(self) -> None:
        for event in self.conn.events():
            if isinstance(event, Handshake):
                self.scope["subprotocols"] = list(event.subprotocols)
                self.push({"type": "websocket.connect"})
                self.task = self.server.loop.create_task(self.run())
            elif isinstance(event, (TextMessage, BytesMessage)):
                self.parts.append(event.data)
                if event.message_finished:
                    self.message(isinstance(event, TextMessage))
            elif isinstance(event, Ping):
                self.send_event(event.response())
            elif isinstance(event, CloseConnection):
                self.closed_by_peer(event)

    def message(self, text: bool) -> None:
        parts, self.parts = self.parts, []
        if text:
            self.push({"type": "websocket.receive", "text": "".join(parts)})
        else:
            self.push({"type": "websocket.receive", "bytes": b"".join(parts)})
        if len(self.queue) > MAX_QUEUED and not self.paused:
            self.paused = True
            self.transport.pause_reading()

    def closed_by_peer(self, event: CloseConnection) -> None:
        state = self.conn.state
        if state is ConnectionState.REMOTE_CLOSING:
            self.send_event(event.response())  # the client's close: echo it
        elif state is ConnectionState.OPEN:
            # A frame wsproto could not parse (ParseFailed): 1002, or 1007
            # for text that is not UTF-8. Close this socket, nothing else.
            self.send_event(CloseConnection(code=event.code))
        self.disconnected(event.code, event.reason or "")
        self.transport.close()

    def disconnected(self, code: int, reason: str) -> None:
        if self.final is not None:
            return
        if self.record is not None and self.record.close_code is None:
            self.record.close_code = code
        if self.server.verbose:
            status = self.record.status if self.record is not None else "-"
            request_line(
                f'{self.peer} "websocket {self.target[:200]}" {status},'
                f" closed {code}"
            )
        self.final = {"type": "websocket.disconnect", "code": code}
        if reason:
            self.final["reason"] = reason
        self.event.set()

    def push(self, message: dict[str, Any]) -> None:
        self.queue.append(message)
        self.event.set()

    def send_event(self, event: Event) -> None:
        if self.transport.is_closing():
            return
        self.write(self.conn.send(event))

    def write(self, data: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(data)

    def add_record(self, status: int) -> None:
        records = self.server.records
        if records is not None and self.record is None:
            self.record = WebSocketRequest(
                "GET",
                self.target,
                status,
                time.perf_counter() - self.started_at,
                self.scope["headers"],
            )
            records.add(self.record)

    # the application's side

    async def receive(self) -> dict[str, Any]:
        while not self.queue:
            if self.final is not None:
                return self.final
            self.event.clear()
            await self.event.wait()
        message = self.queue.popleft()
        if self.paused and len(self.queue) < MAX_QUEUED // 2:
            self.paused = False
            self.transport.resume_reading()
        return message

    async def send(self, message: dict[str, Any]) -> None:
        kind = message.get("type") if isinstance(message, dict) else None
        if self.final is not None or self.close_sent:
            raise ClientDisconnected(
                f"The {self.describe()} is closed; the app sent {message!r}."
            )
        if self.denied:
            self.deny_body(message)
        elif not self.accepted:
            if kind == "websocket.accept":
                self.accept(message)
            elif kind == "websocket.close":
                self.deny(403, [], False)
            elif kind == "websocket.http.response.start":
                status = message.get("status")
                if type(status) is not int or not 100 <= status <= 999:
                    raise RuntimeError(
                        f"Bad status {status!r} in {message!r}."
                    )
                headers = check_headers(message.get("headers", ()), kind)
                self.deny(status, headers, True)
            else:
                raise RuntimeError(
                    "Expected an ASGI message 'websocket.accept',"
                    " 'websocket.close' or 'websocket.http.response.start',"
                    f" got {message!r}."
                )
        elif kind == "websocket.send":
            data = message.get("bytes")
            text = message.get("text")
            if isinstance(text, str) and data is None:
                self.send_event(TextMessage(data=text))
            elif isinstance(data, (bytes, bytearray)) and text is None:
                self.send_event(BytesMessage(data=data))
            else:
                raise RuntimeError(
                    "A 'websocket.send' message needs either 'bytes' (bytes)"
                    f" or 'text' (str), not both nor neither: {message!r}."
                )
            await self.drain()
        elif kind == "websocket.close":
            code = message.get("code") or 1000
            self.close_websocket(code, message.get("reason") or "")
        else:
            raise RuntimeError(
                "Expected an ASGI message 'websocket.send' or"
                f" 'websocket.close', got {message!r}."
            )

    def accept(self, message: dict[str, Any]) -> None:
        headers = check_headers(message.get("headers", ()), "websocket.accept")
        self.accepted = True
        self.add_record(101)
        self.send_event(
            AcceptConnection(
                subprotocol=message.get("subprotocol"),
                extra_headers=headers,
                extensions=[PerMessageDeflate()],
            )
        )

    def deny(self, status: int, headers: Any, has_body: bool) -> None:
        self.add_record(status)
        self.denied = True
        self.send_event(
            RejectConnection(
                status_code=status, headers=headers, has_body=has_body
            )
        )
        if not has_body:
            self.finish_denial()

    def deny_body(self, message: dict[str, Any]) -> None:
        if message.get("type") != "websocket.http.response.body":
            raise RuntimeError(
                "Expected an ASGI message 'websocket.http.response.body',"
                f" got {message!r}."
            )
        more = bool(message.get("more_body", False))
        self.send_event(
            RejectData(data=message.get("body", b""), body_finished=not more)
        )
        if not more:
            self.finish_denial()

    def finish_denial(self) -> None:
        self.close_sent = True
        self.disconnected(ABNORMAL, "")
        self.transport.close()

    def close_websocket(self, code: int, reason: str) -> None:
        """Send a close frame; close the connection when the client answers
        it, or after ``close_timeout`` seconds."""
        if not self.open:
            return
        self.close_sent = True
        if self.record is not None:
            self.record.close_code = code
        self.send_event(CloseConnection(code=code, reason=reason or None))
        self.disconnected(code, reason)
        self.closer = self.server.loop.call_later(
            self.server.close_timeout, self.transport.abort
        )

    @property
    def gone(self) -> bool:
        return self.final is not None

    async def run(self) -> None:
        try:
            outcome = await call_app(self.server, self, self.describe())
        except asyncio.CancelledError:
            self.abort()
            raise
        if outcome == "stopped":
            self.abort()
        elif outcome == "failed":
            if self.accepted:
                self.close_websocket(INTERNAL_ERROR, "")
            elif not self.denied:
                self.add_record(500)
                self.denied = True
                self.write(
                    error_response(
                        500,
                        "The application raised an exception; its traceback"
                        " is in the test run's output.",
                    )
                )
                self.finish_denial()
        elif outcome == "returned":
            if self.accepted:
                self.close_websocket(1000, "")
            elif not self.denied:
                # Returned without accepting: a denial (ASGI spec).
                self.deny(403, [], False)
            elif not self.close_sent:
                self.finish_denial()
        self.server.notify()

    # settle() and shutdown()

    def close_idle(self) -> None:
        pass

    def stop(self, code: int) -> list[asyncio.Task[None]]:
        self.close_websocket(code, "server stopped")
        if self.closer is not None:
            self.closer.cancel()
        self.transport.close()
        if self.task is not None and not self.task.done():
            self.task.cancel()
            return [self.task]
        return []

    def abort(self) -> None:
        self.transport.abort()
