import ssl
import unittest
import urllib.request

import gocept.httpserverlayer.wsgi


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello world"]


HTTP_LAYER = gocept.httpserverlayer.wsgi.Layer(wsgi_app=app, name="Hello")


class HelloTest(unittest.TestCase):
    layer = HTTP_LAYER

    def test_hello(self):
        # ca_bundle is set when the layer serves HTTPS (GOCEPT_HTTP_HTTPS=1).
        trust = ssl.create_default_context(cafile=self.layer.get("ca_bundle"))
        url = self.layer["http_url"] + "/"
        with urllib.request.urlopen(url, context=trust) as response:
            self.assertEqual(b"Hello world", response.read())
