"""Raw ASGI 3 applications for the tests of asgi.Layer (no framework).

``app`` dispatches on the path; each route shows one thing the server must
do right. ``Lifespan`` makes applications with a given lifespan behaviour.
"""

import asyncio
import threading

#: Set when /stream-in has received a part of its body: the test sends the
#: rest after it.
FIRST_PART_RECEIVED = threading.Event()


async def read_body(receive):
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def respond(send, status, body, headers=()):
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


#: What the routes saw, for the tests to check: route -> value.
SEEN = {}


async def http_app(scope, receive, send):
    path = scope["path"]
    if path == "/echo":
        body = await read_body(receive)
        if body is None:  # http.disconnect: nobody to answer
            SEEN["disconnect"] = path
            return
        await respond(send, 200, b"%s %d %s" % (
            scope["method"].encode(), len(body), body[:20]))  # fmt: skip
    elif path.startswith("/scope"):
        SEEN["scope"] = scope
        await respond(send, 200, b"ok")
    elif path == "/stream-in":
        # The chunks as they arrive, one line each.
        sizes = []
        while True:
            message = await receive()
            sizes.append(len(message.get("body", b"")))
            FIRST_PART_RECEIVED.set()
            if not message.get("more_body"):
                break
        await respond(send, 200, b" ".join(b"%d" % n for n in sizes))
    elif path == "/stream-out":
        await send(
            {"type": "http.response.start", "status": 200, "headers": []}
        )
        for i in range(5):
            await send(
                {
                    "type": "http.response.body",
                    "body": b"part %d\n" % i,
                    "more_body": True,
                }
            )
        await send({"type": "http.response.body", "body": b""})
    elif path == "/events":
        await server_sent_events(scope, receive, send)
    elif path == "/raise":
        raise RuntimeError("the app fails on purpose")
    elif path == "/raise-midway":
        await send(
            {"type": "http.response.start", "status": 200, "headers": []}
        )
        await send(
            {"type": "http.response.body", "body": b"x", "more_body": True}
        )
        raise RuntimeError("the app fails midway on purpose")
    elif path == "/never":
        await asyncio.Event().wait()  # never responds
    elif path == "/slow":
        await asyncio.sleep(0.05)
        await respond(send, 200, b"slow")
    elif path == "/no-response":
        return
    elif path == "/length":
        await respond(send, 200, b"abc", [(b"content-length", b"3")])
    elif path == "/head":
        await respond(send, 200, b"body of GET")
    else:
        await respond(send, 404, b"not found: " + path.encode())


async def server_sent_events(scope, receive, send):
    """An endless event stream; ends when the client goes away."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/event-stream"),
                (b"cache-control", b"no-cache"),
            ],
        }
    )

    async def until_disconnect():
        while (await receive())["type"] != "http.disconnect":
            pass
        return "http.disconnect"

    disconnected = asyncio.ensure_future(until_disconnect())
    number = 0
    try:
        while not disconnected.done():
            number += 1
            try:
                await send(
                    {
                        "type": "http.response.body",
                        "body": b"data: event %d\n\n" % number,
                        "more_body": True,
                    }
                )
            except OSError:
                break
            await asyncio.sleep(0.01)
    finally:
        disconnected.cancel()
    SEEN["events-ended"] = (
        disconnected.cancelled() or disconnected.result(),
        number,
    )


async def websocket_app(scope, receive, send):
    path = scope["path"]
    message = await receive()
    assert message["type"] == "websocket.connect", message
    if path == "/ws/deny":
        await send({"type": "websocket.close"})
        return
    if path == "/ws/deny-body":
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 401,
                "headers": [(b"content-type", b"text/plain")],
            }
        )
        await send(
            {"type": "websocket.http.response.body", "body": b"no entry"}
        )
        return
    if path == "/ws/raise-before-accept":
        raise RuntimeError("the websocket app fails on purpose")
    protocols = scope.get("subprotocols") or []
    await send(
        {
            "type": "websocket.accept",
            "subprotocol": protocols[-1] if protocols else None,
            "headers": [(b"x-accepted", b"yes")],
        }
    )
    if path == "/ws/close":
        await send({"type": "websocket.close", "code": 4321, "reason": "bye"})
        return
    if path == "/ws/raise":
        raise RuntimeError("the websocket app fails after accept")
    if path == "/ws/ignore-disconnect":
        await asyncio.Event().wait()
    while True:
        message = await receive()
        SEEN.setdefault("ws", []).append(message)
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") == "close":
            await send({"type": "websocket.close", "code": 1000})
            continue
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})


async def app(scope, receive, send):
    """HTTP and websocket routes; no lifespan support (raises on it)."""
    if scope["type"] == "http":
        await http_app(scope, receive, send)
    elif scope["type"] == "websocket":
        await websocket_app(scope, receive, send)
    else:
        raise ValueError(f"no {scope['type']} here")


class Lifespan:
    """An application with a lifespan: ``startup`` is 'ok', 'fail',
    'raise' or 'hang'; what happened is in ``events``."""

    def __init__(self, startup="ok", shutdown="ok"):
        self.startup = startup
        self.shutdown = shutdown
        self.events = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            scope["state"].setdefault("requests", 0)
            await app(scope, receive, send)
            return
        message = await receive()
        self.events.append(message["type"])
        if self.startup == "fail":
            await send(
                {"type": "lifespan.startup.failed", "message": "no database"}
            )
            return
        if self.startup == "raise":
            raise ConnectionError("the database is not there")
        if self.startup == "hang":
            await asyncio.Event().wait()
        scope["state"]["started"] = True
        await send({"type": "lifespan.startup.complete"})
        message = await receive()
        self.events.append(message["type"])
        if self.shutdown == "fail":
            await send(
                {"type": "lifespan.shutdown.failed", "message": "cannot"}
            )
            return
        await send({"type": "lifespan.shutdown.complete"})
