"""pytest fixtures for the servers of gocept.httpserverlayer, without layers.

Registered through the ``pytest11`` entry point ``gocept.httpserverlayer``:
installing the distribution is enough (``-p no:gocept.httpserverlayer``
turns it off). The servers are the layers' own: a fixture starts a layer
(``setUp``) once per session, the plugin's hooks run its ``testSetUp``
before and its ``testTearDown`` after every test, and ``tearDown`` runs at
the end of the session, so a server behaves exactly as under zope.testrunner.

Fixtures:

``http_server_factory`` (session)
    A callable: ``http_server_factory(wsgi=app)``,
    ``http_server_factory(directory=path)`` (or ``directory=TEMPORARY``) or
    ``http_server_factory(handler=HandlerClass)`` or
    ``http_server_factory(asgi=app)`` (an ASGI 3 application, websockets
    included; needs the ``asgi`` extra) starts a server and
    returns its :class:`Server`; ``https=``, ``host=``, ``bind_host=`` and
    ``fail_on_server_errors=`` override the settings. Every server it
    started is reset around every test and stops at the end of the session.
``http_live_app`` (session)
    The application ``http_live_server`` serves, WSGI or ASGI 3; override
    it.
``http_live_server`` (session)
    One server for the session, serving ``http_live_app``: the one to
    name in pytest-playwright's and pytest-base-url's ``base_url``.
``http_app`` (function)
    The WSGI application ``http_server`` serves; override it.
``http_server`` (function)
    One session-wide WSGI server, serving the ``http_app`` of the current
    test.
``static_server`` (function)
    One session-wide server over a temporary directory, emptied before
    every test.

Settings: the command-line options ``--http-host``, ``--http-bind-host``,
``--http-port``, ``--http-https`` and ``--http-fail-on-server-errors`` and
the ini settings ``http_host``, ``http_bind_host``, ``http_port``,
``http_https`` and ``http_fail_on_server_errors`` set the environment
variables the layers read (``GOCEPT_HTTP_APP_HOST``, ...), for the servers
of the fixtures and for layers run by zope.pytestlayer alike. A keyword of
the factory (or a layer's attribute) wins over the option, the option over
the environment variable, the variable over the ini setting.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator
from collections.abc import Iterator
from typing import Any

import pytest

from gocept.httpserverlayer import _report
from gocept.httpserverlayer._fixtures import TEMPORARY
from gocept.httpserverlayer._fixtures import Server
from gocept.httpserverlayer._fixtures import ServerFactory
from gocept.httpserverlayer._fixtures import is_asgi
from gocept.httpserverlayer._records import describe_errors

__all__ = ["TEMPORARY", "Server", "ServerFactory"]

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")

# (option, ini name, environment variable, what it is, kind)
_SETTINGS = (
    ("--http-host", "http_host", "GOCEPT_HTTP_APP_HOST", "host", "text"),
    (
        "--http-bind-host",
        "http_bind_host",
        "GOCEPT_HTTP_BIND_HOST",
        "bind host",
        "text",
    ),
    ("--http-port", "http_port", "GOCEPT_HTTP_APP_PORT", "port", "port"),
    ("--http-https", "http_https", "GOCEPT_HTTP_HTTPS", "https", "switch"),
    (
        "--http-fail-on-server-errors",
        "http_fail_on_server_errors",
        "GOCEPT_HTTP_FAIL_ON_SERVER_ERRORS",
        "fail on server errors",
        "switch",
    ),
)
_HELP = {
    "host": "host name the servers advertise and listen on",
    "bind host": "address the servers listen on, if not the host",
    "port": "fixed port (0: the OS picks a free one)",
    "https": "serve HTTPS (on/off; the option alone means on)",
    "fail on server errors": "fail a test during which a server caught an"
    " exception (on/off; the option alone means on)",
}
_servers = pytest.StashKey[ServerFactory]()
_sources = pytest.StashKey[dict[str, str]]()
_saved_environ = pytest.StashKey[dict[str, str | None]]()
_reported = pytest.StashKey[set[int]]()
_was_failing = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        "gocept.httpserverlayer", "HTTP servers (gocept.httpserverlayer)"
    )
    for option, ini, variable, what, kind in _SETTINGS:
        extra: dict[str, Any] = {}
        if kind == "switch":
            extra = {"nargs": "?", "const": "on"}
        group.addoption(
            option,
            dest=ini,
            default=None,
            metavar="on|off" if kind == "switch" else what.upper(),
            help=f"{_HELP[what]}; overrides {variable} and ini {ini}.",
            **extra,
        )
        parser.addini(
            ini,
            f"{_HELP[what]}, unless {option} or {variable} says otherwise.",
            default="",
        )


def _check(value: str, kind: str, where: str) -> str:
    text = value.strip()
    if kind == "switch" and text.lower() not in _TRUE + _FALSE:
        raise pytest.UsageError(
            f"{where}={value!r} is neither on nor off: use on, off, 1, 0,"
            " true, false, yes or no."
        )
    if kind == "port" and text and (not text.isdigit() or int(text) > 65535):
        raise pytest.UsageError(
            f"{where}={value!r} is not a port number: use a number from 1"
            " to 65535, or 0 to let the OS pick a free port."
        )
    return text


def pytest_configure(config: pytest.Config) -> None:
    """Map the options and ini settings onto the environment variables."""
    saved: dict[str, str | None] = {}
    sources: dict[str, str] = {}
    for option, ini, variable, _what, kind in _SETTINGS:
        given = config.getoption(ini)
        if given is not None:
            value, source = _check(given, kind, option), option
        elif os.environ.get(variable, "").strip():
            sources[variable] = variable
            continue
        elif str(config.getini(ini)).strip():
            value = _check(str(config.getini(ini)), kind, f"ini {ini}")
            source = f"ini {ini}"
        else:
            continue
        saved[variable] = os.environ.get(variable)
        os.environ[variable] = value
        sources[variable] = source
    config.stash[_saved_environ] = saved
    config.stash[_sources] = sources
    config.stash[_was_failing] = _report.pytest_fails_tests
    _report.pytest_fails_tests = True


def pytest_unconfigure(config: pytest.Config) -> None:
    for variable, value in config.stash.get(_saved_environ, {}).items():
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = value
    # A pytest run inside another (pytester) leaves the outer one as it was.
    _report.pytest_fails_tests = config.stash.get(_was_failing, False)


def _switch(variable: str) -> str:
    value = os.environ.get(variable, "").strip().lower()
    return "on" if value in _TRUE else "off"


def pytest_report_header(config: pytest.Config) -> str:
    """Say which server settings are in force, and where they come from."""
    sources = config.stash.get(_sources, {})

    def said(variable: str, text: str) -> str:
        source = sources.get(variable)
        return f"{text} (from {source})" if source else text

    env = os.environ
    host = env.get("GOCEPT_HTTP_APP_HOST", "").strip() or "localhost"
    bind = env.get("GOCEPT_HTTP_BIND_HOST", "").strip() or host
    port = env.get("GOCEPT_HTTP_APP_PORT", "").strip() or "0"
    parts = [
        said("GOCEPT_HTTP_APP_HOST", f"host {host}"),
        said("GOCEPT_HTTP_BIND_HOST", f"bind host {bind}"),
        said(
            "GOCEPT_HTTP_APP_PORT",
            f"port {port}" if port != "0" else "port any",
        ),
        said("GOCEPT_HTTP_HTTPS", f"https {_switch('GOCEPT_HTTP_HTTPS')}"),
        said(
            "GOCEPT_HTTP_FAIL_ON_SERVER_ERRORS",
            "fail on server errors"
            f" {_switch('GOCEPT_HTTP_FAIL_ON_SERVER_ERRORS')}",
        ),
    ]
    return "gocept.httpserverlayer: " + ", ".join(parts)


# Every server the plugin started, reset around every test.


def _running(config: pytest.Config) -> list[Server]:
    factory = config.stash.get(_servers, None)
    return factory.running() if factory is not None else []


def _server_layer_class() -> Any:
    """ServerLayer, if a layer was made at all: the plugin does not import
    the layers (and plone.testing) into every pytest run."""
    module = sys.modules.get("gocept.httpserverlayer._layer")
    return None if module is None else module.ServerLayer


def _layer_servers(item: pytest.Item) -> list[Any]:
    """The set-up server layers of a test run by zope.pytestlayer: its
    class's ``layer``, or layers its fixtures are (pytest-plone's)."""
    server_layer = _server_layer_class()
    if server_layer is None:
        return []
    layers = [getattr(getattr(item, "cls", None), "layer", None)]
    layers += list((getattr(item, "funcargs", None) or {}).values())
    found: list[Any] = []
    for layer in layers:
        for base in getattr(layer, "baseResolutionOrder", None) or ():
            if (
                isinstance(base, server_layer)
                and base not in found
                and base.get("httpd") is not None
            ):
                found.append(base)
    return found


def _fail_on_errors(item: pytest.Item, servers: list[Server]) -> None:
    """Fail the test with the exceptions the servers caught during it that
    no check reported yet, where failing on them is on."""
    errors = []
    for server in servers:
        if server.layer._fails_on_server_errors():
            new = [e for e in server.errors if id(e) not in server._reported]
            server._reported.update(id(e) for e in new)
            errors += new
    reported = item.stash.setdefault(_reported, set())
    for layer in _layer_servers(item):
        if layer._fails_on_server_errors():
            new = [e for e in layer["http_errors"] if id(e) not in reported]
            reported.update(id(e) for e in new)
            errors += new
    if errors:
        raise AssertionError(
            describe_errors(errors, " (fail_on_server_errors is on)")
        )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    layer = getattr(getattr(item, "cls", None), "layer", None)
    if (
        layer is not None
        and _layer_servers_of(layer)
        and not item.config.pluginmanager.has_plugin("zopelayer")
    ):
        pytest.fail(
            f"{item.nodeid} runs in layer {layer.__module__}."
            f"{layer.__name__}, which pytest does not set up without"
            " zope.pytestlayer: install zope.pytestlayer (pip install"
            " zope.pytestlayer), or run these tests with zope.testrunner.",
            pytrace=False,
        )
    # Servers a fixture of this test starts are new, so already reset.
    for server in _running(item.config):
        server.begin_test()


def _layer_servers_of(layer: Any) -> list[Any]:
    server_layer = _server_layer_class()
    if server_layer is None:
        return []
    order = getattr(layer, "baseResolutionOrder", ())
    return [base for base in order if isinstance(base, server_layer)]


def _browsers(item: pytest.Item) -> dict[str, Any]:
    """The Selenium WebDrivers and Playwright pages among the fixtures of
    the test, by fixture name."""
    funcargs = getattr(item, "funcargs", None) or {}
    if not funcargs:
        return {}
    from gocept.httpserverlayer import browser

    found: dict[str, Any] = {}
    for name, value in funcargs.items():
        # A fixture may hand on another's browser (a logged-in page).
        if browser.is_browser(value) and all(
            value is not v for v in found.values()
        ):
            found[name] = value
    return found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    for target in _browsers(item).values():
        if not hasattr(target, "get_log"):  # a Playwright page
            from gocept.httpserverlayer import browser

            browser.collect_console(target)
    result = yield
    _fail_on_errors(item, _running(item.config))
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Save a screenshot, the HTML and the console log of every browser of
    a test that failed, while it still shows the page."""
    report = yield
    if report.when == "call" and report.failed:
        from gocept.httpserverlayer import browser

        targets = _browsers(item)
        for name, target in targets.items():
            stem = (
                item.nodeid if len(targets) == 1 else f"{item.nodeid}-{name}"
            )
            try:
                paths = browser.save_artifacts(target, stem)
            except Exception as error:
                text = f"could not save them: {error!r}"
            else:
                text = "\n".join(str(path) for path in paths)
            report.sections.append((f"browser artifacts ({name})", text))
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Iterator[None]:
    # After the test's fixtures are torn down (a page closed, its late
    # requests cancelled): let running requests finish, hold new ones
    # until the next test, close idle connections.
    # The last test's teardown stops the servers: check them all the same.
    servers = _running(item.config)
    try:
        result = yield
    finally:
        for server in servers:
            if server.running:
                server.end_test()
    _fail_on_errors(item, servers)
    return result


@pytest.fixture(scope="session")
def http_server_factory(
    request: pytest.FixtureRequest,
) -> Iterator[ServerFactory]:
    """Start servers that live for the session:
    ``http_server_factory(wsgi=app)``, ``(directory=path)``,
    ``(handler=cls)``; the plugin resets each around every test."""
    factory = ServerFactory()
    request.config.stash[_servers] = factory
    try:
        yield factory
    finally:
        del request.config.stash[_servers]
        factory.stop_all()


@pytest.fixture(scope="session")
def http_live_app() -> Any:
    """The application that ``http_live_server`` serves, WSGI or ASGI 3:
    override it with a session-scoped fixture."""
    raise pytest.UsageError(
        "The http_live_server fixture serves the WSGI or ASGI application of"
        " the"
        " http_live_app fixture: define a session-scoped fixture named"
        " http_live_app (in a conftest.py) that returns your application,"
        ' as in @pytest.fixture(scope="session") def http_live_app():'
        " return app."
    )


@pytest.fixture(scope="session")
def http_live_server(
    http_server_factory: ServerFactory, http_live_app: Any
) -> Server:
    """A server for the whole session, serving ``http_live_app``: an
    ``asgi.Layer`` (websockets included, the ``asgi`` extra) for an ASGI 3
    application (see :func:`~._fixtures.is_asgi`), a ``wsgi.Layer`` else.

    Session-scoped, so pytest-playwright's and pytest-base-url's
    session-scoped ``base_url`` can name it::

        @pytest.fixture(scope="session")
        def base_url(http_live_server):
            return http_live_server.url

    Reset around every test by the plugin (an empty request record, idle
    connections closed), as every server the plugin started.
    """
    kind = "asgi" if is_asgi(http_live_app) else "wsgi"
    return http_server_factory(
        **{kind: http_live_app}, name="http_live_server"
    )


@pytest.fixture
def http_app() -> Any:
    """The WSGI application that ``http_server`` serves: override it."""
    raise pytest.UsageError(
        "The http_server fixture serves the WSGI application of the"
        " http_app fixture: define a fixture named http_app (in the test"
        " module or a conftest.py) that returns your application."
    )


@pytest.fixture
def http_server(http_server_factory: ServerFactory, http_app: Any) -> Server:
    """A WSGI server serving ``http_app``, reset for the test.

    The server starts once per session (per pytest-xdist worker); every
    test gets it with an empty request record, serving that test's
    ``http_app``.
    """
    if is_asgi(http_app):
        # One server with the app of each test would skip the lifespan
        # startup of every app but the first.
        raise pytest.UsageError(
            f"http_app is {http_app!r}, an ASGI application, but"
            " http_server serves the WSGI application of each test: serve"
            " it with http_live_server (a session-scoped http_live_app), or"
            " start a server of your own with http_server_factory(asgi=...)."
        )
    server = http_server_factory.shared(
        "gocept.httpserverlayer.http_server", wsgi=http_app
    )
    # wsgi.Layer takes up its application anew at every testSetUp; the
    # plugin's testSetUp ran before this test's http_app existed.
    server.layer.wsgi_app = http_app
    server.layer["httpd"].set_app(http_app)
    return server


@pytest.fixture
def static_server(http_server_factory: ServerFactory) -> Server:
    """A server over a temporary directory (``.documentroot``, a
    :class:`pathlib.Path`), emptied before every test."""
    return http_server_factory.shared(
        "gocept.httpserverlayer.static_server", directory=TEMPORARY
    )
