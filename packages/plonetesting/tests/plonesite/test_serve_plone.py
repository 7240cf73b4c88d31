"""A Plone add-on's layer served to a Node Playwright client.

``python -m gocept.httpserverlayer serve plonesite.addon.MY_ADDON_HTTP_TESTING
--json --control`` runs in one process, serve_client.js (playwright-core
with Debian's Chromium) in another: the client adds a page through Plone's
add form, sees it, resets the layer through the control endpoint, and
sees it gone. SIGTERM then tears the Plone stack down.

Needs Node.js and ci/node/node_modules (``ci/install-grid.sh``); without
them the test skips and says why.
"""

import json
import os
import pathlib
import select
import shutil
import signal
import subprocess
import sys
import unittest

from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD

HERE = pathlib.Path(__file__).resolve().parent
REPOSITORY = HERE.parents[3]
NODE_MODULES = pathlib.Path(
    os.environ.get("GOCEPT_NODE_MODULES")
    or REPOSITORY / "ci/node/node_modules"
)
CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
START_TIMEOUT = 180  # seconds: the Plone site is set up first
CLIENT_TIMEOUT = 180


def why_not_possible():
    if shutil.which("node") is None:
        return "Node.js is not installed (ci/install-grid.sh)"
    if not (NODE_MODULES / "playwright-core").is_dir():
        return f"playwright-core is not in {NODE_MODULES} (ci/install-grid.sh)"
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is not installed (ci/install-browser.sh)"
    return None


class ServePloneTest(unittest.TestCase):
    def setUp(self):
        reason = why_not_possible()
        if reason:
            print(
                f"\nSkipping the Node client test: {reason}", file=sys.stderr
            )
            self.skipTest(reason)

    def serve(self):
        environ = {
            k: v for k, v in os.environ.items() if not k.startswith("GOCEPT_")
        }
        environ["PYTHONPATH"] = os.pathsep.join(
            [str(HERE.parent), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "gocept.httpserverlayer", "serve"]
            + ["plonesite.addon.MY_ADDON_HTTP_TESTING", "--json", "--control"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environ,
        )
        self.addCleanup(self.kill, process)
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
        line = process.stdout.readline() if ready else ""
        if not line:
            process.kill()
            self.fail(f"serve did not start: {process.stderr.read()[-2000:]}")
        return process, json.loads(line)

    def kill(self, process):
        if process.poll() is None:
            process.kill()
            process.wait(30)
        process.stdout.close()
        process.stderr.close()

    def test_node_client_adds_a_page_resets_and_sees_it_gone(self):
        process, info = self.serve()
        client = subprocess.run(
            ["node", str(HERE / "serve_client.js"), info["url"]]
            + [info["control"], SITE_OWNER_NAME, SITE_OWNER_PASSWORD],
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT,
            env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        )
        self.assertEqual(0, client.returncode, client.stderr)
        self.assertEqual(
            {
                "created": 200,
                "heading": "Made from Node",
                "reset": 200,
                "after": 404,
            },
            json.loads(client.stdout),
        )
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        self.assertEqual(0, process.returncode, stderr[-2000:])
        self.assertIn("Stopped: the layers are torn down.", stderr)
