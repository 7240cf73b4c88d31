"""The lifespan protocol: startup at setUp, shutdown at tearDown."""

import unittest

import asgiapps
from asgisupport import get
from stresskit import captured

from gocept.httpserverlayer._asgi_lifespan import LifespanError
from gocept.httpserverlayer.asgi import Layer


class LifespanTest(unittest.TestCase):
    def test_startup_at_set_up_shutdown_at_tear_down(self):
        app = asgiapps.Lifespan()
        layer = Layer(asgi_app=app)
        layer.setUp()
        self.assertEqual(["lifespan.startup"], app.events)
        layer.testSetUp()
        get(layer, "/scope")
        layer.testTearDown()
        layer.tearDown()
        self.assertEqual(["lifespan.startup", "lifespan.shutdown"], app.events)

    def test_requests_get_a_copy_of_the_lifespan_state(self):
        layer = Layer(asgi_app=asgiapps.Lifespan())
        layer.setUp()
        try:
            get(layer, "/scope")
            state = asgiapps.SEEN["scope"]["state"]
            self.assertEqual({"started": True, "requests": 0}, state)
            self.assertNotIn("requests", layer["httpd"].lifespan.state)
        finally:
            layer.tearDown()

    def test_failed_startup_fails_set_up_with_the_apps_message(self):
        layer = Layer(asgi_app=asgiapps.Lifespan(startup="fail"))
        with self.assertRaises(LifespanError) as caught:
            layer.setUp()
        self.assertIn("failed: no database", str(caught.exception))
        self.assertNotIn("httpd", layer)

    def test_raising_startup_fails_set_up_with_the_apps_traceback(self):
        layer = Layer(asgi_app=asgiapps.Lifespan(startup="raise"))
        with self.assertRaises(LifespanError) as caught:
            layer.setUp()
        self.assertIn(
            "raised ConnectionError: the database is not there",
            str(caught.exception),
        )
        cause = caught.exception.__cause__
        self.assertIsInstance(cause, ConnectionError)
        self.assertEqual(
            "__call__", cause.__traceback__.tb_next.tb_frame.f_code.co_name
        )

    def test_hanging_startup_fails_set_up_after_startup_timeout(self):
        layer = Layer(asgi_app=asgiapps.Lifespan(startup="hang"))
        layer.startup_timeout = 0.1
        with self.assertRaises(LifespanError) as caught:
            layer.setUp()
        self.assertIn(
            "did not complete within 0.1 s: raise the layer's"
            " startup_timeout if it needs longer.",
            str(caught.exception),
        )

    def test_app_without_lifespan_is_served(self):
        layer = Layer(asgi_app=asgiapps.app)  # raises on a lifespan scope
        with captured() as (stderr, log):
            layer.setUp()
            try:
                self.assertEqual(200, get(layer, "/echo")[0])
            finally:
                layer.tearDown()
        self.assertEqual(("", []), (stderr.getvalue(), log))

    def test_failed_shutdown_is_reported(self):
        layer = Layer(asgi_app=asgiapps.Lifespan(shutdown="fail"))
        layer.setUp()
        with captured() as (stderr, log):
            layer.tearDown()
        self.assertIn(
            "The lifespan shutdown of the ASGI application", stderr.getvalue()
        )
        self.assertIn("failed: cannot", stderr.getvalue())
