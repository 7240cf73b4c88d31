"""Settled tests with websockets: what testTearDown and tearDown do with
open websockets, held connections, silent clients and a stuck app."""

import socket
import threading
import time
import unittest

import asgiapps
import websockets.exceptions
from asgisupport import get
from asgisupport import wait_for
from asgisupport import ws_connect
from stresskit import captured
from test_websocket import close_code_from
from test_websocket import handshake

from gocept.httpserverlayer.asgi import GOING_AWAY
from gocept.httpserverlayer.asgi import Layer

# tearDown is measured by the benchmarks (make bench, figure g: under
# 50 ms); here it only has to be bounded well below shutdown_timeout.
BOUND = 1.0


class SettleTest(unittest.TestCase):
    def setUp(self):
        self.layer = Layer(asgi_app=asgiapps.app)
        self.layer.setUp()
        self.layer.testSetUp()

    def tearDown(self):
        if "httpd" in self.layer:
            self.layer.tearDown()

    def test_open_websocket_closed_1001_at_test_tear_down_reported(self):
        asgiapps.SEEN.pop("ws", None)
        with ws_connect(self.layer, "/ws/echo") as ws:
            ws.send("x")
            ws.recv()
            with captured() as (stderr, log):
                self.layer.testTearDown()
            with self.assertRaises(
                websockets.exceptions.ConnectionClosed
            ) as c:
                ws.recv()
        received = c.exception.rcvd
        self.assertEqual(
            (GOING_AWAY, "end of test"), (received.code, received.reason)
        )
        self.assertIn(
            "closed 1 websocket(s) still open at the end of their test with"
            " code 1001 (going away): websocket /ws/echo from 127.0.0.1:",
            stderr.getvalue(),
        )
        self.assertEqual(1001, self.layer["http_requests"][0].close_code)
        self.assertEqual(
            {
                "type": "websocket.disconnect",
                "code": 1001,
                "reason": "end of test",
            },
            asgiapps.SEEN["ws"][-1],
        )

    def test_new_connections_wait_for_the_next_test(self):
        self.layer.testTearDown()
        answers = []
        thread = threading.Thread(
            target=lambda: answers.append(get(self.layer, "/echo")[2])
        )
        thread.start()
        server = self.layer["httpd"]
        wait_for(lambda: any(p.held for p in server.connections))
        self.assertEqual([], answers)
        self.layer.testSetUp()
        thread.join(5)
        self.assertEqual([b"GET 0 "], answers)
        self.layer["http_requests"].assert_requested("GET", "/echo", 200)

    def test_websocket_handshake_waits_for_the_next_test(self):
        self.layer.testTearDown()
        sockets = []
        thread = threading.Thread(
            target=lambda: sockets.append(handshake(self.layer["http_port"]))
        )
        thread.start()
        wait_for(lambda: any(p.held for p in self.layer["httpd"].connections))
        self.assertEqual([], sockets)
        self.layer.testSetUp()
        thread.join(5)
        sockets[0].close()
        self.assertEqual(101, self.layer["http_requests"][0].status)

    def test_idle_keep_alive_connection_closed_at_test_tear_down(self):
        with socket.create_connection(
            ("127.0.0.1", self.layer["http_port"])
        ) as s:
            s.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIn(b"GET 0", s.recv(4096))
            self.layer.testTearDown()
            s.settimeout(5)
            self.assertEqual(b"", s.recv(4096))


class TearDownTest(unittest.TestCase):
    """tearDown is bounded with open websockets, silent clients and a stuck
    application; it leaves no thread behind."""

    def tear_down_with(self, *opened):
        layer = Layer(asgi_app=asgiapps.app)
        layer.settle_timeout = 0.05
        threads = threading.active_count()
        layer.setUp()
        layer.testSetUp()
        port = layer["http_port"]
        held = [open_(port) for open_ in opened]
        wait_for(lambda: len(layer["httpd"].connections) == len(held))
        with captured() as (stderr, log):
            layer.testTearDown()
            started = time.monotonic()
            layer.tearDown()
            seconds = time.monotonic() - started
        self.assertLess(seconds, BOUND)
        self.assertEqual(threads, threading.active_count())
        return held, stderr.getvalue()

    def test_open_websocket_that_never_answers_the_close(self):
        # A client that reads nothing: testTearDown's close frame and the
        # one of tearDown go unanswered.
        (sock,), output = self.tear_down_with(handshake)
        self.assertEqual(GOING_AWAY, close_code_from(sock))
        sock.close()
        self.assertIn("closed 1 websocket(s) still open", output)

    def test_silent_clients(self):
        def silent(port):
            return socket.create_connection(("127.0.0.1", port))

        held, output = self.tear_down_with(silent, silent, silent)
        for sock in held:
            sock.settimeout(5)
            self.assertEqual(b"", sock.recv(10))
            sock.close()
        self.assertEqual("", output)

    def test_stuck_app(self):
        def never(port):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /never HTTP/1.1\r\nHost: x\r\n\r\n")
            return sock

        def stuck_websocket(port):
            return handshake(port, b"/ws/ignore-disconnect")

        held, output = self.tear_down_with(never, stuck_websocket)
        for sock in held:
            sock.close()
        self.assertIn(
            "still running 0.05 s after the end of their test", output
        )
        self.assertIn("GET /never from", output)
        self.assertIn("websocket /ws/ignore-disconnect from", output)
        self.assertIn(
            "shut down with 2 request(s) unfinished, cancelled", output
        )
