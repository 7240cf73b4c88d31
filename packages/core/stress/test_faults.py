"""Faults of the application (issue 8, part 6), on wsgi.Layer.

The application raises, returns a bad status or bad headers, never calls
start_response, returns a generator that raises midway, or blocks longer
than the client waits. Each gives a defined result (a 500, or a closed
connection with an incomplete body once the head was sent), the error is
reported exactly once (one log record, one traceback on stderr), and the
server keeps serving. Every fault is tried ROUNDS times.
"""

from __future__ import annotations

import socket
import time
import unittest

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer._testing.capture import captured
from gocept.httpserverlayer._testing.client import exchange
from gocept.httpserverlayer._testing.client import get
from gocept.httpserverlayer._testing.client import parse
from gocept.httpserverlayer._testing.stresskit import all_workers_alive
from gocept.httpserverlayer._testing.stresskit import figures
from gocept.httpserverlayer._testing.stresskit import wait_idle

ROUNDS = 20


def raises(environ, start_response):
    raise RuntimeError("boom")


def bad_status(status):
    def app(environ, start_response):
        start_response(status, [])
        return [b"x"]

    return app


def bad_headers(headers):
    def app(environ, start_response):
        start_response("200 OK", headers)
        return [b"x"]

    return app


def no_start_response(environ, start_response):
    return [b"never started"]


def empty_without_start_response(environ, start_response):
    return []


def raises_midway(environ, start_response):
    start_response("200 OK", [])

    def body():
        yield b"first part, "
        raise RuntimeError("midway")

    return body()


def raises_midway_with_length(environ, start_response):
    start_response("200 OK", [("Content-Length", "100")])

    def body():
        yield b"first part, "
        raise RuntimeError("midway")

    return body()


def wrong_length(environ, start_response):
    start_response("200 OK", [("Content-Length", "100")])
    return [b"short"]


def blocks(environ, start_response):
    time.sleep(0.6)
    start_response("200 OK", [])
    return [b"late"]


def hello(environ, start_response):
    start_response("200 OK", [("Content-Length", "13")])
    return [b"Hello, world!"]


class Dispatch:
    app = staticmethod(hello)

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/normal":
            return hello(environ, start_response)
        return self.app(environ, start_response)


DISPATCH = Dispatch()
LAYER = gocept.httpserverlayer.wsgi.Layer(
    name="Faults", module=__name__, wsgi_app=DISPATCH
)
# (name, app, outcome): "500" a complete 500 response, "cut" a head and
# an incomplete body then a closed connection.
FAULTS = [
    ("raises", raises, "500"),
    ("status 200 (int)", bad_status(200), "500"),
    ("status 'OK'", bad_status("OK"), "500"),
    ("status '2000 x'", bad_status("2000 x"), "500"),
    ("status with CRLF", bad_status("200 OK\r\nX-Evil: 1"), "500"),
    ("headers not a list", bad_headers((("A", "b"),)), "500"),
    ("header with CRLF", bad_headers([("X-A", "b\r\nX-Evil: 1")]), "500"),
    ("header value int", bad_headers([("X-A", 1)]), "500"),
    ("header name bad", bad_headers([("X A", "b")]), "500"),
    ("header bytes", bad_headers([(b"X-A", b"b")]), "500"),
    ("two Content-Length", bad_headers([("Content-Length", "1")] * 2), "500"),
    ("no start_response", no_start_response, "500"),
    ("[] and no start_response", empty_without_start_response, "500"),
    ("generator raises midway", raises_midway, "cut"),
    ("raises midway, length", raises_midway_with_length, "cut"),
    ("body shorter than length", wrong_length, "cut"),
]


class FaultTest(unittest.TestCase):
    layer = LAYER

    def setUp(self):
        self.port = self.layer["http_port"]
        self.server = self.layer["httpd"]

    def tearDown(self):
        DISPATCH.app = hello

    def request(self):
        return exchange(
            self.port,
            b"GET /fault HTTP/1.1\r\nHost: x\r\n\r\n",
        )

    def test_faults(self):
        results = {}
        for name, app, outcome in FAULTS:
            DISPATCH.app = app
            for _ in range(ROUNDS):
                with captured() as (stderr, records):
                    answer = self.request()
                    wait_idle(self.server)
                self.assertEqual(1, len(records), (name, records))
                self.assertEqual(
                    1, stderr.getvalue().count("Traceback"), (name, stderr)
                )
                self.check_outcome(name, answer, outcome)
                self.assertTrue(all_workers_alive(self.server))
                self.assertEqual(200, get(self.port, "/normal").status)
            results[name] = outcome
        figures(
            "faults of the application",
            faults=len(FAULTS),
            rounds_each=ROUNDS,
            requests=len(FAULTS) * ROUNDS * 2,
            reports_per_fault="exactly 1 (log record and stderr traceback)",
            outcomes=", ".join(f"{k}: {v}" for k, v in results.items()),
        )

    def check_outcome(self, name, answer, outcome):
        if outcome == "500":
            (response,) = parse(answer)
            self.assertEqual(500, response.status, name)
            self.assertNotIn(b"Evil", answer)
            return
        head, _, body = answer.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 "), name)
        with self.assertRaises(AssertionError, msg=name):
            parse(answer)  # incomplete: the client can tell

    def test_blocks_longer_than_client_timeout(self):
        """The client gives up; nothing is reported; serving goes on."""
        DISPATCH.app = blocks
        timeouts = 0
        with captured() as (stderr, records):
            for _ in range(5):
                sock = socket.create_connection(("127.0.0.1", self.port))
                sock.settimeout(0.1)
                sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
                try:
                    sock.recv(1)
                except TimeoutError:
                    timeouts += 1
                sock.close()
                self.assertEqual(200, get(self.port, "/normal").status)
            wait_idle(self.server)
        self.assertEqual(5, timeouts)
        self.assertEqual(("", []), (stderr.getvalue(), records))
        figures(
            "faults: app blocks longer than the client's timeout",
            clients_timed_out=f"{timeouts} (client 0.1 s, app 0.6 s)",
            reports="none (the client left; not an error)",
        )
