"""An add-on's conftest.py for pytest-plone and pytest-playwright.

pytest-plone's ``fixtures_factory`` makes fixtures of the add-on's layers;
the layer with ``HTTP_SERVER`` in place of plone.testing's
``WSGI_SERVER_FIXTURE`` is the one for browser tests (``acceptance``).
The add-on's layers are those of ``plonesite/addon.py`` (its testing.py).
"""

import pytest
from plone.app.testing import PLONE_SITE_ID
from plonesite.addon import MY_ADDON_HTTP_TESTING
from pytest_plone import fixtures_factory

from gocept.httpserverlayer.browser import playwright_launch_args

globals().update(fixtures_factory(((MY_ADDON_HTTP_TESTING, "acceptance"),)))


# Where pytest-playwright's page goes for relative URLs (page.goto("doc"),
# no leading slash): the site, served by HTTP_SERVER (set up once, by the
# session fixture).
@pytest.fixture(scope="session")
def base_url(acceptance_session):
    return f"{acceptance_session['http_url']}/{PLONE_SITE_ID}/"


# Debian's Chromium (or $CHROMIUM_BINARY), trusting HTTP_SERVER's
# certificate when it serves HTTPS (GOCEPT_HTTP_HTTPS=1).
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, acceptance_session):
    spki_hash = acceptance_session.get("ca_spki_hash")
    return {**browser_type_launch_args, **playwright_launch_args(spki_hash)}
