"""The test layers of the ZTK application, served over HTTP per test."""

import zope.app.appsetup.testlayer

import gocept.httpserverlayer.wsgi
import gocept.httpserverlayer.zopeappwsgi
import ztkapp

# Loads ftesting.zcml once; makes a new DemoStorage over the set-up
# database for every test (testSetUp) and closes it after the test.
ZODB_LAYER = zope.app.appsetup.testlayer.ZODBLayer(
    ztkapp, "ftesting.zcml", name="ZTKApp:ZODB"
)

# wsgi_app: zope.app.wsgi's publisher over the database of the running
# test, which it finds on ZODB_LAYER (its ``db`` attribute).
WSGI_LAYER = gocept.httpserverlayer.zopeappwsgi.Layer(
    name="ZTKApp:WSGI", bases=(ZODB_LAYER,)
)

# The HTTP server; tests use this layer and read self.layer["http_address"].
HTTP_LAYER = gocept.httpserverlayer.wsgi.Layer(
    name="ZTKApp:HTTP", bases=(WSGI_LAYER,)
)
