"""The ASGI servers of figure (g), in the shape of subjects.py's subjects.

- ``asgi-ours``: ``gocept.httpserverlayer.asgi.Layer`` (its own loop on
  httptools and wsproto), through the layer API.
- ``asgi-uvicorn``: uvicorn in a thread as users write it today:
  ``uvicorn.Server(Config(app, port=0))`` run by ``server.run`` on a
  thread, ``while not server.started: sleep(0.001)``, and to stop
  ``server.should_exit = True; thread.join()``. uvicorn picks httptools
  (installed with our extra) and the ``websockets`` library for websockets.
- ``asgi-uvicorn-h11``: the same with ``http="h11"``, which shows what the
  HTTP parser costs (h11 is pure Python, httptools is llhttp in C).
- ``asgi-hypercorn``: hypercorn's ``serve()`` on an event loop in a thread,
  stopped through its ``shutdown_trigger``.

The application answers ``Hello, world!`` (13 bytes) to every request,
echoes websocket messages, and supports lifespan.
"""

import asyncio
import threading
import time

from subjects import HELLO
from subjects import HOST
from subjects import LayerSubject
from subjects import Subject

HEADERS = [(b"content-type", b"text/plain"), (b"content-length", b"13")]


async def hello_app(scope, receive, send):
    kind = scope["type"]
    if kind == "http":
        await send({"type": "http.response.start", "status": 200,
                    "headers": HEADERS})  # fmt: skip
        await send({"type": "http.response.body", "body": HELLO})
    elif kind == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            await send(
                {"type": "websocket.send", "text": message.get("text") or ""}
            )
    elif kind == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return


class OursSubject(LayerSubject):
    """asgi.Layer through the layer API, as LayerSubject uses wsgi.Layer."""

    def prepare(self):
        import gocept.httpserverlayer._asgi_server  # noqa: F401
        import gocept.httpserverlayer.asgi  # noqa: F401

    def start(self, app_kind, srcdir=None):
        from gocept.httpserverlayer.asgi import Layer

        self.layer = Layer(asgi_app=hello_app, name="BenchASGI")
        self.layer.setUp()
        self.in_test = False
        return int(self.layer["http_port"])


class UvicornSubject(Subject):
    def __init__(self, http="auto"):
        self.http = http

    def prepare(self):
        import uvicorn  # noqa: F401

    def start(self, app_kind, srcdir=None):
        import uvicorn

        config = uvicorn.Config(
            hello_app, host=HOST, port=0, log_level="warning", http=self.http
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.001)
        return self.server.servers[0].sockets[0].getsockname()[1]

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


class HypercornSubject(Subject):
    def prepare(self):
        import hypercorn.asyncio  # noqa: F401

    def start(self, app_kind, srcdir=None):
        import socket

        import hypercorn.asyncio
        import hypercorn.config

        # Bound here and handed over as fd://, so that the port is known.
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(1024)
        config = hypercorn.config.Config()
        config.bind = [f"fd://{self.sock.fileno()}"]
        config.loglevel = "WARNING"
        config.accesslog = None
        self.loop = asyncio.new_event_loop()
        self.stopped = asyncio.Event()
        started = threading.Event()

        async def main():
            async def shutdown_trigger():
                started.set()
                await self.stopped.wait()

            await hypercorn.asyncio.serve(
                hello_app, config, shutdown_trigger=shutdown_trigger
            )

        def run():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(main())

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        started.wait(10)
        port = self.sock.getsockname()[1]
        # hypercorn owns the socket now, and closes it when it stops.
        self.sock.detach()
        return port

    def stop(self):
        self.loop.call_soon_threadsafe(self.stopped.set)
        self.thread.join(10)
        self.loop.close()


def make_asgi_subject(name):
    if name == "asgi-ours":
        return OursSubject()
    if name == "asgi-uvicorn":
        return UvicornSubject()
    if name == "asgi-uvicorn-h11":
        return UvicornSubject(http="h11")
    if name == "asgi-hypercorn":
        return HypercornSubject()
    raise ValueError(f"unknown subject {name!r}")
