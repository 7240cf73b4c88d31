"""The alias imports by itself and names plonetesting's objects."""

import subprocess
import sys
import unittest

import gocept.httpserverlayer.plonetesting
import gocept.httpserverlayer.plonetestingz2


class AliasTest(unittest.TestCase):
    def test_names_are_the_objects_of_plonetesting(self):
        for name in gocept.httpserverlayer.plonetestingz2.__all__:
            if name == "__version__":
                continue
            self.assertIs(
                getattr(gocept.httpserverlayer.plonetesting, name),
                getattr(gocept.httpserverlayer.plonetestingz2, name),
            )

    def test_imports_by_itself(self):
        # A fresh interpreter, where nothing imported plonetesting before.
        code = (
            "from gocept.httpserverlayer.plonetestingz2 import HTTP_SERVER;"
            " print(HTTP_SERVER.__name__)"
        )
        output = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        self.assertEqual("HTTPServer", output.strip())
