"""HTTP_SERVER honours Plone's WSGI_SERVER_* and ZSERVER_* variables when
the GOCEPT_HTTP_* ones are unset."""

import os
import socket
import unittest
import unittest.mock

from gocept.httpserverlayer.plonetesting import ZOPE_FUNCTIONAL
from gocept.httpserverlayer.plonetesting import Error
from gocept.httpserverlayer.plonetesting import HTTPServer

NAMES = (
    "GOCEPT_HTTP_APP_HOST",
    "GOCEPT_HTTP_APP_PORT",
    "WSGI_SERVER_HOST",
    "WSGI_SERVER_PORT",
    "ZSERVER_HOST",
    "ZSERVER_PORT",
)


class PloneNamesTest(unittest.TestCase):
    def setUp(self):
        clean = {name: "" for name in NAMES}
        self.enterContext(unittest.mock.patch.dict(os.environ, clean))
        self.layer = HTTPServer(bases=(ZOPE_FUNCTIONAL,), name="Names")

    def where(self, **environ):
        os.environ.update(environ)
        return self.layer.host, self.layer.port

    def test_defaults(self):
        self.assertEqual(("localhost", 0), self.where())

    def test_zserver_names(self):
        self.assertEqual(
            ("127.0.0.1", 55002),
            self.where(ZSERVER_HOST="127.0.0.1", ZSERVER_PORT="55002"),
        )

    def test_wsgi_server_names_win_over_zserver_names(self):
        self.assertEqual(
            ("::1", 55001),
            self.where(
                WSGI_SERVER_HOST="::1",
                WSGI_SERVER_PORT="55001",
                ZSERVER_HOST="127.0.0.1",
                ZSERVER_PORT="55002",
            ),
        )

    def test_gocept_names_win_over_plone_names(self):
        self.assertEqual(
            ("example.test", 8080),
            self.where(
                GOCEPT_HTTP_APP_HOST="example.test",
                GOCEPT_HTTP_APP_PORT="8080",
                WSGI_SERVER_HOST="::1",
                WSGI_SERVER_PORT="55001",
            ),
        )

    def test_attributes_win_over_everything(self):
        self.layer.host, self.layer.port = "127.0.0.2", 8081
        self.assertEqual(
            ("127.0.0.2", 8081),
            self.where(GOCEPT_HTTP_APP_HOST="x", WSGI_SERVER_PORT="55001"),
        )

    def test_bad_port_names_its_variable(self):
        with self.assertRaises(Error) as caught:
            self.where(WSGI_SERVER_PORT="http")
        self.assertEqual(
            "WSGI_SERVER_PORT='http' is not a port number: set it to a"
            " number from 1 to 65535, or to 0 or nothing to let the OS pick"
            " a free port.",
            str(caught.exception),
        )

    def test_server_listens_where_plone_s_names_say(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.where(WSGI_SERVER_HOST="127.0.0.1", WSGI_SERVER_PORT=str(port))
        self.layer.wsgi_app = lambda environ, start_response: []
        self.layer.setUp()
        try:
            self.assertEqual(f"127.0.0.1:{port}", self.layer["http_address"])
            self.assertEqual(
                ("127.0.0.1", port), (self.layer["host"], self.layer["port"])
            )
        finally:
            self.layer.tearDown()
