"""An HTTP server layer for plone.testing.zope and plone.app.testing layers.

Mix :data:`HTTP_SERVER` into a layer with a Zope or Plone fixture::

    HTTP_TESTING = plone.testing.Layer(
        bases=(MY_FIXTURE, HTTP_SERVER), name="MyAddon:HTTP"
    )

Importing this package changes no setting of plone.testing.
"""

from gocept.httpserverlayer.plonetesting._browser import auth_cookie
from gocept.httpserverlayer.plonetesting._browser import log_in
from gocept.httpserverlayer.plonetesting._layer import HTTP_SERVER
from gocept.httpserverlayer.plonetesting._layer import ZOPE_FUNCTIONAL
from gocept.httpserverlayer.plonetesting._layer import CurrentRegistry
from gocept.httpserverlayer.plonetesting._layer import Error
from gocept.httpserverlayer.plonetesting._layer import HTTPServer
from gocept.httpserverlayer.plonetesting._layer import zope_wsgi_app

__version__ = "5.0.dev0"

__all__ = [
    "HTTP_SERVER",
    "ZOPE_FUNCTIONAL",
    "CurrentRegistry",
    "Error",
    "HTTPServer",
    "__version__",
    "auth_cookie",
    "log_in",
    "zope_wsgi_app",
]
