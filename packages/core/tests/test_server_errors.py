"""Exceptions the server caught: http_errors, and failing the test (opt-in)."""

import contextlib
import os
import tempfile
import unittest
import urllib.error
import urllib.request

from support import captured_stderr
from support import run_zope_testrunner

import gocept.httpserverlayer.wsgi


def app(environ, start_response):
    if environ["PATH_INFO"] == "/boom":
        raise RuntimeError("boom in the app")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


LAYER = gocept.httpserverlayer.wsgi.Layer(wsgi_app=app, name="Errors")


def get(layer, path):
    url = f"http://{layer['http_address']}{path}"
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(url, timeout=10).close()


class HTTPErrorsTest(unittest.TestCase):
    layer = LAYER

    def test_exception_is_attached_to_the_test(self):
        with captured_stderr():
            get(self.layer, "/boom")
        (error,) = self.layer["http_errors"]
        self.assertTrue(error.request.startswith("GET /boom from "))
        self.assertIn("RuntimeError: boom in the app", error.traceback)

    def test_emptied_at_testSetUp_a(self):
        with captured_stderr():
            get(self.layer, "/boom")
        self.assertEqual(1, len(self.layer["http_errors"]))

    def test_emptied_at_testSetUp_b(self):
        get(self.layer, "/fine")
        self.assertEqual([], self.layer["http_errors"])


FAILING_MODULE = """
import contextlib, unittest, urllib.error, urllib.request
import gocept.httpserverlayer.wsgi

def app(environ, start_response):
    raise RuntimeError("boom in the app")

LAYER = gocept.httpserverlayer.wsgi.Layer(wsgi_app=app)
LAYER.fail_on_server_errors = {setting}

class Test(unittest.TestCase):
    layer = LAYER

    def test_request(self):
        url = "http://%s/boom" % self.layer["http_address"]
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(url).close()
"""


class FailOnServerErrorsTest(unittest.TestCase):
    def run_module(self, setting, **environ):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "test_failing.py")
            with open(path, "w") as f:
                f.write(FAILING_MODULE.format(setting=setting))
            old = {k: os.environ.get(k) for k in environ}
            os.environ.update(environ)
            try:
                return run_zope_testrunner(directory)
            finally:
                for key, value in old.items():
                    if value is None:
                        del os.environ[key]
                    else:
                        os.environ[key] = value

    def test_off_by_default_the_test_passes_and_the_traceback_is_shown(self):
        output = self.run_module("None")
        self.assertIn("Ran 1 tests with 0 failures, 0 errors", output)
        self.assertEqual(1, output.count("RuntimeError: boom in the app"))

    def test_layer_attribute_makes_the_test_fail_with_the_traceback(self):
        output = self.run_module("True")
        self.assertIn("Ran 1 tests with 1 failures, 0 errors", output)
        self.assertIn(
            "The HTTP server caught 1 exception(s) during this test", output
        )
        self.assertIn("While serving GET /boom from ", output)

    def test_environment_variable_turns_it_on(self):
        output = self.run_module("None", GOCEPT_HTTP_FAIL_ON_SERVER_ERRORS="1")
        self.assertIn("Ran 1 tests with 1 failures, 0 errors", output)

    def test_attribute_false_wins_over_the_variable(self):
        output = self.run_module(
            "False", GOCEPT_HTTP_FAIL_ON_SERVER_ERRORS="1"
        )
        self.assertIn("Ran 1 tests with 0 failures, 0 errors", output)


class CannotFailTest(unittest.TestCase):
    """Where no test can be found to fail, the layer says so once."""

    def test_said_once_when_the_test_cannot_be_failed(self):
        import threading

        layer = gocept.httpserverlayer.wsgi.Layer(
            wsgi_app=app, name="Unfailable"
        )
        layer.fail_on_server_errors = True
        layer.setUp()
        self.addCleanup(layer.tearDown)
        with captured_stderr() as stderr:
            for _ in range(2):
                # No unittest test in the frames of another thread.
                thread = threading.Thread(target=layer.testSetUp)
                thread.start()
                thread.join()
                layer.testTearDown()
        self.assertEqual(
            "gocept.httpserverlayer: Layer test_server_errors.Unfailable:"
            " fail_on_server_errors is on, but the test that runs is not a"
            " unittest.TestCase run by zope.testrunner, nor a pytest test"
            " with the gocept.httpserverlayer plugin: exceptions of the"
            " server are reported, but cannot fail the test. Check"
            " layer['http_errors'] in the test instead.\n",
            stderr.getvalue(),
        )


class NotSetUpTest(unittest.TestCase):
    """A resource read outside a set-up layer names the layer and the fix."""

    def test_resource_of_a_layer_not_set_up(self):
        layer = gocept.httpserverlayer.wsgi.Layer(wsgi_app=app, name="Idle")
        with self.assertRaises(KeyError) as caught:
            layer["http_address"]  # noqa: B018
        self.assertIsInstance(
            caught.exception, gocept.httpserverlayer.wsgi.Error
        )
        self.assertEqual(
            "Layer test_server_errors.Idle is not set up, so it has no"
            " resource 'http_address': run its tests under zope.testrunner,"
            " or under pytest with zope.pytestlayer installed, which set up"
            " the layer around them.",
            str(caught.exception),
        )
        self.assertIsNone(layer.get("http_address"))
        self.assertNotIn("http_port", layer)

    def test_other_keys_stay_plain_key_errors(self):
        with self.assertRaises(KeyError) as caught:
            LAYER["no_such_resource"]  # noqa: B018
        self.assertNotIsInstance(
            caught.exception, gocept.httpserverlayer.wsgi.Error
        )
