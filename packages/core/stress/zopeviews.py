"""The pages of the integrations' stress tests, as Zope browser views.

For the zope2 and plonetesting envs, whose test fixtures register them with
:func:`register` (in a registry they push). The ZTK app of zopeappwsgi
registers its own, in ZCML, with the same bodies (``layerstress``).
"""

import time

import zope.component
import zope.interface
from layerstress import BIG_SIZE
from layerstress import SLOW_SECONDS
from layerstress import TINY_BODY
from Products.Five.browser import BrowserView
from zope.publisher.interfaces.browser import IDefaultBrowserLayer


class Tiny(BrowserView):
    """The 13-byte page of the load test."""

    __roles__ = None  # public

    def __call__(self):
        self.request.response.setHeader("Content-Type", "text/plain")
        return TINY_BODY


class Slow(Tiny):
    """The 13-byte page, after SLOW_SECONDS."""

    def __call__(self):
        time.sleep(SLOW_SECONDS)
        return super().__call__()


class Big(Tiny):
    """A page of BIG_SIZE bytes, for the clients that stop reading."""

    def __call__(self):
        self.request.response.setHeader("Content-Type", "text/plain")
        return b"x" * BIG_SIZE


def register():
    """Register the views, for any context, in the current registry."""
    for name, view in [
        ("stress-tiny", Tiny),
        ("stress-slow", Slow),
        ("stress-big", Big),
    ]:
        zope.component.provideAdapter(
            view,
            (zope.interface.Interface, IDefaultBrowserLayer),
            zope.interface.Interface,
            name=name,
        )
