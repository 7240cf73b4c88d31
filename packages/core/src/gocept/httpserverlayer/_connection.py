"""One client connection: its phase, and the loop that serves its requests.

:func:`serve` reads each request head with :mod:`._parser`, frames its
body (:mod:`._body`), holds it at the test gate between two tests
(:class:`~._site.TestGate`) and hands it to a *responder*: the WSGI engine
(:mod:`._wsgi`) or an ``http.server`` request handler (:mod:`._handler`).
A request the parser rejects is answered here, with its status and reason,
and the connection is closed; the server goes on serving the others.

A connection moves through the phases of :class:`Phase`::

    NEW --> HANDSHAKE (HTTPS only) --> IDLE <------------------+
                                        |                      |
                                        v                      |
                                    RECEIVING --> HELD --+     |
                                        |                |     |
                                        +-----> ANSWERING +-----+

:meth:`~._server.Server.settle` (at testTearDown) closes the connections
that are NEW, in their HANDSHAKE or IDLE, waits for those RECEIVING or
ANSWERING, and leaves the HELD ones waiting for the next test. A request
for the control endpoint (``Site.control``) skips the gate: its connection
is in CONTROL, which settle() neither closes nor waits for.
"""

from __future__ import annotations

import enum
import errno
import socket
import ssl
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

from gocept.httpserverlayer._body import EMPTY_INPUT
from gocept.httpserverlayer._body import LengthInput
from gocept.httpserverlayer._body import dechunk
from gocept.httpserverlayer._errors import Rejected
from gocept.httpserverlayer._parser import CHUNKED
from gocept.httpserverlayer._parser import LENGTH
from gocept.httpserverlayer._parser import RequestHead
from gocept.httpserverlayer._parser import read_head
from gocept.httpserverlayer._report import warn
from gocept.httpserverlayer._response import http_date
from gocept.httpserverlayer.rules import status_line

if TYPE_CHECKING:
    from gocept.httpserverlayer._site import Site

# Errors that only mean that the client went away. They are not the
# application's fault, nor the server's, and produce no output at all.
DISCONNECT_ERRORS = (
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
    TimeoutError,
    # A TLS client that went away, with or without notice.
    ssl.SSLEOFError,
    ssl.SSLZeroReturnError,
)
_DISCONNECT_ERRNOS = frozenset(
    {
        errno.EPIPE,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.ENOTCONN,
        errno.EBADF,
        errno.ESHUTDOWN,
    }
)


def is_disconnect(exc: BaseException) -> bool:
    """Tell whether ``exc`` only means that the peer closed the connection."""
    if isinstance(exc, DISCONNECT_ERRORS):
        return True
    return isinstance(exc, OSError) and exc.errno in _DISCONNECT_ERRNOS


#: Unread request body that is still read and dropped to keep a connection.
MAX_DRAIN = 256 * 1024
_SERVER = "gocept.httpserverlayer"


class Phase(enum.Enum):
    """Where a connection is in its life; the value describes it."""

    NEW = "waiting for a worker"
    HANDSHAKE = "in its TLS handshake"
    IDLE = "waiting for a request"
    RECEIVING = "a request being received"
    HELD = "held until the next test"
    ANSWERING = "being answered"
    CONTROL = "answering the control endpoint"

    @property
    def closable(self) -> bool:
        """Whether settle() may close a connection in this phase."""
        return self in _CLOSABLE


# The members as module names, for the request path (see _parser.CHUNKED).
NEW, HANDSHAKE, IDLE, RECEIVING = (
    Phase.NEW,
    Phase.HANDSHAKE,
    Phase.IDLE,
    Phase.RECEIVING,
)
HELD, ANSWERING, CONTROL = Phase.HELD, Phase.ANSWERING, Phase.CONTROL

_CLOSABLE = frozenset({NEW, HANDSHAKE, IDLE})


class Connection:
    """One accepted connection and what the server knows about it.

    :ivar phase: the :class:`Phase` it is in.
    :ivar head: the head of the request it serves (or last served), for
        messages.
    :ivar rfile: the buffered reader :func:`serve` reads it with.
    """

    __slots__ = ("sock", "address", "thread", "phase", "head", "rfile")

    def __init__(self, sock: socket.socket, address: Any) -> None:
        self.sock = sock
        self.address = address
        self.thread: threading.Thread | None = None
        self.phase = NEW
        self.head: RequestHead | None = None
        self.rfile: Any = None

    def receiving(self) -> None:
        """The first line of a request arrived."""
        self.phase = RECEIVING

    def close(self) -> None:
        """Close the reader, then the socket (which the reader holds open)."""
        if self.rfile is not None:
            self.rfile.close()
        self.sock.close()

    def has_request(self) -> bool:
        """Whether request bytes wait to be read, in the reader's buffer or
        the socket; looks without waiting."""
        sock = self.sock
        sock.settimeout(0)
        try:
            if self.rfile is None:  # new: not yet read from, nor TLS
                return bool(sock.recv(1, socket.MSG_PEEK))
            return bool(self.rfile.peek(1))
        except (BlockingIOError, ssl.SSLWantReadError):
            return False
        except OSError:
            return False  # a reset: nothing to serve
        finally:
            sock.settimeout(None)

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

    @property
    def peer(self) -> str:
        """``host:port`` of the client (an IPv6 host in brackets)."""
        host, port = self.address[:2]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def describe(self) -> str:
        """What the connection does, for messages: ``GET /a from host:1``."""
        if self.phase is RECEIVING:
            return f"{self.phase.value} from {self.peer}"
        head = self.head
        if self.phase in (HELD, ANSWERING) and head is not None:
            return f"{head.method} {head.target[:200]} from {self.peer}"
        return self.peer


#: Answers one request: ``respond(connection, head, body)`` returns whether
#: the connection may carry another request.
Responder = Callable[[Connection, RequestHead, Any], bool]


def serve(connection: Connection, site: Site, respond: Responder) -> bool:
    """Serve requests on ``connection`` until it ends, or until others wait.

    It ends when the client closes it, a request or response requires
    closing it, a request is rejected, or the server stops: then it
    returns False. When other connections wait for a worker
    (``site.crowded``), it returns True after a response: the server
    watches the connection for its next request, and calls this again
    for it, on whichever worker is free then.
    """
    sock = connection.sock
    gate = site.gate
    rfile = connection.rfile
    if rfile is None:
        connection.rfile = rfile = sock.makefile("rb", 65536)
    readline, receiving = rfile.readline, connection.receiving
    try:
        while not gate.stopped:
            gate.idle(connection)
            try:
                head = read_head(readline, receiving)
                if head is None:
                    _interrupted(site, connection)
                    return False
                connection.head = head
                body = request_body(head, connection)
            except Rejected as e:
                site.reject(e)
                send_error(sock, e.status, e.reason)
                return False
            if site.is_control(head):
                # Between tests too: it is what starts the next one.
                connection.phase = CONTROL
            elif not gate.is_open and not gate.hold(connection):
                return False
            else:
                connection.phase = ANSWERING
            if not respond(connection, head, body):
                return False
            if not body.drain(MAX_DRAIN):
                # More unread body than is worth reading: close, but so
                # that a client still sending it gets the response, not a
                # reset (RFC 9112 9.6).
                _linger(sock)
                return False
            if site.crowded:
                # Between two requests: give the worker to a connection
                # that waits, and wait in line for the next request.
                connection.phase = IDLE
                return True
    except BaseException as e:
        if is_disconnect(e) or gate.stopped:
            return False
        raise
    return False


def request_body(head: RequestHead, connection: Connection) -> Any:
    """The body of the request ``head`` starts, as a file-like object."""
    framing = head.framing
    expect = connection.sock if framing.expect_continue else None
    if framing.body is LENGTH:
        return LengthInput(connection.rfile, framing.length or 0, expect)
    if framing.body is CHUNKED:
        return dechunk(connection.rfile, expect)
    return EMPTY_INPUT


def _interrupted(site: Site, connection: Connection) -> None:
    if connection.phase is RECEIVING and site.gate.stopped:
        warn(
            f"{site.name} shut down with {connection.describe()}"
            " unfinished; the rest of it was dropped."
        )


def send_error(sock: Any, status: int, message: str) -> None:
    """Answer with ``status`` and ``message``, then close our side."""
    body = f"{message}\n".encode()
    head = (
        f"HTTP/1.1 {status_line(status)}\r\n"
        f"Date: {http_date()}\r\nServer: {_SERVER}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    sock.sendall(head.encode("latin-1") + body)
    _linger(sock)


def _linger(sock: Any) -> None:
    """Close our side, then read what the client still sends, briefly.

    Closing a socket that has unread data makes the kernel send a reset,
    which can destroy the error response before the client has read it
    (the client may still be sending the rest of an oversized request).
    """
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(0.5)
        received = 0
        while received < 1024 * 1024:
            data = sock.recv(65536)
            if not data:
                return
            received += len(data)
    except OSError:
        pass  # a reset or the timeout: the response had its chance
