"""static.Layer under stress (issue 8): faults of files, slow clients, load.

Faults that apply to files: a file removed or truncated while it is being
served, a FIFO, an unreadable file. Each gives a defined result (a
complete response, a cut body and a closed connection, 404 or 403) and
the next request is served. None prints a traceback; the truncated file
is reported once, in one line ("The file ended after N of the M bytes
declared as Content-Length ..."). Slow clients:
slowloris and a reader that stalls a large file while others are served.
Load: 200 connections for 5 s on a 1 KiB file from 2 client processes,
none lost.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import unittest

import gocept.httpserverlayer.static
from gocept.httpserverlayer._testing.capture import captured
from gocept.httpserverlayer._testing.client import get
from gocept.httpserverlayer._testing.client import parse
from gocept.httpserverlayer._testing.stresskit import all_workers_alive
from gocept.httpserverlayer._testing.stresskit import checked_load
from gocept.httpserverlayer._testing.stresskit import figures
from gocept.httpserverlayer._testing.stresskit import percentiles
from gocept.httpserverlayer._testing.stresskit import wait_idle

ROUNDS = 5
BIG = 32 * 1024 * 1024
KIB = b"k" * 1024
SLOW_CLIENTS = 8
TRICKLE = 0.003
CONNECTIONS = 200
SECONDS = 5.0

LAYER = gocept.httpserverlayer.static.Layer(
    name="StaticStress", module=__name__
)


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def read_all(sock, timeout=10.0):
    """Read until the server closes; what arrived (bounded in time)."""
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(1024 * 1024)
        except ConnectionResetError:
            break
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
    raise AssertionError("The server did not close in time.")


class StaticCase(unittest.TestCase):
    layer = LAYER

    def setUp(self):
        self.port = self.layer["http_port"]
        self.server = self.layer["httpd"]
        self.root = self.layer["documentroot"]
        self.write("kib.txt", KIB)
        self.latencies = []

    def write(self, name, data):
        path = os.path.join(self.root, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def write_big(self, name):
        path = os.path.join(self.root, name)
        with open(path, "wb") as f:
            f.truncate(BIG)  # sparse: quick to make
        return path

    def others_are_served(self, count=50):
        for _ in range(count):
            started = time.monotonic()
            response = get(self.port, "/kib.txt")
            self.latencies.append(time.monotonic() - started)
            self.assertEqual((200, KIB), (response.status, response.body))

    def start_big(self, name):
        """Request the big file and read its head and first block."""
        sock = connect(self.port)
        sock.sendall(
            f"GET /{name} HTTP/1.1\r\nHost: x\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        first = sock.recv(65536)
        self.assertTrue(first.startswith(b"HTTP/1.1 200 "), first[:100])
        return sock, first


class FileFaultTest(StaticCase):
    def tearDown(self):
        wait_idle(self.server)
        self.assertTrue(all_workers_alive(self.server))

    def test_file_faults(self):
        outcomes = {}
        reports = {}
        for name, fault in [
            ("removed while served", self.removed),
            ("truncated while served", self.truncated),
            ("FIFO", self.fifo),
            ("unreadable (mode 000)", self.unreadable),
        ]:
            for _ in range(ROUNDS):
                with captured() as (stderr, records):
                    outcome = fault()
                    wait_idle(self.server)
                if fault == self.truncated:
                    # The server reports the short file once, in one line.
                    self.assertEqual(1, len(records), name)
                    text = stderr.getvalue()
                    self.assertNotIn("Traceback", text)
                    self.assertIn("The file ended after", text)
                    self.assertEqual(1, text.count("\n"), text)
                else:
                    self.assertNotIn("Traceback", stderr.getvalue(), name)
                    self.assertFalse([r for r in records if r.exc_info])
                self.others_are_served(2)
            outcomes[name] = outcome
            reports[name] = f"{len(records)} log record(s)"
        figures(
            "static faults of files",
            rounds_each=ROUNDS,
            outcomes=", ".join(f"{k}: {v}" for k, v in outcomes.items()),
            reports_last_round=", ".join(
                f"{k}: {v}" for k, v in reports.items()
            ),
            tracebacks="none (a truncated file: one line, the file ended"
            " after N of M bytes)",
            others_served=f"{len(self.latencies)}, all 200",
        )

    def removed(self):
        path = self.write_big("removed.bin")
        sock, first = self.start_big("removed.bin")
        os.unlink(path)
        with sock:
            data = first + read_all(sock)
        (response,) = parse(data)  # the open file is served to its end
        self.assertEqual((200, BIG), (response.status, len(response.body)))
        self.assertEqual(404, get(self.port, "/removed.bin").status)
        return "complete 200 (the open file), then 404"

    def truncated(self):
        path = self.write_big("truncated.bin")
        sock, first = self.start_big("truncated.bin")
        os.truncate(path, 1024 * 1024)
        with sock:
            data = first + read_all(sock)
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertIn(f"Content-Length: {BIG}".encode(), head)
        self.assertLess(len(body), BIG)
        with self.assertRaises(AssertionError):
            parse(data)  # cut short: the client can tell
        self.assertEqual(
            1024 * 1024, len(get(self.port, "/truncated.bin").body)
        )
        return "head 200, body cut short, connection closed"

    def fifo(self):
        path = os.path.join(self.root, "fifo")
        if not os.path.exists(path):
            os.mkfifo(path)
        started = time.monotonic()
        status = get(self.port, "/fifo").status
        self.assertEqual(404, status)
        # A blocking open would hang until the client gives up (10 s).
        # Measured with three CPU-bound processes beside the suite: at
        # most 4 ms (issue 15).
        seconds = time.monotonic() - started
        self.assertLess(seconds, 1.0, f"the 404 took {seconds:.3f} s")
        return "404 at once (never opened for a blocking read)"

    def unreadable(self):
        path = self.write("secret.txt", b"secret")
        os.chmod(path, 0)
        response = get(self.port, "/secret.txt")
        if os.geteuid() == 0:  # root reads every file
            self.assertEqual(
                (200, b"secret"), (response.status, response.body)
            )
            return "200 (running as root, which may read it)"
        self.assertEqual(403, response.status)
        return "403"


class SlowClientTest(StaticCase):
    def tearDown(self):
        wait_idle(self.server)
        self.assertTrue(all_workers_alive(self.server))
        figures(
            f"static slow clients, {self.id().split('.')[-1]}",
            **self.figures,
            others_served=len(self.latencies),
            others_latency=percentiles(self.latencies),
            output="none",
        )

    def test_stalled_reader_of_a_large_file(self):
        self.write_big("big.bin")
        with captured() as (stderr, records):
            sock, first = self.start_big("big.bin")
            time.sleep(0.2)  # the server fills the socket buffers
            self.others_are_served()
            sock.close()  # the server's send fails; it goes on
            wait_idle(self.server)
            self.others_are_served(5)
        self.assertEqual(("", []), (stderr.getvalue(), records))
        self.figures = dict(stalled_after=f"{len(first)} of {BIG} bytes")

    def test_slowloris(self):
        head = (
            b"GET /kib.txt HTTP/1.1\r\nHost: x\r\nX-Pad: "
            + b"p" * 100
            + b"\r\nConnection: close\r\n\r\n"
        )
        results = []

        def trickle():
            with connect(self.port) as sock:
                for byte in head:
                    sock.send(bytes([byte]))
                    time.sleep(TRICKLE)
                (response,) = parse(read_all(sock))
                results.append((response.status, response.body == KIB))

        with captured() as (stderr, records):
            threads = [
                threading.Thread(target=trickle) for _ in range(SLOW_CLIENTS)
            ]
            for thread in threads:
                thread.start()
            self.others_are_served()
            for thread in threads:
                thread.join(30)
        self.assertEqual(("", []), (stderr.getvalue(), records))
        self.assertEqual([(200, True)] * SLOW_CLIENTS, results)
        self.figures = dict(
            slow_clients=SLOW_CLIENTS,
            bytes_each=f"{len(head)}, one every {TRICKLE * 1000:.0f} ms",
        )


class LoadTest(StaticCase):
    def test_1_kib_file(self):
        checked_load(
            "load: static 1 KiB file",
            self.port, CONNECTIONS, SECONDS, "/kib.txt", KIB,
        )  # fmt: skip
