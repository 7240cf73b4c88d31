"""A WSGI layer on the test host, browsed from a grid node on another host.

The layer binds the test host's address that faces the nodes
(GOCEPT_HTTP_BIND_HOST), advertises it (GOCEPT_HTTP_APP_HOST), and the
page it serves, loaded by Chromium on a node, fetches from the advertised
address: the server sees the node's address as the client's.
"""

import json
import os

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer._testing import gridsupport

WSGI = gocept.httpserverlayer.wsgi.Layer(name="GridWSGI", module=__name__)
WSGI.wsgi_app = gridsupport.whoami_app(WSGI)
BROWSER = gridsupport.RemoteBrowser(WSGI, module=__name__)


class WSGIOnGridTest(gridsupport.GridTestCase):
    layer = BROWSER

    def test_layer_binds_and_advertises_the_address_facing_the_nodes(self):
        address = os.environ["GOCEPT_HTTP_APP_HOST"]
        self.assertEqual(address, self.layer["http_host"])
        self.assertEqual(address, self.layer["httpd"].server_address[0])
        self.assertNotIn(address, gridsupport.node_addresses())

    def test_browser_on_a_node_loads_the_page_and_fetches_from_it(self):
        self.driver.get(f"{self.layer['http_url']}/")
        whoami = json.loads(self.wait_for("document.body.dataset.whoami"))
        self.assertIn(whoami["client"], gridsupport.node_addresses())
        self.assertEqual(self.layer["http_address"], whoami["host"])

    def test_server_records_the_node_s_requests(self):
        self.driver.get(f"{self.layer['http_url']}/")
        self.wait_for("document.body.dataset.whoami")
        targets = [request.target for request in self.layer["http_requests"]]
        self.assertEqual(["/", "/whoami"], targets)
