"""The layer's own API, and what it relies on in zope.app.wsgi."""

import inspect
import unittest

import plone.testing.zodb
import zope.app.wsgi
import zope.app.wsgi.interfaces

import gocept.httpserverlayer.zopeappwsgi


class ZopeAppWSGIAPITest(unittest.TestCase):
    """Pins the one zope.app.wsgi API the layer uses."""

    def test_WSGIPublisherApplication_takes_the_database_first(self):
        parameters = inspect.signature(zope.app.wsgi.WSGIPublisherApplication)
        self.assertEqual("db", next(iter(parameters.parameters)))

    def test_WSGIPublisherApplication_of_a_database_is_a_WSGI_app(self):
        db = plone.testing.zodb.stackDemoStorage(name="pin")
        self.addCleanup(db.close)
        app = zope.app.wsgi.WSGIPublisherApplication(db)
        self.assertTrue(
            zope.app.wsgi.interfaces.IWSGIApplication.providedBy(app)
        )


class LayerTest(unittest.TestCase):
    def test_without_a_database_setUp_says_what_to_do(self):
        layer = gocept.httpserverlayer.zopeappwsgi.Layer(name="NoDB")
        with self.assertRaises(gocept.httpserverlayer.zopeappwsgi.Error) as e:
            layer.setUp()
        self.assertEqual(
            "Layer test_layer.NoDB found no"
            " ZODB: give it a base layer that provides the 'zodbDB' resource"
            " or a zope.app.appsetup.testlayer.ZODBLayer, or override its"
            " get_current_zodb().",
            str(e.exception),
        )

    def test_get_current_zodb_may_be_overridden(self):
        db = plone.testing.zodb.stackDemoStorage(name="mine")
        self.addCleanup(db.close)

        class MyLayer(gocept.httpserverlayer.zopeappwsgi.Layer):
            def get_current_zodb(self):
                return db

        layer = MyLayer(name="Mine")
        layer.setUp()
        self.addCleanup(layer.tearDown)
        app = layer["wsgi_app"].application()
        self.assertIsInstance(app, zope.app.wsgi.WSGIPublisherApplication)
        self.assertIs(app, layer["wsgi_app"].application())

    def test_a_new_database_gets_a_new_publisher(self):
        dbs = [plone.testing.zodb.stackDemoStorage(name=n) for n in "ab"]
        for db in dbs:
            self.addCleanup(db.close)

        class MyLayer(gocept.httpserverlayer.zopeappwsgi.Layer):
            current = dbs[0]

            def get_current_zodb(self):
                return self.current

        layer = MyLayer(name="Switching")
        layer.setUp()
        self.addCleanup(layer.tearDown)
        first = layer["wsgi_app"].application()
        layer.current = dbs[1]
        self.assertIsNot(first, layer["wsgi_app"].application())

    def test_tearDown_removes_the_resource(self):
        db = plone.testing.zodb.stackDemoStorage(name="gone")
        self.addCleanup(db.close)
        base = plone.testing.Layer(name="Base")
        base["zodbDB"] = db
        self.addCleanup(base.__delitem__, "zodbDB")
        layer = gocept.httpserverlayer.zopeappwsgi.Layer(
            name="Gone", bases=(base,)
        )
        layer.setUp()
        layer.tearDown()
        self.assertNotIn("wsgi_app", layer)
