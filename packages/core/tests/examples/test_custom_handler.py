"""Serve your own ``http.server`` request handler.

This handler records every POST it receives, so the test can check what a
client under test sent to the server.
"""

import ssl
import unittest
import urllib.parse
import urllib.request

import gocept.httpserverlayer.custom


class RequestHandler(gocept.httpserverlayer.custom.RequestHandler):
    posts_received = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self.posts_received.append(
            {
                "path": self.path,
                "data": self.rfile.read(length),
                "headers": self.headers,
            }
        )
        body = b"Thank you"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTP_LAYER = gocept.httpserverlayer.custom.Layer(
    RequestHandler, name="CustomHandlerLayer", module=__name__
)


class CustomHandlerTest(unittest.TestCase):
    layer = HTTP_LAYER

    def setUp(self):
        self.layer["request_handler"].posts_received.clear()

    def test_post_is_recorded(self):
        data = urllib.parse.urlencode({"foo": "bar"}).encode("ascii")
        # ca_bundle is set when the layer serves HTTPS (GOCEPT_HTTP_HTTPS=1).
        trust = ssl.create_default_context(cafile=self.layer.get("ca_bundle"))
        url = self.layer["http_url"] + "/form"
        with urllib.request.urlopen(url, data, context=trust) as response:
            self.assertEqual(b"Thank you", response.read())
        [post] = self.layer["request_handler"].posts_received
        self.assertEqual("/form", post["path"])
        self.assertEqual(b"foo=bar", post["data"])
        self.assertEqual(
            "application/x-www-form-urlencoded",
            post["headers"]["Content-Type"],
        )
