"""The ZTK application over a plone.testing ``zodbDB`` resource."""

import plone.testing
import plone.testing.zodb
import zope.event
import zope.processlifetime

import gocept.httpserverlayer.wsgi
import gocept.httpserverlayer.zopeappwsgi
from ztkapp import testing


class ZODBResource(plone.testing.Layer):
    """Provides ``zodbDB`` as plone.testing layers do: a database with the
    application's root folder.

    The ZCML comes from ZODB_LAYER, whose own ``db`` the WSGI layer then
    ignores: the ``zodbDB`` resource comes first.
    """

    defaultBases = (testing.ZODB_LAYER,)

    def setUp(self):
        db = plone.testing.zodb.stackDemoStorage(name="ZTKApp:zodbDB")
        # zope.app.appsetup's subscriber adds the root folder.
        zope.event.notify(zope.processlifetime.DatabaseOpened(db))
        self["zodbDB"] = db

    def tearDown(self):
        self["zodbDB"].close()
        del self["zodbDB"]


class ZODBPerTest(plone.testing.Layer):
    """Stacks a DemoStorage on ``zodbDB`` for every test, and throws it
    away afterwards (a layer of its own, as plone.testing's
    FunctionalTesting: a layer replaces, not stacks, a resource it set
    itself)."""

    def testSetUp(self):
        self["zodbDB"] = plone.testing.zodb.stackDemoStorage(
            self["zodbDB"], name="ZTKApp:zodbDB:test"
        )

    def testTearDown(self):
        self["zodbDB"].close()
        del self["zodbDB"]


ZODB_RESOURCE = ZODBResource(name="ZTKApp:zodbDB")
ZODB_PER_TEST = ZODBPerTest(
    name="ZTKApp:zodbDB:PerTest", bases=(ZODB_RESOURCE,)
)
WSGI_LAYER = gocept.httpserverlayer.zopeappwsgi.Layer(
    name="ZTKApp:zodbDB:WSGI", bases=(ZODB_PER_TEST,)
)
HTTP_LAYER = gocept.httpserverlayer.wsgi.Layer(
    name="ZTKApp:zodbDB:HTTP", bases=(WSGI_LAYER,)
)
