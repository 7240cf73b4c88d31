"""Before and after in one process: the engine's CPU per request.

    python benchmarks/inproc.py --before REV [--after REV] [--rounds N]
                                [--loads small,browser,close,static,...]

``ab.py`` pairs two server processes, whose spread (a few percent between
two processes of the same code) hides a difference of a few percent in
the Python work of a request. This pairs the two engines in one process:
REV's ``gocept/httpserverlayer`` and the working tree's (or ``--after``'s)
are copied, each under a package name of its own (every import in the
package is absolute, so renaming that prefix in the copies is enough), and
imported side by side, each with a ``wsgi.Layer``, a ``static.Layer`` and
a ``custom.Layer`` set up. A round serves a load once on each side, each
side first in half of the rounds:

- ``small``, ``browser``: 200 pipelined keep-alive requests (wrk's, with
  one header; a browser's, with a dozen) over a socketpair, served by the
  server's ``_serve_connection`` on this thread until the input ends;
- ``close``: 100 connections with one ``Connection: close`` request each;
- ``static``: ``small`` for a 4 KiB file of ``static.Layer``;
- ``custom``, ``custom-close``: ``small`` and ``close`` for
  ``custom.Layer`` with a plain ``http.server`` handler, as 4.x users
  pass one (``subjects.HelloHandler``, which writes its head and body
  unbuffered).

``static`` and ``custom`` send 20 requests per connection: nobody reads
the answers while the server writes them, and more would fill the
socket's buffer.

The figure of a round is this thread's CPU time per request on each side
(the engine's own work, system calls included; no accept loop, no hand-off
to a worker, no thread wake-ups: those are ``ab.py``'s), and their ratio.
A line shows both medians and the median ratio with its quartiles; above 1,
the after side takes less CPU.
"""

import os
import random
import shutil
import socket
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ab import SIDES  # noqa: E402
from ab import arguments  # noqa: E402
from ab import balanced_orders  # noqa: E402
from ab import parse  # noqa: E402
from ab import sources  # noqa: E402
from subjects import HelloHandler  # noqa: E402

PACKAGE = "gocept.httpserverlayer"
SMALL = b"GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n"
BROWSER = (
    b"GET /some/page?x=1 HTTP/1.1\r\nHost: localhost:8080\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101"
    b" Firefox/128.0\r\n"
    b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;"
    b"q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n"
    b"Accept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\n"
    b"Upgrade-Insecure-Requests: 1\r\nSec-Fetch-Dest: document\r\n"
    b"Sec-Fetch-Mode: navigate\r\nSec-Fetch-Site: none\r\n"
    b"Priority: u=0, i\r\n\r\n"
)
CLOSE = b"GET / HTTP/1.1\r\nHost: localhost:8080\r\nConnection: close\r\n\r\n"
#: name: (layer, request, requests per round, requests per connection)
LOADS = {
    "small": ("wsgi", SMALL, 200, 200),
    "browser": ("wsgi", BROWSER, 200, 200),
    "close": ("wsgi", CLOSE, 100, 1),
    "static": ("static", SMALL, 200, 20),
    "custom": ("custom", SMALL, 200, 20),
    "custom-close": ("custom", CLOSE, 100, 1),
}
BODY = b"Hello, World!"
#: What each answer starts with.
OK = b"HTTP/1.1 200 OK\r\n"


def app(environ, start_response):
    start_response(
        "200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")]
    )
    return [BODY]


def renamed_copy(src, dest, name):
    """Copy the package under ``src`` to ``dest/name``, its imports of
    itself renamed; return the module name."""
    target = os.path.join(dest, name)
    shutil.copytree(
        os.path.join(src, *PACKAGE.split(".")),
        target,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for folder, _, files in os.walk(target):
        for file in files:
            if file.endswith(".py"):
                path = os.path.join(folder, file)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text.replace(PACKAGE, name))
    return name


class Engine:
    """One side's layer of one kind (``wsgi``, ``static``, ``custom``), set
    up, whose server serves socketpairs."""

    def __init__(self, module, kind):
        try:  # since the re-cut of issue 13
            connection = __import__(
                f"{module}._connection", fromlist=["Connection"]
            )
        except ImportError:
            connection = __import__(
                f"{module}._server", fromlist=["Connection"]
            )
        self.connection_class = connection.Connection
        layers = __import__(f"{module}.{kind}", fromlist=["Layer"])
        name = f"Inproc{kind}{module}"
        if kind == "custom":
            self.layer = layers.Layer(HelloHandler, name=name)
        else:
            self.layer = layers.Layer(name=name)
        if kind == "wsgi":
            self.layer.wsgi_app = app
        self.layer.setUp()
        self.layer.testSetUp()
        if kind == "static":
            root = self.layer["documentroot"]
            with open(os.path.join(root, "index.html"), "wb") as f:
                f.write(os.urandom(4096))
        self.server = self.layer["httpd"]

    def serve(self, sock):
        connection = self.connection_class(sock, ("127.0.0.1", 1))
        with self.server._lock:  # as the accept loop does
            self.server._connections.add(connection)
        try:
            self.server._serve_connection(connection)
        finally:
            with self.server._lock:
                self.server._connections.discard(connection)

    def round(self, load):
        """Serve ``load`` once; CPU seconds per request."""
        _, request, count, per_connection = LOADS[load]
        pairs = [socket.socketpair() for _ in range(count // per_connection)]
        for _, client in pairs:
            client.sendall(request * per_connection)
            client.shutdown(socket.SHUT_WR)
        started = time.thread_time()
        for ours, _ in pairs:
            self.serve(ours)
        used = time.thread_time() - started
        answers = b"".join(_read_all(client) for _, client in pairs)
        if answers.count(OK) != count:
            sys.exit(f"inproc.py: wrong answers: {answers[:200]!r}")
        self.server.records.clear()
        return used / count

    def stop(self):
        self.layer.testTearDown()
        self.layer.tearDown()


def _read_all(sock):
    data = []
    while chunk := sock.recv(1 << 20):
        data.append(chunk)
    sock.close()
    return b"".join(data)


def main(argv=None):
    a = parse(arguments(__doc__, LOADS, rounds=200), argv, LOADS)
    rnd = random.Random(a.seed)
    with tempfile.TemporaryDirectory(prefix="inproc-") as tmp:
        srcs = sources(a, tmp)
        packages = os.path.join(tmp, "packages")
        sys.path.insert(0, packages)
        modules = {
            side: renamed_copy(srcs[side], packages, f"{side}_hsl")
            for side in SIDES
        }
        engines = {
            (side, kind): Engine(modules[side], kind)
            for side in SIDES
            for kind in sorted({LOADS[load][0] for load in a.loads})
        }
        print(
            f"before: {a.before}, after: {a.after or 'the working tree'};"
            f" {a.rounds} rounds in one process (Python"
            f" {sys.version.split()[0]}); load average"
            f" {os.getloadavg()[0]:.2f}"
        )
        print(
            f"{'load':9} {'before':>9} {'after':>9}  before/after CPU"
            " (quartiles; >1: after takes less)"
        )
        try:
            for load in a.loads:
                kind = LOADS[load][0]
                for side in SIDES:  # warm-up
                    engines[side, kind].round(load)
                got = {side: [] for side in SIDES}
                ratios = []
                for order in balanced_orders(a.rounds, rnd):
                    now = {
                        side: engines[side, kind].round(load) for side in order
                    }
                    for side in SIDES:
                        got[side].append(now[side])
                    ratios.append(now["before"] / now["after"])
                low, _, high = statistics.quantiles(ratios, n=4)
                print(
                    f"{load:9}"
                    + "".join(
                        f" {statistics.median(got[s]) * 1e6:7.2f}us"
                        for s in SIDES
                    )
                    + f"  {statistics.median(ratios):.3f}"
                    f" ({low:.3f}-{high:.3f})",
                    flush=True,
                )
        finally:
            for engine in engines.values():
                engine.stop()


if __name__ == "__main__":
    main()
