"""Serve on IPv6: an IPv6 host is bracketed in ``http_address``.

Set the host with ``GOCEPT_HTTP_APP_HOST=::1`` for the whole run, or with
the ``host`` attribute for one layer, as here.
"""

import socket
import ssl
import unittest
import urllib.request

import gocept.httpserverlayer.wsgi


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["REMOTE_ADDR"].encode()]


IPV6_LAYER = gocept.httpserverlayer.wsgi.Layer(
    wsgi_app=app, name="IPv6Layer", module=__name__
)
IPV6_LAYER.host = "::1"


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@unittest.skipUnless(has_ipv6_loopback(), "this machine has no ::1")
class IPv6Example(unittest.TestCase):
    layer = IPV6_LAYER

    def test_address_is_bracketed(self):
        address = self.layer["http_address"]
        self.assertEqual(f"[::1]:{self.layer['http_port']}", address)
        # ca_bundle is set when the layer serves HTTPS (GOCEPT_HTTP_HTTPS=1).
        trust = ssl.create_default_context(cafile=self.layer.get("ca_bundle"))
        url = self.layer["http_url"] + "/"
        with urllib.request.urlopen(url, context=trust) as response:
            self.assertEqual(b"::1", response.read())
