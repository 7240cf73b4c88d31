"""`python -m gocept.httpserverlayer serve` with an asgi.Layer, and its
control endpoint, used from another process as a Cypress or Playwright
suite would."""

import json
import pathlib
import socket
import unittest

from asgiapps import read_body

from gocept.httpserverlayer._testing.serving import call
from gocept.httpserverlayer._testing.serving import start_serve
from gocept.httpserverlayer.asgi import Layer

HERE = pathlib.Path(__file__).parent
TIMEOUT = 30

#: What the outside tests wrote; every test starts without (testSetUp).
NOTES = []


async def notes_app(scope, receive, send):
    if scope["type"] != "http":
        return  # no lifespan
    body = await read_body(receive)
    if body is None:
        return  # the client left
    if scope["method"] == "POST":
        NOTES.append(body.decode())
        status = 201
    else:
        status = 200
    await send(
        {"type": "http.response.start", "status": status, "headers": []}
    )
    await send(
        {"type": "http.response.body", "body": ",".join(NOTES).encode()}
    )


class NotesLayer(Layer):
    def testSetUp(self):
        NOTES.clear()
        super().testSetUp()


NOTES_LAYER = NotesLayer(asgi_app=notes_app, name="Notes", module=__name__)


class ServeAsgiTest(unittest.TestCase):
    def serve(self, *args):
        process = start_serve(*args, pythonpath=HERE)
        self.addCleanup(self.stop, process)
        return process

    def stop(self, process):
        if process.poll() is None:
            process.terminate()
        process.communicate(timeout=TIMEOUT)

    def test_asgi_layer_is_served_to_outside_clients(self):
        process = self.serve("test_serve.NOTES_LAYER", "--json")
        info = json.loads(process.stdout.readline())
        self.assertEqual("test_serve.Notes", info["layer"])
        self.assertNotIn("control", info)
        self.assertEqual((201, "a"), call("POST", f"{info['url']}/", b"a"))

    def test_control_endpoint_resets_between_outside_tests(self):
        process = self.serve("test_serve.NOTES_LAYER", "--json", "--control")
        info = json.loads(process.stdout.readline())
        url, control = info["url"], info["control"]
        self.assertEqual((201, "a"), call("POST", f"{url}/", b"a"))
        self.assertEqual(
            (200, {"layer": "test_serve.Notes", "in_test": True}),
            call("POST", f"{control}/reset"),
        )
        self.assertEqual((200, ""), call("GET", f"{url}/"))

    def test_between_tests_the_app_waits_and_control_answers(self):
        process = self.serve("test_serve.NOTES_LAYER", "--json", "--control")
        info = json.loads(process.stdout.readline())
        url, control = info["url"], info["control"]
        self.assertEqual(
            (200, {"layer": "test_serve.Notes", "in_test": False}),
            call("POST", f"{control}/test-teardown"),
        )
        with self.assertRaises((TimeoutError, socket.timeout, OSError)):
            call("GET", f"{url}/", timeout=0.5)  # held until the next test
        self.assertEqual(
            (200, {"layer": "test_serve.Notes", "in_test": False}),
            call("GET", control),
        )
        self.assertEqual(
            (200, {"layer": "test_serve.Notes", "in_test": True}),
            call("POST", f"{control}/test-setup"),
        )
        self.assertEqual((201, "b"), call("POST", f"{url}/", b"b"))


def control_app(environ, start_response):
    body = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}".encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]


class ControlInProcessTest(unittest.TestCase):
    """AsgiServer.control, as serve --control sets it."""

    def setUp(self):
        self.layer = Layer(asgi_app=notes_app, name="Control")
        self.layer.setUp()
        self.addCleanup(self.layer.tearDown)
        self.layer["httpd"].control = ("/_control", control_app)
        self.layer.testSetUp()
        self.url = self.layer["http_url"]

    def test_control_requests_go_to_their_app_unrecorded(self):
        self.assertEqual(
            (200, "POST /_control/x"), call("POST", f"{self.url}/_control/x")
        )
        self.assertEqual((200, ""), call("GET", f"{self.url}/_controlled"))
        self.assertEqual(
            ["/_controlled"], [r.path for r in self.layer["http_requests"]]
        )

    def test_control_answers_between_tests_while_the_app_waits(self):
        self.layer.testTearDown()
        with self.assertRaises((TimeoutError, socket.timeout, OSError)):
            call("GET", f"{self.url}/", timeout=0.3)
        self.assertEqual(
            (200, "GET /_control"), call("GET", f"{self.url}/_control")
        )
        self.layer.testSetUp()
