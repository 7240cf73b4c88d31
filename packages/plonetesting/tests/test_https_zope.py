"""HTTP_SERVER with HTTPS on: Zope sees https, in requests and in the test."""

import http.client
import ssl
import unittest

import plone.testing
import plone.testing.zope
from fixture import ZOPE_FIXTURE

from gocept.httpserverlayer.plonetesting import ZOPE_FUNCTIONAL
from gocept.httpserverlayer.plonetesting import HTTPServer

ORIGINAL_MAKE_TEST_REQUEST = plone.testing.zope.makeTestRequest

# As HTTP_SERVER, serving HTTPS (GOCEPT_HTTP_HTTPS=1 turns it on for
# HTTP_SERVER itself).
HTTPS_SERVER = HTTPServer(
    bases=(ZOPE_FUNCTIONAL,), https=True, name="HTTPSServer", module=__name__
)
ZOPE_HTTPS = plone.testing.Layer(
    bases=(ZOPE_FIXTURE, HTTPS_SERVER), name="ZopeFixture:HTTPS"
)
# A FunctionalTesting layer on top makes a request of its own per test.
ZOPE_HTTPS_FUNCTIONAL = plone.testing.zope.FunctionalTesting(
    bases=(ZOPE_FIXTURE, HTTPS_SERVER), name="ZopeFixture:HTTPSFunctional"
)


def get(layer, path):
    context = ssl.create_default_context(cafile=layer["ca_bundle"])
    connection = http.client.HTTPSConnection(
        layer["http_host"], layer["http_port"], context=context, timeout=30
    )
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheader("Location"), response.read()
    finally:
        connection.close()


class HTTPSRequestsTest(unittest.TestCase):
    layer = ZOPE_HTTPS

    def test_zope_computes_https_urls_in_requests(self):
        url = self.layer["http_url"]
        self.assertTrue(url.startswith("https://"), url)
        self.assertEqual((200, None, url.encode()), get(self.layer, "/url"))

    def test_redirects_say_https(self):
        status, location, _ = get(self.layer, "/go")
        self.assertEqual(
            (302, f"{self.layer['http_url']}/hello"), (status, location)
        )

    def test_absolute_url_in_the_test_says_https(self):
        self.assertEqual(
            self.layer["http_url"], self.layer["app"].absolute_url()
        )


class HTTPSFunctionalTest(unittest.TestCase):
    layer = ZOPE_HTTPS_FUNCTIONAL

    def test_absolute_url_of_a_layer_on_top_says_https(self):
        self.assertEqual(
            self.layer["http_url"], self.layer["app"].absolute_url()
        )
        self.assertIsNot(
            ORIGINAL_MAKE_TEST_REQUEST, plone.testing.zope.makeTestRequest
        )


class AfterHTTPSTest(unittest.TestCase):
    def test_test_requests_are_plone_testing_s_again(self):
        # Whether this runs before or after the HTTPS layers' tests, the
        # function is plone.testing's own outside them.
        self.assertIs(
            ORIGINAL_MAKE_TEST_REQUEST, plone.testing.zope.makeTestRequest
        )
