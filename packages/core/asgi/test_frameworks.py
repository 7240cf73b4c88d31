"""Real applications: Starlette, FastAPI and Django's ASGI handler, served
by asgi.Layer with their lifespan, streaming and websockets."""

import asyncio
import json
import unittest

from asgisupport import connection
from asgisupport import get
from asgisupport import ws_connect

from gocept.httpserverlayer.asgi import Layer


def starlette_app():
    import contextlib

    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.responses import StreamingResponse
    from starlette.routing import Route
    from starlette.routing import WebSocketRoute

    events = []

    @contextlib.asynccontextmanager
    async def lifespan(app):
        events.append("startup")
        yield {"greeting": "hello from the lifespan"}
        events.append("shutdown")

    async def home(request):
        return PlainTextResponse(request.state.greeting)

    async def numbers(request):
        async def generate():
            for i in range(3):
                yield f"data: {i}\n\n"
                await asyncio.sleep(0.001)

        return StreamingResponse(generate(), media_type="text/event-stream")

    async def upload(request):
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return PlainTextResponse(str(size))

    async def chat(websocket):
        await websocket.accept(subprotocol="chat")
        async for text in websocket.iter_text():
            await websocket.send_text(text.upper())

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/numbers", numbers),
            Route("/upload", upload, methods=["POST"]),
            WebSocketRoute("/chat", chat),
        ],
        lifespan=lifespan,
    )
    app.events = events
    return app


def fastapi_app():
    from fastapi import FastAPI
    from fastapi import WebSocket
    from pydantic import BaseModel

    app = FastAPI()

    class Item(BaseModel):
        name: str
        price: float

    @app.post("/items")
    async def create(item: Item):
        return {"name": item.name, "with_tax": round(item.price * 1.19, 2)}

    @app.get("/sync")
    def sync_view():  # runs in a worker thread of the framework
        return {"sync": True}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket):
        await websocket.accept()
        data = await websocket.receive_json()
        await websocket.send_json({"echo": data})
        await websocket.close(code=4001)

    return app


STARLETTE = Layer(asgi_app=starlette_app(), name="Starlette", module=__name__)
FASTAPI = Layer(asgi_app=fastapi_app(), name="FastAPI", module=__name__)


class StarletteTest(unittest.TestCase):
    layer = STARLETTE

    def test_lifespan_state_reaches_requests(self):
        self.assertEqual(["startup"], self.layer.asgi_app.events)
        self.assertEqual(b"hello from the lifespan", get(self.layer, "/")[2])

    def test_streaming_response(self):
        status, headers, body = get(self.layer, "/numbers")
        self.assertEqual(b"data: 0\n\ndata: 1\n\ndata: 2\n\n", body)

    def test_streamed_upload(self):
        conn = connection(self.layer)
        conn.request("POST", "/upload", body=iter([b"a" * 100000] * 10),
                     encode_chunked=True)  # fmt: skip
        self.assertEqual(b"1000000", conn.getresponse().read())
        conn.close()

    def test_websocket(self):
        with ws_connect(self.layer, "/chat", subprotocols=["chat"]) as ws:
            ws.send("shout")
            self.assertEqual("SHOUT", ws.recv())
        self.layer["http_requests"].assert_requested("GET", "/chat", 101)


class FastAPITest(unittest.TestCase):
    layer = FASTAPI

    def test_json_body_validated(self):
        body = json.dumps({"name": "tea", "price": 2.0})
        headers = {"Content-Type": "application/json"}
        status, _, answer = get(self.layer, "/items", "POST", body, headers)
        self.assertEqual(
            (200, {"name": "tea", "with_tax": 2.38}),
            (status, json.loads(answer)),
        )
        status, _, _ = get(self.layer, "/items", "POST", "{}", headers)
        self.assertEqual(422, status)

    def test_sync_view(self):
        self.assertEqual(b'{"sync":true}', get(self.layer, "/sync")[2])

    def test_websocket_json_and_close_code(self):
        with ws_connect(self.layer, "/ws") as ws:
            ws.send(json.dumps([1, 2]))
            self.assertEqual({"echo": [1, 2]}, json.loads(ws.recv()))
        record = self.layer["http_requests"].assert_requested("GET", "/ws")
        self.assertEqual(4001, record.close_code)


def django_app():
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="not secret: a test",
            ROOT_URLCONF=__name__,
            ALLOWED_HOSTS=["localhost", "127.0.0.1"],
            MIDDLEWARE=[],
            INSTALLED_APPS=[],
        )
        django.setup()
    from django.core.asgi import get_asgi_application

    return get_asgi_application()


def django_view(request):
    from django.http import HttpResponse

    return HttpResponse(f"{request.method} {request.path} from Django")


async def django_async_view(request):
    from django.http import StreamingHttpResponse

    async def chunks():
        for i in range(3):
            yield f"chunk {i};"

    return StreamingHttpResponse(chunks())


def _urls():
    from django.urls import path

    return [path("hello/", django_view), path("stream/", django_async_view)]


def __getattr__(name):
    if name == "urlpatterns":  # ROOT_URLCONF is this module
        return _urls()
    raise AttributeError(name)


class DjangoLayer(Layer):
    """Configures Django at setUp: the settings are process-wide."""

    def setUp(self):
        self.asgi_app = django_app()
        super().setUp()


DJANGO = DjangoLayer(name="Django", module=__name__)


class DjangoTest(unittest.TestCase):
    layer = DJANGO

    def test_sync_view_through_the_asgi_handler(self):
        status, _, body = get(self.layer, "/hello/")
        self.assertEqual((200, b"GET /hello/ from Django"), (status, body))

    def test_async_streaming_view(self):
        self.assertEqual(
            b"chunk 0;chunk 1;chunk 2;", get(self.layer, "/stream/")[2]
        )

    def test_not_found(self):
        self.assertEqual(404, get(self.layer, "/nowhere/")[0])
