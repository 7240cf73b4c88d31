"""A real ZTK application over real HTTP: each test its own database."""

import base64
import concurrent.futures
import ssl
import unittest
import urllib.error
import urllib.parse
import urllib.request

import transaction
from ztkapp import testing
from ztkapp.views import Conflict
from ztkapp.views import Note
from ztkapp.views import Rendezvous

EDITOR = ("editor", "secret")


def open_url(layer, path, auth=None, **params):
    url = f"{layer['http_url']}/{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    request = urllib.request.Request(url)
    if auth:
        token = base64.b64encode(":".join(auth).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        # ca_bundle: set when the layer serves HTTPS (GOCEPT_HTTP_HTTPS).
        trust = ssl.create_default_context(cafile=layer.get("ca_bundle"))
        with urllib.request.urlopen(
            request, timeout=30, context=trust
        ) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def open_connections(db):
    return [info for info in db.connectionDebugInfo() if info["opened"]]


class HTTPTestCase(unittest.TestCase):
    layer = testing.HTTP_LAYER

    def open(self, path, auth=None, **params):
        return open_url(self.layer, path, auth, **params)

    def root_folder(self):
        # ZODBLayer's connection in the test's thread, closed after the test.
        return testing.ZODB_LAYER.getRootFolder()


class IsolationTest(HTTPTestCase):
    def assert_change_is_gone_in_the_next_test(self):
        # Both tests run this: whichever runs second proves that the
        # first one's change did not survive it.
        self.assertEqual((200, "no notes"), self.open("@@read"))
        status, _ = self.open("@@write", EDITOR, name="note", text="hello")
        self.assertEqual(200, status)
        self.assertEqual((200, "note=hello"), self.open("@@read"))

    def test_isolation_one(self):
        self.assert_change_is_gone_in_the_next_test()

    def test_isolation_two(self):
        self.assert_change_is_gone_in_the_next_test()


class VisibilityTest(HTTPTestCase):
    def test_change_through_http_is_visible_to_the_test(self):
        root = self.root_folder()
        self.assertNotIn("note", root)
        self.open("@@write", EDITOR, name="note", text="from HTTP")
        # A connection sees other transactions' commits from its next
        # transaction on.
        transaction.begin()
        self.assertEqual("from HTTP", root["note"].text)

    def test_new_connection_sees_change_through_http(self):
        self.open("@@write", EDITOR, name="note", text="from HTTP")
        with testing.ZODB_LAYER.db.transaction() as connection:
            folder = connection.root()["Application"]
            self.assertEqual("from HTTP", folder["note"].text)

    def test_change_committed_by_the_test_is_visible_to_the_next_request(self):
        self.root_folder()["note"] = Note("from the test")
        transaction.commit()
        self.assertEqual((200, "note=from the test"), self.open("@@read"))

    def test_uncommitted_change_is_not_visible_to_requests(self):
        self.root_folder()["note"] = Note("not committed")
        self.assertEqual((200, "no notes"), self.open("@@read"))


class SecurityTest(HTTPTestCase):
    def test_anonymous_may_read(self):
        self.assertEqual(200, self.open("@@read")[0])

    def test_anonymous_is_asked_to_log_in_to_write(self):
        self.assertEqual(401, self.open("@@write", text="x")[0])
        self.assertEqual((200, "no notes"), self.open("@@read"))

    def test_principal_logs_in_with_basic_auth(self):
        status, body = self.open("@@write", EDITOR, text="x")
        self.assertEqual((200, "wrote note as ztkapp.editor"), (status, body))

    def test_wrong_password_is_refused(self):
        self.assertEqual(401, self.open("@@write", ("editor", "wrong"))[0])


class ConnectionTest(HTTPTestCase):
    def setUp(self):
        Rendezvous.arrived, Rendezvous.expected = 0, 2

    def test_concurrent_requests_each_get_their_own_connection(self):
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            futures = [
                pool.submit(open_url, self.layer, "@@rendezvous", name=name)
                for name in ("a", "b")
            ]
            results = [future.result() for future in futures]
        (status_a, body_a), (status_b, body_b) = results
        self.assertEqual((200, 200), (status_a, status_b))
        jar_a, met_a, seen_a = body_a.split()
        jar_b, met_b, seen_b = body_b.split()
        # Both views were running at the same time, on two connections,
        # and each saw its own uncommitted note only.
        self.assertEqual(("True", "True"), (met_a, met_b))
        self.assertNotEqual(jar_a, jar_b)
        self.assertEqual(("a", "b"), (seen_a, seen_b))
        self.assertEqual((200, "a=a b=b"), self.open("@@read"))

    def test_no_connection_stays_open_after_requests(self):
        db = testing.ZODB_LAYER.db
        for _ in range(5):
            self.open("@@read")
        self.open("@@broken")
        self.assertEqual([], open_connections(db))


class ErrorTest(HTTPTestCase):
    def setUp(self):
        Conflict.calls = 0

    def test_exception_gives_500_and_the_next_request_works(self):
        status, body = self.open("@@broken")
        self.assertEqual(500, status)
        self.assertIn("<title>RuntimeError</title>", body)
        self.assertEqual((200, "no notes"), self.open("@@read"))

    def test_ConflictError_is_retried_by_the_publisher(self):
        Conflict.fail = 2
        self.assertEqual((200, "called 3 times"), self.open("@@conflict"))
        self.assertEqual((200, "conflict=3"), self.open("@@read"))

    def test_ConflictError_is_not_swallowed(self):
        # The publisher retries the request three times (zope.publisher's
        # HTTPRequest), aborting each attempt; then it answers 500 with
        # the name of the exception, and nothing of it is committed.
        Conflict.fail = 100
        status, body = self.open("@@conflict")
        self.assertEqual(500, status)
        self.assertIn("<title>ConflictError</title>", body)
        self.assertEqual(4, Conflict.calls)
        self.assertEqual((200, "no notes"), self.open("@@read"))
