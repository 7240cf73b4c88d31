"""Write files into a temporary document root during a test and fetch them.

The temporary document root is emptied before every test, so each test
starts with a clean directory.
"""

import os
import os.path
import ssl
import unittest
import urllib.request

import gocept.httpserverlayer.static


class StaticTemporaryTest(unittest.TestCase):
    layer = gocept.httpserverlayer.static.STATIC_FILES

    def write(self, name, text):
        path = os.path.join(self.layer["documentroot"], name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    def test_a_file_written_in_a_test_is_served(self):
        self.write("first.txt", "Hello world")
        # ca_bundle is set when the layer serves HTTPS (GOCEPT_HTTP_HTTPS=1).
        trust = ssl.create_default_context(cafile=self.layer.get("ca_bundle"))
        url = self.layer["http_url"] + "/first.txt"
        with urllib.request.urlopen(url, context=trust) as response:
            self.assertEqual(b"Hello world", response.read())

    def test_files_of_other_tests_are_gone(self):
        self.write("second.txt", "Hello again")
        self.assertEqual(
            ["second.txt"], os.listdir(self.layer["documentroot"])
        )
