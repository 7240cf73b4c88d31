"""HTTP_SERVER over a plone.testing.zope fixture, through real HTTP."""

import contextlib
import http.client
import io
import unittest
import urllib.parse

import transaction
from fixture import MANAGER
from fixture import ZOPE_HTTP_TESTING
from OFS.Image import manage_addFile

from gocept.httpserverlayer._testing.client import request

HELLO = "Hello from Zope"


class ZopeOverHTTPTest(unittest.TestCase):
    layer = ZOPE_HTTP_TESTING

    def test_root_renders(self):
        status, body = request(self.layer, "/manage_main", auth=MANAGER)
        self.assertEqual(200, status)
        self.assertIn("acl_users", body)

    def test_view_renders(self):
        self.assertEqual(
            (200, "Hello from Zope"), request(self.layer, "/hello")
        )

    def test_resources_name_the_server(self):
        host, port = self.layer["http_host"], self.layer["http_port"]
        self.assertEqual(f"{host}:{port}", self.layer["http_address"])
        self.assertEqual(
            (host, port), (self.layer["host"], self.layer["port"])
        )

    def test_urls_the_test_computes_point_at_the_server(self):
        # FunctionalTesting builds the test's request from the host and port
        # resources, which HTTP_SERVER sets to the server's.
        url = self.layer["app"].absolute_url()
        self.assertEqual(f"http://{self.layer['http_address']}", url)

    def test_what_the_test_commits_is_served(self):
        manage_addFile(self.layer["app"], "note", b"from the test")
        transaction.commit()
        self.assertEqual((200, "from the test"), request(self.layer, "/note"))

    def test_exception_gives_500_and_the_next_request_works(self):
        # Plain Zope has no exception view: the exception leaves the
        # publisher, the server answers 500 and reports the traceback.
        with contextlib.redirect_stderr(io.StringIO()) as stderr:
            status, _ = request(self.layer, "/broken")
        self.assertEqual(500, status)
        self.assertIn("RuntimeError: broken on purpose", stderr.getvalue())
        self.assertEqual(
            (200, "Hello from Zope"), request(self.layer, "/hello")
        )

    def test_unauthorized_gives_401(self):
        self.assertEqual(401, request(self.layer, "/manage_main")[0])

    def test_requests_share_a_keep_alive_connection(self):
        connection = http.client.HTTPConnection(
            self.layer["http_host"], self.layer["http_port"], timeout=30
        )
        try:
            for _ in range(3):
                connection.request("GET", "/hello")
                response = connection.getresponse()
                self.assertEqual(b"Hello from Zope", response.read())
            self.assertFalse(response.will_close)
        finally:
            connection.close()

    def add_note_over_http(self):
        # Both isolation tests run this: whichever runs second proves that
        # the first one's change is gone, in the database and over HTTP.
        self.assertNotIn("note", self.layer["app"].objectIds())
        self.assertEqual(404, request(self.layer, "/note")[0])
        status, _ = request(
            self.layer,
            "/manage_addProduct/OFSP/manage_addFile",
            data=urllib.parse.urlencode({"id": "note"}).encode(),
            auth=MANAGER,
        )
        self.assertEqual(200, status)
        self.assertEqual(200, request(self.layer, "/note")[0])
        # The test's connection sees the request's commit from its next
        # transaction on.
        transaction.begin()
        self.assertIn("note", self.layer["app"].objectIds())

    def test_isolation_one(self):
        self.add_note_over_http()

    def test_isolation_two(self):
        self.add_note_over_http()
