"""Each request runs with the component registry of the layer that runs.

HTTP_SERVER's worker threads serve one layer after another; each fixture
pushes a registry of its own with its views, and the server must find the
views of the layer that runs and no other layer's. Without CurrentRegistry,
OtherLayerTest fails after the Zope layer's tests (and Plone's site root is
a 404 in tests/plonesite).
"""

import unittest

import plone.testing
import plone.testing.zca
import plone.testing.zope
import zope.component
import zope.interface
from fixture import ZOPE_HTTP_TESTING
from Products.Five.browser import BrowserView
from zope.publisher.interfaces.browser import IDefaultBrowserLayer

from gocept.httpserverlayer._testing.client import request
from gocept.httpserverlayer.plonetesting import HTTP_SERVER


class Other(BrowserView):
    __roles__ = None

    def __call__(self):
        return "other"


class OtherFixture(plone.testing.Layer):
    defaultBases = (plone.testing.zope.STARTUP,)

    def setUp(self):
        plone.testing.zca.pushGlobalRegistry()
        zope.component.provideAdapter(
            Other,
            (zope.interface.Interface, IDefaultBrowserLayer),
            zope.interface.Interface,
            name="other",
        )

    def tearDown(self):
        plone.testing.zca.popGlobalRegistry()


OTHER_HTTP = plone.testing.Layer(
    bases=(OtherFixture(name="OtherFixture"), HTTP_SERVER), name="Other:HTTP"
)


class OtherLayerTest(unittest.TestCase):
    layer = OTHER_HTTP

    def test_view_of_this_layer_is_found(self):
        for _ in range(8):  # reach every idle worker thread
            self.assertEqual((200, "other"), request(self.layer, "/other"))


class ZopeLayerTest(unittest.TestCase):
    layer = ZOPE_HTTP_TESTING

    def test_view_of_the_other_layer_is_not_found(self):
        for _ in range(8):
            self.assertEqual(404, request(self.layer, "/other")[0])
            self.assertEqual(200, request(self.layer, "/hello")[0])
