"""custom.Layer: an http.server request handler on a threading server."""

import contextlib
import http.client
import socket
import threading
import unittest

import gocept.httpserverlayer.custom
from gocept.httpserverlayer._testing.capture import captured_stderr


class Handler(gocept.httpserverlayer.custom.RequestHandler):
    barrier = None

    def do_GET(self):
        if self.path == "/wait":
            self.barrier.wait()
        if self.path == "/boom":
            raise RuntimeError("the handler failed")
        body = f"{self.path} on {threading.current_thread().name}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


LAYER = gocept.httpserverlayer.custom.Layer(Handler, name="CustomLayer")


def get(path, port):
    connection = http.client.HTTPConnection("localhost", port, timeout=10)
    with contextlib.closing(connection):
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()


class CustomLayerTest(unittest.TestCase):
    layer = LAYER

    def test_request_handler_resource_is_the_handler_class(self):
        self.assertIs(Handler, self.layer["request_handler"])

    def test_requests_are_served_concurrently(self):
        Handler.barrier = threading.Barrier(3, timeout=5)
        results = []
        threads = [
            threading.Thread(
                target=lambda: results.append(
                    get("/wait", self.layer["http_port"])[0]
                )
            )
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        self.assertEqual([200, 200, 200], results)

    def test_exception_in_handler_is_reported_and_server_keeps_serving(self):
        port = self.layer["http_port"]
        with captured_stderr() as stderr:
            self.assertEqual(500, get("/boom", port)[0])
            self.assertEqual(200, get("/after", port)[0])
        self.assertEqual(
            1, stderr.getvalue().count("RuntimeError: the handler failed")
        )

    def test_client_that_disconnects_early_produces_no_output(self):
        with captured_stderr() as stderr:
            with socket.create_connection(
                ("localhost", self.layer["http_port"])
            ) as sock:
                sock.sendall(b"GET /half HTTP/1.1\r\nHo")
            self.assertEqual(200, get("/after", self.layer["http_port"])[0])
        self.assertEqual("", stderr.getvalue())


def raw_exchange(port, data):
    with socket.create_connection(("localhost", port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        return sock.makefile("rb").read()


class CustomFramingTest(unittest.TestCase):
    """The server's parser answers what http.server gets wrong."""

    layer = LAYER

    def exchange(self, data):
        return raw_exchange(self.layer["http_port"], data)

    def test_http_0_9_request_gets_a_status_line(self):
        answer = self.exchange(b"GET / HTTP/0.9\r\n\r\n")
        self.assertTrue(
            answer.startswith(b"HTTP/1.1 505 HTTP Version Not Supported"),
            answer[:80],
        )
        self.assertIn(b"HTTP version 0.9 is not supported", answer)

    def test_error_for_a_0_9_request_line_gets_a_status_line(self):
        answer = self.exchange(b"GET / HTTP/0.9\r\nbad header\r\n\r\n")
        self.assertTrue(answer.startswith(b"HTTP/1.1 400 "), answer[:80])

    def test_content_length_with_transfer_encoding_is_refused(self):
        answer = self.exchange(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        self.assertTrue(answer.startswith(b"HTTP/1.1 400 "), answer[:80])
        self.assertIn(b"both Content-Length and Transfer-Encoding", answer)
        self.assertNotIn(b"/smuggled on", answer)

    def test_bad_or_repeated_content_length_is_refused(self):
        for lengths in ([b"5, 40"], [b"-1"], [b"5", b"6"]):
            head = b"".join(b"Content-Length: %s\r\n" % v for v in lengths)
            answer = self.exchange(
                b"POST / HTTP/1.1\r\nHost: x\r\n" + head + b"\r\nhello"
            )
            self.assertTrue(answer.startswith(b"HTTP/1.1 400 "), answer[:80])
            self.assertIn(b"Bad Content-Length", answer)
