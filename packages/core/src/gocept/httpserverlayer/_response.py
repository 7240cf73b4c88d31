"""Writing a WSGI application's response (PEP 3333) on a connection.

An :class:`Exchange` is one request's response: ``start_response`` checks
what the application declares, and the head goes out with the first body
bytes (or with the whole body at once, when the application returns a
list). It frames the body with Content-Length when the length is known,
chunked for HTTP/1.1 otherwise, and by closing the connection for
HTTP/1.0; it closes the connection after a response the application cut
short. :func:`run_app` calls the application and sends what it returns,
files through ``sendfile()``.
"""

from __future__ import annotations

import os
import re
import ssl
import time
from email.utils import formatdate
from typing import TYPE_CHECKING
from typing import Any

from gocept.httpserverlayer._errors import BadRequest
from gocept.httpserverlayer.rules import HOP_BY_HOP
from gocept.httpserverlayer.rules import content_length

if TYPE_CHECKING:
    from gocept.httpserverlayer._parser import RequestHead
    from gocept.httpserverlayer._records import Request
    from gocept.httpserverlayer._site import Site

#: ``SERVER_SOFTWARE`` and the ``Server`` header.
SERVER_SOFTWARE = "gocept.httpserverlayer"

# PEP 3333: a status is a str such as "200 OK" (RFC 9112 4: status-code
# SP [ reason-phrase ]).
_STATUS = re.compile(r"[1-9][0-9][0-9](?: [^\r\n\x00]*)?\Z")
# A response header name is a token, a value has no control characters
# (RFC 9110 5.1 and 5.5).
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_BAD_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

_date_cache: tuple[int, str] = (0, "")
# Response headers found valid before: an application sends the same ones
# again and again, and the regular expressions are the dearest part of
# start_response(). Bounded, as values (cookies, lengths) vary.
_checked: set[tuple[str, str]] = set()
_MAX_CHECKED = 1000


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


class Exchange:
    """One request and its response on a connection.

    :param sock: the connection's socket.
    :param head: the request.
    :param site: where the request is recorded.
    :param body: the request body (``wsgi.input``).
    """

    def __init__(
        self, sock: Any, head: RequestHead, site: Site, body: Any
    ) -> None:
        self.sock = sock
        self.method = head.method
        self.http11 = head.version == "HTTP/1.1"
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.head_sent = False
        self.length: int | None = None  # Content-Length the app declared
        self.sent = 0
        self.chunked = False
        self.bodyless = head.method == "HEAD"
        self.close = not head.framing.keep_alive
        self.code = 0
        self.body = body
        self.site = site
        # The record of this request, added just before the response's head
        # goes out: a test that reads the response finds it recorded.
        self.pending: Request | None = site.new_record(head)
        self.started = time.perf_counter()

    def record(self, status: int) -> None:
        """Add this request to the site's records, answered with status."""
        pending, self.pending = self.pending, None
        if pending is not None:
            self.site.add_record(pending, status, self.started)

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
                type(item) is tuple
                and len(item) == 2
                and type(item[0]) is str
                and type(item[1]) is str
            ):
                if item in _checked:
                    continue
                name, value = item
                if _HEADER_NAME.match(name) and not _BAD_HEADER_VALUE.search(
                    value
                ):
                    if len(_checked) >= _MAX_CHECKED:
                        _checked.clear()
                    _checked.add(item)
                    continue
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
            if lower in HOP_BY_HOP:
                if lower == "connection" and _closes(value):
                    self.close = True
                continue
            if lower == "content-length":
                if length is not None:
                    raise ValueError(
                        "The application's response has two Content-Length"
                        " headers."
                    )
                if value.isdigit() and value.isascii() and len(value) < 20:
                    length = int(value)  # the common case, in short
                else:
                    try:
                        length = content_length(value)
                    except BadRequest as e:
                        raise ValueError(
                            f"{e} (in the application's response)"
                        ) from None
                value = str(length)
            elif lower == "date":
                has_date = True
            elif lower == "server":
                has_server = True
            lines.append(f"{name}: {value}\r\n")
        if not has_date:
            lines.append(f"Date: {http_date()}\r\n")
        if not has_server:
            lines.append(f"Server: {SERVER_SOFTWARE}\r\n")
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
        if self.body.owes_continue and not self.body.client_sent_body():
            # RFC 9110 10.1.1: answered without reading the body the client
            # still holds back; whether it sends it now is its choice, so
            # the connection cannot go on (and says so).
            self.close = True
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


def run_app(
    app: Any, environ: dict[str, Any], exchange: Exchange, sock: Any
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


def _closes(value: str) -> bool:
    """Whether a Connection header's options (RFC 9110 7.6.1) say close."""
    return "close" in (option.strip().lower() for option in value.split(","))


def _send_file(result: FileWrapper, exchange: Exchange, sock: Any) -> None:
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
            raise FileEnded(
                f"The file ended after {sent} of the {count} bytes declared"
                " as Content-Length"
            )


class FileEnded(ValueError):
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
