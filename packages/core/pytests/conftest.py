"""Shared by the pytest tests of the core (packages/core/pytests).

The plugin under test, gocept.httpserverlayer.pytest_plugin, comes through
its ``pytest11`` entry point, and zope.pytestlayer through its own: both are
active wherever the distributions are installed. ``pytester`` runs pytest
sessions of their own, for what only a whole session shows.
"""

import http.client

import pytest

from gocept.httpserverlayer.browser import playwright_launch_args

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


PAGE = b"""<!DOCTYPE html>
<html><head><title>Live</title><link rel="icon" href="data:,"></head>
<body><script>
  fetch("/api/hello", {method: "POST", body: JSON.stringify({n: 1})});
</script></body></html>
"""


def live_app(environ, start_response):
    """The application of http_live_server: a page that posts to an API
    (test_playwright.py), and ``hello <path>`` for anything else."""
    if environ["PATH_INFO"] == "/page":
        start_response("200 OK", [("Content-Type", "text/html")])
        return [PAGE]
    if environ["PATH_INFO"].startswith("/api/"):
        start_response("204 No Content", [])
        return []
    return hello(environ, start_response)


# The server of the session, and where pytest-playwright (and
# pytest-base-url) send relative URLs.
@pytest.fixture(scope="session")
def http_live_app():
    return live_app


@pytest.fixture(scope="session")
def base_url(http_live_server):
    return http_live_server.url


# Debian's Chromium (or $CHROMIUM_BINARY) for pytest-playwright, trusting
# the server's certificate when it serves HTTPS (--http-https).
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, http_live_server):
    spki_hash = http_live_server.ca_spki_hash
    return {**browser_type_launch_args, **playwright_launch_args(spki_hash)}


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "whole_session: runs pytest sessions of its own (pytester), which"
        " a run under pytest -n need not repeat",
    )
