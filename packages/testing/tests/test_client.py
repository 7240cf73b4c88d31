"""The strict response parser: h11 in the client role, and what RFC 9112
asks of a server beyond it. Tables of bytes, no socket."""

import unittest

from gocept.httpserverlayer._testing.client import parse

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
CLOSE = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 1\r\n"
    b"Connection: close\r\n\r\nx"
)
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"2\r\nab\r\n0\r\n\r\n"
)

VALID = [
    # (what the server sent, methods, statuses, bodies)
    (OK + OK, (), [200, 200], [b"ok", b"ok"]),
    (b"HTTP/1.1 100 Continue\r\n\r\n" + OK, (), [100, 200], [b"", b"ok"]),
    (OK + CLOSE, (), [200, 400], [b"ok", b"x"]),
    (CHUNKED, (), [200], [b"ab"]),
    (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", (), [200],
     [b"until the end"]),
    # HEAD: the Content-Length is that of the GET, no body follows.
    (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n" + OK, ("HEAD", "GET"),
     [200, 200], [b"", b"ok"]),
    (b"", (), [], []),
]  # fmt: skip

INVALID = [
    # (what the server sent, the start of the AssertionError's message)
    (CLOSE + OK, "Data after Connection: close"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", "Body cut short"),
    (b"HTTP/1.1 200 OK\r\n\r\nab", "No framing and no Connection: close"),
    (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nab", "Not HTTP/1.1"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n" + CHUNKED[17:],
     "Both Content-Length and Transfer-Encoding"),
    (b"HTTP/1.1 200 OK\r\nX: a\x00b\r\nContent-Length: 0\r\n\r\n",
     "Not a valid HTTP/1.1 response (illegal header line"),
    (b"HTTP/1.1 200 OK\r\nX : a\r\nContent-Length: 0\r\n\r\n",
     "Not a valid HTTP/1.1 response (illegal header line"),
    (CHUNKED.replace(b"ab\r\n", b"abXX"),
     "Not a valid HTTP/1.1 response (malformed chunk footer"),
    (b"HTTP/1.1 200 OK\nContent-Length: 0\n\n", "Bare LF in the head"),
    (OK + b"HTTP/1.1 20", "Not a valid HTTP/1.1 response"),
    (b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
     "Not a valid HTTP/1.1 response (illegal status line"),
    (b"garbage", "Not a valid HTTP/1.1 response"),
]  # fmt: skip


class ParseTest(unittest.TestCase):
    def test_valid_responses_are_read_as_sent(self):
        for data, methods, statuses, bodies in VALID:
            with self.subTest(data=data):
                responses = parse(data, methods=methods)
                self.assertEqual(statuses, [r.status for r in responses])
                self.assertEqual(bodies, [r.body for r in responses])

    def test_invalid_responses_are_refused_naming_the_fault(self):
        for data, message in INVALID:
            with self.subTest(data=data):
                with self.assertRaises(AssertionError) as caught:
                    parse(data)
                self.assertTrue(
                    str(caught.exception).startswith(message),
                    str(caught.exception),
                )

    def test_http_1_0_status_lines_pass_for_custom_layer(self):
        data = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nab"
        self.assertEqual([200], [r.status for r in parse(data, custom=True)])

    def test_head_keeps_the_status_line_as_sent(self):
        data = b"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n"
        (response,) = parse(data)
        self.assertEqual((data, ""), (response.head, response.reason))
