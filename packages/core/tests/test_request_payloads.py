"""The request record keeps payloads: body, JSON, form, matchers, wait()."""

import http.server
import json
import threading
import time
import unittest

from support import Raw
from support import ServerTest

import gocept.httpserverlayer.custom

MULTIPART = (
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="title"\r\n\r\n'
    b"Caf\xc3\xa9\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="tag"\r\n\r\n'
    b"a\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="tag"\r\n\r\n'
    b"b\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="upload"; filename="n.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\n"
    b"file\r\ncontent\r\n"
    b"--XyZ--\r\n"
)


def ignore(environ, start_response):
    """Answers without reading the body, as a beacon endpoint does."""
    start_response("204 No Content", [])
    return []


def echo(environ, start_response):
    """Answers with the body, read after the response has begun."""
    start_response("200 OK", [("Content-Type", "application/data")])
    yield b"<"
    yield environ["wsgi.input"].read()
    yield b">"


def echo_first(environ, start_response):
    """Reads the body, then answers with it."""
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/data")])
    return [b"<", body, b">"]


def echo_lines(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/data")])
    yield b"|".join(environ["wsgi.input"].readlines())


class BodyRecordTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.log = self.layer["http_requests"]
        self.addCleanup(setattr, self.log, "max_body", self.log.max_body)

    def post(self, path, body, *headers):
        raw = self.raw()
        return raw.request("POST", path, *headers, body=body).response()

    def test_body_the_app_ignored_is_in_the_record(self):
        self.serve(ignore)
        payload = {"event": "click", "n": 2}
        self.post("/beacon", json.dumps(payload).encode())
        found = self.log.assert_requested("POST", "/beacon", 204)
        self.assertEqual(payload, found.json())
        self.assertFalse(found.body_truncated)

    def test_app_reads_the_body_it_would_have_read(self):
        self.serve(echo)
        response = self.post("/echo", b"0123456789")
        self.assertEqual(b"<0123456789>", response.body)
        self.assertEqual(b"0123456789", self.log[0].body)

    def test_lines_read_after_the_record_are_whole(self):
        self.serve(echo_lines)
        response = self.post("/lines", b"a\nbb\nccc")
        self.assertEqual(b"a\n|bb\n|ccc", response.body)
        self.assertEqual(b"a\nbb\nccc", self.log[0].body)

    def test_body_over_the_bound_is_cut_and_flagged(self):
        self.log.max_body = 10
        self.serve(echo)
        response = self.post("/big", b"x" * 25)
        self.assertEqual(b"<" + b"x" * 25 + b">", response.body)
        (found,) = self.log
        self.assertEqual((b"x" * 10, True), (found.body, found.body_truncated))
        with self.assertRaises(ValueError) as caught:
            found.json()
        self.assertEqual(
            f"The body of {found.describe()} was cut at 10 bytes, so it"
            " cannot be read as JSON: raise the layer's"
            " http_requests.max_body before the request.",
            str(caught.exception),
        )

    def test_body_of_exactly_the_bound_is_not_flagged(self):
        self.log.max_body = 10
        self.serve(ignore)
        self.post("/ten", b"y" * 10)
        (found,) = self.log
        self.assertEqual(
            (b"y" * 10, False), (found.body, found.body_truncated)
        )

    def test_keep_alive_goes_on_after_a_cut_unread_body(self):
        self.log.max_body = 4
        self.serve(ignore)
        raw = self.raw()
        raw.request("POST", "/one", body=b"z" * 5000)
        self.assertEqual(204, raw.response().status)
        raw.request("POST", "/two", body=b"two")
        self.assertEqual(204, raw.response().status)
        self.assertEqual(
            [(b"zzzz", True), (b"two", False)],
            [(r.body, r.body_truncated) for r in self.log],
        )

    def test_max_body_zero_keeps_only_the_flag(self):
        self.log.max_body = 0
        self.serve(echo)
        self.assertEqual(b"<abc>", self.post("/none", b"abc").body)
        (found,) = self.log
        self.assertEqual((b"", True), (found.body, found.body_truncated))

    def test_chunked_body_is_recorded(self):
        self.serve(ignore)
        raw = self.raw()
        raw.send(
            b"PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        )
        self.assertEqual(204, raw.response().status)
        self.assertEqual(b"abcde", self.log[0].body)

    def test_request_without_body(self):
        self.get("/plain")
        (found,) = self.log
        self.assertEqual((b"", False), (found.body, found.body_truncated))
        self.assertEqual({}, found.form)

    def test_expect_continue_not_taken_up_sends_no_body(self):
        self.serve(ignore)
        raw = self.raw()
        raw.request("POST", "/up", "Expect: 100-continue", "Content-Length: 5")
        self.assertEqual(204, raw.response().status)
        self.assertEqual(b"", self.log[0].body)

    def test_expect_continue_taken_up_is_recorded(self):
        self.serve(echo_first)
        raw = self.raw()
        raw.request("POST", "/up", "Expect: 100-continue", "Content-Length: 5")
        self.assertEqual(100, raw.response().status)
        raw.send(b"hello")
        self.assertEqual(b"<hello>", raw.response().body)
        self.assertEqual(b"hello", self.log[0].body)

    def test_json_error_names_the_request(self):
        self.serve(ignore)
        self.post("/j", b"{not json")
        with self.assertRaises(ValueError) as caught:
            self.log[0].json()
        message = str(caught.exception)
        self.assertTrue(
            message.startswith("The body of POST /j -> 204"), message
        )
        self.assertIn("is not JSON (", message)
        self.assertTrue(message.endswith(": b'{not json'."), message)


class FormRecordTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.serve(ignore)
        self.log = self.layer["http_requests"]

    def post(self, body, content_type):
        raw = self.raw()
        raw.request("POST", "/f", f"Content-Type: {content_type}", body=body)
        raw.response()
        return self.log[-1]

    def test_urlencoded_form(self):
        found = self.post(
            b"q=caf%C3%A9&tag=a&tag=b&empty=",
            "application/x-www-form-urlencoded",
        )
        self.assertEqual({"q": "café", "tag": "a", "empty": ""}, found.form)
        self.assertEqual(["a", "b"], found.form.getall("tag"))
        self.assertEqual([], found.form.getall("missing"))
        self.assertEqual({}, found.files)

    def test_multipart_form_and_files(self):
        found = self.post(MULTIPART, "multipart/form-data; boundary=XyZ")
        self.assertEqual({"title": "Café", "tag": "a"}, found.form)
        self.assertEqual(["a", "b"], found.form.getall("tag"))
        upload = found.files["upload"]
        self.assertEqual(
            ("n.txt", "text/plain", b"file\r\ncontent"),
            (upload.filename, upload.content_type, upload.content),
        )

    def test_other_body_has_no_form(self):
        found = self.post(b'{"a": 1}', "application/json")
        self.assertEqual(({}, {"a": 1}), (found.form, found.json()))


class MatcherTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.log = self.layer["http_requests"]

    def test_query_as_mapping_or_string(self):
        self.get("/s?q=x&tag=a&tag=b&page=2")
        self.get("/s?q=y")
        self.assertEqual(
            ["q=y"], [r.query for r in self.log.find(query="q=y")]
        )
        self.assertEqual(2, len(self.log.find(path="/s")))
        found = self.log.find(query={"q": "x", "tag": ["a", "b"]})
        self.assertEqual(
            ["/s?q=x&tag=a&tag=b&page=2"], [r.target for r in found]
        )
        self.assertEqual([], self.log.find(query={"tag": "a"}))
        self.assertEqual({"q": "y"}, self.log[1].args)

    def test_headers_any_case(self):
        raw = self.raw()
        raw.request("GET", "/h", "X-Token: secret", "Accept: text/html")
        raw.response()
        found = self.log.assert_requested(
            "GET", "/h", headers={"x-token": "secret", "ACCEPT": "text/html"}
        )
        self.assertEqual("/h", found.path)
        self.assertEqual([], self.log.find(headers={"X-Token": "other"}))

    def test_where(self):
        self.get("/a")
        self.get("/b")
        found = self.log.find(where=lambda r: r.path.endswith("b"))
        self.assertEqual(["/b"], [r.path for r in found])

    def test_failure_says_every_criterion(self):
        self.get("/s?q=x")

        def has_cookie(request):
            return request.header("cookie") is not None

        with self.assertRaises(AssertionError) as caught:
            self.log.assert_requested(
                "GET",
                "/s",
                200,
                query={"q": "y"},
                headers={"X-A": "1"},
                where=has_cookie,
            )
        lines = str(caught.exception).splitlines()
        self.assertEqual(
            "Expected GET /s -> 200 with query {'q': 'y'} with headers"
            " {'X-A': '1'} where has_cookie; the server received:",
            lines[0],
        )
        self.assertEqual("Near misses:", lines[2])


class WaitTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.log = self.layer["http_requests"]

    def later(self, path, delay=0.2):
        thread = threading.Thread(
            target=lambda: (time.sleep(delay), self.get(path))
        )
        thread.start()
        self.addCleanup(thread.join)

    def test_wait_returns_a_request_made_later(self):
        self.later("/late?n=1")
        found = self.log.wait("GET", "/late", query={"n": "1"}, timeout=10)
        self.assertEqual("/late?n=1", found.target)

    def test_wait_for_a_count(self):
        self.later("/again", 0.05)
        self.later("/again", 0.2)
        first = self.log.wait(path="/again", count=2, timeout=10)
        self.assertEqual(2, len(self.log.find(path="/again")))
        self.assertIs(self.log[0], first)

    def test_wait_times_out_with_what_the_server_received(self):
        self.get("/other")
        with self.assertRaises(AssertionError) as caught:
            self.log.wait("POST", "/never", timeout=0.1)
        self.assertEqual(
            "Waited 0.1 s for POST /never; the server received:\n"
            "  GET /other -> 200",
            str(caught.exception).split(" (")[0],
        )

    def test_wait_without_criteria_and_count(self):
        with self.assertRaises(AssertionError) as caught:
            self.log.wait(count=3, timeout=0.05)
        self.assertEqual(
            "Waited 0.05 s for a request, 3 times (found 0); the server"
            " received:\n  (no request)",
            str(caught.exception),
        )


class ReadingHandler(gocept.httpserverlayer.custom.RequestHandler):
    protocol_version = "HTTP/1.1"  # two requests on one connection

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        data = self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


CUSTOM = gocept.httpserverlayer.custom.Layer(
    ReadingHandler, name="PayloadsCustom"
)


class CustomBodyRecordTest(unittest.TestCase):
    layer = CUSTOM

    def post(self, body):
        raw = Raw(self.layer["http_port"])
        self.addCleanup(raw.close)
        raw.request("POST", "/c", "Content-Type: application/json", body=body)
        raw.request("POST", "/d", body=b"second")
        return raw.response(), raw.response()

    def test_body_the_handler_read_is_recorded(self):
        first, second = self.post(b'{"a": [1, 2]}')
        self.assertEqual(
            (b'{"a": [1, 2]}', b"second"), (first.body, second.body)
        )
        one, two = self.layer["http_requests"]
        self.assertEqual({"a": [1, 2]}, one.json())
        self.assertEqual((b"second", False), (two.body, two.body_truncated))

    def test_body_over_the_bound_is_cut(self):
        log = self.layer["http_requests"]
        self.addCleanup(setattr, log, "max_body", log.max_body)
        log.max_body = 3
        self.post(b"abcdef")
        self.assertEqual(
            [(b"abc", True), (b"sec", True)],
            [(r.body, r.body_truncated) for r in log],
        )


class IgnoringHandler(http.server.BaseHTTPRequestHandler):
    """A handler on plain http.server, as 4.x users write them, that
    answers without reading the body."""

    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.send_response(204)
        self.end_headers()

    def log_message(self, format, *args):
        pass


PLAIN = gocept.httpserverlayer.custom.Layer(
    IgnoringHandler, name="PayloadsPlainHandler"
)


class PlainHandlerBodyRecordTest(unittest.TestCase):
    layer = PLAIN

    def test_body_a_plain_handler_ignored_is_recorded(self):
        raw = Raw(self.layer["http_port"])
        self.addCleanup(raw.close)
        raw.request("POST", "/e", body=b"unread")
        raw.request("POST", "/f", body=b"also unread")
        self.assertEqual(
            [204, 204], [raw.response().status, raw.response().status]
        )
        self.assertEqual(
            [("/e", b"unread"), ("/f", b"also unread")],
            [(r.path, r.body) for r in self.layer["http_requests"]],
        )
