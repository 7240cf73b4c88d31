"""The layers under pytest, through zope.pytestlayer.

zope.pytestlayer registers itself through its ``pytest11`` entry point: a
``unittest.TestCase`` with a ``layer`` attribute runs inside the layer, its
bases first, as under zope.testrunner.
"""

import http.client
import unittest

import plone.testing

from gocept.httpserverlayer import wsgi

EVENTS = []


def app(environ, start_response):
    body = b"pytestlayer " + environ["PATH_INFO"].encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


class AppLayer(plone.testing.Layer):
    """A base layer providing the ``wsgi_app`` resource."""

    def setUp(self):
        EVENTS.append("app.setUp")
        self["wsgi_app"] = app

    def tearDown(self):
        EVENTS.append("app.tearDown")
        del self["wsgi_app"]


APP_LAYER = AppLayer(name="APP_LAYER")


class RecordingLayer(wsgi.Layer):
    def setUp(self):
        EVENTS.append("setUp")
        super().setUp()

    def testSetUp(self):
        EVENTS.append("testSetUp")
        super().testSetUp()

    def testTearDown(self):
        EVENTS.append("testTearDown")
        super().testTearDown()

    def tearDown(self):
        EVENTS.append("tearDown")
        super().tearDown()


HTTP_LAYER = RecordingLayer(name="HTTP_LAYER", bases=(APP_LAYER,))


class LayerTests(unittest.TestCase):
    layer = HTTP_LAYER

    def get(self, path):
        connection = http.client.HTTPConnection(
            self.layer["http_host"], self.layer["http_port"], timeout=10
        )
        try:
            connection.request("GET", path)
            return connection.getresponse().read()
        finally:
            connection.close()

    def assertInOrder(self):
        # The bases first, once; then each test in testSetUp/testTearDown.
        self.assertEqual(["app.setUp", "setUp"], EVENTS[:2])
        tests = EVENTS[2:]
        self.assertEqual("testSetUp", tests[-1])
        self.assertEqual(
            ["testSetUp", "testTearDown"] * (len(tests) // 2),
            tests[:-1],
        )

    def test_order_and_resources(self):
        self.assertInOrder()
        address = self.layer["http_address"]
        self.assertEqual(
            f"{self.layer['http_host']}:{self.layer['http_port']}", address
        )
        self.assertIs(app, self.layer["wsgi_app"])
        self.assertEqual(b"pytestlayer /one", self.get("/one"))

    def test_record_is_per_test(self):
        self.assertInOrder()
        self.assertEqual(0, len(self.layer["http_requests"]))
        self.assertEqual(b"pytestlayer /two", self.get("/two"))
        self.layer["http_requests"].assert_requested("GET", "/two", 200)
