"""Reach the server from another host, as a Selenium Grid node does.

Each test builds two network namespaces joined by a veth pair, a private
/30 between them: the server side (10.213.7.1) and the client side
(10.213.7.2), each with nothing but its loopback and its end of the pair. A
process cannot move one thread to another namespace, so the server runs in
a subprocess (``ip netns exec SERVER python netns_server.py``), and so does
the client (``ip netns exec CLIENT python netns_client.py TOOL URL``).

With ``GOCEPT_HTTP_APP_HOST`` set to the server's veth address and
``GOCEPT_HTTP_BIND_HOST`` set, urllib and a headless Chromium (driven by
Playwright and by Selenium) in the client namespace load the page; a layer
left on the default (``localhost``) is unreachable from there.

This needs root and iproute2's ``ip``; without them the tests are skipped
with the reason printed.
"""

import itertools
import json
import os
import pathlib
import select
import shutil
import subprocess
import sys
import unittest

import browsers

HERE = pathlib.Path(__file__).resolve().parent
SERVER_ADDRESS = "10.213.7.1"
CLIENT_ADDRESS = "10.213.7.2"
PREFIX = 30
TIMEOUT = 30  # seconds, for each subprocess

_numbers = itertools.count()


def ip(*args):
    subprocess.run(
        ["ip", *args], check=True, capture_output=True, text=True, timeout=10
    )


def why_not_possible():
    """Return the reason these tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed (apt-get install iproute2)"
    return None


def environ(**gocept):
    """The environment of a subprocess: ours, minus GOCEPT_HTTP_*, plus."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOCEPT_")}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env.update(gocept)
    return env


class NetworkNamespaceTest(unittest.TestCase):
    """Two namespaces with a veth pair, made and removed for each test."""

    def setUp(self):
        reason = why_not_possible()
        if reason:
            print(
                f"\nSkipping the other-host tests: {reason}", file=sys.stderr
            )
            self.skipTest(reason)
        tag = f"{os.getpid()}-{next(_numbers)}"
        self.server_ns = f"gocept-srv-{tag}"
        self.client_ns = f"gocept-cli-{tag}"
        for ns in (self.server_ns, self.client_ns):
            try:
                ip("netns", "add", ns)
            except subprocess.CalledProcessError as error:
                self.skip(f"`ip netns add` failed: {error.stderr.strip()}")
            # Deleting a namespace also deletes its end of the veth pair,
            # and with it the other end.
            self.addCleanup(ip, "netns", "del", ns)
        ip(
            *("link", "add", "veth-srv", "netns", self.server_ns),
            *("type", "veth", "peer", "name", "veth-cli"),
            *("netns", self.client_ns),
        )
        for ns, dev, address in (
            (self.server_ns, "veth-srv", SERVER_ADDRESS),
            (self.client_ns, "veth-cli", CLIENT_ADDRESS),
        ):
            ip("-n", ns, "addr", "add", f"{address}/{PREFIX}", "dev", dev)
            ip("-n", ns, "link", "set", dev, "up")
            ip("-n", ns, "link", "set", "lo", "up")

    def skip(self, reason):
        print(f"\nSkipping the other-host tests: {reason}", file=sys.stderr)
        self.skipTest(reason)

    def serve(self, **gocept):
        """Start netns_server.py in the server namespace; return its address.

        The server stops when the test ends, pass or fail.
        """
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.server_ns, sys.executable]
            + [str(HERE / "netns_server.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=environ(**gocept),
        )
        self.addCleanup(self.stop, process)
        ready, _, _ = select.select([process.stdout], [], [], TIMEOUT)
        line = process.stdout.readline() if ready else ""
        if not line:
            self.fail(f"The server did not start within {TIMEOUT} s.")
        return json.loads(line)["http_address"]

    def stop(self, process):
        process.stdin.close()
        try:
            process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=TIMEOUT)
        process.stdout.close()
        self.assertEqual(0, process.returncode, "The server failed.")

    def fetch(self, tool, url, ns=None):
        """Load ``url`` with ``tool`` in the client namespace (or ``ns``)."""
        missing = tool != "http" and browsers._missing(tool)
        if missing:
            self.skipTest(f"not installed: {missing}")
        result = subprocess.run(
            ["ip", "netns", "exec", ns or self.client_ns, sys.executable]
            + [str(HERE / "netns_client.py"), tool, url],
            capture_output=True,
            text=True,
            timeout=TIMEOUT * 2,
            env=environ(),
        )
        return result.returncode, result.stdout.strip()

    def serve_on_veth(self):
        address = self.serve(
            GOCEPT_HTTP_APP_HOST=SERVER_ADDRESS,
            GOCEPT_HTTP_BIND_HOST="0.0.0.0",
        )
        self.assertTrue(address.startswith(f"{SERVER_ADDRESS}:"), address)
        return address

    def test_http_client_reaches_the_server_from_another_host(self):
        address = self.serve_on_veth()
        self.assertEqual(
            (0, f"200 served by {address}"),
            self.fetch("http", f"http://{address}/data"),
        )

    def test_chromium_reaches_the_server_from_another_host_playwright(self):
        address = self.serve_on_veth()
        self.assertEqual(
            (0, f"done served by {address}"),
            self.fetch("playwright", f"http://{address}/"),
        )

    def test_chromium_reaches_the_server_from_another_host_selenium(self):
        address = self.serve_on_veth()
        self.assertEqual(
            (0, f"done served by {address}"),
            self.fetch("selenium", f"http://{address}/"),
        )

    def test_bind_host_alone_is_enough_for_the_veth_address(self):
        # Listening on the veth address only, not on every interface.
        address = self.serve(
            GOCEPT_HTTP_APP_HOST=SERVER_ADDRESS,
            GOCEPT_HTTP_BIND_HOST=SERVER_ADDRESS,
        )
        self.assertEqual(
            (0, f"200 served by {address}"),
            self.fetch("http", f"http://{address}/data"),
        )

    def test_default_layer_is_unreachable_from_another_host(self):
        address = self.serve()
        host, port = address.rsplit(":", 1)
        self.assertEqual("localhost", host)
        # The server is up: in its own namespace, localhost reaches it.
        self.assertEqual(
            (0, f"200 served by {address}"),
            self.fetch("http", f"http://{address}/data", ns=self.server_ns),
        )
        # From the other host, the server's address does not.
        url = f"http://{SERVER_ADDRESS}:{port}/data"
        code, output = self.fetch("http", url)
        self.assertEqual(1, code, output)
        self.assertIn("Connection refused", output)
        code, output = self.fetch("playwright", url)
        self.assertEqual(1, code, output)
        self.assertIn("ERR_CONNECTION_REFUSED", output)
