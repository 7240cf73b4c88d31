"""HTTPS on request: every server layer, real sockets and real clients."""

import base64
import hashlib
import os
import socket
import ssl
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import wsgiref.simple_server

import requests
import selenium.common
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from support import captured_stderr
from support import wait_idle

import gocept.httpserverlayer.custom
import gocept.httpserverlayer.static
import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer import browser
from gocept.httpserverlayer._server import Error

TIMEOUT = 10


def scheme_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    body = f"<title>scheme {environ['wsgi.url_scheme']}</title>"
    return [body.encode()]


WSGI = gocept.httpserverlayer.wsgi.Layer(
    name="HTTPSWSGI", module=__name__, wsgi_app=scheme_app, https=True
)


class StaticHTTPS(gocept.httpserverlayer.static.Layer):
    https = True  # as a subclass sets it


STATIC = StaticHTTPS(name="HTTPSStatic", module=__name__)


class Handler(gocept.httpserverlayer.custom.RequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = b"custom over TLS"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


CUSTOM = gocept.httpserverlayer.custom.Layer(
    Handler, name="HTTPSCustom", module=__name__
)
CUSTOM.https = True  # as an instance attribute


def context(layer):
    return ssl.create_default_context(cafile=layer["ca_bundle"])


def fetch(layer, path="/", **kw):
    with urllib.request.urlopen(
        layer["http_url"] + path,
        context=context(layer),
        timeout=TIMEOUT,
        **kw,
    ) as response:
        return response.status, dict(response.headers), response.read()


def spki_hash_of_peer(layer):
    """The SPKI hash of the certificate the server actually presents."""
    with socket.create_connection(
        ("localhost", layer["http_port"]), timeout=TIMEOUT
    ) as raw:
        with context(layer).wrap_socket(raw, server_hostname="localhost") as s:
            der = s.getpeercert(binary_form=True)
    spki = (
        x509.load_der_x509_certificate(der)
        .public_key()
        .public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


class WSGITest(unittest.TestCase):
    layer = WSGI

    def tearDown(self):
        wait_idle(self.layer["httpd"])

    def test_resources(self):
        port = self.layer["http_port"]
        self.assertEqual("https", self.layer["http_scheme"])
        self.assertEqual(f"https://localhost:{port}", self.layer["http_url"])
        bundle = self.layer["ca_bundle"]
        self.assertTrue(
            os.path.basename(os.path.dirname(bundle)).startswith(
                "gocept.httpserverlayer.tls-"
            )
        )
        self.assertEqual(
            os.path.realpath(tempfile.gettempdir()),
            os.path.realpath(os.path.dirname(os.path.dirname(bundle))),
        )
        with open(bundle) as f:
            self.assertIn("BEGIN CERTIFICATE", f.read())
        self.assertEqual(
            spki_hash_of_peer(self.layer), self.layer["ca_spki_hash"]
        )

    def test_urllib_trusts_the_bundle(self):
        status, _, body = fetch(self.layer)
        self.assertEqual((200, b"<title>scheme https</title>"), (status, body))

    def test_certificate_names_localhost_and_loopback_addresses(self):
        port = self.layer["http_port"]
        for host in ("127.0.0.1", "[::1]"):
            try:
                with urllib.request.urlopen(
                    f"https://{host}:{port}/",
                    context=context(self.layer),
                    timeout=TIMEOUT,
                ) as response:
                    self.assertEqual(200, response.status)
            except urllib.error.URLError as e:
                if host == "[::1]" and not isinstance(e.reason, ssl.SSLError):
                    continue  # no IPv6 on this machine
                raise

    def test_requests_with_verify(self):
        response = requests.get(
            self.layer["http_url"] + "/a",
            verify=self.layer["ca_bundle"],
            timeout=TIMEOUT,
        )
        self.assertEqual("<title>scheme https</title>", response.text)

    def test_requests_keep_alive(self):
        with requests.Session() as session:
            for _ in range(5):
                # verify per request: REQUESTS_CA_BUNDLE in the environment
                # would win over the session's verify.
                response = session.get(
                    self.layer["http_url"] + "/",
                    verify=self.layer["ca_bundle"],
                    timeout=TIMEOUT,
                )
                self.assertEqual(200, response.status_code)
        self.assertEqual(5, len(self.layer["http_requests"]))

    def test_client_without_the_ca_fails_verification(self):
        with self.assertRaises(urllib.error.URLError) as caught:
            urllib.request.urlopen(
                self.layer["http_url"] + "/",
                context=ssl.create_default_context(),
                timeout=TIMEOUT,
            )
        self.assertIsInstance(
            caught.exception.reason, ssl.SSLCertVerificationError
        )
        with self.assertRaises(requests.exceptions.SSLError):
            requests.get(self.layer["http_url"] + "/", timeout=TIMEOUT)

    def test_plain_http_to_the_https_port_is_closed_silently(self):
        with captured_stderr() as stderr:
            with socket.create_connection(
                ("localhost", self.layer["http_port"]), timeout=TIMEOUT
            ) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
                received = b""
                try:
                    while chunk := sock.recv(65536):
                        received += chunk
                except ConnectionResetError:
                    pass
            self.assertNotIn(b"HTTP/1.", received)
            wait_idle(self.layer["httpd"])
            self.assertEqual(200, fetch(self.layer)[0])
        self.assertEqual("", stderr.getvalue())

    def test_silent_client_does_not_hold_up_others(self):
        # Connects, never sends a ClientHello: its handshake waits on its
        # own worker thread, not in the accept loop.
        with socket.create_connection(
            ("localhost", self.layer["http_port"]), timeout=TIMEOUT
        ):
            start = time.monotonic()
            self.assertEqual(200, fetch(self.layer)[0])
            self.assertLess(time.monotonic() - start, 2)
            # settle() at testTearDown closes it: the connection counts as
            # idle until its handshake is done.

    def test_client_closing_mid_handshake_is_silent(self):
        with captured_stderr() as stderr:
            with socket.create_connection(
                ("localhost", self.layer["http_port"]), timeout=TIMEOUT
            ) as sock:
                sock.sendall(b"\x16\x03\x01\x00\xff\x01")  # cut ClientHello
            wait_idle(self.layer["httpd"])
            self.assertEqual(200, fetch(self.layer)[0])
        self.assertEqual("", stderr.getvalue())


class StaticTest(unittest.TestCase):
    layer = STATIC

    def tearDown(self):
        wait_idle(self.layer["httpd"])

    def test_file(self):
        data = os.urandom(3 * 1024 * 1024 + 17)  # more than one block
        with open(
            os.path.join(self.layer["documentroot"], "f.bin"), "wb"
        ) as f:
            f.write(data)
        status, headers, body = fetch(self.layer, "/f.bin")
        self.assertEqual((200, len(data)), (status, len(body)))
        self.assertEqual(data, body)
        self.assertEqual(str(len(data)), headers["Content-Length"])

    def test_range(self):
        with open(
            os.path.join(self.layer["documentroot"], "r.txt"), "wb"
        ) as f:
            f.write(b"0123456789")
        request = urllib.request.Request(
            self.layer["http_url"] + "/r.txt", headers={"Range": "bytes=2-5"}
        )
        with urllib.request.urlopen(
            request, context=context(self.layer), timeout=TIMEOUT
        ) as response:
            self.assertEqual(
                (206, b"2345"), (response.status, response.read())
            )


class CustomTest(unittest.TestCase):
    layer = CUSTOM

    def test_handler(self):
        self.assertEqual("https", self.layer["http_scheme"])
        self.assertEqual(
            (200, b"custom over TLS"),
            (fetch(self.layer)[0], fetch(self.layer)[2]),
        )


class LogHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


class HandlerClassLayer(gocept.httpserverlayer.wsgi.Layer):
    request_handler_class = LogHandler


class LifecycleTest(unittest.TestCase):
    """Layers set up and torn down inside the test."""

    def run_layer(self, layer):
        layer.setUp()
        self.addCleanup(self.tear_down, layer)
        layer.testSetUp()
        return layer

    def tear_down(self, layer):
        if "httpd" in layer._resources:
            layer.testTearDown()
            layer.tearDown()

    def test_wsgiref_handler_class_sees_https(self):
        layer = self.run_layer(
            HandlerClassLayer(name="HandlerClass", wsgi_app=scheme_app)
        )
        layer.https = True  # too late for this setUp: needs a new one
        layer.tearDown()
        layer.setUp()
        self.assertEqual(b"<title>scheme https</title>", fetch(layer)[2])

    def test_plain_layer_resources(self):
        layer = self.run_layer(
            gocept.httpserverlayer.wsgi.Layer(
                name="Plain", wsgi_app=scheme_app
            )
        )
        self.assertEqual("http", layer["http_scheme"])
        self.assertEqual(
            f"http://localhost:{layer['http_port']}", layer["http_url"]
        )
        self.assertNotIn("ca_bundle", layer._resources)
        self.assertNotIn("ca_spki_hash", layer._resources)

    def test_environment_variable(self):
        os.environ["GOCEPT_HTTP_HTTPS"] = "yes"
        self.addCleanup(os.environ.pop, "GOCEPT_HTTP_HTTPS")
        layer = self.run_layer(
            gocept.httpserverlayer.wsgi.Layer(name="Env", wsgi_app=scheme_app)
        )
        self.assertEqual(b"<title>scheme https</title>", fetch(layer)[2])
        # A layer that says https=False stays plain.
        plain = gocept.httpserverlayer.wsgi.Layer(
            name="EnvPlain", wsgi_app=scheme_app, https=False
        )
        self.run_layer(plain)
        self.assertEqual("http", plain["http_scheme"])

    def test_bad_environment_value(self):
        os.environ["GOCEPT_HTTP_HTTPS"] = "maybe"
        self.addCleanup(os.environ.pop, "GOCEPT_HTTP_HTTPS")
        layer = gocept.httpserverlayer.wsgi.Layer(
            name="Bad", wsgi_app=scheme_app
        )
        with self.assertRaisesRegex(Error, "GOCEPT_HTTP_HTTPS='maybe'"):
            layer.setUp()
        self.assertNotIn("httpd", layer._resources)

    def test_teardown_removes_resources_and_directory(self):
        layer = gocept.httpserverlayer.wsgi.Layer(
            name="Removed", wsgi_app=scheme_app, https=True
        )
        layer.setUp()
        directory = os.path.dirname(layer["ca_bundle"])
        self.assertTrue(os.path.isdir(directory))
        layer.tearDown()
        self.assertFalse(os.path.exists(directory))
        for key in ("http_scheme", "http_url", "ca_bundle", "ca_spki_hash"):
            self.assertNotIn(key, layer._resources)

    def test_bind_error_removes_directory(self):
        blocker = socket.socket()
        self.addCleanup(blocker.close)
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        layer = gocept.httpserverlayer.wsgi.Layer(
            name="Taken", wsgi_app=scheme_app, https=True
        )
        layer.host = "127.0.0.1"
        layer.port = blocker.getsockname()[1]
        before = tls_directories()
        with self.assertRaises(OSError):
            layer.setUp()
        self.assertEqual(before, tls_directories())

    def test_teardown_fast_with_idle_tls_connections(self):
        layer = gocept.httpserverlayer.wsgi.Layer(
            name="Idle", wsgi_app=scheme_app, https=True
        )
        layer.shutdown_timeout = 30
        layer.setUp()
        layer.testSetUp()
        # An idle keep-alive connection after a response, and one that
        # connected but never started its handshake.
        idle = context(layer).wrap_socket(
            socket.create_connection(("localhost", layer["http_port"])),
            server_hostname="localhost",
        )
        self.addCleanup(idle.close)
        idle.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        self.assertIn(b"200 OK", idle.recv(65536))
        silent = socket.create_connection(("localhost", layer["http_port"]))
        self.addCleanup(silent.close)
        server = layer["httpd"]
        deadline = time.monotonic() + TIMEOUT
        while len(server._connections) < 2 and time.monotonic() < deadline:
            time.sleep(0.002)
        self.assertEqual(2, len(server._connections))
        threads = {t for t in threading.enumerate() if "Idle" in t.name}
        start = time.monotonic()
        layer.tearDown()
        self.assertLess(time.monotonic() - start, 2)
        self.assertFalse([t for t in threads if t.is_alive()])

    def test_teardown_fast_during_handshake_under_settle(self):
        layer = self.run_layer(
            gocept.httpserverlayer.wsgi.Layer(
                name="Settle", wsgi_app=scheme_app, https=True
            )
        )
        silent = socket.create_connection(("localhost", layer["http_port"]))
        self.addCleanup(silent.close)
        server = layer["httpd"]
        deadline = time.monotonic() + TIMEOUT
        while not server._connections and time.monotonic() < deadline:
            time.sleep(0.002)
        start = time.monotonic()
        layer.testTearDown()  # closes the connection that is still silent
        wait_idle(server)
        self.assertFalse(server._connections)
        self.assertLess(time.monotonic() - start, 2)


def tls_directories():
    # Only the layer's own: other processes (parallel test workers) make
    # and remove temporary directories meanwhile.
    return {
        name
        for name in os.listdir(tempfile.gettempdir())
        if name.startswith("gocept.httpserverlayer.tls-")
    }


class ChromiumTest(unittest.TestCase):
    layer = WSGI

    def setUp(self):
        missing = browser.missing("selenium")
        if missing:
            print(f"\nskipping Chromium HTTPS tests, not installed: {missing}")
            self.skipTest(f"not installed: {missing}")

    def open(self, *flags):
        driver = browser.start_selenium(args=flags)
        self.addCleanup(driver.quit)
        try:
            driver.get(self.layer["http_url"] + "/page")
        except selenium.common.WebDriverException as e:
            return driver, str(e)
        return driver, None

    def test_trusts_the_certificate_by_its_spki_hash(self):
        spki = self.layer["ca_spki_hash"]
        driver, error = self.open(
            f"--ignore-certificate-errors-spki-list={spki}"
        )
        self.assertIsNone(error)
        self.assertEqual("scheme https", driver.title)

    def test_without_the_hash_gets_a_certificate_error(self):
        driver, error = self.open()
        if error is not None:
            self.assertIn("CERT", error)
        else:
            self.assertNotEqual("scheme https", driver.title)
            self.assertIn("CERT_AUTHORITY_INVALID", driver.page_source)
