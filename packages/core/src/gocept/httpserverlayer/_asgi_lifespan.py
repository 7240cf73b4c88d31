"""The ASGI ``lifespan`` protocol: startup at setUp, shutdown at tearDown.

The application gets one ``lifespan`` scope for the life of the server.
Its ``state`` dict is the one each request's scope gets a copy of.

- ``lifespan.startup.complete``: the server starts accepting connections.
- ``lifespan.startup.failed``, or an exception raised after the application
  received ``lifespan.startup``: setUp fails with :class:`LifespanError`,
  chained to the application's exception (its traceback).
- An application that raises before it reads the startup event (``assert
  scope["type"] == "http"``), or that returns at once: it does not support
  lifespan, and the server goes on without it, silently (ASGI spec).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from typing import Any

from gocept.httpserverlayer._report import warn
from gocept.httpserverlayer._server import Error

if TYPE_CHECKING:
    from gocept.httpserverlayer._asgi_server import AsgiServer


class LifespanError(Error):
    """The application's lifespan startup failed."""


class Lifespan:
    """Runs the application's lifespan scope on the server's loop."""

    def __init__(self, server: AsgiServer) -> None:
        self.server = server
        self.state: dict[str, Any] = {}
        self.supported = False
        self._events: asyncio.Queue[dict[str, Any]] | None = None
        self._answer: asyncio.Future[dict[str, Any]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._received = False
        self._error: BaseException | None = None

    async def startup(self, timeout: float) -> None:
        """Send ``lifespan.startup``; return when the app completed it."""
        self._events = asyncio.Queue()
        self._events.put_nowait({"type": "lifespan.startup"})
        loop = asyncio.get_running_loop()
        answer = self._answer = loop.create_future()
        task = self._task = loop.create_task(
            self._run(), name=f"{self.server.name} lifespan"
        )
        # Whichever comes first: the app's answer, its return, the timeout.
        done = loop.create_future()

        def wake(_: Any = None) -> None:
            if not done.done():
                done.set_result(None)

        answer.add_done_callback(wake)
        task.add_done_callback(wake)
        timer = loop.call_later(timeout, wake)
        await done
        timer.cancel()
        what = self._describe()
        if answer.done():
            message = answer.result()
            if message["type"] == "lifespan.startup.complete":
                self.supported = True
                return
            await asyncio.wait([task], timeout=1.0)  # its exception, if any
            text = message.get("message") or "(no message)"
            raise LifespanError(
                f"The lifespan startup of {what} failed: {text}"
            ) from self._error
        if not task.done():
            task.cancel()
            raise LifespanError(
                f"The lifespan startup of {what} did not complete within"
                f" {timeout} s: raise the layer's startup_timeout if it"
                " needs longer."
            )
        if self._error is not None and self._received:
            raise LifespanError(
                f"The lifespan startup of {what} raised"
                f" {type(self._error).__name__}: {self._error}"
            ) from self._error
        # Raised before reading the startup event, or returned: the
        # application does not do lifespan (ASGI spec: go on without).
        self._error = None

    def _describe(self) -> str:
        return f"the ASGI application {self.server.application!r}"

    async def _run(self) -> None:
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        try:
            await self.server.application(scope, self._receive, self._send)
        except asyncio.CancelledError:
            raise
        except BaseException as e:
            self._error = e

    async def _receive(self) -> dict[str, Any]:
        assert self._events is not None
        message = await self._events.get()
        self._received = True
        return message

    async def _send(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        expected = (
            "lifespan.startup.complete",
            "lifespan.startup.failed",
            "lifespan.shutdown.complete",
            "lifespan.shutdown.failed",
        )
        if kind not in expected:
            raise RuntimeError(
                f"Unexpected ASGI lifespan message {message!r}: expected one"
                f" of {', '.join(expected)}."
            )
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(message)

    async def shutdown(self, timeout: float) -> None:
        """Send ``lifespan.shutdown``; wait (bounded) for the answer."""
        task = self._task
        if task is None or task.done() or not self.supported:
            if task is not None and not task.done():
                task.cancel()
            return
        assert self._events is not None
        answer = self._answer = asyncio.get_running_loop().create_future()
        self._events.put_nowait({"type": "lifespan.shutdown"})
        await asyncio.wait(
            [answer, task], timeout=timeout, return_when="FIRST_COMPLETED"
        )
        what = self._describe()
        if answer.done():
            message = answer.result()
            if message["type"] == "lifespan.shutdown.failed":
                warn(
                    f"The lifespan shutdown of {what} failed:"
                    f" {message.get('message') or '(no message)'}"
                )
        elif not task.done():
            warn(
                f"The lifespan shutdown of {what} did not complete within"
                f" {timeout} s; it was cancelled."
            )
        elif self._error is not None:
            warn(
                f"The lifespan shutdown of {what} raised"
                f" {type(self._error).__name__}: {self._error}"
            )
        if not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=timeout)
