"""Serve the files of a directory of your own.

The layer only reads from the directory: nothing in it is changed or removed.
"""

import os.path
import ssl
import unittest
import urllib.request

import gocept.httpserverlayer.static

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")

HTTP_LAYER = gocept.httpserverlayer.static.Layer(
    FIXTURES, name="StaticDirectoryLayer", module=__name__
)


class StaticDirectoryTest(unittest.TestCase):
    layer = HTTP_LAYER

    def fetch(self, path):
        # ca_bundle is set when the layer serves HTTPS (GOCEPT_HTTP_HTTPS=1).
        trust = ssl.create_default_context(cafile=self.layer.get("ca_bundle"))
        url = self.layer["http_url"] + path
        with urllib.request.urlopen(url, context=trust) as response:
            return response.read().decode("utf-8")

    def test_index_html_is_served_for_the_root(self):
        self.assertIn("Hello world", self.fetch("/"))

    def test_index_html_is_served_by_name(self):
        self.assertIn("Hello world", self.fetch("/index.html"))
