"""Mistakes with a real grid: one line naming the cause and the variable.

The usual one: a layer left on the default host, ``localhost``, which on a
grid node is the node itself.
"""

import os
import time
import unittest

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer import grid
from gocept.httpserverlayer._testing import gridsupport


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"served"]


class LoopbackLayer(gocept.httpserverlayer.wsgi.Layer):
    """What a layer is without GOCEPT_HTTP_APP_HOST and
    GOCEPT_HTTP_BIND_HOST: bound to and advertising localhost."""

    host = "localhost"
    bind_host = "localhost"


LOOPBACK = LoopbackLayer(name="GridLoopback", module=__name__, wsgi_app=app)
SERVED = gocept.httpserverlayer.wsgi.Layer(
    name="GridServed", module=__name__, wsgi_app=app
)


class GridErrorTest(unittest.TestCase):
    def setUp(self):
        reason = gridsupport.why_no_grid()
        if reason:
            self.skipTest(reason)


class LoopbackOnGridTest(GridErrorTest):
    layer = LOOPBACK

    def test_layer_on_localhost_is_unreachable_from_a_node(self):
        with self.assertRaises(grid.GridError) as caught:
            grid.remote_webdriver(self.layer)
        self.assertEqual(
            "The grid's browser cannot reach"
            f" http://localhost:{self.layer['http_port']}/"
            " (ERR_CONNECTION_REFUSED): 'localhost' is a loopback name,"
            " which on the grid's node means the node itself; set"
            " GOCEPT_HTTP_APP_HOST to this machine's name or address as"
            " the nodes see it, and GOCEPT_HTTP_BIND_HOST to an address"
            " they reach (or 0.0.0.0).",
            str(caught.exception),
        )


class NoNodeForTheBrowserTest(GridErrorTest):
    layer = SERVED

    def test_request_no_node_takes_fails_within_its_timeout(self):
        from selenium.webdriver.firefox.options import Options

        started = time.monotonic()
        with self.assertRaises(grid.GridError) as caught:
            grid.remote_webdriver(self.layer, Options(), timeout=3)
        # Bounded by the timeout, not by the hub's queue (60 s here).
        self.assertLess(time.monotonic() - started, 30)
        message = str(caught.exception)
        url = os.environ["GOCEPT_SELENIUM_GRID_URL"]
        self.assertTrue(
            message.startswith(
                f"The Selenium Grid at {url} did not start a browser session"
                " within 3 s ("
            ),
            message,
        )
        self.assertTrue(
            message.endswith(
                "): start a node that offers the browser asked for, or set"
                " GOCEPT_SELENIUM_GRID_URL to a grid that has one."
            ),
            message,
        )
