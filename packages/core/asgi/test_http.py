"""HTTP/1.1 for ASGI: keep-alive, streaming both ways, disconnect, SSE,
errors of the application, and malformed requests."""

import socket
import time
import unittest

import asgiapps
from asgisupport import connection
from asgisupport import exchange
from asgisupport import get
from asgisupport import responses
from asgisupport import wait_for

from gocept.httpserverlayer._testing.capture import captured
from gocept.httpserverlayer.asgi import Layer

LAYER = Layer(asgi_app=asgiapps.app, name="AsgiHTTP", module=__name__)


class KeepAliveTest(unittest.TestCase):
    layer = LAYER

    def test_many_requests_on_one_connection(self):
        conn = connection(self.layer)
        for i in range(20):
            conn.request("POST", "/echo", body=b"n%02d" % i)
            self.assertEqual(b"POST 3 n%02d" % i, conn.getresponse().read())
        conn.close()
        self.assertEqual(20, len(self.layer["http_requests"]))

    def test_pipelined_requests_answered_in_order(self):
        data = b"".join(
            b"GET /%s HTTP/1.1\r\nHost: x\r\n\r\n" % path
            for path in (b"slow", b"echo", b"length")
        )
        found = responses(exchange(self.layer["http_port"], data))
        self.assertEqual(
            [b"slow", b"GET 0 ", b"abc"], [body for _, _, body in found]
        )

    def test_malformed_request_behind_pipelined_ones_answered_last(self):
        data = (
            b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"
        )
        found = responses(exchange(self.layer["http_port"], data))
        self.assertEqual(
            [(200, b"slow"), (200, b"GET 0 "), 400],
            [(s, b) if s == 200 else s for s, _, b in found],
        )

    def test_http_1_0_keep_alive_on_request(self):
        data = (
            b"GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
            b"GET /length HTTP/1.0\r\n\r\n"
        )
        answer = exchange(self.layer["http_port"], data)
        self.assertEqual(2, answer.count(b"HTTP/1.1 200 OK"))
        self.assertIn(b"Connection: keep-alive", answer)

    def test_head_has_no_body(self):
        status, headers, body = get(self.layer, "/head", "HEAD")
        self.assertEqual(
            (200, b"", "11"), (status, body, headers["Content-Length"])
        )


class StreamingTest(unittest.TestCase):
    layer = LAYER

    def test_request_body_reaches_app_in_parts(self):
        asgiapps.FIRST_PART_RECEIVED.clear()
        sock = socket.create_connection(("127.0.0.1", self.layer["http_port"]))
        sock.sendall(
            b"POST /stream-in HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
        )
        self.assertTrue(asgiapps.FIRST_PART_RECEIVED.wait(10))
        sock.sendall(b"6\r\n world\r\n0\r\n\r\n")
        (status, _, body), = responses(sock.recv(4096))  # fmt: skip
        sock.close()
        # The first chunk went to the app before the rest was sent; the
        # end of the body may come with the last one.
        self.assertEqual(200, status)
        self.assertIn(body, (b"5 6 0", b"5 6"))

    def test_large_body_with_content_length(self):
        data = b"x" * (3 * 1024 * 1024)
        status, _, body = get(self.layer, "/echo", "POST", data)
        self.assertEqual((200, b"POST 3145728 " + b"x" * 20), (status, body))

    def test_half_close_before_the_body_ends_the_request(self):
        # The client announces 5 bytes and half-closes without them: the
        # app reading the body gets http.disconnect and the connection
        # closes, instead of both waiting for bytes that cannot come.
        started = time.monotonic()
        answer = exchange(
            self.layer["http_port"],
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
        )
        self.assertLess(time.monotonic() - started, 4)
        self.assertEqual(b"", answer)
        wait_for(lambda: asgiapps.SEEN.pop("disconnect", None) == "/echo")
        wait_for(lambda: not self.layer["httpd"].connections)
        self.assertEqual([], self.layer["http_errors"])
        self.assertEqual(200, get(self.layer, "/echo")[0])

    def test_malformed_chunked_body_ends_the_request(self):
        # The app waits for the body; the chunks are not chunks: the client
        # gets a 400 and the app http.disconnect, instead of both waiting.
        started = time.monotonic()
        answer = exchange(
            self.layer["http_port"],
            b"POST /echo HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
            b"GET /after HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        self.assertLess(time.monotonic() - started, 4)
        self.assertEqual([400], [r[0] for r in responses(answer)])
        wait_for(lambda: asgiapps.SEEN.pop("disconnect", None) == "/echo")
        wait_for(lambda: not self.layer["httpd"].connections)
        self.assertEqual([], self.layer["http_errors"])
        self.assertEqual(200, get(self.layer, "/echo")[0])

    def test_expect_100_continue(self):
        with socket.create_connection(
            ("127.0.0.1", self.layer["http_port"])
        ) as s:
            s.sendall(
                b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                b"Expect: 100-continue\r\n\r\n"
            )
            self.assertEqual(b"HTTP/1.1 100 Continue\r\n\r\n", s.recv(4096))
            s.sendall(b"body")
            self.assertIn(b"POST 4 body", s.recv(4096))

    def test_streamed_response_is_chunked(self):
        answer = exchange(
            self.layer["http_port"],
            b"GET /stream-out HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        (status, headers, body), = responses(answer)  # fmt: skip
        self.assertEqual("chunked", headers["transfer-encoding"])
        self.assertEqual(b"".join(b"part %d\n" % i for i in range(5)), body)

    def test_streamed_response_to_http_1_0_ends_with_the_connection(self):
        answer = exchange(
            self.layer["http_port"], b"GET /stream-out HTTP/1.0\r\n\r\n"
        )
        self.assertIn(b"Connection: close", answer)
        self.assertTrue(answer.endswith(b"part 4\n"))

    def test_server_sent_events_end_when_the_client_goes_away(self):
        asgiapps.SEEN.pop("events-ended", None)
        conn = connection(self.layer)
        conn.request("GET", "/events")
        response = conn.getresponse()
        self.assertEqual(
            "text/event-stream", response.getheader("Content-Type")
        )
        self.assertEqual(b"data: event 1\n", response.readline())
        self.assertEqual(b"\n", response.readline())
        self.assertEqual(b"data: event 2\n", response.readline())
        conn.sock.shutdown(socket.SHUT_RDWR)
        conn.close()
        wait_for(lambda: "events-ended" in asgiapps.SEEN)
        self.assertEqual("http.disconnect", asgiapps.SEEN["events-ended"][0])


class ScopeTest(unittest.TestCase):
    layer = LAYER

    def test_http_scope(self):
        get(self.layer, "/scope/%C3%A9?q=%20", headers={"X-A": "b"})
        scope = asgiapps.SEEN["scope"]
        self.assertEqual(
            ("http", "1.1", "GET", "/scope/é", b"/scope/%C3%A9", b"q=%20"),
            (scope["type"], scope["http_version"], scope["method"],
             scope["path"], scope["raw_path"], scope["query_string"]),
        )  # fmt: skip
        self.assertEqual(
            {"version": "3.0", "spec_version": "2.4"}, scope["asgi"]
        )
        self.assertIn((b"x-a", b"b"), scope["headers"])
        self.assertEqual("127.0.0.1", scope["client"][0])
        self.assertEqual(self.layer["http_port"], scope["server"][1])


class ApplicationErrorTest(unittest.TestCase):
    layer = LAYER

    def test_exception_gives_500_reported_once(self):
        with captured() as (stderr, log):
            status, _, body = get(self.layer, "/raise")
        self.assertEqual(500, status)
        self.assertIn(b"traceback is in the test run's output", body)
        (error,) = self.layer["http_errors"]
        self.assertIn("GET /raise from 127.0.0.1:", error.request)
        self.assertIn(
            "RuntimeError: the app fails on purpose", error.traceback
        )
        self.assertEqual(1, stderr.getvalue().count("Traceback"))
        self.layer["http_requests"].assert_requested("GET", "/raise", 500)
        self.assertEqual(200, get(self.layer, "/echo")[0])

    def test_exception_after_the_head_cuts_the_response(self):
        with captured():
            answer = exchange(
                self.layer["http_port"],
                b"GET /raise-midway HTTP/1.1\r\nHost: x\r\n\r\n",
            )
        self.assertTrue(answer.startswith(b"HTTP/1.1 200 OK\r\n"))
        self.assertEqual([], responses(answer))  # incomplete: not a response
        self.assertEqual(1, len(self.layer["http_errors"]))

    def test_app_returning_without_response_gives_500(self):
        with captured() as (stderr, _):
            self.assertEqual(500, get(self.layer, "/no-response")[0])
        self.assertIn("returned without sending a response", stderr.getvalue())


class NeverRespondsTest(unittest.TestCase):
    def test_reported_at_test_tear_down_by_method_and_path(self):
        layer = Layer(asgi_app=asgiapps.app)
        layer.settle_timeout = 0.1
        layer.setUp()
        layer.testSetUp()
        sock = socket.create_connection(("127.0.0.1", layer["http_port"]))
        sock.sendall(b"GET /never?x HTTP/1.1\r\nHost: x\r\n\r\n")
        wait_for(lambda: any(p.busy for p in layer["httpd"].connections))
        with captured() as (stderr, log):
            layer.testTearDown()
            started = time.monotonic()
            layer.tearDown()
            seconds = time.monotonic() - started
        sock.close()
        self.assertLess(seconds, 1.0)
        self.assertIn(
            "request(s) still running 0.1 s after the end of their test:"
            " GET /never?x from 127.0.0.1:",
            stderr.getvalue(),
        )


class MalformedRequestTest(unittest.TestCase):
    layer = LAYER

    def check(self, data, status):
        with captured() as (stderr, log):
            answer = exchange(self.layer["http_port"], data)
        found = responses(answer)
        self.assertEqual(status, found[0][0], answer)
        self.assertEqual(("", []), (stderr.getvalue(), log))
        self.assertEqual(200, get(self.layer, "/echo")[0])

    def test_bad_request_line(self):
        self.check(b"GET\r\n\r\n", 400)

    def test_no_host(self):
        self.check(b"GET / HTTP/1.1\r\n\r\n", 400)

    def test_content_length_and_transfer_encoding(self):
        self.check(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
        )

    def test_path_not_utf8(self):
        self.check(b"GET /%ff HTTP/1.1\r\nHost: x\r\n\r\n", 400)

    def test_headers_too_large(self):
        self.check(
            b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 70000 + b"\r\n\r\n",
            431,
        )

    def test_http_2_request_line(self):
        self.check(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505)
