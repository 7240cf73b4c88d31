"""Typed resources: what a type checker sees of a layer's resources.

``layer["http_url"]`` is untyped, as plone.testing's layers are.
``gocept.httpserverlayer.resources(layer)`` gives the same resources as a
``TypedDict``: ``["http_url"]`` is a ``str``, ``["http_requests"]`` a
``RequestLog``, ``["wsgi_app"]`` a WSGI application, and ``mypy --strict``
holds a test to them. ``tox -e typecheck`` checks this file so.
"""

from __future__ import annotations

import ssl
import unittest
import urllib.request
from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import assert_type

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer import RequestLog
from gocept.httpserverlayer import resources

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIApplication  # noqa: F401 (a type below)
    from _typeshed.wsgi import WSGIEnvironment


def hello(
    environ: WSGIEnvironment, start_response: StartResponse
) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, typed world"]


HTTP_LAYER = gocept.httpserverlayer.wsgi.Layer(wsgi_app=hello)


class TypedResourcesExample(unittest.TestCase):
    layer = HTTP_LAYER

    def test_hello(self) -> None:
        server = resources(self.layer)
        url = assert_type(server["http_url"], str)
        # ca_bundle: only when the layer serves HTTPS (GOCEPT_HTTP_HTTPS=1).
        trust = ssl.create_default_context(cafile=server.get("ca_bundle"))
        with urllib.request.urlopen(f"{url}/hello", context=trust) as response:
            self.assertEqual(b"Hello, typed world", response.read())
        requests = assert_type(server["http_requests"], RequestLog)
        requests.assert_requested("GET", "/hello", status=200)

    def test_the_application(self) -> None:
        app = assert_type(self.layer.wsgi_app, "WSGIApplication | None")
        self.assertIs(hello, app)
