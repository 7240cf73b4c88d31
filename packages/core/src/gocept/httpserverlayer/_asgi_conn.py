"""What the HTTP and the websocket protocol of the ASGI engine share: the
application's call (behind the gate between tests), error responses and
reports, checks of the headers an application sends, write flow control."""

from __future__ import annotations

import asyncio
import http
import re
import time
from email.utils import formatdate
from typing import TYPE_CHECKING
from typing import Any

from gocept.httpserverlayer._records import ServerError
from gocept.httpserverlayer._report import report_exception

if TYPE_CHECKING:
    from gocept.httpserverlayer._asgi_server import AsgiServer

ASGI = {"version": "3.0", "spec_version": "2.4"}
SERVER = b"gocept.httpserverlayer"
REASONS = {s.value: s.phrase.encode("latin-1") for s in http.HTTPStatus}
_NOT_TOKEN = re.compile(rb"[^!#$%&'*+\-.^_`|~0-9A-Za-z]")
_BAD_VALUE = re.compile(rb"[\x00\r\n]")
_date: tuple[int, bytes] = (0, b"")


def http_date() -> bytes:
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, formatdate(now, usegmt=True).encode("ascii"))
    return _date[1]


class ClientDisconnected(OSError):
    """``send()`` after the client went away (ASGI spec 2.4)."""


class Reject(Exception):
    """Answer with an error status and close the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error_response(status: int, message: str) -> bytes:
    body = f"{message}\n".encode()
    return b"".join(
        [
            b"HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, b"Error")),
            b"Date: %s\r\nServer: %s\r\n" % (http_date(), SERVER),
            b"Content-Type: text/plain; charset=utf-8\r\n",
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body),
            body,
        ]
    )


def peer(address: Any) -> str:
    if not address:
        return "?"
    host, port = address[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def report(server: AsgiServer, what: str, message: str) -> None:
    """Report the exception being handled; add it to ``http_errors``."""
    server.errors.append(ServerError(what, report_exception(message)))


def check_headers(headers: Any, what: str) -> list[tuple[bytes, bytes]]:
    """Response headers as the app sent them, checked: (name, value) bytes."""
    checked = []
    for item in headers:
        try:
            name, value = item
            bad = (
                not name
                or _NOT_TOKEN.search(name) is not None
                or _BAD_VALUE.search(value) is not None
            )
        except (TypeError, ValueError):
            bad = True
        if bad or not isinstance(name, bytes) or not isinstance(value, bytes):
            raise RuntimeError(
                f"Bad header {item!r} in {what}: each header must be a pair"
                " of bytes, a token and a value without CR, LF or NUL."
            )
        checked.append((name, value))
    return checked


async def call_app(server: AsgiServer, holder: Any, what: str) -> str:
    """Call the application for ``holder`` (a :class:`Cycle` or a
    websocket), once the gate is open (see ``AsgiServer.settle``).

    Returns ``"returned"``; ``"failed"`` when it raised (reported, with its
    traceback, and added to ``http_errors``); ``"gone"`` when it raised an
    OSError after the client went away (not the app's fault: nothing to
    report); ``"stopped"`` when the server stopped while it waited.
    """
    if not server.gate.is_set():
        holder.held = True
        server.notify()
        await server.gate.wait()
        holder.held = False
        if server.stopping:
            return "stopped"
    try:
        await server.application(holder.scope, holder.receive, holder.send)
    except Exception as e:
        if holder.gone and isinstance(e, OSError):
            return "gone"
        report(
            server,
            what,
            f"{server.name}: exception in the application while serving"
            f" {what}",
        )
        return "failed"
    return "returned"


class FlowControl(asyncio.Protocol):
    """Write flow control: ``drain()`` waits while the transport's buffer
    is full (asyncio calls pause_writing and resume_writing)."""

    transport: Any
    writable = True
    drained: asyncio.Future[None] | None = None

    def pause_writing(self) -> None:
        self.writable = False

    def resume_writing(self) -> None:
        self.writable = True
        self.wake_drain()

    def wake_drain(self) -> None:
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)

    async def drain(self) -> None:
        if self.writable or self.transport.is_closing():
            return
        self.drained = asyncio.get_running_loop().create_future()
        await self.drained
