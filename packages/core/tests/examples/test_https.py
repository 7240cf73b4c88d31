"""Serve HTTPS and make urllib, requests and Chromium trust exactly it."""

import ssl
import unittest
import urllib.request

import requests

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer import browser


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    scheme = environ["wsgi.url_scheme"]
    return [f"<title>served over {scheme}</title>".encode()]


# https=True, or GOCEPT_HTTP_HTTPS=1 in the environment for every layer.
HTTPS_LAYER = gocept.httpserverlayer.wsgi.Layer(wsgi_app=app, https=True)


class HTTPSClientTest(unittest.TestCase):
    layer = HTTPS_LAYER

    def test_urllib(self):
        context = ssl.create_default_context(cafile=self.layer["ca_bundle"])
        with urllib.request.urlopen(
            self.layer["http_url"] + "/", context=context, timeout=10
        ) as response:
            self.assertIn(b"served over https", response.read())

    def test_requests(self):
        response = requests.get(
            self.layer["http_url"] + "/",
            verify=self.layer["ca_bundle"],
            timeout=10,
        )
        self.assertIn("served over https", response.text)


# A browser layer on an HTTPS layer trusts the layer's certificate (its
# ca_spki_hash, through --ignore-certificate-errors-spki-list), and no
# other invalid one.
CHROMIUM_LAYER = browser.SeleniumLayer(
    bases=(HTTPS_LAYER,), name="HTTPSChromium"
)


class HTTPSChromiumTest(unittest.TestCase):
    layer = CHROMIUM_LAYER

    def test_page(self):
        driver = self.layer["webdriver"]
        driver.get(self.layer["http_url"] + "/")
        self.assertEqual("served over https", driver.title)
