"""Clients and helpers for the tests of asgi.Layer: real sockets only."""

import http.client
import socket
import ssl
import time

import h11


def connection(layer, timeout=10):
    """An http.client connection to the layer (HTTPS when it serves it)."""
    host, port = layer["http_host"], layer["http_port"]
    if layer["http_scheme"] == "https":
        context = ssl.create_default_context(cafile=layer["ca_bundle"])
        return http.client.HTTPSConnection(
            host, port, timeout=timeout, context=context
        )
    return http.client.HTTPConnection(host, port, timeout=timeout)


def get(layer, path, method="GET", body=None, headers=None):
    """(status, headers, body) of one request on a new connection."""
    conn = connection(layer)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def exchange(port, data, timeout=5.0, host="127.0.0.1"):
    """Send raw bytes, half-close, read until the server closes."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        return read_all(sock)


def read_all(sock):
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def responses(data):
    """Parse ``data`` strictly as complete HTTP/1.1 responses with h11 in
    the client role: [(status, headers dict, body)]; an incomplete one at
    the end is left out."""
    client = h11.Connection(h11.CLIENT)
    found = []
    fed = ended = False
    while client.our_state is h11.IDLE:
        # h11 reads a response only after it sent a request.
        client.send(
            h11.Request(method="GET", target="/", headers=[("Host", "x")])
        )
        client.send(h11.EndOfMessage())
        if not fed:
            client.receive_data(data)
            fed = True
        response, body = None, b""
        while True:
            try:
                event = client.next_event()
            except h11.RemoteProtocolError:
                if client.their_state is not h11.CLOSED and not ended:
                    raise
                return found  # the connection ended mid-response
            if event is h11.NEED_DATA:
                if ended:
                    return found
                client.receive_data(b"")  # the end of the connection
                ended = True
                continue
            if isinstance(event, h11.ConnectionClosed):
                return found
            if isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                headers = {
                    k.decode(): v.decode("latin-1")
                    for k, v in response.headers
                }
                found.append((response.status_code, headers, body))
                break
        if client.their_state is not h11.DONE:
            break
        client.start_next_cycle()
    return found


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {condition}")
        time.sleep(0.002)


def ws_url(layer, path):
    return layer["http_url"].replace("http", "ws", 1) + path


def ws_connect(layer, path, **kw):
    """A websockets (sync) client connection to ``path`` of the layer."""
    from websockets.sync.client import connect

    if layer["http_scheme"] == "https":
        kw.setdefault(
            "ssl", ssl.create_default_context(cafile=layer["ca_bundle"])
        )
    kw.setdefault("close_timeout", 2)
    # No keepalive pings: their thread outlives a socket the server closed
    # by a moment, and zope.testrunner reports it as left behind.
    kw.setdefault("ping_interval", None)
    return connect(ws_url(layer, path), open_timeout=5, **kw)
