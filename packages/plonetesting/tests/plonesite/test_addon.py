"""The example add-on's layers on a real Plone site, over real HTTP."""

import contextlib
import io
import unittest

import transaction
from plone.app.testing import TEST_USER_ID
from plone.app.testing import TEST_USER_NAME
from plone.app.testing import setRoles
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from gocept.httpserverlayer import browser
from gocept.httpserverlayer._testing.client import request
from gocept.httpserverlayer.plonetesting import log_in
from plonesite.addon import MY_ADDON_HTTP
from plonesite.addon import MY_ADDON_HTTP_TESTING
from plonesite.addon import MY_ADDON_SELENIUM


def add_document(portal, title):
    """Add the Document ``doc``, which TEST_USER_NAME may edit."""
    setRoles(portal, TEST_USER_ID, ["Manager"])
    portal.invokeFactory("Document", "doc", title=title)
    setRoles(portal, TEST_USER_ID, ["Member"])
    portal["doc"].manage_setLocalRoles(TEST_USER_ID, ["Editor"])


class SiteOverHTTPTest(unittest.TestCase):
    layer = MY_ADDON_HTTP_TESTING

    def test_site_root_renders(self):
        status, body = request(self.layer, "/plone")
        self.assertEqual(200, status)
        self.assertIn("Plone site", body)

    def test_document_the_test_commits_is_served(self):
        add_document(self.layer["portal"], "Committed by the test")
        transaction.commit()
        status, body = request(self.layer, "/plone/doc")
        self.assertEqual(200, status)
        self.assertIn("Committed by the test", body)

    def test_exception_in_a_view_gives_500_and_the_site_keeps_serving(self):
        with contextlib.redirect_stderr(io.StringIO()):
            status, body = request(self.layer, "/plone/@@broken")
        self.assertEqual(500, status)
        self.assertEqual(200, request(self.layer, "/plone")[0])


class HTTPOnlyTest(unittest.TestCase):
    """The shortest form: plone.testing.Layer(bases=(fixture, HTTP_SERVER))."""

    layer = MY_ADDON_HTTP

    def test_site_root_renders(self):
        status, body = request(self.layer, "/plone")
        self.assertEqual(200, status)
        self.assertIn("Plone site", body)

    def test_add_on_view_that_raises_gives_500(self):
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(500, request(self.layer, "/plone/@@broken")[0])


class BrowserTest(browser.BrowserTestCase):
    layer = MY_ADDON_SELENIUM

    def setUp(self):
        self.driver = self.layer["webdriver"]
        self.wait = WebDriverWait(self.driver, 30)
        portal = self.layer["portal"]
        self.url = portal.absolute_url()
        add_document(portal, "Before")
        transaction.commit()

    def log_in(self):
        # plone.session's cookie, made in the test: no login form.
        log_in(self.driver, self.layer["portal"], TEST_USER_NAME)
        self.driver.get(self.url)
        self.wait.until(
            expected_conditions.presence_of_element_located(
                (By.ID, "personaltools-logout")
            )
        )

    def edit_title(self):
        self.driver.get(f"{self.url}/doc/edit")
        # Plone's scripts set up the form (TinyMCE for the text) after the
        # page loaded; a key typed before that may be lost.
        self.wait.until(
            expected_conditions.presence_of_element_located(
                (By.CSS_SELECTOR, ".tox-tinymce")
            )
        )
        return self.driver.find_element(
            By.NAME, "form.widgets.IDublinCore.title"
        )

    def test_test_user_logs_in_and_sees_the_edit_view(self):
        self.log_in()
        title = self.edit_title()
        self.assertEqual("Before", title.get_attribute("value"))

    def test_no_test_inherits_a_login(self):
        # Run after (or before) the others: the browser forgot the cookie.
        self.driver.get(f"{self.url}/doc/edit")
        self.assertIn("login", self.driver.current_url)

    def assert_browser_change_is_seen_then_gone(self):
        # Both tests run this: the second proves that the first one's
        # change made through the browser is gone.
        self.assertEqual("Before", self.layer["portal"]["doc"].Title())
        self.log_in()
        title = self.edit_title()
        title.clear()
        title.send_keys("Changed in the browser")
        save = self.driver.find_element(By.NAME, "form.buttons.save")
        self.driver.execute_script("arguments[0].scrollIntoView()", save)
        save.click()
        # Read the heading in the page's own script: an element found in the
        # edit form's document and read while Chromium swaps documents can
        # fail with chromedriver's "Node with given id does not belong to
        # the document" instead of counting as stale.
        self.wait.until(
            lambda driver: (
                "Changed in the browser"
                in driver.execute_script(
                    "return document.querySelector('h1')?.textContent || ''"
                )
            )
        )
        # The request committed; the test sees it from its next transaction.
        transaction.begin()
        self.assertEqual(
            "Changed in the browser", self.layer["portal"]["doc"].Title()
        )

    def test_browser_change_one(self):
        self.assert_browser_change_is_seen_then_gone()

    def test_browser_change_two(self):
        self.assert_browser_change_is_seen_then_gone()
