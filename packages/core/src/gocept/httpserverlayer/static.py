"""Serve a directory to the tests of a layer.

A document root that you pass is only ever read: the layer never writes to
it, empties it or deletes it. Without one, the layer makes a temporary
directory at setUp, empties it before every test and removes it at tearDown.
"""

from __future__ import annotations

import http
import http.server
import os
import shutil
import tempfile
from typing import Any

from gocept.httpserverlayer._http import serve_wsgi
from gocept.httpserverlayer._layer import ServerLayer
from gocept.httpserverlayer._server import Error
from gocept.httpserverlayer._static import StaticFiles
from gocept.httpserverlayer.custom import RequestHandler

__all__ = [
    "STATIC_FILES",
    "TEMPORARY",
    "Layer",
    "StaticFileRequestHandler",
    "StaticFiles",
]


class _Temporary:
    def __repr__(self) -> str:
        return "gocept.httpserverlayer.static.TEMPORARY"


#: Pass as ``documentroot`` for a temporary directory (the default).
TEMPORARY: Any = _Temporary()


class Layer(ServerLayer):
    """Serves the files of a directory over HTTP to the tests of the layer.

    Once, at setUp, it starts the server (and makes the temporary directory
    if it has no document root of its own); before every test it empties
    the temporary directory (never a directory you passed); at tearDown it
    stops the server and removes the temporary directory.

    Files are read from disk for every request, so what a test writes is
    served at once; responses carry ``Cache-Control: no-store`` so that a
    browser never shows a file from an earlier test under the same URL.

    Resources: ``documentroot``, ``http_host``, ``http_port``,
    ``http_address``, ``httpd``, ``httpd_thread``.

    :param documentroot: the directory to serve, or :data:`TEMPORARY`.
    :param listing: serve a listing for directories without an
        ``index.html`` (off by default: 403).

    .. versionchanged:: 5.0
       A document root you pass is no longer emptied before every test.
    """

    def __init__(
        self,
        documentroot: Any = TEMPORARY,
        *args: Any,
        listing: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.documentroot = documentroot
        self.listing = listing
        self._temporary: str | None = None

    def setUp(self) -> None:
        if self.documentroot is TEMPORARY:
            self._temporary = root = tempfile.mkdtemp(
                prefix="gocept.httpserverlayer.static-"
            )
        else:
            root = os.fspath(self.documentroot)
            if not os.path.isdir(root):
                raise Error(
                    f"The document root {root!r} of layer"
                    f" {self.__module__}.{self.__name__} is not a directory:"
                    " pass an existing directory, or nothing for a"
                    " temporary one."
                )
        self["documentroot"] = root
        try:
            server = self.make_server(serve_wsgi)
            server.set_app(StaticFiles(root, listing=self.listing))
            self.start_server(server)
        except BaseException:
            self._remove_documentroot()
            raise

    def testSetUp(self) -> None:
        super().testSetUp()
        if self._temporary is None:
            return  # a directory the user gave us: never touched
        for entry in os.scandir(self._temporary):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)

    def tearDown(self) -> None:
        try:
            self.stop_server()
        finally:
            self._remove_documentroot()

    def _remove_documentroot(self) -> None:
        del self["documentroot"]
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None


#: A ready layer over a temporary directory (resource ``documentroot``),
#: emptied before every test.
STATIC_FILES = Layer(name="STATIC_FILES", module=__name__)


class StaticFileRequestHandler(
    RequestHandler, http.server.SimpleHTTPRequestHandler
):
    """The request handler of 4.x's static layer, for :class:`custom.Layer
    <gocept.httpserverlayer.custom.Layer>`.

    Serves the files under the class attribute ``documentroot``: set it on
    a subclass (or on this class, as 4.x's static layer did) and serve the
    class with ``custom.Layer(MyHandler)``. Nothing outside the document
    root is served: ``..`` stays inside, and a symbolic link that leads out
    of it gives 404. It logs as
    :class:`~gocept.httpserverlayer.custom.RequestHandler` does: a line per
    request only with GOCEPT_HTTP_VERBOSE_LOGGING set.

    .. versionchanged:: 5.0
       :class:`Layer` no longer uses it: it serves :class:`StaticFiles`
       (MIME types, byte ranges, conditional GET). Symbolic links out of
       the document root give 404.
    """

    #: The directory to serve; None until set.
    documentroot: str | None = None

    def __init__(self, *args: Any, **kw: Any) -> None:
        if self.documentroot is None:
            raise Error(
                f"{type(self).__name__}.documentroot is not set: set it to"
                " the directory to serve before the layer serves the"
                " handler class."
            )
        kw["directory"] = os.fspath(self.documentroot)
        super().__init__(*args, **kw)

    def send_head(self) -> Any:
        """Answer 404 for a path that leads out of the document root."""
        root = os.path.realpath(self.directory)
        path = os.path.realpath(self.translate_path(self.path))
        if path != root and not path.startswith(root + os.sep):
            self.send_error(http.HTTPStatus.NOT_FOUND, "File not found")
            return None
        return super().send_head()
