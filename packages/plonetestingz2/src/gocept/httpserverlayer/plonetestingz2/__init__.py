"""The names of gocept.httpserverlayer.plonetestingz2 1.0 to 2.2.

The module of those releases, renamed ``plonetestingzope`` in 3.0: its
:class:`Layer` and :data:`HTTP_SERVER` are those of
:mod:`gocept.httpserverlayer.plonetestingzope`. New code mixes
:data:`gocept.httpserverlayer.plonetesting.HTTP_SERVER` into its layers
instead.
"""

from __future__ import annotations

import plone.testing.zope

from gocept.httpserverlayer.plonetestingzope import HTTP_SERVER
from gocept.httpserverlayer.plonetestingzope import Layer

__version__ = "5.0.dev0"

__all__ = ["HTTP_SERVER", "ZSERVER", "Layer", "__version__"]

#: The first of :class:`Layer`'s default bases, as in 2.x, where it was a
#: ZServer fixture: ``plone.testing.zope.WSGI_SERVER_FIXTURE``. The tests'
#: requests go to :class:`Layer`'s own server, not to this one.
ZSERVER = plone.testing.zope.WSGI_SERVER_FIXTURE
