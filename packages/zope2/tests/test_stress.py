"""Stress of the zope2 recipe (issue 8), over real sockets.

The tests are those of ``layerstress.StressTests`` in packages/core/stress
(hostile input, a raising view, load), run against this distribution's
layer: the recipe of tests/recipe.py with the views of test_recipe.py
(Zope over WSGI through wsgi.Layer).
"""

import unittest

import test_recipe

from gocept.httpserverlayer._testing.layerstress import StressTests


class ZopeRecipeStressTest(StressTests, unittest.TestCase):
    layer = test_recipe.HTTP_TESTING
    KIND = "zope2 recipe (Zope over wsgi.Layer)"
    NORMAL = ("/echo", b"GET 0")
    BROKEN = "/broken"
    REPORTS = 1
    PAGES = "/"
    REPORTED_BY = "one log record of the server, its traceback on stderr"
