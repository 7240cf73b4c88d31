"""HTTP/1.1 of the WSGI engine over real sockets: keep-alive, HEAD, framing.

Request bodies are in ``test_request_body``, bad input in
``test_badinput``, application errors in ``test_wsgi_errors``.
"""

from __future__ import annotations

import io
import os
import threading
import unittest

from support import ServerTest
from support import file_app
from support import temporary_file

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer._testing.capture import captured_log
from gocept.httpserverlayer._testing.capture import captured_stderr
from gocept.httpserverlayer._testing.client import Raw


def streamed(environ, start_response):
    """A generator body without Content-Length."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"one,"
    yield b""
    yield b"two"


def closing(environ, start_response):
    start_response("200 OK", [("Connection", "close")])
    return [b"bye"]


def writing(environ, start_response):
    write = start_response("200 OK", [("Content-Length", "9")])
    write(b"written,")
    return [b"!"]


def writing_then(body):
    """write() without Content-Length, then return ``body``."""

    def app(environ, start_response):
        start_response("200 OK", [])(b"written,")
        return body

    return app


def empty_generator(environ, start_response):
    start_response("200 OK", [])
    yield b""


class CountingFile(io.FileIO):
    """A real file that counts the calls of its read()."""

    reads = 0

    def read(self, size=-1):
        type(self).reads += 1
        return super().read(size)


def counting_file_app(path):
    def app(environ, start_response):
        start_response("200 OK", [])
        return environ["wsgi.file_wrapper"](CountingFile(path))

    return app


class KeepAliveTest(ServerTest):
    def test_http_client_sends_several_requests_on_one_connection(self):
        self.serve(
            lambda e, s: [s("200 OK", []), e["REMOTE_PORT"].encode()][1:]
        )
        conn = self.client()
        ports = set()
        for path in ("/a", "/b", "/c"):
            conn.request("GET", path)
            ports.add(conn.getresponse().read())
        self.assertEqual({str(conn.sock.getsockname()[1]).encode()}, ports)

    def test_raw_socket_gets_several_responses_on_one_connection(self):
        raw = self.raw()
        for path in ("/1", "/2", "/3"):
            response = raw.request("GET", path).response()
            self.assertEqual(b"hello " + path.encode(), response.body)
            self.assertIsNone(response.header("Connection"))

    def test_http_1_0_request_closes_the_connection(self):
        raw = self.raw().request("GET", "/", version="HTTP/1.0")
        response = raw.response()
        self.assertEqual((200, b"hello /"), (response.status, response.body))
        self.assertTrue(raw.closed())

    def test_http_1_0_keep_alive_keeps_it_with_content_length(self):
        raw = self.raw()
        for _ in range(2):
            raw.request(
                "GET", "/", "Connection: keep-alive", version="HTTP/1.0"
            )
            response = raw.response()
            self.assertEqual("keep-alive", response.header("Connection"))
            self.assertEqual("7", response.header("Content-Length"))

    def test_connection_close_of_the_client_is_honoured(self):
        raw = self.raw().request("GET", "/", "Connection: close")
        response = raw.response()
        self.assertEqual("close", response.header("Connection"))
        self.assertEqual(b"hello /", response.body)
        self.assertTrue(raw.closed())

    def test_connection_close_of_the_app_closes_after_the_response(self):
        self.serve(closing)
        raw = self.raw().request()
        response = raw.response()
        self.assertEqual(
            (b"bye", "close"), (response.body, response.header("Connection"))
        )
        self.assertTrue(raw.closed())

    def test_pipelined_requests_in_one_packet_are_answered_in_order(self):
        raw = self.raw()
        raw.send(
            b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /second HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        self.assertEqual(b"hello /first", raw.response().body)
        self.assertEqual(b"hello /second", raw.response().body)


class HeadTest(ServerTest):
    def head_then_get(self, app):
        """HEAD then GET on one connection: the GET's response is intact."""
        self.serve(app)
        raw = self.raw()
        head = raw.request("HEAD").response("HEAD")
        get = raw.request("GET").response()
        return head, get

    def test_list_body_head_has_get_headers_and_no_body(self):
        head, get = self.head_then_get(
            lambda e, s: [s("200 OK", []), b"abc"][1:]
        )
        self.assertEqual(b"abc", get.body)
        self.assertEqual(without_date(get), without_date(head))

    def test_generator_body_head_has_no_body(self):
        head, get = self.head_then_get(streamed)
        self.assertEqual(b"one,two", get.body)
        # Framing aside (chunked for GET), the headers are the same.
        self.assertEqual(unframed(get), unframed(head))

    def test_file_wrapper_head_has_get_headers_and_no_body(self):
        path = temporary_file(self, b"x" * 5000)
        head, get = self.head_then_get(file_app(path))
        self.assertEqual(b"x" * 5000, get.body)
        self.assertEqual(without_date(get), without_date(head))
        self.assertEqual("5000", head.header("Content-Length"))

    def test_file_wrapper_head_does_not_read_the_file(self):
        path = temporary_file(self, b"x" * 300_000)
        self.serve(counting_file_app(path))
        response = self.get("/", "HEAD")
        self.assertEqual("300000", response.header("Content-Length"))
        self.assertEqual(0, CountingFile.reads)

    def test_connection_serves_requests_after_head(self):
        raw = self.raw()
        for _ in range(3):
            raw.request("HEAD", "/h")
            self.assertEqual(200, raw.response("HEAD").status)
        self.assertEqual(
            b"hello /after", raw.request("GET", "/after").response().body
        )


def without_date(response):
    return [(n, v) for n, v in response.headers if n.lower() != "date"]


def unframed(response):
    framing = {"date", "content-length", "transfer-encoding"}
    return [(n, v) for n, v in response.headers if n.lower() not in framing]


class FramingTest(ServerTest):
    def test_generator_body_goes_out_chunked_to_http_1_1(self):
        self.serve(streamed)
        response = self.raw().request().response()
        self.assertEqual("chunked", response.header("Transfer-Encoding"))
        self.assertEqual(
            (b"one,two", True), (response.body, response.complete)
        )

    def test_generator_body_is_close_delimited_to_http_1_0(self):
        self.serve(streamed)
        raw = self.raw().request(
            "GET", "/", "Connection: keep-alive", version="HTTP/1.0"
        )
        response = raw.response()
        self.assertIsNone(response.header("Transfer-Encoding"))
        self.assertEqual(
            ("close", b"one,two"),
            (response.header("Connection"), response.body),
        )

    def test_list_body_gets_content_length(self):
        self.serve(lambda e, s: [s("200 OK", []), b"ab", b"cd"][1:])
        response = self.raw().request().response()
        self.assertEqual(
            ("4", b"abcd"), (response.header("Content-Length"), response.body)
        )

    def test_write_callable_of_start_response_works(self):
        self.serve(writing)
        raw = self.raw()
        self.assertEqual(b"written,!", raw.request().response().body)
        self.assertEqual(b"written,!", raw.request().response().body)

    def test_write_then_a_list_body(self):
        self.serve(writing_then([b"returned"]))
        raw = self.raw()
        for _ in range(2):
            response = raw.request().response()
            self.assertEqual(
                (b"written,returned", True), (response.body, response.complete)
            )

    def test_write_then_an_empty_list(self):
        self.serve(writing_then([]))
        raw = self.raw()
        for _ in range(2):
            response = raw.request().response()
            self.assertEqual(
                (b"written,", True), (response.body, response.complete)
            )

    def test_empty_generator_body_is_complete(self):
        self.serve(empty_generator)
        raw = self.raw()
        for _ in range(2):
            response = raw.request().response()
            self.assertEqual((b"", True), (response.body, response.complete))

    def test_file_wrapper_sends_the_file(self):
        path = temporary_file(self, b"0123456789" * 100)
        self.serve(file_app(path))
        conn = self.client()
        conn.request("GET", "/")
        self.assertEqual(b"0123456789" * 100, conn.getresponse().read())

    def test_file_wrapper_sends_10_mib_intact(self):
        data = os.urandom(1024 * 1024) * 10
        self.serve(file_app(temporary_file(self, data)))
        conn = self.client()
        conn.request("GET", "/")
        response = conn.getresponse()
        self.assertEqual(str(len(data)), response.getheader("Content-Length"))
        self.assertTrue(response.read() == data)


class ConcurrencyTest(ServerTest):
    def test_six_clients_waiting_on_each_other_are_all_answered(self):
        barrier = threading.Barrier(6, timeout=5)

        def app(environ, start_response):
            barrier.wait()
            start_response("200 OK", [])
            return [b"met"]

        self.serve(app)
        raws = [self.raw().request() for _ in range(6)]
        self.assertEqual([b"met"] * 6, [raw.response().body for raw in raws])


class VerboseLoggingTest(unittest.TestCase):
    """GOCEPT_HTTP_VERBOSE_LOGGING is read at setUp: a layer per test."""

    def serve_one_request(self, verbose):
        old = os.environ.pop("GOCEPT_HTTP_VERBOSE_LOGGING", None)
        if verbose:
            os.environ["GOCEPT_HTTP_VERBOSE_LOGGING"] = "1"
        layer = gocept.httpserverlayer.wsgi.Layer(
            name="Verbose", module=__name__
        )
        layer.wsgi_app = lambda e, s: [s("404 Not Found", []), b"no"][1:]
        try:
            layer.setUp()
        finally:
            restore_env("GOCEPT_HTTP_VERBOSE_LOGGING", old)
        with captured_stderr() as stderr, captured_log() as records:
            try:
                raw = Raw(layer["http_port"])
                response = raw.request("PUT", "/some/path").response()
                raw.close()
            finally:
                layer.tearDown()  # waits for the request's log line
        self.assertEqual(404, response.status)
        return stderr.getvalue(), records

    def test_verbose_logging_writes_a_line_per_request(self):
        stderr, records = self.serve_one_request(True)
        self.assertEqual(1, len(stderr.splitlines()), stderr)
        self.assertRegex(stderr, r"PUT /some/path .*404")
        self.assertEqual(1, len(records))

    def test_no_request_lines_without_verbose_logging(self):
        stderr, records = self.serve_one_request(False)
        self.assertEqual(("", []), (stderr, records))


def restore_env(name, value):
    os.environ.pop(name, None)
    if value is not None:
        os.environ[name] = value
