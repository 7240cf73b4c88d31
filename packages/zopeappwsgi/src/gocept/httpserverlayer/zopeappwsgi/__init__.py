"""Serve a zope.app (ZTK, Grok) application over the test's ZODB."""

from gocept.httpserverlayer.zopeappwsgi._layer import DatabaseNotFound
from gocept.httpserverlayer.zopeappwsgi._layer import Error
from gocept.httpserverlayer.zopeappwsgi._layer import Layer

__version__ = "5.0.dev0"

__all__ = ["DatabaseNotFound", "Error", "Layer", "__version__"]
