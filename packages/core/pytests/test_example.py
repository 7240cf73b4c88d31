"""The example of docs/pytest.rst: the fixtures of the pytest plugin."""

import ssl
import urllib.request

import pytest


def get(server, path):
    """Open ``path`` on ``server``; over HTTPS trusting its certificate
    authority (with GOCEPT_HTTP_HTTPS=1 every server serves HTTPS)."""
    trust = ssl.create_default_context(cafile=server.layer.get("ca_bundle"))
    return urllib.request.urlopen(server.url + path, context=trust)


def hello_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"Hello {environ['PATH_INFO']}".encode()]


# http_server serves the application of the http_app fixture: override it
# (here, or in a conftest.py for many modules).
@pytest.fixture
def http_app():
    return hello_app


def test_hello(http_server):
    with get(http_server, "/world") as response:
        assert response.read() == b"Hello /world"
    # What the server received during this test, and only this test:
    http_server.requests.assert_requested("GET", "/world", status=200)


# static_server serves a temporary directory, emptied before every test.
def test_static(static_server):
    (static_server.documentroot / "app.js").write_text("let x = 1;")
    with get(static_server, "/app.js") as response:
        assert response.headers["Content-Type"].startswith("text/javascript")
        assert response.read() == b"let x = 1;"


# Servers of your own: start them once per session with the factory,
# reset them for each test with for_test().
@pytest.fixture(scope="session")
def _api_server(http_server_factory):
    return http_server_factory(wsgi=hello_app, name="API")


@pytest.fixture
def api_server(_api_server):
    with _api_server.for_test() as server:
        yield server


def test_api(api_server):
    with get(api_server, "/api") as response:
        assert response.read() == b"Hello /api"
    assert len(api_server.requests) == 1
