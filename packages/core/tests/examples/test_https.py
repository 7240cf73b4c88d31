"""Serve HTTPS and make urllib, requests and Chromium trust exactly it."""

import os
import shutil
import ssl
import tempfile
import unittest
import urllib.request

import requests
from selenium.webdriver.chrome.options import Options

import gocept.httpserverlayer.wsgi

from .browser import CHROMIUM
from .browser import FLAGS
from .browser import SELENIUM_ENVIRON
from .browser import missing_binaries
from .browser import start_chrome


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


class HTTPSChromiumTest(unittest.TestCase):
    layer = HTTPS_LAYER

    def setUp(self):
        if missing_binaries():
            self.skipTest(f"not installed: {', '.join(missing_binaries())}")
        os.environ.update(SELENIUM_ENVIRON)
        profile = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, profile, ignore_errors=True)
        options = Options()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        # Trust this server's certificate, and no other bad one.
        options.add_argument(
            "--ignore-certificate-errors-spki-list="
            + self.layer["ca_spki_hash"]
        )
        self.driver = start_chrome(options)
        self.addCleanup(self.driver.quit)

    def test_page(self):
        self.driver.get(self.layer["http_url"] + "/")
        self.assertEqual("served over https", self.driver.title)
