"""A real Chromium against ``custom.Layer``: what did the browser send?

The handler records the method, path, headers and body of every request,
and the test asserts on them, with Selenium and with Playwright.
"""

import json

from browsers import BrowserTestCase
from browsers import with_browsers

import gocept.httpserverlayer.custom

PAGE = b"""\
<!DOCTYPE html>
<html><head><link rel="icon" href="data:,"></head>
<body>
  <script>
    fetch("/api/notes", {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-Requested-By": "test"},
      body: JSON.stringify({note: "hello"}),
    }).then((r) => r.text()).then((text) => {
      document.body.dataset.answer = text;
    });
  </script>
</body></html>
"""


class RecordingHandler(gocept.httpserverlayer.custom.RequestHandler):
    """Answer every request and remember what it was."""

    received = []

    def record(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.received.append(
            {
                "method": self.command,
                "path": self.path,
                "headers": self.headers,
                "body": self.rfile.read(length),
            }
        )

    def answer(self, body, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.record()
        self.answer(PAGE, "text/html; charset=utf-8")

    def do_POST(self):
        self.record()
        self.answer(b"noted", "text/plain")


HTTP_LAYER = gocept.httpserverlayer.custom.Layer(
    RecordingHandler, name="BrowserCustomLayer", module=__name__
)

LAYERS = with_browsers(HTTP_LAYER, __name__)


class CustomScenarios:
    def setUp(self):
        super().setUp()
        self.layer["request_handler"].received.clear()

    def test_handler_records_what_the_browser_sent(self):
        self.browser.open(self.url("/page?lang=de"))
        self.assertEqual(
            "noted",
            self.browser.wait(
                "document.body.dataset.answer", "The page's POST failed."
            ),
        )
        get, post = self.layer["request_handler"].received
        self.assertEqual(
            ("GET", "/page?lang=de"), (get["method"], get["path"])
        )
        self.assertIn("HeadlessChrome/", get["headers"]["User-Agent"])
        self.assertIn("text/html", get["headers"]["Accept"])
        self.assertEqual(self.layer["http_address"], get["headers"]["Host"])

        self.assertEqual(
            ("POST", "/api/notes"), (post["method"], post["path"])
        )
        self.assertEqual("application/json", post["headers"]["Content-Type"])
        self.assertEqual("test", post["headers"]["X-Requested-By"])
        self.assertEqual(self.url("/page?lang=de"), post["headers"]["Referer"])
        self.assertEqual({"note": "hello"}, json.loads(post["body"]))


class SeleniumCustomTest(CustomScenarios, BrowserTestCase):
    layer = LAYERS["selenium"]


class PlaywrightCustomTest(CustomScenarios, BrowserTestCase):
    layer = LAYERS["playwright"]
