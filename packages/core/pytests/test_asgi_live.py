"""An ASGI application through the pytest fixtures: ``http_live_app`` may
return one (``http_live_server`` then serves it with ``asgi.Layer``),
pytest-playwright's ``page`` included; ``http_server`` refuses one with
the route to take. Each test runs a session of its own with pytester."""

import textwrap

import pytest

from gocept.httpserverlayer._fixtures import is_asgi

pytest.importorskip("wsproto", reason="needs the asgi extra")

# Runs pytest sessions of its own: once, not again under -n (tox.ini).
pytestmark = pytest.mark.whole_session

# The page opens a websocket to the app, sends "hi", and shows the answer
# as its title; it also posts JSON to an API.
ASGI_CONFTEST = '''
import pytest
from gocept.httpserverlayer.browser import playwright_launch_args

PAGE = b"""<!DOCTYPE html><html><head><title>Page</title>
<link rel="icon" href="data:,"></head><body><script>
  const ws = new WebSocket(location.origin.replace("http", "ws") + "/ws");
  ws.onopen = () => ws.send("hi");
  fetch("/api/hello", {method: "POST", body: JSON.stringify({n: 1})});
  ws.onmessage = (event) => { document.title = event.data; ws.close(); };
</script></body></html>"""


class App:
    """Starlette-style: an object with an async __call__."""

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    STARTED.append(True)
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.accept"})
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = "echo " + message["text"]
                await send({"type": "websocket.send", "text": text})
        body = PAGE if scope["path"] == "/page" else b"asgi " + scope[
            "path"].encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": body})


STARTED = []


@pytest.fixture(scope="session")
def http_live_app():
    return App()


@pytest.fixture(scope="session")
def base_url(http_live_server):
    return http_live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, http_live_server):
    spki_hash = http_live_server.ca_spki_hash
    return {**browser_type_launch_args, **playwright_launch_args(spki_hash)}
'''


def test_live_server_serves_an_asgi_app_to_pytest_playwright(pytester):
    pytester.makeconftest(ASGI_CONFTEST)
    pytester.makepyfile(
        textwrap.dedent(
            """
            import urllib.request
            import gocept.httpserverlayer.asgi
            from conftest import STARTED

            def test_page_talks_over_a_websocket(page, http_live_server):
                assert isinstance(
                    http_live_server.layer, gocept.httpserverlayer.asgi.Layer)
                assert STARTED == [True]  # lifespan startup ran
                page.goto("/page")
                page.wait_for_function("document.title == 'echo hi'")
                http_live_server.requests.wait("GET", "/ws", timeout=10)
                found = http_live_server.requests.wait(
                    "POST", "/api/hello", timeout=10)
                assert found.json() == {"n": 1}

            def test_next_test_has_its_own_record(http_live_server):
                assert len(http_live_server.requests) == 0
                url = http_live_server.url + "/x"
                with urllib.request.urlopen(url, timeout=10) as response:
                    assert response.read() == b"asgi /x"
                http_live_server.requests.assert_requested("GET", "/x", 200)
            """
        )
    )
    # In a process of its own: pytest-playwright cannot run a session
    # inside the one that runs this test.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_http_server_refuses_an_asgi_app_naming_the_routes(pytester):
    pytester.makepyfile(
        textwrap.dedent(
            """
            import pytest

            async def app(scope, receive, send):
                pass

            @pytest.fixture
            def http_app():
                return app

            def test_served(http_server):
                pass
            """
        )
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-p", "no:playwright"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*http_app is <function app at *>, an ASGI application, but"
            " http_server serves the WSGI application of each test: serve it"
            " with http_live_server (a session-scoped http_live_app), or start"
            " a server of your own with http_server_factory(asgi=...).*"
        ]
    )


async def coroutine_function(scope, receive, send):
    pass


class AsyncCall:
    async def __call__(self, scope, receive, send):
        pass


class WsgiCall:
    def __call__(self, environ, start_response):
        return []


def wsgi_function(environ, start_response):
    return []


def wsgi_with_an_optional_third(environ, start_response, extra=None):
    return []


def asgi_returning_a_coroutine(scope, receive, send):
    return coroutine_function(scope, receive, send)


@pytest.mark.parametrize(
    "app, expected",
    [
        (coroutine_function, True),
        (AsyncCall(), True),
        (asgi_returning_a_coroutine, True),
        (wsgi_function, False),
        (WsgiCall(), False),
        (wsgi_with_an_optional_third, False),
        (print, False),  # no signature to read
        (object(), False),  # not callable
    ],
)
def test_is_asgi(app, expected):
    assert is_asgi(app) is expected
