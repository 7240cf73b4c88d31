"""setUp, tearDown and what they leave behind, with real clients."""

import contextlib
import http.client
import os
import socket
import tempfile
import threading
import time
import unittest
import urllib.request

from support import run_zope_testrunner

import gocept.httpserverlayer.custom
import gocept.httpserverlayer.static
import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer._connection import Phase
from gocept.httpserverlayer._server import BindError
from gocept.httpserverlayer._testing.capture import captured_stderr


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello world"]


def make_layer(app=hello, **attributes):
    layer = gocept.httpserverlayer.wsgi.Layer(name="Lifecycle")
    layer.wsgi_app = app
    for name, value in attributes.items():
        setattr(layer, name, value)
    return layer


def get(layer, path="/"):
    url = f"http://{layer['http_address']}{path}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def wait_for_threads_named(part, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not [t for t in threading.enumerate() if part in t.name]:
            return
        time.sleep(0.01)


def wait_for_phase(layer, phase, timeout=10):
    """Until a connection of the layer's server is in ``phase``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(c.phase is phase for c in list(layer["httpd"]._connections)):
            return
        time.sleep(0.002)
    raise AssertionError(f"no connection {phase.value} after {timeout} s")


def connect(layer):
    return socket.create_connection(("localhost", layer["http_port"]), 10)


class SetUpTest(unittest.TestCase):
    def test_setUp_returns_when_the_server_answers(self):
        layer = make_layer()
        layer.setUp()
        try:
            # No sleep, no retry: the first request must be answered.
            self.assertEqual(b"Hello world", get(layer))
        finally:
            layer.tearDown()

    def test_localhost_answers_on_ipv4_and_ipv6_with_one_port(self):
        layer = make_layer()
        layer.setUp()
        try:
            addresses = {s.getsockname()[0] for s in layer["httpd"].sockets}
            self.assertIn("127.0.0.1", addresses)
            if socket.has_ipv6 and "::1" not in addresses:
                self.skipTest("this machine has no ::1; IPv4 only checked")
            port = layer["http_port"]
            for host in ("127.0.0.1", "::1"):
                with socket.create_connection((host, port), 5) as sock:
                    sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
                    self.assertIn(b"Hello world", sock.makefile("rb").read())
        finally:
            layer.tearDown()

    def test_port_in_use_names_host_port_and_variables(self):
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        layer = make_layer(port=port)
        with blocker, self.assertRaises(BindError) as caught:
            layer.setUp()
        message = str(caught.exception)
        self.assertIn(f"localhost:{port}", message)
        self.assertIn("GOCEPT_HTTP_APP_PORT", message)
        self.assertIn("GOCEPT_HTTP_APP_HOST", message)
        self.assertNotIn("httpd", layer)

    def test_fixed_port_is_released_at_tearDown(self):
        layer = make_layer()
        layer.setUp()
        port = layer["http_port"]
        get(layer)
        layer.tearDown()
        again = make_layer(port=port)
        again.setUp()  # raises BindError if the port were still taken
        try:
            self.assertEqual(port, again["http_port"])
        finally:
            again.tearDown()


class TearDownTest(unittest.TestCase):
    """tearDown closes what clients hold open instead of waiting for it.

    The layers get a long shutdown_timeout: if tearDown waited for these
    connections at all, it would take that long, and the bound below (far
    from the 30 s) would fail.
    """

    def assertQuickTearDown(self, layer):
        start = time.monotonic()
        layer.tearDown()
        self.assertLess(time.monotonic() - start, 2.0)

    def test_idle_keep_alive_connection(self):
        layer = make_layer(shutdown_timeout=30)
        layer.setUp()
        sock = connect(layer)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertIn(b"Hello world", sock.recv(4096))
        with sock:
            self.assertQuickTearDown(layer)
            self.assertEqual(b"", sock.recv(10))  # closed by the server

    def test_connected_but_silent_client(self):
        layer = make_layer(shutdown_timeout=30)
        layer.setUp()
        with connect(layer), connect(layer):
            time.sleep(0.05)  # let the server accept both
            self.assertQuickTearDown(layer)

    def test_client_stuck_mid_request_is_dropped_and_reported(self):
        layer = make_layer(shutdown_timeout=30)
        layer.setUp()
        with connect(layer) as sock, captured_stderr() as stderr:
            sock.sendall(b"GET /half HTTP/1.1\r\nHost: x\r\n")
            wait_for_phase(layer, Phase.RECEIVING)
            self.assertQuickTearDown(layer)
        self.assertIn("unfinished", stderr.getvalue())

    def test_idle_keep_alive_connection_to_custom_handler(self):
        class Handler(gocept.httpserverlayer.custom.RequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        layer = gocept.httpserverlayer.custom.Layer(Handler, name="KA")
        layer.shutdown_timeout = 30
        layer.setUp()
        connection = http.client.HTTPConnection(
            "localhost", layer["http_port"], timeout=10
        )
        connection.request("GET", "/")
        self.assertEqual(b"ok", connection.getresponse().read())
        with contextlib.closing(connection):
            self.assertQuickTearDown(layer)

    def test_request_still_running_is_bounded_and_reported(self):
        release = threading.Event()
        running = threading.Event()

        def blocking(environ, start_response):
            running.set()
            release.wait(30)
            return hello(environ, start_response)

        layer = make_layer(blocking, shutdown_timeout=0.2)
        layer.setUp()
        sock = connect(layer)
        sock.sendall(b"GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(running.wait(10))
        with sock, captured_stderr() as stderr:
            start = time.monotonic()
            layer.tearDown()
            self.assertLess(time.monotonic() - start, 5)
        release.set()
        wait_for_threads_named("Lifecycle worker")
        self.assertIn("still running after 0.2 s", stderr.getvalue())
        self.assertIn("GET /block", stderr.getvalue())

    def test_running_request_within_bound_gets_its_response(self):
        started = threading.Event()

        def slow(environ, start_response):
            started.set()
            time.sleep(0.2)
            return hello(environ, start_response)

        layer = make_layer(slow, shutdown_timeout=5)
        layer.setUp()
        with connect(layer) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            started.wait(5)
            layer.tearDown()
            self.assertIn(b"Hello world", sock.makefile("rb").read())

    def test_resources_are_removed(self):
        layer = make_layer()
        layer.setUp()
        layer.tearDown()
        for name in ("http_host", "http_port", "http_address", "httpd"):
            self.assertNotIn(name, layer)
        self.assertNotIn("httpd_thread", layer)


class BetweenTestsTest(unittest.TestCase):
    """testTearDown closes idle connections and ends the test's workers."""

    def setUp(self):
        self.release = threading.Event()
        self.slow_done = threading.Event()
        self.together = threading.Barrier(10)
        # Set when the app starts on /block or /slow: the request is
        # running (a sleep instead would race a busy machine).
        self.started = {
            "/block": threading.Event(),
            "/slow": threading.Event(),
        }
        self.seen = []

        def app(environ, start_response):
            self.seen.append(environ["PATH_INFO"])
            if environ["PATH_INFO"] in self.started:
                self.started[environ["PATH_INFO"]].set()
            if environ["PATH_INFO"] == "/block":
                self.release.wait(10)
            if environ["PATH_INFO"] == "/together":
                self.together.wait(10)  # ten requests at once
            if environ["PATH_INFO"] == "/slow":
                time.sleep(0.3)
                self.slow_done.set()
            return hello(environ, start_response)

        self.layer = make_layer(app)
        self.layer.setUp()
        self.addCleanup(self.layer.tearDown)
        self.layer.testSetUp()

    def workers(self):
        return [
            t for t in threading.enumerate() if "Lifecycle worker" in t.name
        ]

    def test_idle_keep_alive_connection_is_closed(self):
        with connect(self.layer) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIn(b"Hello world", sock.recv(4096))
            self.layer.testTearDown()
            self.assertEqual(b"", sock.recv(10))

    def test_request_running_past_the_bound_is_reported_and_goes_on(self):
        self.layer.settle_timeout = 0.2
        with connect(self.layer) as sock, captured_stderr() as stderr:
            sock.sendall(b"GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(self.started["/block"].wait(10))
            start = time.monotonic()
            self.layer.testTearDown()
            self.assertLess(time.monotonic() - start, 2)
            self.release.set()
            self.assertIn(b"Hello world", sock.recv(4096))
        self.assertIn(
            "still running 0.2 s after the end of their test: GET /block",
            stderr.getvalue(),
        )

    def test_testTearDown_waits_for_a_request_that_finishes_in_time(self):
        with connect(self.layer) as sock:
            sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(self.started["/slow"].wait(10))
            self.layer.testTearDown()
            self.assertTrue(self.slow_done.is_set())
            self.assertIn(b"Hello world", sock.recv(4096))

    def test_request_between_tests_waits_for_the_next_test(self):
        self.layer.testTearDown()
        with connect(self.layer) as sock:
            sock.settimeout(0.3)
            sock.sendall(b"GET /late HTTP/1.1\r\nHost: x\r\n\r\n")
            with self.assertRaises(TimeoutError):
                sock.recv(4096)  # held: no answer between tests
            self.assertEqual([], self.seen)
            self.layer.testSetUp()
            sock.settimeout(10)
            self.assertIn(b"Hello world", sock.recv(4096))
        self.assertEqual(["/late"], self.seen)
        self.layer["http_requests"].assert_requested("GET", "/late", 200)

    def test_held_request_is_dropped_at_tearDown(self):
        self.layer.testTearDown()
        with connect(self.layer) as sock:
            sock.sendall(b"GET /late HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.05)
            start = time.monotonic()
            self.layer.tearDown()
            self.addCleanup(self.layer.setUp)  # the cleanup tears down
            self.assertLess(time.monotonic() - start, 2)
            self.assertEqual(b"", sock.recv(4096))
        self.assertEqual([], self.seen)

    def test_workers_the_test_needed_end_at_testTearDown(self):
        before = self.workers()
        sockets = [connect(self.layer) for _ in range(10)]
        for sock in sockets:
            sock.sendall(b"GET /together HTTP/1.1\r\nHost: x\r\n\r\n")
        for sock in sockets:
            self.assertIn(b"Hello world", sock.recv(4096))
        self.assertEqual(10, len(self.workers()))
        self.layer.testTearDown()
        self.assertEqual(before, self.workers())
        # The spawner that started the six beyond the four idle ones ended
        # too: zope.testrunner reports any thread a test leaves running.
        self.assertEqual(
            [], [t for t in threading.enumerate() if "spawner" in t.name]
        )
        for sock in sockets:
            sock.close()


KEEP_ALIVE_MODULE = """
import http.client, threading, unittest
import gocept.httpserverlayer.wsgi

def app(environ, start_response):
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]

LAYER = gocept.httpserverlayer.wsgi.Layer(wsgi_app=app)
CLIENTS = []  # kept open across tests, as a browser keeps connections

class Test(unittest.TestCase):
    layer = LAYER

    def test_six_parallel_connections(self):
        before = len(CLIENTS)

        def fetch():
            c = http.client.HTTPConnection("localhost", LAYER["http_port"])
            c.request("GET", "/")
            c.getresponse().read()
            CLIENTS.append(c)
        threads = [threading.Thread(target=fetch) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(6, len(CLIENTS) - before)

    test_again = test_six_parallel_connections
"""


class ZopeTestrunnerTest(unittest.TestCase):
    def test_no_thread_is_reported_as_left_behind(self):
        # zope.testrunner reports threads that a test leaves running; the
        # server's workers must not show up there, also while clients keep
        # their connections open from one test to the next.
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "test_keepalive.py")
            with open(path, "w") as f:
                f.write(KEEP_ALIVE_MODULE)
            output = run_zope_testrunner(directory)
        self.assertIn("Ran 2 tests with 0 failures, 0 errors", output)
        self.assertNotIn("left new threads behind", output)


class NoGrowthTest(unittest.TestCase):
    """1,000 setUp/request/tearDown cycles leave nothing behind."""

    cycles = 1000

    def cycle(self, layer, path="/"):
        layer.setUp()
        with connect(layer) as sock:  # keep-alive client left open
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            self.assertTrue(sock.recv(4096).startswith(b"HTTP/1.1 "))
            layer.tearDown()

    def assertNoGrowth(self, layer, path="/"):
        self.cycle(layer, path)  # warm up: imports, caches
        threads, fds = threading.active_count(), open_fds()
        for _ in range(self.cycles):
            self.cycle(layer, path)
        self.assertEqual(threads, threading.active_count())
        self.assertEqual(fds, open_fds())

    def test_wsgi_layer(self):
        self.assertNoGrowth(make_layer())

    def test_static_layer(self):
        layer = gocept.httpserverlayer.static.Layer(name="Cycles")
        self.assertNoGrowth(layer, "/favicon.ico")

    def test_static_layer_removes_its_temporary_directories(self):
        layer = gocept.httpserverlayer.static.Layer(name="Temporary")
        roots = []
        for _ in range(20):
            layer.setUp()
            roots.append(layer["documentroot"])
            layer.tearDown()
        self.assertEqual([], [r for r in roots if os.path.exists(r)])
