"""Playwright's own browser server on another host, reached with connect.

hosts.py runs ``playwright run-server --unsafe`` in a namespace of its own
(``GOCEPT_PLAYWRIGHT_WS_ENDPOINT``); the test connects to it and has it
launch Debian's Chromium by path, through the launch options that
``connect`` sends in the ``x-playwright-launch-options`` header. Only a
server started with ``--unsafe`` honours ``executablePath`` (and
``args``) from a client: without it, the server drops them and launches
the browser it would have downloaded, which is not there. The second test
pins that.
"""

import json
import os
import select
import signal
import subprocess
import sys
import urllib.parse

import plone.testing

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer import grid
from gocept.httpserverlayer._testing import gridsupport

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
LAUNCH = {
    "executablePath": CHROMIUM,
    "headless": True,
    "args": list(grid.CHROMIUM_ARGUMENTS),
}


def connect(playwright, endpoint, launch=LAUNCH):
    return playwright.chromium.connect(
        endpoint,
        timeout=30_000,
        headers={"x-playwright-launch-options": json.dumps(launch)},
    )


def stop(process):
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    process.stdout.close()


class RemotePlaywright(plone.testing.Layer):
    """A Chromium from the remote Playwright server. Resources:
    ``playwright`` (None without a grid) and ``page``."""

    def setUp(self):
        self["playwright"] = None
        if gridsupport.why_no_grid():
            return
        from playwright.sync_api import sync_playwright

        self["playwright"] = sync_playwright().start()
        self.browser = connect(
            self["playwright"], os.environ["GOCEPT_PLAYWRIGHT_WS_ENDPOINT"]
        )
        self["page"] = self.browser.new_page()

    def tearDown(self):
        if self["playwright"] is not None:
            self.browser.close()
            self["playwright"].stop()
            del self["page"]
        del self["playwright"]


WSGI = gocept.httpserverlayer.wsgi.Layer(name="GridPWServer", module=__name__)
WSGI.wsgi_app = gridsupport.whoami_app(WSGI)
PLAYWRIGHT = RemotePlaywright(
    bases=(WSGI,), name="GridPWServer+RemotePlaywright", module=__name__
)


class RemotePlaywrightTest(gridsupport.GridTestCase):
    layer = PLAYWRIGHT

    def setUp(self):
        reason = gridsupport.why_no_grid()
        if reason:
            self.skipTest(reason)
        self.page = self.layer["page"]
        endpoint = os.environ["GOCEPT_PLAYWRIGHT_WS_ENDPOINT"]
        self.server_host = urllib.parse.urlsplit(endpoint).hostname

    def test_browser_of_the_remote_server_loads_the_page(self):
        self.page.goto(f"{self.layer['http_url']}/")
        self.page.wait_for_function("document.body.dataset.whoami")
        whoami = json.loads(self.page.evaluate("document.body.dataset.whoami"))
        # The browser runs on the Playwright server's host.
        self.assertEqual(self.server_host, whoami["client"])
        self.assertEqual(self.layer["http_address"], whoami["host"])

    def test_server_without_unsafe_ignores_the_executable_path(self):
        namespace = json.loads(os.environ["GOCEPT_GRID_NAMESPACES"])["pw"]
        port = 3001
        server = subprocess.Popen(
            ["ip", "netns", "exec", namespace, sys.executable]
            + ["-m", "playwright", "run-server"]
            + ["--host", self.server_host, "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            # Its own process group: the Node process under the Python
            # wrapper must end with it, and not keep our output open.
            start_new_session=True,
        )
        self.addCleanup(stop, server)
        ready, _, _ = select.select([server.stdout], [], [], 30)
        self.assertTrue(ready, "run-server did not start within 30 s")
        self.assertIn("Listening on", server.stdout.readline())
        with self.assertRaises(Exception) as caught:
            connect(
                self.layer["playwright"], f"ws://{self.server_host}:{port}/"
            )
        message = str(caught.exception)
        self.assertIn("Executable doesn't exist at", message)
        self.assertIn("ms-playwright", message)
        self.assertNotIn(CHROMIUM, message.split("Executable")[1][:200])
