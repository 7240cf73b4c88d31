"""HTTP_SERVER beside plone.testing.zope's WSGI_SERVER, on the same Zope.

Usage: python packages/plonetesting/tests/measure.py  (in the env of the
`plonetesting` tox env). Prints, for each server layer: setUp + first
request + tearDown (median), tearDown while a client holds an idle
keep-alive connection, whether a connection survives from one test into
the next, and requests/s of a small Zope page over one keep-alive
connection. docs/plonetesting.rst quotes the figures.
"""

import http.client
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import plone.testing.zca  # noqa: E402
import plone.testing.zope  # noqa: E402
import transaction  # noqa: E402
from fixture import ZOPE_FIXTURE  # noqa: E402

from gocept.httpserverlayer.plonetesting import HTTP_SERVER  # noqa: E402
from gocept.httpserverlayer.plonetesting import ZOPE_FUNCTIONAL  # noqa: E402

CYCLES = 30
REQUESTS = 500


def address(layer):
    if "http_host" in layer:
        return layer["http_host"], layer["http_port"]
    return layer["host"], layer["port"]


def reset(server):
    # WSGIServer.setUp writes the port it got into the layer's ``port``
    # attribute: the next setUp would bind that same port again.
    for name in ("host", "port"):
        server.__dict__.pop(name, None)


def get(connection, path="/hello"):
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response


def lifecycle(server):
    samples = []
    for _ in range(CYCLES):
        start = time.perf_counter()
        server.setUp()
        connection = http.client.HTTPConnection(*address(server))
        assert get(connection).status == 200
        connection.close()
        server.tearDown()
        reset(server)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def teardown_with_idle_client(server):
    server.setUp()
    connection = http.client.HTTPConnection(*address(server))
    get(connection)
    start = time.perf_counter()
    server.tearDown()
    elapsed = time.perf_counter() - start
    connection.close()
    reset(server)
    return elapsed * 1000


def connection_across_tests(server, functional):
    """Does a keep-alive connection of one test still serve the next?"""
    server.setUp()
    try:
        functional.testSetUp()
        server.testSetUp()
        connection = http.client.HTTPConnection(*address(server))
        get(connection)
        server.testTearDown()
        functional.testTearDown()
        time.sleep(0.1)
        functional.testSetUp()
        server.testSetUp()
        try:
            get(connection)
            survived = "served the next test"
        except (http.client.HTTPException, OSError):
            survived = "closed at testTearDown"
        server.testTearDown()
        functional.testTearDown()
        connection.close()
        return survived
    finally:
        server.tearDown()
        reset(server)


def throughput(server, functional):
    server.setUp()
    functional.testSetUp()
    server.testSetUp()
    try:
        connection = http.client.HTTPConnection(*address(server))
        connection.connect()
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        get(connection)
        start = time.perf_counter()
        for _ in range(REQUESTS):
            get(connection)
        elapsed = time.perf_counter() - start
        connection.close()
        return REQUESTS / elapsed
    finally:
        server.testTearDown()
        functional.testTearDown()
        server.tearDown()
        reset(server)


def main():
    plone.testing.zca.LAYER_CLEANUP.setUp()
    plone.testing.zope.STARTUP.setUp()
    ZOPE_FIXTURE.setUp()
    transaction.commit()
    wsgi_server = plone.testing.zope.WSGI_SERVER_FIXTURE
    functional = plone.testing.zope.FUNCTIONAL_TESTING
    ours = (HTTP_SERVER, ZOPE_FUNCTIONAL)
    theirs = (wsgi_server, functional)
    try:
        print(f"{'':42} {'HTTP_SERVER':>22} {'WSGI_SERVER':>22}")
        rows = [
            ("setUp + request + tearDown, median (ms)", lifecycle, "{:.1f}"),
            (
                "tearDown, idle keep-alive client (ms)",
                teardown_with_idle_client,
                "{:.1f}",
            ),
        ]
        for label, measure, form in rows:
            a = form.format(measure(ours[0]))
            b = form.format(measure(theirs[0]))
            print(f"{label:42} {a:>22} {b:>22}")
        a = connection_across_tests(*ours)
        b = connection_across_tests(*theirs)
        print(f"{'keep-alive connection after a test':42} {a:>22} {b:>22}")
        a = f"{throughput(*ours):.0f}"
        b = f"{throughput(*theirs):.0f}"
        print(f"{'Zope view, keep-alive (requests/s)':42} {a:>22} {b:>22}")
    finally:
        ZOPE_FIXTURE.tearDown()
        plone.testing.zope.STARTUP.tearDown()
        plone.testing.zca.LAYER_CLEANUP.tearDown()


if __name__ == "__main__":
    main()
