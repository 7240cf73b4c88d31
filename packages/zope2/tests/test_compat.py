"""gocept.httpserverlayer.wsgi.FixupMiddleware is this distribution's."""

import subprocess
import sys
import textwrap
import unittest

import gocept.httpserverlayer.wsgi
import gocept.httpserverlayer.zope2


class CompatibilityTest(unittest.TestCase):
    def test_wsgi_FixupMiddleware_is_the_same_object(self):
        from gocept.httpserverlayer.wsgi import FixupMiddleware

        self.assertIs(
            gocept.httpserverlayer.zope2.FixupMiddleware, FixupMiddleware
        )
        self.assertIs(
            gocept.httpserverlayer.zope2.FixupMiddleware,
            gocept.httpserverlayer.wsgi.FixupMiddleware,
        )

    def test_without_the_distribution_wrapping_names_it(self):
        # A fresh interpreter in which the zope2 package cannot be found, as
        # when only the core is installed.
        code = textwrap.dedent("""
            import sys
            sys.modules["gocept.httpserverlayer.zope2"] = None
            from gocept.httpserverlayer.wsgi import FixupMiddleware
            try:
                FixupMiddleware(lambda environ, start_response: [])
            except ImportError as exc:
                print(exc)
        """)
        output = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        self.assertEqual(
            "FixupMiddleware is part of the distribution"
            " gocept.httpserverlayer.zope2: install it (pip install"
            " gocept.httpserverlayer.zope2) to wrap an application with it.\n",
            output,
        )
