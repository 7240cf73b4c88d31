"""A page whose JavaScript talks to the application over a websocket, in
Debian's headless Chromium (by path, through Selenium): ws:// and wss://.

Chromium trusts the HTTPS layer's certificate, and no other bad one,
through ``--ignore-certificate-errors-spki-list`` and ``ca_spki_hash``.
"""

import os
import shutil
import tempfile
import unittest

from examples.browser import CHROMIUM
from examples.browser import FLAGS
from examples.browser import SELENIUM_ENVIRON
from examples.browser import missing_binaries
from examples.browser import start_chrome
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.support.wait import WebDriverWait

import gocept.httpserverlayer.asgi

PAGE = b"""<!doctype html>
<title>waiting</title>
<script>
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + "/ws", ["demo"]);
  socket.onopen = () => socket.send("ping from the page");
  socket.onmessage = (event) => { document.title = event.data; };
  socket.onclose = (event) => { document.title = "closed " + event.code; };
</script>
"""


async def app(scope, receive, send):
    if scope["type"] == "http":
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/html; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": PAGE})
    elif scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.accept", "subprotocol": "demo"})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            text = f"{scope['scheme']} pong: {message['text']}"
            await send({"type": "websocket.send", "text": text})


PLAIN = gocept.httpserverlayer.asgi.Layer(asgi_app=app, name="AsgiBrowser")
HTTPS = gocept.httpserverlayer.asgi.Layer(
    asgi_app=app, https=True, name="AsgiBrowserHTTPS"
)


class BrowserTest:
    def setUp(self):
        if missing_binaries():
            self.skipTest(f"not installed: {', '.join(missing_binaries())}")
        os.environ.update(SELENIUM_ENVIRON)
        profile = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, profile, ignore_errors=True)
        options = Options()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        if "ca_spki_hash" in self.layer:
            options.add_argument(
                "--ignore-certificate-errors-spki-list="
                + self.layer["ca_spki_hash"]
            )
        self.driver = start_chrome(options)
        self.addCleanup(self.driver.quit)

    def test_page_talks_to_the_app_over_a_websocket(self):
        self.driver.get(self.layer["http_url"] + "/")
        scheme = "wss" if "ca_bundle" in self.layer else "ws"
        expected = f"{scheme} pong: ping from the page"
        WebDriverWait(self.driver, 10).until(
            lambda driver: driver.title == expected
        )
        record = self.layer["http_requests"].assert_requested(
            "GET", "/ws", 101
        )
        # The page closes its websocket; the server answers the close.
        self.driver.execute_script("socket.close(4000, 'page done')")
        WebDriverWait(self.driver, 10).until(
            lambda driver: driver.title == "closed 4000"
        )
        self.assertEqual(4000, record.close_code)


class WebSocketChromiumTest(BrowserTest, unittest.TestCase):
    layer = PLAIN


class SecureWebSocketChromiumTest(BrowserTest, unittest.TestCase):
    layer = HTTPS
