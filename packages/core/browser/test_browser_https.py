"""A real Chromium trusts the layer's certificate by its SPKI hash.

A layer with ``https=True`` makes a certificate at setUp; its resource
``ca_spki_hash`` is what Chromium's ``--ignore-certificate-errors-spki-list``
takes. The hash is only known once the layer is set up, so each test starts
its own browser session (with a fresh profile) with that flag. The page
loads over HTTPS without a warning page, a ``Secure`` cookie comes back,
and a browser without the flag refuses the certificate.
"""

import shutil
import tempfile
import unittest

from browsers import BrowserTestCase
from browsers import PlaywrightBrowser
from browsers import SeleniumBrowser
from browsers import _missing

import gocept.httpserverlayer.wsgi

PAGE = b"""\
<!DOCTYPE html>
<html><head><link rel="icon" href="data:,"><title>Secure page</title></head>
<body>
  <p id="cookie"></p>
  <script>
    fetch("/cookie").then((r) => r.text()).then((text) => {
      document.getElementById("cookie").textContent = text;
      document.body.dataset.state = "done";
    });
  </script>
</body></html>
"""


def app(environ, start_response):
    headers = [("Content-Type", "text/html; charset=utf-8")]
    if environ["PATH_INFO"] == "/cookie":
        body = environ.get("HTTP_COOKIE", "no cookie").encode()
    else:
        body = PAGE
        # Browsers keep a Secure cookie only from an HTTPS response.
        headers.append(("Set-Cookie", "session=s3cret; Secure; Path=/"))
    headers.append(("Content-Length", str(len(body))))
    start_response("200 OK", headers)
    return [body]


HTTPS_LAYER = gocept.httpserverlayer.wsgi.Layer(
    https=True, name="BrowserHTTPSLayer", module=__name__
)
HTTPS_LAYER.wsgi_app = app


class HTTPSScenarios:
    layer = HTTPS_LAYER

    def setUp(self):
        # Not super().setUp(): the browser is not the layer's but our own,
        # one per test (Playwright allows one per thread).
        missing = _missing(self.factory.tool)
        if missing:
            raise unittest.SkipTest(f"not installed: {missing}")

    def start_browser(self, *args):
        profile = tempfile.mkdtemp(prefix="gocept-chromium-")
        self.addCleanup(shutil.rmtree, profile, ignore_errors=True)
        browser = self.factory(profile, args)
        self.addCleanup(browser.quit)
        self.browser = browser  # for the artifacts of a failure
        return browser

    def test_page_loads_with_the_certificate_trusted_by_spki_hash(self):
        spki_hash = self.layer["ca_spki_hash"]
        self.start_browser(
            f"--ignore-certificate-errors-spki-list={spki_hash}"
        )
        url = self.layer["http_url"]
        self.assertTrue(url.startswith("https://"), url)
        self.browser.open(f"{url}/")
        self.assertEqual(
            "done",
            self.browser.wait(
                "document.body.dataset.state", "The page did not load."
            ),
        )
        # The page itself, not Chromium's warning page.
        self.assertEqual("Secure page", self.browser.run("document.title"))
        self.assertEqual("https:", self.browser.run("location.protocol"))
        self.assertEqual("session=s3cret", self.browser.text("#cookie"))
        self.layer["http_requests"].assert_requested("GET", "/cookie")

    def test_chromium_refuses_the_certificate_without_the_hash(self):
        browser = self.start_browser()
        try:
            browser.open(f"{self.layer['http_url']}/")
        except Exception as error:
            # Playwright: the navigation fails.
            self.assertIn("ERR_CERT_AUTHORITY_INVALID", str(error))
        else:
            # Selenium: Chromium shows its warning page instead.
            self.assertNotEqual("Secure page", browser.run("document.title"))
        self.layer["http_requests"].assert_not_requested("GET", "/cookie")


class SeleniumHTTPSTest(HTTPSScenarios, BrowserTestCase):
    factory = SeleniumBrowser


class PlaywrightHTTPSTest(HTTPSScenarios, BrowserTestCase):
    factory = PlaywrightBrowser
