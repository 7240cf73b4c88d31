"""Request bodies reach the application in wsgi.input, over real sockets."""

from __future__ import annotations

import ast
import socket

from support import ServerTest

CHUNKED = (
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"6;name=value\r\nline1\n\r\n"
    b"b\r\nline2\nline3\r\n"
    b"0\r\nX-Trailer: t\r\n\r\n"
)
BODY = b"line1\nline2\nline3"


def echo(read):
    """An app answering with repr() of what ``read(wsgi.input)`` gives."""

    def app(environ, start_response):
        result = read(environ["wsgi.input"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [repr(result).encode()]

    return app


def read_all(body):
    return body.read()


def read_in_fives(body):
    parts = []
    while part := body.read(5):
        parts.append(part)
    return parts


def read_lines(body):
    return [body.readline(), body.readline(), body.readline(), body.readline()]


def iterate(body):
    return list(body)


def ignore_body(environ, start_response):
    start_response("200 OK", [])
    return [b"ignored " + environ["PATH_INFO"].encode()]


class BodyTest(ServerTest):
    def echoed(self, read, request):
        self.serve(echo(read))
        response = self.raw().send(request).response()
        self.assertEqual(200, response.status)
        return ast.literal_eval(response.body.decode())

    def length_request(self, body=BODY, extra=b""):
        return (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n%s\r\n%s"
            % (len(body), extra, body)
        )


class ChunkedBodyTest(BodyTest):
    def test_read_gives_the_whole_body(self):
        self.assertEqual(BODY, self.echoed(read_all, CHUNKED))

    def test_read_n_gives_the_body_in_pieces(self):
        parts = self.echoed(read_in_fives, CHUNKED)
        self.assertEqual((BODY, 5), (b"".join(parts), max(map(len, parts))))

    def test_readline_gives_the_lines(self):
        lines = [b"line1\n", b"line2\n", b"line3", b""]
        self.assertEqual(lines, self.echoed(read_lines, CHUNKED))

    def test_iteration_gives_the_lines(self):
        lines = [b"line1\n", b"line2\n", b"line3"]
        self.assertEqual(lines, self.echoed(iterate, CHUNKED))

    def test_app_sees_the_length_and_no_transfer_encoding(self):
        self.serve(
            lambda e, s: [
                s("200 OK", []),
                repr(
                    (e.get("CONTENT_LENGTH"), e.get("HTTP_TRANSFER_ENCODING"))
                ).encode(),
            ][1:]
        )
        self.assertEqual(
            b"('17', None)", self.raw().send(CHUNKED).response().body
        )

    def test_next_requests_after_chunked_bodies_are_served(self):
        self.serve(echo(read_all))
        raw = self.raw().send(CHUNKED + CHUNKED)
        self.assertEqual(
            [repr(BODY).encode()] * 2,
            [raw.response().body, raw.response().body],
        )
        self.assertEqual(b"b''", raw.request("GET", "/next").response().body)


class LengthBodyTest(BodyTest):
    def test_read_gives_the_whole_body(self):
        self.assertEqual(BODY, self.echoed(read_all, self.length_request()))

    def test_read_n_gives_the_body_in_pieces(self):
        parts = self.echoed(read_in_fives, self.length_request())
        self.assertEqual((BODY, 5), (b"".join(parts), max(map(len, parts))))

    def test_readline_gives_the_lines(self):
        lines = [b"line1\n", b"line2\n", b"line3", b""]
        self.assertEqual(lines, self.echoed(read_lines, self.length_request()))

    def test_iteration_gives_the_lines(self):
        lines = [b"line1\n", b"line2\n", b"line3"]
        self.assertEqual(lines, self.echoed(iterate, self.length_request()))

    def test_reading_stops_at_the_end_of_the_body(self):
        self.serve(echo(read_all))
        raw = self.raw().send(
            self.length_request() + self.length_request(b"2")
        )
        self.assertEqual(repr(BODY).encode(), raw.response().body)
        self.assertEqual(b"b'2'", raw.response().body)


class ContinueTest(ServerTest):
    def test_100_continue_is_sent_when_the_app_reads_the_body(self):
        self.serve(echo(read_all))
        raw = self.raw().request(
            "POST", "/", "Expect: 100-continue", "Content-Length: 5"
        )
        interim = raw.response()
        self.assertEqual((100, "Continue"), (interim.status, interim.reason))
        response = raw.send(b"hello").response()
        self.assertEqual((200, b"b'hello'"), (response.status, response.body))

    def test_no_100_continue_when_the_app_does_not_read(self):
        self.serve(ignore_body)
        raw = self.raw().request(
            "POST", "/x", "Expect: 100-continue", "Content-Length: 5"
        )
        response = raw.response()
        self.assertEqual(
            (200, b"ignored /x"), (response.status, response.body)
        )


class DrainTest(ServerTest):
    def test_unread_length_body_is_drained_for_the_next_request(self):
        self.serve(ignore_body)
        raw = self.raw().request("POST", "/1", body=b"x" * 100_000)
        self.assertEqual(b"ignored /1", raw.response().body)
        self.assertEqual(
            b"ignored /2", raw.request("GET", "/2").response().body
        )

    def test_large_unread_body_is_answered_then_closed(self):
        # Over the server's drain limit: reading the rest would cost more
        # than a new connection.
        self.serve(ignore_body)
        raw = self.raw().request("POST", "/1", body=b"x" * 1_000_000)
        self.assertEqual(b"ignored /1", raw.response().body)
        self.assertTrue(raw.closed())

    def test_client_still_sending_a_large_unread_body_gets_the_response(
        self,
    ):
        # Small socket buffers: the client is still sending when the server
        # has answered and gives up on the body. Closing with unread data
        # would make the kernel reset the connection, response and all.
        self.serve(ignore_body)
        body = b"x" * 1_000_000
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            sock.settimeout(10)
            sock.connect(("127.0.0.1", self.port))
            sock.sendall(
                b"POST /big HTTP/1.1\r\nHost: x\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            received = b""
            while data := sock.recv(65536):
                received += data
        self.assertTrue(received.startswith(b"HTTP/1.1 200 "), received[:40])
        self.assertTrue(received.endswith(b"ignored /big"), received[-40:])

    def test_unread_chunked_body_is_drained_for_the_next_request(self):
        self.serve(ignore_body)
        raw = self.raw().send(CHUNKED)
        self.assertEqual(b"ignored /", raw.response().body)
        self.assertEqual(
            b"ignored /2", raw.request("GET", "/2").response().body
        )
