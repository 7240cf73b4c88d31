"""Recipe: a real Zope application over HTTP, with a database per test.

Zope's WSGI publisher behind the pipeline of a Zope deployment (Zope's
httpexceptions filter, which turns NotFound, Unauthorized and redirects into
responses; repoze.retry, which retries a request on ConflictError) and
FixupMiddleware, served by gocept.httpserverlayer.wsgi.Layer.
plone.testing.zope's STARTUP layer starts Zope; FunctionalTesting stacks a
DemoStorage on the database for each test and throws it away afterwards, so
what a test changes over HTTP is gone in the next.
"""

import plone.testing
import plone.testing.zodb
import plone.testing.zope
import repoze.retry
import ZPublisher.httpexceptions
import ZPublisher.WSGIPublisher

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer.zope2 import FixupMiddleware

MANAGER = ("admin", "secret")


class ZopeWSGI(plone.testing.Layer):
    """Zope's publisher as a WSGI application, over the test's database.

    Once: stacks a DemoStorage with a Manager user in the root user folder.
    Per test: nothing; :data:`ZOPE_FUNCTIONAL_TESTING` isolates the
    database.

    Resources: ``wsgi_app`` (the publisher behind repoze.retry and
    FixupMiddleware), ``zodbDB``, plus STARTUP's.
    """

    defaultBases = (plone.testing.zope.STARTUP,)

    def setUp(self):
        self["zodbDB"] = plone.testing.zodb.stackDemoStorage(
            self.get("zodbDB"), name="ZopeWSGI"
        )
        with plone.testing.zope.zopeApp() as app:
            app.acl_users.userFolderAddUser(*MANAGER, ["Manager"], [])
        # Zope's publisher uses the database of the ``zodbDB`` resource of
        # the test that runs (STARTUP installs a facade for it), so one
        # application serves every test.
        self["wsgi_app"] = FixupMiddleware(
            repoze.retry.Retry(
                ZPublisher.httpexceptions.HTTPExceptionHandler(
                    ZPublisher.WSGIPublisher.publish_module
                ),
                tries=3,
            )
        )

    def tearDown(self):
        del self["wsgi_app"]
        self["zodbDB"].close()
        del self["zodbDB"]


ZOPE_WSGI_FIXTURE = ZopeWSGI(name="ZopeWSGI")

# A new DemoStorage per test over the fixture's database.
ZOPE_FUNCTIONAL_TESTING = plone.testing.zope.FunctionalTesting(
    bases=(ZOPE_WSGI_FIXTURE,), name="ZopeWSGI:Functional"
)

# The HTTP server takes the ``wsgi_app`` resource of the fixture.
HTTP_SERVER = gocept.httpserverlayer.wsgi.Layer(
    name="ZopeWSGI:HTTPServer", bases=(ZOPE_WSGI_FIXTURE,)
)

ZOPE_HTTP_TESTING = plone.testing.Layer(
    bases=(HTTP_SERVER, ZOPE_FUNCTIONAL_TESTING), name="ZopeWSGI:HTTP"
)
