"""The worker pool when every worker is busy (issue 15).

A connection that arrives then waits in line; a spawner thread starts
workers for the waiting ones, and meanwhile a worker that finishes a
response hands its connection back (parks it) and serves the connection
that waited longest. Here the spawner starts nothing, as on a machine
where a new thread waits long for the GIL, so that only the hand-over
serves the waiting connections.
"""

import os
import socket
import threading
import time
import unittest

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer._connection import Phase
from gocept.httpserverlayer._testing.capture import captured_stderr

REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def closed(sock):
    """Whether the server closed ``sock`` (a reset: with a request unread)."""
    try:
        return sock.recv(10) == b""
    except ConnectionResetError:
        return True


def wait_for_next_request(server, sock):
    """Wait until the worker of ``sock``'s connection waits for its next
    request (past the point where it would hand the connection over)."""
    port = sock.getsockname()[1]
    (connection,) = [c for c in server._connections if c.address[1] == port]
    wait_until(lambda: connection.phase is Phase.IDLE)


def wait_until(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def hello(environ, start_response):
    start_response("200 OK", [("Content-Length", "11")])
    return [b"Hello world"]


class Crowded(unittest.TestCase):
    def setUp(self):
        self.layer = gocept.httpserverlayer.wsgi.Layer(
            name="Crowded", wsgi_app=hello
        )
        self.layer.threads = 1
        self.layer.setUp()
        self.addCleanup(self.layer.tearDown)
        self.layer.testSetUp()
        self.server = self.layer["httpd"]
        self.server._spawn = self.spawn_nothing
        self.spawned = 0

    def spawn_nothing(self):
        server = self.server
        with server._lock:
            self.spawned += 1
            server._spawned, server._spawner = server._spawner, None
            server._changed.notify_all()

    def connect(self):
        sock = socket.create_connection(("localhost", self.layer["http_port"]))
        sock.settimeout(10)
        self.addCleanup(sock.close)
        return sock

    def answered(self, sock):
        return sock.recv(4096).endswith(b"Hello world")

    def crowd(self):
        """One connection holds the only worker, another waits."""
        self.first = self.connect()
        self.first.sendall(REQUEST)
        self.assertTrue(self.answered(self.first))
        wait_for_next_request(self.server, self.first)
        self.second = self.connect()
        self.second.sendall(REQUEST)
        self.second.settimeout(0.2)
        with self.assertRaises(TimeoutError):
            self.second.recv(4096)  # waits: the worker is the first's
        self.second.settimeout(10)
        self.assertTrue(self.server.site.crowded)

    def test_waiting_connection_is_served_after_a_busy_ones_response(self):
        self.crowd()
        self.first.sendall(REQUEST)
        self.assertTrue(self.answered(self.first))
        self.assertTrue(self.answered(self.second))  # the first was parked
        self.assertEqual(1, self.spawned)
        self.assertFalse(self.server.site.crowded)

    def test_parked_connection_is_served_again(self):
        self.crowd()
        self.first.sendall(REQUEST)  # parks the first, serves the second
        self.assertTrue(self.answered(self.first))
        self.assertTrue(self.answered(self.second))
        wait_for_next_request(self.server, self.second)
        self.first.sendall(REQUEST)  # waits for the second's next request
        wait_until(lambda: self.server._pending)
        self.second.sendall(REQUEST)
        self.assertTrue(self.answered(self.second))
        self.assertTrue(self.answered(self.first))
        self.assertEqual(5, len(self.layer["http_requests"]))
        self.assertEqual(1, len(self.server._workers))  # the only one

    def test_pipelined_request_of_a_parked_connection_waits_in_line(self):
        self.crowd()
        # The next request is in the buffer already: the first connection
        # waits in line behind the second, not for its socket.
        self.first.sendall(REQUEST + REQUEST)
        self.assertTrue(self.answered(self.second))
        data = b""
        while data.count(b"Hello world") < 2:
            data += self.first.recv(4096)
        self.assertEqual(4, len(self.layer["http_requests"]))

    def test_testTearDown_closes_parked_connections(self):
        self.crowd()
        self.first.sendall(REQUEST)
        self.assertTrue(self.answered(self.first))
        self.assertTrue(self.answered(self.second))
        self.assertEqual(1, len(self.server._parked))
        self.layer.testTearDown()
        self.assertEqual(b"", self.first.recv(10))
        self.assertEqual(b"", self.second.recv(10))
        self.layer.testSetUp()

    def test_waiting_request_is_held_until_the_next_test(self):
        self.crowd()
        self.layer.testTearDown()
        self.assertEqual(b"", self.first.recv(10))  # idle: closed
        self.second.settimeout(0.2)
        with self.assertRaises(TimeoutError):
            self.second.recv(4096)  # held
        self.second.settimeout(10)
        self.layer.testSetUp()
        self.assertTrue(self.answered(self.second))

    def test_tearDown_closes_parked_and_waiting_connections(self):
        fds = open_fds()
        self.crowd()
        self.first.sendall(REQUEST)
        self.assertTrue(self.answered(self.first))
        self.assertTrue(self.answered(self.second))
        third = self.connect()
        third.sendall(REQUEST)  # waits: the worker is the second's
        self.layer.testTearDown()
        self.layer.tearDown()
        left = [t for t in threading.enumerate() if "Crowded" in t.name]
        ended = [closed(s) for s in (self.first, self.second, third)]
        for sock in (self.first, self.second, third):
            sock.close()
        self.layer.setUp()  # as many sockets of its own as the last one
        self.assertEqual(([], [True] * 3), (left, ended))
        self.assertEqual(fds, open_fds())


class NoThread(unittest.TestCase):
    def test_a_thread_the_system_refuses_is_reported(self):
        layer = gocept.httpserverlayer.wsgi.Layer(
            name="NoThread", wsgi_app=hello
        )
        layer.threads = 1
        layer.setUp()
        self.addCleanup(layer.tearDown)
        layer.testSetUp()
        server = layer["httpd"]

        def refuse(idle=True):
            raise RuntimeError("can't start new thread")

        server._start_worker = refuse
        port = layer["http_port"]
        first = socket.create_connection(("localhost", port), 10)
        self.addCleanup(first.close)
        with captured_stderr() as stderr:
            first.sendall(REQUEST)  # the idle worker takes it
            self.assertTrue(first.recv(4096).endswith(b"Hello world"))
            wait_for_next_request(server, first)
            second = socket.create_connection(("localhost", port), 10)
            self.addCleanup(second.close)
            second.sendall(REQUEST)
            wait_until(lambda: server._pending and server._spawner is None)
            first.sendall(REQUEST)  # the worker hands over
            self.assertTrue(second.recv(4096).endswith(b"Hello world"))
            layer.testTearDown()
        self.assertIn(
            "HTTP server of layer NoThread cannot start another worker thread"
            " (can't start new thread); 1 connection(s) wait for a busy one"
            " to finish.",
            stderr.getvalue(),
        )
