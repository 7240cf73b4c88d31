"""A page whose JavaScript talks to the application over a websocket, in
Debian's headless Chromium (by path, through Selenium): ws:// and wss://.

The browser is the shipped ``browser.SeleniumLayer``, which trusts the
HTTPS layer's certificate (``ca_spki_hash``) and no other bad one.
"""

from selenium.webdriver.support.wait import WebDriverWait

import gocept.httpserverlayer.asgi
from gocept.httpserverlayer import browser

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
    def test_page_talks_to_the_app_over_a_websocket(self):
        self.driver = self.layer["webdriver"]
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


class WebSocketChromiumTest(BrowserTest, browser.BrowserTestCase):
    layer = browser.SeleniumLayer(
        bases=(PLAIN,), name="AsgiBrowser:Chromium", module=__name__
    )


class SecureWebSocketChromiumTest(BrowserTest, browser.BrowserTestCase):
    # SeleniumLayer trusts the certificate of the HTTPS layer among its
    # bases (its ca_spki_hash), and no other bad one.
    layer = browser.SeleniumLayer(
        bases=(HTTPS,), name="AsgiBrowserHTTPS:Chromium", module=__name__
    )
