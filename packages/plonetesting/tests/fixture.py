"""A Zope fixture on plone.testing.zope, mixed with HTTP_SERVER.

The way a Zope (not Plone) project's tests use HTTP_SERVER: a fixture on
STARTUP with what the tests need (a Manager user, a view that fails), and a
layer that mixes the fixture with HTTP_SERVER.
"""

import plone.testing
import plone.testing.zca
import plone.testing.zope
import zope.component
import zope.interface
import zopeviews
from Products.Five.browser import BrowserView
from zope.publisher.interfaces.browser import IDefaultBrowserLayer

from gocept.httpserverlayer.plonetesting import HTTP_SERVER

MANAGER = ("admin", "secret")


class Broken(BrowserView):
    """Raises an exception."""

    __roles__ = None  # public

    def __call__(self):
        raise RuntimeError("broken on purpose")


class Hello(BrowserView):
    """Answers with a fixed text."""

    __roles__ = None

    def __call__(self):
        return "Hello from Zope"


class URL(BrowserView):
    """Answers with the URL Zope computes for its context."""

    __roles__ = None

    def __call__(self):
        return self.context.absolute_url()


class GoToHello(BrowserView):
    """Redirects to the context's hello view."""

    __roles__ = None

    def __call__(self):
        self.request.response.redirect(self.context.absolute_url() + "/hello")
        return ""


class ZopeFixture(plone.testing.Layer):
    """A Manager user in the root user folder and two views.

    Once: stacks a DemoStorage with the user and a registry with the views.
    """

    defaultBases = (plone.testing.zope.STARTUP,)

    def setUp(self):
        self["zodbDB"] = plone.testing.zodb.stackDemoStorage(
            self.get("zodbDB"), name="ZopeFixture"
        )
        with plone.testing.zope.zopeApp() as app:
            app.acl_users.userFolderAddUser(*MANAGER, ["Manager"], [])
        plone.testing.zca.pushGlobalRegistry()
        views = [
            ("broken", Broken),
            ("hello", Hello),
            ("url", URL),
            ("go", GoToHello),
        ]
        for name, view in views:
            zope.component.provideAdapter(
                view,
                (zope.interface.Interface, IDefaultBrowserLayer),
                zope.interface.Interface,
                name=name,
            )
        # The pages of the stress tests (test_stress.py).
        zopeviews.register()

    def tearDown(self):
        plone.testing.zca.popGlobalRegistry()
        self["zodbDB"].close()
        del self["zodbDB"]


ZOPE_FIXTURE = ZopeFixture(name="ZopeFixture")

ZOPE_HTTP_TESTING = plone.testing.Layer(
    bases=(ZOPE_FIXTURE, HTTP_SERVER), name="ZopeFixture:HTTP"
)
