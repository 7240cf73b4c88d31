"""HTTP_SERVER mixed with PLONE_FIXTURE itself, the shortest form."""

import unittest

import plone.testing
from plone.app.testing import PLONE_FIXTURE

from gocept.httpserverlayer._testing.client import request
from gocept.httpserverlayer.plonetesting import HTTP_SERVER

PLONE_HTTP = plone.testing.Layer(
    bases=(PLONE_FIXTURE, HTTP_SERVER), name="Plone:HTTP"
)


class PloneFixtureTest(unittest.TestCase):
    layer = PLONE_HTTP

    def test_site_root_renders(self):
        status, body = request(self.layer, "/plone")
        self.assertEqual(200, status)
        self.assertIn("Plone site", body)

    def test_site_is_in_the_test_s_app(self):
        self.assertIn("plone", self.layer["app"].objectIds())
