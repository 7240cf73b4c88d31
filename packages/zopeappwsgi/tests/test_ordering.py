"""The layers under zope.testrunner, with other layers before and after."""

import os
import pathlib
import re
import subprocess
import sys
import unittest

HERE = pathlib.Path(__file__).parent


def run_zope_testrunner():
    env = dict(os.environ, PYTHONPATH=str(HERE))
    result = subprocess.run(
        [sys.executable, "-m", "zope.testrunner", "--path",
         str(HERE / "ordering"), "--tests-pattern", "^ordering_", "-vv"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


class OrderingTest(unittest.TestCase):
    def test_ztk_layers_between_other_layers(self):
        returncode, output = run_zope_testrunner()
        output = re.sub(r"\x1b\[[0-9;]*m", "", output)
        self.assertEqual(0, returncode, output)
        self.assertIn("Total: 5 tests, 0 failures, 0 errors", output)
        self.assertNotIn("gocept.httpserverlayer:", output)
        steps = [
            "Running ordering_layers.A:Before tests",
            "Set up ztkapp.ZTKApp:ZODB",
            "Set up ztkapp.testing.ZTKApp:WSGI",
            "Set up ztkapp.testing.ZTKApp:HTTP",
            # zope.testrunner names the next layer, then tears down the
            # layers it does not need: the server before the database.
            "Running zz_after.Z:After tests",
            "Tear down ztkapp.testing.ZTKApp:HTTP",
            "Tear down ztkapp.testing.ZTKApp:WSGI",
            "Tear down ztkapp.ZTKApp:ZODB",
            "Set up zz_after.Z:After",
        ]
        positions = [output.find(step) for step in steps]
        self.assertNotIn(-1, positions, output)
        self.assertEqual(sorted(positions), positions, output)
