"""The names of plonetestingz2 1.0 to 2.2.

The facts come from gocept.httpserverlayer 2.2's sdist: its module
``gocept.httpserverlayer.plonetestingz2`` defines ``ZSERVER`` (a server
fixture layer, the first default base of ``Layer``), the class ``Layer``
and ``HTTP_SERVER = Layer()``; 3.0 renamed the module plonetestingzope.
"""

import subprocess
import sys
import types
import unittest
import urllib.request

import plone.testing
import transaction
from OFS.Image import manage_addFile

from gocept.httpserverlayer import plonetestingz2
from gocept.httpserverlayer import plonetestingzope

NAMES_OF_2_2 = {"HTTP_SERVER", "Layer", "ZSERVER"}


class NamesTest(unittest.TestCase):
    def test_has_the_names_of_2_2(self):
        public = {
            name
            for name, value in vars(plonetestingz2).items()
            if not name.startswith("_")
            and not isinstance(value, types.ModuleType)
        }
        self.assertLessEqual(NAMES_OF_2_2, public)
        self.assertEqual(
            NAMES_OF_2_2 | {"__version__"}, set(plonetestingz2.__all__)
        )

    def test_layer_and_http_server_are_those_of_plonetestingzope(self):
        self.assertIs(plonetestingzope.Layer, plonetestingz2.Layer)
        self.assertIs(plonetestingzope.HTTP_SERVER, plonetestingz2.HTTP_SERVER)

    def test_zserver_is_the_first_default_base_of_layer(self):
        self.assertIsInstance(plonetestingz2.ZSERVER, plone.testing.Layer)
        self.assertIs(
            plonetestingz2.ZSERVER, plonetestingz2.Layer.defaultBases[0]
        )

    def test_imports_by_itself(self):
        # A fresh interpreter, where nothing imported plonetesting before.
        code = (
            "from gocept.httpserverlayer.plonetestingz2 import HTTP_SERVER;"
            " print(type(HTTP_SERVER).__name__)"
        )
        output = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        self.assertEqual("Layer", output.strip())


class ServedTest(unittest.TestCase):
    layer = plonetestingz2.HTTP_SERVER

    def test_serves_what_the_test_commits(self):
        manage_addFile(self.layer["app"], "note", b"from the test")
        transaction.commit()
        url = f"http://{self.layer['http_address']}/note"
        with urllib.request.urlopen(url, timeout=30) as response:
            self.assertEqual(b"from the test", response.read())
