"""Load (issue 8, part 4): 200 concurrent connections for 10 seconds.

Two client processes (100 connections each, one request at a time per
connection, keep-alive) against a 13-byte app and against a 50 ms app on
wsgi.Layer: every request sent is answered, correctly (status 200, the
expected 13-byte body), none lost; latency percentiles are reported.
"""

from __future__ import annotations

import time
import unittest

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer._testing.stresskit import checked_load

CONNECTIONS = 200
SECONDS = 10.0
BODY = b"Hello, world!"


def app(environ, start_response):
    if environ["PATH_INFO"] == "/slow":
        time.sleep(0.05)
    start_response(
        "200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")]
    )
    return [BODY]


LAYER = gocept.httpserverlayer.wsgi.Layer(
    name="Load", module=__name__, wsgi_app=app
)


class LoadTest(unittest.TestCase):
    layer = LAYER

    def run_load(self, path, title):
        checked_load(
            title, self.layer["http_port"], CONNECTIONS, SECONDS, path, BODY
        )

    def test_13_byte_app(self):
        self.run_load("/", "load: 13-byte app")

    def test_50ms_app(self):
        self.run_load("/slow", "load: 50 ms app")
