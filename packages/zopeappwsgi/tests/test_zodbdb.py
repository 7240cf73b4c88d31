"""The same application over a plone.testing ``zodbDB`` resource."""

import unittest

import transaction
from test_isolation import EDITOR
from test_isolation import open_connections
from test_isolation import open_url
from ztkapp import testing
from ztkapp import zodbresource
from ztkapp.views import Note


class ZODBResourceTest(unittest.TestCase):
    layer = zodbresource.HTTP_LAYER

    def open(self, path, auth=None, **params):
        return open_url(self.layer, path, auth, **params)

    def test_publishes_the_zodbDB_resource_of_the_running_test(self):
        db = self.layer["zodbDB"]
        self.assertIs(db, zodbresource.WSGI_LAYER.get_current_zodb())
        self.assertIsNot(db, testing.ZODB_LAYER.db)

    def assert_change_is_gone_in_the_next_test(self):
        self.assertEqual((200, "no notes"), self.open("@@read"))
        self.assertEqual(200, self.open("@@write", EDITOR, text="x")[0])
        self.assertEqual((200, "note=x"), self.open("@@read"))

    def test_isolation_one(self):
        self.assert_change_is_gone_in_the_next_test()

    def test_isolation_two(self):
        self.assert_change_is_gone_in_the_next_test()

    def test_changes_are_visible_both_ways(self):
        self.open("@@write", EDITOR, name="a", text="from HTTP")
        with self.layer["zodbDB"].transaction() as connection:
            folder = connection.root()["Application"]
            self.assertEqual("from HTTP", folder["a"].text)
            folder["b"] = Note("from the test")
        self.assertEqual(
            (200, "a=from HTTP b=from the test"), self.open("@@read")
        )
        transaction.abort()

    def test_no_connection_stays_open_after_requests(self):
        for _ in range(5):
            self.open("@@read")
        self.assertEqual([], open_connections(self.layer["zodbDB"]))
