"""The Grok example of the documentation, over real HTTP."""

import base64
import ssl
import unittest
import urllib.error
import urllib.parse
import urllib.request

import transaction
from grokapp import testing
from grokapp.app import Notes


class GrokAppTest(unittest.TestCase):
    layer = testing.HTTP_LAYER

    def setUp(self):
        # Every test has a database of its own: install the application.
        testing.ZODB_LAYER.getRootFolder()["notes"] = Notes()
        transaction.commit()

    def open(self, path, login=None):
        url = f"{self.layer['http_url']}/notes/{path}"
        request = urllib.request.Request(url)
        if login:
            token = base64.b64encode(login.encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            # ca_bundle: set when the layer serves HTTPS (GOCEPT_HTTP_HTTPS)
            trust = ssl.create_default_context(
                cafile=self.layer.get("ca_bundle")
            )
            with urllib.request.urlopen(
                request, timeout=30, context=trust
            ) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def test_author_logs_in_and_adds_a_note(self):
        self.assertEqual(401, self.open("add?text=hi")[0])
        status, body = self.open("add?text=hi", login="author:secret")
        self.assertEqual((200, "added by grokapp.author"), (status, body))
        self.assertEqual((200, "hi"), self.open("index"))

    def test_each_test_starts_without_notes(self):
        self.assertEqual((200, "no notes"), self.open("index"))
        self.open("add?text=gone+after+the+test", login="author:secret")
