"""Static root safety (issue 8, part 2).

A user-supplied document root holds ordinary files, a symlink to a secret
file outside the root, a symlink to the directory outside, and a hard
link to another outside file. A corpus of traversal attempts (``..`` and
its encodings, ``%252e``, backslashes, NUL, absolute paths, ``//``, very
long paths) goes to the layer over keep-alive connections; no response
may contain a byte sequence of the secret (a random token), and the root
must be byte-for-byte unchanged afterwards (names, modes, mtimes and
SHA-256 of every entry, symlink targets included).

A hard link is a second name of the same file: a hard link inside the
root to a file created outside IS a file in the root, and it is served
(asserted below, so that the behaviour is documented). A symlink that
points out of the root is not served.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import secrets
import shutil
import socket
import tempfile
import time
import unittest

import gocept.httpserverlayer.static
from gocept.httpserverlayer._testing.capture import captured
from gocept.httpserverlayer._testing.client import Response
from gocept.httpserverlayer._testing.client import parse
from gocept.httpserverlayer._testing.stresskit import figures

SECRET = secrets.token_hex(32).encode()
LINKED = secrets.token_hex(32).encode()
DOTS = [
    "..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%252e%252e", "%25252e%25252e",
    "%c0%ae%c0%ae", "%u002e%u002e", "..%00", "...", ".%00.", "..;",
]  # fmt: skip
SEPS = ["/", "%2f", "%2F", "\\", "%5c", "//", "/./", "%252f", "\\\\"]
NAMES = ["secret.txt", "outside/secret.txt", "outside%2fsecret.txt"]


class Tree:
    """A temporary directory with ``root/`` and ``outside/``."""

    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="stress-static-")
        self.root = os.path.join(self.base, "root")
        self.outside = os.path.join(self.base, "outside")
        os.mkdir(self.root)
        os.mkdir(self.outside)
        self.secret = os.path.join(self.outside, "secret.txt")
        self.write(self.secret, SECRET)
        linked = os.path.join(self.outside, "linked.txt")
        self.write(linked, LINKED)
        self.write(os.path.join(self.root, "index.html"), b"<p>index</p>")
        os.mkdir(os.path.join(self.root, "sub"))
        self.write(os.path.join(self.root, "sub", "a.txt"), b"a" * 1000)
        os.symlink(self.secret, os.path.join(self.root, "symlink.txt"))
        os.symlink(self.outside, os.path.join(self.root, "outlink"))
        os.symlink("../../outside", os.path.join(self.root, "sub", "up"))
        os.link(linked, os.path.join(self.root, "hardlink.txt"))
        os.chmod(os.path.join(self.root, "sub", "a.txt"), 0o640)

    def write(self, path, data):
        with open(path, "wb") as f:
            f.write(data)

    def remove(self):
        shutil.rmtree(self.base)


def fingerprint(root):
    """Names, modes, mtimes, contents and link targets below ``root``."""
    digest = hashlib.sha256()
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest.update(f"{path}|{st.st_mode}|{st.st_mtime_ns}|".encode())
            if os.path.islink(path):
                digest.update(os.readlink(path).encode())
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    digest.update(hashlib.sha256(f.read()).digest())
            count += 1
    return digest.hexdigest(), count


def corpus(tree):
    """Traversal attempts: (path, method) pairs."""
    paths = []
    for dots, sep, name in itertools.product(DOTS, SEPS, NAMES):
        for depth in (1, 2, 3, 8):
            paths.append("/" + (dots + sep) * depth + name)
            paths.append("/sub/" + (dots + sep) * depth + name)
    absolute = tree.secret
    paths += [
        absolute, "/" + absolute, "//" + absolute.lstrip("/"),
        absolute.replace("/", "%2f"), absolute.replace("/", "\\"),
        "/symlink.txt", "/outlink/secret.txt", "/outlink/", "/outlink",
        "/sub/up/secret.txt", "/sub/up/", "/%2e%2e/outside/secret.txt",
        "/sub/%2e%2e/%2e%2e/outside/secret.txt", "/secret.txt%00.html",
        "/index.html%00/../../outside/secret.txt", "/.%2e/.%2e/outside/",
        "/" + "a/" * 3000 + "../" * 3002 + "outside/secret.txt",
        "/" + "x" * 5000, "/" + "../" * 4000 + "outside/secret.txt",
        "http://x/../outside/secret.txt", "http://x/%2e%2e/outside/",
        "file://" + absolute, "/" + "\x00", "/..", "/../", "/.",
    ]  # fmt: skip
    requests = []
    for path in paths:
        for method in ("GET", "HEAD"):
            requests.append((method, path, ""))
        requests.append(("GET", path, "Range: bytes=0-\r\n"))
    return requests


class StaticRootTest(unittest.TestCase):
    def setUp(self):
        self.tree = Tree()
        self.addCleanup(self.tree.remove)
        self.layer = gocept.httpserverlayer.static.Layer(
            self.tree.root, name="StaticRoot", module=__name__
        )
        self.layer.setUp()
        self.addCleanup(self.layer.tearDown)
        self.port = self.layer["http_port"]

    def request(self, method, path, extra):
        """One request on its own connection; the parsed responses."""
        data = (
            f"{method} {path} HTTP/1.1\r\nHost: x\r\n{extra}"
            "Connection: close\r\n\r\n"
        ).encode("latin-1", "surrogateescape")
        sock = socket.create_connection(("127.0.0.1", self.port), 5)
        chunks = []
        with sock:
            sock.sendall(data)
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        raw = b"".join(chunks)
        for token in (SECRET, SECRET[:16], SECRET[-16:]):
            self.assertNotIn(token, raw, (method, path))
        if method == "HEAD":
            return raw
        return parse(raw)

    def test_traversal_corpus(self):
        before = fingerprint(self.tree.root)
        requests = corpus(self.tree)
        statuses = {}
        started = time.monotonic()
        self.layer.testSetUp()
        with captured() as (stderr, records):
            for method, path, extra in requests:
                answer = self.request(method, path, extra)
                if method != "HEAD":
                    for r in answer:
                        statuses[r.status] = statuses.get(r.status, 0) + 1
                        self.assertNotIn(r.status, (200, 206), path)
            self.layer.testTearDown()
        self.assertEqual(("", []), (stderr.getvalue(), records))
        after = fingerprint(self.tree.root)
        self.assertEqual(before, after)
        figures(
            "static root safety: traversal corpus",
            attempts=len(requests),
            statuses=dict(sorted(statuses.items())),
            secret_bytes_served=0,
            seconds=f"{time.monotonic() - started:.1f}",
            root_entries_hashed=after[1],
            root_unchanged=before == after,
        )

    def test_links(self):
        """The hard link is served; the symlinks out of the root are not."""
        self.layer.testSetUp()
        response: Response = self.request("GET", "/hardlink.txt", "")[0]
        self.assertEqual((200, LINKED), (response.status, response.body))
        for path in ("/symlink.txt", "/outlink/secret.txt", "/sub/up/"):
            self.assertIn(self.request("GET", path, "")[0].status, (403, 404))
        self.layer.testTearDown()
