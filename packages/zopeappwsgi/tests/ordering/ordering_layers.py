"""Run by test_ordering.py in a zope-testrunner of its own: plain HTTP
layers before and after the ZTK layers, in one process."""

import unittest

from test_isolation import EDITOR
from test_isolation import open_connections
from test_isolation import open_url
from ztkapp import testing

import gocept.httpserverlayer.wsgi

SEEN_DBS = []


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


BEFORE = gocept.httpserverlayer.wsgi.Layer(name="A:Before", wsgi_app=hello)
# zope.testrunner runs unrelated layers in the order of their dotted
# names: "zz_" puts AFTER behind ztkapp's layers.
AFTER = gocept.httpserverlayer.wsgi.Layer(
    name="Z:After", module="zz_after", wsgi_app=hello
)


class BeforeTest(unittest.TestCase):
    layer = BEFORE

    def test_plain_server_serves(self):
        self.assertEqual((200, "hello"), open_url(self.layer, ""))


class ZTKTest(unittest.TestCase):
    layer = testing.HTTP_LAYER

    def test_write_one(self):
        SEEN_DBS.append(testing.ZODB_LAYER.db)
        self.assertEqual((200, "no notes"), open_url(self.layer, "@@read"))
        open_url(self.layer, "@@write", EDITOR, text="x")

    def test_write_two(self):
        self.test_write_one()


class AfterTest(unittest.TestCase):
    layer = AFTER

    def test_plain_server_serves(self):
        self.assertEqual((200, "hello"), open_url(self.layer, ""))

    def test_ztk_layers_left_nothing_behind(self):
        self.assertEqual(2, len(SEEN_DBS))
        for db in SEEN_DBS:
            self.assertEqual([], open_connections(db))
        self.assertNotIn("wsgi_app", testing.WSGI_LAYER)
        self.assertIsNone(testing.ZODB_LAYER.db)
