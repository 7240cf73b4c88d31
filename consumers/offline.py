"""Run gocept.selenium 7.1's own test suite here: offline, as root, headless.

A pytest plugin, loaded with ``-p offline`` by the consumers envs
(tox.ini). It changes none of gocept.selenium's files; at configure time it
hands gocept.selenium what this machine has instead of what it would
download:

- webdriver_manager's ``ChromeDriverManager().install()`` returns Debian's
  chromedriver (``CHROMEDRIVER``) instead of downloading one; the Firefox
  and Edge managers raise an error that says no driver can be downloaded
  here (neither browser is installed);
- the Chrome options that gocept.selenium's webdriver layer makes get
  Debian's Chromium (``CHROMIUM_BINARY``) and the flags it needs here: no
  sandbox (the tests run as root), no GPU, no traffic to outside hosts.

It also marks the tests that cannot pass on this machine, against
gocept.httpserverlayer 4.0 either, as strict expected failures with the
reason (a listed test that passes fails the run, so the list stays true),
and checks that the whole suite was collected.
"""

import importlib.metadata
import os
import shutil
from pathlib import Path

import pytest

# Where Debian's Chromium and chromedriver are (CHROMIUM_BINARY and
# CHROMEDRIVER name others). Found here, not through
# gocept.httpserverlayer.browser: the consumers-4x env runs the same plugin
# against 4.0, which has no such module.
CHROMIUM = (
    os.environ.get("CHROMIUM_BINARY", "").strip()
    or shutil.which("chromium")
    or "/usr/bin/chromium"
)
CHROMEDRIVER = (
    os.environ.get("CHROMEDRIVER", "").strip()
    or shutil.which("chromedriver")
    or "/usr/bin/chromedriver"
)
# The flags Chromium needs here: no sandbox (root), no GPU, no traffic to
# outside hosts. --headless is left to gocept.selenium, which reads
# GOCEPT_SELENIUM_HEADLESS.
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
)

# gocept.selenium 7.1's suite as collected against gocept.httpserverlayer
# 4.0 in the consumers-4x env.
COLLECTED = 118

FALLS_BACK_TO_FIREFOX = (
    "An unknown or missing GOCEPT_WEBDRIVER_BROWSER makes gocept.selenium"
    " fall back to Firefox, whose driver webdriver_manager would download;"
    " this machine has neither Firefox nor access to the download."
)
EXPECTED_FAILURES = {
    "tests/test_webdriver.py::LayerTest::test_wrong_browser_warning": (
        FALLS_BACK_TO_FIREFOX
    ),
    "tests/test_webdriver.py::LayerTest::test_wrong_browser_warning_2": (
        FALLS_BACK_TO_FIREFOX
    ),
    "tests/test_wd_selenese.py::DownloadTests"
    "::test_webdriver__Layer__setUp__1": (
        "Chromium shows example.pdf in its PDF viewer instead of saving it:"
        " gocept.selenium's Chrome options name a download folder but do not"
        " ask Chrome to save PDF files (plugins.always_open_pdf_externally)."
    ),
}


class NoDownload(RuntimeError):
    pass


def _no_download(self):
    raise NoDownload(
        f"{type(self).__name__} would download a driver, which is not"
        " possible here: run gocept.selenium's tests with"
        " GOCEPT_WEBDRIVER_BROWSER=chrome (Debian's chromium and"
        " chromedriver)."
    )


def pytest_configure(config):
    import gocept.selenium.webdriver
    import webdriver_manager.chrome
    import webdriver_manager.firefox
    import webdriver_manager.microsoft

    webdriver_manager.chrome.ChromeDriverManager.install = lambda self: (
        CHROMEDRIVER
    )
    webdriver_manager.firefox.GeckoDriverManager.install = _no_download
    webdriver_manager.microsoft.EdgeChromiumDriverManager.install = (
        _no_download
    )

    layer = gocept.selenium.webdriver.Layer
    chrome_args = layer.get_chrome_webdriver_args

    def get_chrome_webdriver_args(self):
        args = chrome_args(self)
        args["options"].binary_location = CHROMIUM
        for flag in FLAGS:
            args["options"].add_argument(flag)
        return args

    layer.get_chrome_webdriver_args = get_chrome_webdriver_args


def pytest_report_header(config):
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}"
        for name in ("gocept.selenium", "gocept.httpserverlayer")
    )
    return [f"consumers: {versions}; Chromium {CHROMIUM}"]


def _suite_path(item):
    """The item's node id relative to the gocept.selenium package."""
    import gocept.selenium

    package = Path(gocept.selenium.__file__).parent
    relative = Path(item.path).relative_to(package).as_posix()
    return relative + "::" + item.nodeid.partition("::")[2]


def pytest_collection_modifyitems(config, items):
    for item in items:
        reason = EXPECTED_FAILURES.get(_suite_path(item))
        if reason:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))


def _whole_suite(config):
    """Whether the run selects every test under the paths it was given."""
    option = config.option
    selections = ("keyword", "markexpr", "deselect", "ignore", "ignore_glob")
    return not any(getattr(option, name, None) for name in selections) and all(
        Path(arg).is_dir() for arg in config.args
    )


def pytest_collection_finish(session):
    if _whole_suite(session.config) and len(session.items) != COLLECTED:
        pytest.exit(
            f"Collected {len(session.items)} tests of gocept.selenium, not"
            f" {COLLECTED} as against gocept.httpserverlayer 4.0: a test"
            " module failed to import or its layer is missing.",
            returncode=pytest.ExitCode.TESTS_FAILED,
        )
