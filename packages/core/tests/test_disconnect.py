"""A client that goes away early is no error: no output, no log record.

Each test first has a request answered on the connection, so that the
server surely holds it, then goes away in the middle of something; the
server must stay silent and keep serving.
"""

from __future__ import annotations

import os
import socket
import struct

from support import ServerTest
from support import file_app
from support import temporary_file

from gocept.httpserverlayer._testing.capture import captured_log
from gocept.httpserverlayer._testing.capture import captured_stderr


def big_stream(environ, start_response):
    start_response("200 OK", [])
    for _ in range(1000):
        yield b"x" * 65536


def reading_app(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [])
    return [b"read %d" % len(body)]


def reset(raw):
    """Close with SO_LINGER 0: the kernel sends RST instead of FIN."""
    raw.sock.setsockopt(
        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
    )
    raw.close()


class DisconnectTest(ServerTest):
    def assertSilent(self, send, leave=lambda raw: raw.close()):
        """``send`` on an open connection, ``leave`` it: nothing happens."""
        with captured_stderr() as stderr, captured_log() as records:
            raw = self.raw()
            self.assertEqual(
                200, raw.request("GET", "/warm-up").response().status
            )
            send(raw)
            leave(raw)
            self.wait_idle()
        self.assertEqual(("", []), (stderr.getvalue(), records))
        self.assertServing()

    def test_half_a_request_line_then_close(self):
        self.assertSilent(lambda raw: raw.send(b"GET /hal"))

    def test_half_the_headers_then_close(self):
        self.assertSilent(
            lambda raw: raw.send(b"GET / HTTP/1.1\r\nHost: x\r\nAcc")
        )

    def test_half_a_body_then_close(self):
        self.serve(reading_app)
        request = (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"
        )
        self.assertSilent(lambda raw: raw.send(request))

    def test_half_a_chunked_body_then_close(self):
        self.serve(reading_app)
        request = (
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"\r\n5\r\nab"
        )
        self.assertSilent(lambda raw: raw.send(request))

    def test_close_during_a_large_streamed_response(self):
        self.serve(big_stream)
        self.assertSilent(lambda raw: raw.request().rfile.readline())

    def test_close_during_a_large_file_response(self):
        self.serve(
            file_app(temporary_file(self, os.urandom(1024 * 1024) * 10))
        )
        self.assertSilent(lambda raw: raw.request().rfile.read(100_000))

    def test_reset_during_a_large_streamed_response(self):
        self.serve(big_stream)
        self.assertSilent(lambda raw: raw.request().rfile.readline(), reset)

    def test_reset_during_a_large_file_response(self):
        self.serve(
            file_app(temporary_file(self, os.urandom(1024 * 1024) * 10))
        )
        self.assertSilent(lambda raw: raw.request().rfile.read(100_000), reset)

    def test_reset_in_the_middle_of_a_request(self):
        self.assertSilent(lambda raw: raw.send(b"GET / HTTP/1.1\r\nHo"), reset)

    def test_reset_in_the_middle_of_a_body(self):
        self.serve(reading_app)
        request = (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"
        )
        self.assertSilent(lambda raw: raw.send(request), reset)

    def test_reset_while_idle(self):
        self.assertSilent(lambda raw: None, reset)
