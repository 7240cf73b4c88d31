"""The example of docs/pytest.rst: the fixtures of the pytest plugin."""

import urllib.request

import pytest


def hello_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"Hello {environ['PATH_INFO']}".encode()]


# http_server serves the application of the http_app fixture: override it
# (here, or in a conftest.py for many modules).
@pytest.fixture
def http_app():
    return hello_app


def test_hello(http_server):
    with urllib.request.urlopen(f"{http_server.url}/world") as response:
        assert response.read() == b"Hello /world"
    # What the server received during this test, and only this test:
    http_server.requests.assert_requested("GET", "/world", status=200)


# static_server serves a temporary directory, emptied before every test.
def test_static(static_server):
    (static_server.documentroot / "app.js").write_text("let x = 1;")
    with urllib.request.urlopen(f"{static_server.url}/app.js") as response:
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
    with urllib.request.urlopen(f"{api_server.url}/api") as response:
        assert response.read() == b"Hello /api"
    assert len(api_server.requests) == 1
