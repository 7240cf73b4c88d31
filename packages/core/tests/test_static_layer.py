"""static.Layer: whose files it touches, and serving them over our server."""

import contextlib
import hashlib
import http.client
import os
import tempfile
import unittest

import gocept.httpserverlayer.static


def snapshot(root):
    """Names, kinds, contents and times of everything below ``root``."""
    state = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if os.path.islink(path):
                content = os.readlink(path)
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    content = hashlib.sha256(f.read()).hexdigest()
            else:
                content = "dir"
            state[os.path.relpath(path, root)] = (
                content,
                info.st_mtime_ns,
                info.st_mode,
            )
    return state


def request(layer, path, method="GET", headers=None):
    connection = http.client.HTTPConnection(
        "localhost", layer["http_port"], timeout=10
    )
    with contextlib.closing(connection):
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()


class UserRootTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.outside = tempfile.mkdtemp()
        self.addCleanup(self.remove, self.root, self.outside)
        os.mkdir(os.path.join(self.root, "sub"))
        for name in ("index.html", "sub/app.mjs", "favicon.ico"):
            with open(os.path.join(self.root, name), "w") as f:
                f.write(f"content of {name}")
        os.symlink(self.outside, os.path.join(self.root, "link"))

    def remove(self, *paths):
        import shutil

        for path in paths:
            shutil.rmtree(path, ignore_errors=True)

    def test_a_root_the_user_passed_is_never_changed(self):
        before = snapshot(self.root)
        layer = gocept.httpserverlayer.static.Layer(self.root, name="User")
        layer.setUp()
        for _ in range(2):
            layer.testSetUp()
            response, body = request(layer, "/sub/app.mjs")
            self.assertEqual(b"content of sub/app.mjs", body)
            layer.testTearDown()
        layer.tearDown()
        self.assertEqual(before, snapshot(self.root))

    def test_two_layers_alive_at_once_serve_their_own_roots(self):
        other = tempfile.mkdtemp()
        self.addCleanup(self.remove, other)
        with open(os.path.join(other, "index.html"), "w") as f:
            f.write("other root")
        first = gocept.httpserverlayer.static.Layer(self.root, name="A")
        second = gocept.httpserverlayer.static.Layer(other, name="B")
        first.setUp()
        second.setUp()
        try:
            self.assertEqual(b"content of index.html", request(first, "/")[1])
            self.assertEqual(b"other root", request(second, "/")[1])
        finally:
            second.tearDown()
            first.tearDown()


class TemporaryRootTest(unittest.TestCase):
    def setUp(self):
        self.layer = gocept.httpserverlayer.static.Layer(name="Temp")
        self.layer.setUp()
        self.addCleanup(self.layer.tearDown)
        self.layer.testSetUp()
        self.root = self.layer["documentroot"]

    def write(self, name, content):
        path = os.path.join(self.root, name)
        with open(path, "wb") as f:
            f.write(content)
        return path

    def test_testSetUp_empties_the_temporary_root(self):
        self.write("a.txt", b"a")
        os.mkdir(os.path.join(self.root, "dir"))
        self.write("dir/b.txt", b"b")
        self.layer.testSetUp()
        self.assertEqual([], os.listdir(self.root))
        self.assertTrue(os.path.isdir(self.root))

    def test_emptying_does_not_follow_symlinks_out_of_the_root(self):
        outside = tempfile.mkdtemp()
        with open(os.path.join(outside, "keep.txt"), "w") as f:
            f.write("keep")
        os.symlink(outside, os.path.join(self.root, "link"))
        self.layer.testSetUp()
        self.assertEqual(["keep.txt"], os.listdir(outside))
        os.unlink(os.path.join(outside, "keep.txt"))
        os.rmdir(outside)

    def test_a_file_written_during_the_test_is_served_at_once(self):
        self.write("page.html", b"first")
        self.assertEqual(b"first", request(self.layer, "/page.html")[1])
        self.write("page.html", b"second, longer")
        response, body = request(self.layer, "/page.html")
        self.assertEqual(b"second, longer", body)
        self.assertEqual("no-store", response.getheader("Cache-Control"))

    def test_browser_types_through_the_server(self):
        for name, expected in [
            ("m.mjs", "text/javascript; charset=utf-8"),
            ("w.wasm", "application/wasm"),
            ("i.svg", "image/svg+xml"),
        ]:
            self.write(name, b"x")
            response, _ = request(self.layer, f"/{name}")
            self.assertEqual(expected, response.getheader("Content-Type"))

    def test_large_file_goes_out_intact(self):
        data = os.urandom(10 * 1024 * 1024)
        self.write("big.bin", data)
        response, body = request(self.layer, "/big.bin")
        self.assertEqual(200, response.status)
        self.assertEqual(
            hashlib.sha256(data).digest(), hashlib.sha256(body).digest()
        )

    def test_head_and_ranges_through_the_server(self):
        self.write("video.mp4", bytes(range(256)) * 4)
        response, body = request(self.layer, "/video.mp4", "HEAD")
        self.assertEqual(
            ("1024", b""), (response.getheader("Content-Length"), body)
        )
        response, body = request(
            self.layer, "/video.mp4", headers={"Range": "bytes=10-19"}
        )
        self.assertEqual(206, response.status)
        self.assertEqual(bytes(range(10, 20)), body)
        response, _ = request(
            self.layer, "/video.mp4", headers={"Range": "bytes=5000-"}
        )
        self.assertEqual(416, response.status)

    def test_listing_is_off_unless_asked_for(self):
        os.mkdir(os.path.join(self.root, "dir"))
        self.assertEqual(403, request(self.layer, "/dir/")[0].status)
        layer = gocept.httpserverlayer.static.Layer(self.root, listing=True)
        layer.setUp()
        self.addCleanup(layer.tearDown)
        self.write("dir/listed.txt", b"")
        self.assertIn(b"listed.txt", request(layer, "/dir/")[1])

    def test_tearDown_removes_the_temporary_root(self):
        layer = gocept.httpserverlayer.static.Layer(name="Removed")
        layer.setUp()
        root = layer["documentroot"]
        layer.tearDown()
        self.assertFalse(os.path.exists(root))
        self.assertNotIn("documentroot", layer)
