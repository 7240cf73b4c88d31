"""Request bodies as ``wsgi.input``: by Content-Length, or chunked.

A body reader never reads past the end of its request, so the next request
on a keep-alive connection starts where it should. A malformed chunked body
raises :class:`BadRequest`; the server answers it with 400 when the
application lets it through before sending its response.
"""

from __future__ import annotations

from typing import Any

MAX_CHUNK_LINE = 4096
MAX_TRAILERS = 64 * 1024
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class BadRequest(ValueError):
    """The request body is malformed."""


class ClientDisconnected(ConnectionResetError):
    """The client closed the connection before it sent the whole body."""


class _Input:
    """What the readers share: readline(), readlines() and iteration."""

    def __init__(self, rfile: Any, continue_sock: Any) -> None:
        self._rfile = rfile
        # Set while a "100 Continue" is owed to a client that sent
        # "Expect: 100-continue"; it is sent before the first read.
        self._continue_sock = continue_sock

    def _send_continue(self) -> None:
        sock, self._continue_sock = self._continue_sock, None
        sock.sendall(_CONTINUE)

    def _read(self, size: int) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    def read(self, size: int | None = -1) -> bytes:
        if self._continue_sock is not None:
            self._send_continue()
        if size is None or size < 0:
            parts = []
            while block := self._read(65536):
                parts.append(block)
            return b"".join(parts)
        return self._read(size)

    def readline(self, size: int | None = -1) -> bytes:
        if self._continue_sock is not None:
            self._send_continue()
        limit = -1 if size is None else size
        line = bytearray()
        while limit < 0 or len(line) < limit:
            want = 1024 if limit < 0 else min(1024, limit - len(line))
            block = self._peek_line(want)
            if not block:
                break
            line += block
            if block.endswith(b"\n"):
                break
        return bytes(line)

    def _peek_line(self, size: int) -> bytes:  # pragma: no cover - abstract
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

    def __iter__(self) -> Any:
        while line := self.readline():
            yield line

    def drain(self, limit: int) -> bool:
        """Read and drop what is left, up to ``limit`` bytes.

        Returns whether the connection can serve another request.
        """
        if self._continue_sock is not None:
            # The client waits for our word before it sends the body; it
            # did not get it, so the body may or may not follow.
            return False
        try:
            while limit > 0:
                block = self._read(min(limit, 65536))
                if not block:
                    return True
                limit -= len(block)
        except (BadRequest, ClientDisconnected):
            return False
        return False


class LengthInput(_Input):
    """A body of Content-Length bytes."""

    def __init__(self, rfile: Any, length: int, continue_sock: Any) -> None:
        super().__init__(rfile, continue_sock)
        self._remaining = length

    def _read(self, size: int) -> bytes:
        size = min(size, self._remaining)
        if size <= 0:
            return b""
        data: bytes = self._rfile.read(size)
        if not data:
            raise ClientDisconnected(
                f"The client closed the connection with {self._remaining}"
                " bytes of the request body still to come."
            )
        self._remaining -= len(data)
        return data

    def _peek_line(self, size: int) -> bytes:
        size = min(size, self._remaining)
        if size <= 0:
            return b""
        data: bytes = self._rfile.readline(size)
        if not data:
            raise ClientDisconnected(
                "The client closed the connection in the request body."
            )
        self._remaining -= len(data)
        return data


class ChunkedInput(_Input):
    """A body sent with ``Transfer-Encoding: chunked`` (RFC 9112 7.1)."""

    def __init__(self, rfile: Any, continue_sock: Any) -> None:
        super().__init__(rfile, continue_sock)
        self._left = 0  # bytes left in the current chunk
        self._done = False

    def _next_chunk(self) -> None:
        line = self._rfile.readline(MAX_CHUNK_LINE + 1)
        if not line:
            raise ClientDisconnected("The client closed a chunked body.")
        if not line.endswith(b"\n"):
            raise BadRequest("A chunk size line is too long.")
        size = line.split(b";", 1)[0].strip()
        if not size or size.strip(b"0123456789abcdefABCDEF") or len(size) > 16:
            raise BadRequest(f"Bad chunk size {size[:20]!r}.")
        self._left = int(size, 16)
        if self._left == 0:
            self._done = True
            self._read_trailers()

    def _read_trailers(self) -> None:
        total = 0
        while True:
            line = self._rfile.readline(MAX_TRAILERS + 1)
            total += len(line)
            if not line:
                raise ClientDisconnected("The client closed a chunked body.")
            if total > MAX_TRAILERS:
                raise BadRequest("The chunked body's trailers are too large.")
            if line in (b"\r\n", b"\n"):
                return

    def _end_of_chunk(self) -> None:
        crlf = self._rfile.readline(3)
        if crlf not in (b"\r\n", b"\n"):
            if not crlf:
                raise ClientDisconnected("The client closed a chunked body.")
            raise BadRequest("A chunk is longer than its size says.")

    def _take(self, size: int, line: bool) -> bytes:
        if self._done:
            return b""
        if self._left == 0:
            self._next_chunk()
            if self._done:
                return b""
        size = min(size, self._left)
        read = self._rfile.readline if line else self._rfile.read
        data: bytes = read(size)
        if not data:
            raise ClientDisconnected("The client closed a chunked body.")
        self._left -= len(data)
        if self._left == 0:
            self._end_of_chunk()
        return data

    def _read(self, size: int) -> bytes:
        return self._take(size, False)

    def _peek_line(self, size: int) -> bytes:
        return self._take(size, True)


class _EmptyInput:
    """The body of a request that has none; it has no state to share."""

    def read(self, size: int | None = -1) -> bytes:
        return b""

    def readline(self, size: int | None = -1) -> bytes:
        return b""

    def readlines(self, hint: int = -1) -> list[bytes]:
        return []

    def __iter__(self) -> Any:
        return iter(())

    def drain(self, limit: int) -> bool:
        return True


EMPTY_INPUT = _EmptyInput()
