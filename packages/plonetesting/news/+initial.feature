Initial release: ``HTTP_SERVER``, moved here from
``gocept.httpserverlayer.plonetestingzope``. It serves Zope's publisher
on the core's multi-threaded HTTP/1.1 server instead of plone.testing's
``WSGI_SERVER`` (waitress), brings a ``DemoStorage`` per test, and no
longer overwrites plone.testing's server host and port at import.
