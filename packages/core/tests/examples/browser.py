"""Headless Chromium, driven by Selenium, as a test layer.

``WEBDRIVER`` starts one browser session for the tests of a layer built on
it. ``BrowserTestCase`` skips its tests when Chromium or chromedriver is not
installed, and saves a screenshot, the page source and the browser console
of every failing test into ``artifacts/`` (or ``$GOCEPT_ARTIFACTS_DIR``).
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
import selenium.common.exceptions
import selenium.webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from .chromium import CHROMEDRIVER
from .chromium import CHROMIUM
from .chromium import FLAGS
from .chromium import SELENIUM_ENVIRON

# This file is packages/core/tests/examples/browser.py.
REPOSITORY = pathlib.Path(__file__).resolve().parents[4]


def missing_binaries():
    """Return the paths of Chromium and chromedriver that do not exist."""
    return [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]


def https_for_every_layer():
    """Whether GOCEPT_HTTP_HTTPS makes every server layer serve HTTPS."""
    value = os.environ.get("GOCEPT_HTTP_HTTPS", "").strip().lower()
    return value in ("1", "true", "yes", "on")


def artifacts_dir():
    """Return the directory that receives the evidence of failing tests."""
    configured = os.environ.get("GOCEPT_ARTIFACTS_DIR")
    return pathlib.Path(configured or REPOSITORY / "artifacts")


def start_chrome(options):
    """Start Chrome through Debian's chromedriver; try again if it exits.

    Selenium picks the driver's port by binding port 0 and letting it go;
    two test processes starting drivers at once (zope-testrunner -j 2) can
    pick the same one, and then one driver exits at start.
    """
    for attempt in range(3):
        try:
            return selenium.webdriver.Chrome(
                options=options,
                service=Service(executable_path=CHROMEDRIVER),
            )
        except selenium.common.exceptions.WebDriverException as e:
            if "unexpectedly exited" not in str(e) or attempt == 2:
                raise
            time.sleep(0.2)


class WebDriverLayer(plone.testing.Layer):
    """One headless Chromium session for all tests of the layer.

    setUp starts Chromium with a fresh temporary profile, tearDown quits it
    and removes the profile; after each test the browser goes back to
    ``about:blank``. When Chromium or chromedriver is missing, nothing is
    started and the tests of ``BrowserTestCase`` are skipped.

    Resources: ``webdriver`` (a Selenium WebDriver, or None) and
    ``webdriver_missing`` (the list of missing paths).
    """

    def setUp(self):
        self["webdriver"] = None
        self["webdriver_missing"] = missing_binaries()
        if self["webdriver_missing"]:
            print(
                "Browser tests will be skipped, not installed: "
                + ", ".join(self["webdriver_missing"]),
                file=sys.stderr,
            )
            return
        self.saved_environ = {k: os.environ.get(k) for k in SELENIUM_ENVIRON}
        os.environ.update(SELENIUM_ENVIRON)
        self.profile = tempfile.mkdtemp(prefix="gocept-chromium-")
        try:
            self["webdriver"] = start_chrome(self.options())
        except BaseException:
            self.cleanUp()
            raise

    def options(self):
        options = Options()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # One browser serves the tests of several server layers and starts
        # before they make their certificates, so it cannot be told which
        # to trust (test_https.py shows a browser trusting exactly one).
        # When the whole run serves HTTPS, it accepts any certificate.
        options.accept_insecure_certs = https_for_every_layer()
        return options

    def testTearDown(self):
        driver = self["webdriver"]
        if driver is not None:
            # Stop the scripts of the page and forget its console messages,
            # so that the next test starts from a blank browser.
            driver.get("about:blank")
            driver.get_log("browser")

    def tearDown(self):
        driver = self["webdriver"]
        del self["webdriver"]
        del self["webdriver_missing"]
        if driver is not None:
            try:
                driver.quit()
            finally:
                self.cleanUp()

    def cleanUp(self):
        shutil.rmtree(self.profile, ignore_errors=True)
        for key, value in self.saved_environ.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


WEBDRIVER = WebDriverLayer(name="WebDriverLayer", module=__name__)


class BrowserTestCase(unittest.TestCase):
    """A test that drives ``self.driver``, the browser of ``WEBDRIVER``."""

    def setUp(self):
        super().setUp()
        missing = self.layer["webdriver_missing"]
        if missing:
            missing = ", ".join(missing)
            raise unittest.SkipTest(
                f"not installed: {missing} (see ci/install-browser.sh)"
            )
        self.driver = self.layer["webdriver"]

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

    def save_artifacts(self):
        """Save a screenshot, the page source and the browser console."""
        directory = artifacts_dir()
        stem = str(directory / re.sub(r"[^\w.-]", "_", self.id()))
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self.driver.save_screenshot(f"{stem}.png")
            with open(f"{stem}.html", "w", encoding="utf-8") as f:
                f.write(self.driver.page_source)
            with open(f"{stem}.console.log", "w", encoding="utf-8") as f:
                for entry in self.driver.get_log("browser"):
                    f.write(f"{entry['level']} {entry['message']}\n")
        except Exception as error:
            print(f"\nCould not save artifacts: {error!r}", file=sys.stderr)
        else:
            print(f"\nArtifacts saved: {stem}.*", file=sys.stderr)
