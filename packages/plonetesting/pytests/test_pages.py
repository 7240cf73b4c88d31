"""pytest-playwright's ``page``, logged in as a Manager, adds a page to the
site; the next test no longer sees it. Both tests do the same, so whichever
runs second proves that the first one's page is gone."""

import pytest
import transaction
from plone.app.testing import TEST_USER_ID
from plone.app.testing import TEST_USER_NAME
from plone.app.testing import setRoles

from gocept.httpserverlayer.plonetesting import log_in


# acceptance first: the page closes before the test's database goes.
@pytest.fixture
def manager_page(acceptance, page):
    portal = acceptance["portal"]
    setRoles(portal, TEST_USER_ID, ["Manager"])
    transaction.commit()
    # plone.session's auth cookie for the test user, no login form.
    log_in(page, portal, TEST_USER_NAME)
    return page


def add_page_in_the_browser(page, acceptance):
    portal = acceptance["portal"]
    assert "a-page" not in portal.objectIds()
    assert page.goto("a-page").status == 404
    page.goto("++add++Document")
    page.fill('[name="form.widgets.IDublinCore.title"]', "A page")
    page.click('[name="form.buttons.save"]')
    page.wait_for_url("**/a-page/view")
    assert page.inner_text("h1") == "A page"
    # The request committed; the test sees it from its next transaction.
    transaction.begin()
    assert portal["a-page"].Title() == "A page"
    acceptance["http_requests"].assert_requested(
        "POST", "/plone/++add++Document", 302
    )


def test_manager_adds_a_page(manager_page, acceptance):
    add_page_in_the_browser(manager_page, acceptance)


def test_the_next_test_no_longer_sees_it(manager_page, acceptance):
    add_page_in_the_browser(manager_page, acceptance)
