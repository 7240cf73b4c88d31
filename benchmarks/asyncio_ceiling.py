"""The ceiling: a minimal asyncio responder, no WSGI, no parsing beyond need.

`hello`: a fixed 13-byte HTTP/1.1 response per request, keep-alive.
`sleep`: the same, sent 50 ms later (loop.call_later, no thread).
`static`: files of a directory by basename, body via loop.sendfile.
The event loop runs in a thread of the runner process, like the others.
"""

import asyncio
import os
import threading

from subjects import HOST
from subjects import SLEEP
from subjects import Subject

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
RESPONSE = HEAD + b"\r\nHello, world!"
RESPONSE_CLOSE = HEAD + b"Connection: close\r\n\r\nHello, world!"
# As ours and waitress (asyncio's default is 100): with 200 connections
# opened at once (figure i), a full backlog makes clients retry after 1 s.
BACKLOG = 1024


class HelloProtocol(asyncio.Protocol):
    delay = 0.0

    def __init__(self, conns):
        self.conns = conns
        self.buf = b""
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        self.conns.add(transport)

    def connection_lost(self, exc):
        self.conns.discard(self.transport)

    def data_received(self, data):
        buf = self.buf + data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            close = b"connection: close" in buf[:end].lower()
            buf = buf[end + 4 :]
            if self.delay:
                asyncio.get_running_loop().call_later(
                    self.delay, self.respond, close
                )
            else:
                self.respond(close)
            if close:
                break
        self.buf = buf

    def respond(self, close):
        t = self.transport
        if t.is_closing():
            return
        if close:
            t.write(RESPONSE_CLOSE)
            t.close()
        else:
            t.write(RESPONSE)


class SleepProtocol(HelloProtocol):
    delay = SLEEP


class AsyncioSubject(Subject):
    def start(self, app_kind, srcdir=None):
        self.conns = set()
        self.tasks = set()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, daemon=True
        )
        self.thread.start()
        if app_kind == "static":
            coro = asyncio.start_server(
                self._file_handler(srcdir), HOST, 0, backlog=BACKLOG
            )
        else:
            proto = SleepProtocol if app_kind == "sleep" else HelloProtocol
            coro = self.loop.create_server(
                lambda: proto(self.conns), HOST, 0, backlog=BACKLOG
            )
        self.server = asyncio.run_coroutine_threadsafe(
            coro, self.loop
        ).result()
        return self.server.sockets[0].getsockname()[1]

    def _file_handler(self, root):
        async def handle(reader, writer):
            self.conns.add(writer.transport)
            self.tasks.add(asyncio.current_task())
            loop = asyncio.get_running_loop()
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    path = head.split(b" ", 2)[1].decode("latin-1")
                    close = b"connection: close" in head.lower()
                    extra = b"Connection: close\r\n" if close else b""
                    try:
                        f = open(
                            os.path.join(root, os.path.basename(path)), "rb"
                        )
                    except OSError:
                        writer.write(
                            b"HTTP/1.1 404 Not Found\r\n"
                            b"Content-Length: 0\r\n" + extra + b"\r\n"
                        )
                    else:
                        with f:
                            size = os.fstat(f.fileno()).st_size
                            writer.write(
                                b"HTTP/1.1 200 OK\r\nContent-Type: "
                                b"application/octet-stream\r\nContent-Length: "
                                + str(size).encode()
                                + b"\r\n"
                                + extra
                                + b"\r\n"
                            )
                            await loop.sendfile(writer.transport, f)
                    if close:
                        await writer.drain()
                        break
            except (
                asyncio.IncompleteReadError,
                ConnectionError,
                asyncio.LimitOverrunError,
                IndexError,
            ):
                pass
            finally:
                self.conns.discard(writer.transport)
                self.tasks.discard(asyncio.current_task())
                writer.close()

        return handle

    async def _shutdown(self):
        self.server.close()
        for t in list(self.conns):
            t.abort()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.sleep(0)

    def stop(self):
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()
