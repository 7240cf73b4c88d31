"""Safety of the static files application: nothing outside the root is
served, bad requests get a 4xx, listings escape names, and the root is never
changed.

A secret file lies next to the root (``<base>/secret.txt``) and in a sibling
directory (``<base>/secret/passwd``); no response may ever contain it.
"""

from __future__ import annotations

import collections
import itertools
import os
import shutil
import tempfile
import threading
import unittest
import unittest.mock

from test_static_app import ServerMixin
from test_static_app import call
from test_static_app import served
from test_static_app import write

from gocept.httpserverlayer import _static

SECRET = b"TOP-SECRET-5f1c0e"

TRAVERSALS = [
    "/../secret.txt",
    "/../../secret.txt",
    "/./../secret.txt",
    "/sub/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/.%2e/secret.txt",
    "/..%2fsecret.txt",
    "/%2e%2e%2fsecret.txt",
    "/%252e%252e/secret.txt",
    "/%252e%252e%252fsecret.txt",
    "/..\\secret.txt",
    "/..%5csecret.txt",
    "/%5c..%5csecret.txt",
    "/secret.txt%00",
    "/%00/../secret.txt",
    "/../secret/passwd",
    "/out.txt",
    "/abs_out.txt",
    "/outdir/passwd",
    "/outdir/",
    "/outdir",
    "/etc/passwd",
    "//etc/passwd",
]


@served
class TraversalTests(ServerMixin, unittest.TestCase):
    """No request reaches a file outside the root."""

    @classmethod
    def populate(cls, root: str) -> None:
        write(os.path.join(cls.base, "secret.txt"), SECRET)
        write(os.path.join(cls.base, "secret", "passwd"), SECRET)
        write(os.path.join(root, "ok.txt"), b"ok")
        write(os.path.join(root, "real.txt"), b"inside")
        write(os.path.join(root, "sub", "file.txt"), b"in sub")
        write(os.path.join(root, "%2e%2e", "x"), b"literal")
        write(os.path.join(root, "caf\u00e9.txt"), b"cafe")
        os.symlink("real.txt", os.path.join(root, "in.txt"))
        os.symlink("sub", os.path.join(root, "indir"))
        os.symlink("../secret.txt", os.path.join(root, "out.txt"))
        abs_secret = os.path.join(cls.base, "secret.txt")
        os.symlink(abs_secret, os.path.join(root, "abs_out.txt"))
        os.symlink("../secret", os.path.join(root, "outdir"))
        write(os.path.join(root, "pages", "index.html"), b"page")
        os.symlink("pages", os.path.join(root, "pagelink"))
        os.mkdir(os.path.join(root, "leak"))
        os.symlink(abs_secret, os.path.join(root, "leak", "index.html"))
        os.symlink(
            os.path.join(os.path.realpath(root), "sub"),
            os.path.join(root, "absin"),
        )

    def assertRefused(self, path: str) -> None:
        status, body = self.get(path)
        self.assertIn(status, (301, 400, 404), path)
        self.assertNotIn(SECRET, body, path)
        self.assertNotIn(b"root:", body, path)

    def assertStillServing(self) -> None:
        self.assertEqual((200, b"ok"), self.get("/ok.txt"))

    def test_traversals_are_refused(self):
        for path in TRAVERSALS:
            with self.subTest(path=path):
                self.assertRefused(path)
        self.assertStillServing()

    def test_absolute_paths_to_the_secret_are_refused(self):
        secret = os.path.join(self.base, "secret.txt")
        for path in (secret, "/" + secret, secret.replace("/", "%2f")):
            with self.subTest(path=path):
                self.assertRefused(path)

    def test_absolute_form_request_target(self):
        self.assertRefused(self.url("/../secret.txt"))

    def test_dotdot_gives_404(self):
        self.assertEqual(404, self.get("/%2e%2e/secret.txt")[0])

    def test_backslash_and_nul_give_400(self):
        for path in ("/..\\secret.txt", "/ok.txt%00", "/a%5cb"):
            self.assertEqual(400, self.get(path)[0], path)

    def test_invalid_utf8_gives_400(self):
        for path in ("/%ff", "/%c3%28.txt"):
            self.assertEqual(400, self.get(path)[0], path)
        self.assertStillServing()

    def test_percent_escapes_are_decoded_only_once(self):
        self.assertEqual((200, b"literal"), self.get("/%252e%252e/x"))

    def test_utf8_names_are_served(self):
        self.assertEqual((200, b"cafe"), self.get("/caf%C3%A9.txt"))

    def test_symlink_inside_the_root_is_served(self):
        self.assertEqual((200, b"inside"), self.get("/in.txt"))
        self.assertEqual((200, b"in sub"), self.get("/indir/file.txt"))

    def test_index_through_a_symlinked_directory_is_served(self):
        self.assertEqual((200, b"page"), self.get("/pagelink/"))
        self.assertEqual((200, b"in sub"), self.get("/absin/file.txt"))

    def test_index_html_linked_out_of_the_root_is_not_served(self):
        status, body = self.get("/leak/")
        self.assertEqual(403, status)  # a directory without index.html
        self.assertNotIn(SECRET, body)

    def test_root_reached_through_a_symlink(self):
        link = os.path.join(self.base, "rootlink")
        if not os.path.lexists(link):
            os.symlink(self.root, link)
        app = _static.StaticFiles(link)
        self.assertEqual("200 OK", call(app, "/ok.txt")[0])
        self.assertEqual("200 OK", call(app, "/indir/file.txt")[0])
        self.assertEqual("404 Not Found", call(app, "/out.txt")[0])

    def test_symlink_out_of_the_root_gives_404(self):
        for path in ("/out.txt", "/abs_out.txt", "/outdir/passwd"):
            self.assertEqual(404, self.get(path)[0], path)

    def test_paths_the_wire_cannot_carry(self):
        for path in ("//etc/passwd", "/\u20ac", "/../secret.txt", ""):
            status, _, body = call(self.app, path, SCRIPT_NAME="")
            self.assertNotIn(SECRET, body)
            self.assertRegex(status, "^(301|400|404) ", path)

    def test_redirect_never_leaves_the_host(self):
        _, headers, _ = call(self.app, "//indir", SCRIPT_NAME="")
        self.assertEqual("/indir/", headers["Location"])

    def test_redirect_keeps_script_name(self):
        _, headers, _ = call(self.app, "/sub", SCRIPT_NAME="/static")
        self.assertEqual("/static/sub/", headers["Location"])

    def test_modifying_methods_are_refused(self):
        for method in ("PUT", "DELETE", "POST", "PATCH", "MKCOL"):
            self.assertEqual(405, self.request("/ok.txt", method)[0].status)
        self.assertStillServing()


@served
class OddFilesTests(ServerMixin, unittest.TestCase):
    """Files that vanish, cannot be read, or are no regular files."""

    read_only = False

    @classmethod
    def populate(cls, root: str) -> None:
        write(os.path.join(root, "ok.txt"), b"ok")
        write(os.path.join(root, "sub", "a.txt"), b"a")

    def test_file_vanishing_between_stat_and_open_gives_404(self):
        environ = {"REQUEST_METHOD": "GET"}
        status = _static._file(environ, os.path.join(self.root, "nope"))[0]
        self.assertEqual("404 Not Found", status)

    def test_unreadable_file_gives_403(self):
        with unittest.mock.patch.object(
            _static.os, "open", side_effect=PermissionError
        ):
            status, _, body = call(self.app, "/ok.txt")
        self.assertEqual(
            ("403 Forbidden", b"The file may not be read.\n"), (status, body)
        )

    def test_unstatable_file_gives_403(self):
        # The lookup of a path takes lstat() of each name (stat() only
        # behind a symbolic link).
        with unittest.mock.patch.object(
            _static.os, "lstat", side_effect=PermissionError
        ):
            self.assertEqual("403 Forbidden", call(self.app, "/ok.txt")[0])

    @unittest.skipIf(os.geteuid() == 0, "root reads every file")
    def test_chmod_000_gives_403(self):
        path = os.path.join(self.root, "ok.txt")
        os.chmod(path, 0)
        try:
            self.assertEqual(403, self.get("/ok.txt")[0])
        finally:
            os.chmod(path, 0o644)

    def test_fifo_gives_404_without_blocking(self):
        os.mkfifo(os.path.join(self.root, "fifo"))
        result = []
        thread = threading.Thread(
            target=lambda: result.append(self.get("/fifo")[0]), daemon=True
        )
        thread.start()
        thread.join(5)
        self.assertEqual([404], result)

    def test_error_bodies_have_content_length(self):
        for path in ("/missing", "/sub/", "/%ff"):
            response, body = self.request(path)
            length = response.getheader("Content-Length")
            self.assertEqual(str(len(body)), length, path)
            self.assertTrue(body.endswith(b".\n"), path)


@served
class ListingTests(ServerMixin, unittest.TestCase):
    """Directory listings, when turned on."""

    listing = True

    @classmethod
    def populate(cls, root: str) -> None:
        write(os.path.join(root, "b.txt"))
        write(os.path.join(root, "a.txt"))
        write(os.path.join(root, "<b>&.txt"))
        write(os.path.join(root, "sub dir", "x.txt"))

    def test_listing_shows_names_sorted(self):
        status, body = self.get("/")
        self.assertEqual(200, status)
        self.assertLess(body.index(b">a.txt<"), body.index(b">b.txt<"))
        self.assertIn(b'<a href="sub%20dir/">sub dir/</a>', body)

    def test_listing_escapes_names(self):
        body = self.get("/")[1]
        self.assertIn(b'href="%3Cb%3E%26.txt">&lt;b&gt;&amp;.txt<', body)
        self.assertNotIn(b"<b>", body)

    def test_listing_of_subdirectory(self):
        response, body = self.request("/sub%20dir/")
        self.assertIn(b'<a href="x.txt">x.txt</a>', body)
        ctype = response.getheader("Content-Type")
        self.assertEqual("text/html; charset=utf-8", ctype)


class LookupTests(unittest.TestCase):
    """``_find`` (one lstat per name, links resolved where there are any)
    decides every path as resolving the whole of it with realpath() and
    checking it against the root does (what the lookup did before, and
    what its safety rests on): over every sequence of up to three names of
    a tree with links of every kind."""

    NAMES = [
        "file.txt", "dir", "inner.txt", "index.html", "link_file",
        "link_dir", "link_abs_dir", "link_out", "link_out_dir", "link_up_in",
        "dangling", "loop", "chain", "back", "escape", "secret.txt", "in",
        "nope",
    ]  # fmt: skip

    def setUp(self):
        self.base = tempfile.mkdtemp(prefix="static-lookup-")
        self.addCleanup(shutil.rmtree, self.base)
        root = os.path.join(self.base, "root")
        outside = os.path.join(self.base, "outside")
        write(os.path.join(root, "file.txt"), b"f")
        write(os.path.join(root, "dir", "inner.txt"), b"i")
        write(os.path.join(root, "dir", "index.html"), b"x")
        write(os.path.join(outside, "secret.txt"), SECRET)
        write(os.path.join(outside, "index.html"), SECRET)
        links = {
            "root/link_file": "file.txt",
            "root/link_dir": "dir",
            "root/link_abs_dir": os.path.join(os.path.realpath(root), "dir"),
            "root/link_out": "../outside/secret.txt",
            "root/link_out_dir": "../outside",
            "root/link_up_in": "../root/dir",
            "root/dangling": "nope",
            "root/loop": "loop",
            "root/chain": "link_dir",
            "root/dir/back": "..",
            "root/dir/escape": "../..",
            "outside/in": "../root/dir",
        }
        for name, target in links.items():
            os.symlink(target, os.path.join(self.base, name))
        self.root = os.path.realpath(root)

    def outcome(self, lookup, names):
        try:
            found = lookup(self.root, self.root, names)
        except OSError as e:
            return ("error", e.errno)
        if found is None:
            return ("outside",)
        path, st = found
        return ("found", path, st.st_ino, st.st_mode)

    @staticmethod
    def by_realpath(root, base, names):
        resolved = _static._inside(root, os.path.join(base, *names))
        if resolved is None:
            return None
        return resolved, os.stat(resolved)

    def test_the_lookup_decides_as_realpath_does(self):
        outcomes = collections.Counter()
        for length in range(4):
            for names in itertools.product(self.NAMES, repeat=length):
                names = list(names)
                expected = self.outcome(self.by_realpath, names)
                got = self.outcome(_static._find, names)
                self.assertEqual(expected, got, names)
                outcomes[got[0]] += 1
        # The tree reaches all three outcomes, many times.
        self.assertGreater(min(outcomes.values()), 50, outcomes)
        self.assertEqual(3, len(outcomes), outcomes)

    def test_nothing_outside_is_found(self):
        for names in (["link_out"], ["link_out_dir", "secret.txt"],
                      ["dir", "escape", "outside", "secret.txt"],
                      ["dir", "back", "link_out"]):  # fmt: skip
            self.assertEqual(("outside",), self.outcome(_static._find, names))
        # Out and back in is inside: served, as realpath() says.
        self.assertEqual(
            "found", self.outcome(_static._find, ["link_out_dir", "in"])[0]
        )
