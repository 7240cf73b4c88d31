"""See the exceptions the server caught during the test, or fail on them.

``http_errors`` lists them (request and traceback); with
``fail_on_server_errors = True`` on the layer (or
``GOCEPT_HTTP_FAIL_ON_SERVER_ERRORS=1`` for the run), a test during which
the application raised fails with the server's traceback.
"""

import io
import ssl
import sys
import unittest
import urllib.error
import urllib.request

import gocept.httpserverlayer.wsgi


def app(environ, start_response):
    raise ZeroDivisionError("the application failed")


ERRORS_LAYER = gocept.httpserverlayer.wsgi.Layer(
    wsgi_app=app, name="ErrorsLayer", module=__name__
)


class ServerErrorsExample(unittest.TestCase):
    layer = ERRORS_LAYER

    def test_the_traceback_is_attached_to_the_test(self):
        # ca_bundle is set when the layer serves HTTPS (GOCEPT_HTTP_HTTPS=1).
        trust = ssl.create_default_context(cafile=self.layer.get("ca_bundle"))
        url = self.layer["http_url"] + "/"
        stderr, sys.stderr = sys.stderr, io.StringIO()  # keep output quiet
        try:
            with self.assertRaises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(url, context=trust)
        finally:
            sys.stderr = stderr
        self.assertEqual(500, caught.exception.code)
        (error,) = self.layer["http_errors"]
        self.assertIn("ZeroDivisionError", error.traceback)
