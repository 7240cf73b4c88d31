"""The layer that makes a zope.app.wsgi publisher per ZODB."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import Any

import plone.testing
import zope.app.wsgi
from ZODB.interfaces import IDatabase

import gocept.httpserverlayer
from gocept.httpserverlayer.rules import BadRequest
from gocept.httpserverlayer.rules import decode_path
from gocept.httpserverlayer.rules import plain_response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIApplication
    from _typeshed.wsgi import WSGIEnvironment


class Error(gocept.httpserverlayer.Error):
    """Base class of the errors of gocept.httpserverlayer.zopeappwsgi."""


class DatabaseNotFound(Error):
    """The layer cannot find the database to publish."""


class Layer(plone.testing.Layer):
    """Provides ``wsgi_app``: zope.app.wsgi's publisher over the test's ZODB.

    Give it a base layer that provides the database: a ``plone.testing``
    layer with the ``zodbDB`` resource (``plone.testing.zodb``, or a layer
    that stacks a ``DemoStorage`` per test), or a
    ``zope.app.appsetup.testlayer.ZODBLayer`` (or ``zope.app.wsgi``'s
    ``BrowserLayer``), whose ``db`` attribute is a new database per test.
    Put a :class:`gocept.httpserverlayer.wsgi.Layer` on top of it to serve
    the application over HTTP::

        ZODB_LAYER = zope.app.appsetup.testlayer.ZODBLayer(myapp)
        WSGI_LAYER = gocept.httpserverlayer.zopeappwsgi.Layer(
            name="WSGILayer", bases=(ZODB_LAYER,))
        HTTP_LAYER = gocept.httpserverlayer.wsgi.Layer(
            name="HTTPLayer", bases=(WSGI_LAYER,))

    Once, at setUp: checks that there is a database and sets the
    ``wsgi_app`` resource. Per request: the application asks
    :meth:`get_current_zodb` for the database of the test that runs and
    publishes the request through a
    :class:`zope.app.wsgi.WSGIPublisherApplication` made for that database
    (one per database, made at its first request). The publisher opens a
    ZODB connection for every request and closes it when the request ends,
    commits the request's transaction or aborts it on an error, and retries
    a request that raised a ``ConflictError``. A request whose path is not
    UTF-8 once percent-decoded (``/%ff``) gets a ``400 Bad Request`` here:
    the publisher would fail on it with a 500 and a traceback.

    Resources: ``wsgi_app``.

    .. versionchanged:: 5.0
       Uses only ``WSGIPublisherApplication(db)``, zope.app.wsgi's public
       constructor, instead of changing the publisher's private state at
       every test; finds the database of a ``ZODBLayer`` base; answers 400
       to a path that is not UTF-8.
    """

    def setUp(self) -> None:
        # Fail here, once, rather than with a 500 at every request.
        self.get_current_zodb()
        self["wsgi_app"] = _CurrentZODBApplication(self)

    def testTearDown(self) -> None:
        # Drop the publisher of this test's database: the database is
        # closed after the test and must not be kept alive by the layer.
        self["wsgi_app"].forget()

    def tearDown(self) -> None:
        self["wsgi_app"].forget()
        del self["wsgi_app"]

    def get_current_zodb(self) -> Any:
        """Return the database of the test that runs.

        The ``zodbDB`` resource if a base layer provides it, otherwise the
        ``db`` attribute of the first base layer that has a database there
        (``zope.app.appsetup.testlayer.ZODBLayer``). Override it to publish
        another database; it is called for every request, in the thread
        that serves it.

        :raises DatabaseNotFound: when there is no database.
        """
        db = self.get("zodbDB")
        if db is not None:
            return db
        for base in self.baseResolutionOrder:
            db = getattr(base, "db", None)
            if IDatabase.providedBy(db):
                return db
        raise DatabaseNotFound(
            f"Layer {self.__module__}.{self.__name__} found no ZODB: give it"
            " a base layer that provides the 'zodbDB' resource or a"
            " zope.app.appsetup.testlayer.ZODBLayer, or override its"
            " get_current_zodb()."
        )

    def make_wsgi_app(self, db: Any) -> WSGIApplication:
        """Return the WSGI application that publishes ``db``.

        Override it to wrap the publisher in middleware; call the
        inherited method for the publisher itself.
        """
        app: WSGIApplication = zope.app.wsgi.WSGIPublisherApplication(db)
        return app


class _CurrentZODBApplication:
    """Publishes every request on the database current at that request."""

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        self._lock = threading.Lock()
        self._db: Any = None
        self._app: WSGIApplication | None = None

    def application(self) -> WSGIApplication:
        db = self.layer.get_current_zodb()
        with self._lock:
            if self._app is None or db is not self._db:
                self._app = self.layer.make_wsgi_app(db)
                self._db = db
            return self._app

    def forget(self) -> None:
        with self._lock:
            self._db = self._app = None

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        try:
            # zope.publisher decodes every path as UTF-8, outside its error
            # handling: such a path would give a 500 and a traceback.
            decode_path(environ.get("PATH_INFO", ""))
        except BadRequest as e:
            return plain_response(start_response, 400, str(e))
        return self.application()(environ, start_response)
