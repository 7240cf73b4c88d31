"""asgi.Layer without the asgi extra: the module imports, the layer says
what to install (the core env does not install the extra; the asgi env
runs asgi.Layer itself, packages/core/asgi)."""

import importlib.util
import unittest

import gocept.httpserverlayer.asgi


async def app(scope, receive, send):
    pass


@unittest.skipIf(
    importlib.util.find_spec("httptools") is not None,
    "httptools is installed: this env has the asgi extra, whose absence"
    " this test is about (it runs in the core env)",
)
class MissingExtraTest(unittest.TestCase):
    def test_set_up_says_what_to_install(self):
        layer = gocept.httpserverlayer.asgi.Layer(asgi_app=app)
        with self.assertRaises(ImportError) as caught:
            layer.setUp()
        self.assertIsInstance(
            caught.exception, gocept.httpserverlayer.asgi.MissingDependency
        )
        self.assertIn("asgi.Layer needs httptools", str(caught.exception))
        self.assertIn(
            "not installed: install the asgi extra, pip install"
            " 'gocept.httpserverlayer[asgi]'.",
            str(caught.exception),
        )
        self.assertNotIn("httpd", layer)

    def test_bad_application_is_named_before_the_extra(self):
        layer = gocept.httpserverlayer.asgi.Layer(asgi_app="app")
        with self.assertRaises(gocept.httpserverlayer.asgi.Error) as caught:
            layer.setUp()
        self.assertIn("is 'app', which is not callable", str(caught.exception))
