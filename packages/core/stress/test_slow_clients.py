"""Slow and broken clients (issue 8, part 3), for wsgi.Layer and custom.Layer.

Slowloris (several clients trickling their request heads a byte every few
milliseconds), a client that stops reading a 50 MiB response, clients that
reset (SO_LINGER 0) in the middle of a body, and clients that half-close
after their request: meanwhile other clients are served, nothing is
printed or logged, and the layer's tearDown stays under TEARDOWN_BOUND
(the measured time is reported).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
import unittest

import gocept.httpserverlayer.custom
import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer._testing import stresskit
from gocept.httpserverlayer._testing.capture import captured
from gocept.httpserverlayer._testing.client import get
from gocept.httpserverlayer._testing.client import read_one
from gocept.httpserverlayer._testing.stresskit import figures
from gocept.httpserverlayer._testing.stresskit import percentiles

TEARDOWN_BOUND = stresskit.TEARDOWN_BOUND
BIG = 50 * 1024 * 1024
BLOCK = b"x" * (1024 * 1024)
SLOW_CLIENTS = 8
TRICKLE = 0.003  # seconds between two bytes
HEAD = b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 100 + b"\r\n\r\n"


def app(environ, start_response):
    if environ["PATH_INFO"] == "/big":
        start_response("200 OK", [("Content-Length", str(BIG))])
        return (BLOCK for _ in range(BIG // len(BLOCK)))
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Length", "13")])
    return [b"Hello, world!" if not body else b"body %8d" % len(body)]


class Handler(gocept.httpserverlayer.custom.RequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        big = self.path == "/big"
        self.send_response(200)
        self.send_header("Content-Length", str(BIG if big else 13))
        self.end_headers()
        if not big:
            self.wfile.write(b"Hello, world!")
            return
        for _ in range(BIG // len(BLOCK)):
            self.wfile.write(BLOCK)


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=10)


class SlowClients:
    """Mixed into one TestCase per layer kind."""

    def setUp(self):
        self.layer = self.make_layer()
        self.capture = captured()
        self.stderr, self.records = self.capture.__enter__()
        self.layer.setUp()
        self.layer.testSetUp()
        self.port = self.layer["http_port"]
        self.latencies = []
        self.socks = []
        self.warnings = 0  # expected warnings, only when a client stalls

    def tearDown(self):
        for sock in self.socks:
            sock.close()
        self.layer.testTearDown()
        started = time.monotonic()
        self.layer.tearDown()
        self.teardown = time.monotonic() - started
        self.capture.__exit__(None, None, None)
        for sock in self.late_socks:
            sock.close()
        for thread in stresskit.workers():
            # Left behind by the bounded shutdown; its socket is shut now.
            thread.join(2)
        # The figures first, so that a failing run shows what it saw.
        figures(
            f"slow clients, {self.id().split('.')[-1]}, {self.kind}",
            **self.figures,
            others_served=len(self.latencies),
            others_latency=percentiles(self.latencies),
            layer_teardown=f"{self.teardown * 1000:.1f} ms",
        )
        self.assertLess(self.teardown, TEARDOWN_BOUND)
        if not self.warnings:
            self.assertEqual("", self.stderr.getvalue())
        self.assertEqual(self.warnings, len(self.records), self.records)
        self.assertEqual(self.warnings, self.stderr.getvalue().count("\n"))

    def others_are_served(self, count=50):
        for _ in range(count):
            started = time.monotonic()
            response = get(self.port)
            self.latencies.append(time.monotonic() - started)
            self.assertEqual(
                (200, b"Hello, world!"), (response.status, response.body)
            )

    def test_slowloris(self):
        results = []

        def trickle():
            with connect(self.port) as sock:
                for byte in HEAD:
                    sock.send(bytes([byte]))
                    time.sleep(TRICKLE)
                results.append(read_one(sock).status)

        threads = [threading.Thread(target=trickle) for _ in range(8)]
        for thread in threads:
            thread.start()
        self.others_are_served()
        for thread in threads:
            thread.join(30)
        self.assertEqual([200] * SLOW_CLIENTS, results)
        self.figures = dict(
            slow_clients=SLOW_CLIENTS,
            bytes_each=f"{len(HEAD)}, one every {TRICKLE * 1000:.0f} ms",
        )

    def test_stalled_reader(self):
        """A client stops reading a 50 MiB response and keeps its socket."""
        sock = connect(self.port)
        self.socks.append(sock)
        sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        got = len(sock.recv(65536))
        time.sleep(0.2)  # the server fills the socket buffers and blocks
        self.others_are_served()
        self.figures = dict(stalled_after=f"{got} of {BIG} bytes")

    late_socks = ()

    def test_stalled_reader_open_at_teardown(self):
        """The stalled client still holds its socket at tearDown.

        The response being written is waited for (as every running
        request) for the layer's shutdown_timeout, here 1 s, and then
        reported, once, as a warning naming the request. Before that,
        testTearDown waits for it for settle_timeout (here 0.2 s) and says
        so once, for every layer.
        """
        self.layer["httpd"].shutdown_timeout = 1.0
        self.layer.settle_timeout = 0.2
        self.addCleanup(delattr, self.layer, "settle_timeout")
        sock = connect(self.port)
        self.late_socks = [sock]
        sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        got = len(sock.recv(65536))
        time.sleep(0.2)
        self.others_are_served()
        self.warnings = 2
        self.figures = dict(
            stalled_after=f"{got} of {BIG} bytes, socket open at tearDown",
            shutdown_timeout="1.0 s (one warning expected)",
            settle_timeout="0.2 s (one warning expected)",
        )

    def test_reset_mid_body(self):
        resets = 10
        for _ in range(resets):
            sock = connect(self.port)
            sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            received = 0
            while received < 1024 * 1024:
                received += len(sock.recv(65536))
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            sock.close()
            self.others_are_served(5)
        self.figures = dict(resets=f"{resets}, each after 1 MiB of {BIG}")

    def test_half_closed(self):
        count = 20
        for _ in range(count):
            with connect(self.port) as sock:
                sock.sendall(HEAD)
                sock.shutdown(socket.SHUT_WR)
                response = read_one(sock)
                self.assertEqual(200, response.status)
                self.assertEqual(b"", sock.recv(1))  # then the server closes
            self.others_are_served(1)
        self.figures = dict(half_closed_clients=count)


class WSGITest(SlowClients, unittest.TestCase):
    kind = "wsgi.Layer"

    def make_layer(self):
        return gocept.httpserverlayer.wsgi.Layer(
            name="SlowWSGI", module=__name__, wsgi_app=app
        )


class CustomTest(SlowClients, unittest.TestCase):
    kind = "custom.Layer"

    def make_layer(self):
        return gocept.httpserverlayer.custom.Layer(
            Handler, name="SlowCustom", module=__name__
        )
