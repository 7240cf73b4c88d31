"""Soak (issue 8, part 5): lifecycles and requests leave nothing behind.

CYCLES full layer lifecycles (setUp, testSetUp, one request, testTearDown,
tearDown) for each of wsgi.Layer, static.Layer (temporary root) and
custom.Layer; then REQUESTS requests over ROUNDS tests on one wsgi.Layer,
sent by two client processes. Threads and file descriptors must be
exactly the same after as after a warm-up; RSS growth is reported and
must stay under RSS_BOUND.
"""

from __future__ import annotations

import gc
import time
import unittest

import gocept.httpserverlayer.custom
import gocept.httpserverlayer.static
import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer._testing.capture import captured
from gocept.httpserverlayer._testing.client import get
from gocept.httpserverlayer._testing.stresskit import figures
from gocept.httpserverlayer._testing.stresskit import load
from gocept.httpserverlayer._testing.stresskit import mib
from gocept.httpserverlayer._testing.stresskit import snapshot

CYCLES = 1000
WARMUP = 20
REQUESTS = 100_000
ROUNDS = 10
CONNECTIONS = 100
RSS_BOUND = 20 * 1024 * 1024
BODY = b"Hello, world!"


def app(environ, start_response):
    start_response("200 OK", [("Content-Length", "13")])
    return [BODY]


class Handler(gocept.httpserverlayer.custom.RequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "13")
        self.end_headers()
        self.wfile.write(BODY)


def make_wsgi():
    return gocept.httpserverlayer.wsgi.Layer(
        name="SoakWSGI", module=__name__, wsgi_app=app
    )


def make_static():
    return gocept.httpserverlayer.static.Layer(
        name="SoakStatic", module=__name__
    )


def make_custom():
    return gocept.httpserverlayer.custom.Layer(
        Handler, name="SoakCustom", module=__name__
    )


def settled():
    gc.collect()
    time.sleep(0.05)
    return snapshot()


class SoakTest(unittest.TestCase):
    def assertNoGrowth(self, title, before, after, **extra):
        growth = after["rss"] - before["rss"]
        figures(
            title,
            **extra,
            threads=f"{before['threads']} -> {after['threads']}",
            fds=f"{before['fds']} -> {after['fds']}",
            rss=f"{before['rss'] / 2**20:.1f} MiB -> "
            f"{after['rss'] / 2**20:.1f} MiB ({mib(growth)}, bound"
            f" {RSS_BOUND // 2**20} MiB)",
        )
        self.assertEqual(before["threads"], after["threads"])
        self.assertEqual(before["fds"], after["fds"])
        self.assertLess(growth, RSS_BOUND)

    def cycle(self, layer, path):
        layer.setUp()
        layer.testSetUp()
        if path == "/index.html":
            root = layer["documentroot"]
            with open(f"{root}/index.html", "wb") as f:
                f.write(BODY)
        response = get(layer["http_port"], path)
        self.assertEqual((200, BODY), (response.status, response.body))
        layer.testTearDown()
        layer.tearDown()

    def run_cycles(self, make, path):
        layer = make()
        with captured() as (stderr, records):
            for _ in range(WARMUP):
                self.cycle(layer, path)
            before = settled()
            started = time.monotonic()
            for _ in range(CYCLES):
                self.cycle(layer, path)
            seconds = time.monotonic() - started
            after = settled()
        self.assertEqual(("", []), (stderr.getvalue(), records))
        self.assertNoGrowth(
            f"soak: {CYCLES} lifecycles of {type(layer).__module__}.Layer",
            before,
            after,
            cycles=f"{CYCLES} after {WARMUP} warm-up",
            per_cycle=f"{seconds / CYCLES * 1000:.2f} ms (with one request)",
        )

    def test_cycles_wsgi(self):
        self.run_cycles(make_wsgi, "/")

    def test_cycles_static(self):
        self.run_cycles(make_static, "/index.html")

    def test_cycles_custom(self):
        self.run_cycles(make_custom, "/")

    def test_requests(self):
        layer = make_wsgi()
        layer.setUp()
        self.addCleanup(layer.tearDown)
        per_connection = REQUESTS // ROUNDS // CONNECTIONS
        sent = answered = 0
        with captured() as (stderr, records):
            for round in range(ROUNDS + 1):  # round 0 is the warm-up
                if round == 1:
                    before = settled()
                    started = time.monotonic()
                layer.testSetUp()
                result = load(
                    layer["http_port"], CONNECTIONS, 600, "/", BODY,
                    requests=per_connection,
                )  # fmt: skip
                layer.testTearDown()
                if round:
                    sent += result["sent"]
                    answered += result["correct"]
            seconds = time.monotonic() - started
            after = settled()
        self.assertEqual(("", []), (stderr.getvalue(), records))
        self.assertEqual(REQUESTS, sent)
        self.assertEqual(REQUESTS, answered)
        self.assertNoGrowth(
            f"soak: {REQUESTS:,} requests on one wsgi.Layer",
            before,
            after,
            requests=f"{sent:,} sent, {answered:,} answered correctly",
            tests=f"{ROUNDS} (testSetUp/testTearDown), {CONNECTIONS} conns",
            seconds=f"{seconds:.1f}",
        )
