"""The control endpoint of ``python -m gocept.httpserverlayer serve``.

With ``--control`` the served layer's own server answers requests under
:data:`CONTROL_PATH` itself (see ``Server.control``), from loopback
clients only:

``POST /_gocept_httpserverlayer/reset``
    end the running test (testTearDown) and start a fresh one (testSetUp):
    what the tests in another process call between two of theirs;
``POST .../test-teardown``, ``POST .../test-setup``
    the two halves, for runners with set-up and tear-down steps of their
    own;
``GET /_gocept_httpserverlayer``
    the state: the layer, and whether a test is running.

Each answers with JSON: ``{"layer": ..., "in_test": ...}``, or
``{"error": ...}`` with a 4xx or 5xx status. The hooks run on the serving
process's main thread; the request waits for them (bounded).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

from gocept.httpserverlayer._report import report_exception
from gocept.httpserverlayer._server import Error

if TYPE_CHECKING:
    from gocept.httpserverlayer._serve import Runner
    from gocept.httpserverlayer._serve import Stack

#: The reserved path; requests below it never reach the layer's app.
CONTROL_PATH = "/_gocept_httpserverlayer"


def _from_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class Control:
    """The endpoint's WSGI application.

    :param stack: the served layer stack.
    :param runner: runs the stack's hooks on the main thread.
    :param timeout: seconds a request waits for the hooks.
    """

    def __init__(self, stack: Stack, runner: Runner, timeout: float) -> None:
        self.stack = stack
        self.runner = runner
        self.timeout = timeout
        self.actions: dict[str, Callable[[], None]] = {
            "reset": self.reset,
            "test-setup": stack.testSetUp,
            "test-teardown": stack.testTearDown,
        }

    def reset(self) -> None:
        if self.stack.in_test:
            self.stack.testTearDown()
        self.stack.testSetUp()

    def state(self) -> dict[str, Any]:
        top = self.stack.top
        return {
            "layer": f"{top.__module__}.{top.__name__}",
            "in_test": self.stack.in_test,
        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        status, body, headers = self.answer(environ)
        data = json.dumps(body).encode()
        start_response(
            status,
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(data))),
                ("Cache-Control", "no-store"),
                *headers,
            ],
        )
        return [data]

    def answer(
        self, environ: dict[str, Any]
    ) -> tuple[str, dict[str, Any], list[tuple[str, str]]]:
        if not _from_loopback(environ.get("REMOTE_ADDR", "")):
            return (
                "403 Forbidden",
                {
                    "error": "The control endpoint answers clients on this"
                    " machine's loopback only; connect to 127.0.0.1 or ::1."
                },
                [],
            )
        action = environ["PATH_INFO"][len(CONTROL_PATH) :].strip("/")
        method = environ["REQUEST_METHOD"]
        if not action:
            if method not in ("GET", "HEAD"):
                return _not_allowed("GET")
            return "200 OK", self.state(), []
        if action not in self.actions:
            return (
                "404 Not Found",
                {
                    "error": f"Unknown control action {action!r}: use"
                    f" {', '.join(self.actions)}."
                },
                [],
            )
        if method != "POST":
            return _not_allowed("POST")
        try:
            self.runner.call(self.actions[action], self.timeout)
        except Error as e:
            return "409 Conflict", {"error": str(e), **self.state()}, []
        except Exception as e:
            report_exception(f"The control action {action!r} failed")
            return (
                "500 Internal Server Error",
                {
                    "error": f"{action} failed: {type(e).__name__}: {e}"
                    " (the traceback is in the server's output)",
                    **self.state(),
                },
                [],
            )
        return "200 OK", self.state(), []


def _not_allowed(
    method: str,
) -> tuple[str, dict[str, Any], list[tuple[str, str]]]:
    return (
        "405 Method Not Allowed",
        {"error": f"Use {method} here."},
        [("Allow", method)],
    )
