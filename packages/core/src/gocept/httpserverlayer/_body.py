"""Request bodies as file-like objects: ``wsgi.input``, a handler's body.

A body of Content-Length bytes is read from the connection as the
application reads it (:class:`LengthInput`), and never past its end, so the
next request on a keep-alive connection starts where it should. A chunked
body is read whole before the application runs (:func:`dechunk`, with the
rules of :mod:`._parser`) and handed over as a :class:`BufferedInput` of
known length: applications see ``CONTENT_LENGTH`` as for any other body,
and a malformed chunked body is answered with 400 before it reaches them.

``100 Continue`` (RFC 9110 10.1.1) is sent when the application first
reads a body whose client asked for it. One that answers without reading
gets no ``100 Continue``; the connection then goes on only if the client
sent its body anyway (see :meth:`LengthInput.client_sent_body`).
"""

from __future__ import annotations

import io
import ssl
from collections.abc import Iterator
from typing import Any

from gocept.httpserverlayer._errors import ClientDisconnected
from gocept.httpserverlayer._parser import read_chunked

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_BLOCK = 65536
#: Longest chunked body read (it is kept in memory); a longer one gets a
#: 411, which asks for a Content-Length.
MAX_DECHUNKED = 16 * 1024 * 1024


class LineReader:
    """``readlines()`` and iteration over a reader's ``readline()``, as
    ``io.IOBase`` has them (the WSGI input stream's interface, PEP 3333)."""

    def readline(self, size: int | None = -1) -> bytes:
        raise NotImplementedError

    def readlines(self, hint: int = -1) -> list[bytes]:
        lines = []
        total = 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


class LengthInput(LineReader):
    """A body of ``length`` bytes, read from the connection on demand.

    :param rfile: the connection's buffered reader.
    :param length: the Content-Length.
    :param continue_sock: the socket to send ``100 Continue`` on before
        the first read, or None when the client does not wait for it.
    """

    def __init__(self, rfile: Any, length: int, continue_sock: Any) -> None:
        self._rfile = rfile
        self._remaining = length
        self._continue_sock = continue_sock

    @property
    def owes_continue(self) -> bool:
        """Whether the client waits for ``100 Continue`` still."""
        return self._continue_sock is not None

    def continue_sent(self) -> None:
        """Someone else (a request handler) sent ``100 Continue``."""
        self._continue_sock = None

    def _send_continue(self) -> None:
        sock, self._continue_sock = self._continue_sock, None
        sock.sendall(CONTINUE)

    def read(self, size: int | None = -1) -> bytes:
        if self._continue_sock is not None:
            self._send_continue()
        if size is None or size < 0 or size > self._remaining:
            size = self._remaining
        parts = []
        while size > 0:
            # In blocks: a buffered reader allocates what it is asked for,
            # and a client may announce any length.
            data: bytes = self._rfile.read(min(size, _BLOCK))
            if not data:
                raise ClientDisconnected(
                    f"The client closed the connection with"
                    f" {self._remaining} bytes of the request body still to"
                    " come."
                )
            self._remaining -= len(data)
            size -= len(data)
            parts.append(data)
        return b"".join(parts) if len(parts) != 1 else parts[0]

    def readline(self, size: int | None = -1) -> bytes:
        if self._continue_sock is not None:
            self._send_continue()
        limit = self._remaining
        if size is not None and 0 <= size < limit:
            limit = size
        if limit <= 0:
            return b""
        data: bytes = self._rfile.readline(limit)
        if not data:
            raise ClientDisconnected(
                "The client closed the connection in the request body."
            )
        self._remaining -= len(data)
        return data

    def client_sent_body(self) -> bool:
        """Whether body bytes arrived although ``100 Continue`` was not sent.

        Looks without waiting: a client that sends the body of a request
        with ``Expect: 100-continue`` without waiting for our word (or that
        pipelines) has its bytes in the buffer or the socket already.
        """
        if self._remaining <= 0:
            return True
        sock = self._continue_sock
        if sock is None:
            return True
        sock.settimeout(0)
        try:
            return bool(self._rfile.peek(1))
        except (BlockingIOError, ssl.SSLWantReadError):
            return False
        finally:
            sock.settimeout(None)

    def drain(self, limit: int) -> bool:
        """Read and drop what is left, up to ``limit`` bytes.

        Returns whether the connection can serve another request.
        """
        if self._continue_sock is not None:
            if not self.client_sent_body():
                # The client waits for our word before it sends the body,
                # and did not get it: the body may or may not follow.
                return False
            self._continue_sock = None
        if self._remaining > limit:
            return False
        try:
            while self._remaining > 0:
                self.read(_BLOCK)
        except ClientDisconnected:
            return False
        return True


class BufferedInput(io.BytesIO):
    """A body read in full already (a chunked body, de-chunked)."""

    owes_continue = False

    def drain(self, limit: int) -> bool:
        return True


class _EmptyInput:
    """The body of a request that has none; it has no state to share."""

    owes_continue = False

    def read(self, size: int | None = -1) -> bytes:
        return b""

    def readline(self, size: int | None = -1) -> bytes:
        return b""

    def readlines(self, hint: int = -1) -> list[bytes]:
        return []

    def __iter__(self) -> Iterator[bytes]:
        return iter(())

    def drain(self, limit: int) -> bool:
        return True


EMPTY_INPUT = _EmptyInput()


def dechunk(rfile: Any, continue_sock: Any) -> BufferedInput:
    """Read a chunked body from ``rfile`` whole (see :mod:`._parser`).

    Sends ``100 Continue`` first on ``continue_sock`` unless it is None.
    """
    if continue_sock is not None:
        continue_sock.sendall(CONTINUE)
    return BufferedInput(
        read_chunked(rfile.readline, rfile.read, MAX_DECHUNKED)
    )
