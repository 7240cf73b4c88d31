"""Options and ini settings of the plugin, mapped onto the environment
variables the layers read: one precedence rule, shown in the header.
Each test runs a pytest session of its own."""

import textwrap

import pytest

# Runs pytest sessions of its own: once, not again under -n (tox.ini).
pytestmark = pytest.mark.whole_session

MODULE = textwrap.dedent(
    """
    import unittest
    from gocept.httpserverlayer import wsgi

    LAYER = wsgi.Layer(wsgi_app=lambda e, s: [], name="LAYER")

    def test_factory(http_server_factory):
        server = http_server_factory(wsgi=lambda e, s: [])
        print("FACTORY", server.url, server.layer.bind_host)
        pinned = http_server_factory(
            wsgi=lambda e, s: [], https=False, host="127.0.0.1")
        print("PINNED", pinned.url)

    class LayerTest(unittest.TestCase):
        layer = LAYER

        def test_layer(self):
            print("LAYER", self.layer["http_url"])
    """
)


@pytest.fixture
def run(pytester, monkeypatch):
    for name in (
        "APP_HOST",
        "BIND_HOST",
        "APP_PORT",
        "HTTPS",
        "FAIL_ON_SERVER_ERRORS",
    ):
        monkeypatch.delenv(f"GOCEPT_HTTP_{name}", raising=False)
    pytester.makepyfile(test_settings_module=MODULE)

    def run(*args, ini="", **env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        if ini:
            pytester.makeini(f"[pytest]\n{textwrap.dedent(ini)}")
        return pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "-s", *args
        )

    return run


def test_options_reach_fixtures_and_layers(run):
    result = run(
        "--http-https", "--http-host=127.0.0.1", "--http-bind-host=127.0.0.1"
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "gocept.httpserverlayer: host 127.0.0.1 (from --http-host),"
            " bind host 127.0.0.1 (from --http-bind-host), port any,"
            " https on (from --http-https), fail on server errors off",
            "*FACTORY https://127.0.0.1:* 127.0.0.1",
            # A keyword of the factory wins over the option.
            "PINNED http://127.0.0.1:*",
            "LAYER https://127.0.0.1:*",
        ]
    )


def test_option_over_variable_over_ini(run):
    ini = """
        http_host = ::1
        http_https = on
        http_fail_on_server_errors = yes
    """
    result = run("--http-https=off", ini=ini, GOCEPT_HTTP_APP_HOST="127.0.0.1")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "gocept.httpserverlayer: host 127.0.0.1 (from"
            " GOCEPT_HTTP_APP_HOST), bind host 127.0.0.1, port any,"
            " https off (from --http-https), fail on server errors on"
            " (from ini http_fail_on_server_errors)",
            "*FACTORY http://127.0.0.1:* 127.0.0.1",
            "LAYER http://127.0.0.1:*",
        ]
    )


def test_ini_alone(run):
    result = run(ini="http_host = 127.0.0.1\nhttp_https = 1")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "gocept.httpserverlayer: host 127.0.0.1 (from ini http_host),"
            " bind host 127.0.0.1, port any, https on (from ini"
            " http_https), fail on server errors off",
            "LAYER https://127.0.0.1:*",
        ]
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--http-https=maybe"],
            "ERROR: --http-https='maybe' is neither on nor off: use on,"
            " off, 1, 0, true, false, yes or no.",
        ),
        (
            ["--http-port=http"],
            "ERROR: --http-port='http' is not a port number: use a number"
            " from 1 to 65535, or 0 to let the OS pick a free port.",
        ),
    ],
)
def test_bad_value_names_itself_and_the_fix(run, args, message):
    result = run(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
