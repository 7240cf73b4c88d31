"""Headless Chromium, driven by Selenium, as a test layer.

Debian's chromium and chromedriver, found by path (CHROMIUM_BINARY and
CHROMEDRIVER override them); ``ci/install-browser.sh`` installs them.
"""

import os
import shutil
import tempfile

import plone.testing
import selenium.webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")

# Headless in a container without a GPU, a sandbox or a large /dev/shm, and
# without the background traffic a desktop browser sends to the internet.
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
    "--window-size=1280,1024",
)

# Otherwise Selenium Manager tries to reach an outside host, even though we
# name the browser and the driver by path.
SELENIUM_ENVIRON = {"SE_OFFLINE": "true", "SE_AVOID_STATS": "true"}


class WebDriverLayer(plone.testing.Layer):
    """One headless Chromium session for the tests of the layer.

    Once: starts Chromium with a fresh profile; tearDown quits it and
    removes the profile. Per test: afterwards, the browser goes to
    ``about:blank`` and forgets its cookies, so that no test inherits a
    login. Resources: ``webdriver``.
    """

    def setUp(self):
        missing = [
            p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)
        ]
        if missing:
            raise RuntimeError(
                f"Not installed: {', '.join(missing)}; run"
                " ci/install-browser.sh or set CHROMIUM_BINARY and"
                " CHROMEDRIVER."
            )
        self.saved_environ = {k: os.environ.get(k) for k in SELENIUM_ENVIRON}
        os.environ.update(SELENIUM_ENVIRON)
        self.profile = tempfile.mkdtemp(prefix="gocept-chromium-")
        options = Options()
        options.binary_location = CHROMIUM
        for flag in (*FLAGS, f"--user-data-dir={self.profile}"):
            options.add_argument(flag)
        try:
            self["webdriver"] = selenium.webdriver.Chrome(
                options=options,
                service=Service(executable_path=CHROMEDRIVER),
            )
        except BaseException:
            self.clean_up()
            raise

    def testTearDown(self):
        # Chromium's own command clears the cookies of every site, whatever
        # page is open.
        self["webdriver"].execute_cdp_cmd("Network.clearBrowserCookies", {})
        self["webdriver"].get("about:blank")

    def tearDown(self):
        try:
            self["webdriver"].quit()
        finally:
            del self["webdriver"]
            self.clean_up()

    def clean_up(self):
        shutil.rmtree(self.profile, ignore_errors=True)
        for key, value in self.saved_environ.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


WEBDRIVER = WebDriverLayer(name="WebDriver", module=__name__)
