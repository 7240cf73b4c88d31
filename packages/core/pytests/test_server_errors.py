"""An exception in the application fails the test under pytest too, when
asked to: for the plugin's servers and for layers under zope.pytestlayer.
Each test runs a pytest session of its own."""

import textwrap

import pytest

# Runs pytest sessions of its own: once, not again under -n (tox.ini).
pytestmark = pytest.mark.whole_session

APP = textwrap.dedent(
    """
    import urllib.error
    import urllib.request
    import pytest

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/boom":
            raise RuntimeError("boom in the app")
        start_response("200 OK", [])
        return [b"ok"]

    def get(server, path):
        try:
            urllib.request.urlopen(server.url + path).close()
        except urllib.error.HTTPError as e:
            return e.code
        return 200
    """
)


@pytest.fixture
def run(pytester, monkeypatch):
    monkeypatch.delenv("GOCEPT_HTTP_FAIL_ON_SERVER_ERRORS", raising=False)

    def run(module, *args):
        pytester.makepyfile(test_errors_module=APP + textwrap.dedent(module))
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)

    return run


FIXTURE_TESTS = """
    @pytest.fixture(scope="session")
    def http_live_app():
        return app

    def test_error(http_live_server):
        assert get(http_live_server, "/boom") == 500

    def test_fine(http_live_server):
        assert get(http_live_server, "/fine") == 200
"""


def test_fixture_server_error_fails_the_test_when_asked(run):
    result = run(FIXTURE_TESTS, "--http-fail-on-server-errors")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*The HTTP server caught 1 exception(s) during this test"
            " (fail_on_server_errors is on):",
            "*While serving GET /boom from *",
            "*RuntimeError: boom in the app",
            "FAILED test_errors_module.py::test_error - AssertionError: *",
        ]
    )


def test_fixture_server_error_only_reported_by_default(run):
    result = run(FIXTURE_TESTS, "-rP")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*RuntimeError: boom in the app"])


def test_factory_keyword_and_check_errors(run):
    result = run(
        """
        def test_keyword(http_server_factory):
            server = http_server_factory(wsgi=app, fail_on_server_errors=True)
            get(server, "/boom")

        def test_check_errors(http_server_factory):
            server = http_server_factory(wsgi=app)
            get(server, "/boom")
            assert [e.request.split()[:2] for e in server.errors] == [
                ["GET", "/boom"]]
            with pytest.raises(AssertionError) as caught:
                server.check_errors()
            assert "RuntimeError: boom in the app" in str(caught.value)
            server.check_errors()  # reported once only

        def test_checked_errors_are_not_failed_again(http_server_factory):
            server = http_server_factory(wsgi=app, fail_on_server_errors=True)
            get(server, "/boom")
            with pytest.raises(AssertionError):
                server.check_errors()
        """
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["FAILED *::test_keyword - AssertionError*"])


def test_error_after_the_test_fails_its_teardown(run):
    result = run(
        """
        @pytest.fixture
        def late_request(http_live_server):
            yield
            get(http_live_server, "/boom")

        @pytest.fixture(scope="session")
        def http_live_app():
            return app

        def test_late(late_request):
            pass
        """,
        "--http-fail-on-server-errors=on",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_late*",
            "*While serving GET /boom from *",
        ]
    )


LAYER_TESTS = """
    import unittest
    import plone.testing
    from gocept.httpserverlayer import wsgi

    class Failing(wsgi.Layer):
        fail_on_server_errors = True

    LAYER = Failing(wsgi_app=app, name="FAILING")
    COMBINED = plone.testing.Layer(bases=(LAYER,), name="COMBINED")

    class Server:
        def __init__(self, layer):
            self.url = layer["http_url"]

    class LayerTest(unittest.TestCase):
        layer = COMBINED

        def test_error(self):
            self.assertEqual(500, get(Server(self.layer), "/boom"))

        def test_fine(self):
            self.assertEqual(200, get(Server(self.layer), "/fine"))
"""


def test_layer_server_error_fails_the_test_under_zope_pytestlayer(run):
    result = run(LAYER_TESTS)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*(fail_on_server_errors is on):",
            "*RuntimeError: boom in the app",
            "FAILED *LayerTest::test_error - AssertionError*",
        ]
    )
    result.stderr.no_fnmatch_line("*cannot fail the test*")


def test_layer_without_zope_pytestlayer_says_what_to_do(run):
    result = run(LAYER_TESTS, "-p", "no:zopelayer")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*test_errors_module.py::LayerTest::test_error runs in layer"
            " test_errors_module.COMBINED, which pytest does not set up"
            " without zope.pytestlayer: install zope.pytestlayer (pip"
            " install zope.pytestlayer), or run these tests with"
            " zope.testrunner.",
        ]
    )
