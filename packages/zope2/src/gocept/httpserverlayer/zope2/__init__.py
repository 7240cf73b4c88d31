"""FixupMiddleware: serve Zope over WSGI to test clients and strict servers."""

from gocept.httpserverlayer.zope2._middleware import FixupMiddleware

__version__ = "5.0.dev0"

__all__ = ["FixupMiddleware", "__version__"]
