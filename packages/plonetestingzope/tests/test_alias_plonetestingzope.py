"""The names of plonetestingzope 4.x, with their 4.x meaning.

The facts come from gocept.httpserverlayer 4.0's wheel: its module
``gocept.httpserverlayer.plonetestingzope`` defines the class ``Layer``
(default bases ``plone.testing.zope.WSGI_SERVER_FIXTURE`` and
``plone.testing.zope.FUNCTIONAL_TESTING``, class attributes ``host`` and
``port``) and ``HTTP_SERVER = Layer()``. The consumers env checks every
4.0 name against the wheel itself (consumers/test_names_40.py).
"""

import socket
import subprocess
import sys
import types
import unittest
import urllib.request

import plone.testing
import plone.testing.zope
import transaction
from OFS.Image import manage_addFile

from gocept.httpserverlayer import plonetestingzope
from gocept.httpserverlayer.plonetesting import HTTPServer

NAMES_OF_4_0 = {"HTTP_SERVER", "Layer"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Settings:
    """Sets host and port as class attributes and comes first in the MRO,
    as gocept.selenium's IntegrationBase does."""

    host = "127.0.0.1"
    port = free_port()

    def __init__(self, *args, **kw):
        kw["module"] = __name__
        super().__init__(*args, **kw)


class SubLayer(Settings, plonetestingzope.Layer):
    pass


# Without arguments, as gocept.selenium instantiates its subclass.
SUB_LAYER = SubLayer()


class NamesTest(unittest.TestCase):
    def test_has_the_names_of_4_0(self):
        public = {
            name
            for name, value in vars(plonetestingzope).items()
            if not name.startswith("_")
            and not isinstance(value, types.ModuleType)
        }
        self.assertLessEqual(NAMES_OF_4_0, public)
        self.assertEqual(
            NAMES_OF_4_0 | {"__version__"}, set(plonetestingzope.__all__)
        )

    def test_layer_has_the_default_bases_of_4_0(self):
        bases = (
            plone.testing.zope.WSGI_SERVER_FIXTURE,
            plone.testing.zope.FUNCTIONAL_TESTING,
        )
        self.assertEqual(bases, plonetestingzope.Layer.defaultBases)
        self.assertEqual(bases, plonetestingzope.Layer().__bases__)
        self.assertEqual(bases, SUB_LAYER.__bases__)

    def test_http_server_is_a_layer_named_as_in_4_0(self):
        layer = plonetestingzope.HTTP_SERVER
        self.assertIsInstance(layer, plonetestingzope.Layer)
        self.assertEqual(
            "gocept.httpserverlayer.plonetestingzope.Layer",
            f"{layer.__module__}.{layer.__name__}",
        )

    def test_layer_serves_through_the_core(self):
        self.assertTrue(issubclass(plonetestingzope.Layer, HTTPServer))
        self.assertTrue(
            issubclass(plonetestingzope.Layer, plone.testing.Layer)
        )

    def test_imports_by_itself(self):
        # A fresh interpreter, where nothing imported plonetesting before.
        code = (
            "from gocept.httpserverlayer.plonetestingzope import HTTP_SERVER;"
            " print(type(HTTP_SERVER).__name__)"
        )
        output = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        self.assertEqual("Layer", output.strip())


class SubclassTest(unittest.TestCase):
    layer = SUB_LAYER

    def get(self, path):
        url = f"http://{self.layer['http_address']}{path}"
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read()

    def test_serves_on_the_class_attributes_host_and_port(self):
        self.assertEqual("127.0.0.1", self.layer["http_host"])
        self.assertEqual(Settings.port, self.layer["http_port"])

    def test_serves_what_the_test_commits(self):
        manage_addFile(self.layer["app"], "note", b"from the test")
        transaction.commit()
        self.assertEqual(b"from the test", self.get("/note"))

    def test_urls_the_test_computes_point_at_the_server(self):
        url = self.layer["app"].absolute_url()
        self.assertEqual(f"http://{self.layer['http_address']}", url)
