"""An alias of gocept.httpserverlayer.plonetesting under its old name.

The name of releases 1.0 to 2.2. Every name is the object of
:mod:`gocept.httpserverlayer.plonetesting`; import from there in new code.
"""

from gocept.httpserverlayer.plonetesting import HTTP_SERVER
from gocept.httpserverlayer.plonetesting import ZOPE_FUNCTIONAL
from gocept.httpserverlayer.plonetesting import CurrentRegistry
from gocept.httpserverlayer.plonetesting import HTTPServer
from gocept.httpserverlayer.plonetesting import zope_wsgi_app

__version__ = "5.0.dev0"

__all__ = [
    "HTTP_SERVER",
    "ZOPE_FUNCTIONAL",
    "CurrentRegistry",
    "HTTPServer",
    "__version__",
    "zope_wsgi_app",
]
