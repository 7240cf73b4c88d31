"""What the server received during the current test: the ``http_requests``
resource, and the assertions tests make about it."""

from __future__ import annotations

import difflib
import json as json_module
import threading
import time
from collections import deque
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from typing import Any

from gocept.httpserverlayer._payload import Fields
from gocept.httpserverlayer._payload import Upload
from gocept.httpserverlayer._payload import parse_form
from gocept.httpserverlayer._payload import parse_query

#: A query matcher: the raw query string, or names and their value(s).
Query = str | Mapping[str, str | list[str]]


class Request:
    """One request the server answered.

    :ivar method: ``"GET"``, ``"POST"``, ...
    :ivar target: the request target as sent, path and query
        (``"/search?q=x"``).
    :ivar status: the status code of the response.
    :ivar duration: seconds from the end of the request's head to the start
        of the response, its head (None where the server cannot tell, as
        for ``custom.Layer``).
    :ivar body_truncated: True when the body was longer than the record
        keeps (:attr:`RequestLog.max_body`): :attr:`body` is its start.

    .. versionchanged:: 5.0
       The body, with ``json()``, ``form``, ``files`` and ``args``.
    """

    __slots__ = (
        "method",
        "target",
        "status",
        "duration",
        "body_truncated",
        "_headers",
        "_capture",
    )

    def __init__(
        self,
        method: str,
        target: str,
        status: int,
        duration: float | None,
        headers: Any,
    ) -> None:
        self.method = method
        self.target = target
        self.status = status
        self.duration = duration
        self.body_truncated = False
        # Kept as the server has them (raw byte pairs or a Message);
        # decoded only when a test asks.
        self._headers = headers
        # Set by the server when it records the body (._capture).
        self._capture: Any = None

    @property
    def path(self) -> str:
        """The target without its query."""
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        """The target's query, without the ``?``."""
        return self.target.partition("?")[2]

    @property
    def args(self) -> Fields:
        """The query's parameters: ``args["q"]``, ``args.getall("q")``."""
        return parse_query(self.query)

    @property
    def headers(self) -> list[tuple[str, str]]:
        """The request headers, in the order they came."""
        raw = self._headers
        if raw is None:
            return []
        if hasattr(raw, "items"):
            return [(str(k), str(v)) for k, v in raw.items()]
        return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]

    def header(self, name: str) -> str | None:
        """The value of the first header called ``name`` (any case)."""
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    @property
    def body(self) -> bytes:
        """The request body, up to :attr:`RequestLog.max_body` bytes (see
        :attr:`body_truncated`); ``b""`` for a request without one."""
        return b"" if self._capture is None else self._capture.kept

    def _whole_body(self, what: str) -> bytes:
        if self.body_truncated:
            raise ValueError(
                f"The body of {self.describe()} was cut at"
                f" {len(self.body)} bytes, so it cannot be read as {what}:"
                " raise the layer's http_requests.max_body before the"
                " request."
            )
        return self.body

    def json(self) -> Any:
        """The body parsed as JSON; a ValueError that names the request
        when it is not JSON or was cut."""
        body = self._whole_body("JSON")
        try:
            return json_module.loads(body)
        except ValueError as e:
            raise ValueError(
                f"The body of {self.describe()} is not JSON ({e}):"
                f" {body[:80]!r}."
            ) from None

    @property
    def form(self) -> Fields:
        """The fields of a form body (URL-encoded or multipart), without
        its files; empty for any other body."""
        return parse_form(
            self.header("content-type") or "", self._whole_body("a form")
        )[0]

    @property
    def files(self) -> dict[str, Upload]:
        """The files of a ``multipart/form-data`` body, by field name:
        ``(filename, content_type, content)``."""
        return parse_form(
            self.header("content-type") or "", self._whole_body("a form")
        )[1]

    def matches(
        self,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        *,
        query: Query | None = None,
        headers: Mapping[str, str] | None = None,
        where: Callable[[Request], bool] | None = None,
    ) -> bool:
        """Tell whether this request meets every criterion given (see
        :meth:`RequestLog.find`)."""
        if method is not None and self.method != method.upper():
            return False
        if path is not None and path not in (self.path, self.target):
            return False
        if status is not None and self.status != status:
            return False
        if query is not None and not self._query_matches(query):
            return False
        if headers is not None:
            sent = self.headers
            for name, value in headers.items():
                if (name.lower(), value) not in (
                    (k.lower(), v) for k, v in sent
                ):
                    return False
        return where is None or bool(where(self))

    def _query_matches(self, query: Query) -> bool:
        if isinstance(query, str):
            return self.query == query.removeprefix("?")
        args = self.args
        for name, expected in query.items():
            wanted = [expected] if isinstance(expected, str) else expected
            if args.getall(name) != list(wanted):
                return False
        return True

    def __repr__(self) -> str:
        took = ""
        if self.duration is not None:
            took = f" ({self.duration * 1000:.1f} ms)"
        return f"<{self.method} {self.target} -> {self.status}{took}>"

    def describe(self) -> str:
        return repr(self)[1:-1]


class ServerError:
    """An exception the server caught while it served a request.

    :ivar request: what was being served (``"GET /path from host:port"``).
    :ivar traceback: the formatted traceback.
    """

    __slots__ = ("request", "traceback")

    def __init__(self, request: str, traceback: str) -> None:
        self.request = request
        self.traceback = traceback

    def __repr__(self) -> str:
        last = self.traceback.strip().splitlines()[-1:]
        return f"<ServerError serving {self.request}: {''.join(last)}>"


def describe_errors(errors: list[ServerError], why: str = "") -> str:
    """Say which exceptions the server caught, with their tracebacks."""
    parts = [
        f"The HTTP server caught {len(errors)} exception(s) during this"
        f" test{why}:"
    ]
    for error in errors:
        parts.append(f"While serving {error.request}:\n{error.traceback}")
    return "\n".join(parts)


class RequestLog:
    """The requests a layer's server answered during the current test.

    It is emptied at every testSetUp and keeps the most recent
    ``MAX_REQUESTS`` (a server used without tests, as in a benchmark, does
    not grow without bound), each with up to :attr:`max_body` bytes of its
    body. Besides list access (``len``, iteration, indexing) it has the
    assertions tests make most, whose failure messages list what the server
    received and the near misses, and :meth:`wait` for requests that a
    page's JavaScript makes after the test's own call returned.

    The criteria of :meth:`find`, :meth:`assert_requested` and :meth:`wait`:
    ``method``; ``path``, which matches the target without its query, or,
    when it has a ``?``, the whole target; ``status``; ``query``, the raw
    query string or a mapping whose every name must have been sent with
    exactly that value (or that list of values, in order), other
    parameters allowed; ``headers``, a mapping whose every name (any case)
    must have been sent with that value; ``where``, a function that takes
    the :class:`Request` and returns whether it matches.

    .. versionchanged:: 5.0
       ``max_body``, ``wait`` and the ``query``, ``headers`` and ``where``
       criteria.
    """

    MAX_REQUESTS = 10_000
    #: How many bytes of each request's body the record keeps (64 KiB);
    #: set it on the ``http_requests`` resource before the requests, 0
    #: keeps none.
    max_body = 64 * 1024

    def __init__(self) -> None:
        self._requests: deque[Request] = deque(maxlen=self.MAX_REQUESTS)
        # Notified at every add() while wait() waits (_waiting of them).
        self._changed = threading.Condition()
        self._waiting = 0

    def add(self, request: Request) -> None:
        """Record ``request`` (the server calls this, just before the
        response's head goes out)."""
        if request._capture is not None:
            request._capture.complete()
        # Without the lock (a deque's append is atomic, and every worker
        # takes this path for every request): wait() counts itself in
        # _waiting before it looks, so a request added after its look
        # finds it counted, and notifies once the lock says it waits.
        self._requests.append(request)
        if self._waiting:
            with self._changed:
                self._changed.notify_all()

    def clear(self) -> None:
        """Forget every request (testSetUp calls this)."""
        with self._changed:
            self._requests.clear()

    def __len__(self) -> int:
        return len(self._requests)

    def __iter__(self) -> Iterator[Request]:
        with self._changed:
            return iter(list(self._requests))

    def __getitem__(self, index: int) -> Request:
        return self._requests[index]

    def __repr__(self) -> str:
        return f"<RequestLog of {len(self)} requests>"

    def find(
        self,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        *,
        query: Query | None = None,
        headers: Mapping[str, str] | None = None,
        where: Callable[[Request], bool] | None = None,
    ) -> list[Request]:
        """The requests that match every criterion given."""
        return [
            r
            for r in self
            if r.matches(
                method, path, status, query=query, headers=headers, where=where
            )
        ]

    def assert_requested(
        self,
        method: str,
        path: str,
        status: int | None = None,
        count: int | None = None,
        *,
        query: Query | None = None,
        headers: Mapping[str, str] | None = None,
        where: Callable[[Request], bool] | None = None,
    ) -> Request:
        """Assert that the server answered ``method path`` (with ``status``,
        ``count`` times and the other criteria, if given); return the first
        such request."""
        criteria: dict[str, Any] = dict(
            query=query, headers=headers, where=where
        )
        found = self.find(method, path, status, **criteria)
        if found and (count is None or len(found) == count):
            return found[0]
        expected = _expected(method, path, status, **criteria)
        if count is not None:
            expected += f", {count} times (found {len(found)})"
        raise AssertionError(
            self._report(f"Expected {expected}", method, path)
        )

    def assert_not_requested(self, method: str, path: str) -> None:
        """Assert that the server did not answer ``method path``."""
        found = self.find(method, path)
        if found:
            raise AssertionError(
                f"Expected no {method.upper()} {path}, but the server"
                f" answered: {', '.join(r.describe() for r in found)}."
            )

    def wait(
        self,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        *,
        query: Query | None = None,
        headers: Mapping[str, str] | None = None,
        where: Callable[[Request], bool] | None = None,
        count: int = 1,
        timeout: float = 10.0,
    ) -> Request:
        """Wait until the server has answered ``count`` requests that match;
        return the first of them.

        For requests that a page makes on its own (a ``fetch()``, a beacon)
        after the test's own call returned. A request counts once its
        response's head goes out. After ``timeout`` seconds it fails like
        :meth:`assert_requested`, listing what the server received.
        """
        criteria: dict[str, Any] = dict(
            query=query, headers=headers, where=where
        )
        deadline = time.monotonic() + timeout
        with self._changed:
            self._waiting += 1
            try:
                while True:
                    found = self.find(method, path, status, **criteria)
                    if len(found) >= count:
                        return found[0]
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._changed.wait(left)
            finally:
                self._waiting -= 1
        expected = _expected(method, path, status, **criteria)
        if count != 1:
            expected += f", {count} times (found {len(found)})"
        raise AssertionError(
            self._report(
                f"Waited {timeout} s for {expected}", method or "", path
            )
        )

    def _report(self, expected: str, method: str, path: str | None) -> str:
        lines = [f"{expected}; the server received:"]
        lines += [f"  {r.describe()}" for r in self] or ["  (no request)"]
        misses = self._near_misses(method.upper(), path) if path else []
        if misses:
            lines.append("Near misses:")
            lines += [f"  {r.describe()}" for r in misses]
        return "\n".join(lines)

    def _near_misses(self, method: str, path: str) -> list[Request]:
        similar = set(
            difflib.get_close_matches(path, [r.path for r in self], n=3)
        )
        return [
            r
            for r in self
            if (r.path == path and r.method != method)
            or (r.path in similar and r.path != path)
            or (r.path == path and r.method == method)  # other criteria
        ]


def _expected(
    method: str | None,
    path: str | None,
    status: int | None,
    *,
    query: Query | None,
    headers: Mapping[str, str] | None,
    where: Callable[[Request], bool] | None,
) -> str:
    """Say in words which request was expected."""
    words = [word for word in ((method or "").upper(), path or "") if word]
    text = " ".join(words) or "a request"
    if status is not None:
        text += f" -> {status}"
    if query is not None:
        text += f" with query {query!r}"
    if headers is not None:
        text += f" with headers {dict(headers)!r}"
    if where is not None:
        name = getattr(where, "__name__", repr(where))
        text += f" where {name}"
    return text
