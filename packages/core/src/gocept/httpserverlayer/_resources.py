"""The resources of the layers: their names, their types, a typed view.

:class:`Resources` is the one list of resource names: the layers set and
delete the names of :data:`SERVER_RESOURCES` from it, and the documentation
shows it as it is written here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any
from typing import TypedDict
from typing import cast

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from gocept.httpserverlayer._records import RequestLog
    from gocept.httpserverlayer._records import ServerError
    from gocept.httpserverlayer._server import Server


class ServerResources(TypedDict, total=False):
    """The resources every server layer sets at setUp, deletes at tearDown."""

    #: The host clients use (``GOCEPT_HTTP_APP_HOST``, or ``localhost``).
    http_host: str
    #: The port the server listens on.
    http_port: int
    #: ``host:port``, an IPv6 host in brackets.
    http_address: str
    #: ``http`` or ``https``.
    http_scheme: str
    #: ``scheme://host:port``, without a trailing slash.
    http_url: str
    #: The server.
    httpd: Server
    #: The thread that accepts its connections.
    httpd_thread: threading.Thread
    #: The requests answered during the current test.
    http_requests: RequestLog
    #: The exceptions the server caught during the current test.
    http_errors: list[ServerError]
    #: HTTPS only: path of the PEM file of the CA that clients must trust.
    ca_bundle: str
    #: HTTPS only: the server certificate's key hash, for Chromium.
    ca_spki_hash: str


class Resources(ServerResources, total=False):
    """Every resource of the layers of gocept.httpserverlayer, typed."""

    #: ``static.Layer``: the directory it serves.
    documentroot: str
    #: ``custom.Layer``: the request handler class it serves.
    request_handler: Callable[..., Any]
    #: The WSGI application a base layer provides to ``wsgi.Layer``.
    wsgi_app: WSGIApplication
    #: The ASGI application a base layer provides to ``asgi.Layer``.
    asgi_app: Callable[..., Any]


#: The names of :class:`ServerResources`, in the order of the class.
SERVER_RESOURCES: tuple[str, ...] = tuple(ServerResources.__annotations__)
#: The names of :class:`Resources`.
RESOURCES: tuple[str, ...] = tuple(Resources.__annotations__)


def resources(layer: Any) -> Resources:
    """The resources of ``layer`` and its bases, typed for mypy.

    A snapshot: call it where you use it (a test, or testSetUp), as a base
    layer may set a resource anew for each test (``wsgi_app``). It holds
    the names of :class:`Resources` that are set, so that
    ``resources(self.layer)["http_url"]`` is a ``str`` and
    ``resources(self.layer)["http_requests"]`` a
    :class:`~gocept.httpserverlayer.RequestLog` to a type checker.

    :param layer: a ``plone.testing`` layer: a server layer, or a layer
        with one among its bases.

    .. versionadded:: 5.0
    """
    found: dict[str, Any] = {}
    for name in RESOURCES:
        value = layer.get(name)
        if value is not None:
            found[name] = value
    return cast(Resources, found)
