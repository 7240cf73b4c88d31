"""Importing the distribution changes nothing in plone.testing's settings.

4.x overwrote plone.testing.zope's server host and port for the whole
process when it was imported. Checked in a fresh interpreter, where nothing
else has imported the package yet.
"""

import json
import subprocess
import sys
import unittest

SNAPSHOT = """
import json, os
import plone.testing.zope as z
def snapshot():
    return {
        "WSGIServer.host": z.WSGIServer.host,
        "WSGIServer.port": z.WSGIServer.port,
        "WSGI_SERVER_FIXTURE.host": z.WSGI_SERVER_FIXTURE.host,
        "WSGI_SERVER_FIXTURE.port": z.WSGI_SERVER_FIXTURE.port,
        "environ": dict(os.environ),
    }
before = snapshot()
import gocept.httpserverlayer.plonetesting
print(json.dumps([before, snapshot()]))
"""


class ImportTest(unittest.TestCase):
    def run_snapshot(self, **environ):
        process = subprocess.run(
            [sys.executable, "-c", SNAPSHOT],
            capture_output=True,
            text=True,
            env={**environ, "PATH": "/usr/bin:/bin"},
            check=True,
        )
        return json.loads(process.stdout)

    def test_import_keeps_plone_testing_server_settings(self):
        before, after = self.run_snapshot()
        self.assertEqual(before, after)

    def test_import_keeps_settings_taken_from_the_environment(self):
        before, after = self.run_snapshot(
            WSGI_SERVER_HOST="127.0.0.1",
            WSGI_SERVER_PORT="55001",
            GOCEPT_HTTP_APP_HOST="example.test",
        )
        self.assertEqual("127.0.0.1", after["WSGIServer.host"])
        self.assertEqual("55001", after["WSGIServer.port"])
        self.assertEqual(before, after)
