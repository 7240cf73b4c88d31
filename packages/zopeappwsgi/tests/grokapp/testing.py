"""The test layers of the Grok application: the same three as plain ZTK."""

import zope.app.appsetup.testlayer

import gocept.httpserverlayer.wsgi
import gocept.httpserverlayer.zopeappwsgi
import grokapp

# Groks the application once; a new DemoStorage for every test.
ZODB_LAYER = zope.app.appsetup.testlayer.ZODBLayer(
    grokapp, "ftesting.zcml", name="GrokApp:ZODB"
)
WSGI_LAYER = gocept.httpserverlayer.zopeappwsgi.Layer(
    name="GrokApp:WSGI", bases=(ZODB_LAYER,)
)
HTTP_LAYER = gocept.httpserverlayer.wsgi.Layer(
    name="GrokApp:HTTP", bases=(WSGI_LAYER,)
)
