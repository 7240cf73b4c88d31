"""Stress of zopeappwsgi (issue 8), over real sockets.

The tests are those of ``layerstress.StressTests`` in packages/core/stress
(hostile input, a raising view, load), run against this distribution's
layer: the ZTK app of tests/ztkapp, published by zope.app.wsgi
through wsgi.Layer.
"""

import unittest

from layerstress import StressTests
from ztkapp import testing


class ZTKStressTest(StressTests, unittest.TestCase):
    layer = testing.HTTP_LAYER
    KIND = "zopeappwsgi (ZTK app over wsgi.Layer)"
    NORMAL = ("/@@read", b"no notes")
    BROKEN = "/@@broken"
    REPORTS = 0
    REPORTED_BY = "none by the server: the publisher answers its own 500 page"
