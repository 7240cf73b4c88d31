"""The names of gocept.httpserverlayer.plonetestingzope 3.x and 4.x.

:class:`Layer` and :data:`HTTP_SERVER` keep working for test suites (and
libraries such as gocept.selenium) written for those releases. They serve
through :class:`gocept.httpserverlayer.plonetesting.HTTPServer`; new code
mixes :data:`gocept.httpserverlayer.plonetesting.HTTP_SERVER` into its
layers instead.
"""

from __future__ import annotations

import plone.testing.zope

from gocept.httpserverlayer.plonetesting import HTTPServer

__version__ = "5.0.dev0"

__all__ = ["HTTP_SERVER", "Layer", "__version__"]


class Layer(HTTPServer):
    """The layer class of 4.x, serving on the core's server.

    Its default bases are those of 4.x:
    ``plone.testing.zope.WSGI_SERVER_FIXTURE`` and
    ``plone.testing.zope.FUNCTIONAL_TESTING``, so ``Layer()`` and a
    subclass instantiated without arguments stack as they did, with the
    ``app``, ``request`` and per-test ``zodbDB`` resources of
    ``FUNCTIONAL_TESTING``. The requests are answered by the core's
    multi-threaded server, as
    :class:`~gocept.httpserverlayer.plonetesting.HTTPServer` describes;
    ``WSGI_SERVER_FIXTURE`` still starts (and configures Zope from its
    ``zope.conf``, as under 4.x), but no URL of this layer points at it.

    The host and port are the class attributes ``host`` and ``port`` when
    a subclass sets them (as gocept.selenium does), else
    ``GOCEPT_HTTP_APP_HOST`` and ``GOCEPT_HTTP_APP_PORT``, else
    ``localhost`` and a free port.

    Resources: ``http_host``, ``http_port``, ``http_address``, ``httpd``,
    ``httpd_thread``, ``host`` and ``port`` (the same host and port, so
    that ``absolute_url()`` gives the server's URLs), and from
    ``FUNCTIONAL_TESTING``: ``app``, ``request`` and ``zodbDB``.

    .. versionchanged:: 5.0
       Served by the core's server instead of ``WSGI_SERVER_FIXTURE``'s,
       which it no longer reconfigures.
    """

    defaultBases = (
        plone.testing.zope.WSGI_SERVER_FIXTURE,
        plone.testing.zope.FUNCTIONAL_TESTING,
    )


#: A ready :class:`Layer`, to mix with a Zope fixture as under 4.x.
HTTP_SERVER = Layer(name="Layer", module=__name__)
