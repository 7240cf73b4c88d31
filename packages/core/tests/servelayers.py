"""Layers that test_serve.py serves with ``python -m gocept.httpserverlayer
serve`` in another process.

``NOTES_HTTP`` serves a small WSGI app over a list of notes that its base
layer empties at every testSetUp: a client adds a note (``POST /notes``),
sees it (``GET /notes``) and, after a reset, sees it gone. Every layer hook
appends its name to the file named by ``SERVE_TEST_LOG``, so that the test
sees which hooks ran, in which order.
"""

import json
import os

import plone.testing

import gocept.httpserverlayer.custom
import gocept.httpserverlayer.static
import gocept.httpserverlayer.wsgi


def log(event):
    path = os.environ.get("SERVE_TEST_LOG")
    if path:
        with open(path, "a") as f:
            f.write(f"{event}\n")


class Notes(plone.testing.Layer):
    """Resources: ``notes`` (a list, emptied per test), ``wsgi_app``."""

    def setUp(self):
        self["notes"] = []
        self["wsgi_app"] = self.app
        log("setUp")

    def tearDown(self):
        del self["wsgi_app"]
        del self["notes"]
        log("tearDown")

    def testSetUp(self):
        self["notes"].clear()
        log("testSetUp")

    def testTearDown(self):
        log("testTearDown")

    def app(self, environ, start_response):
        if environ["PATH_INFO"] != "/notes":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            self["notes"].append(environ["wsgi.input"].read(length).decode())
        body = json.dumps(self["notes"]).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]


NOTES = Notes(name="Notes", module=__name__)
NOTES_HTTP = gocept.httpserverlayer.wsgi.Layer(
    bases=(NOTES,), name="NotesHTTP", module=__name__
)
STATIC = gocept.httpserverlayer.static.Layer(name="Static", module=__name__)


class Stubborn(plone.testing.Layer):
    """Cannot be torn down, as zope.testrunner's layers may say."""

    def tearDown(self):
        log("stubborn")
        raise NotImplementedError


STUBBORN_HTTP = gocept.httpserverlayer.wsgi.Layer(
    bases=(NOTES, Stubborn(name="Stubborn", module=__name__)),
    name="StubbornHTTP",
    module=__name__,
)
CUSTOM = gocept.httpserverlayer.custom.Layer(
    gocept.httpserverlayer.custom.RequestHandler,
    name="Custom",
    module=__name__,
)
# Not a layer, and a layer without a server: what `serve` refuses.
NOT_A_LAYER = "NOTES_HTTP"
