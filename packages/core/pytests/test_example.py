"""The example of docs/pytest.rst: the fixtures of the pytest plugin."""

import json
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


# Servers of your own: start them once per session with the factory; the
# plugin resets every server it started around every test.
@pytest.fixture(scope="session")
def api_server(http_server_factory):
    return http_server_factory(wsgi=hello_app, name="API", https=True)


def test_api(api_server):
    context = ssl.create_default_context(cafile=api_server.ca_bundle)
    request = urllib.request.Request(
        f"{api_server.url}/api?v=2",
        data=json.dumps({"name": "x"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, context=context) as response:
        assert response.read() == b"Hello /api"
    found = api_server.requests.assert_requested("POST", "/api", 200)
    assert (found.json(), found.args["v"]) == ({"name": "x"}, "2")
