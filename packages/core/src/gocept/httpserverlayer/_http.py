"""HTTP/1.1 with keep-alive for a WSGI application (PEP 3333).

:func:`serve_wsgi` runs on a connection's own thread (see :mod:`._server`)
and answers requests on it until the client closes it, the framing of a
response requires closing it, or the server shuts down.

Bad input never reaches the application: a malformed request line, headers
that are malformed or too large, a bad Content-Length, or a body framing that
could smuggle a second request (Content-Length together with
Transfer-Encoding) are answered with a 4xx and the connection is closed.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
import sys
import time
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote_to_bytes

from gocept.httpserverlayer._body import EMPTY_INPUT
from gocept.httpserverlayer._body import BadRequest
from gocept.httpserverlayer._body import ChunkedInput
from gocept.httpserverlayer._body import LengthInput
from gocept.httpserverlayer._capture import record_body
from gocept.httpserverlayer._records import Request
from gocept.httpserverlayer._records import ServerError
from gocept.httpserverlayer._report import report_exception
from gocept.httpserverlayer._report import request_line
from gocept.httpserverlayer._report import warn
from gocept.httpserverlayer._server import Connection
from gocept.httpserverlayer._server import Server
from gocept.httpserverlayer._server import is_disconnect

MAX_REQUEST_LINE = 16 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 100
# Unread request body we still read and throw away to keep a connection.
MAX_DRAIN = 256 * 1024

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_STATUS = re.compile(r"[1-9][0-9][0-9](?: [^\r\n\x00]*)?\Z")
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_BAD_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_REASONS = {
    400: "Bad Request",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    505: "HTTP Version Not Supported",
}
_SERVER = "gocept.httpserverlayer"

_date_cache: tuple[int, str] = (0, "")


def http_date() -> str:
    """The Date header's value, formatted once a second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


class FileWrapper:
    """``wsgi.file_wrapper``: lets the server send a file with sendfile()."""

    def __init__(self, filelike: Any, blksize: int = 65536) -> None:
        self.filelike = filelike
        self.blksize = blksize
        close = getattr(filelike, "close", None)
        if close is not None:
            self.close = close

    def __iter__(self) -> Any:
        read = self.filelike.read
        while block := read(self.blksize):
            yield block


class _Reject(Exception):
    """Answer the request with an error status and close the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _send_error(sock: Any, status: int, message: str) -> None:
    body = f"{message}\n".encode()
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
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


class _Exchange:
    """One request and its response on a connection."""

    def __init__(self, sock: Any, method: str, version: str) -> None:
        self.sock = sock
        self.method = method
        self.http11 = version == "HTTP/1.1"
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.head_sent = False
        self.length: int | None = None  # Content-Length the app declared
        self.sent = 0
        self.chunked = False
        self.bodyless = method == "HEAD"
        self.close = False
        self.code = 0
        # The record of this request, added to ``records`` just before the
        # response's head goes out: a test that reads the response must
        # find the request recorded.
        self.pending: Request | None = None
        self.records: Any = None
        self.started = time.perf_counter()

    def record(self, status: int) -> None:
        """Add this request to the layer's record, answered with status."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.status = status
            pending.duration = time.perf_counter() - self.started
            self.records.add(pending)

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        if exc_info:
            try:
                if self.head_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError(
                "start_response() was called a second time without exc_info;"
                " pass sys.exc_info() to replace the response headers."
            )
        if type(status) is not str or not _STATUS.match(status):
            raise ValueError(
                f"Bad WSGI status {status!r}: it must be a str such as"
                " '200 OK'."
            )
        if type(headers) is not list:
            raise TypeError(
                f"WSGI response headers must be a list, got {headers!r}."
            )
        for item in headers:
            if (
                type(item) is not tuple
                or len(item) != 2
                or type(item[0]) is not str
                or type(item[1]) is not str
                or not _HEADER_NAME.match(item[0])
                or _BAD_HEADER_VALUE.search(item[1])
            ):
                raise ValueError(
                    f"Bad WSGI response header {item!r}: it must be a tuple"
                    " of two str, a token and a value without control"
                    " characters."
                )
        if len(status) == 3:
            # RFC 9112 4: the space before an empty reason phrase is not
            # optional; strict clients refuse "HTTP/1.1 200" without it.
            status += " "
        self.status = status
        self.headers = headers
        self.code = int(status[:3])
        return self.write

    def _build_head(self, complete_length: int | None) -> bytes:
        if self.status is None:
            raise AssertionError(
                "The application returned without calling start_response()."
            )
        code = self.code
        if self.pending is not None:
            self.record(code)
        lines = [f"HTTP/1.1 {self.status}\r\n"]
        has_date = has_server = False
        length = None
        for name, value in self.headers:
            lower = name.lower()
            if lower in _HOP_BY_HOP:
                if lower == "connection" and "close" in value.lower():
                    self.close = True
                continue
            if lower == "content-length":
                digits = value.strip()
                if (
                    length is not None
                    or not digits.isascii()
                    or not digits.isdigit()
                ):
                    raise ValueError(
                        f"Bad Content-Length {value!r} in the application's"
                        " response."
                    )
                length = int(digits)
            elif lower == "date":
                has_date = True
            elif lower == "server":
                has_server = True
            lines.append(f"{name}: {value}\r\n")
        if not has_date:
            lines.append(f"Date: {http_date()}\r\n")
        if not has_server:
            lines.append(f"Server: {_SERVER}\r\n")
        no_body = code < 200 or code in (204, 304)
        if no_body:
            self.bodyless = True
        elif length is None:
            if complete_length is not None:
                length = complete_length
                lines.append(f"Content-Length: {length}\r\n")
            elif self.bodyless:
                pass  # HEAD of a streamed response: length unknown
            elif self.http11:
                self.chunked = True
                lines.append("Transfer-Encoding: chunked\r\n")
            else:
                self.close = True  # HTTP/1.0: the end of data ends the body
        self.length = length
        if self.close:
            lines.append("Connection: close\r\n")
        elif not self.http11:
            lines.append("Connection: keep-alive\r\n")
        lines.append("\r\n")
        return "".join(lines).encode("latin-1")

    def write(self, data: bytes) -> None:
        """Send body data (also the legacy ``write()`` of start_response)."""
        if self.status is None:
            raise AssertionError(
                "The application sent body data before calling"
                " start_response()."
            )
        if type(data) is not bytes:
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise TypeError(
                    f"The application yielded {type(data).__name__}, not"
                    " bytes."
                )
            data = bytes(data)
        head = b""
        if not self.head_sent:
            head = self._build_head(None)
            self.head_sent = True
        if self.bodyless or not data:
            if head:
                self.sock.sendall(head)
            return
        if self.length is not None:
            room = self.length - self.sent
            if len(data) > room:
                self.sock.sendall(head + data[:room])
                self.sent = self.length
                self.close = True
                raise ValueError(
                    f"The application sent more than the {self.length} bytes"
                    " it declared as Content-Length."
                )
        self.sent += len(data)
        if self.chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data)
        self.sock.sendall(head + data if head else data)

    def finish(self, complete_length: int | None = None) -> None:
        """Send what is still due after the application's last chunk."""
        if not self.head_sent:
            # Nothing was written: the body is complete, and empty unless
            # told otherwise. Chunked framing here would never be ended.
            self.sock.sendall(self._build_head(complete_length or 0))
            self.head_sent = True
            return
        if self.chunked:
            self.sock.sendall(b"0\r\n\r\n")
        elif (
            self.length is not None
            and self.sent < self.length
            and not self.bodyless
        ):
            # Less than the declared Content-Length: the client must not
            # take what it got for the whole body.
            self.close = True
            raise ValueError(
                f"The application declared Content-Length {self.length} but"
                f" sent {self.sent} bytes."
            )


def _run_app(
    app: Any, environ: dict[str, Any], exchange: _Exchange, sock: Any
) -> None:
    result = app(environ, exchange.start_response)
    try:
        if (
            type(result) is FileWrapper
            and exchange.status is not None
            and not exchange.head_sent  # write() already sent it
            and hasattr(result.filelike, "fileno")
        ):
            _send_file(result, exchange, sock)
            return
        if (
            type(result) in (list, tuple)
            and exchange.status is not None
            and not exchange.head_sent  # write() already sent it
        ):
            # The common case: the whole body at once. Send it with its
            # length and, when small, in the same packet as the head.
            total = sum(map(len, result))
            head = exchange._build_head(total)
            if exchange.bodyless or not total:
                exchange.head_sent = True
                sock.sendall(head)
                return
            if exchange.length == total:
                exchange.head_sent = True
                exchange.sent = total
                sock.sendall(head + b"".join(result))
                return
            # The declared Content-Length is wrong: let write() and
            # finish() cut the body or close the connection, and report.
        if exchange.bodyless:
            # HEAD: run the body to find its length, send none of it.
            total = 0
            for chunk in result:
                total += len(chunk)
            exchange.finish(total)
            return
        for chunk in result:
            if chunk:
                exchange.write(chunk)
        exchange.finish()
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


def _send_file(result: FileWrapper, exchange: _Exchange, sock: Any) -> None:
    filelike = result.filelike
    if exchange.length is None:
        # Find the length from the file itself (what is left of it).
        try:
            size = os.fstat(filelike.fileno()).st_size
            offset = filelike.tell()
        except (OSError, ValueError):
            for chunk in result:
                exchange.write(chunk)
            exchange.finish()
            return
        exchange.finish(max(0, size - offset))
    else:
        exchange.finish(exchange.length)
        offset = filelike.tell()
    if exchange.bodyless:
        return  # HEAD: the length came from the file, not from reading it
    count = exchange.length or 0
    if count:
        if isinstance(sock, ssl.SSLSocket):
            # sendfile() cannot encrypt; SSLSocket.sendfile() would fall
            # back to sending 8 KiB blocks, larger ones are faster.
            sent = _send_blocks(sock, filelike, offset, count)
        else:
            sent = sock.sendfile(filelike, offset, count)
        exchange.sent = sent
        if sent < count:
            exchange.close = True
            raise _FileEnded(
                f"The file ended after {sent} of the {count} bytes declared"
                " as Content-Length"
            )


class _FileEnded(ValueError):
    """A file sent with sendfile() was shorter than its Content-Length.

    Someone truncated it while it was served: not a bug in the application
    or the server, so it is reported in one line, without a traceback.
    """


def _send_blocks(sock: Any, filelike: Any, offset: int, count: int) -> int:
    """Send ``count`` bytes of ``filelike`` from ``offset``; return the
    number sent (fewer if the file ends early)."""
    filelike.seek(offset)
    sent = 0
    while sent < count:
        block = filelike.read(min(count - sent, 262144))
        if not block:
            break
        sock.sendall(block)
        sent += len(block)
    return sent


def _parse_target(target: bytes) -> tuple[str, str]:
    if target.startswith(b"/"):
        path, _, query = target.partition(b"?")
    elif target[:7].lower() == b"http://" or target[:8].lower() == b"https://":
        rest = target.split(b"//", 1)[1]
        slash = rest.find(b"/")
        path, _, query = (
            rest[slash:].partition(b"?") if slash >= 0 else (b"/", b"", b"")
        )
    elif target == b"*":
        return "*", ""
    else:
        raise _Reject(400, f"Bad request target {target[:100]!r}.")
    path = path.partition(b"#")[0]
    return unquote_to_bytes(path).decode("latin-1"), query.decode("latin-1")


def _read_head(rfile: Any, connection: Connection) -> Any:
    """Read a request's head; None at a clean end of the connection."""
    line = rfile.readline(MAX_REQUEST_LINE + 1)
    if line in (b"\r\n", b"\n"):
        # RFC 9112 2.2: ignore an empty line before a request line.
        line = rfile.readline(MAX_REQUEST_LINE + 1)
    if not line:
        return None
    connection.state = "a request being received"
    if not line.endswith(b"\n"):
        if len(line) > MAX_REQUEST_LINE:
            raise _Reject(
                414, f"The request line is longer than {MAX_REQUEST_LINE}."
            )
        return None  # the client closed the connection mid-line
    parts = line.rstrip(b"\r\n").split(b" ")
    if len(parts) != 3:
        raise _Reject(400, f"Bad request line {line[:100]!r}.")
    method, target, version = parts
    if version not in (b"HTTP/1.1", b"HTTP/1.0"):
        if re.match(rb"HTTP/\d\.\d\Z", version):
            raise _Reject(505, f"HTTP version {version!r} is not supported.")
        raise _Reject(400, f"Bad request line {line[:100]!r}.")
    if not _TOKEN.match(method) or not target or _BAD_VALUE.search(target):
        raise _Reject(400, f"Bad request line {line[:100]!r}.")
    headers: list[tuple[bytes, bytes]] = []
    total = 0
    while True:
        line = rfile.readline(MAX_HEADER_BYTES + 1)
        total += len(line)
        if total > MAX_HEADER_BYTES:
            raise _Reject(
                431, f"The request headers are larger than {MAX_HEADER_BYTES}."
            )
        if line in (b"\r\n", b"\n"):
            break
        if not line.endswith(b"\n"):
            return None  # the client closed the connection mid-headers
        if len(headers) >= MAX_HEADERS:
            raise _Reject(431, f"More than {MAX_HEADERS} request headers.")
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.match(name):
            raise _Reject(400, f"Bad header line {line[:100]!r}.")
        value = value.strip(b" \t\r\n")
        if _BAD_VALUE.search(value):
            raise _Reject(400, f"Bad value of header {name[:100]!r}.")
        headers.append((name, value))
    return method, target, version, headers


def _environ(
    server: Server,
    connection: Connection,
    head: Any,
) -> tuple[dict[str, Any], int | None, bool, bool, bool]:
    """Build the WSGI environ; also return body length and connection hints.

    Returns (environ, content_length, chunked, keep_alive, expect_continue).
    """
    method, target, version, headers = head
    version_str = version.decode("ascii")
    path, query = _parse_target(target)
    address = connection.address
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method.decode("ascii"),
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "REQUEST_URI": target.decode("latin-1"),
        "SERVER_NAME": server.server_name,
        "SERVER_PORT": str(server.server_port),
        "SERVER_PROTOCOL": version_str,
        "SERVER_SOFTWARE": _SERVER,
        "GATEWAY_INTERFACE": "CGI/1.1",
        "REMOTE_ADDR": address[0],
        "REMOTE_PORT": str(address[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": server.url_scheme,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.file_wrapper": FileWrapper,
        "wsgi.input_terminated": True,
    }
    lengths: list[str] = []
    hosts = 0
    transfer_encoding = None
    connection_tokens = ""
    expect = b""
    for name, raw in headers:
        lower = name.lower()
        value = raw.decode("latin-1")
        if lower == b"content-length":
            lengths.extend(v.strip() for v in value.split(","))
            continue
        if lower == b"transfer-encoding":
            transfer_encoding = (
                f"{transfer_encoding}, {value}" if transfer_encoding else value
            )
        elif lower == b"host":
            hosts += 1
        elif lower == b"connection":
            connection_tokens += "," + value.lower()
        elif lower == b"expect":
            expect = raw.lower()
        if b"_" in name:
            # CGI variables cannot tell "a_b" from "a-b": dropping the
            # underscore form keeps a client from spoofing a header that a
            # proxy in front of the app would have set.
            continue
        if lower == b"content-type":
            key = "CONTENT_TYPE"
        else:
            key = "HTTP_" + name.decode("ascii").upper().replace("-", "_")
        if key in environ:
            sep = "; " if key == "HTTP_COOKIE" else ", "
            environ[key] = environ[key] + sep + value
        else:
            environ[key] = value
    http11 = version == b"HTTP/1.1"
    if http11 and hosts != 1:
        raise _Reject(
            400, "An HTTP/1.1 request needs exactly one Host header."
        )
    content_length = None
    chunked = False
    if transfer_encoding is not None:
        if lengths:
            raise _Reject(
                400,
                "A request must not have both Content-Length and"
                " Transfer-Encoding.",
            )
        if not http11:
            raise _Reject(400, "Transfer-Encoding needs HTTP/1.1.")
        codings = [c.strip().lower() for c in transfer_encoding.split(",")]
        if codings != ["chunked"]:
            raise _Reject(
                501,
                f"Transfer-Encoding {transfer_encoding!r} is not supported;"
                " only chunked is.",
            )
        chunked = True
    elif lengths:
        # isdigit() alone takes non-ASCII digits ("\xb2"), which int()
        # refuses.
        if (
            len(set(lengths)) != 1
            or not lengths[0].isascii()
            or not lengths[0].isdigit()
        ):
            raise _Reject(
                400, f"Bad Content-Length {', '.join(lengths)[:100]!r}."
            )
        content_length = int(lengths[0])
        environ["CONTENT_LENGTH"] = str(content_length)
    if http11:
        keep_alive = "close" not in connection_tokens
    else:
        keep_alive = "keep-alive" in connection_tokens
    return (
        environ,
        content_length,
        chunked,
        keep_alive,
        expect == b"100-continue" and http11,
    )


def serve_wsgi(connection: Connection, server: Server) -> None:
    """Serve HTTP requests on ``connection`` until it ends."""
    sock = connection.sock
    connection.idle_known = True
    rfile = sock.makefile("rb", 65536)
    verbose = getattr(server, "verbose", False)
    try:
        while not server.stopping:
            server.now_idle(connection)
            try:
                head = _read_head(rfile, connection)
                if head is None:
                    _interrupted(server, connection)
                    return
                environ, length, chunked, keep_alive, expect = _environ(
                    server, connection, head
                )
            except _Reject as e:
                _send_error(sock, e.status, e.message)
                return
            method = environ["REQUEST_METHOD"]
            connection.state = f"{method} {environ['REQUEST_URI'][:200]}"
            if chunked:
                body: Any = ChunkedInput(rfile, sock if expect else None)
            elif length:
                body = LengthInput(rfile, length, sock if expect else None)
            else:
                body = EMPTY_INPUT
            environ["wsgi.input"] = body
            exchange = _Exchange(sock, method, environ["SERVER_PROTOCOL"])
            exchange.close = not keep_alive
            if _is_control(server, environ):
                if not _respond_control(environ, exchange, connection, server):
                    return
                if exchange.close or not body.drain(MAX_DRAIN):
                    return
                continue
            if server.records is not None:
                exchange.pending = Request(
                    method, environ["REQUEST_URI"], 0, None, head[3]
                )
                exchange.records = server.records
                if body is not EMPTY_INPUT:
                    # The record keeps a bounded copy of the body.
                    environ["wsgi.input"] = body = record_body(
                        body, exchange.pending, server.records.max_body, expect
                    )
            if not server.gate.is_set() and not server.wait_for_test(
                connection
            ):
                return
            if not _respond(
                server.application, environ, exchange, sock, connection, server
            ):
                return
            if verbose:
                request_line(
                    f'{connection.address[0]} "{connection.state}'
                    f' {environ["SERVER_PROTOCOL"]}" {exchange.code}'
                    f" {exchange.sent}"
                )
            if exchange.close or not body.drain(MAX_DRAIN):
                return
    except BaseException as e:
        if is_disconnect(e) or server.stopping:
            return
        raise
    finally:
        rfile.close()


def _is_control(server: Server, environ: dict[str, Any]) -> bool:
    control = server.control
    return control is not None and (
        environ["PATH_INFO"] == control[0]
        or environ["PATH_INFO"].startswith(control[0] + "/")
    )


def _respond_control(
    environ: dict[str, Any],
    exchange: _Exchange,
    connection: Connection,
    server: Server,
) -> bool:
    """Answer a request for ``server.control``'s application.

    It runs at once, also between two tests (it is what starts the next
    one), is not recorded, and settle() neither waits for it nor closes
    its connection: it may be what called settle().
    """
    assert server.control is not None
    connection.idle_known = False
    try:
        return _respond(
            server.control[1],
            environ,
            exchange,
            connection.sock,
            connection,
            server,
        )
    finally:
        connection.idle_known = True


def _interrupted(server: Server, connection: Connection) -> None:
    if connection.state and server.stopping:
        warn(
            f"{server.name} shut down with {connection.describe()}"
            " unfinished; the rest of it was dropped."
        )


def _respond(
    app: Any,
    environ: dict[str, Any],
    exchange: _Exchange,
    sock: Any,
    connection: Connection,
    server: Server,
) -> bool:
    """Run the application; return whether the connection may go on."""
    try:
        _run_app(app, environ, exchange, sock)
        return True
    except BaseException as e:
        if is_disconnect(e):
            return False
        if isinstance(e, _FileEnded):
            warn(
                f"{server.name}: {e} while serving {connection.describe()};"
                " closed the connection, so that the client sees the"
                " response as incomplete."
            )
            return False
        if isinstance(e, BadRequest) and not exchange.head_sent:
            exchange.record(400)
            _send_error(sock, 400, str(e))
            return False
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        server.errors.append(
            ServerError(
                connection.describe(),
                report_exception(
                    f"{server.name}: exception in the application while"
                    f" serving {connection.describe()}"
                ),
            )
        )
        if not exchange.head_sent:
            exchange.record(500)
            _send_error(
                sock,
                500,
                "The application raised an exception; its traceback is in"
                " the test run's output.",
            )
        # With the head sent, closing without the rest of the body tells
        # the client that the response is incomplete.
        return False
