"""Stress of plonetesting (issue 8), over real sockets.

The tests are those of ``layerstress.StressTests`` in packages/core/stress
(hostile input, a raising view, load), run against this distribution's
layer: the Zope fixture of tests/fixture.py (plone.testing.zope)
with HTTP_SERVER.
"""

import unittest

from fixture import ZOPE_HTTP_TESTING

from gocept.httpserverlayer._testing.layerstress import StressTests


class PloneTestingStressTest(StressTests, unittest.TestCase):
    layer = ZOPE_HTTP_TESTING
    KIND = "plonetesting (Zope with HTTP_SERVER)"
    NORMAL = ("/hello", b"Hello from Zope")
    BROKEN = "/broken"
    REPORTS = 1
    PAGES = "/"
    REPORTED_BY = "one log record of the server, its traceback on stderr"
