"""http_requests: what the server answered during the current test."""

import contextlib
import http.client
import socket
import unittest

import gocept.httpserverlayer.custom
import gocept.httpserverlayer.static
import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer._testing.capture import captured_stderr


def app(environ, start_response):
    if environ["PATH_INFO"] == "/boom":
        raise RuntimeError("boom")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


WSGI = gocept.httpserverlayer.wsgi.Layer(wsgi_app=app, name="RecordsWSGI")


def request(layer, method, target, body=None, headers=None):
    connection = http.client.HTTPConnection(
        "localhost", layer["http_port"], timeout=10
    )
    with contextlib.closing(connection):
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status


class WSGIRecordsTest(unittest.TestCase):
    layer = WSGI

    def setUp(self):
        self.log = self.layer["http_requests"]

    def test_records_method_target_status_duration_headers(self):
        request(self.layer, "GET", "/a?x=1", headers={"X-Test": "yes"})
        request(self.layer, "POST", "/b", body=b"data")
        first, second = self.log
        self.assertEqual(
            ("GET", "/a", "x=1", 200),
            (first.method, first.path, first.query, first.status),
        )
        self.assertEqual("yes", first.header("x-test"))
        self.assertGreater(first.duration, 0)
        self.assertEqual(("POST", "/b"), (second.method, second.target))

    def test_emptied_at_testSetUp_one(self):
        request(self.layer, "GET", "/one")
        self.assertEqual(["/one"], [r.path for r in self.log])

    def test_emptied_at_testSetUp_two(self):
        request(self.layer, "GET", "/two")
        self.assertEqual(["/two"], [r.path for r in self.log])

    def test_application_error_is_recorded_as_500(self):
        with captured_stderr():
            request(self.layer, "GET", "/boom")
        self.assertEqual(500, self.log.assert_requested("GET", "/boom").status)

    def test_assert_requested_returns_the_request(self):
        request(self.layer, "GET", "/app.js?v=2")
        found = self.log.assert_requested("get", "/app.js", status=200)
        self.assertEqual("/app.js?v=2", found.target)
        self.log.assert_requested("GET", "/app.js?v=2", count=1)

    def test_assert_requested_failure_lists_requests_and_near_misses(self):
        request(self.layer, "GET", "/app.mjs")
        request(self.layer, "POST", "/app.js")
        request(self.layer, "GET", "/style.css")
        with self.assertRaises(AssertionError) as caught:
            self.log.assert_requested("GET", "/app.js", status=200)
        lines = str(caught.exception).splitlines()
        self.assertEqual(
            "Expected GET /app.js -> 200; the server received:", lines[0]
        )
        received = lines[1 : lines.index("Near misses:")]
        self.assertEqual(
            ["GET /app.mjs", "POST /app.js", "GET /style.css"],
            [line.split(" -> ")[0].strip() for line in received],
        )
        near = lines[lines.index("Near misses:") + 1 :]
        self.assertEqual(
            ["GET /app.mjs -> 200", "POST /app.js -> 200"],
            [line.strip().split(" (")[0] for line in near],
        )

    def test_assert_requested_without_any_request(self):
        with self.assertRaises(AssertionError) as caught:
            self.log.assert_requested("GET", "/")
        self.assertEqual(
            "Expected GET /; the server received:\n  (no request)",
            str(caught.exception),
        )

    def test_assert_requested_count(self):
        request(self.layer, "GET", "/x")
        with self.assertRaises(AssertionError) as caught:
            self.log.assert_requested("GET", "/x", count=2)
        self.assertIn(
            "Expected GET /x, 2 times (found 1)", str(caught.exception)
        )

    def test_assert_not_requested(self):
        request(self.layer, "DELETE", "/item")
        self.log.assert_not_requested("GET", "/item")
        with self.assertRaises(AssertionError) as caught:
            self.log.assert_not_requested("DELETE", "/item")
        self.assertIn(
            "Expected no DELETE /item, but the server answered:",
            str(caught.exception),
        )


STATIC = gocept.httpserverlayer.static.Layer(name="RecordsStatic")


class StaticRecordsTest(unittest.TestCase):
    layer = STATIC

    def test_static_requests_are_recorded(self):
        request(self.layer, "GET", "/missing.js")
        self.layer["http_requests"].assert_requested("GET", "/missing.js", 404)


class Handler(gocept.httpserverlayer.custom.RequestHandler):
    def do_GET(self):
        self.send_response(204)
        self.end_headers()


CUSTOM = gocept.httpserverlayer.custom.Layer(Handler, name="RecordsCustom")


class CustomRecordsTest(unittest.TestCase):
    layer = CUSTOM

    def test_custom_handler_requests_are_recorded(self):
        request(self.layer, "GET", "/c?q=1", headers={"X-Test": "c"})
        found = self.layer["http_requests"].assert_requested("GET", "/c", 204)
        self.assertEqual(("q=1", "c"), (found.query, found.header("X-Test")))
        self.assertLess(0, found.duration)


class CustomRejectedRecordsTest(unittest.TestCase):
    layer = CUSTOM

    def test_request_rejected_while_parsing_is_recorded(self):
        huge = b"GET / HTTP/1.1\r\nX-Big: " + b"v" * 70000 + b"\r\n\r\n"
        with captured_stderr() as stderr:
            with socket.create_connection(
                ("localhost", self.layer["http_port"]), timeout=10
            ) as sock:
                sock.sendall(huge)
                self.assertIn(b" 431 ", sock.recv(100))
        self.assertEqual("", stderr.getvalue())
        (found,) = self.layer["http_requests"]
        self.assertEqual((431, []), (found.status, found.headers))
