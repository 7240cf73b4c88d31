"""The fixtures of gocept.httpserverlayer.pytest_plugin."""

import http.client
import http.server
import os
import socket
import urllib.request

import pytest
from conftest import hello

from gocept.httpserverlayer import RequestLog
from gocept.httpserverlayer import custom
from gocept.httpserverlayer import pytest_plugin


@pytest.fixture
def http_app():
    return hello


def test_http_server_serves_http_app(http_server, get):
    assert get(http_server, "/a") == (200, b"hello /a")
    assert http_server.address == f"{http_server.host}:{http_server.port}"
    assert http_server.url == f"http://{http_server.address}"
    with urllib.request.urlopen(http_server.url + "/b?q=1") as response:
        assert response.read() == b"hello /b"


def test_http_server_records_only_the_current_test(http_server, get):
    # Whatever ran before, this test starts with an empty record.
    assert isinstance(http_server.requests, RequestLog)
    assert len(http_server.requests) == 0
    get(http_server, "/one")
    get(http_server, "/two", method="POST")
    http_server.requests.assert_requested("GET", "/one", status=200)
    http_server.requests.assert_requested("POST", "/two")
    assert [r.path for r in http_server.requests] == ["/one", "/two"]


def test_http_server_is_the_layers_server(http_server):
    layer = http_server.layer
    assert layer["http_port"] == http_server.port
    assert layer["http_requests"] is http_server.requests
    assert layer.wsgi_app is hello


def test_static_server_root_is_empty_at_every_test(static_server, get):
    root = static_server.documentroot
    assert root.is_dir()
    assert list(root.iterdir()) == []
    (root / "sub").mkdir()
    (root / "sub" / "a.txt").write_bytes(b"A")
    (root / "b.txt").write_bytes(b"B")
    assert get(static_server, "/sub/a.txt") == (200, b"A")
    assert get(static_server, "/missing")[0] == 404
    static_server.requests.assert_requested("GET", "/sub/a.txt", 200)


def test_static_server_root_again_empty(static_server):
    # Run after (or, under -n, beside) the test above: nothing is left.
    assert list(static_server.documentroot.iterdir()) == []


def test_factory_serves_a_directory_it_never_empties(
    http_server_factory, tmp_path, get
):
    (tmp_path / "keep.txt").write_bytes(b"kept")
    server = http_server_factory(directory=tmp_path)
    assert server.documentroot == tmp_path
    with server.for_test():
        assert get(server, "/keep.txt") == (200, b"kept")
    with server.for_test():
        assert (tmp_path / "keep.txt").read_bytes() == b"kept"
        assert len(server.requests) == 0
    server.stop()
    assert (tmp_path / "keep.txt").exists()


def test_factory_serves_a_handler_class(http_server_factory, get):
    class Handler(custom.RequestHandler):
        def do_GET(self):
            body = b"handled " + self.path.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http_server_factory(handler=Handler, name="HANDLER")
    with server.for_test():
        assert get(server, "/h") == (200, b"handled /h")
        server.requests.assert_requested("GET", "/h", 200)
    assert server.layer["request_handler"] is Handler
    with pytest.raises(AttributeError, match="does not serve a directory"):
        server.documentroot  # noqa: B018


async def asgi_hello(scope, receive, send):
    if scope["type"] != "http":
        return  # no lifespan
    body = f"asgi {scope['path']}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def test_factory_serves_an_asgi_app(http_server_factory, get):
    server = http_server_factory(asgi=asgi_hello, name="ASGI")
    with server.for_test():
        assert get(server, "/a") == (200, b"asgi /a")
        server.requests.assert_requested("GET", "/a", 200)
    server.stop()
    assert "httpd" not in server.layer


def test_factory_temporary_directory(http_server_factory, get):
    server = http_server_factory(directory=pytest_plugin.TEMPORARY)
    root = server.documentroot
    with server.for_test():
        (root / "x.txt").write_bytes(b"x")
        assert get(server, "/x.txt") == (200, b"x")
    with server.for_test():
        assert list(root.iterdir()) == []
    server.stop()
    assert not root.exists()


@pytest.mark.parametrize(
    "kw",
    [{}, {"wsgi": hello, "handler": http.server.BaseHTTPRequestHandler}],
)
def test_factory_wants_exactly_one_thing_to_serve(http_server_factory, kw):
    with pytest.raises(TypeError, match="exactly one of wsgi=app"):
        http_server_factory(**kw)


def test_stop_releases_the_port(http_server_factory, get):
    server = http_server_factory(wsgi=hello)
    port = server.port
    with server.for_test():
        assert get(server, "/")[0] == 200
    server.stop()
    server.stop()  # twice is harmless
    assert "stopped" in repr(server)
    with (
        pytest.raises(OSError),
        socket.create_connection(("localhost", port), timeout=2),
    ):
        pass


def test_for_test_closes_idle_keep_alive_connections(http_server_factory):
    server = http_server_factory(wsgi=hello)
    with server.for_test():
        connection = http.client.HTTPConnection(
            server.host, server.port, timeout=5
        )
        connection.request("GET", "/keep")
        assert connection.getresponse().read() == b"hello /keep"
    # testTearDown closed the idle connection from the server's side.
    assert connection.sock.recv(1) == b""
    connection.close()
    server.stop()


def test_each_server_has_its_own_port(http_server_factory, http_server):
    other = http_server_factory(wsgi=hello)
    assert other.port != http_server.port
    assert other.layer is not http_server.layer


def test_no_worker_shares_files_or_ports(static_server, http_server):
    # Under pytest -n, each worker runs its own session servers.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (static_server.documentroot / f"{worker}.txt").write_text(worker)
    assert [p.name for p in static_server.documentroot.iterdir()] == [
        f"{worker}.txt"
    ]
