"""Clients for the tests: raw HTTP/1.1 over a socket, and urllib.

Every response the raw clients read is parsed by h11 in the client role:
an implementation independent of the server under test, so that a test
never checks the server's output with a copy of the server's own rules
(STYLE.md guideline 16). On top of h11, :func:`parse` holds the server to
what RFC 9112 asks of a server and h11 does not check (no Content-Length
beside Transfer-Encoding, a response without framing says that the
connection closes, nothing after a closing response).
"""

from __future__ import annotations

import base64
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

import h11

TIMEOUT = 5.0
# Response heads larger than h11's default of 16 KiB are not wrong, only
# large: the limit is not what these clients test.
MAX_HEAD = 1024 * 1024


class Response:
    """One response as a raw client read it.

    :ivar version: ``"HTTP/1.1"`` or ``"HTTP/1.0"``.
    :ivar status: the status code.
    :ivar reason: the reason phrase.
    :ivar headers: ``(name, value)`` pairs as sent, decoded as latin-1.
    :ivar body: the body (nothing for HEAD, 1xx, 204 and 304).
    :ivar head: the status line and headers as sent, with the blank line.
    :ivar complete: False where the connection ended inside the body.
    """

    def __init__(self, version: str, status: int, reason: str) -> None:
        self.version = version
        self.status = status
        self.reason = reason
        self.headers: list[tuple[str, str]] = []
        self.body = b""
        self.head = b""
        self.complete = True

    def header(self, name: str) -> str | None:
        """The values of the headers called ``name`` (any case), joined by
        commas; None without one."""
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return ", ".join(values) if values else None

    def __repr__(self) -> str:
        return f"<Response {self.status} {len(self.body)} bytes>"


class ResponseReader:
    """Reads responses, one after the other, from a byte source.

    :param read: returns the next bytes the server sent, ``b""`` at the end.
    """

    def __init__(self, read: Callable[[], bytes]) -> None:
        self._read = read
        self._conn = h11.Connection(
            h11.CLIENT, max_incomplete_event_size=MAX_HEAD
        )
        self._eof = False
        self._unread = bytearray()  # what h11 was fed and did not consume

    @property
    def closing(self) -> bool:
        """Whether the server said that it closes after its last response
        (``Connection: close``, or HTTP/1.0 without keep-alive)."""
        return self._conn.their_state in (h11.MUST_CLOSE, h11.CLOSED)

    def pending(self) -> bytes:
        """What was received and not yet read as a response."""
        return bytes(self._conn.trailing_data[0])

    def at_end(self) -> bool:
        """Whether the server sent nothing more and closed."""
        while not self._conn.trailing_data[0] and not self._eof:
            self._feed()
        return not self._conn.trailing_data[0]

    def _feed(self) -> None:
        data = b"" if self._eof else self._read()
        self._eof = not data
        self._unread += data
        self._conn.receive_data(data)

    def _consumed(self) -> bytes:
        """The bytes h11 consumed since the last call."""
        used = len(self._unread) - len(self._conn.trailing_data[0])
        taken = bytes(self._unread[:used])
        del self._unread[:used]
        return taken

    def next(self, method: str = "GET") -> Response:
        """Read the next response (an interim 1xx one included) to a
        request of ``method``.

        Raises ConnectionError if the server closed without a byte of it,
        AssertionError if what it sent is not a valid response. A response
        whose body the closing connection cut short has ``complete``
        False.
        """
        conn = self._conn
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
        if conn.our_state is h11.IDLE:
            # h11 reads a response only to a request it sent itself; what
            # the test really sent went over the socket, unseen by h11.
            # Of the method, only HEAD (no body follows) matters here.
            method = "HEAD" if method == "HEAD" else "GET"
            request = h11.Request(
                method=method, target="/", headers=[("Host", "x")]
            )
            conn.send(request)
            conn.send(h11.EndOfMessage())
        response: Response | None = None
        # The body in parts, joined once: adding bytes to bytes copies
        # them all each time, which takes minutes for a body of 64 MiB.
        parts: list[bytes] = []
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as e:
                if response is not None and self._eof:
                    response.body = b"".join(parts)
                    response.complete = False
                    return response
                if not self._unread and self._eof:
                    raise ConnectionError(
                        "The server closed the connection."
                    ) from None
                raise AssertionError(
                    f"Not a valid HTTP/1.1 response ({e}):"
                    f" {bytes(self._unread[:300])!r}"
                ) from None
            if event is h11.NEED_DATA:
                self._feed()
            elif isinstance(event, (h11.InformationalResponse, h11.Response)):
                response = Response(
                    "HTTP/" + event.http_version.decode(),
                    event.status_code,
                    event.reason.decode("latin-1"),
                )
                response.head = self._consumed()
                response.headers = [
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in event.headers.raw_items()
                ]
                if isinstance(event, h11.InformationalResponse):
                    return response
            elif isinstance(event, h11.Data):
                assert response is not None
                parts.append(event.data)
                self._consumed()  # only the head's bytes are kept
            elif isinstance(event, h11.EndOfMessage):
                assert response is not None
                response.body = b"".join(parts)
                self._consumed()
                return response
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("The server closed the connection.")
            else:  # pragma: no cover - PAUSED: no protocol switch asked
                raise AssertionError(f"Unexpected {event!r}.")


def parse(
    data: bytes, custom: bool = False, methods: Sequence[str] = ()
) -> list[Response]:
    """Parse ``data`` strictly as a sequence of complete HTTP responses.

    The i-th final response answers a request of ``methods[i]`` (GET where
    not given). Raises AssertionError naming what is wrong. Besides h11's
    checks: each head ends its lines with CRLF, each status line says
    HTTP/1.1 (HTTP/1.0 is allowed with
    ``custom``, for http.server behind custom.Layer), no response has both
    Content-Length and Transfer-Encoding (RFC 9112 6.1), a response
    without either says ``Connection: close`` (RFC 9112 6.3, item 8, the
    only way a client can tell an ended body from a cut one), and nothing
    follows a response after which the server said it closes.
    """
    chunks = [data]
    reader = ResponseReader(lambda: chunks.pop() if chunks else b"")
    responses: list[Response] = []
    finals = 0
    while not reader.at_end():
        if reader.closing:
            raise AssertionError(
                f"Data after Connection: close: {reader.pending()[:200]!r}"
            )
        method = methods[finals] if finals < len(methods) else "GET"
        response = reader.next(method)
        if not response.complete:
            raise AssertionError(
                f"Body cut short: {len(response.body)} bytes, then the"
                f" connection closed; head {response.head[:200]!r}"
            )
        check_response(response, custom)
        responses.append(response)
        finals += response.status >= 200
    return responses


def check_response(response: Response, custom: bool = False) -> None:
    """Assert what RFC 9112 asks of a server's response beyond h11."""
    if not custom and response.version != "HTTP/1.1":
        raise AssertionError(f"Not HTTP/1.1: {response.head[:200]!r}")
    if response.head.count(b"\n") != response.head.count(b"\r\n"):
        # h11 reads a bare LF as a line end, as RFC 9112 2.2 lets a
        # recipient do; a sender must not send one.
        raise AssertionError(f"Bare LF in the head: {response.head[:200]!r}")
    length = response.header("Content-Length")
    chunked = response.header("Transfer-Encoding")
    if length is not None and chunked is not None:
        raise AssertionError(
            f"Both Content-Length and Transfer-Encoding: {response.head!r}"
        )
    unframed = response.status >= 200 and response.status not in (204, 304)
    if unframed and length is None and chunked is None:
        connection = (response.header("Connection") or "").lower()
        if "close" not in [t.strip() for t in connection.split(",")]:
            raise AssertionError(
                f"No framing and no Connection: close: {response.head[:200]!r}"
            )


# Raw clients ---------------------------------------------------------------


def exchange(port: int, data: bytes, timeout: float = TIMEOUT) -> bytes:
    """Send ``data``, half-close, read until the server closes.

    A reset from the server ends the reading too: what arrived before it
    is returned (the server may close while we still send a huge input).
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    chunks = []
    try:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server closed early: read what it said
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        else:
            raise AssertionError("The server did not close in time.")
    finally:
        sock.close()
    return b"".join(chunks)


def get(port: int, path: str = "/") -> Response:
    """One GET on a new connection (Connection: close); the response."""
    data = (
        f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    ).encode("latin-1")
    responses = parse(exchange(port, data))
    assert len(responses) == 1, responses
    return responses[0]


def read_one(sock: socket.socket, method: str = "GET") -> Response:
    """Read one response from ``sock``, which the caller then closes."""

    def read() -> bytes:
        try:
            return sock.recv(65536)
        except ConnectionResetError:
            return b""

    return ResponseReader(read).next(method)


class Raw:
    """One client connection over a plain socket.

    ``send()`` sends any bytes; ``response()`` reads the next response.
    ``rfile`` is the socket's reader, for tests that read by hand.
    """

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.rfile = self.sock.makefile("rb")
        self._reader = ResponseReader(self._read)

    def _read(self) -> bytes:
        try:
            return self.rfile.read1(65536)
        except ConnectionResetError:
            return b""

    def send(self, data: bytes) -> Raw:
        self.sock.sendall(data)
        return self

    def request(
        self, method: str = "GET", path: str = "/", *headers: str, **kw: Any
    ) -> Raw:
        """Send a well-formed request (Host added); keywords ``version``
        (default HTTP/1.1) and ``body`` (sent with its Content-Length)."""
        version = kw.get("version", "HTTP/1.1")
        body = kw.get("body", b"")
        lines = [f"{method} {path} {version}", "Host: localhost", *headers]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        return self.send(data)

    def response(self, method: str = "GET") -> Response:
        """Read one response (a 1xx one too) to a request of ``method``:
        bodyless for HEAD and 1xx/204/304."""
        return self._reader.next(method)

    def closed(self) -> bool:
        """Tell whether the server closed the connection (EOF waits)."""
        if self._reader.pending():
            return False
        try:
            return self.rfile.read(1) == b""
        except (ConnectionError, TimeoutError):
            return True

    def close(self) -> None:
        self.rfile.close()
        self.sock.close()


# urllib --------------------------------------------------------------------


def request(
    layer: Any,
    path: str,
    data: bytes | None = None,
    *,
    auth: tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
    timeout: float = 30,
) -> tuple[int, str]:
    """Request ``path`` from the server of ``layer`` with urllib; return
    (status, text), also for an error status. ``auth`` is a (user,
    password) pair sent as Basic authentication. Over HTTPS too: the
    layer's ``http_url`` and ``ca_bundle`` (GOCEPT_HTTP_HTTPS=1)."""
    req = urllib.request.Request(
        f"{layer['http_url']}{path}",
        data=data,
        headers=headers or {},
        method=method,
    )
    if auth:
        token = base64.b64encode(":".join(auth).encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    try:
        # ca_bundle: set when the layer serves HTTPS.
        trust = ssl.create_default_context(cafile=layer.get("ca_bundle"))
        with urllib.request.urlopen(
            req, timeout=timeout, context=trust
        ) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
