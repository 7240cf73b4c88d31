"""HTTPS to a grid node: the certificate is trusted by its key's hash.

The layer makes its certificate at setUp; chrome_options(layer) puts the
hash of its public key into the session's capabilities
(``--ignore-certificate-errors-spki-list``), so Chromium on the node trusts
that certificate, with nothing installed on the node. A session without
the hash does not.
"""

import json

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer import grid
from gocept.httpserverlayer._testing import gridsupport

HTTPS = gocept.httpserverlayer.wsgi.Layer(
    name="GridHTTPS", module=__name__, https=True
)
HTTPS.wsgi_app = gridsupport.whoami_app(HTTPS)
BROWSER = gridsupport.RemoteBrowser(HTTPS, module=__name__)


class HTTPSOnGridTest(gridsupport.GridTestCase):
    layer = BROWSER

    def test_hash_of_the_layer_s_key_travels_in_the_capabilities(self):
        options = grid.chrome_options(self.layer)
        self.assertIn(
            "--ignore-certificate-errors-spki-list="
            + self.layer["ca_spki_hash"],
            options.to_capabilities()["goog:chromeOptions"]["args"],
        )

    def test_browser_on_a_node_loads_the_page_over_https(self):
        self.assertTrue(self.layer["http_url"].startswith("https://"))
        self.driver.get(f"{self.layer['http_url']}/")
        whoami = json.loads(self.wait_for("document.body.dataset.whoami"))
        self.assertIn(whoami["client"], gridsupport.node_addresses())
        self.assertEqual(
            "https:", self.driver.execute_script("return location.protocol")
        )

    def test_session_without_the_hash_does_not_trust_the_server(self):
        options = grid.chrome_options()  # no layer: no hash
        with self.assertRaises(grid.GridError) as caught:
            grid.remote_webdriver(self.layer, options)
        self.assertEqual(
            f"The grid's browser does not trust {self.layer['http_url']}/"
            " (ERR_CERT_AUTHORITY_INVALID): pass the set-up layer to"
            " chrome_options(), which trusts the layer's certificate"
            " through its ca_spki_hash resource.",
            str(caught.exception),
        )
