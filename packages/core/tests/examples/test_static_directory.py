"""Serve the files of a directory of your own.

The layer only reads from the directory: nothing in it is changed or removed.
"""

import os.path
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
        address = self.layer["http_address"]
        url = f"http://{address}{path}"
        with urllib.request.urlopen(url) as response:
            return response.read().decode("utf-8")

    def test_index_html_is_served_for_the_root(self):
        self.assertIn("Hello world", self.fetch("/"))

    def test_index_html_is_served_by_name(self):
        self.assertIn("Hello world", self.fetch("/index.html"))
