"""gocept.httpserverlayer.grid without a grid: what a wrong setting says.

The grid env (packages/core/grid) drives real grid sessions; here each
mistake that needs no grid gives its one line, at once: the variable
unset, a hub that is not there, a URL that is not a hub, a hub without a
node.
"""

import json
import os
import socket
import time
import unittest
import unittest.mock

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer import grid


def closed_port():
    """A port on 127.0.0.1 on which nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hub_without_nodes(environ, start_response):
    """Answers /status as Selenium Grid 4 does while it has no node."""
    if environ["PATH_INFO"] != "/status":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not here"]
    body = json.dumps(
        {
            "value": {
                "ready": False,
                "message": "Selenium Grid not ready.",
                "nodes": [],
            }
        }
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


HUB = gocept.httpserverlayer.wsgi.Layer(
    name="NotReadyHub", module=__name__, wsgi_app=hub_without_nodes
)


class GridURLTest(unittest.TestCase):
    def test_unset_variable_names_itself(self):
        with unittest.mock.patch.dict(os.environ, {}, clear=False):
            os.environ.pop("GOCEPT_SELENIUM_GRID_URL", None)
            with self.assertRaises(grid.GridError) as caught:
                grid.grid_url()
        self.assertEqual(
            "GOCEPT_SELENIUM_GRID_URL is not set: set it to the URL of the"
            " Selenium Grid's hub, such as http://hub.example.com:4444.",
            str(caught.exception),
        )

    def test_trailing_slash_is_dropped(self):
        with unittest.mock.patch.dict(
            os.environ, {"GOCEPT_SELENIUM_GRID_URL": " http://hub:4444/ "}
        ):
            self.assertEqual("http://hub:4444", grid.grid_url())

    def test_hub_that_is_not_there_fails_at_once_naming_the_variable(self):
        url = f"http://127.0.0.1:{closed_port()}"
        started = time.monotonic()
        with self.assertRaises(grid.GridError) as caught:
            grid.check_grid(url)
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(
            f"The Selenium Grid at {url} is not reachable ([Errno 111]"
            " Connection refused): start it, or set"
            " GOCEPT_SELENIUM_GRID_URL to the URL of its hub.",
            str(caught.exception),
        )

    def test_remote_webdriver_checks_the_hub_first(self):
        url = f"http://127.0.0.1:{closed_port()}"
        layer = {"http_url": "http://localhost:1", "http_host": "localhost"}
        with unittest.mock.patch.dict(
            os.environ, {"GOCEPT_SELENIUM_GRID_URL": url}
        ):
            with self.assertRaises(grid.GridError) as caught:
                grid.remote_webdriver(layer)
        self.assertIn(
            f"The Selenium Grid at {url} is not reachable",
            str(caught.exception),
        )


class HubAnswersTest(unittest.TestCase):
    layer = HUB

    def test_hub_without_a_node_is_not_ready(self):
        url = self.layer["http_url"]
        with self.assertRaises(grid.GridError) as caught:
            grid.check_grid(url)
        self.assertEqual(
            f"The Selenium Grid at {url} is not ready (Selenium Grid not"
            " ready.): start a node that offers Chromium, or set"
            " GOCEPT_SELENIUM_GRID_URL to a grid that has one.",
            str(caught.exception),
        )

    def test_url_that_is_not_a_hub(self):
        url = f"{self.layer['http_url']}/elsewhere"
        with self.assertRaises(grid.GridError) as caught:
            grid.check_grid(url)
        self.assertEqual(
            f"{url}/status answered 404 Not Found, not as a Selenium Grid"
            " does: set GOCEPT_SELENIUM_GRID_URL to the URL of the grid's"
            " hub.",
            str(caught.exception),
        )


class ChromeOptionsTest(unittest.TestCase):
    def arguments(self, layer):
        options = grid.chrome_options(layer)
        return options.to_capabilities()["goog:chromeOptions"]["args"]

    def test_headless_without_a_layer(self):
        self.assertEqual(list(grid.CHROMIUM_ARGUMENTS), self.arguments(None))

    def test_https_layer_s_key_hash_goes_into_the_capabilities(self):
        layer = {"ca_spki_hash": "abc+/="}
        self.assertEqual(
            "--ignore-certificate-errors-spki-list=abc+/=",
            self.arguments(layer)[-1],
        )

    def test_http_layer_adds_nothing(self):
        self.assertEqual(
            list(grid.CHROMIUM_ARGUMENTS), self.arguments({"http_url": "x"})
        )
