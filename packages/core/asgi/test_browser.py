"""A page whose JavaScript talks to the application over a websocket, in
Debian's headless Chromium (by path, through Selenium): ws:// and wss://.

Chromium trusts the HTTPS layer's certificate, and no other bad one,
through ``--ignore-certificate-errors-spki-list`` and ``ca_spki_hash``.
"""

from examples.browser import BrowserTestCase
from examples.browser import WebDriverLayer
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


class Chromium(WebDriverLayer):
    """The examples' browser layer, trusting the certificate of an HTTPS
    layer among its bases, and no other bad one."""

    def options(self):
        options = super().options()
        if self.get("ca_spki_hash"):
            options.add_argument(
                "--ignore-certificate-errors-spki-list=" + self["ca_spki_hash"]
            )
        return options


class BrowserTest:
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


class WebSocketChromiumTest(BrowserTest, BrowserTestCase):
    layer = Chromium(bases=(PLAIN,), name="AsgiBrowser:Chromium")


class SecureWebSocketChromiumTest(BrowserTest, BrowserTestCase):
    layer = Chromium(bases=(HTTPS,), name="AsgiBrowserHTTPS:Chromium")
