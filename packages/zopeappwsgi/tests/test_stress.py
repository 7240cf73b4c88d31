"""Stress of the zopeappwsgi layer (issue 8), over real sockets.

The tests are those of ``layerstress`` in packages/core/stress (hostile
input, a raising view, load, slow clients, soak), run against this
distribution's layer: the ZTK app of tests/ztkapp, published by
zope.app.wsgi through wsgi.Layer.

The ZTK stack keeps memory for its requests also without any HTTP server
(about 11 MiB per 10,000 requests made straight to its WSGI app, measured
by ``app_growth``; cause not found). So the RSS of the 100,000 requests is
reported here, not bounded; threads and file descriptors are held to
"no growth" as everywhere.
"""

import gc
import unittest
import wsgiref.util

from ztkapp import testing

from gocept.httpserverlayer._testing import stresskit
from gocept.httpserverlayer._testing.layerstress import KnownAppLeak
from gocept.httpserverlayer._testing.layerstress import StressTests
from gocept.httpserverlayer._testing.layerstress import next_test
from gocept.httpserverlayer._testing.stresskit import figures

DIRECT = 5000


class ZTKStressTest(KnownAppLeak, StressTests, unittest.TestCase):
    layer = testing.HTTP_LAYER
    KIND = "zopeappwsgi (ZTK app over wsgi.Layer)"
    NORMAL = ("/@@read", b"no notes")
    BROKEN = "/@@broken"
    REPORTS = 0
    REPORTED_BY = "none by the server: the publisher answers its own 500 page"
    PAGES = "/@@"
    # The form parser of zope.publisher (the multipart distribution) leaves
    # the temporary file of a file part unclosed when the body ends before
    # the part's delimiter: a ResourceWarning, not a fault of the server.
    KNOWN_APP_LEAK = "multipart.py"

    def app_growth(self, requests):
        """What the stack keeps without HTTP: DIRECT requests straight to
        the WSGI app in each of 3 tests (after a warm-up test). Reported;
        the RSS of the soak is not bounded (see the module's docstring)."""
        app = self.layer["wsgi_app"]
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/@@stress-tiny"}
        wsgiref.util.setup_testing_defaults(environ)
        rss = []
        for _ in range(4):
            next_test(self.layer)
            for _ in range(DIRECT):
                b"".join(app(dict(environ), lambda *args: None))
            gc.collect()
            rss.append(stresskit.rss())
        per_request = (rss[-1] - rss[0]) / (3 * DIRECT)
        figures(
            f"soak, the application without HTTP, {self.KIND}",
            requests=f"{DIRECT:,} per test, straight to the WSGI app",
            rss_after_each_test=" ".join(f"{n / 2**20:.0f}" for n in rss)
            + " MiB (the first: warm-up)",
            kept_per_10000_requests=stresskit.mib(per_request * 10_000),
        )
        return None  # not bounded
