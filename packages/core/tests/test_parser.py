"""The request parser, without sockets: tables of bytes and what they mean.

Each row names the rule of RFC 9110 or RFC 9112 it checks. Requests that
go over a real socket, and what every layer answers to them, are in
``test_framing`` and ``test_handler_route``.
"""

from __future__ import annotations

import io
import unittest

from gocept.httpserverlayer._errors import ClientDisconnected
from gocept.httpserverlayer._errors import Rejected
from gocept.httpserverlayer._parser import MAX_HEADERS
from gocept.httpserverlayer._parser import Body
from gocept.httpserverlayer._parser import content_length
from gocept.httpserverlayer._parser import parse_head
from gocept.httpserverlayer._parser import read_chunked

H = b"Host: x\r\n"


def get(target=b"/", version=b"HTTP/1.1", *headers):
    lines = b"".join(h + b"\r\n" for h in headers)
    return b"GET " + target + b" " + version + b"\r\n" + lines + b"\r\n"


def post(*headers):
    return get(b"/", b"HTTP/1.1", b"Host: x", *headers).replace(
        b"GET", b"POST", 1
    )


# What a head means: (input, attribute, expected value, rule).
MEANING = [
    (get(b"/a?b=1", b"HTTP/1.1", b"Host: x"), "method", "GET",
     "9112 3: request-line = method SP request-target SP HTTP-version"),
    (get(b"/a?b=1", b"HTTP/1.1", b"Host: x"), "path", "/a",
     "9112 3.2.1: origin-form = absolute-path [ ? query ]"),
    (get(b"/a?b=1", b"HTTP/1.1", b"Host: x"), "query", "b=1",
     "9112 3.2.1: origin-form = absolute-path [ ? query ]"),
    (get(b"/a?b#c", b"HTTP/1.1", b"Host: x"), "query", "b",
     "9110 4.2.5: a fragment is not sent; one that is, is cut"),
    (get(b"/a#c?d", b"HTTP/1.1", b"Host: x"), "path", "/a",
     "9110 4.2.5: a fragment is not sent; one that is, is cut"),
    (get(b"/a#c?d", b"HTTP/1.1", b"Host: x"), "query", "",
     "9110 4.2.5: a fragment is not sent; one that is, is cut"),
    (get(b"http://h/p?q", b"HTTP/1.1", b"Host: h"), "path", "/p",
     "9112 3.2.2: absolute-form"),
    (get(b"http://h?x=1", b"HTTP/1.1", b"Host: h"), "path", "/",
     "9112 3.2.2: absolute-form without a path is the root"),
    (get(b"http://h?x=1", b"HTTP/1.1", b"Host: h"), "query", "x=1",
     "9112 3.2.2: absolute-form without a path keeps its query"),
    (get(b"HTTPS://h/p#f", b"HTTP/1.1", b"Host: h"), "path", "/p",
     "RFC 3986 3.1: the scheme is case-insensitive"),
    (b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "path", "*",
     "9112 3.2.4: asterisk-form, for OPTIONS"),
    (get(b"/caf\xe9", b"HTTP/1.1", b"Host: x"), "path", "/caf\xe9",
     "obs-text in the target, passed on as latin-1 (PEP 3333)"),
    (get(b"/", b"HTTP/1.2", b"Host: x"), "version", "HTTP/1.1",
     "9112 2.3: a higher minor version is served as 1.1"),
    (get(b"/", b"HTTP/1.9", b"Host: x"), "version", "HTTP/1.1",
     "9112 2.3: a higher minor version is served as 1.1"),
    (get(b"/", b"HTTP/1.0"), "version", "HTTP/1.0",
     "9112 2.3: HTTP/1.0, without Host"),
    (get(b"/", b"HTTP/1.1", b"Host: x", b"X-A: \t a  b \t"), "headers",
     ((b"Host", b"x"), (b"X-A", b"a  b")),
     "9112 5: OWS around the field value is not part of it"),
    (get(b"/", b"HTTP/1.1", b"Host: x", b"X-A:"), "headers",
     ((b"Host", b"x"), (b"X-A", b"")),
     "9110 5.5: field-value = *field-content, so it may be empty"),
    (get(b"/", b"HTTP/1.1", b"Host: x", b"X-A: \xe9"), "headers",
     ((b"Host", b"x"), (b"X-A", b"\xe9")),
     "9110 5.5: obs-text in a field value"),
    (b"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", "method", "GET",
     "9112 2.2: an empty line before the request-line is ignored"),
    (b"GET / HTTP/1.1\nHost: x\n\n", "method", "GET",
     "9112 2.2: a bare LF may end a line of the head"),
    (b"get / HTTP/1.1\r\nHost: x\r\n\r\n", "method", "get",
     "9110 9.1: the method is a case-sensitive token"),
]  # fmt: skip

# The framing decision: (input, body, length, keep-alive, expect, rule).
FRAMING = [
    (get(b"/", b"HTTP/1.1", b"Host: x"), Body.NONE, None, True, False,
     "9112 9.3: HTTP/1.1 is persistent"),
    (get(b"/", b"HTTP/1.0"), Body.NONE, None, False, False,
     "9112 9.3: HTTP/1.0 closes"),
    (get(b"/", b"HTTP/1.0", b"Connection: keep-alive"), Body.NONE, None,
     True, False, "9112 9.3: HTTP/1.0 keeps alive when asked to"),
    (get(b"/", b"HTTP/1.0", b"Connection: Keep-Alive, close"), Body.NONE,
     None, False, False, "9112 9.6: close wins"),
    (get(b"/", b"HTTP/1.1", b"Host: x", b"Connection: closed"), Body.NONE,
     None, True, False, "9110 7.6.1: Connection is a list of tokens"),
    (get(b"/", b"HTTP/1.1", b"Host: x", b"Connection: upgrade,CLOSE"),
     Body.NONE, None, False, False,
     "9110 7.6.1: tokens are case-insensitive, in a list"),
    (get(b"/", b"HTTP/1.1", b"Host: x", b"Connection: , ,close ,"),
     Body.NONE, None, False, False, "9110 5.6.1: empty list elements"),
    (post(b"Content-Length: 5"), Body.LENGTH, 5, True, False,
     "9112 6.3: Content-Length frames the body"),
    (post(b"Content-Length: 0"), Body.NONE, 0, True, False,
     "9112 6.3: Content-Length 0 is no body"),
    (post(b"Content-Length: 5, 5"), Body.LENGTH, 5, True, False,
     "9110 8.6: a list of one repeated value"),
    (post(b"Content-Length: 5", b"Content-Length: 5"), Body.LENGTH, 5, True,
     False, "9110 8.6: one value sent twice"),
    (post(b"Content-Length: 00000000000000000005"), Body.LENGTH, 5, True,
     False, "9110 8.6: 1*DIGIT, up to 20 digits"),
    (post(b"Transfer-Encoding: chunked"), Body.CHUNKED, None, True, False,
     "9112 6.3: chunked frames the body"),
    (post(b"Transfer-Encoding: Chunked"), Body.CHUNKED, None, True, False,
     "9112 7: transfer-coding names are case-insensitive"),
    (post(b"Content-Length: 5", b"Expect: 100-continue"), Body.LENGTH, 5,
     True, True, "9110 10.1.1: 100-continue"),
    (post(b"Transfer-Encoding: chunked", b"Expect: 100-Continue"),
     Body.CHUNKED, None, True, True, "9110 10.1.1: case-insensitive"),
    (get(b"/", b"HTTP/1.1", b"Host: x", b"Expect: 100-continue"), Body.NONE,
     None, True, False, "9110 10.1.1: no content, nothing to wait for"),
    (get(b"/", b"HTTP/1.0", b"Content-Length: 3", b"Expect: 100-continue"),
     Body.LENGTH, 3, False, False, "9110 10.1.1: not for HTTP/1.0"),
]  # fmt: skip

# Rejected heads: (input, status, rule).
REJECTED = [
    (b"GET /\r\n\r\n", 400, "9112 3: the request-line needs a version"),
    (b"GET\r\n\r\n", 400, "9112 3: the request-line needs a target"),
    (b"GET  / HTTP/1.1\r\n" + H + b"\r\n", 400, "9112 3: single SP"),
    (b"GET / HTTP/1.1 \r\n" + H + b"\r\n", 400, "9112 3: no trailing SP"),
    (b"GET /\tx HTTP/1.1\r\n" + H + b"\r\n", 400,
     "9112 3.2: no whitespace in the target"),
    (b"GET /a\x7f HTTP/1.1\r\n" + H + b"\r\n", 400,
     "9112 3.2: no DEL in the target"),
    (b"G(T / HTTP/1.1\r\n" + H + b"\r\n", 400, "9110 9.1: method = token"),
    (b"GET / http/1.1\r\n" + H + b"\r\n", 400,
     "9112 2.3: HTTP-name is case-sensitive"),
    (b"GET / HTTP/1.10\r\n" + H + b"\r\n", 400,
     "9112 2.3: HTTP-version = HTTP-name / DIGIT . DIGIT"),
    (b"GET / HTTP/2.0\r\n" + H + b"\r\n", 505,
     "9112 2.3: another major version"),
    (b"GET / HTTP/0.9\r\n\r\n", 505, "9112 2.3: HTTP/0.9 is not served"),
    (b"GET index.html HTTP/1.1\r\n" + H + b"\r\n", 400,
     "9112 3.2: not one of the target's forms"),
    (b"GET ftp://h/f HTTP/1.1\r\n" + H + b"\r\n", 501,
     "9110 4.2: only http and https are served"),
    (b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 501,
     "9110 9.3.6: CONNECT is for proxies"),
    (b"GET * HTTP/1.1\r\n" + H + b"\r\n", 400,
     "9112 3.2.4: asterisk-form is for OPTIONS only"),
    (get(b"/", b"HTTP/1.1"), 400, "9112 3.2: HTTP/1.1 needs Host"),
    (get(b"/", b"HTTP/1.1", b"Host: a", b"Host: b"), 400,
     "9112 3.2: one Host"),
    (get(b"/", b"HTTP/1.0", b"Host: a", b"Host: a"), 400,
     "9112 3.2: one Host in any version"),
    (get(b"/", b"HTTP/1.1", b"Host : x"), 400,
     "9112 5.1: no whitespace between name and colon"),
    (get(b"/", b"HTTP/1.1", b"Host: x", b"Content-Length : 5"), 400,
     "9112 5.1: no whitespace between name and colon"),
    (get(b"/", b"HTTP/1.1", b"Host: x", b"X-A: a", b" folded"), 400,
     "9112 5.2: obs-fold is rejected"),
    (get(b"/", b"HTTP/1.1", b"Host: x", b"X-A a"), 400,
     "9112 5: a field line has a colon"),
    (get(b"/", b"HTTP/1.1", b"Host: x", b"X(A: a"), 400,
     "9110 5.1: field-name = token"),
    (get(b"/", b"HTTP/1.1", b"Host: x", b"X-A: a\x00b"), 400,
     "9110 5.5: no NUL in a value"),
    (get(b"/", b"HTTP/1.1", b"Host: x", b"X-A: a\x0bb"), 400,
     "9110 5.5: no VT in a value"),
    (post(b"Transfer-Encoding: chunked\r"), 400,
     "9112 2.2: only one CR before LF is ignored; a CR left is a CTL"),
    (post(b"Content-Length: 5\x0b"), 400, "9110 5.5: no VT in a value"),
    (post(b"Content-Length: 5\x0c"), 400, "9110 5.5: no FF in a value"),
    (get(b"/", b"HTTP/1.1", b"Host: x", b"X-A: a\rb"), 400,
     "9110 5.5: no CR in a value"),
    (post(b"Content-Length: 5", b"Content-Length: 10"), 400,
     "9110 8.6: differing values"),
    (post(b"Content-Length: 5, 10"), 400, "9110 8.6: differing values"),
    (post(b"Content-Length: -5"), 400, "9110 8.6: 1*DIGIT"),
    (post(b"Content-Length: +5"), 400, "9110 8.6: 1*DIGIT"),
    (post(b"Content-Length: 0x5"), 400, "9110 8.6: 1*DIGIT"),
    (post(b"Content-Length: 5,"), 400, "9110 8.6: one value, listed"),
    (post(b"Content-Length:"), 400, "9110 8.6: 1*DIGIT"),
    (post(b"Content-Length: \xb2"), 400, "9110 8.6: ASCII digits only"),
    (post(b"Content-Length: " + b"9" * 21), 400, "at most 20 digits"),
    (post(b"Content-Length: " + b"1" * 5000), 400,
     "at most 20 digits (not Python's int() limit)"),
    (post(b"Content-Length: 5", b"Transfer-Encoding: chunked"), 400,
     "9112 6.1: not both"),
    (post(b"Transfer-Encoding: gzip"), 501,
     "9112 6.1: a coding the server does not know"),
    (post(b"Transfer-Encoding: gzip, chunked"), 501,
     "9112 6.1: a coding the server does not know"),
    (post(b"Transfer-Encoding: chunked, gzip"), 400,
     "9112 6.3: chunked must be last"),
    (post(b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked"),
     400, "9112 6.1: chunked once"),
    (post(b"Transfer-Encoding:"), 400, "9112 6.1: a coding is needed"),
    (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
     "9112 6.1: Transfer-Encoding needs HTTP/1.1"),
    (b"GET /" + b"a" * 16384 + b" HTTP/1.1\r\n" + H + b"\r\n", 414,
     "9112 3: a target longer than the server parses"),
    (get(b"/", b"HTTP/1.1", b"Host: x", b"X: " + b"a" * 65536), 431,
     "9110 15.5.21: header fields too large"),
    (get(b"/", b"HTTP/1.1", H[:-2],
         *[b"X-%d: a" % i for i in range(MAX_HEADERS)]), 431,
     "9110 15.5.21: too many header fields"),
]  # fmt: skip

# Input that ends before the head does: None, no rejection.
UNFINISHED = [
    b"",
    b"\r\n",
    b"GET / HTTP/1.1",
    b"GET / HTTP/1.1\r\nHost: x\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a",
]


class HeadTest(unittest.TestCase):
    def test_meaning(self):
        for data, attribute, expected, rule in MEANING:
            with self.subTest(rule=rule, data=data):
                head = parse_head(data)
                self.assertEqual(expected, getattr(head, attribute))

    def test_framing(self):
        for data, body, length, keep_alive, expect, rule in FRAMING:
            with self.subTest(rule=rule, data=data):
                framing = parse_head(data).framing
                self.assertEqual(
                    (body, length, keep_alive, expect),
                    (
                        framing.body,
                        framing.length,
                        framing.keep_alive,
                        framing.expect_continue,
                    ),
                )

    def test_rejected(self):
        for data, status, rule in REJECTED:
            with self.subTest(rule=rule, data=data[:80]):
                with self.assertRaises(Rejected) as caught:
                    parse_head(data)
                self.assertEqual(status, caught.exception.status)
                self.assertTrue(caught.exception.reason.endswith("."))

    def test_unfinished(self):
        for data in UNFINISHED:
            with self.subTest(data=data):
                self.assertIsNone(parse_head(data))

    def test_a_rejection_after_the_request_line_names_the_request(self):
        with self.assertRaises(Rejected) as caught:
            parse_head(post(b"Content-Length: x"))
        self.assertEqual(
            ("POST", "/", "Bad Content-Length 'x': send one non-negative"
             " number of bytes, once."),
            (caught.exception.method, caught.exception.target,
             caught.exception.reason),
        )  # fmt: skip

    def test_head_is_frozen(self):
        head = parse_head(get(b"/", b"HTTP/1.1", b"Host: x"))
        with self.assertRaises(AttributeError):
            head.method = "POST"


def dechunk(data, limit=1000):
    stream = io.BytesIO(data)
    return read_chunked(stream.readline, stream.read, limit), stream.read()


# Chunked bodies (RFC 9112 7.1): (input, data, rule); what follows the
# body is left unread.
CHUNKED = [
    (b"5\r\nhello\r\n0\r\n\r\n", b"hello", "7.1: chunk, last-chunk"),
    (b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", b"hello world",
     "7.1: several chunks"),
    (b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789", "7.1: HEXDIG"),
    (b"a\r\n0123456789\r\n0\r\n\r\n", b"0123456789", "7.1: hex, any case"),
    (b"5;name\r\nhello\r\n0\r\n\r\n", b"hello", "7.1.1: chunk-ext"),
    (b"5;n=v;m=\"q \\\" s\"\r\nhello\r\n0\r\n\r\n", b"hello",
     "7.1.1: chunk-ext-val = token / quoted-string"),
    (b"5 ; n = v\r\nhello\r\n0\r\n\r\n", b"hello",
     "7.1.1: BWS around ; and ="),
    (b"5\t;n\r\nhello\r\n0\r\n\r\n", b"hello", "7.1.1: BWS is SP or HTAB"),
    (b"5\r\nhello\r\n000;x\r\n\r\n", b"hello",
     "7.1: last-chunk = 1*(\"0\") [ chunk-ext ]"),
    (b"5\r\nhello\r\n0\r\nX-T: 1\r\nY: \r\n\r\n", b"hello",
     "7.1.2: trailer fields"),
    (b"0\r\n\r\n", b"", "7.1: an empty body"),
    (b"00000000000000000005\r\nhello\r\n0\r\n\r\n", b"hello",
     "at most 20 hex digits"),
]  # fmt: skip

# Malformed chunked bodies: (input, rule); each is a BadRequest (400).
CHUNKED_BAD = [
    (b"5\nhello\r\n0\r\n\r\n", "7.1: CRLF after the size, not LF"),
    (b"5\r\nhello\n0\r\n\r\n", "7.1: CRLF after the data, not LF"),
    (b"5\r\nhello\r\n0\n\r\n", "7.1: CRLF after the last chunk"),
    (b"5\r\nhello\r\n0\r\n\n", "7.1: CRLF ends the trailer section"),
    (b"5\r\nhello\r\n0\r\nX: 1\n\r\n", "7.1.2: CRLF after a trailer"),
    (b"5\r\r\nhello\r\n0\r\n\r\n", "7.1: one CR only"),
    (b" 5\r\nhello\r\n0\r\n\r\n", "7.1.1: no whitespace before the size"),
    (b"5 \r\nhello\r\n0\r\n\r\n", "7.1.1: BWS only before ;"),
    (b"5\t\r\nhello\r\n0\r\n\r\n", "7.1.1: BWS only before ;"),
    (b"5\x0b\r\nhello\r\n0\r\n\r\n", "7.1.1: VT is not whitespace"),
    (b"5\x0c\r\nhello\r\n0\r\n\r\n", "7.1.1: FF is not whitespace"),
    (b"\x0b5\r\nhello\r\n0\r\n\r\n", "7.1.1: VT is not whitespace"),
    (b"5;\r\nhello\r\n0\r\n\r\n", "7.1.1: chunk-ext-name is a token"),
    (b"5;a b\r\nhello\r\n0\r\n\r\n", "7.1.1: one token per name"),
    (b"5;a=\"x\r\nhello\r\n0\r\n\r\n", "9110 5.6.4: closed quoted-string"),
    (b"0;GET /smuggled HTTP/1.1\r\n\r\n",
     "7.1.1: a request line is not an extension"),
    (b"-5\r\nhello\r\n0\r\n\r\n", "7.1: chunk-size = 1*HEXDIG"),
    (b"0x5\r\nhello\r\n0\r\n\r\n", "7.1: chunk-size = 1*HEXDIG"),
    (b"zz\r\nhello\r\n0\r\n\r\n", "7.1: chunk-size = 1*HEXDIG"),
    (b"\r\nhello\r\n0\r\n\r\n", "7.1: chunk-size = 1*HEXDIG"),
    (b"3\r\nhello\r\n0\r\n\r\n", "7.1: the data is as long as the size"),
    (b"000000000000000000005\r\nhello\r\n0\r\n\r\n", "at most 20 digits"),
    (b"0\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
     "7.1.2: a trailer is a field line"),
    (b"0\r\nX : 1\r\n\r\n", "9112 5.1: no whitespace before the colon"),
    (b"0\r\nX: a\x00\r\n\r\n", "9110 5.5: no NUL in a trailer value"),
    (b"0\r\n folded\r\n\r\n", "9112 5.2: no obs-fold"),
]  # fmt: skip

# Chunked bodies cut short: the client went away.
CHUNKED_CUT = [
    b"",
    b"5\r\n",
    b"5\r\nhel",
    b"5\r\nhello",
    b"5\r\nhello\r",
    b"5\r\nhello\r\n0\r\n",
    b"5\r\nhello\r\n0\r\nX: 1",
]


class ChunkedTest(unittest.TestCase):
    def test_chunked(self):
        for data, expected, rule in CHUNKED:
            with self.subTest(rule=rule, data=data):
                self.assertEqual((expected, b"NEXT"), dechunk(data + b"NEXT"))

    def test_chunked_bad(self):
        for data, rule in CHUNKED_BAD:
            with self.subTest(rule=rule, data=data):
                with self.assertRaises(Rejected) as caught:
                    dechunk(data)
                self.assertEqual(400, caught.exception.status)

    def test_chunked_cut_short(self):
        for data in CHUNKED_CUT:
            with self.subTest(data=data):
                with self.assertRaises(ClientDisconnected):
                    dechunk(data)

    def test_a_body_over_the_limit_asks_for_content_length(self):
        with self.assertRaises(Rejected) as caught:
            dechunk(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", limit=10)
        self.assertEqual(411, caught.exception.status)
        self.assertIn("send it with a Content-Length", str(caught.exception))


class ContentLengthTest(unittest.TestCase):
    def test_values(self):
        for value, expected in [
            (b"0", 0),
            (b"12", 12),
            (b" 12 ", 12),
            (b"12,12", 12),
            (b"12 , 12,\t12", 12),
            (b"9" * 20, 10**20 - 1),
        ]:
            with self.subTest(value=value):
                self.assertEqual(expected, content_length(value))

    def test_message_names_the_value_and_the_fix(self):
        with self.assertRaises(Rejected) as caught:
            content_length(b"12, 13")
        self.assertEqual(
            "Bad Content-Length '12, 13': send one non-negative number of"
            " bytes, once.",
            str(caught.exception),
        )
