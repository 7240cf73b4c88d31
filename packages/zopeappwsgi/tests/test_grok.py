"""The Grok example of the documentation, over real HTTP."""

import unittest

import transaction
from grokapp import testing
from grokapp.app import Notes

from gocept.httpserverlayer._testing.client import request


class GrokAppTest(unittest.TestCase):
    layer = testing.HTTP_LAYER

    def setUp(self):
        # Every test has a database of its own: install the application.
        testing.ZODB_LAYER.getRootFolder()["notes"] = Notes()
        transaction.commit()

    def open(self, path, login=None):
        auth = tuple(login.split(":")) if login else None
        return request(self.layer, f"/notes/{path}", auth=auth)

    def test_author_logs_in_and_adds_a_note(self):
        self.assertEqual(401, self.open("add?text=hi")[0])
        status, body = self.open("add?text=hi", login="author:secret")
        self.assertEqual((200, "added by grokapp.author"), (status, body))
        self.assertEqual((200, "hi"), self.open("index"))

    def test_each_test_starts_without_notes(self):
        self.assertEqual((200, "no notes"), self.open("index"))
        self.open("add?text=gone+after+the+test", login="author:secret")
