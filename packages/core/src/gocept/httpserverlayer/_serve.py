"""Serve a layer stack to tests that run in another process.

``python -m gocept.httpserverlayer serve package.module.LAYER`` imports the
layer, sets up its stack as zope.testrunner would (bases first, each once),
starts the first test (testSetUp) and serves until SIGINT or SIGTERM; then
it ends the test and tears the stack down in reverse order. Robot
Framework, Cypress or Playwright Test suites point their browsers at the
printed URL, and with ``--control`` start a fresh test between their own
through the control endpoint (:mod:`._control`).

Every layer hook runs on the main thread, as under zope.testrunner: Zope's
and Plone's layers keep thread-local state (the transaction, the site).
"""

from __future__ import annotations

import argparse
import importlib
import ipaddress
import json
import queue
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any
from typing import TextIO

from gocept.httpserverlayer._control import CONTROL_PATH
from gocept.httpserverlayer._control import Control
from gocept.httpserverlayer._errors import Error
from gocept.httpserverlayer._wsgi import WSGIProtocol


class ServeError(Error):
    """The layer to serve cannot be found or served."""


def resolve(dotted: str) -> Any:
    """Import ``package.module.LAYER`` and return the layer."""
    module_name, _, attribute = dotted.rpartition(".")
    if not module_name:
        raise ServeError(
            f"{dotted!r} is not a dotted name: give the layer as"
            " package.module.LAYER."
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ServeError(
            f"Cannot import the module {module_name!r} of the layer"
            f" {dotted!r} ({e}): check the name, or make the module"
            " importable for this Python (install its distribution, or add"
            " its folder to PYTHONPATH)."
        ) from None
    try:
        layer = getattr(module, attribute)
    except AttributeError:
        raise ServeError(
            f"The module {module_name!r} has no layer named {attribute!r}:"
            f" give the name of a layer defined there ({dotted!r} is"
            " wrong)."
        ) from None
    if not hasattr(layer, "__bases__") or not hasattr(layer, "setUp"):
        raise ServeError(
            f"{dotted!r} is {layer!r}, not a test layer: give a layer, such"
            " as a plone.testing.Layer instance."
        )
    return layer


def _layer_name(layer: Any) -> str:
    return f"{layer.__module__}.{layer.__name__}"


def _is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class Stack:
    """The layers of one layer's stack, in set-up order (bases first)."""

    def __init__(self, layer: Any) -> None:
        self.top = layer
        self.layers: list[Any] = []
        self._collect(layer)
        self.set_up: list[Any] = []
        self.in_test = False

    def _collect(self, layer: Any) -> None:
        if layer is object or layer in self.layers:
            return
        for base in layer.__bases__:
            self._collect(base)
        self.layers.append(layer)

    def setUp(self) -> None:
        for layer in self.layers:
            layer.setUp()
            self.set_up.append(layer)

    def tearDown(self) -> None:
        if self.in_test:
            self.testTearDown()
        while self.set_up:
            layer = self.set_up.pop()
            try:
                layer.tearDown()
            except NotImplementedError:
                # zope.testrunner's way of saying "cannot be torn down, end
                # the process instead": this process ends next.
                pass

    def testSetUp(self) -> None:
        if self.in_test:
            raise ServeError(
                "A test is running already: end it first (test-teardown),"
                " or start a fresh one with reset."
            )
        for layer in self.layers:
            if hasattr(layer, "testSetUp"):
                layer.testSetUp()
        self.in_test = True

    def testTearDown(self) -> None:
        if not self.in_test:
            raise ServeError(
                "No test is running: start one first (test-setup)."
            )
        self.in_test = False
        for layer in reversed(self.layers):
            if hasattr(layer, "testTearDown"):
                layer.testTearDown()

    def server(self) -> Any:
        """The top layer's server (resource ``httpd``)."""
        try:
            return self.top["httpd"]
        except KeyError:
            raise ServeError(
                f"The layer {_layer_name(self.top)} runs no HTTP server (it"
                " has no 'httpd' resource): serve a layer that has an"
                " HTTP server layer among its bases, such as"
                " plone.testing.Layer(bases=(MY_FIXTURE, HTTP_SERVER))."
            ) from None


class Runner:
    """Runs the stack's hooks on the main thread, for the control endpoint.

    :meth:`call` may be called from any thread; it waits (bounded) until
    the main thread, looping in :meth:`run_until_stopped`, ran the job.
    """

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.jobs: queue.Queue[tuple[Callable[[], Any], queue.Queue[Any]]]
        self.jobs = queue.Queue()
        self.stopping = threading.Event()

    def call(self, job: Callable[[], Any], timeout: float) -> Any:
        if self.stopping.is_set():
            raise ServeError("The server is stopping.")
        answer: queue.Queue[Any] = queue.Queue()
        self.jobs.put((job, answer))
        try:
            ok, value = answer.get(timeout=timeout)
        except queue.Empty:
            raise ServeError(
                f"The layers' hooks did not finish within {timeout:g} s;"
                " they go on in the server process."
            ) from None
        if not ok:
            raise value
        return value

    def run_until_stopped(self) -> None:
        while not self.stopping.is_set():
            try:
                job, answer = self.jobs.get(timeout=0.1)
            except queue.Empty:
                continue
            try:
                answer.put((True, job()))
            except Exception as e:
                answer.put((False, e))
        # Answer what came in while stopping.
        while not self.jobs.empty():
            _, answer = self.jobs.get_nowait()
            answer.put((False, ServeError("The server is stopping.")))

    def stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping.set()


def describe(stack: Stack, control: bool) -> dict[str, Any]:
    """What a client needs to know about the served stack."""
    top = stack.top
    url = str(top["http_url"])
    info: dict[str, Any] = {
        "layer": _layer_name(top),
        "url": url,
        "host": top["http_host"],
        "port": top["http_port"],
        "address": top["http_address"],
    }
    for resource in ("ca_bundle", "ca_spki_hash", "documentroot"):
        value = top.get(resource)
        if value is not None:
            info[resource] = value
    if control:
        if _is_loopback(str(top["http_host"])):
            base = url
        else:
            base = f"{top['http_scheme']}://127.0.0.1:{top['http_port']}"
        info["control"] = base + CONTROL_PATH
    return info


def _check_control_possible(server: Any, layer: Any) -> None:
    wsgi = isinstance(getattr(server, "protocol", None), WSGIProtocol)
    # The ASGI engine (AsgiServer) has no protocol, and a control slot.
    asgi = not hasattr(server, "protocol") and hasattr(server, "control")
    if not (wsgi or asgi):
        raise ServeError(
            f"--control needs a layer served by the WSGI or ASGI engine"
            f" (wsgi.Layer, static.Layer, HTTP_SERVER, asgi.Layer), but"
            f" {_layer_name(layer)} hands every request to its own request"
            " handler (custom.Layer, or request_handler_class): serve it"
            " without --control."
        )
    # The endpoint answers loopback clients only: the server must listen
    # there.
    addresses = [sock.getsockname()[0] for sock in server.sockets]
    if any(a in ("0.0.0.0", "::") or _is_loopback(a) for a in addresses):
        return
    raise ServeError(
        "--control answers clients on loopback only, but the server listens"
        f" on {', '.join(addresses)} only: set GOCEPT_HTTP_BIND_HOST to"
        " 0.0.0.0 (or leave it and GOCEPT_HTTP_APP_HOST unset)."
    )


def serve(
    dotted: str,
    *,
    as_json: bool = False,
    control: bool = False,
    out: TextIO = sys.stdout,
    hook_timeout: float = 300.0,
) -> int:
    """Serve the layer ``dotted`` until SIGINT or SIGTERM; return 0."""
    stack = Stack(resolve(dotted))
    runner = Runner(stack)
    old = {
        sig: signal.signal(sig, runner.stop)
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        stack.setUp()
        server = stack.server()
        if control:
            _check_control_possible(server, stack.top)
            server.control = (
                CONTROL_PATH,
                Control(stack, runner, timeout=hook_timeout),
            )
        stack.testSetUp()
        info = describe(stack, control)
        if as_json:
            print(json.dumps(info), file=out, flush=True)
        else:
            print(f"Serving {info['layer']} at {info['url']}", file=out)
            if control:
                print(f"Control endpoint: {info['control']}", file=out)
            print(
                "Stop with Ctrl+C (SIGINT) or SIGTERM.", file=out, flush=True
            )
        runner.run_until_stopped()
    finally:
        runner.stopping.set()
        try:
            stack.tearDown()
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)
    print("Stopped: the layers are torn down.", file=sys.stderr, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """The command line: ``python -m gocept.httpserverlayer serve ...``."""
    parser = argparse.ArgumentParser(
        prog="python -m gocept.httpserverlayer",
        description="Serve a test layer stack to tests in other processes.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser(
        "serve",
        help="set up a layer stack and serve it until SIGINT or SIGTERM",
        description=(
            "Set up the layer's stack, start a test (testSetUp), print the"
            " URL and serve until SIGINT or SIGTERM, then tear the stack"
            " down. The host and port come from GOCEPT_HTTP_APP_HOST,"
            " GOCEPT_HTTP_BIND_HOST and GOCEPT_HTTP_APP_PORT."
        ),
    )
    command.add_argument(
        "layer", help="the layer's dotted name: package.module.LAYER"
    )
    command.add_argument(
        "--json",
        action="store_true",
        help="print one line of JSON: url, host, port, control, ...",
    )
    command.add_argument(
        "--control",
        action="store_true",
        help=(
            f"answer POST {CONTROL_PATH}/reset, /test-setup and"
            " /test-teardown from loopback clients"
        ),
    )
    args = parser.parse_args(argv)
    try:
        return serve(args.layer, as_json=args.json, control=args.control)
    except Error as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
