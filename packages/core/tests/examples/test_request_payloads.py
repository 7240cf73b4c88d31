"""Assert on what a client sent: the body, JSON, form fields, query, headers.

The record keeps each request's body (up to ``http_requests.max_body``,
64 KiB; ``body_truncated`` says when it was cut), also when the application
never read it, as a beacon or analytics endpoint does. ``wait()`` waits for
a request that arrives after the test's own call returned, as one that a
page's JavaScript makes.
"""

import json
import ssl
import threading
import unittest
import urllib.request

import gocept.httpserverlayer.wsgi


def beacon(environ, start_response):
    """Answers every request with 204 and never reads its body."""
    start_response("204 No Content", [])
    return []


BEACON = gocept.httpserverlayer.wsgi.Layer(wsgi_app=beacon, name="BEACON")


def post(url, data, content_type, cafile=None):
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": content_type}
    )
    # cafile: the layer's ca_bundle when it serves HTTPS (GOCEPT_HTTP_HTTPS=1).
    trust = ssl.create_default_context(cafile=cafile)
    urllib.request.urlopen(request, context=trust).close()


class PayloadExample(unittest.TestCase):
    layer = BEACON

    def test_json_and_form_bodies(self):
        url, cafile = self.layer["http_url"], self.layer.get("ca_bundle")
        event = json.dumps({"event": "click", "id": 7}).encode()
        post(f"{url}/track?v=2", event, "application/json", cafile)
        post(f"{url}/subscribe", b"email=a%40b.c&topic=x&topic=y",
             "application/x-www-form-urlencoded", cafile)  # fmt: skip

        requests = self.layer["http_requests"]
        tracked = requests.assert_requested(
            "POST", "/track", status=204, query={"v": "2"},
            headers={"content-type": "application/json"},
        )  # fmt: skip
        self.assertEqual({"event": "click", "id": 7}, tracked.json())
        form = requests.assert_requested("POST", "/subscribe").form
        self.assertEqual("a@b.c", form["email"])
        self.assertEqual(["x", "y"], form.getall("topic"))

    def test_wait_for_a_request_made_later(self):
        url = self.layer["http_url"] + "/late"
        cafile = self.layer.get("ca_bundle")
        # Stands in for a page's script that posts after a while.
        args = (url, b"{}", "application/json", cafile)
        timer = threading.Timer(0.2, post, args)
        timer.start()
        self.addCleanup(timer.join)
        found = self.layer["http_requests"].wait("POST", "/late", timeout=10)
        self.assertEqual({}, found.json())
