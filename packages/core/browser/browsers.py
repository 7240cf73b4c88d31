"""Headless Chromium, driven by Selenium or by Playwright, as test layers.

``SELENIUM`` and ``PLAYWRIGHT`` each start one browser session, with a fresh
profile, for the tests of a layer built on them, and offer it as the
resource ``browser``: an object with the same few methods for both tools
(``open``, ``run``, ``wait``, ``click``, ``text``, ``upload``, ...), so that
one test method runs with both.

``BrowserTestCase`` skips its tests when Chromium, chromedriver or the
Python package of the tool is missing, and saves a screenshot, the page
source and the browser console of every failing test into ``artifacts/`` at
the top of the repository (or ``$GOCEPT_ARTIFACTS_DIR``).
"""

import os
import pathlib
import re
import shutil
import sys
import tempfile
import time
import unittest

import plone.testing
from examples.chromium import CHROMEDRIVER
from examples.chromium import CHROMIUM
from examples.chromium import FLAGS
from examples.chromium import SELENIUM_ENVIRON

# This file is packages/core/browser/browsers.py.
REPOSITORY = pathlib.Path(__file__).resolve().parents[3]

TIMEOUT = 20  # seconds, for every wait on the browser


def artifacts_dir():
    """Return the directory that receives the evidence of failing tests."""
    configured = os.environ.get("GOCEPT_ARTIFACTS_DIR")
    return pathlib.Path(configured or REPOSITORY / "artifacts")


class SeleniumBrowser:
    """Chromium through chromedriver (Selenium WebDriver)."""

    tool = "selenium"

    def __init__(self, profile, args=()):
        from examples.browser import start_chrome
        from selenium.webdriver.chrome.options import Options

        options = Options()
        options.binary_location = CHROMIUM
        for flag in (*FLAGS, *args):
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = start_chrome(options)
        self.driver.set_page_load_timeout(TIMEOUT)
        self.console_lines = []

    def open(self, url):
        """Load ``url`` and wait until the page has loaded."""
        self.driver.get(url)

    def run(self, script):
        """Return the value of the JavaScript expression ``script``."""
        return self.driver.execute_script(f"return ({script});")

    def wait(self, script, message, timeout=TIMEOUT):
        """Wait until the expression ``script`` is truthy; return it."""
        from selenium.webdriver.support.wait import WebDriverWait

        return WebDriverWait(self.driver, timeout).until(
            lambda driver: self.run(script), message=message
        )

    def _find(self, css):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def click(self, css):
        """Click the element ``css`` and wait for a navigation it starts."""
        old = self.driver.find_element("tag name", "html")
        self._find(css).click()
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.wait import WebDriverWait

        try:
            WebDriverWait(self.driver, TIMEOUT).until(
                expected_conditions.staleness_of(old)
            )
        finally:
            WebDriverWait(self.driver, TIMEOUT).until(
                lambda driver: self.run("document.readyState") == "complete"
            )

    def fill(self, css, text):
        element = self._find(css)
        element.clear()
        element.send_keys(text)

    def upload(self, css, path):
        """Choose the file at ``path`` in the file input ``css``."""
        self._find(css).send_keys(str(path))

    def text(self, css):
        return self._find(css).text

    @property
    def url(self):
        return self.driver.current_url

    def screenshot(self, path):
        self.driver.save_screenshot(str(path))

    def page_source(self):
        return self.driver.page_source

    def console(self):
        """Return the console messages since the last call, as lines."""
        self.console_lines.extend(
            f"{entry['level']} {entry['message']}"
            for entry in self.driver.get_log("browser")
        )
        lines, self.console_lines = self.console_lines, []
        return lines

    def reset(self):
        """Stop the page's scripts and forget its console messages."""
        self.driver.get("about:blank")
        self.console()
        self.driver.delete_all_cookies()

    def quit(self):
        self.driver.quit()


class PlaywrightBrowser:
    """Chromium through Playwright (the CDP), with a persistent context.

    Playwright's synchronous API must be used from the thread that started
    it; zope.testrunner sets up layers and runs tests in the same thread.
    """

    tool = "playwright"

    def __init__(self, profile, args=()):
        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        try:
            self.context = self.playwright.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=[*FLAGS, *args],
            )
        except BaseException:
            self.playwright.stop()
            raise
        self.context.set_default_timeout(TIMEOUT * 1000)
        self.page = self.context.pages[0]
        self.console_lines = []
        self.page.on(
            "console",
            lambda msg: self.console_lines.append(f"{msg.type} {msg.text}"),
        )
        self.page.on(
            "pageerror",
            lambda error: self.console_lines.append(f"pageerror {error}"),
        )

    def open(self, url):
        self.page.goto(url)

    def run(self, script):
        return self.page.evaluate(f"() => ({script})")

    def wait(self, script, message, timeout=TIMEOUT):
        from playwright.sync_api import TimeoutError

        try:
            handle = self.page.wait_for_function(
                f"() => ({script})", timeout=timeout * 1000
            )
        except TimeoutError:
            raise AssertionError(message) from None
        return handle.json_value()

    def click(self, css):
        with self.page.expect_navigation():
            self.page.click(css)

    def fill(self, css, text):
        self.page.fill(css, text)

    def upload(self, css, path):
        self.page.set_input_files(css, str(path))

    def text(self, css):
        return self.page.inner_text(css)

    @property
    def url(self):
        return self.page.url

    def screenshot(self, path):
        # Written here: with path= Playwright writes the file from a thread
        # of its own, which zope.testrunner reports as left behind.
        pathlib.Path(path).write_bytes(self.page.screenshot())

    def page_source(self):
        return self.page.content()

    def console(self):
        lines, self.console_lines = self.console_lines, []
        return lines

    def reset(self):
        self.page.goto("about:blank")
        self.console()
        self.context.clear_cookies()

    def quit(self):
        try:
            self.context.close()
        finally:
            self.playwright.stop()


def _missing(tool):
    """Say what is missing to run ``tool``, or return None."""
    missing = [p for p in (CHROMIUM,) if not os.path.exists(p)]
    if tool == "selenium" and not os.path.exists(CHROMEDRIVER):
        missing.append(CHROMEDRIVER)
    module = {"selenium": "selenium", "playwright": "playwright"}[tool]
    try:
        __import__(module)
    except ImportError:
        missing.append(f"the Python package {module}")
    return ", ".join(missing) or None


class BrowserLayer(plone.testing.Layer):
    """One headless Chromium session for all tests of the layer.

    setUp starts Chromium with a fresh temporary profile, tearDown quits it
    and removes the profile; after each test the browser goes back to
    ``about:blank`` without cookies. When something is missing, nothing is
    started and the tests of ``BrowserTestCase`` are skipped.

    Resources: ``browser`` (a ``SeleniumBrowser`` or ``PlaywrightBrowser``,
    or None) and ``browser_missing`` (what is missing, or None).
    """

    def __init__(self, factory, **kw):
        super().__init__(**kw)
        self.factory = factory

    def setUp(self):
        self["browser"] = None
        self["browser_missing"] = _missing(self.factory.tool)
        if self["browser_missing"]:
            print(
                f"{self.factory.tool} tests will be skipped, not installed: "
                + self["browser_missing"],
                file=sys.stderr,
            )
            return
        self.saved_environ = {k: os.environ.get(k) for k in SELENIUM_ENVIRON}
        os.environ.update(SELENIUM_ENVIRON)
        self.profile = tempfile.mkdtemp(prefix="gocept-chromium-")
        try:
            self["browser"] = self.factory(self.profile)
        except BaseException:
            self.cleanUp()
            raise

    def testTearDown(self):
        if self["browser"] is not None:
            self["browser"].reset()

    def tearDown(self):
        browser = self["browser"]
        del self["browser"]
        del self["browser_missing"]
        if browser is not None:
            try:
                browser.quit()
            finally:
                self.cleanUp()

    def cleanUp(self):
        shutil.rmtree(self.profile, ignore_errors=True)
        for key, value in self.saved_environ.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


SELENIUM = BrowserLayer(SeleniumBrowser, name="Selenium", module=__name__)
PLAYWRIGHT = BrowserLayer(
    PlaywrightBrowser, name="Playwright", module=__name__
)


def with_browsers(server_layer, module):
    """Return a layer of ``server_layer`` with each browser, by tool name."""
    return {
        browser.factory.tool: plone.testing.Layer(
            bases=(server_layer, browser),
            name=f"{server_layer.__name__}+{browser.__name__}",
            module=module,
        )
        for browser in (SELENIUM, PLAYWRIGHT)
    }


class BrowserTestCase(unittest.TestCase):
    """A test that drives ``self.browser``, the browser of its layer."""

    def setUp(self):
        super().setUp()
        missing = self.layer["browser_missing"]
        if missing:
            raise unittest.SkipTest(
                f"not installed: {missing} (see ci/install-browser.sh)"
            )
        self.browser = self.layer["browser"]

    def url(self, path="/"):
        return f"http://{self.layer['http_address']}{path}"

    def _callTestMethod(self, method):
        # A private hook of unittest (Python 3.8 to 3.14), chosen because it
        # sees the failure itself, while the browser still shows the page
        # and before any tearDown has changed the state under test.
        try:
            super()._callTestMethod(method)
        except unittest.SkipTest:
            raise
        except Exception:
            self.save_artifacts()
            raise

    def artifact_stem(self):
        """Return the path of this test's artifacts, without suffix."""
        return str(artifacts_dir() / re.sub(r"[^\w.-]", "_", self.id()))

    def save_artifacts(self):
        """Save a screenshot, the page source and the browser console."""
        directory = artifacts_dir()
        stem = self.artifact_stem()
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self.browser.screenshot(f"{stem}.png")
            with open(f"{stem}.html", "w", encoding="utf-8") as f:
                f.write(self.browser.page_source())
            with open(f"{stem}.console.log", "w", encoding="utf-8") as f:
                for line in self.browser.console():
                    f.write(f"{line}\n")
        except Exception as error:
            print(f"\nCould not save artifacts: {error!r}", file=sys.stderr)
        else:
            print(f"\nArtifacts saved: {stem}.*", file=sys.stderr)


def deadline(seconds):
    """Return a function that tells whether ``seconds`` have passed."""
    end = time.monotonic() + seconds
    return lambda: time.monotonic() > end
