"""The stress suite against asgi.Layer (issue 18): the tests of
``layerstress.StressTests`` of packages/testing (hostile input, faults,
load, slow and broken clients, soak), run on a raw ASGI application.

The application comes from a base layer's ``asgi_app`` resource, so that
the suite's copies of the layer (lifecycles, slow clients) serve it too.
"""

import asyncio
import time
import unittest

import plone.testing
from asgiapps import read_body

from gocept.httpserverlayer._testing.layerstress import BIG_SIZE
from gocept.httpserverlayer._testing.layerstress import SLOW_SECONDS
from gocept.httpserverlayer._testing.layerstress import TINY_BODY
from gocept.httpserverlayer._testing.layerstress import StressTests
from gocept.httpserverlayer.asgi import Layer

BLOCK = b"x" * (1024 * 1024)


async def stress_app(scope, receive, send):
    if scope["type"] != "http":
        return  # no lifespan
    body = await read_body(receive)
    if body is None:
        return  # http.disconnect
    path = scope["path"]
    if path == "/broken":
        raise RuntimeError("the stress app fails on purpose")
    if path == "/stress-slow":
        await asyncio.sleep(SLOW_SECONDS)
    headers = [(b"content-type", b"text/plain")]
    if path == "/stress-big":
        headers.append((b"content-length", str(BIG_SIZE).encode()))
        await send(
            {"type": "http.response.start", "status": 200, "headers": headers}
        )
        for _ in range(BIG_SIZE // len(BLOCK)):
            await send(
                {
                    "type": "http.response.body",
                    "body": BLOCK,
                    "more_body": True,
                }
            )
        await send({"type": "http.response.body", "body": b""})
        return
    if path.startswith("/stress-"):
        answer = TINY_BODY
    else:
        answer = b"%s %d" % (scope["method"].encode(), len(body))
    await send(
        {"type": "http.response.start", "status": 200, "headers": headers}
    )
    await send({"type": "http.response.body", "body": answer})


class AppLayer(plone.testing.Layer):
    def setUp(self):
        self["asgi_app"] = stress_app

    def tearDown(self):
        del self["asgi_app"]


APP = AppLayer(name="StressApp", module=__name__)
HTTP = Layer(bases=(APP,), name="AsgiStress", module=__name__)


class AsgiStressTest(StressTests, unittest.TestCase):
    layer = HTTP
    KIND = "asgi.Layer (a raw ASGI app)"
    NORMAL = ("/echo", b"GET 0")
    BROKEN = "/broken"
    REPORTS = 1
    PAGES = "/"
    REPORTED_BY = "one log record of the server, its traceback on stderr"

    def wait_idle(self):
        server = self.layer["httpd"]
        deadline = time.monotonic() + 10
        while server.connections and time.monotonic() < deadline:
            time.sleep(0.002)
