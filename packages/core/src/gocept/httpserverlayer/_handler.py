"""The ``http.server`` protocol: request handler classes behind our parser.

:class:`HandlerProtocol` serves ``custom.Layer``'s request handler and the
``request_handler_class`` of a ``wsgi.Layer`` (a ``wsgiref`` handler). The
connection loop of :mod:`._connection` reads and checks every request with
:mod:`._parser`, whatever the handler's base class; the handler then gets
one request at a time, as :mod:`http.server` would hand it over:

* ``self.rfile`` holds the request head, rewritten in canonical form (each
  header on a CRLF line, one Content-Length), then exactly the body: a
  chunked body arrives de-chunked, with its Content-Length, and nothing a
  client sends after the body can be read as part of this request; the
  record keeps a bounded copy of the body (:mod:`._capture`);
* ``self.wfile`` and ``self.request`` write to the client; the status line
  the handler writes records the request (``http_requests``) before it
  goes out;
* ``self.server`` is the layer's ``httpd`` and ``self.client_address`` the
  client's address.

A handler class that derives from :class:`http.server.BaseHTTPRequestHandler`
is served through a subclass made once per class, whose
``handle_one_request`` serves one request and hands the keep-alive decision
back (``close_connection``), so that the connection carries the next
request where the handler allows it (``protocol_version = "HTTP/1.1"``).
Where the handler keeps http.server's own ``parse_request``, that subclass
sets the same attributes from the head our parser read, instead of having
the email parser read it a second time.
Other factories serve one request per connection. An exception from the
handler is reported and kept in ``http_errors``; the client gets a 500
when nothing was written yet.
"""

from __future__ import annotations

import functools
import http.client
import http.server
import io
import re
import sys
import threading
import time
import weakref
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from email.policy import compat32
from typing import TYPE_CHECKING
from typing import Any

from gocept.httpserverlayer._body import EMPTY_INPUT
from gocept.httpserverlayer._body import LengthInput
from gocept.httpserverlayer._capture import record_body
from gocept.httpserverlayer._connection import Connection
from gocept.httpserverlayer._connection import is_disconnect
from gocept.httpserverlayer._connection import send_error
from gocept.httpserverlayer._connection import serve
from gocept.httpserverlayer._parser import CHUNKED
from gocept.httpserverlayer._parser import RequestHead
from gocept.httpserverlayer._site import Site
from gocept.httpserverlayer.rules import status_line

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIApplication
    from _typeshed.wsgi import WSGIEnvironment

HANDLER_FAILED = (
    "The request handler raised an exception; its traceback is in the test"
    " run's output."
)
# Headers the handler gets from us instead of from the client.
_FRAMING = frozenset({b"content-length", b"transfer-encoding"})
_STATUS_LINE = re.compile(rb"HTTP/[0-9]\.[0-9] ([0-9]{3})")
# How many header fields http.client.parse_headers() reads at most.
_MAX_HEADERS = getattr(http.client, "_MAXHEADERS", 100)
_BASE_PARSE_REQUEST = http.server.BaseHTTPRequestHandler.parse_request
# The connection each worker thread serves, for the reports of WatchedApp.
_serving = threading.local()


class HandlerProtocol:
    """Serves requests with an ``http.server``-style request handler.

    :param handler: a :class:`http.server.BaseHTTPRequestHandler`
        subclass (or another callable that takes ``request,
        client_address, server``, as :mod:`socketserver` calls it).
    :param site: where requests and errors are recorded.
    :param server: what handlers see as ``self.server``.
    """

    def __init__(self, handler: Callable[..., Any], site: Site, server: Any):
        self.factory = one_request_factory(handler)
        self.keeps_alive = self.factory is not handler
        self.site = site
        self.server = server

    def __call__(self, connection: Connection) -> bool:
        _serving.connection = connection
        try:
            return serve(connection, self.site, self.respond)
        finally:
            _serving.connection = None

    def respond(
        self, connection: Connection, head: RequestHead, body: Any
    ) -> bool:
        """Answer one request; return whether the connection may go on."""
        response = _Response(self.site, head, body)
        readable = body
        if body is not EMPTY_INPUT:
            # The record keeps a bounded copy of the body.
            readable = record_body(
                body,
                response.record,
                self.site.records.max_body,
                body.owes_continue,
            )
        fields = _fields(head, body)
        data = _Input(
            _request_line(head),
            readable,
            response,
            connection.rfile,
            head,
            fields,
        )
        request = _RequestSocket(connection, response, data)
        try:
            handler = self.factory(request, connection.address, self.server)
        except BaseException as e:
            return self._failed(e, connection, response)
        if not self.keeps_alive or request.closed:
            return False
        if response.status in (0, 101):
            return False  # nothing answered, or the connection taken over
        keep = getattr(handler, "_gocept_keep_alive", None)
        if keep is None:  # handle() overridden, as by wsgiref's handler
            keep = not getattr(handler, "close_connection", True)
        return bool(keep) and head.framing.keep_alive

    def _failed(
        self, e: BaseException, connection: Connection, response: _Response
    ) -> bool:
        if is_disconnect(e):
            return False
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise e
        self.site.report_error(connection, "exception in the request handler")
        if not response.started:
            response.answered(500)
            send_error(connection.sock, 500, HANDLER_FAILED)
        return False


def _fields(head: RequestHead, body: Any) -> list[tuple[bytes, bytes]]:
    """The header fields the handler gets: ours for the framing."""
    chunked = head.framing.body is CHUNKED
    fields = []
    for name, value in head.headers:
        lower = name.lower()
        if lower in _FRAMING or (chunked and lower == b"expect"):
            continue  # we answered the expectation when we de-chunked
        fields.append((name, value))
    if chunked:
        fields.append((b"Content-Length", b"%d" % len(body.getbuffer())))
    elif head.framing.length is not None:
        fields.append((b"Content-Length", b"%d" % head.framing.length))
    return fields


def _request_line(head: RequestHead) -> bytes:
    return f"{head.method} {head.target} {head.version}\r\n".encode("latin-1")


class _Response:
    """What the handler writes: records the request at its status line."""

    __slots__ = (
        "site",
        "record",
        "body",
        "status",
        "final",
        "started",
        "_time",
    )

    def __init__(self, site: Site, head: RequestHead, body: Any) -> None:
        self.site = site
        self.record = site.new_record(head)
        self.body = body
        self.status = 0  # the final status; 0 for output without one
        self.final = False  # whether the final response has started
        self.started = False  # whether anything was written
        self._time = time.perf_counter()

    def sent(self, data: bytes) -> None:
        """``data`` goes out next; see whether it starts the response."""
        self.started = True
        if self.final:
            return
        match = _STATUS_LINE.match(data)
        code = int(match.group(1)) if match else 0  # no status line
        if 100 <= code < 200 and code != 101:
            # An interim response, such as the handler's 100 Continue.
            if code == 100 and isinstance(self.body, LengthInput):
                self.body.continue_sent()
            return
        self.answered(code)

    def answered(self, code: int) -> None:
        """The response has status ``code``: record the request."""
        self.final = True
        self.status = code
        self.site.add_record(self.record, code, self._time)


class _Input(io.BufferedIOBase):
    """``self.rfile`` of a handler: the canonical head, then the body.

    The head is the request line, each header field on a CRLF line, and
    an empty line. Only the request line is made up front: a handler with
    http.server's own ``parse_request`` takes the fields from
    :meth:`parsed_head`, and the head's other lines are made only for a
    handler that reads them.

    After a ``101 Switching Protocols`` the handler owns the connection:
    what follows the body is read from the connection itself.
    """

    def __init__(
        self,
        line: bytes,
        body: Any,
        response: _Response,
        rfile: Any,
        parsed: RequestHead | None = None,
        fields: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        super().__init__()
        self._line = line
        # The head's reader, made at the first read that needs more than
        # the request line whole; until then, whether that line was read.
        self._head: io.BytesIO | None = None
        self._line_read = False
        self._head_left = 1  # > 0 while some of the head is unread
        self._body = body
        self._response = response
        self._rfile = rfile
        self._parsed = parsed
        self._fields = fields or []

    def _reader(self) -> io.BytesIO:
        """The head's reader, at the position read so far."""
        if self._head is None:
            lines = [self._line]
            lines.extend(n + b": " + v + b"\r\n" for n, v in self._fields)
            lines.append(b"\r\n")
            head = b"".join(lines)
            self._head = io.BytesIO(head)
            done = len(self._line) if self._line_read else 0
            self._head.seek(done)
            self._head_left = len(head) - done
        return self._head

    def parsed_head(
        self, request_line: bytes
    ) -> tuple[RequestHead, list[tuple[bytes, bytes]]] | None:
        """The parsed head and its fields, when ``request_line`` is what
        was read so far; the header lines then count as read.

        None when the handler read anything else, or when the fields are
        more than :func:`http.client.parse_headers` accepts (it answers
        those itself).
        """
        parsed, fields = self._parsed, self._fields
        if (
            parsed is None
            or len(fields) > _MAX_HEADERS
            or self._head is not None
            or not self._line_read
            or request_line != self._line
        ):
            return None
        self._head_left = 0
        return parsed, fields

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            data = b""
            if self._head_left > 0:
                data = self._reader().read()
                self._head_left = 0
            return bytes(data + self._body.read())
        data = b""
        if self._head_left > 0:
            data = self._reader().read(size)
            self._head_left -= len(data)
            size -= len(data)
        if size > 0:
            data += self._body.read(size)
            if not data and self._response.status == 101:
                data = self._rfile.read1(size)
        return bytes(data)

    read1 = read

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        if size is None:
            size = -1
        if self._head_left > 0:
            line = self._line
            if (
                self._head is None
                and not self._line_read
                and (size < 0 or size >= len(line))
            ):
                self._line_read = True  # the common first read
                return line
            # The head ends in an empty line: no line spans head and body.
            line = self._reader().readline(size)
            self._head_left -= len(line)
            return line
        line = self._body.readline(size)
        if not line and self._response.status == 101:
            line = self._rfile.readline(size)
        return bytes(line)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


class _RequestSocket:
    """``self.request`` of a handler: the client socket, watched.

    Everything written goes through :meth:`sendall`, so that the response's
    status line is seen before it goes out; reading goes through the
    :class:`_Input` of the request. Anything else is the socket's.
    """

    def __init__(
        self, connection: Connection, response: _Response, input: _Input
    ) -> None:
        self._sock = connection.sock
        self.response = response
        self.input = input
        self.closed = False

    def makefile(
        self, mode: str = "r", buffering: int | None = None, **kw: Any
    ) -> Any:
        if "r" in mode:
            return self.input
        writer = _Writer(self)
        if buffering == 0:
            return writer
        return io.BufferedWriter(writer, buffering or io.DEFAULT_BUFFER_SIZE)

    def sendall(self, data: Any) -> None:
        data = bytes(data)
        if data:
            self.response.sent(data)
        self._sock.sendall(data)

    def send(self, data: Any) -> int:
        self.sendall(data)
        return len(data)

    def close(self) -> None:
        # The connection is ours; a handler that closes it ends it.
        self.closed = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _Writer(io.RawIOBase):
    """A raw writer over :meth:`_RequestSocket.sendall`."""

    def __init__(self, request: _RequestSocket) -> None:
        self._request = request

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._request.sendall(data)
        return len(data)


_one_request_classes: weakref.WeakKeyDictionary[type, type] = (
    weakref.WeakKeyDictionary()
)
_classes_lock = threading.Lock()


def one_request_factory(handler: Callable[..., Any]) -> Callable[..., Any]:
    """A factory like ``handler`` whose instances serve one request each.

    For a :class:`~http.server.BaseHTTPRequestHandler` subclass (or a
    :func:`functools.partial` of one, as for ``SimpleHTTPRequestHandler``
    with ``directory=``) that is a subclass with the same name whose
    ``handle_one_request`` serves one request, keeps the handler's
    keep-alive decision in ``_gocept_keep_alive`` and stops the handler's
    loop. Anything else is returned as it is.
    """
    if isinstance(handler, functools.partial):
        inner = one_request_factory(handler.func)
        if inner is handler.func:
            return handler
        return functools.partial(inner, *handler.args, **handler.keywords)
    if not (
        isinstance(handler, type)
        and issubclass(handler, http.server.BaseHTTPRequestHandler)
    ):
        return handler
    with _classes_lock:
        made = _one_request_classes.get(handler)
        if made is None:
            made = _one_request_classes[handler] = _one_request(handler)
    return made


def _one_request(handler: type) -> type:
    def handle_one_request(self: Any) -> None:
        handler.handle_one_request(self)  # type: ignore[attr-defined]
        self._gocept_keep_alive = not self.close_connection
        self.close_connection = True

    members: dict[str, Any] = {
        "handle_one_request": handle_one_request,
        "__module__": handler.__module__,
        "__qualname__": handler.__qualname__,
        "__doc__": handler.__doc__,
    }
    if getattr(handler, "parse_request", None) is _BASE_PARSE_REQUEST:
        # Not overridden: take the head our parser read instead of parsing
        # it a second time (the email parser behind parse_request() is the
        # dearest part of a small request, issue 15).
        members["parse_request"] = _parse_request
    return type(handler.__name__, (handler,), members)


def _parse_request(self: Any) -> bool:
    """:meth:`http.server.BaseHTTPRequestHandler.parse_request` from the
    head that our parser read and checked.

    It sets the same attributes from the same canonical head (see
    :class:`_Input`) as the original, and answers ``Expect:
    100-continue`` the same way; where the handler read its request
    otherwise, the original parses it.
    """
    rfile = self.rfile
    found = None
    if type(rfile) is _Input:
        found = rfile.parsed_head(self.raw_requestline)
    if found is None:
        return bool(_BASE_PARSE_REQUEST(self))
    head, fields = found
    self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
    # Our parser serves HTTP/1.0 and HTTP/1.1 only (a higher minor version
    # as 1.1), so the version needs none of the original's checks.
    self.request_version = version = head.version
    http11 = self.protocol_version >= "HTTP/1.1"
    self.close_connection = not (version == "HTTP/1.1" and http11)
    self.command, self.path = head.method, head.target
    if self.path.startswith("//"):
        # As the original does against open redirects (gh-87389).
        self.path = "/" + self.path.lstrip("/")
    pairs = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in fields]
    headers = self.MessageClass()
    if type(headers) is http.client.HTTPMessage and headers.policy is compat32:
        # What its __setitem__ appends, one call per field saved: compat32
        # stores a field as given and limits no count.
        headers._headers = pairs  # type: ignore[attr-defined]
    else:
        for name, value in pairs:
            headers[name] = value
    headers.set_payload("")  # as the email parser leaves it
    self.headers = headers
    # The first field of each name counts, as for headers.get(name).
    conntype = expect = None
    for name, value in pairs:
        lower = name.lower()
        if lower == "connection" and conntype is None:
            conntype = value.lower()
        elif lower == "expect" and expect is None:
            expect = value.lower()
    if conntype == "close":
        self.close_connection = True
    elif conntype == "keep-alive" and http11:
        self.close_connection = False
    if expect == "100-continue" and http11 and version == "HTTP/1.1":
        return bool(self.handle_expect_100())
    return True


class WatchedApp:
    """A WSGI application run by a ``wsgiref`` handler, its errors reported.

    ``wsgiref`` catches an application's exceptions itself and only prints
    them; this wrapper reports them as the WSGI engine does (once, kept in
    ``http_errors``, failing the test when asked) and answers a 500 while
    it still can. When the response has started, the exception ends it:
    ``wsgiref`` closes the connection without a second report.

    :param app: the application.
    :param site: where the errors go.
    """

    def __init__(self, app: WSGIApplication, site: Site) -> None:
        self.app = app
        self.site = site

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        try:
            result = self.app(environ, start_response)
        except Exception:
            return self.failed(start_response)
        if isinstance(result, (list, tuple)):
            return result
        return _WatchedBody(result, self)

    def failed(self, start_response: StartResponse | None) -> list[bytes]:
        """Report the exception being handled; answer 500 if still possible."""
        connection = getattr(_serving, "connection", None)
        if connection is None:
            raise  # not served by HandlerProtocol: nothing to report to
        self.site.report_error(connection, "exception in the application")
        if start_response is not None:
            try:
                body = b"Internal Server Error: see the test run's output.\n"
                start_response(
                    status_line(500),
                    [
                        ("Content-Type", "text/plain; charset=utf-8"),
                        ("Content-Length", str(len(body))),
                    ],
                    sys.exc_info(),
                )
                return [body]
            except Exception:
                pass  # the head went out already
        raise _Reported from None


class _WatchedBody:
    """An application's iterable, its exceptions reported."""

    def __init__(self, result: Iterable[bytes], watched: WatchedApp) -> None:
        self._result = result
        self._watched = watched

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._result
        except Exception:
            self._watched.failed(None)

    def close(self) -> None:
        close = getattr(self._result, "close", None)
        if close is not None:
            close()


class _Reported(ConnectionAbortedError):
    """Ends a response whose exception is reported: wsgiref stays quiet."""
