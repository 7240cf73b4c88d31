"""What only a whole pytest session shows: one server per session, an
application per test, the servers stopped at the end, the error without
an http_app. Each test runs a session of its own with pytester."""

import textwrap

import pytest

# Runs pytest sessions of its own: once, not again under -n (tox.ini).
pytestmark = pytest.mark.whole_session


def test_one_server_for_the_session_an_app_per_test(pytester):
    pytester.makepyfile(
        textwrap.dedent(
            """
            import http.client
            import pytest

            seen = []

            def app_for(text):
                def app(environ, start_response):
                    start_response("200 OK", [("Content-Length", "1")])
                    return [text]
                return app

            @pytest.fixture(params=[b"a", b"b"])
            def http_app(request):
                return app_for(request.param)

            def test_served(http_server, http_app):
                seen.append(http_server.layer)
                c = http.client.HTTPConnection(
                    http_server.host, http_server.port, timeout=5)
                c.request("GET", "/")
                body = c.getresponse().read()
                c.close()
                assert body == http_app([], lambda *a: None)[0]
                assert len(http_server.requests) == 1

            def test_same_layer():
                assert len(seen) == 2 and seen[0] is seen[1]
                assert seen[0]["http_port"]
            """
        )
    )
    # pytest-playwright cannot run a session inside its own (soft asserts).
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-p", "no:playwright"
    )
    result.assert_outcomes(passed=3)


def test_servers_stop_at_session_end(pytester):
    pytester.makeconftest(
        textwrap.dedent(
            """
            import socket
            ports = []

            def pytest_unconfigure(config):
                for port in ports:
                    try:
                        socket.create_connection(("localhost", port), 2)
                    except OSError:
                        continue
                    raise AssertionError(f"port {port} still served")
                print("SERVERS STOPPED", len(ports))
            """
        )
    )
    pytester.makepyfile(
        textwrap.dedent(
            """
            from conftest import ports

            def test_static(static_server):
                ports.append(static_server.port)

            def test_factory(http_server_factory):
                ports.append(http_server_factory(
                    wsgi=lambda e, s: []).port)
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["SERVERS STOPPED 2"])


def test_http_server_without_http_app_says_what_to_do(pytester):
    pytester.makepyfile(
        """
        def test_it(http_server):
            pass
        """
    )
    # pytest-playwright cannot run a session inside its own (soft asserts).
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-p", "no:playwright"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*define a fixture named http_app*"])


def test_plugin_is_registered_by_entry_point(pytester):
    pytester.makepyfile("def test_it(): pass")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--fixtures"
    )
    result.stdout.fnmatch_lines(
        [
            "*http_server_factory* [[]session scope[]]*",
            "*http_server*",
            "*static_server*",
        ]
    )
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-p",
        "no:gocept.httpserverlayer",
        "--fixtures",
    )
    result.stdout.no_fnmatch_line("*static_server*")


def test_layer_torn_down_at_session_end_under_zope_pytestlayer(pytester):
    pytester.makeconftest(
        textwrap.dedent(
            """
            import socket
            from gocept.httpserverlayer import wsgi

            events = []

            class Layer(wsgi.Layer):
                def setUp(self):
                    events.append("setUp")
                    super().setUp()

                def tearDown(self):
                    self.port_was = self["http_port"]
                    super().tearDown()
                    events.append("tearDown")

            LAYER = Layer(wsgi_app=lambda e, s: [], name="LAYER")

            def pytest_unconfigure(config):
                assert events == ["setUp", "tearDown"], events
                try:
                    socket.create_connection(("localhost", LAYER.port_was), 2)
                except OSError:
                    print("LAYER TORN DOWN")
                assert "http_port" not in LAYER._resources
            """
        )
    )
    pytester.makepyfile(
        textwrap.dedent(
            """
            import unittest
            from conftest import LAYER

            class Tests(unittest.TestCase):
                layer = LAYER

                def test_one(self):
                    assert self.layer["http_port"]

                def test_two(self):
                    assert self.layer["http_port"]
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["LAYER TORN DOWN"])
    assert result.ret == 0
