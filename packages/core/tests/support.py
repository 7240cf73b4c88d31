"""Helpers for the tests of the HTTP/1.1 WSGI engine, over real sockets.

:data:`SERVER` is one ``wsgi.Layer`` shared by the engine's test modules. Its
application hands every request to the app a test installed with
:meth:`ServerTest.serve` (or to :func:`hello` by default), so one server
serves every test and each test states its own app in a line.

:class:`ServerTest` gives each test raw clients (``self.raw()``,
:class:`~gocept.httpserverlayer._testing.client.Raw`): they send any bytes,
pipeline requests, and read each response with h11 in the client role, so
that a test sees exactly what the server sent (an incomplete body or a
closed connection included) without trusting the server's own parser.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import tempfile
import unittest
from typing import Any

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer._testing.capture import captured_log
from gocept.httpserverlayer._testing.capture import captured_stderr
from gocept.httpserverlayer._testing.client import TIMEOUT
from gocept.httpserverlayer._testing.client import Raw
from gocept.httpserverlayer._testing.client import Response
from gocept.httpserverlayer._testing.stresskit import wait_idle

# The engine's tests import these from here too.
__all__ = [
    "DISPATCH",
    "SERVER",
    "Raw",
    "ServerTest",
    "captured_log",
    "captured_stderr",
    "file_app",
    "hello",
    "run_zope_testrunner",
    "temporary_file",
    "wait_idle",
]


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
