import ssl
import urllib.request

import pytest


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello world"]


@pytest.fixture
def http_app():
    return app


def test_hello(http_server):
    # ca_bundle is set when the server runs HTTPS (GOCEPT_HTTP_HTTPS=1).
    ca_bundle = http_server.layer.get("ca_bundle")
    trust = ssl.create_default_context(cafile=ca_bundle)
    with urllib.request.urlopen(http_server.url + "/", context=trust) as r:
        assert r.read() == b"Hello world"
