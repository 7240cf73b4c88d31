"""Serve the WSGI application that a base layer provides.

A layer puts the application into its ``wsgi_app`` resource; the HTTP layer
built on top of it serves whatever it finds there.
"""

import ssl
import unittest
import urllib.request

import plone.testing

import gocept.httpserverlayer.wsgi


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello world"]


class WSGILayer(plone.testing.Layer):
    def setUp(self):
        self["wsgi_app"] = app

    def tearDown(self):
        del self["wsgi_app"]


WSGI_LAYER = WSGILayer()

HTTP_LAYER = gocept.httpserverlayer.wsgi.Layer(
    name="HTTPLayer", bases=(WSGI_LAYER,)
)


class WSGIBaseLayerTest(unittest.TestCase):
    layer = HTTP_LAYER

    def test_app_answers(self):
        # ca_bundle is set when the layer serves HTTPS (GOCEPT_HTTP_HTTPS=1).
        trust = ssl.create_default_context(cafile=self.layer.get("ca_bundle"))
        url = self.layer["http_url"] + "/"
        with urllib.request.urlopen(url, context=trust) as response:
            self.assertEqual(b"Hello world", response.read())
