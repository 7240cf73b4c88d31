"""custom.Layer: an http.server request handler on a threading server."""

import contextlib
import http.client
import socket
import threading
import unittest

from support import captured_stderr

import gocept.httpserverlayer.custom


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
            with self.assertRaises(http.client.RemoteDisconnected):
                get("/boom", port)
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
