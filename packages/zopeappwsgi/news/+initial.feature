Initial release as a distribution of its own (it was the module
``gocept.httpserverlayer.zopeappwsgi`` of gocept.httpserverlayer 4.x).
``Layer`` makes the publisher with ``zope.app.wsgi.WSGIPublisherApplication(db)``
instead of changing the publisher's private state, publishes each
request on the database of the running test, and finds the database of
a ``zope.app.appsetup.testlayer.ZODBLayer`` base as well as the
``zodbDB`` resource.
