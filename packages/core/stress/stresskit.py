"""Shared helpers of the stress suite: figures, raw clients, strict parsing.

Named ``stresskit`` (not ``support``) so that it never shadows the
``support`` module of ``packages/core/tests`` when both are on the path.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import socket
import sys
import threading
import time
from typing import Any

TIMEOUT = 5.0
STATUS_LINE = re.compile(rb"HTTP/1\.([01]) ([1-5][0-9][0-9]) ([^\r\n]*)\Z")
TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


# Figures ------------------------------------------------------------------


def percentiles(samples: list[float]) -> str:
    """p50/p90/p99/max of latencies in seconds, as milliseconds."""
    if not samples:
        return "no samples"
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return (
        f"p50 {at(0.50):.2f} ms, p90 {at(0.90):.2f} ms,"
        f" p99 {at(0.99):.2f} ms, max {ordered[-1] * 1000:.2f} ms"
    )


def figures(title: str, **items: Any) -> None:
    """Print a readable block of figures to stdout (past any capture).

    With ``GOCEPT_STRESS_FIGURES`` set (the tox envs set it to a file in
    benchmarks/results/), the block is also appended to that file.
    """
    width = max(len(k) for k in items) if items else 0
    lines = ["", f"  == {title} =="]
    for key, value in items.items():
        lines.append(f"  {key.replace('_', ' '):<{width}} : {value}")
    text = "\n".join(lines) + "\n"
    sys.__stdout__.write(text)
    sys.__stdout__.flush()
    path = os.environ.get("GOCEPT_STRESS_FIGURES")
    if path:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "a") as f:
            f.write(text)


def rss() -> int:
    """Resident set size of this process in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0  # pragma: no cover


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def workers() -> list[threading.Thread]:
    """Live threads named like the servers' worker threads."""
    return [
        t
        for t in threading.enumerate()
        if re.search(r" worker \d+\Z", t.name) and t.is_alive()
    ]


def snapshot() -> dict[str, int]:
    return {
        "threads": threading.active_count(),
        "workers": len(workers()),
        "fds": fds(),
        "rss": rss(),
    }


def mib(n: float) -> str:
    return f"{n / 1024 / 1024:+.2f} MiB"


# Output capture -----------------------------------------------------------


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def captured() -> Any:
    """Capture sys.stderr and the 'gocept.httpserverlayer' log.

    Yields ``(stderr, records)``: a StringIO and a list of log records.
    """
    log = logging.getLogger("gocept.httpserverlayer")
    handler = Records()
    stream = io.StringIO()
    old_level, old_stderr = log.level, sys.stderr
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    sys.stderr = stream
    try:
        yield stream, handler.records
    finally:
        sys.stderr = old_stderr
        log.removeHandler(handler)
        log.setLevel(old_level)


# Raw clients --------------------------------------------------------------


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


def get(port: int, path: str = "/", host: str = "127.0.0.1") -> Response:
    """One GET on a new connection (Connection: close); the response."""
    data = (
        f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    ).encode("latin-1")
    responses = parse(exchange(port, data))
    assert len(responses) == 1, responses
    return responses[0]


class Response:
    def __init__(self, version: bytes, status: int) -> None:
        self.version = version
        self.status = status
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""

    def header(self, name: bytes) -> bytes | None:
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return b", ".join(values) if values else None

    def __repr__(self) -> str:
        return f"<Response {self.status} {len(self.body)} bytes>"


def parse(data: bytes, custom: bool = False) -> list[Response]:
    """Parse ``data`` strictly as a sequence of complete HTTP responses.

    Raises AssertionError naming what is wrong. A response without
    Content-Length or chunked framing must say ``Connection: close`` and
    then takes the rest of the data as its body. With ``custom``
    (http.server behind custom.Layer), HTTP/1.0 status lines are allowed.
    """
    responses = []
    rest = data
    while rest:
        head, sep, rest = rest.partition(b"\r\n\r\n")
        assert sep, f"Incomplete response head: {head[:200]!r}"
        lines = head.split(b"\r\n")
        match = STATUS_LINE.match(lines[0])
        assert match, f"Bad status line: {lines[0][:200]!r}"
        assert custom or match.group(1) == b"1", lines[0]
        response = Response(lines[0][:8], int(match.group(2)))
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            assert colon and TOKEN.match(name), f"Bad header {line!r}"
            value = value.strip(b" \t")
            assert not BAD_VALUE.search(value), f"Bad value {line!r}"
            response.headers.append((name, value))
        rest = _body(response, rest)
        responses.append(response)
        if response.status >= 200 and _closes(response):
            assert not rest, f"Data after Connection: close: {rest[:200]!r}"
    return responses


def _closes(response: Response) -> bool:
    connection = (response.header(b"Connection") or b"").lower()
    return b"close" in connection


def _body(response: Response, rest: bytes) -> bytes:
    if response.status < 200 or response.status in (204, 304):
        return rest
    length = response.header(b"Content-Length")
    te = response.header(b"Transfer-Encoding")
    assert not (length and te), "Both Content-Length and Transfer-Encoding"
    if te is not None:
        assert te.lower() == b"chunked", te
        return _chunked(response, rest)
    if length is not None:
        assert length.isdigit(), f"Bad Content-Length {length!r}"
        n = int(length)
        assert len(rest) >= n, f"Body cut short: {len(rest)} of {n}"
        response.body = rest[:n]
        return rest[n:]
    assert _closes(response), "No framing and no Connection: close"
    response.body = rest
    return b""


def _chunked(response: Response, rest: bytes) -> bytes:
    parts = []
    while True:
        line, sep, rest = rest.partition(b"\r\n")
        assert sep and re.fullmatch(rb"[0-9a-f]+", line), f"Chunk {line!r}"
        size = int(line, 16)
        if size == 0:
            assert rest.startswith(b"\r\n"), "No end of chunked body"
            response.body = b"".join(parts)
            return rest[2:]
        assert rest[size : size + 2] == b"\r\n", "Chunk cut short"
        parts.append(rest[:size])
        rest = rest[size + 2 :]


def wait_idle(server: Any, timeout: float = TIMEOUT) -> None:
    """Wait until ``server`` is done with every connection it accepted."""
    deadline = time.monotonic() + timeout
    while server._connections and time.monotonic() < deadline:
        time.sleep(0.002)
    assert not server._connections, server._connections


def all_workers_alive(server: Any) -> bool:
    with server._lock:
        return all(w.thread.is_alive() for w in server._workers)


# Load from other processes -------------------------------------------------

LOADCLIENT = os.path.join(os.path.dirname(__file__), "loadclient.py")


def load(
    port: int,
    conns: int,
    seconds: float,
    path: str,
    expected: bytes,
    processes: int = 2,
    requests: int = 0,
) -> dict[str, Any]:
    """Run ``processes`` load clients sharing ``conns`` connections.

    Returns their summed counts, all latencies, and the latencies of the
    first request of each connection (``first_latencies``: they include
    the server's accepting the connection).
    """
    import json
    import subprocess

    each = [conns // processes + (i < conns % processes) for i in
            range(processes)]  # fmt: skip
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                LOADCLIENT,
                str(port),
                str(n),
                str(seconds),
                str(requests),
                path,
                expected.decode(),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for n in each
    ]
    total: dict[str, Any] = {"latencies": [], "first_latencies": []}
    for proc in procs:
        out, _ = proc.communicate(timeout=seconds + 60)
        assert proc.returncode == 0, proc.returncode
        result = json.loads(out)
        total["latencies"] += result.pop("latencies")
        total["first_latencies"] += result.pop("first_latencies")
        for key, value in result.items():
            total[key] = total.get(key, 0) + value
    return total
