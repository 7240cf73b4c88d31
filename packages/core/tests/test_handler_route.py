"""Request handler classes behind the server's parser, over real sockets.

``custom.Layer`` and the ``request_handler_class`` of ``wsgi.Layer`` serve
``http.server``-style handlers; every request reaches them through the
server's parser and connection loop, whatever their base class (issue 13,
custom.Layer findings; issue 12, point 3).
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import re
import socket
import time
import unittest
import wsgiref.simple_server

from support import captured_stderr

import gocept.httpserverlayer.custom
import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer._layer import _fail_on_server_errors

SEEN: list[str] = []
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


class Echo(http.server.BaseHTTPRequestHandler):
    """A plain http.server handler, as 4.x users pass them."""

    protocol_version = "HTTP/1.1"

    def answer(self):
        SEEN.append(self.path)
        if self.path == "/boom":
            raise RuntimeError("the handler failed")
        length = int(self.headers.get("Content-Length") or 0)
        body = b"" if self.path == "/ignore" else self.rfile.read(length)
        out = f"{self.command} {self.path} {body!r}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = answer

    def log_message(self, *args):
        pass


class Echo10(Echo):
    protocol_version = "HTTP/1.0"


PLAIN = gocept.httpserverlayer.custom.Layer(Echo, name="PlainHandler")
PLAIN10 = gocept.httpserverlayer.custom.Layer(Echo10, name="PlainHandler10")


def exchange(layer, data):
    """Send ``data``, half-close, read until the server closes."""
    with socket.create_connection(("127.0.0.1", layer["http_port"]), 10) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        return s.makefile("rb").read()


def responses(answer):
    return len(re.findall(rb"HTTP/1\.[01] [0-9]{3} ", answer))


def assert_held(test, layer):
    """A request sent between two tests is answered in the next one."""
    layer.testTearDown()
    released = False
    try:
        with socket.create_connection(
            ("127.0.0.1", layer["http_port"]), 10
        ) as sock:
            sock.settimeout(0.3)
            sock.sendall(b"GET /late HTTP/1.1\r\nHost: x\r\n\r\n")
            with test.assertRaises(TimeoutError):
                sock.recv(4096)  # held: no answer between tests
            released = True
            layer.testSetUp()
            sock.settimeout(10)
            test.assertTrue(sock.recv(4096).startswith(b"HTTP/1."))
    finally:
        if not released:
            layer.testSetUp()


class HandlerTest(unittest.TestCase):
    layer = PLAIN

    def setUp(self):
        del SEEN[:]

    def assertRefused(self, data, status=b"400"):
        answer = exchange(self.layer, data)
        self.assertTrue(answer.startswith(b"HTTP/1.1 " + status), answer[:60])
        self.assertEqual(1, responses(answer), answer)
        self.assertEqual([], SEEN)


class ChunkedTest(HandlerTest):
    def test_a_chunked_request_is_answered_once_with_its_body(self):
        answer = exchange(
            self.layer,
            b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        )
        self.assertEqual(1, responses(answer), answer)
        self.assertTrue(answer.endswith(b"POST /c b'hello world'"), answer)

    def test_a_request_line_as_last_chunk_is_refused(self):
        self.assertRefused(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"\r\n0;" + SMUGGLED
        )

    def test_a_chunked_body_with_100_continue_gets_one_interim(self):
        answer = exchange(
            self.layer,
            b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Expect: 100-continue\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
        )
        self.assertEqual(1, answer.count(b"100 Continue"), answer)
        self.assertTrue(answer.endswith(b"POST /c b'hi'"), answer)


class ParsingTest(HandlerTest):
    def test_missing_version_is_refused_and_swallows_nothing(self):
        self.assertRefused(b"GET /\r\n" + SMUGGLED)

    def test_vertical_tab_after_content_length_is_refused(self):
        self.assertRefused(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\x0b\r\n\r\nhello"
        )

    def test_space_before_the_colon_is_refused(self):
        for header in (b"Content-Length : 5", b"Transfer-Encoding : chunked"):
            with self.subTest(header=header):
                self.assertRefused(
                    b"POST / HTTP/1.1\r\nHost: x\r\n" + header + b"\r\n\r\n"
                    b"0\r\n\r\n" + SMUGGLED
                )

    def test_content_length_with_transfer_encoding_is_refused(self):
        self.assertRefused(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED
        )

    def test_two_content_lengths_are_refused(self):
        self.assertRefused(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Content-Length: 10\r\n\r\nhello" + SMUGGLED
        )

    def test_http_0_9_gets_a_status_line(self):
        self.assertRefused(b"GET / HTTP/0.9\r\n\r\n", b"505")

    def test_an_unread_body_is_never_served_as_a_request(self):
        answer = exchange(
            self.layer,
            b"POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
            % len(SMUGGLED)
            + SMUGGLED
            + b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        self.assertEqual(["/ignore", "/next"], SEEN)
        self.assertEqual(2, responses(answer), answer)


class KeepAliveTest(HandlerTest):
    def ports(self, layer, count=3):
        connection = http.client.HTTPConnection(
            "127.0.0.1", layer["http_port"], timeout=10
        )
        with contextlib.closing(connection):
            seen = set()
            for i in range(count):
                connection.request("GET", f"/{i}")
                seen.add(connection.sock.getsockname()[1])
                connection.getresponse().read()
            return seen

    def test_an_http_1_1_handler_keeps_the_connection(self):
        self.assertEqual(1, len(self.ports(self.layer)))

    def test_pipelined_requests_are_answered_in_order(self):
        answer = exchange(
            self.layer, b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\n" * 2
        )
        self.assertEqual(["/1", "/1"], SEEN)
        self.assertEqual(2, responses(answer), answer)

    def test_the_next_test_gets_a_new_connection(self):
        with socket.create_connection(
            ("127.0.0.1", self.layer["http_port"]), 10
        ) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while not answer.endswith(b"GET / b''"):  # head, then body
                chunk = sock.recv(4096)
                self.assertTrue(chunk, answer)
                answer += chunk
            self.layer.testTearDown()
            try:
                self.assertEqual(b"", sock.recv(10))
            finally:
                self.layer.testSetUp()


class HTTP10KeepAliveTest(HandlerTest):
    layer = PLAIN10

    def test_an_http_1_0_handler_closes_the_connection(self):
        self.assertEqual(3, len(KeepAliveTest.ports(self, self.layer)))


class RecordsAndErrorsTest(HandlerTest):
    def test_requests_of_a_plain_handler_are_recorded(self):
        exchange(self.layer, b"GET /r?q=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        found = self.layer["http_requests"].assert_requested("GET", "/r", 200)
        self.assertEqual("q=1", found.query)

    def test_an_exception_is_a_500_and_an_error_of_the_test(self):
        with captured_stderr() as stderr:
            answer = exchange(
                self.layer, b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n"
            )
        self.assertTrue(answer.startswith(b"HTTP/1.1 500 "), answer)
        (error,) = self.layer["http_errors"]
        self.assertTrue(error.request.startswith("GET /boom from "))
        self.assertEqual(
            1, stderr.getvalue().count("RuntimeError: the handler failed")
        )
        self.layer["http_requests"].assert_requested("GET", "/boom", 500)


class GateTest(HandlerTest):
    def test_a_request_between_tests_waits_for_the_next_test(self):
        assert_held(self, self.layer)
        self.assertEqual(["/late"], SEEN)


# wsgi.Layer with a wsgiref request handler (gocept.selenium's route).


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/boom":
        raise RuntimeError("boom in the app")
    if path == "/late-boom":
        return late_boom(start_response)
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    out = f"{path} {body!r}".encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [out]


def late_boom(start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"partial"
    raise RuntimeError("boom in the body")


class QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


class HandlerClassLayer(gocept.httpserverlayer.wsgi.Layer):
    request_handler_class = QuietHandler


WSGIREF = HandlerClassLayer(wsgi_app=app, name="WSGIRefRoute")


class WSGIRefRouteTest(unittest.TestCase):
    layer = WSGIREF

    def get(self, path, body=None, headers=()):
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.layer["http_port"], timeout=10
        )
        with contextlib.closing(connection):
            connection.request(
                "POST" if body else "GET", path, body, dict(headers)
            )
            response = connection.getresponse()
            return response.status, response.read(), response

    def test_requests_are_recorded(self):
        self.get("/one?x=1")
        found = self.layer["http_requests"].assert_requested(
            "GET", "/one", 200
        )
        self.assertLess(0, found.duration)

    def test_an_exception_is_a_500_and_an_error_of_the_test(self):
        with captured_stderr() as stderr:
            status, _, _ = self.get("/boom")
        self.assertEqual(500, status)
        (error,) = self.layer["http_errors"]
        self.assertIn("RuntimeError: boom in the app", error.traceback)
        self.assertEqual(1, stderr.getvalue().count("RuntimeError: boom"))
        with self.assertRaises(AssertionError):
            _fail_on_server_errors(self.layer["httpd"])

    def test_an_exception_in_the_body_ends_the_response(self):
        with captured_stderr() as stderr:
            exchange(self.layer, b"GET /late-boom HTTP/1.1\r\nHost: x\r\n\r\n")
            deadline = time.monotonic() + 5
            while (
                not self.layer["http_errors"] and time.monotonic() < deadline
            ):
                time.sleep(0.01)
        (error,) = self.layer["http_errors"]
        self.assertIn("RuntimeError: boom in the body", error.traceback)
        self.assertEqual(1, stderr.getvalue().count("RuntimeError: boom"))

    def test_a_chunked_body_arrives_with_its_length(self):
        answer = exchange(
            self.layer,
            b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"\r\n5\r\nhello\r\n0\r\n\r\n",
        )
        self.assertTrue(answer.endswith(b"/c b'hello'"), answer)

    def test_bad_input_is_refused_before_wsgiref(self):
        answer = exchange(self.layer, b"GET /\r\n\r\n")
        self.assertTrue(answer.startswith(b"HTTP/1.1 400 "), answer)

    def test_wsgiref_answers_http_1_0_and_closes(self):
        status, body, response = self.get("/x")
        self.assertEqual(
            (200, b"/x b''", 10), (status, body, response.version)
        )
        self.assertTrue(response.will_close)

    def test_a_request_between_tests_waits_for_the_next_test(self):
        assert_held(self, self.layer)
        self.layer["http_requests"].assert_requested("GET", "/late", 200)

    def test_teardown_is_bounded_with_an_idle_client(self):
        layer = HandlerClassLayer(wsgi_app=app, name="WSGIRefTearDown")
        layer.setUp()
        with socket.create_connection(("127.0.0.1", layer["http_port"]), 10):
            start = time.monotonic()
            layer.tearDown()
        self.assertLess(time.monotonic() - start, 1)
        self.assertNotIn("httpd", layer._resources)
