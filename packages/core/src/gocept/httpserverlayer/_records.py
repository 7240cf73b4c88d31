"""What the server received during the current test: the ``http_requests``
resource, and the assertions tests make about it."""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Iterator
from typing import Any


class Request:
    """One request the server answered.

    :ivar method: ``"GET"``, ``"POST"``, ...
    :ivar target: the request target as sent, path and query
        (``"/search?q=x"``).
    :ivar status: the status code of the response.
    :ivar duration: seconds from the end of the request's head to the start
        of the response, its head (None where the server cannot tell, as
        for ``custom.Layer``).
    """

    __slots__ = ("method", "target", "status", "duration", "_headers")

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
        # Kept as the server has them (raw byte pairs or a Message);
        # decoded only when a test asks.
        self._headers = headers

    @property
    def path(self) -> str:
        """The target without its query."""
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        """The target's query, without the ``?``."""
        return self.target.partition("?")[2]

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


class RequestLog:
    """The requests a layer's server answered during the current test.

    It is emptied at every testSetUp and keeps the most recent
    ``MAX_REQUESTS`` (a server used without tests, as in a benchmark, does
    not grow without bound). Besides list access (``len``, iteration,
    indexing) it has the assertions tests make most, whose failure
    messages list what the server received and the near misses.
    """

    MAX_REQUESTS = 10_000

    def __init__(self) -> None:
        self._requests: deque[Request] = deque(maxlen=self.MAX_REQUESTS)

    def add(self, request: Request) -> None:
        """Record ``request`` (the server calls this)."""
        self._requests.append(request)

    def clear(self) -> None:
        """Forget every request (testSetUp calls this)."""
        self._requests.clear()

    def __len__(self) -> int:
        return len(self._requests)

    def __iter__(self) -> Iterator[Request]:
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
    ) -> list[Request]:
        """The requests that match every criterion given.

        ``path`` matches the target without its query, or, when it has a
        ``?``, the whole target.
        """
        return [
            r
            for r in self
            if (method is None or r.method == method.upper())
            and (path is None or path in (r.path, r.target))
            and (status is None or r.status == status)
        ]

    def assert_requested(
        self,
        method: str,
        path: str,
        status: int | None = None,
        count: int | None = None,
    ) -> Request:
        """Assert that the server answered ``method path`` (with ``status``,
        ``count`` times if given); return the first such request."""
        found = self.find(method, path, status)
        if found and (count is None or len(found) == count):
            return found[0]
        expected = f"{method.upper()} {path}"
        if status is not None:
            expected += f" -> {status}"
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

    def _report(self, expected: str, method: str, path: str) -> str:
        lines = [f"{expected}; the server received:"]
        lines += [f"  {r.describe()}" for r in self] or ["  (no request)"]
        misses = self._near_misses(method.upper(), path)
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
            or (r.path == path and r.method == method)  # other status
        ]
