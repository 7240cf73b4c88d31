"""http_live_server: one session-scoped server, reset around every test by
the plugin's own hooks, with nothing autouse in the tests' code."""

import http.client
import ssl
import urllib.request

import pytest
from conftest import hello
from conftest import live_app

SEEN = []


def test_live_server_is_session_scoped_and_serves_the_live_app(
    http_live_server, get
):
    SEEN.append(http_live_server)
    assert get(http_live_server, "/live") == (200, b"hello /live")
    assert http_live_server.url == f"http://{http_live_server.address}"
    assert http_live_server.layer.wsgi_app is live_app


def test_live_server_record_is_only_this_test_s(http_live_server, get):
    SEEN.append(http_live_server)
    # Whatever ran before (the test above, or under -n, nothing) is gone.
    assert len(http_live_server.requests) == 0
    get(http_live_server, "/mine")
    assert [r.path for r in http_live_server.requests] == ["/mine"]


def test_same_server_for_every_test(http_live_server):
    assert all(server is http_live_server for server in SEEN)


@pytest.fixture(scope="session")
def keep_alive_client(http_live_server):
    connection = http.client.HTTPConnection(
        http_live_server.host, http_live_server.port, timeout=5
    )
    yield connection
    connection.close()


def test_keep_alive_connection_of_one_test(keep_alive_client):
    keep_alive_client.request("GET", "/keep")
    assert keep_alive_client.getresponse().read() == b"hello /keep"


def test_idle_connection_closed_after_the_test(keep_alive_client):
    # The plugin's teardown hook closed it from the server's side. Under
    # pytest -n, the test above may have run in another worker.
    if keep_alive_client.sock is not None:
        assert keep_alive_client.sock.recv(1) == b""


def test_factory_servers_are_reset_around_every_test(http_server_factory):
    server = http_server_factory.shared("reset", wsgi=hello)
    assert len(server.requests) == 0
    with urllib.request.urlopen(f"{server.url}/x") as response:
        response.read()
    assert len(server.requests) == 1


def test_factory_servers_are_reset_again(http_server_factory):
    server = http_server_factory.shared("reset", wsgi=hello)
    assert len(server.requests) == 0


def test_factory_https_host_and_bind_host(http_server_factory):
    server = http_server_factory(
        wsgi=hello, https=True, host="127.0.0.1", bind_host="127.0.0.1"
    )
    assert server.https
    assert server.url == f"https://127.0.0.1:{server.port}"
    assert server.layer.bind_host == "127.0.0.1"
    context = ssl.create_default_context(cafile=server.ca_bundle)
    with urllib.request.urlopen(f"{server.url}/tls", context=context) as r:
        assert r.read() == b"hello /tls"
    assert len(server.ca_spki_hash) == 44  # base64 of a SHA-256
    server.requests.assert_requested("GET", "/tls", 200)
    server.stop()


def test_plain_server_has_no_certificate(http_server_factory):
    server = http_server_factory(wsgi=hello, https=False)
    assert (server.https, server.ca_bundle, server.ca_spki_hash) == (
        False,
        None,
        None,
    )
    assert server.url.startswith("http://")
    server.stop()
