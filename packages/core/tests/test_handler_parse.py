"""A handler whose ``parse_request`` is http.server's own gets the head our
parser read, not parsed a second time (issue 15); it must see exactly what
http.server's own ``parse_request`` makes of the same request.

Each request goes to two custom.Layers: one over a plain handler (the
short way) and one over a handler that overrides ``parse_request`` by
calling the original (http.server parses the canonical head itself).
"""

from __future__ import annotations

import http.client
import http.server
import re
import socket
import unittest

import gocept.httpserverlayer.custom

SEEN: list[dict] = []


class Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        SEEN.append(
            {
                "command": self.command,
                "path": self.path,
                "request_version": self.request_version,
                "requestline": self.requestline,
                "close_connection": self.close_connection,
                "headers": list(self.headers.items()),
                "headers_type": type(self.headers),
                "headers_vars": dict(vars(self.headers)),
                "body": self.rfile.read(length),
            }
        )
        self.send_response(204)
        self.end_headers()

    do_GET = do_POST = do_PUT = answer

    def log_message(self, *args):
        pass


class OwnParse(Recorder):
    def parse_request(self):
        return super().parse_request()


class Message(http.client.HTTPMessage):
    """A MessageClass of the handler's own."""


class OwnMessage(Recorder):
    MessageClass = Message


class OwnMessageOwnParse(OwnParse):
    MessageClass = Message


class Recorder10(Recorder):
    protocol_version = "HTTP/1.0"


class OwnParse10(Recorder10):
    def parse_request(self):
        return super().parse_request()


REQUESTS = [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET //evil.example/a?b=c HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"GET /a HTTP/1.0\r\n\r\n",
    b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n",
    b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\n\r\n",
    b"GET /a HTTP/1.2\r\nHost: x\r\n\r\n",
    # http.server heeds the first of two fields (headers.get()).
    b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n"
    b"CONNECTION: close\r\n\r\n",
    b"GET /a HTTP/1.0\r\nconnection: Keep-Alive\r\nConnection: close\r\n\r\n",
    b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
    b"Expect: x-other\r\nExpect: 100-continue\r\n\r\nhi",
    b"GET http://x/abs?q HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /h HTTP/1.1\r\nhOsT: x\r\nX-Empty:\r\nX-Latin: caf\xe9 au lait\r\n"
    b"X-Dup: 1\r\nx-dup: 2\r\nX-Space:   a  b   \r\n\r\n",
    b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
    b"Expect: 100-continue\r\n\r\nhi",
    b"POST /p HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi",
    b"PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"3\r\nabc\r\n0\r\n\r\n",
    b"GET /many HTTP/1.1\r\nHost: x\r\n"
    + b"".join(b"X-%d: %d\r\n" % (i, i) for i in range(120))
    + b"\r\n",
]


def exchange(port, data):
    with socket.create_connection(("127.0.0.1", port), 10) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        # The clock may tick between the two servers' answers.
        return re.sub(rb"\r\nDate: [^\r]*", b"", s.makefile("rb").read())


class ParseRequestTest(unittest.TestCase):
    def serve(self, handler):
        layer = gocept.httpserverlayer.custom.Layer(
            handler, name=f"Parse{handler.__name__}"
        )
        layer.setUp()
        self.addCleanup(layer.tearDown)
        layer.testSetUp()
        self.addCleanup(layer.testTearDown)
        return layer["http_port"]

    def assertSameAsHTTPServer(self, short, original):
        short_port, original_port = self.serve(short), self.serve(original)
        for request in REQUESTS:
            with self.subTest(request=request[:40]):
                del SEEN[:]
                short_answer = exchange(short_port, request)
                original_answer = exchange(original_port, request)
                self.assertEqual(original_answer, short_answer)
                if b"/many" in request:  # http.client refuses 101 fields
                    self.assertIn(b" 431 ", short_answer[:20])
                    continue
                self.assertEqual(len(SEEN), 2, short_answer[:80])
                self.assertEqual(SEEN[1], SEEN[0])

    def test_a_plain_handler_sees_what_http_server_makes_of_a_request(self):
        self.assertSameAsHTTPServer(Recorder, OwnParse)

    def test_an_http10_handler_sees_what_http_server_makes_of_it(self):
        self.assertSameAsHTTPServer(Recorder10, OwnParse10)

    def test_a_handler_with_its_own_message_class(self):
        self.assertSameAsHTTPServer(OwnMessage, OwnMessageOwnParse)

    def test_the_short_way_is_taken_only_for_the_original_parse_request(self):
        from gocept.httpserverlayer._handler import _parse_request
        from gocept.httpserverlayer._handler import one_request_factory

        self.assertIs(
            one_request_factory(Recorder).parse_request, _parse_request
        )
        self.assertIsNot(
            one_request_factory(OwnParse).parse_request, _parse_request
        )
