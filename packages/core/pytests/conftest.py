"""Shared by the pytest tests of the core (packages/core/pytests).

The plugin under test, gocept.httpserverlayer.pytest_plugin, comes through
its ``pytest11`` entry point, and zope.pytestlayer through its own: both are
active wherever the distributions are installed. ``pytester`` runs pytest
sessions of their own, for what only a whole session shows.
"""

import http.client

import pytest

pytest_plugins = ["pytester"]


def hello(environ, start_response):
    """A WSGI application answering ``hello <path>``."""
    body = f"hello {environ['PATH_INFO']}".encode()
    start_response(
        "200 OK",
        [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
    )
    return [body]


@pytest.fixture
def get():
    """``get(server, path)``: (status, body) over a fresh connection."""

    def get(server, path="/", method="GET"):
        connection = http.client.HTTPConnection(
            server.host, server.port, timeout=10
        )
        try:
            connection.request(method, path)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    return get


@pytest.fixture(scope="session")
def http_live_app():
    """The application of http_live_server, for the whole session."""
    return hello
