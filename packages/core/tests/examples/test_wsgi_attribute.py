"""Serve a WSGI application that is set as an attribute of the layer.

Tests in this layer reach the application at ``http://localhost:PORT/``.
"""

import unittest
import urllib.request

import gocept.httpserverlayer.wsgi


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello world"]


HTTP_LAYER = gocept.httpserverlayer.wsgi.Layer(
    name="WSGIAttributeLayer", module=__name__
)
HTTP_LAYER.wsgi_app = app


class WSGIAttributeTest(unittest.TestCase):
    layer = HTTP_LAYER

    def test_app_answers(self):
        address = self.layer["http_address"]
        url = f"http://{address}/"
        with urllib.request.urlopen(url) as response:
            self.assertEqual(b"Hello world", response.read())
