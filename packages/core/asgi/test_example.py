# The example of docs/asgi.rst: a Starlette application under asgi.Layer.
import contextlib
import json
import unittest
import urllib.request

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.routing import WebSocketRoute
from websockets.sync.client import connect

import gocept.httpserverlayer.asgi


@contextlib.asynccontextmanager
async def lifespan(app):
    # Runs at the layer's setUp; what it yields is each request's state.
    yield {"greeting": "hello"}
    # Runs at the layer's tearDown.


async def home(request):
    return JSONResponse({"greeting": request.state.greeting})


async def echo(websocket):
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(f"echo: {text}")


app = Starlette(
    routes=[Route("/", home), WebSocketRoute("/echo", echo)],
    lifespan=lifespan,
)

ASGI_LAYER = gocept.httpserverlayer.asgi.Layer(asgi_app=app)


class ExampleTest(unittest.TestCase):
    layer = ASGI_LAYER

    def test_http(self):
        with urllib.request.urlopen(self.layer["http_url"] + "/") as r:
            self.assertEqual({"greeting": "hello"}, json.load(r))
        self.layer["http_requests"].assert_requested("GET", "/", 200)

    def test_websocket(self):
        url = self.layer["http_url"].replace("http", "ws", 1) + "/echo"
        with connect(url) as websocket:
            websocket.send("hi")
            self.assertEqual("echo: hi", websocket.recv())
        handshake = self.layer["http_requests"][0]
        self.assertEqual((101, 1000), (handshake.status, handshake.close_code))
