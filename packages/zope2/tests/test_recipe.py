"""The recipe of docs/zope2.rst: a real Zope over real HTTP, per-test ZODB."""

import base64
import contextlib
import io
import ssl
import unittest
import urllib.error
import urllib.request
import uuid

import plone.testing
import plone.testing.zca
import recipe
import ZODB.POSException
import zope.component
import zope.interface
import zopeviews
from Products.Five.browser import BrowserView
from zope.publisher.interfaces.browser import IDefaultBrowserLayer


class Echo(BrowserView):
    """Tells the method and the number of body bytes Zope read."""

    __roles__ = None  # public

    def __call__(self):
        body = self.request.get("BODY", b"") or b""
        return f"{self.request.method} {len(body)}"


class Upload(BrowserView):
    """Tells the name and size of the uploaded file ``file``."""

    __roles__ = None

    def __call__(self):
        upload = self.request.form["file"]
        return f"{upload.filename} {len(upload.read())}"


class Conflict(BrowserView):
    """Raises ConflictError the first ``fail`` calls, then succeeds."""

    __roles__ = None
    calls = 0
    fail = 1

    def __call__(self):
        type(self).calls += 1
        if type(self).calls <= self.fail:
            raise ZODB.POSException.ConflictError()
        return f"called {self.calls} times"


class Broken(BrowserView):
    """Raises an exception."""

    __roles__ = None

    def __call__(self):
        raise RuntimeError("broken on purpose")


class Views(plone.testing.Layer):
    """The views the tests call, in a registry of their own."""

    defaultBases = (recipe.ZOPE_WSGI_FIXTURE,)

    def setUp(self):
        plone.testing.zca.pushGlobalRegistry()
        for name, view in [
            ("echo", Echo),
            ("upload", Upload),
            ("conflict", Conflict),
            ("broken", Broken),
        ]:
            zope.component.provideAdapter(
                view,
                (zope.interface.Interface, IDefaultBrowserLayer),
                zope.interface.Interface,
                name=name,
            )
        # The pages of the stress tests (test_stress.py).
        zopeviews.register()

    def tearDown(self):
        plone.testing.zca.popGlobalRegistry()


VIEWS = Views(name="ZopeViews")
HTTP_TESTING = plone.testing.Layer(
    bases=(VIEWS, recipe.ZOPE_HTTP_TESTING), name="ZopeViews:HTTP"
)


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    lines = []
    for name, value in fields.items():
        lines += [
            f"--{boundary}",
            f'Content-Disposition: form-data; name="{name}"',
            "",
            value,
        ]
    body = "\r\n".join(lines).encode() + b"\r\n" if lines else b""
    for name, (filename, data) in files.items():
        body += (
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="{name}";'
                f' filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class ZopeOverHTTPTest(unittest.TestCase):
    layer = HTTP_TESTING

    def open(self, path, data=None, headers=None, auth=None, method=None):
        url = self.layer["http_url"] + path
        request = urllib.request.Request(
            url, data=data, headers=headers or {}, method=method
        )
        if auth:
            token = base64.b64encode(":".join(auth).encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            # ca_bundle: set when the layer serves HTTPS (GOCEPT_HTTP_HTTPS)
            trust = ssl.create_default_context(
                cafile=self.layer.get("ca_bundle")
            )
            with urllib.request.urlopen(
                request, timeout=10, context=trust
            ) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def test_get(self):
        self.assertEqual((200, "GET 0"), self.open("/echo"))

    def test_post_with_an_empty_body(self):
        self.assertEqual((200, "POST 0"), self.open("/echo", data=b""))

    def test_post_with_a_body(self):
        headers = {"Content-Type": "application/octet-stream"}
        status, body = self.open("/echo", data=b"x" * 100, headers=headers)
        self.assertEqual((200, "POST 100"), (status, body))

    def test_file_upload(self):
        body, content_type = multipart({}, {"file": ("a.bin", b"\0" * 5000)})
        status, text = self.open(
            "/upload", data=body, headers={"Content-Type": content_type}
        )
        self.assertEqual((200, "a.bin 5000"), (status, text))

    def test_request_is_retried_on_ConflictError(self):
        # Under plone.testing, Zope's publisher does not retry itself (its
        # max-conflict-retries comes from zope.conf): repoze.retry does.
        Conflict.calls, Conflict.fail = 0, 1
        with contextlib.redirect_stderr(io.StringIO()) as stderr:
            self.assertEqual((200, "called 2 times"), self.open("/conflict"))
        self.assertEqual(2, Conflict.calls)
        self.assertIn("repoze.retry retrying, count = 1", stderr.getvalue())

    def test_manager_authenticates_with_basic_auth(self):
        status, _ = self.open("/manage_main", auth=recipe.MANAGER)
        self.assertEqual(200, status)

    def test_anonymous_is_refused_the_management_screen(self):
        status, _ = self.open("/manage_main")
        self.assertEqual(401, status)

    def test_exception_gives_500_and_the_next_request_works(self):
        with contextlib.redirect_stderr(io.StringIO()) as stderr:
            status, _ = self.open("/broken")
        self.assertEqual(500, status)
        self.assertIn("RuntimeError: broken on purpose", stderr.getvalue())
        self.assertEqual((200, "GET 0"), self.open("/echo"))

    def assert_change_is_gone_in_the_next_test(self):
        # Both tests run this: whichever runs second proves that the first
        # one's change did not survive it.
        self.assertEqual(404, self.open("/note")[0])
        body, content_type = multipart(
            {"id": "note", "title": ""}, {"file": ("note.txt", b"hello")}
        )
        status, _ = self.open(
            "/manage_addFile",
            data=body,
            headers={"Content-Type": content_type},
            auth=recipe.MANAGER,
        )
        self.assertEqual(200, status)
        self.assertEqual((200, "hello"), self.open("/note"))

    def test_isolation_one(self):
        self.assert_change_is_gone_in_the_next_test()

    def test_isolation_two(self):
        self.assert_change_is_gone_in_the_next_test()
