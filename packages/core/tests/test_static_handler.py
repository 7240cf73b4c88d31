"""static.StaticFileRequestHandler, 4.x's file handler, under custom.Layer."""

import os
import tempfile
import unittest

from support import captured_stderr
from test_custom import get

import gocept.httpserverlayer.custom
import gocept.httpserverlayer.static


class Files(gocept.httpserverlayer.static.StaticFileRequestHandler):
    documentroot = None  # set at setUp, as 4.x's static layer did


class FilesLayer(gocept.httpserverlayer.custom.Layer):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        base = self.tmp.name
        os.mkdir(os.path.join(base, "root"))
        with open(os.path.join(base, "root", "page.html"), "w") as f:
            f.write("<p>inside</p>")
        with open(os.path.join(base, "secret.txt"), "w") as f:
            f.write("outside")
        os.symlink(
            os.path.join(base, "secret.txt"),
            os.path.join(base, "root", "link.txt"),
        )
        Files.documentroot = os.path.join(base, "root")
        super().setUp()

    def tearDown(self):
        super().tearDown()
        Files.documentroot = None
        self.tmp.cleanup()


FILES_LAYER = FilesLayer(Files, name="FilesLayer")


class StaticFileRequestHandlerTest(unittest.TestCase):
    layer = FILES_LAYER

    def get(self, path):
        return get(path, self.layer["http_port"])

    def test_serves_a_file_of_the_documentroot(self):
        self.assertEqual((200, b"<p>inside</p>"), self.get("/page.html"))

    def test_dot_dot_stays_inside(self):
        self.assertEqual(404, self.get("/../secret.txt")[0])

    def test_symlink_out_of_the_root_is_not_served(self):
        self.assertEqual(404, self.get("/link.txt")[0])

    def test_unset_documentroot_is_reported_with_the_fix(self):
        Files.documentroot, root = None, Files.documentroot
        try:
            with captured_stderr() as stderr:
                # The server closes the connection unanswered: a reset, or
                # a close before the status line (RemoteDisconnected).
                with self.assertRaises(ConnectionResetError):
                    self.get("/page.html")
        finally:
            Files.documentroot = root
        self.assertIn(
            "Files.documentroot is not set: set it to the directory to serve",
            stderr.getvalue(),
        )
        self.assertEqual(200, self.get("/page.html")[0])
