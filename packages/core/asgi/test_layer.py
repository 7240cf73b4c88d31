"""asgi.Layer's resources, its application, HTTPS, hosts, and bad input."""

import functools
import os
import socket
import time
import unittest
import unittest.mock

import asgiapps
import plone.testing
from asgisupport import get
from asgisupport import ws_connect

import gocept.httpserverlayer.asgi
from gocept.httpserverlayer._testing.capture import captured
from gocept.httpserverlayer.asgi import Layer
from gocept.httpserverlayer.asgi import WebSocketRequest

LAYER = Layer(asgi_app=asgiapps.app, name="AsgiLayer", module=__name__)


class ResourceTest(unittest.TestCase):
    layer = LAYER

    def test_resources_as_wsgi_layer_sets_them(self):
        layer = self.layer
        port = layer["http_port"]
        self.assertEqual("localhost", layer["http_host"])
        self.assertEqual(f"localhost:{port}", layer["http_address"])
        self.assertEqual(f"http://localhost:{port}", layer["http_url"])
        self.assertEqual("http", layer["http_scheme"])
        self.assertIs(layer["httpd"].records, layer["http_requests"])
        self.assertIs(layer["httpd"].errors, layer["http_errors"])
        self.assertTrue(layer["httpd_thread"].is_alive())

    def test_serves_on_127_0_0_1_and_ipv6_loopback(self):
        for family, host in ((socket.AF_INET, "127.0.0.1"),
                             (socket.AF_INET6, "::1")):  # fmt: skip
            with socket.socket(family) as sock:
                sock.connect((host, self.layer["http_port"]))
                sock.sendall(b"GET /echo HTTP/1.0\r\n\r\n")
                self.assertIn(b"GET 0", sock.recv(4096))

    def test_requests_recorded_per_test(self):
        self.assertEqual(0, len(self.layer["http_requests"]))
        get(self.layer, "/echo?x=1")
        record = self.layer["http_requests"].assert_requested(
            "GET", "/echo", 200
        )
        self.assertEqual("x=1", record.query)
        self.assertEqual("localhost", record.header("Host").split(":")[0])

    def test_request_body_in_the_record(self):
        data = b'{"n": 1, "text": "' + b"x" * 100 + b'"}'
        get(self.layer, "/echo", "POST", data)
        record = self.layer["http_requests"].assert_requested(
            "POST", "/echo", 200
        )
        self.assertEqual(data, record.body)
        self.assertFalse(record.body_truncated)
        self.assertEqual(1, record.json()["n"])

    def test_chunked_body_in_the_record_without_its_framing(self):
        with socket.create_connection(
            ("127.0.0.1", self.layer["http_port"]), 10
        ) as sock:
            sock.sendall(
                b"POST /echo HTTP/1.1\r\nHost: x\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
                b"3\r\na=1\r\n4\r\n&b=2\r\n0\r\n\r\n"
            )
            self.assertIn(b"POST 7 a=1&b=2", sock.recv(4096))
        record = self.layer["http_requests"].assert_requested("POST", "/echo")
        self.assertEqual(b"a=1&b=2", record.body)

    def test_body_the_app_never_reads_is_in_the_record(self):
        # /length answers without reading; the body comes after the head,
        # and the response waits for it (bounded), as the WSGI engine's.
        with socket.create_connection(
            ("127.0.0.1", self.layer["http_port"]), 10
        ) as sock:
            sock.sendall(
                b"POST /length HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
            )
            time.sleep(0.1)
            sock.sendall(b"a=1&b=2")
            self.assertIn(b"abc", sock.recv(4096))
            sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIn(b"GET 0", sock.recv(4096))  # still keep-alive
        record = self.layer["http_requests"].assert_requested(
            "POST", "/length", 200
        )
        self.assertEqual("2", record.form["b"])

    def test_record_keeps_max_body_bytes(self):
        log = self.layer["http_requests"]
        self.addCleanup(setattr, log, "max_body", log.max_body)
        log.max_body = 10
        get(self.layer, "/echo", "POST", b'{"n": "' + b"x" * 90 + b'"}')
        record = log.assert_requested("POST", "/echo", 200)
        self.assertEqual(b'{"n": "xxx', record.body)
        self.assertTrue(record.body_truncated)
        with self.assertRaises(ValueError) as caught:
            record.json()
        self.assertIn("http_requests.max_body", str(caught.exception))

    def test_websocket_handshake_recorded_with_close_code(self):
        with ws_connect(self.layer, "/ws/echo") as ws:
            ws.send("x")
            ws.recv()
        record = self.layer["http_requests"].assert_requested(
            "GET", "/ws/echo", 101
        )
        self.assertIsInstance(record, WebSocketRequest)
        self.assertEqual(1000, record.close_code)
        self.assertIn("websocket, closed 1000>", repr(record))


class ApplicationTest(unittest.TestCase):
    def cycle(self, layer, path="/echo"):
        layer.setUp()
        try:
            layer.testSetUp()
            return get(layer, path)[2]
        finally:
            layer.testTearDown()
            layer.tearDown()

    def test_app_by_attribute_on_a_subclass(self):
        class MyLayer(Layer):
            asgi_app = staticmethod(asgiapps.app)

        self.assertEqual(b"GET 0 ", self.cycle(MyLayer()))

    def test_app_set_after_init(self):
        layer = Layer()
        layer.asgi_app = asgiapps.app
        self.assertEqual(b"GET 0 ", self.cycle(layer))

    def test_app_from_a_base_layer_resource(self):
        base = plone.testing.Layer(name="AppBase", module=__name__)
        base["asgi_app"] = asgiapps.app
        try:
            self.assertEqual(b"GET 0 ", self.cycle(Layer(bases=(base,))))
        finally:
            del base["asgi_app"]

    def test_unnamed_layers_get_unique_names(self):
        first, second = Layer(), Layer()
        self.assertNotEqual(first.__name__, second.__name__)
        self.assertEqual(__name__, first.__module__)

    def test_resources_removed_at_tear_down(self):
        layer = Layer(asgi_app=asgiapps.app)
        self.cycle(layer)
        for key in ("http_port", "httpd", "httpd_thread", "http_requests"):
            self.assertNotIn(key, layer)


class HostTest(unittest.TestCase):
    def test_ipv6_host_in_brackets(self):
        layer = Layer(asgi_app=asgiapps.app)
        layer.host = "::1"
        layer.setUp()
        try:
            port = layer["http_port"]
            self.assertEqual(f"[::1]:{port}", layer["http_address"])
            self.assertEqual(200, get(layer, "/echo")[0])
        finally:
            layer.tearDown()

    def test_bind_host_apart_from_the_advertised_host(self):
        layer = Layer(asgi_app=asgiapps.app)
        env = {"GOCEPT_HTTP_BIND_HOST": "127.0.0.1",
               "GOCEPT_HTTP_APP_HOST": "example.invalid"}  # fmt: skip
        with unittest.mock.patch.dict(os.environ, env):
            layer.setUp()
        try:
            self.assertEqual("example.invalid", layer["http_host"])
            self.assertEqual(
                ("127.0.0.1", layer["http_port"]),
                layer["httpd"].server_address,
            )
        finally:
            layer.tearDown()


class VerboseLoggingTest(unittest.TestCase):
    def test_a_line_per_request_and_websocket(self):
        layer = Layer(asgi_app=asgiapps.app)
        env = {"GOCEPT_HTTP_VERBOSE_LOGGING": "1"}
        with unittest.mock.patch.dict(os.environ, env):
            layer.setUp()
        try:
            with captured() as (stderr, log):
                get(layer, "/echo")
                with ws_connect(layer, "/ws/echo"):
                    pass
                layer.testTearDown()
        finally:
            layer.tearDown()
        lines = [r.getMessage() for r in log]
        self.assertRegex(
            lines[0], r'^127\.0\.0\.1:\d+ "GET /echo HTTP/1\.1" 200 6$'
        )
        self.assertRegex(
            lines[1],
            r'^127\.0\.0\.1:\d+ "websocket /ws/echo" 101, closed 1000$',
        )


class HTTPSTest(unittest.TestCase):
    layer = Layer(asgi_app=asgiapps.app, https=True, name="AsgiHTTPS")

    def test_https_with_ca_bundle(self):
        self.assertEqual("https", self.layer["http_scheme"])
        self.assertTrue(self.layer["http_url"].startswith("https://"))
        self.assertTrue(os.path.exists(self.layer["ca_bundle"]))
        self.assertTrue(self.layer["ca_spki_hash"])
        status, _, body = get(self.layer, "/echo", "POST", b"secret")
        self.assertEqual((200, b"POST 6 secret"), (status, body))

    def test_wss_with_ca_bundle(self):
        with ws_connect(self.layer, "/ws/echo") as ws:
            ws.send(b"\x00\x01")
            self.assertEqual(b"\x00\x01", ws.recv())

    def test_scope_scheme_is_https(self):
        get(self.layer, "/scope")
        self.assertEqual("https", asgiapps.SEEN["scope"]["scheme"])


def wsgi_app(environ, start_response):
    start_response("200 OK", [])
    return [b""]


class ASGI2App:
    def __init__(self, scope):
        self.scope = scope

    async def __call__(self, receive, send):
        pass


async def two_arguments(scope, receive):
    pass


class BadApplicationTest(unittest.TestCase):
    def error(self, app):
        layer = Layer(asgi_app=app, name="Bad", module="my.tests")
        with self.assertRaises(gocept.httpserverlayer.asgi.Error) as caught:
            layer.setUp()
        self.assertNotIn("httpd", layer)
        return str(caught.exception)

    def test_wsgi_application(self):
        self.assertEqual(
            f"The asgi_app of layer my.tests.Bad is {wsgi_app!r}, which takes"
            " two arguments as a WSGI application (environ, start_response)"
            " does: asgi.Layer serves an ASGI 3 application, a coroutine"
            " function app(scope, receive, send) or an object with such an"
            " async __call__. Serve a WSGI application with"
            " gocept.httpserverlayer.wsgi.Layer.",
            self.error(wsgi_app),
        )

    def test_asgi2_class(self):
        message = self.error(ASGI2App)
        self.assertIn(
            f"is the class {ASGI2App!r}, which is an ASGI 2", message
        )
        self.assertIn("guarantee_single_callable()", message)

    def test_asgi2_factory_function(self):
        message = self.error(functools.partial(ASGI2App))
        self.assertIn("takes one argument as an ASGI 2 application", message)

    def test_not_callable(self):
        message = self.error("myapp:app")
        self.assertIn("is 'myapp:app', which is not callable", message)

    def test_wrong_number_of_arguments(self):
        message = self.error(two_arguments)
        self.assertIn("which takes 2 positional argument(s)", message)

    def test_no_application(self):
        self.assertEqual(
            "Layer my.tests.Bad has no ASGI application: set its asgi_app"
            " attribute (or pass asgi_app=...), or give it a base layer that"
            " provides the 'asgi_app' resource.",
            self.error(None),
        )
