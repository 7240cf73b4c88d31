"""Playwright's Chromium on the example add-on's site: a Manager logged in
without the login form, and the site over HTTPS."""

import plone.app.testing
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from plone.app.testing import TEST_USER_NAME

from gocept.httpserverlayer import browser
from gocept.httpserverlayer.plonetesting import ZOPE_FUNCTIONAL
from gocept.httpserverlayer.plonetesting import HTTPServer
from gocept.httpserverlayer.plonetesting import log_in
from plonesite.addon import MY_ADDON_FIXTURE
from plonesite.addon import MY_ADDON_PLAYWRIGHT


class PlaywrightTest(browser.BrowserTestCase):
    layer = MY_ADDON_PLAYWRIGHT

    def test_site_owner_logged_in_with_basic_auth(self):
        page = self.layer["page"]
        portal = self.layer["portal"]
        log_in(page, portal, SITE_OWNER_NAME, SITE_OWNER_PASSWORD)
        url = f"{portal.absolute_url()}/@@overview-controlpanel"
        self.assertEqual(200, page.goto(url).status)
        # The control panel itself, not the login form; only Managers see it.
        self.assertEqual(url, page.url)
        setup = page.locator("#personaltools-plone_setup")
        self.assertEqual(1, setup.count())

    def test_anonymous_in_the_next_test(self):
        page = self.layer["page"]
        page.goto(
            f"{self.layer['portal'].absolute_url()}/@@overview-controlpanel"
        )
        self.assertIn("/login", page.url)


# HTTP_SERVER serving HTTPS (GOCEPT_HTTP_HTTPS=1 does this for HTTP_SERVER
# itself), and the add-on's functional layer and a browser on it.
HTTPS_SERVER = HTTPServer(
    bases=(ZOPE_FUNCTIONAL,), https=True, name="HTTPSServer", module=__name__
)
MY_ADDON_HTTPS_TESTING = plone.app.testing.FunctionalTesting(
    bases=(MY_ADDON_FIXTURE, HTTPS_SERVER), name="MyAddon:HTTPS"
)
MY_ADDON_HTTPS_PLAYWRIGHT = browser.PlaywrightLayer(
    bases=(MY_ADDON_HTTPS_TESTING,),
    name="MyAddon:HTTPSPlaywright",
    module=__name__,
)


class HTTPSTest(browser.BrowserTestCase):
    layer = MY_ADDON_HTTPS_PLAYWRIGHT

    def test_zope_sees_https_in_the_test_and_in_the_browser(self):
        portal = self.layer["portal"]
        url = portal.absolute_url()
        self.assertEqual(f"{self.layer['http_url']}/plone", url)
        page = self.layer["page"]
        log_in(page, portal, TEST_USER_NAME)
        # A redirect to absolute_url(), followed by Chromium, which trusts
        # the layer's certificate.
        page.goto(f"{url}/@@go-home")
        self.assertEqual(f"{url}", page.url.rstrip("/"))
        self.assertTrue(page.locator("#personaltools-logout").count())
        self.layer["http_requests"].assert_requested(
            "GET", "/plone/@@go-home", 302
        )
