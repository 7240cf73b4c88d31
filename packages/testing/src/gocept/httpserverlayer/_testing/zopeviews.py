"""The pages of the integrations' stress tests, as Zope browser views.

For the zope2 and plonetesting envs, whose test fixtures register them,
and views of their own, with :func:`register` (in a registry they push).
The ZTK app of zopeappwsgi registers its own, in ZCML, with the same
bodies (``layerstress``).
"""

from __future__ import annotations

import time
from typing import Any

import zope.component
import zope.interface
from Products.Five.browser import BrowserView
from zope.publisher.interfaces.browser import IDefaultBrowserLayer

from gocept.httpserverlayer._testing.layerstress import BIG_SIZE
from gocept.httpserverlayer._testing.layerstress import SLOW_SECONDS
from gocept.httpserverlayer._testing.layerstress import TINY_BODY


class Tiny(BrowserView):
    """The 13-byte page of the load test."""

    __roles__ = None  # public

    def __call__(self) -> Any:
        self.request.response.setHeader("Content-Type", "text/plain")
        return TINY_BODY


class Slow(Tiny):
    """The 13-byte page, after SLOW_SECONDS."""

    def __call__(self) -> Any:
        time.sleep(SLOW_SECONDS)
        return super().__call__()


class Big(Tiny):
    """A page of BIG_SIZE bytes, for the clients that stop reading."""

    def __call__(self) -> Any:
        self.request.response.setHeader("Content-Type", "text/plain")
        return b"x" * BIG_SIZE


STRESS_VIEWS = {"stress-tiny": Tiny, "stress-slow": Slow, "stress-big": Big}


def register(**views: Any) -> None:
    """Register the stress views and ``views`` (name=class), for any
    context, in the current registry."""
    for name, view in {**STRESS_VIEWS, **views}.items():
        zope.component.provideAdapter(
            view,
            (zope.interface.Interface, IDefaultBrowserLayer),
            zope.interface.Interface,
            name=name,
        )
