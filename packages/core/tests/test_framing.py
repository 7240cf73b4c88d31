"""Request framing over real sockets: what the wsgi and static layers serve.

Each test is one finding of issue 13 (hostile byte streams compared with
h11 and llhttp): a request the engine took differently from both, now
refused or served as RFC 9110 and RFC 9112 say. The parser's rules
themselves are tabled in ``test_parser``.
"""

from __future__ import annotations

from support import Raw
from support import ServerTest
from support import captured_log
from support import captured_stderr
from test_badinput import BadInputTest
from test_badinput import chunked
from test_badinput import environ_app
from test_badinput import reading_app
from test_badinput import with_length

import gocept.httpserverlayer.static

SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


def seen_paths(environ, start_response):
    """Answers with the path; a smuggled request would show up."""
    start_response("200 OK", [])
    return [b"path " + environ["PATH_INFO"].encode("latin-1")]


class ContentLengthDigitsTest(BadInputTest):
    def test_more_digits_than_int_converts_is_a_400_not_an_error(self):
        self.serve(reading_app)
        errors = self.layer["http_errors"]
        self.assertRejected(with_length(b"1" * 5000), 400)
        self.assertEqual([], errors)

    def test_more_than_20_digits_is_a_400(self):
        self.assertRejected(with_length(b"1" * 21), 400)


class ChunkedStrictnessTest(BadInputTest):
    """RFC 9112 7.1: CRLF after every chunk line, BWS only before ';'."""

    def assertRefused(self, body):
        self.serve(seen_paths)
        self.assertRejected(chunked(body + SMUGGLED), 400)

    def test_bare_lf_after_the_chunk_size(self):
        self.assertRefused(b"5\nhello\r\n0\r\n\r\n")

    def test_bare_lf_after_the_chunk_data(self):
        self.assertRefused(b"5\r\nhello\n0\r\n\r\n")

    def test_bare_lf_after_the_last_chunk(self):
        self.assertRefused(b"5\r\nhello\r\n0\n\r\n")

    def test_whitespace_around_the_chunk_size(self):
        for line in (b" 5", b"5 ", b"5\t", b"5\x0b", b"5\x0c", b"\x0b5"):
            with self.subTest(line=line):
                self.assertRefused(line + b"\r\nhello\r\n0\r\n\r\n")
            while self._raws:  # the next check starts with no connection
                self._raws.pop().close()

    def test_whitespace_before_an_extension_is_fine(self):
        self.serve(reading_app)
        response = self.raw().send(chunked(b"5 ;a=b\r\nhello\r\n0\r\n\r\n"))
        self.assertEqual(b"read 5", response.response().body)

    def test_a_request_line_as_trailer_is_refused(self):
        self.assertRefused(b"0\r\n")

    def test_a_request_line_as_last_chunk_extension_is_refused(self):
        self.serve(seen_paths)
        self.assertRejected(chunked(b"0;" + SMUGGLED), 400)


class CarriageReturnTest(BadInputTest):
    def test_a_cr_left_before_crlf_is_not_stripped(self):
        data = (
            b"POST / HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\r\n\r\n0\r\n\r\n" + SMUGGLED
        )
        self.serve(seen_paths)
        self.assertRejected(data, 400)


class ConnectionTokensTest(ServerTest):
    def test_closed_is_not_close(self):
        raw = self.raw().request("GET", "/", "Connection: closed")
        self.assertIsNone(raw.response().header("Connection"))
        self.assertEqual(b"hello /2", raw.request("GET", "/2").response().body)

    def test_close_in_a_list(self):
        raw = self.raw().request("GET", "/", "Connection: Upgrade, CLOSE")
        self.assertEqual("close", raw.response().header("Connection"))
        self.assertTrue(raw.closed())


class TargetTest(ServerTest):
    def environ_of(self, target, *keys):
        self.serve(environ_app(*keys))
        return self.raw().request("GET", target).response().body.decode()

    def test_absolute_form_without_a_path_keeps_its_query(self):
        self.assertEqual(
            "'/'|'x=1'",
            self.environ_of("http://x?x=1", "PATH_INFO", "QUERY_STRING"),
        )

    def test_a_fragment_is_cut_from_the_query(self):
        self.assertEqual(
            "'/a'|'b'", self.environ_of("/a?b#c", "PATH_INFO", "QUERY_STRING")
        )


class VersionTest(ServerTest):
    def test_http_1_2_is_served_as_1_1(self):
        response = (
            self.raw().request("GET", "/", version="HTTP/1.2").response()
        )
        self.assertEqual(
            ("HTTP/1.1", 200, b"hello /"),
            (response.version, response.status, response.body),
        )


class NotAProxyTest(BadInputTest):
    def test_connect_is_not_implemented(self):
        self.assertRejected(
            b"CONNECT example.org:443 HTTP/1.1\r\n"
            b"Host: example.org:443\r\n\r\n",
            501,
        )

    def test_another_scheme_is_not_implemented(self):
        self.assertRejected(
            b"GET ftp://example.org/f HTTP/1.1\r\nHost: example.org\r\n\r\n",
            501,
        )

    def test_the_reason_is_named(self):
        raw = self.raw().send(b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n")
        self.assertIn(b"not a proxy", raw.response().body)


STATIC = gocept.httpserverlayer.static.Layer(name="FramingStatic")


class StaticContinueTest(ServerTest):
    """static.Layer does not read bodies: 100-continue and pipelining."""

    layer = STATIC

    def setUp(self):
        super().setUp()
        for name in ("a.txt", "b.txt"):
            with open(f"{self.layer['documentroot']}/{name}", "w") as f:
                f.write(name)

    def request(self, path, *headers):
        lines = [f"GET {path} HTTP/1.1", "Host: x", *headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def test_pipelined_requests_after_an_unread_expected_body(self):
        raw = self.raw().send(
            self.request("/a.txt", "Expect: 100-continue", "Content-Length: 5")
            + b"hello"
            + self.request("/b.txt")
        )
        self.assertEqual(b"a.txt", raw.response().body)
        self.assertEqual(b"b.txt", raw.response().body)

    def test_a_body_held_back_closes_and_says_so(self):
        raw = self.raw().send(
            self.request("/a.txt", "Expect: 100-continue", "Content-Length: 5")
        )
        response = raw.response()
        self.assertEqual(
            (b"a.txt", "close"), (response.body, response.header("Connection"))
        )
        self.assertTrue(raw.closed())


class EngineContinueTest(ServerTest):
    def test_body_sent_without_waiting_keeps_the_connection(self):
        # In one packet: the body has arrived when the response starts.
        self.serve(seen_paths)
        raw = self.raw().send(
            b"POST /1 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            b"Content-Length: 5\r\n\r\nhello"
            b"GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        self.assertEqual(b"path /1", raw.response().body)
        self.assertEqual(b"path /2", raw.response().body)


class RejectedRecordsTest(ServerTest):
    def test_a_rejected_request_is_recorded_with_its_status(self):
        raw = self.raw().send(with_length(b"x"))
        self.assertEqual(400, raw.response().status)
        (found,) = self.layer["http_requests"]
        self.assertEqual(
            ("POST", "/", 400), (found.method, found.path, found.status)
        )

    def test_nothing_is_printed(self):
        with captured_stderr() as stderr, captured_log() as records:
            raw = Raw(self.port).send(b"GET /\r\n\r\n")
            raw.response()
            raw.close()
            self.wait_idle()
        self.assertEqual(("", []), (stderr.getvalue(), records))
