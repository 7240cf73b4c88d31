"""The cases FixupMiddleware mends, run against real servers and repoze.retry.

Each case is a request and an application behind ``repoze.retry``; the
result is the status the client got, or the exception a direct call raised.
The tests import these; run the module to print the table of
docs/zope2.rst for the repoze.retry installed in the running Python::

    python packages/zope2/tests/cases.py
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import socket
import sys
import threading
import wsgiref.simple_server
from io import BytesIO
from typing import Any

import repoze.retry
import webtest.http

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer.zope2 import FixupMiddleware

TIMEOUT = 5.0


def echo_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Answers with the number of body bytes it read."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"read %d" % len(body)]


def hop_by_hop_app(
    environ: dict[str, Any], start_response: Any
) -> list[bytes]:
    """Answers with hop-by-hop headers, as Zope's ZServer once did."""
    start_response(
        "200 OK",
        [
            ("Content-Type", "text/plain"),
            ("Connection", "close"),
            ("Keep-Alive", "timeout=5"),
        ],
    )
    return [b"read 0"]


# name: (application, raw HTTP request, environ of a direct call)
CASES: dict[str, tuple[Any, bytes, dict[str, str]]] = {
    "empty Content-Length": (
        echo_app,
        # wsgiref sets CONTENT_LENGTH to "" on every request without one.
        b"GET / HTTP/1.0\r\nHost: x\r\n\r\n",
        {"REQUEST_METHOD": "GET", "CONTENT_LENGTH": ""},
    ),
    "Content-Length sent twice": (
        echo_app,
        b"POST / HTTP/1.0\r\nHost: x\r\nContent-Length: 12\r\n"
        b"Content-Length: 12\r\n\r\nhello world!",
        {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "12, 12"},
    ),
    "Connection in the response": (
        hop_by_hop_app,
        b"GET / HTTP/1.0\r\nHost: x\r\n\r\n",
        {"REQUEST_METHOD": "GET"},
    ),
}


def stack(app: Any, fixup: bool) -> Any:
    """``app`` behind repoze.retry, and behind FixupMiddleware if asked."""
    app = repoze.retry.Retry(app, tries=3)
    return FixupMiddleware(app) if fixup else app


def call(app: Any, environ: dict[str, str]) -> str:
    """Call ``app`` in-process, as WebTest or a proxy-fed server does."""
    body = b"hello world!" if environ["REQUEST_METHOD"] == "POST" else b""
    full = {
        "PATH_INFO": "/",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.0",
        "wsgi.input": BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        **environ,
    }
    status = []
    try:
        for _ in app(full, lambda s, h, e=None: status.append(s)):
            pass
    except Exception as exc:
        return type(exc).__name__
    return status[0].split()[0]


def send(address: tuple[str, int], request: bytes) -> str:
    """Send a raw HTTP/1.0 request; return the status code of the answer."""
    with socket.create_connection(address, timeout=TIMEOUT) as sock:
        sock.sendall(request)
        # Read to the end: closing early resets the connection, and servers
        # then print a traceback of their own.
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data.split()[1].decode() if data else "closed"


class _QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def wsgiref_server(app: Any) -> Any:
    server = wsgiref.simple_server.make_server(
        "127.0.0.1", 0, app, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def core_server(app: Any) -> Any:
    layer = gocept.httpserverlayer.wsgi.Layer(name="Cases", wsgi_app=app)
    layer.setUp()
    try:
        layer.testSetUp()
        yield (layer["http_host"], layer["http_port"])
        layer.testTearDown()
    finally:
        layer.tearDown()


@contextlib.contextmanager
def waitress_server(app: Any) -> Any:
    # What plone.testing.zope's WSGI_SERVER runs Zope on.
    server = webtest.http.StopableWSGIServer.create(app, host="127.0.0.1")
    try:
        yield ("127.0.0.1", int(server.effective_port))
    finally:
        server.shutdown()
        server.runner.join(TIMEOUT)


SERVERS = {
    "wsgiref": wsgiref_server,
    "wsgi.Layer": core_server,
    "waitress": waitress_server,
}


def over_http(server: str, name: str, fixup: bool) -> str:
    app, request, _ = CASES[name]
    # wsgiref prints the AssertionError of a refused header to stderr.
    with contextlib.redirect_stderr(io.StringIO()):
        with SERVERS[server](stack(app, fixup)) as address:
            return send(address, request)


def directly(name: str, fixup: bool) -> str:
    app, _, environ = CASES[name]
    with contextlib.redirect_stderr(io.StringIO()):
        return call(stack(app, fixup), environ)


def table() -> str:
    version = importlib.metadata.version("repoze.retry")
    lines = [f"repoze.retry {version}, without / with FixupMiddleware"]
    for name in CASES:
        results = [
            f"direct call {directly(name, False)}/{directly(name, True)}"
        ]
        for server in SERVERS:
            without = over_http(server, name, False)
            with_ = over_http(server, name, True)
            results.append(f"{server} {without}/{with_}")
        lines.append(f"  {name}: " + ", ".join(results))
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
