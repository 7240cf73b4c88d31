"""Tests of the static files WSGI application, through real HTTP clients.

Until the layers exist, each test class serves the application on its own
threaded :mod:`wsgiref` server (which offers ``wsgi.file_wrapper``), started
by a layer of the class's own. The
safety tests (traversal, bad input, odd files, escaped listings) are in
``test_static_safety``, which reuses the helpers below.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tempfile
import unittest
import urllib.error
import urllib.request
from typing import Any

import plone.testing

import gocept.httpserverlayer.static
from gocept.httpserverlayer._static import StaticFiles

CONTENT = bytes(range(256)) * 4  # 1,000 and more distinct-ish bytes
BIG = os.urandom(200_000)  # several 64 KiB blocks

MIME = {
    "a.js": "text/javascript; charset=utf-8",
    "a.mjs": "text/javascript; charset=utf-8",
    "a.css": "text/css; charset=utf-8",
    "a.svg": "image/svg+xml",
    "a.wasm": "application/wasm",
    "a.json": "application/json",
    "a.html": "text/html; charset=utf-8",
    "a.HTM": "text/html; charset=utf-8",
    "a.txt": "text/plain; charset=utf-8",
    "a.mp4": "video/mp4",
    "a.woff2": "font/woff2",
    "a.unknownext": "application/octet-stream",
    "noextension": "application/octet-stream",
}


def write(path: str, data: bytes = b"") -> str:
    """Write *data* to *path*, making parent directories; return *path*."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def snapshot(root: str) -> dict[str, Any]:
    """Names, types, contents (hashed) and directory mtimes below *root*."""
    state: dict[str, Any] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        state[dirpath] = ("dir", os.stat(dirpath).st_mtime_ns)
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                state[path] = ("link", os.readlink(path))
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    state[path] = ("file", hashlib.sha256(f.read()).digest())
    return state


def call(app: StaticFiles, path: str, method: str = "GET", **env: Any):
    """Call *app* directly; return status, headers (a dict) and body."""
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, **env}
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list) -> None:
        seen.update(status=status, headers=dict(headers))

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    return seen["status"], seen["headers"], body


class ServerLayer(plone.testing.Layer):
    """Run the server of one test class (zope.testrunner runs layers, not
    ``setUpClass``)."""

    def __init__(self, case: type[ServerMixin]) -> None:
        name = f"{case.__name__}Server"
        super().__init__(name=name, module=case.__module__)
        self.case = case

    def setUp(self) -> None:
        self.case.start_server()

    def tearDown(self) -> None:
        self.case.stop_server()

    def testSetUp(self) -> None:
        self.case.static_layer.testSetUp()


def served(case: type[ServerMixin]) -> type[ServerMixin]:
    """Class decorator: serve the test class's root in a layer of its own."""
    case.layer = ServerLayer(case)
    return case


class ServerMixin:
    """Serve ``StaticFiles`` over a temporary root for one test class.

    The root is ``<base>/root``; ``<base>/secret.txt`` and ``<base>/secret/``
    lie next to it, outside the root.
    """

    listing = False
    #: The tests of the class never write into the root: it must be
    #: byte-for-byte unchanged when they are done.
    read_only = True

    @classmethod
    def populate(cls, root: str) -> None:
        """Fill the root before the server starts (for subclasses)."""

    @classmethod
    def start_server(cls) -> None:
        cls.base = tempfile.mkdtemp(prefix="static-test-")
        cls.root = os.path.join(cls.base, "root")
        os.mkdir(cls.root)
        cls.populate(cls.root)
        cls.before = snapshot(cls.root)
        cls.app = StaticFiles(cls.root, listing=cls.listing)
        # Served by static.Layer, i.e. by our own HTTP/1.1 engine.
        cls.static_layer = gocept.httpserverlayer.static.Layer(
            cls.root, listing=cls.listing, name=f"{cls.__name__}Static"
        )
        cls.static_layer.setUp()
        cls.port = cls.static_layer["http_port"]

    @classmethod
    def stop_server(cls) -> None:
        cls.static_layer.tearDown()
        shutil.rmtree(cls.base)

    def test_zz_root_is_unchanged(self):
        # Sorted last among the class's tests; the tests of a class whose
        # root is read-only never write into it, nor may the application.
        if self.read_only:
            self.assertEqual(self.before, snapshot(self.root))

    def request(self, path: str, method: str = "GET", **headers: str):
        """Send *path* verbatim; return the response and its body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name.replace("_", "-"), value)
            conn.endheaders()
            response = conn.getresponse()
            return response, response.read()
        finally:
            conn.close()

    def get(self, path: str, **headers: str) -> tuple[int, bytes]:
        response, body = self.request(path, **headers)
        return response.status, body

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@served
class FilesTests(ServerMixin, unittest.TestCase):
    """MIME types, HEAD, conditional GET and caching."""

    @classmethod
    def populate(cls, root: str) -> None:
        for name in MIME:
            write(os.path.join(root, name), b"x")
        write(os.path.join(root, "data.bin"), CONTENT)
        write(os.path.join(root, "big.bin"), BIG)
        write(os.path.join(root, "sub", "a.txt"), b"sub")
        write(os.path.join(root, "withindex", "index.html"), b"<p>index")

    def test_mime_types(self):
        for name, expected in MIME.items():
            with self.subTest(name=name):
                response, _ = self.request(f"/{name}")
                self.assertEqual(expected, response.getheader("Content-Type"))

    def test_nosniff_and_no_store_on_files(self):
        response, _ = self.request("/a.js")
        self.assertEqual(
            "nosniff", response.getheader("X-Content-Type-Options")
        )
        self.assertEqual("no-store", response.getheader("Cache-Control"))

    def test_no_store_on_errors_and_redirects(self):
        for path in ("/missing", "/sub"):
            response, _ = self.request(path)
            self.assertEqual("no-store", response.getheader("Cache-Control"))

    def test_get_with_urllib(self):
        with urllib.request.urlopen(self.url("/data.bin")) as response:
            self.assertEqual(CONTENT, response.read())
            self.assertEqual("bytes", response.headers["Accept-Ranges"])
            self.assertEqual(
                str(len(CONTENT)), response.headers["Content-Length"]
            )

    def test_big_file_through_file_wrapper(self):
        self.assertEqual((200, BIG), self.get("/big.bin"))

    def test_full_file_goes_to_the_file_wrapper(self):
        calls = []

        def wrapper(f, size):
            calls.append((f.tell(), size))
            with f:
                return [f.read()]

        env = {"wsgi.file_wrapper": wrapper}
        body = call(self.app, "/big.bin", **env)[2]
        self.assertEqual((BIG, [(0, 65536)]), (body, calls))

    def test_big_file_without_file_wrapper(self):
        status, headers, body = call(self.app, "/big.bin")
        self.assertEqual(("200 OK", BIG), (status, body))

    def test_head_has_headers_of_get_and_no_body(self):
        get, _ = self.request("/data.bin")
        head, body = self.request("/data.bin", "HEAD")
        self.assertEqual(b"", body)
        drop = {"Date", "Server"}
        self.assertEqual(
            {k: v for k, v in get.getheaders() if k not in drop},
            {k: v for k, v in head.getheaders() if k not in drop},
        )

    def test_head_of_the_app_returns_no_body(self):
        status, headers, body = call(self.app, "/data.bin", "HEAD")
        self.assertEqual(("200 OK", b""), (status, body))
        self.assertEqual(str(len(CONTENT)), headers["Content-Length"])

    def test_etag_is_strong_and_last_modified_is_set(self):
        response, _ = self.request("/data.bin")
        self.assertRegex(response.getheader("ETag"), r'^"[0-9a-f-]+"$')
        self.assertTrue(response.getheader("Last-Modified").endswith("GMT"))

    def validators(self, path: str = "/data.bin") -> tuple[str, str]:
        response, _ = self.request(path)
        return response.getheader("ETag"), response.getheader("Last-Modified")

    def test_if_none_match_gives_304(self):
        etag, _ = self.validators()
        response, body = self.request("/data.bin", If_None_Match=etag)
        self.assertEqual((304, b""), (response.status, body))
        self.assertEqual(etag, response.getheader("ETag"))
        self.assertEqual("no-store", response.getheader("Cache-Control"))

    def test_if_none_match_list_weak_and_star(self):
        etag, _ = self.validators()
        for value in (f'"nope", W/{etag}', "*"):
            response, _ = self.request("/data.bin", If_None_Match=value)
            self.assertEqual(304, response.status, value)

    def test_if_none_match_other_tag_gives_200(self):
        self.assertEqual(200, self.get("/data.bin", If_None_Match='"x"')[0])

    def test_if_modified_since_gives_304(self):
        _, modified = self.validators()
        for method in ("GET", "HEAD"):
            response, body = self.request(
                "/data.bin", method, If_Modified_Since=modified
            )
            self.assertEqual((304, b""), (response.status, body))

    def test_if_modified_since_earlier_or_invalid_gives_200(self):
        for value in ("Sun, 06 Nov 1994 08:49:37 GMT", "yesterday"):
            status, body = self.get("/data.bin", If_Modified_Since=value)
            self.assertEqual((200, CONTENT), (status, body))

    def test_if_none_match_takes_precedence(self):
        _, modified = self.validators()
        status, _ = self.get(
            "/data.bin", If_None_Match='"x"', If_Modified_Since=modified
        )
        self.assertEqual(200, status)

    def test_304_has_no_content_length(self):
        etag, _ = self.validators()
        status, headers, body = call(
            self.app, "/data.bin", HTTP_IF_NONE_MATCH=etag
        )
        self.assertEqual(("304 Not Modified", b""), (status, body))
        self.assertNotIn("Content-Length", headers)
        self.assertIn("Last-Modified", headers)

    def test_directory_redirects_to_trailing_slash(self):
        response, _ = self.request("/sub?a=1&b=%20")
        self.assertEqual(301, response.status)
        self.assertEqual("/sub/?a=1&b=%20", response.getheader("Location"))

    def test_redirect_is_followed_by_urllib(self):
        with urllib.request.urlopen(self.url("/withindex")) as response:
            self.assertEqual(b"<p>index", response.read())

    def test_index_html(self):
        response, body = self.request("/withindex/")
        self.assertEqual((200, b"<p>index"), (response.status, body))
        ctype = response.getheader("Content-Type")
        self.assertEqual("text/html; charset=utf-8", ctype)

    def test_listing_is_off_by_default(self):
        response, body = self.request("/sub/")
        self.assertEqual(403, response.status)
        self.assertIn(b"listing=True", body)
        self.assertIn(b"Directory listings are off", body)

    def test_file_with_trailing_slash_is_404(self):
        self.assertEqual(404, self.get("/data.bin/")[0])

    def test_missing_favicon_gives_204(self):
        response, body = self.request("/favicon.ico")
        self.assertEqual((204, b""), (response.status, body))

    def test_missing_file_gives_404(self):
        status, body = self.get("/missing.js")
        self.assertEqual(
            (404, b"There is no file at this path.\n"), (status, body)
        )

    def test_other_methods_give_405(self):
        for method in ("POST", "PUT", "DELETE", "OPTIONS"):
            response, _ = self.request("/data.bin", method)
            self.assertEqual(405, response.status)
            self.assertEqual("GET, HEAD", response.getheader("Allow"))


@served
class RangeTests(ServerMixin, unittest.TestCase):
    """Byte ranges (RFC 9110, section 14)."""

    @classmethod
    def populate(cls, root: str) -> None:
        write(os.path.join(root, "data.bin"), CONTENT)
        write(os.path.join(root, "big.bin"), BIG)
        write(os.path.join(root, "empty.bin"))

    def ranged(self, value: str, path: str = "/data.bin", **headers: str):
        response, body = self.request(path, Range=value, **headers)
        return response.status, response.getheader("Content-Range"), body

    def test_first_bytes(self):
        expected = (206, f"bytes 0-9/{len(CONTENT)}", CONTENT[:10])
        self.assertEqual(expected, self.ranged("bytes=0-9"))

    def test_suffix(self):
        size = len(CONTENT)
        expected = (206, f"bytes {size - 10}-{size - 1}/{size}", CONTENT[-10:])
        self.assertEqual(expected, self.ranged("bytes=-10"))

    def test_open_ended(self):
        size = len(CONTENT)
        expected = (206, f"bytes 1000-{size - 1}/{size}", CONTENT[1000:])
        self.assertEqual(expected, self.ranged("bytes=1000-"))

    def test_end_beyond_size_is_clamped(self):
        status, _, body = self.ranged("bytes=1020-99999")
        self.assertEqual((206, CONTENT[1020:]), (status, body))

    def test_range_over_several_blocks(self):
        status, _, body = self.ranged("bytes=1000-150000", "/big.bin")
        self.assertEqual((206, BIG[1000:150001]), (status, body))

    def test_range_content_length(self):
        response, _ = self.request("/data.bin", Range="bytes=5-14")
        self.assertEqual("10", response.getheader("Content-Length"))

    def test_unsatisfiable(self):
        size = len(CONTENT)
        for value in (f"bytes={size}-", "bytes=-0"):
            status, content_range, _ = self.ranged(value)
            self.assertEqual((416, f"bytes */{size}"), (status, content_range))

    def test_range_on_empty_file_is_unsatisfiable(self):
        status, content_range, _ = self.ranged("bytes=0-", "/empty.bin")
        self.assertEqual((416, "bytes */0"), (status, content_range))

    def test_invalid_range_is_ignored(self):
        for value in ("bytes=abc", "bytes=5-1", "items=0-1", "bytes=-", "0-1"):
            status, content_range, body = self.ranged(value)
            self.assertEqual(
                (200, None, CONTENT), (status, content_range, body)
            )

    def test_several_ranges_give_the_whole_file(self):
        status, _, body = self.ranged("bytes=0-1,5-6")
        self.assertEqual((200, CONTENT), (status, body))

    def test_if_range_mismatch_gives_the_whole_file(self):
        old = "Sun, 06 Nov 1994 08:49:37 GMT"
        for value in ('"other"', old):
            status, _, body = self.ranged("bytes=0-9", If_Range=value)
            self.assertEqual((200, CONTENT), (status, body))

    def test_if_range_match_gives_the_range(self):
        response, _ = self.request("/data.bin")
        for name in ("ETag", "Last-Modified"):
            value = response.getheader(name)
            status, _, body = self.ranged("bytes=0-9", If_Range=value)
            self.assertEqual((206, CONTENT[:10]), (status, body))

    def test_head_with_range(self):
        response, body = self.request("/data.bin", "HEAD", Range="bytes=0-9")
        self.assertEqual((206, b""), (response.status, body))
        self.assertEqual("10", response.getheader("Content-Length"))


@served
class FreshFilesTests(ServerMixin, unittest.TestCase):
    """Files written while the server runs are served at once."""

    read_only = False

    def test_file_written_after_start_is_served(self):
        write(os.path.join(self.root, "late.js"), b"late")
        self.assertEqual((200, b"late"), self.get("/late.js"))

    def test_overwrite_is_seen_at_once(self):
        path = write(os.path.join(self.root, "over.txt"), b"one")
        etag = self.request("/over.txt")[0].getheader("ETag")
        write(path, b"second")
        response, body = self.request("/over.txt", If_None_Match=etag)
        self.assertEqual((200, b"second"), (response.status, body))

    def test_deleted_file_gives_404(self):
        path = write(os.path.join(self.root, "gone.txt"), b"x")
        os.unlink(path)
        self.assertEqual(404, self.get("/gone.txt")[0])

    def test_existing_favicon_is_served(self):
        write(os.path.join(self.root, "favicon.ico"), b"icon")
        response, body = self.request("/favicon.ico")
        self.assertEqual((200, b"icon"), (response.status, body))
        os.unlink(os.path.join(self.root, "favicon.ico"))

    def test_directory_created_after_start(self):
        write(os.path.join(self.root, "new", "index.html"), b"new")
        self.assertEqual((200, b"new"), self.get("/new/"))
        with self.assertRaises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(self.url("/new/missing"))
        self.assertEqual(404, raised.exception.code)
