"""Bad input (DESIGN.md section 6) over real sockets.

Every rejected request gets a well-formed 4xx that closes the connection,
never reaches the application, writes nothing to stderr or the log, and
the next request (on a new connection) is served.
"""

from __future__ import annotations

from support import DISPATCH
from support import ServerTest

from gocept.httpserverlayer._testing.capture import captured_log
from gocept.httpserverlayer._testing.capture import captured_stderr

HOST = b"Host: x\r\n"


def environ_app(*keys):
    """An app answering with the environ values of ``keys``, latin-1."""

    def app(environ, start_response):
        body = "|".join(repr(environ.get(key)) for key in keys)
        start_response("200 OK", [])
        return [body.encode("utf-8")]

    return app


def reading_app(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [])
    return [b"read %d" % len(body)]


class BadInputTest(ServerTest):
    def assertRejected(self, data, status, app_calls=0):
        """Send ``data``: a well-formed ``status``, nothing else happens."""
        calls = DISPATCH.calls
        with captured_stderr() as stderr, captured_log() as records:
            raw = self.raw().send(data)
            response = raw.response()
            self.assertTrue(raw.closed(), "The connection stays open.")
            raw.close()
            self.wait_idle()
        self.assertWellFormed(response, status)
        self.assertEqual(("", []), (stderr.getvalue(), records))
        self.assertEqual(app_calls, DISPATCH.calls - calls)
        self.assertServing()

    def assertWellFormed(self, response, status):
        self.assertEqual(
            ("HTTP/1.1", status), (response.version, response.status)
        )
        self.assertTrue(response.head.endswith(b"\r\n"))
        self.assertTrue(response.reason)
        self.assertEqual(
            str(len(response.body)), response.header("Content-Length")
        )
        self.assertTrue(response.body.endswith(b"\n"))
        self.assertEqual("close", response.header("Connection"))

    def assertServed(self, data, body=b"hello /"):
        response = self.raw().send(data).response()
        self.assertEqual((200, body), (response.status, response.body))


class RequestLineTest(BadInputTest):
    def test_missing_version(self):
        self.assertRejected(b"GET /\r\n\r\n", 400)

    def test_method_only(self):
        self.assertRejected(b"GET\r\n\r\n", 400)

    def test_extra_space_between_parts(self):
        self.assertRejected(b"GET  / HTTP/1.1\r\n" + HOST + b"\r\n", 400)

    def test_trailing_space(self):
        self.assertRejected(b"GET / HTTP/1.1 \r\n" + HOST + b"\r\n", 400)

    def test_four_parts(self):
        self.assertRejected(b"GET / x HTTP/1.1\r\n" + HOST + b"\r\n", 400)

    def test_bad_method_token(self):
        self.assertRejected(b"G(T / HTTP/1.1\r\n" + HOST + b"\r\n", 400)

    def test_control_character_in_target(self):
        self.assertRejected(b"GET /a\x01b HTTP/1.1\r\n" + HOST + b"\r\n", 400)

    def test_nul_in_target(self):
        self.assertRejected(b"GET /a\x00 HTTP/1.1\r\n" + HOST + b"\r\n", 400)

    def test_target_without_slash(self):
        self.assertRejected(
            b"GET index.html HTTP/1.1\r\n" + HOST + b"\r\n", 400
        )

    def test_non_ascii_garbage(self):
        self.assertRejected(b"\xff\xfe\xfd\xfc\r\n\r\n", 400)

    def test_non_ascii_method(self):
        self.assertRejected(b"G\xc3\x89T / HTTP/1.1\r\n" + HOST + b"\r\n", 400)

    def test_binary_garbage(self):
        self.assertRejected(
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n", 400
        )

    def test_lone_lf_line_endings_are_fine(self):
        self.assertServed(b"GET / HTTP/1.1\nHost: x\n\n")

    def test_empty_line_before_the_request_line_is_ignored(self):
        self.assertServed(b"\r\nGET / HTTP/1.1\r\n" + HOST + b"\r\n")

    def test_request_line_over_16_kib(self):
        path = b"/" + b"a" * 16 * 1024
        self.assertRejected(
            b"GET " + path + b" HTTP/1.1\r\n" + HOST + b"\r\n", 414
        )


class VersionTest(BadInputTest):
    def test_http_2_0_is_not_supported(self):
        self.assertRejected(b"GET / HTTP/2.0\r\n" + HOST + b"\r\n", 505)

    def test_http_1_x_is_garbage(self):
        self.assertRejected(b"GET / HTTP/1.x\r\n" + HOST + b"\r\n", 400)

    def test_lowercase_http(self):
        self.assertRejected(b"GET / http/1.1\r\n" + HOST + b"\r\n", 400)

    def test_http_1_0_without_host_is_served(self):
        self.assertServed(b"GET / HTTP/1.0\r\n\r\n")


def with_length(*values, body=b"0123456789ab"):
    headers = b"".join(b"Content-Length: %s\r\n" % v for v in values)
    return b"POST / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n" + body


class ContentLengthTest(BadInputTest):
    def test_non_numeric(self):
        self.assertRejected(with_length(b"twelve"), 400)

    def test_negative(self):
        self.assertRejected(with_length(b"-12"), 400)

    def test_plus_sign(self):
        self.assertRejected(with_length(b"+12"), 400)

    def test_empty(self):
        self.assertRejected(with_length(b""), 400)

    def test_non_ascii_digit(self):
        # "\xb2" is SUPERSCRIPT TWO in latin-1: str.isdigit() says yes.
        self.assertRejected(with_length(b"\xb2"), 400)

    def test_conflicting_values_in_one_header(self):
        self.assertRejected(with_length(b"12, 13"), 400)

    def test_conflicting_duplicate_headers(self):
        self.assertRejected(with_length(b"12", b"13"), 400)

    def test_identical_duplicates_are_accepted(self):
        self.serve(reading_app)
        self.assertServed(with_length(b"12, 12"), b"read 12")
        self.assertServed(with_length(b"12", b"12"), b"read 12")

    def test_with_transfer_encoding(self):
        data = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        data += b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        self.assertRejected(data, 400)


def chunked(body, encoding=b"chunked", version=b"HTTP/1.1"):
    return (
        b"POST / "
        + version
        + b"\r\nHost: x\r\nTransfer-Encoding: "
        + encoding
        + b"\r\n\r\n"
        + body
    )


class TransferEncodingTest(BadInputTest):
    def test_other_than_chunked_is_not_implemented(self):
        self.assertRejected(chunked(b"", b"gzip"), 501)

    def test_gzip_then_chunked_is_not_implemented(self):
        self.assertRejected(chunked(b"0\r\n\r\n", b"gzip, chunked"), 501)

    def test_chunked_on_http_1_0(self):
        self.assertRejected(chunked(b"0\r\n\r\n", version=b"HTTP/1.0"), 400)

    def test_bad_chunk_size_before_the_app_runs(self):
        self.serve(reading_app)
        self.assertRejected(chunked(b"zz\r\nabc\r\n0\r\n\r\n"), 400)

    def test_negative_chunk_size_before_the_app_runs(self):
        self.serve(reading_app)
        self.assertRejected(chunked(b"-3\r\nabc\r\n0\r\n\r\n"), 400)

    def test_chunk_without_crlf_before_the_app_runs(self):
        self.serve(reading_app)
        self.assertRejected(chunked(b"3\r\nabcdef\r\n0\r\n\r\n"), 400)


def headers(*lines):
    return (
        b"GET / HTTP/1.1\r\n"
        + b"".join(line + b"\r\n" for line in lines)
        + b"\r\n"
    )


class HeaderTest(BadInputTest):
    def test_missing_host_on_http_1_1(self):
        self.assertRejected(headers(b"Accept: */*"), 400)

    def test_two_host_headers(self):
        self.assertRejected(headers(b"Host: a", b"Host: b"), 400)

    def test_obs_fold_continuation_line(self):
        self.assertRejected(headers(b"Host: x", b"X-A: a", b" folded"), 400)

    def test_header_without_colon(self):
        self.assertRejected(headers(b"Host: x", b"X-A a"), 400)

    def test_space_before_the_colon(self):
        self.assertRejected(headers(b"Host : x"), 400)

    def test_control_character_in_a_value(self):
        self.assertRejected(headers(b"Host: x", b"X-A: a\x00b"), 400)

    def test_one_header_line_over_64_kib(self):
        self.assertRejected(headers(HOST[:-2], b"X-A: " + b"a" * 65536), 431)

    def test_headers_over_64_kib_in_total(self):
        many = [b"X-%d: %s" % (i, b"a" * 1000) for i in range(70)]
        self.assertRejected(headers(HOST[:-2], *many), 431)

    def test_more_than_100_headers(self):
        many = [b"X-%d: a" % i for i in range(101)]
        self.assertRejected(headers(HOST[:-2], *many), 431)

    def test_100_headers_are_fine(self):
        self.assertServed(
            headers(HOST[:-2], *[b"X-%d: a" % i for i in range(99)])
        )


class PathTest(BadInputTest):
    def path_info(self, target):
        self.serve(environ_app("PATH_INFO", "QUERY_STRING"))
        response = self.raw().request("GET", target).response()
        return response.body.decode("utf-8")

    def test_non_utf8_raw_path_is_latin1(self):
        self.serve(environ_app("PATH_INFO"))
        response = (
            self.raw()
            .send(b"GET /caf\xe9 HTTP/1.1\r\nHost: x\r\n\r\n")
            .response()
        )
        self.assertEqual("'/caf\xe9'", response.body.decode("utf-8"))

    def test_percent_encoded_utf8_is_latin1_of_the_bytes(self):
        self.assertEqual(
            "'/caf\xc3\xa9'|'a=%C3%A9'", self.path_info("/caf%C3%A9?a=%C3%A9")
        )

    def test_percent_encoded_non_utf8(self):
        self.assertEqual("'/\xff/x'|''", self.path_info("/%FF%2Fx"))

    def test_absolute_form_target(self):
        self.assertEqual("'/p'|'q'", self.path_info("http://example.org/p?q"))

    def test_underscore_headers_are_not_passed_to_the_app(self):
        self.serve(environ_app("HTTP_X_FOO"))
        raw = self.raw().request("GET", "/", "X_Foo: spoofed")
        self.assertEqual(b"None", raw.response().body)

    def test_dash_header_is_passed_without_its_underscore_twin(self):
        self.serve(environ_app("HTTP_X_FOO"))
        raw = self.raw().request("GET", "/", "X_Foo: spoofed", "X-Foo: real")
        self.assertEqual(b"'real'", raw.response().body)
