"""A static layer on the test host, browsed from a grid node."""

import os
import pathlib

import gocept.httpserverlayer.static
from gocept.httpserverlayer._testing import gridsupport

STATIC = gocept.httpserverlayer.static.Layer(
    name="GridStatic", module=__name__
)
BROWSER = gridsupport.RemoteBrowser(STATIC, module=__name__)

PAGE = """\
<!DOCTYPE html>
<html><head><link rel="icon" href="data:,"><script src="app.js"></script>
</head><body></body></html>
"""
SCRIPT = """\
fetch("data.json").then((r) => r.json()).then((data) => {
  document.body.dataset.answer = data.answer;
});
"""


class StaticOnGridTest(gridsupport.GridTestCase):
    layer = BROWSER

    def write(self, name, text):
        (pathlib.Path(self.layer["documentroot"]) / name).write_text(text)

    def test_layer_binds_and_advertises_the_address_facing_the_nodes(self):
        address = os.environ["GOCEPT_HTTP_APP_HOST"]
        self.assertEqual(address, self.layer["http_host"])
        self.assertEqual(address, self.layer["httpd"].server_address[0])

    def test_browser_on_a_node_runs_the_files_the_test_wrote(self):
        self.write("index.html", PAGE)
        self.write("app.js", SCRIPT)
        self.write("data.json", '{"answer": "from the test host"}')
        self.driver.get(f"{self.layer['http_url']}/")
        answer = self.wait_for("document.body.dataset.answer")
        self.assertEqual("from the test host", answer)
        self.assertEqual(
            ["/", "/app.js", "/data.json"],
            [r.target for r in self.layer["http_requests"]],
        )
