"""The documented API of the layers (DESIGN.md section 2), over real HTTP."""

import contextlib
import logging
import os
import socket
import sys
import tempfile
import textwrap
import threading
import unittest
import urllib.request
import wsgiref.handlers

import plone.testing
from support import run_zope_testrunner

import gocept.httpserverlayer.custom
import gocept.httpserverlayer.static
import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer._layer import _parallel_workers
from gocept.httpserverlayer._server import Error


def text_app(text):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [text.encode()]

    return app


def get(layer, path="/"):
    url = f"http://{layer['http_address']}{path}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


@contextlib.contextmanager
def environment(**values):
    old = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in old.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


@contextlib.contextmanager
def running(layer):
    layer.setUp()
    try:
        yield layer
    finally:
        layer.tearDown()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wsgi_layer(text="hi", **kw):
    layer = gocept.httpserverlayer.wsgi.Layer(**kw)
    layer.wsgi_app = text_app(text)
    return layer


class ResourcesTest(unittest.TestCase):
    def test_every_server_layer_sets_the_documented_resources(self):
        with running(wsgi_layer()) as layer:
            port = layer["http_port"]
            self.assertEqual("localhost", layer["http_host"])
            self.assertEqual(f"localhost:{port}", layer["http_address"])
            self.assertEqual(port, layer["httpd"].server_port)
            self.assertTrue(layer["httpd_thread"].is_alive())

    def test_host_comes_from_GOCEPT_HTTP_APP_HOST(self):
        with environment(GOCEPT_HTTP_APP_HOST="127.0.0.1"):
            with running(wsgi_layer()) as layer:
                self.assertEqual("127.0.0.1", layer["http_host"])
                self.assertEqual("hi", get(layer))

    def test_empty_GOCEPT_HTTP_APP_HOST_means_localhost(self):
        with environment(GOCEPT_HTTP_APP_HOST=""):
            with running(wsgi_layer()) as layer:
                self.assertEqual("localhost", layer["http_host"])

    def test_ipv6_host_is_bracketed_in_http_address(self):
        if not socket.has_ipv6:
            self.skipTest("Python was built without IPv6")
        with environment(GOCEPT_HTTP_APP_HOST="::1"):
            try:
                layer = wsgi_layer()
                layer.setUp()
            except OSError as e:
                self.skipTest(f"this machine cannot listen on ::1: {e}")
            with contextlib.closing(_TearDown(layer)):
                port = layer["http_port"]
                self.assertEqual(f"[::1]:{port}", layer["http_address"])
                self.assertEqual("hi", get(layer))

    def test_port_comes_from_GOCEPT_HTTP_APP_PORT(self):
        if _parallel_workers():
            self.skipTest(
                "a parallel worker refuses GOCEPT_HTTP_APP_PORT by design"
                " (ParallelTest checks that)"
            )
        port = free_port()
        with environment(GOCEPT_HTTP_APP_PORT=str(port)):
            with running(wsgi_layer()) as layer:
                self.assertEqual(port, layer["http_port"])

    def test_bad_GOCEPT_HTTP_APP_PORT_says_what_to_set(self):
        with environment(GOCEPT_HTTP_APP_PORT="eighty"):
            with self.assertRaises(Error) as caught:
                wsgi_layer().setUp()
        self.assertEqual(
            "GOCEPT_HTTP_APP_PORT='eighty' is not a port number: set it to a"
            " number from 1 to 65535, or to 0 or nothing to let the OS pick"
            " a free port.",
            str(caught.exception),
        )

    def test_host_and_port_class_attributes_win(self):
        port = free_port()

        class Fixed(gocept.httpserverlayer.wsgi.Layer):
            host = "127.0.0.1"

        Fixed.port = port
        layer = Fixed(name="Fixed")
        layer.wsgi_app = text_app("fixed")
        with environment(GOCEPT_HTTP_APP_HOST="bogus.invalid"):
            with running(layer):
                self.assertEqual(f"127.0.0.1:{port}", layer["http_address"])

    def test_resources_written_before_setUp_are_replaced(self):
        layer = wsgi_layer()
        layer["http_host"] = "stale"
        layer["http_port"] = 1
        with running(layer):
            self.assertEqual("localhost", layer["http_host"])
            self.assertNotEqual(1, layer["http_port"])


class BindHostTest(unittest.TestCase):
    def test_GOCEPT_HTTP_BIND_HOST_listens_apart_from_the_advertised_host(
        self,
    ):
        def server_name(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [environ["SERVER_NAME"].encode()]

        layer = gocept.httpserverlayer.wsgi.Layer(wsgi_app=server_name)
        with environment(
            GOCEPT_HTTP_APP_HOST="grid-visible.invalid",
            GOCEPT_HTTP_BIND_HOST="127.0.0.1",
        ):
            with running(layer):
                port = layer["http_port"]
                self.assertEqual(
                    f"grid-visible.invalid:{port}", layer["http_address"]
                )
                url = f"http://127.0.0.1:{port}/"
                with urllib.request.urlopen(url, timeout=10) as response:
                    self.assertEqual(b"grid-visible.invalid", response.read())

    def test_default_binds_where_the_host_resolves(self):
        with running(wsgi_layer()) as layer:
            addresses = {s.getsockname()[0] for s in layer["httpd"].sockets}
            self.assertLessEqual(addresses, {"127.0.0.1", "::1"})


class ParallelTest(unittest.TestCase):
    message = (
        "GOCEPT_HTTP_APP_PORT={port} fixes the port of every layer, but this"
        " process is a {what}: parallel workers would all bind that port."
        " Unset GOCEPT_HTTP_APP_PORT so that each worker gets a free port, or"
        " run the tests without parallel workers."
    )

    def test_fixed_port_in_a_pytest_xdist_worker(self):
        port = free_port()
        layer = wsgi_layer()
        with environment(
            PYTEST_XDIST_WORKER="gw1", GOCEPT_HTTP_APP_PORT=str(port)
        ):
            with self.assertRaises(Error) as caught:
                layer.setUp()
        what = "pytest-xdist worker gw1"
        self.assertEqual(
            self.message.format(port=port, what=what), str(caught.exception)
        )

    def test_fixed_port_under_zope_testrunner_j2(self):
        with tempfile.TemporaryDirectory() as directory:
            with open(os.path.join(directory, "test_fixed.py"), "w") as f:
                f.write(FIXED_PORT_MODULE)
            with environment(GOCEPT_HTTP_APP_PORT=str(free_port())):
                output = run_zope_testrunner(directory, "-j", "2")
        self.assertIn("zope-testrunner -j 2: parallel workers", output)


FIXED_PORT_MODULE = """
import unittest
import gocept.httpserverlayer.wsgi

class Test(unittest.TestCase):
    layer = gocept.httpserverlayer.wsgi.Layer(wsgi_app=lambda e, s: [])

    def test_nothing(self):
        pass
"""


class _TearDown:
    def __init__(self, layer):
        self.layer = layer

    def close(self):
        self.layer.tearDown()


class _AppLayer(plone.testing.Layer):
    def setUp(self):
        self["wsgi_app"] = text_app("from the base layer")

    def tearDown(self):
        del self["wsgi_app"]


APP_LAYER = _AppLayer(name="AppLayer")


class WSGIAppTest(unittest.TestCase):
    def test_attribute(self):
        with running(wsgi_layer("attribute")) as layer:
            self.assertEqual("attribute", get(layer))

    def test_keyword(self):
        layer = gocept.httpserverlayer.wsgi.Layer(wsgi_app=text_app("kw"))
        with running(layer):
            self.assertEqual("kw", get(layer))

    def test_resource_of_a_base_layer(self):
        layer = gocept.httpserverlayer.wsgi.Layer(bases=(APP_LAYER,))
        APP_LAYER.setUp()
        try:
            with running(layer):
                self.assertEqual("from the base layer", get(layer))
        finally:
            APP_LAYER.tearDown()

    def test_attribute_wins_over_the_resource(self):
        layer = gocept.httpserverlayer.wsgi.Layer(bases=(APP_LAYER,))
        layer.wsgi_app = text_app("attribute")
        APP_LAYER.setUp()
        try:
            with running(layer):
                self.assertEqual("attribute", get(layer))
        finally:
            APP_LAYER.tearDown()

    def test_testSetUp_picks_up_a_new_application(self):
        with running(wsgi_layer("first")) as layer:
            self.assertEqual("first", get(layer))
            layer.wsgi_app = text_app("second")
            layer.testSetUp()
            self.assertEqual("second", get(layer))

    def test_missing_application_says_how_to_give_one(self):
        layer = gocept.httpserverlayer.wsgi.Layer(name="NoApp")
        with self.assertRaises(Error) as caught:
            layer.setUp()
        self.assertEqual(
            f"Layer {__name__}.NoApp has no WSGI application: set its"
            " wsgi_app attribute, or give it a base layer that provides the"
            " 'wsgi_app' resource.",
            str(caught.exception),
        )

    def test_application_that_is_not_callable(self):
        layer = gocept.httpserverlayer.wsgi.Layer(name="Bad")
        layer.wsgi_app = "app"
        with self.assertRaises(Error) as caught:
            layer.setUp()
        self.assertEqual(
            f"The wsgi_app of layer {__name__}.Bad is 'app', which is not"
            " callable: it must be a WSGI application.",
            str(caught.exception),
        )

    def test_serve_hook_of_4x_is_called(self):
        calls = []

        class Hooked(gocept.httpserverlayer.wsgi.Layer):
            def serve(self):
                calls.append("serve")
                super().serve()

            def shutdown(self):
                calls.append("shutdown")
                super().shutdown()

        layer = Hooked(wsgi_app=text_app("hooked"))
        with running(layer):
            self.assertEqual("hooked", get(layer))
        self.assertEqual(["serve", "shutdown"], calls)

    def test_request_handler_class_of_4x_is_honoured(self):
        class Handler(gocept.httpserverlayer.wsgi.LogWSGIRequestHandler):
            def get_environ(self):
                environ = super().get_environ()
                environ["PATH_INFO"] = "/rewritten"
                return environ

        class Compat(gocept.httpserverlayer.wsgi.Layer):
            request_handler_class = Handler

        def echo_path(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [environ["PATH_INFO"].encode()]

        with running(Compat(wsgi_app=echo_path)) as layer:
            self.assertEqual("/rewritten", get(layer, "/original"))


class NamingTest(unittest.TestCase):
    def test_unnamed_layers_of_one_module_get_distinct_names(self):
        first = gocept.httpserverlayer.wsgi.Layer()
        second = gocept.httpserverlayer.wsgi.Layer()
        self.assertEqual(__name__, first.__module__)
        self.assertEqual(__name__, second.__module__)
        self.assertNotEqual(first.__name__, second.__name__)

    def test_subclass_instance_is_named_after_the_calling_module(self):
        class Mine(gocept.httpserverlayer.static.Layer):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)

        layer = Mine()
        self.assertEqual(__name__, layer.__module__)
        self.assertTrue(layer.__name__.startswith("Mine"))

    def test_explicit_name_and_module_are_kept(self):
        layer = gocept.httpserverlayer.wsgi.Layer(name="N", module="m.n")
        self.assertEqual(("m.n", "N"), (layer.__module__, layer.__name__))

    def test_unnamed_layers_in_two_modules_under_zope_testrunner(self):
        module = textwrap.dedent("""
            import unittest, urllib.request
            import gocept.httpserverlayer.wsgi

            def app(environ, start_response):
                start_response("200 OK", [("Content-Type", "text/plain")])
                return [__name__.encode()]

            HTTP_LAYER = gocept.httpserverlayer.wsgi.Layer()
            HTTP_LAYER.wsgi_app = app

            class Test(unittest.TestCase):
                layer = HTTP_LAYER

                def test_own_app(self):
                    url = "http://%s/" % self.layer["http_address"]
                    body = urllib.request.urlopen(url).read().decode()
                    self.assertEqual(__name__, body)
            """)
        with tempfile.TemporaryDirectory() as directory:
            for name in ("test_one", "test_two"):
                with open(os.path.join(directory, f"{name}.py"), "w") as f:
                    f.write(module)
            output = run_zope_testrunner(directory)
        self.assertIn("Total: 2 tests, 0 failures, 0 errors", output)


class CompatibilityTest(unittest.TestCase):
    def test_FixupMiddleware_imports_without_the_zope2_distribution(self):
        from gocept.httpserverlayer.wsgi import FixupMiddleware

        try:
            import gocept.httpserverlayer.zope2  # noqa: F401
        except ImportError:
            pass
        else:
            self.skipTest("gocept.httpserverlayer.zope2 is installed here")
        with self.assertRaises(ImportError) as caught:
            FixupMiddleware(text_app("x"))
        self.assertIn("gocept.httpserverlayer.zope2", str(caught.exception))

    def test_custom_layer_without_handler_says_what_to_pass(self):
        layer = gocept.httpserverlayer.custom.Layer(name="NoHandler")
        with self.assertRaises(Error) as caught:
            layer.setUp()
        self.assertEqual(
            f"Layer {__name__}.NoHandler has no request handler: pass a"
            " BaseHTTPRequestHandler subclass, as in custom.Layer(MyHandler).",
            str(caught.exception),
        )
        self.assertNotIn("request_handler", layer)

    def test_static_layer_with_missing_directory(self):
        layer = gocept.httpserverlayer.static.Layer("/nonexistent", name="M")
        with self.assertRaises(Error) as caught:
            layer.setUp()
        self.assertEqual(
            f"The document root '/nonexistent' of layer {__name__}.M is not a"
            " directory: pass an existing directory, or nothing for a"
            " temporary one.",
            str(caught.exception),
        )
        self.assertNotIn("documentroot", layer)

    def test_setUp_changes_no_process_wide_state(self):
        before = self.process_state()
        with running(wsgi_layer()) as layer:
            get(layer)
            during = self.process_state()
        self.assertEqual(before, during)
        self.assertEqual(before, self.process_state())

    def process_state(self):
        return (
            os.getcwd(),
            socket.getdefaulttimeout(),
            wsgiref.handlers.SimpleHandler._flush,
            list(logging.getLogger().handlers),
            logging.getLogger().level,
            threading.excepthook,
            sys.excepthook,
        )
