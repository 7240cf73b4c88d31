"""Headless Chromium for browser tests, driven by Selenium or Playwright.

Install an extra for the tool:
``pip install 'gocept.httpserverlayer[selenium]'`` or
``'gocept.httpserverlayer[playwright]'``.
Nothing is downloaded: the browser is Debian's ``chromium`` (and
``chromium-driver`` for Selenium), or any Chromium named by
``CHROMIUM_BINARY`` and ``CHROMEDRIVER``. Do not run ``playwright install``.

- :func:`start_selenium` and :func:`playwright_launch_args` start Chromium
  headless, with the flags a container needs, trusting an HTTPS layer's
  certificate by its SPKI hash (and no other invalid one);
- :class:`SeleniumLayer` and :class:`PlaywrightLayer` give the tests of a
  zope.testrunner layer a browser that trusts the server layer under it;
- :func:`save_artifacts` saves a screenshot, the page's HTML and the
  console log; :class:`BrowserTestCase` does so for every failing test,
  and the pytest plugin for every failing test that uses a Selenium
  WebDriver or a Playwright page.

Neither Selenium nor Playwright is imported before a browser starts.

.. versionadded:: 5.0
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import re
import shutil
import sys
import time
import unittest
from collections.abc import Iterator
from collections.abc import Sequence
from typing import Any

import plone.testing

from gocept.httpserverlayer._server import Error

__all__ = [
    "FLAGS",
    "BrowserMissing",
    "BrowserTestCase",
    "PlaywrightLayer",
    "SeleniumLayer",
    "artifacts_dir",
    "chromedriver",
    "chromium",
    "chromium_args",
    "collect_console",
    "missing",
    "playwright_launch_args",
    "save_artifacts",
    "start_selenium",
]

#: Headless in a container without a GPU, a sandbox or a large /dev/shm,
#: and without the background traffic a desktop browser sends out.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
)

# Otherwise Selenium Manager tries to reach an outside host, even though
# the browser and its driver are named by path.
_SELENIUM_ENVIRON = {"SE_OFFLINE": "true", "SE_AVOID_STATS": "true"}
_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


class BrowserMissing(Error):
    """Chromium, its driver or the Python package of the tool is missing."""


def chromium() -> str:
    """The Chromium to start: ``CHROMIUM_BINARY``, else the first of
    ``chromium``, ``chromium-browser`` and ``google-chrome`` on ``PATH``,
    else ``/usr/bin/chromium`` (Debian's)."""
    configured = os.environ.get("CHROMIUM_BINARY", "").strip()
    if configured:
        return configured
    for name in _CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium"


def chromedriver() -> str:
    """The chromedriver for Selenium: ``CHROMEDRIVER``, else
    ``chromedriver`` on ``PATH``, else ``/usr/bin/chromedriver``."""
    configured = os.environ.get("CHROMEDRIVER", "").strip()
    if configured:
        return configured
    return shutil.which("chromedriver") or "/usr/bin/chromedriver"


def missing(tool: str) -> str | None:
    """Say what is missing to drive Chromium with ``tool`` (``selenium``
    or ``playwright``), or return None."""
    lacking = [path for path in (chromium(),) if not os.path.exists(path)]
    if tool == "selenium" and not os.path.exists(chromedriver()):
        lacking.append(chromedriver())
    try:
        __import__(f"{tool}")
    except ImportError:
        lacking.append(f"the Python package {tool}")
    return ", ".join(lacking) or None


def _require(tool: str) -> None:
    lacking = missing(tool)
    if lacking:
        raise BrowserMissing(
            f"Cannot start Chromium for {tool}, not installed: {lacking}."
            " Install Debian's chromium and chromium-driver (apt-get install"
            " chromium chromium-driver) or set CHROMIUM_BINARY and"
            f" CHROMEDRIVER, and gocept.httpserverlayer[{tool}]."
        )


def chromium_args(
    spki_hash: str | None = None, args: Sequence[str] = ()
) -> list[str]:
    """The command-line flags: :data:`FLAGS`, trust for the certificate
    with ``spki_hash`` (a layer's ``ca_spki_hash``), then ``args``."""
    flags = [*FLAGS]
    if spki_hash:
        flags.append(f"--ignore-certificate-errors-spki-list={spki_hash}")
    return [*flags, *args]


@contextlib.contextmanager
def _selenium_environ() -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in _SELENIUM_ENVIRON}
    os.environ.update(_SELENIUM_ENVIRON)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def start_selenium(
    spki_hash: str | None = None,
    args: Sequence[str] = (),
    *,
    page_load_timeout: float = 30.0,
) -> Any:
    """Start Chromium through chromedriver; return the Selenium WebDriver.

    The browser keeps its console messages for :func:`save_artifacts`.
    chromedriver gives it a fresh profile, which it removes at ``quit()``.

    :param spki_hash: trust the certificate of the layer with this
        ``ca_spki_hash``.
    :param args: more Chromium flags, e.g. ``--window-size=1280,1024``.
    """
    _require("selenium")
    import selenium.common.exceptions
    import selenium.webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = chromium()
    for flag in chromium_args(spki_hash, args):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Selenium picks the driver's port by binding port 0 and letting it
    # go; two processes starting drivers at once (zope-testrunner -j,
    # pytest -n) can pick the same one, and then one driver exits at once.
    with _selenium_environ():
        for attempt in range(3):
            try:
                driver = selenium.webdriver.Chrome(
                    options=options,
                    service=Service(executable_path=chromedriver()),
                )
                break
            except selenium.common.exceptions.WebDriverException as e:
                if "unexpectedly exited" not in str(e) or attempt == 2:
                    raise
                time.sleep(0.2)
    driver.set_page_load_timeout(page_load_timeout)
    return driver


def playwright_launch_args(
    spki_hash: str | None = None, args: Sequence[str] = ()
) -> dict[str, Any]:
    """Keywords for Playwright's ``chromium.launch()``, and for
    pytest-playwright's ``browser_type_launch_args``: Chromium by path,
    headless, trusting the certificate with ``spki_hash``."""
    return {
        "executable_path": chromium(),
        "headless": True,
        "args": chromium_args(spki_hash, args),
    }


def collect_console(page: Any) -> list[str]:
    """Collect the console messages and uncaught errors of a Playwright
    page from now on, into the returned list (also kept for
    :func:`save_artifacts`)."""
    lines: list[str] = getattr(page, "_gocept_console", None) or []
    if not hasattr(page, "_gocept_console"):
        page._gocept_console = lines
        page.on("console", lambda msg: lines.append(f"{msg.type} {msg.text}"))
        page.on("pageerror", lambda error: lines.append(f"pageerror {error}"))
    return lines


def _is_selenium(target: Any) -> bool:
    return hasattr(target, "get_log") and hasattr(target, "save_screenshot")


def _is_playwright_page(target: Any) -> bool:
    return hasattr(target, "screenshot") and hasattr(target, "content")


def is_browser(target: Any) -> bool:
    """Tell whether ``target`` is a Selenium WebDriver or a Playwright
    page, which :func:`save_artifacts` can save."""
    return _is_selenium(target) or _is_playwright_page(target)


def console(target: Any) -> list[str]:
    """The console messages of a Selenium WebDriver (since the last call)
    or of a Playwright page (since :func:`collect_console`)."""
    if _is_selenium(target):
        return [
            f"{entry['level']} {entry['message']}"
            for entry in target.get_log("browser")
        ]
    return list(getattr(target, "_gocept_console", ()))


def artifacts_dir() -> pathlib.Path:
    """Where artifacts go: ``$GOCEPT_ARTIFACTS_DIR``, else ``artifacts``
    in the current directory."""
    configured = os.environ.get("GOCEPT_ARTIFACTS_DIR", "").strip()
    return pathlib.Path(configured or "artifacts")


def save_artifacts(target: Any, name: str) -> list[pathlib.Path]:
    """Save a screenshot, the page's HTML and the console log of a
    Selenium WebDriver or a Playwright page.

    The files are ``NAME.png``, ``NAME.html`` and ``NAME.console.log`` in
    :func:`artifacts_dir`, ``name`` made safe for a file name (a test's
    id). Returns their paths.
    """
    directory = artifacts_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / re.sub(r"[^\w.-]", "_", name)
    png = stem.with_name(f"{stem.name}.png")
    html = stem.with_name(f"{stem.name}.html")
    log = stem.with_name(f"{stem.name}.console.log")
    if _is_selenium(target):
        target.save_screenshot(str(png))
        source = target.page_source
    else:
        # Written here: with path= Playwright writes the file from a thread
        # of its own, which zope.testrunner reports as left behind.
        png.write_bytes(target.screenshot())
        source = target.content()
    html.write_text(source, encoding="utf-8")
    log.write_text(
        "".join(f"{line}\n" for line in console(target)), encoding="utf-8"
    )
    return [png, html, log]


def _report_artifacts(target: Any, name: str) -> None:
    try:
        paths = save_artifacts(target, name)
    except Exception as error:
        print(f"\nCould not save artifacts: {error!r}", file=sys.stderr)
    else:
        stem = str(paths[0])[: -len(".png")]
        print(f"\nArtifacts saved: {stem}.*", file=sys.stderr)


class _BrowserLayer(plone.testing.Layer):
    def __init__(
        self, *args: Any, chromium_args: Sequence[str] = (), **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.chromium_args = tuple(chromium_args)


class SeleniumLayer(_BrowserLayer):
    """Headless Chromium through Selenium for the tests of the layer.

    Once, at setUp, it starts Chromium (:func:`start_selenium`), trusting
    the certificate of a server layer among its bases that serves HTTPS
    (its ``ca_spki_hash``); at tearDown it quits it. After every test the
    browser goes to ``about:blank``, forgets its cookies, the headers
    :func:`gocept.httpserverlayer.plonetesting.log_in` set and its console
    messages, so that no test inherits another's login.

    Resources: ``webdriver``.

    :param args: more Chromium flags.
    """

    def setUp(self) -> None:
        self["webdriver"] = start_selenium(
            self.get("ca_spki_hash"), self.chromium_args
        )

    def testTearDown(self) -> None:
        driver = self["webdriver"]
        # Chromium's own commands: every site's cookies, whatever page is
        # open, and headers set for all requests.
        driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {}})
        driver.get("about:blank")
        driver.get_log("browser")

    def tearDown(self) -> None:
        try:
            self["webdriver"].quit()
        finally:
            del self["webdriver"]


class PlaywrightLayer(_BrowserLayer):
    """Headless Chromium through Playwright for the tests of the layer.

    Once, at setUp, it starts Playwright and Chromium, trusting the
    certificate of a server layer among its bases that serves HTTPS; at
    tearDown it stops them. For every test it opens a new browser context
    (no cookies, no storage of an earlier test) with one page, which
    collects its console messages, and closes it afterwards. Playwright's
    synchronous API is used from the thread that started it, the one that
    sets up layers and runs tests.

    Resources: ``playwright``, ``playwright_browser``, and per test
    ``context`` and ``page``.

    :param args: more Chromium flags.
    """

    def setUp(self) -> None:
        _require("playwright")
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        try:
            self["playwright_browser"] = playwright.chromium.launch(
                **playwright_launch_args(
                    self.get("ca_spki_hash"), self.chromium_args
                )
            )
        except BaseException:
            playwright.stop()
            raise
        self["playwright"] = playwright

    def testSetUp(self) -> None:
        self["context"] = context = self["playwright_browser"].new_context()
        self["page"] = page = context.new_page()
        collect_console(page)

    def testTearDown(self) -> None:
        try:
            self["context"].close()
        finally:
            del self["page"]
            del self["context"]

    def tearDown(self) -> None:
        try:
            self["playwright_browser"].close()
        finally:
            self["playwright"].stop()
            del self["playwright_browser"]
            del self["playwright"]


class BrowserTestCase(unittest.TestCase):
    """A test case that saves the artifacts of a failing browser test.

    When a test fails, it saves a screenshot, the HTML and the console log
    (:func:`save_artifacts`) of :meth:`artifact_browser`, while the browser
    still shows the page, before any tearDown changed it.
    """

    def artifact_browser(self) -> Any:
        """The browser to save: the layer's ``page`` or ``webdriver``."""
        layer = getattr(self, "layer", None)
        if layer is None:
            return None
        return layer.get("page") or layer.get("webdriver")

    def _callTestMethod(self, method: Any) -> None:
        # A private hook of unittest (Python 3.8 to 3.14), chosen because it
        # sees the failure itself, while the browser still shows the page.
        try:
            super()._callTestMethod(method)  # type: ignore[misc]
        except unittest.SkipTest:
            raise
        except Exception:
            target = self.artifact_browser()
            if target is not None:
                _report_artifacts(target, self.id())
            raise
