"""A Plone site through HTTP_SERVER, browsed from a grid node.

HTTP_SERVER binds and advertises the test host's address that faces the
nodes (GOCEPT_HTTP_BIND_HOST, GOCEPT_HTTP_APP_HOST); the page a test
commits is rendered for Chromium on a node, with the site's links built
from the advertised address, and is gone in the next test.
"""

import os

import plone.app.testing
import transaction
from plone.app.testing import PLONE_FIXTURE
from plone.app.testing import TEST_USER_ID
from plone.app.testing import setRoles

from gocept.httpserverlayer._testing import gridsupport
from gocept.httpserverlayer.plonetesting import HTTP_SERVER

PLONE_HTTP = plone.app.testing.FunctionalTesting(
    bases=(PLONE_FIXTURE, HTTP_SERVER), name="GridPlone:HTTP"
)
BROWSER = gridsupport.RemoteBrowser(PLONE_HTTP, module=__name__)


class PloneOnGridTest(gridsupport.GridTestCase):
    layer = BROWSER

    def test_http_server_binds_and_advertises_the_address_facing_nodes(self):
        address = os.environ["GOCEPT_HTTP_APP_HOST"]
        self.assertEqual(address, self.layer["http_host"])
        self.assertEqual(address, self.layer["httpd"].server_address[0])
        self.assertEqual(
            f"{self.layer['http_url']}/plone",
            self.layer["portal"].absolute_url(),
        )

    def assert_page_is_served_then_gone(self):
        # Both tests run this: the second proves that the first one's
        # page is gone.
        url = f"{self.layer['http_url']}/plone/grid-page"
        self.driver.get(url)
        self.assertNotIn("Made on the test host", self.driver.title)
        portal = self.layer["portal"]
        setRoles(portal, TEST_USER_ID, ["Manager"])
        portal.invokeFactory(
            "Document", "grid-page", title="Made on the test host"
        )
        transaction.commit()
        self.driver.get(url)
        self.assertIn("Made on the test host", self.driver.title)
        # The site builds its links from the address the browser used.
        self.assertEqual(
            f"{url}",
            self.driver.execute_script(
                "return document.querySelector('link[rel=canonical]').href"
            ),
        )

    def test_page_the_test_committed_is_rendered_on_a_node_one(self):
        self.assert_page_is_served_then_gone()

    def test_page_the_test_committed_is_rendered_on_a_node_two(self):
        self.assert_page_is_served_then_gone()
