"""ServerLayer's application hooks: what a new kind of layer plugs into."""

import socket
import threading
import unittest
import urllib.request

from gocept.httpserverlayer._errors import BindError
from gocept.httpserverlayer._layer import ServerLayer
from gocept.httpserverlayer._wsgi import WSGIProtocol


class Hooked(ServerLayer):
    """Serves a WSGI app through the hooks alone, noting each call."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.calls = []
        self.ready = threading.Event()

    def app(self, environ, start_response):
        self.calls.append("request")
        start_response("200 OK", [])
        return [b"hooked"]

    def setUpApplication(self):
        self.calls.append("setUpApplication")
        self["thing"] = "made"

    def make_protocol(self, site, server):
        self.calls.append("make_protocol")
        site.app = self.app
        return WSGIProtocol(site)

    def testSetUpApplication(self):
        self.calls.append("testSetUpApplication")
        self.ready.wait(5)

    def testTearDownApplication(self):
        self.calls.append("testTearDownApplication")

    def tearDownApplication(self):
        self.calls.append("tearDownApplication")
        del self["thing"]


def get(layer):
    url = f"{layer['http_url']}/"
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


class HooksTest(unittest.TestCase):
    def test_lifecycle_calls_the_hooks_in_pairs(self):
        layer = Hooked(name="Hooked")
        layer.ready.set()
        layer.setUp()
        layer.testSetUp()
        self.assertEqual(b"hooked", get(layer))
        layer.testTearDown()
        layer.tearDown()
        self.assertEqual(
            [
                "setUpApplication",
                "make_protocol",
                "testSetUpApplication",
                "request",
                "testTearDownApplication",
                "tearDownApplication",
            ],
            layer.calls,
        )
        self.assertNotIn("thing", layer._resources)

    def test_a_request_waits_for_testSetUpApplication(self):
        layer = Hooked(name="HookedWaits")
        layer.setUp()
        self.addCleanup(layer.tearDown)
        layer.testTearDown()  # between tests: requests are held
        answers = []
        client = threading.Thread(target=lambda: answers.append(get(layer)))
        client.start()
        starting = threading.Thread(target=layer.testSetUp)
        starting.start()
        client.join(0.3)
        self.assertEqual([], answers)  # testSetUpApplication still runs
        layer.ready.set()
        starting.join(5)
        client.join(5)
        self.assertEqual([b"hooked"], answers)
        self.assertLess(
            layer.calls.index("testSetUpApplication"),
            layer.calls.index("request"),
        )
        layer.testTearDown()

    def test_tearDownApplication_runs_when_the_server_cannot_start(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            layer = Hooked(name="HookedBindError")
            layer.host = "127.0.0.1"
            layer.port = taken.getsockname()[1]
            with self.assertRaises(BindError):
                layer.setUp()
        self.assertEqual(
            ["setUpApplication", "tearDownApplication"], layer.calls
        )
        self.assertNotIn("thing", layer._resources)

    def test_a_layer_without_make_protocol_says_so(self):
        layer = ServerLayer(name="Nothing")
        with self.assertRaisesRegex(NotImplementedError, "serves nothing"):
            layer.setUp()
