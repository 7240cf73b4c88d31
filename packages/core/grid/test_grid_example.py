"""The example of docs/grid.rst: a layer's page in a browser of the grid.

Run with GOCEPT_SELENIUM_GRID_URL, GOCEPT_HTTP_APP_HOST and
GOCEPT_HTTP_BIND_HOST set (the grid env sets them); without a grid the
test is skipped, saying why.
"""

import unittest

import plone.testing

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer import grid
from gocept.httpserverlayer._testing import gridsupport


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html")])
    return [b"<h1>Hello from the test host</h1>"]


HTTP_LAYER = gocept.httpserverlayer.wsgi.Layer(wsgi_app=hello)


class GridBrowserLayer(plone.testing.Layer):
    """A Chromium session on the grid for the tests of HTTP_LAYER."""

    defaultBases = (HTTP_LAYER,)

    def setUp(self):
        # Checks the grid, starts the session (trusting the layer's
        # certificate under HTTPS) and checks that the browser reaches
        # the layer: each problem is one line naming the variable.
        self["webdriver"] = grid.remote_webdriver(self)

    def tearDown(self):
        self["webdriver"].quit()
        del self["webdriver"]


GRID_BROWSER = GridBrowserLayer(name="GridBrowser")


class HelloTest(unittest.TestCase):
    layer = GRID_BROWSER

    def test_page_in_a_browser_of_the_grid(self):
        driver = self.layer["webdriver"]
        driver.get(f"{self.layer['http_url']}/")
        heading = driver.find_element("tag name", "h1").text
        self.assertEqual("Hello from the test host", heading)


def test_suite():
    # Not part of the example: without a grid, skip and say why.
    reason = gridsupport.why_no_grid()
    if reason:
        return unittest.TestSuite([SkipExample(reason)])
    return unittest.defaultTestLoader.loadTestsFromTestCase(HelloTest)


class SkipExample(unittest.TestCase):
    def __init__(self, reason):
        super().__init__("test_skipped")
        self.reason = reason

    def test_skipped(self):
        self.skipTest(self.reason)
