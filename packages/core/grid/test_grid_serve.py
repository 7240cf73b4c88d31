"""``serve --control`` across hosts: the app for everyone, control for this
machine only.

The served layer listens on every address (GOCEPT_HTTP_BIND_HOST=0.0.0.0)
and advertises the test host's bridge address: a client on a node's host
(a namespace) gets the app's answers, and a 403 from the control endpoint,
which answers loopback clients only. A server bound to the bridge address
alone cannot offer the control endpoint at all: serve refuses to start,
naming the variable.
"""

import json
import os
import pathlib
import select
import signal
import subprocess
import sys
import unittest

from gocept.httpserverlayer._testing import gridsupport
from gocept.httpserverlayer._testing.serving import start_serve

TESTS = pathlib.Path(__file__).resolve().parents[1] / "tests"
TIMEOUT = 30
FETCH = """\
import sys, urllib.error, urllib.request
request = urllib.request.Request(sys.argv[1], method=sys.argv[2])
try:
    print(urllib.request.urlopen(request, timeout=10).status)
except urllib.error.HTTPError as e:
    print(e.code)
"""


def serve(**env):
    return start_serve(
        "servelayers.NOTES_HTTP",
        "--json",
        "--control",
        pythonpath=TESTS,
        env=env,
    )


class ServeAcrossHostsTest(unittest.TestCase):
    def setUp(self):
        reason = gridsupport.why_no_grid()
        if reason:
            self.skipTest(reason)
        self.address = os.environ["GOCEPT_HTTP_APP_HOST"]
        namespaces = json.loads(os.environ["GOCEPT_GRID_NAMESPACES"])
        self.node = namespaces["node1"]

    def from_node(self, method, url):
        result = subprocess.run(
            ["ip", "netns", "exec", self.node, sys.executable, "-c", FETCH]
            + [url, method],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        return result.stdout.strip() or result.stderr.strip()

    def started(self, process):
        self.addCleanup(process.stderr.close)
        self.addCleanup(process.stdout.close)
        self.addCleanup(process.kill)
        ready, _, _ = select.select([process.stdout], [], [], TIMEOUT)
        self.assertTrue(ready, "serve printed nothing")
        return json.loads(process.stdout.readline())

    def test_node_gets_the_app_and_a_403_from_the_control_endpoint(self):
        process = serve(
            GOCEPT_HTTP_APP_HOST=self.address, GOCEPT_HTTP_BIND_HOST="0.0.0.0"
        )
        info = self.started(process)
        port = info["port"]
        self.assertEqual(f"http://{self.address}:{port}", info["url"])
        self.assertEqual(
            f"http://127.0.0.1:{port}/_gocept_httpserverlayer",
            info["control"],
        )
        self.assertEqual("200", self.from_node("GET", f"{info['url']}/notes"))
        control = f"{info['url']}/_gocept_httpserverlayer/reset"
        self.assertEqual("403", self.from_node("POST", control))
        process.send_signal(signal.SIGTERM)
        self.assertEqual(0, process.wait(TIMEOUT))

    def test_control_with_a_server_off_loopback_is_refused_at_start(self):
        process = serve(
            GOCEPT_HTTP_APP_HOST=self.address,
            GOCEPT_HTTP_BIND_HOST=self.address,
        )
        _, stderr = process.communicate(timeout=TIMEOUT)
        self.assertEqual(2, process.returncode)
        self.assertEqual(
            "error: --control answers clients on loopback only, but the"
            f" server listens on {self.address} only: set"
            " GOCEPT_HTTP_BIND_HOST to 0.0.0.0 (or leave it and"
            " GOCEPT_HTTP_APP_HOST unset).",
            stderr.strip(),
        )
