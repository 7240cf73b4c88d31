"""The request body in the record: a bounded copy of what the server read.

:class:`RecordedInput` stands in for ``wsgi.input``. Whatever the
application reads passes through it, and the first bytes (up to the
record's bound) are copied into the request's record. When the record is
added, just before the response's head goes out, :meth:`complete` reads what
the application left unread, up to the bound, so that a test that has read
the response finds the whole body in the record, also when the application
never looked at it (a beacon, a form an app answers with a redirect). Those
bytes are kept for the application, which may still read them while it
sends its response.

A client that sent ``Expect: 100-continue`` and has not been told to go on
(the application did not read) has sent no body: nothing is read ahead
then. The WSGI engine calls :func:`record_body` where it builds
``wsgi.input``, the request handler route where it builds the handler's
``rfile``; nothing else in the engine knows about it.
"""

from __future__ import annotations

from typing import Any

from gocept.httpserverlayer._body import LineReader
from gocept.httpserverlayer._errors import BadRequest


class RecordedInput(LineReader):
    """``wsgi.input`` that copies the body into ``request`` as it passes.

    It reads through ``inner``, the engine's reader, which the engine
    still drains after the response.

    :param inner: the engine's body reader.
    :param request: the :class:`~gocept.httpserverlayer.Request` record.
    :param limit: how many bytes of the body the record keeps.
    :param expect_continue: the client waits for ``100 Continue``.
    """

    def __init__(
        self, inner: Any, request: Any, limit: int, expect_continue: bool
    ) -> None:
        self._inner = inner
        self._request = request
        self._limit = limit
        self._kept = bytearray()
        # Read by complete() ahead of the application, not yet handed out.
        self._ahead = bytearray()
        self._may_read_ahead = not expect_continue
        self._failed = False
        request._capture = self

    def _from_inner(self, method: str, size: int | None = -1) -> bytes:
        try:
            data: bytes = getattr(self._inner, method)(size)
        except BaseException:
            # A malformed or interrupted body: the engine answers it; the
            # body is not read again for the record.
            self._failed = True
            raise
        return self._keep(data)

    def _keep(self, data: bytes) -> bytes:
        room = self._limit - len(self._kept)
        if len(data) > room:
            self._request.body_truncated = True
        if room > 0:
            self._kept += data[:room]
        return data

    @property
    def kept(self) -> bytes:
        """The body as far as the record keeps it."""
        return bytes(self._kept)

    def _take(self, size: int) -> bytes:
        data = bytes(self._ahead[:size])
        del self._ahead[:size]
        return data

    def read(self, size: int | None = -1) -> bytes:
        # The application reading means that it said "go on", if asked.
        self._may_read_ahead = True
        if size is None or size < 0:
            return self._take(len(self._ahead)) + self._from_inner("read")
        if self._ahead:
            return self._take(size)
        return self._from_inner("read", size)

    def readline(self, size: int | None = -1) -> bytes:
        self._may_read_ahead = True
        limit = -1 if size is None else size
        if not self._ahead:
            return self._from_inner("readline", limit)
        end = len(self._ahead) if limit < 0 else min(limit, len(self._ahead))
        newline = self._ahead.find(b"\n", 0, end)
        if newline >= 0:
            return self._take(newline + 1)
        head = self._take(end)
        if limit >= 0 and len(head) == limit:
            return head
        rest = -1 if limit < 0 else limit - len(head)
        return head + self._from_inner("readline", rest)

    def drain(self, limit: int) -> bool:
        """Drop what is left (the engine calls this after the response)."""
        self._ahead.clear()
        result: bool = self._inner.drain(limit)
        return result

    def complete(self) -> None:
        """Read the unread rest of the body into the record, up to its bound.

        One byte more than the bound tells whether the body was cut. A
        malformed or interrupted body ends the reading; the engine finds
        the same fault again when it drains the connection.
        """
        if self._failed or not self._may_read_ahead:
            return
        self._may_read_ahead = False
        want = max(1, self._limit - len(self._kept) + 1)
        try:
            while want > 0:
                data = self._inner.read(want)
                if not data:
                    break
                self._keep(data)
                self._ahead += data
                want -= len(data)
        except (BadRequest, OSError):
            pass  # answered or closed by the engine's own handling


def record_body(
    body: Any, request: Any, limit: int, expect_continue: bool
) -> Any:
    """Return ``body`` as ``wsgi.input`` that fills ``request``'s body.

    With a ``limit`` of 0 the record keeps no byte of the body, only the
    flag that it was cut.
    """
    return RecordedInput(body, request, limit, expect_continue)
