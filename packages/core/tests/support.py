"""Helpers for the tests of the HTTP/1.1 WSGI engine, over real sockets.

:data:`SERVER` is one ``wsgi.Layer`` shared by the engine's test modules. Its
application hands every request to the app a test installed with
:meth:`ServerTest.serve` (or to :func:`hello` by default), so one server
serves every test and each test states its own app in a line.

:class:`Raw` speaks HTTP over a plain socket and parses responses itself, so
that tests can send malformed input, pipeline requests, and see exactly
what the server sent (including an incomplete body or a closed connection).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from typing import Any

import gocept.httpserverlayer.wsgi

TIMEOUT = 5.0


def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """A small app: answers every request with ``hello`` and the path."""
    body = b"hello " + environ["PATH_INFO"].encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]


class _Dispatch:
    """The layer's app: calls the app of the test that runs."""

    app: Any = staticmethod(hello)
    calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        type(self).calls += 1
        return self.app(environ, start_response)


DISPATCH = _Dispatch()
SERVER = gocept.httpserverlayer.wsgi.Layer(
    name="EngineServer", module=__name__, wsgi_app=DISPATCH
)


def file_app(path: str) -> Any:
    """An app sending the file at ``path`` through wsgi.file_wrapper."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "application/data")])
        return environ["wsgi.file_wrapper"](open(path, "rb"))

    return app


def temporary_file(test: unittest.TestCase, data: bytes) -> str:
    """A file holding ``data``, removed after ``test``; its path."""
    fd, path = tempfile.mkstemp()
    test.addCleanup(os.remove, path)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


class Response:
    """A response as :class:`Raw` read it."""

    def __init__(self, version: str, status: int, reason: str) -> None:
        self.version = version
        self.status = status
        self.reason = reason
        self.headers: list[tuple[str, str]] = []
        self.body = b""
        self.head = b""  # the raw status line and headers
        self.complete = True  # False: the connection ended mid-body

    def header(self, name: str) -> str | None:
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return ", ".join(values) if values else None


class Raw:
    """One client connection over a plain socket."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.rfile = self.sock.makefile("rb")

    def send(self, data: bytes) -> Raw:
        self.sock.sendall(data)
        return self

    def request(
        self, method: str = "GET", path: str = "/", *headers: str, **kw: Any
    ) -> Raw:
        """Send a well-formed HTTP/1.1 request (Host added)."""
        version = kw.get("version", "HTTP/1.1")
        body = kw.get("body", b"")
        lines = [f"{method} {path} {version}", "Host: localhost", *headers]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        return self.send(data)

    def response(self, method: str = "GET") -> Response:
        """Read one response; bodyless for HEAD and 1xx/204/304."""
        line = self.rfile.readline()
        if not line:
            raise ConnectionError("The server closed the connection.")
        version, status, reason = line.decode("latin-1").split(" ", 2)
        response = Response(version, int(status), reason.rstrip("\r\n"))
        head = [line]
        while (line := self.rfile.readline()) not in (b"\r\n", b""):
            head.append(line)
            name, _, value = line.decode("latin-1").partition(":")
            response.headers.append((name, value.strip()))
        response.head = b"".join(head)
        if method != "HEAD" and response.status not in (100, 204, 304):
            self._read_body(response)
        return response

    def _read_body(self, response: Response) -> None:
        length = response.header("Content-Length")
        if response.header("Transfer-Encoding") == "chunked":
            response.body, response.complete = self._read_chunked()
        elif length is not None:
            response.body = self.rfile.read(int(length))
            response.complete = len(response.body) == int(length)
        else:
            response.body = self.rfile.read()

    def _read_chunked(self) -> tuple[bytes, bool]:
        parts = []
        while True:
            line = self.rfile.readline()
            if not line.endswith(b"\n"):
                return b"".join(parts), False
            size = int(line.split(b";")[0], 16)
            if size == 0:
                trailer = self.rfile.readline()
                return b"".join(parts), trailer == b"\r\n"
            chunk = self.rfile.read(size)
            parts.append(chunk)
            if len(chunk) < size or self.rfile.read(2) != b"\r\n":
                return b"".join(parts), False

    def closed(self) -> bool:
        """Tell whether the server closed the connection (EOF waits)."""
        try:
            return self.rfile.read(1) == b""
        except (ConnectionError, TimeoutError):
            return True

    def close(self) -> None:
        self.rfile.close()
        self.sock.close()


@contextlib.contextmanager
def captured_stderr() -> Any:
    """Replace sys.stderr by a StringIO for the block; yield it."""
    stream = io.StringIO()
    old, sys.stderr = sys.stderr, stream
    try:
        yield stream
    finally:
        sys.stderr = old


def run_zope_testrunner(directory: str, *options: str) -> str:
    """Run zope.testrunner over the test modules in ``directory``.

    Returns what it printed (stdout and stderr).
    """
    result = subprocess.run(
        [sys.executable, "-m", "zope.testrunner", "--path", directory,
         "--tests-pattern", "^test_", *options],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return result.stdout + result.stderr


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def captured_log() -> Any:
    """Collect the records of the 'gocept.httpserverlayer' logger."""
    log = logging.getLogger("gocept.httpserverlayer")
    handler = _Records()
    old_level = log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)


class ServerTest(unittest.TestCase):
    """A test against :data:`SERVER`; ``self.serve(app)`` installs an app."""

    layer = SERVER

    def setUp(self) -> None:
        DISPATCH.app = hello
        self.port = self.layer["http_port"]
        self._raws: list[Raw] = []
        # Runs last, after the clients were closed: no thread leaks out.
        self.addCleanup(self.wait_idle)

    def tearDown(self) -> None:
        for raw in self._raws:
            raw.close()
        DISPATCH.app = hello

    def serve(self, app: Any) -> None:
        DISPATCH.app = app

    def raw(self) -> Raw:
        raw = Raw(self.port)
        self._raws.append(raw)
        return raw

    def client(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, TIMEOUT)
        self.addCleanup(conn.close)
        return conn

    def get(self, path: str = "/", method: str = "GET") -> Response:
        """One request on a new connection; its response."""
        return self.raw().request(method, path).response(method)

    def assertServing(self) -> None:
        """A normal request on a new connection is answered."""
        self.serve(hello)
        response = self.get("/next")
        self.assertEqual(
            (200, b"hello /next"), (response.status, response.body)
        )

    def wait_idle(self) -> None:
        """Wait until the server has finished with every connection."""
        wait_idle(self.layer["httpd"])
        self.assertFalse(self.layer["httpd"]._connections)


def wait_idle(server: Any) -> None:
    """Wait until ``server`` has finished with every connection it took.

    A connection counts from its accept to the end of its handler (its
    report written, its iterable closed). Uses the server's private set of
    connections: what its threads are called is no concern of these tests.
    """
    deadline = time.monotonic() + TIMEOUT
    while server._connections and time.monotonic() < deadline:
        time.sleep(0.002)
