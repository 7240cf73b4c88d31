"""Assert on the requests the server answered during the test.

Every layer exposes ``http_requests``, emptied before each test. Its
assertions say what the server received instead when they fail, with the
near misses (here, a request for ``/app.mjs`` would be one for ``/app.js``).
"""

import ssl
import unittest
import urllib.request

import gocept.httpserverlayer.static


class RequestRecordExample(unittest.TestCase):
    layer = gocept.httpserverlayer.static.STATIC_FILES

    def test_page_loads_its_script(self):
        root = self.layer["documentroot"]
        with open(f"{root}/app.js", "w") as f:
            f.write("console.log('hello');")
        # ca_bundle is set when the layer serves HTTPS (GOCEPT_HTTP_HTTPS=1).
        trust = ssl.create_default_context(cafile=self.layer.get("ca_bundle"))
        url = self.layer["http_url"] + "/app.js?v=1"
        urllib.request.urlopen(url, context=trust).close()

        requests = self.layer["http_requests"]
        found = requests.assert_requested("GET", "/app.js", status=200)
        self.assertEqual("v=1", found.query)
        requests.assert_not_requested("GET", "/missing.js")
