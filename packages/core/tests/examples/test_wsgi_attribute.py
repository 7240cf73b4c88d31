"""Serve a WSGI application that is set as an attribute of the layer.

Tests in this layer reach the application at the ``http_url`` resource,
``http://localhost:PORT`` (``https://`` when the layer serves HTTPS).
"""

import ssl
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
        # ca_bundle is set when the layer serves HTTPS (GOCEPT_HTTP_HTTPS=1).
        trust = ssl.create_default_context(cafile=self.layer.get("ca_bundle"))
        url = self.layer["http_url"] + "/"
        with urllib.request.urlopen(url, context=trust) as response:
            self.assertEqual(b"Hello world", response.read())
