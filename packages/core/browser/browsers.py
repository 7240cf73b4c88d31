"""Headless Chromium, driven by Selenium or by Playwright, as test layers.

``SELENIUM`` and ``PLAYWRIGHT`` each start one browser session for the
tests of a layer built on them, and offer it as the resource ``browser``:
an object with the same few methods for both tools (``open``, ``run``,
``wait``, ``click``, ``text``, ``upload``, ...), so that one test method
runs with both. Chromium is started by the shipped helper,
:mod:`gocept.httpserverlayer.browser`.

``BrowserTestCase`` skips its tests when Chromium, chromedriver or the
Python package of the tool is missing, and saves a screenshot, the page
source and the browser console of every failing test into ``artifacts/``
(or ``$GOCEPT_ARTIFACTS_DIR``), as the shipped ``BrowserTestCase`` does.
"""

import pathlib
import re
import shutil
import sys
import tempfile
import time
import unittest

import plone.testing

from gocept.httpserverlayer import browser as chromium

TIMEOUT = 20  # seconds, for every wait on the browser


class SeleniumBrowser:
    """Chromium through chromedriver (Selenium WebDriver)."""

    tool = "selenium"

    def __init__(self, profile, args=()):
        # chromedriver gives Chromium a fresh profile of its own.
        self.driver = chromium.start_selenium(args=args)
        self.driver.set_page_load_timeout(TIMEOUT)

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
        from selenium.webdriver.support.wait import WebDriverWait

        try:
            WebDriverWait(self.driver, TIMEOUT).until(
                lambda driver: _is_stale(old)
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
        return chromium.console(self.driver)

    def reset(self):
        """Stop the page's scripts and forget its console messages."""
        self.driver.get("about:blank")
        self.console()
        self.driver.delete_all_cookies()

    def quit(self):
        self.driver.quit()


def _is_stale(element):
    """Whether ``element`` no longer belongs to the window's document.

    Selenium's ``staleness_of`` knows only "stale element reference"; while
    Chromium swaps documents, chromedriver may answer instead with "unknown
    error: unhandled inspector error: ... Node with given id does not belong
    to the document" (SeleniumHQ/selenium#15401), which failed a CI run of
    the form POST test. Both mean the old document is gone.
    """
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.common.exceptions import WebDriverException

    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in (error.msg or ""):
            return True
        raise
    return False


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
                profile, **chromium.playwright_launch_args(args=args)
            )
        except BaseException:
            self.playwright.stop()
            raise
        self.context.set_default_timeout(TIMEOUT * 1000)
        self.page = self.context.pages[0]
        self.console_lines = chromium.collect_console(self.page)

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
        pathlib.Path(path).write_bytes(self.page.screenshot())

    def page_source(self):
        return self.page.content()

    def console(self):
        lines = list(self.console_lines)
        self.console_lines.clear()
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
    return chromium.missing(tool)


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


class BrowserTestCase(chromium.BrowserTestCase):
    """A test that drives ``self.browser``, the browser of its layer; the
    shipped ``BrowserTestCase`` saves the artifacts of its failure."""

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

    def artifact_browser(self):
        browser = getattr(self, "browser", None)
        return getattr(browser, "driver", None) or getattr(
            browser, "page", None
        )

    def artifact_stem(self):
        """Return the path of this test's artifacts, without suffix."""
        name = re.sub(r"[^\w.-]", "_", self.id())
        return str(chromium.artifacts_dir() / name)


def deadline(seconds):
    """Return a function that tells whether ``seconds`` have passed."""
    end = time.monotonic() + seconds
    return lambda: time.monotonic() > end
