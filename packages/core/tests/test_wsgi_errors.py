"""Errors of the WSGI application, over real sockets.

An error is a 500 while the headers are not sent yet, otherwise a closed
connection that the client sees as an incomplete response; either way its
traceback is reported once to stderr and once to the logging module, and the
server keeps serving. ``close()`` of the app's iterable is called once.
"""

from __future__ import annotations

import http.client
import logging

from support import ServerTest

from gocept.httpserverlayer._testing.capture import captured_log
from gocept.httpserverlayer._testing.capture import captured_stderr

TRACEBACK = "Traceback (most recent call last)"


class Boom(Exception):
    pass


def raising(environ, start_response):
    raise Boom("raised by the app")


def raising_midway(headers):
    def app(environ, start_response):
        start_response("200 OK", headers)
        yield b"first part,"
        raise Boom("raised midway")

    return app


def responding(status="200 OK", headers=None, body=(b"body",)):
    """An app answering with exactly what it is given."""

    def app(environ, start_response):
        start_response(status, [] if headers is None else headers)
        return list(body)

    return app


class Body:
    """An iterable body that counts the calls of its close()."""

    def __init__(self, parts, fail_at=None):
        self.parts = parts
        self.fail_at = fail_at
        self.closed = 0

    def __iter__(self):
        for i, part in enumerate(self.parts):
            if i == self.fail_at:
                raise Boom("raised by the body")
            yield part

    def close(self):
        self.closed += 1


class ErrorTest(ServerTest):
    def reported(self, request, method="GET"):
        """Send ``request``; return the response, stderr and log records."""
        with captured_stderr() as stderr, captured_log() as records:
            raw = self.raw().send(request)
            response = raw.response(method)
            closed = raw.closed()
            raw.close()
            self.wait_idle()
        self.assertTrue(closed, "The connection stays open.")
        return response, stderr.getvalue(), records

    def assertReportedOnce(self, stderr, records, text):
        self.assertEqual(1, stderr.count(TRACEBACK), stderr)
        self.assertIn(text, stderr)
        errors = [r for r in records if r.levelno >= logging.ERROR]
        self.assertEqual((1, 1), (len(records), len(errors)))
        self.assertIn(text, str(records[0].exc_info[1]))

    def assert500(self, app, text):
        self.serve(app)
        response, stderr, records = self.reported(GET)
        self.assertEqual(500, response.status)
        self.assertEqual(
            str(len(response.body)), response.header("Content-Length")
        )
        self.assertReportedOnce(stderr, records, text)
        self.assertServing()


GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


class ExceptionTest(ErrorTest):
    def test_exception_gives_500_reported_once(self):
        self.assert500(raising, "raised by the app")

    def test_exception_midway_of_a_chunked_body_leaves_it_incomplete(self):
        self.serve(raising_midway([]))
        response, stderr, records = self.reported(GET)
        self.assertEqual("chunked", response.header("Transfer-Encoding"))
        self.assertEqual(
            (b"first part,", False), (response.body, response.complete)
        )
        self.assertReportedOnce(stderr, records, "raised midway")

    def test_exception_midway_of_a_sized_body_leaves_it_incomplete(self):
        self.serve(raising_midway([("Content-Length", "100")]))
        conn = self.client()
        with captured_stderr() as stderr, captured_log() as records:
            conn.request("GET", "/")
            self.assertRaises(
                http.client.IncompleteRead, conn.getresponse().read
            )
            conn.close()
            self.wait_idle()
        self.assertReportedOnce(stderr.getvalue(), records, "raised midway")

    def test_exception_midway_to_http_1_0_leaves_it_incomplete(self):
        # A close-delimited body cannot tell the client; the report must.
        self.serve(raising_midway([]))
        response, stderr, records = self.reported(GET.replace(b"1.1", b"1.0"))
        self.assertEqual(b"first part,", response.body)
        self.assertReportedOnce(stderr, records, "raised midway")


class BadResponseTest(ErrorTest):
    def test_app_that_never_calls_start_response(self):
        self.assert500(lambda e, s: [b"body"], "before calling start_response")

    def test_app_that_never_calls_start_response_nor_sends_a_body(self):
        self.assert500(lambda e, s: [], "without calling start_response")

    def test_status_without_reason_is_fine(self):
        self.serve(responding("200"))
        response = self.raw().request().response()
        self.assertEqual((200, b"body"), (response.status, response.body))
        # RFC 9112 4: the space before the empty reason is not optional.
        self.assertTrue(response.head.startswith(b"HTTP/1.1 200 \r\n"))

    def test_status_of_four_digits(self):
        self.assert500(responding("2000 X"), "Bad WSGI status '2000 X'")

    def test_status_as_bytes(self):
        self.assert500(responding(b"200 OK"), "Bad WSGI status b'200 OK'")

    def test_headers_not_a_list(self):
        self.assert500(responding(headers=(("A", "b"),)), "must be a list")

    def test_header_value_with_crlf(self):
        headers = [("X-A", "a\r\nSet-Cookie: evil=1")]
        self.assert500(responding(headers=headers), "Bad WSGI response header")

    def test_header_value_with_lf(self):
        headers = [("X-A", "a\nX-B: b")]
        self.assert500(responding(headers=headers), "Bad WSGI response header")

    def test_header_name_with_space(self):
        headers = [("X A", "a")]
        self.assert500(responding(headers=headers), "Bad WSGI response header")

    def test_content_length_larger_than_the_body(self):
        self.serve(
            responding(headers=[("Content-Length", "10")], body=[b"abc"])
        )
        response, stderr, records = self.reported(GET)
        self.assertEqual((b"abc", False), (response.body, response.complete))
        self.assertReportedOnce(stderr, records, "declared Content-Length 10")

    def test_body_longer_than_declared_is_cut(self):
        self.serve(
            responding(headers=[("Content-Length", "3")], body=[b"abcdef"])
        )
        response, stderr, records = self.reported(GET)
        self.assertEqual((b"abc", True), (response.body, response.complete))
        self.assertReportedOnce(stderr, records, "more than the 3 bytes")

    def test_body_longer_than_declared_in_a_generator_is_cut(self):
        self.serve(
            responding(
                headers=[("Content-Length", "3")], body=iter([b"ab", b"cd"])
            )
        )
        response, stderr, records = self.reported(GET)
        self.assertEqual(b"abc", response.body)
        self.assertReportedOnce(stderr, records, "more than the 3 bytes")


class CloseTest(ErrorTest):
    def serve_body(self, body, headers=()):
        def app(environ, start_response):
            start_response("200 OK", list(headers))
            return body

        self.serve(app)
        return body

    def test_close_is_called_once_on_success(self):
        body = self.serve_body(Body([b"a", b"b"]))
        self.assertEqual(b"ab", self.raw().request().response().body)
        self.wait_idle_after_closing()
        self.assertEqual(1, body.closed)

    def test_close_is_called_once_on_head(self):
        body = self.serve_body(Body([b"a", b"b"]))
        self.assertEqual(
            200, self.raw().request("HEAD").response("HEAD").status
        )
        self.wait_idle_after_closing()
        self.assertEqual(1, body.closed)

    def test_close_is_called_once_after_an_exception_midway(self):
        body = self.serve_body(Body([b"a", b"b"], fail_at=1))
        response, stderr, records = self.reported(GET)
        self.assertEqual((b"a", False), (response.body, response.complete))
        self.assertReportedOnce(stderr, records, "raised by the body")
        self.assertEqual(1, body.closed)

    def test_close_is_called_once_when_the_client_is_gone(self):
        body = self.serve_body(Body([b"x" * 65536] * 1000))
        with captured_stderr() as stderr, captured_log() as records:
            raw = self.raw().request()
            raw.rfile.readline()
            self.wait_idle_after_closing()
        self.assertEqual(
            (1, "", []), (body.closed, stderr.getvalue(), records)
        )

    def test_close_of_a_list_subclass_is_called_once(self):
        class Closing(list):
            closed = 0

            def close(self):
                type(self).closed += 1

        self.serve_body(Closing([b"abc"]))
        self.assertEqual(b"abc", self.raw().request().response().body)
        self.wait_idle_after_closing()
        self.assertEqual(1, Closing.closed)

    def wait_idle_after_closing(self):
        while self._raws:
            self._raws.pop().close()
        self.wait_idle()
