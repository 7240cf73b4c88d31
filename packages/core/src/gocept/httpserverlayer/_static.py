"""A WSGI application that serves the files below a directory to browsers.

:class:`StaticFiles` is what :mod:`gocept.httpserverlayer.static` puts
behind its server. It is built for tests that point a real browser or HTTP
client at a directory:

* **Nothing leaves the root.** The request path is decoded exactly once, any
  ``..`` segment is refused, and the path is resolved as
  :func:`os.path.realpath` does and checked to lie inside the resolved
  root, so neither ``%2e%2e`` nor absolute paths nor symlinks pointing out
  of the root reach a file outside it. (Each name is looked up with one
  ``lstat``; from the first symbolic link on, realpath() resolves the rest.)
* **The root is read-only.** The application never writes, creates or
  deletes anything; every request reads the disk afresh, so a file written
  by a test is served at once.
* **Browsers are happy.** MIME types come from a fixed table (the
  :mod:`mimetypes` module differs between machines), ``HEAD``,
  conditional ``GET`` (``ETag``/``If-None-Match``,
  ``Last-Modified``/``If-Modified-Since``) and single byte ranges (``206``
  and ``416``, for audio and video) follow RFC 9110, and every response
  carries ``Cache-Control: no-store`` so that a browser never reuses a file
  from an earlier test under the same URL.

Large files are handed to ``environ['wsgi.file_wrapper']`` when the server
offers one (so that it can use :func:`os.sendfile`), otherwise they are read
in blocks of 64 KiB.
"""

from __future__ import annotations

import email.utils
import functools
import html
import mimetypes
import os
import re
import stat
import urllib.parse
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any
from typing import BinaryIO

from gocept.httpserverlayer.rules import BadRequest
from gocept.httpserverlayer.rules import decode_path
from gocept.httpserverlayer.rules import status_line

__all__ = ["BLOCK_SIZE", "MIME_TYPES", "StaticFiles"]

#: Size of the blocks a file is read and sent in.
BLOCK_SIZE = 65536
#: Files up to this size are read at once instead of sent with sendfile().
SMALL_FILE = 65536

#: Content types by lower-case file extension; they win over
#: :func:`mimetypes.guess_type`, whose answers depend on the machine.
MIME_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".ogg": "audio/ogg",
    ".ogv": "video/ogg",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".pdf": "application/pdf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".gz": "application/gzip",
    ".zip": "application/zip",
}

StartResponse = Callable[..., Any]
Headers = list[tuple[str, str]]
Response = tuple[str, Headers, Iterable[bytes]]

# Status lines, phrased by http.HTTPStatus.
_OK = status_line(200)
_NO_CONTENT = status_line(204)
_PARTIAL = status_line(206)
_MOVED = status_line(301)
_NOT_MODIFIED = status_line(304)
_BAD_REQUEST = status_line(400)
_FORBIDDEN = status_line(403)
_NOT_FOUND = status_line(404)
_NOT_ALLOWED = status_line(405)
_UNSATISFIABLE_RANGE = status_line(416)
_LISTING_OFF = (
    "Directory listings are off. Put an index.html into this directory,"
    " or turn listings on with static.Layer(..., listing=True)"
    " (StaticFiles(root, listing=True))."
)
_ENTITY_TAG = re.compile(r'(W/)?"([^"]*)"')
_RANGE_SPEC = re.compile(r"([0-9]*)-([0-9]*)")
_UNSATISFIABLE = "unsatisfiable"
# Characters a query string may keep unquoted in a Location header.
_QUERY_SAFE = "!$%&'()*+,/:;=?@~"


class StaticFiles:
    """WSGI application serving the files below *root*, read-only.

    ``GET`` and ``HEAD`` are answered, any other method with ``405``. A
    directory requested without its trailing slash is redirected (``301``)
    to the URL with it; a directory URL serves the directory's
    ``index.html``, or else a listing when *listing* is true and ``403``
    when it is not. A missing ``/favicon.ico`` is answered with ``204`` so
    that browsers do not fill the log with errors.

    For ``HEAD`` the application returns the headers a ``GET`` would get
    and an empty body; a server may drop the body of ``HEAD`` responses as
    well.

    :param root: the directory to serve. It is resolved anew for every
        request, so it may be created after the application.
    :param listing: answer directory URLs without an ``index.html`` with an
        HTML list of the directory's entries instead of ``403``.
    """

    def __init__(
        self, root: str | os.PathLike[str], *, listing: bool = False
    ) -> None:
        self.root = os.fspath(root)
        self.listing = listing

    def __repr__(self) -> str:
        return (
            f"<{self.__class__.__name__} root={self.root!r}"
            f" listing={self.listing!r}>"
        )

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """Answer one request (the WSGI protocol)."""
        status, headers, body = self._respond(environ)
        start_response(status, headers)
        if environ.get("REQUEST_METHOD") == "HEAD":
            close = getattr(body, "close", None)
            if close is not None:
                close()
            return []
        return body

    # -- dispatch ---------------------------------------------------------

    def _respond(self, environ: dict[str, Any]) -> Response:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return _error(
                _NOT_ALLOWED,
                f"The method {method} is not allowed; use GET or HEAD.",
                [("Allow", "GET, HEAD")],
            )
        try:
            path = decode_path(environ.get("PATH_INFO", ""))
        except BadRequest as e:
            return _error(_BAD_REQUEST, str(e))
        if "\x00" in path or "\\" in path:
            return _error(
                _BAD_REQUEST,
                "The path contains a NUL character or a backslash.",
            )
        segments = [s for s in path.split("/") if s not in ("", ".")]
        if ".." in segments:
            return _not_found()
        root = os.path.realpath(self.root)
        try:
            found = _find(root, root, segments)
        except PermissionError:
            return _forbidden()
        except OSError:
            if segments == ["favicon.ico"]:
                return _NO_CONTENT, [("Cache-Control", "no-store")], []
            return _not_found()
        if found is None:
            return _not_found()
        target, st = found
        slash = path.endswith("/")
        if stat.S_ISDIR(st.st_mode):
            if not slash:
                return _redirect(environ, segments)
            return self._directory(environ, root, target, segments)
        if slash or not stat.S_ISREG(st.st_mode):
            return _not_found()
        return _file(environ, target)

    def _directory(
        self,
        environ: dict[str, Any],
        root: str,
        target: str,
        segments: list[str],
    ) -> Response:
        try:
            found = _find(root, target, ["index.html"])
        except OSError:
            found = None
        if found is not None and stat.S_ISREG(found[1].st_mode):
            return _file(environ, found[0])
        if not self.listing:
            return _error(_FORBIDDEN, _LISTING_OFF)
        return _listing(target, segments)


# -- files ----------------------------------------------------------------


def _file(environ: dict[str, Any], path: str) -> Response:
    """Answer with the file at *path*, honouring validators and ranges."""
    try:
        # O_NONBLOCK keeps a FIFO swapped in since the stat from blocking
        # us; it is cleared again once the file is known to be regular.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except PermissionError:
        return _forbidden()
    except OSError:
        return _not_found()
    # From here on fd is closed exactly once: here, or by the body that
    # takes it over.
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode):
            os.set_blocking(fd, True)
            (status, headers, body), span = _file_head(environ, st, path)
        else:
            (status, headers, body), span = _not_found(), None
    except BaseException:
        os.close(fd)
        raise
    if span is None:  # not modified, not found, range not satisfiable
        os.close(fd)
        return status, headers, body
    start, length = span
    if status is _OK and length <= SMALL_FILE:
        # One read and one send with the head beat sendfile's extra system
        # calls for the small files that make up most pages; no file
        # object either.
        try:
            return status, headers, [os.read(fd, length)]
        finally:
            os.close(fd)
    f = _open(fd)
    wrapper = environ.get("wsgi.file_wrapper")
    if status is _OK and wrapper is not None:
        return status, headers, wrapper(f, BLOCK_SIZE)
    return status, headers, _Blocks(f, start, length)


@functools.lru_cache(maxsize=256)
def _last_modified(mtime: int) -> str:
    """The Last-Modified value of *mtime* (a test's files share a few)."""
    return email.utils.formatdate(mtime, usegmt=True)


def _file_head(
    environ: dict[str, Any], st: os.stat_result, path: str
) -> tuple[Response, tuple[int, int] | None]:
    """The response for the regular file *path* (``st``) without its data,
    and the ``(start, length)`` of the data to send, if any."""
    size = st.st_size
    mtime = int(st.st_mtime)
    etag = f'"{st.st_ino:x}-{size:x}-{st.st_mtime_ns:x}"'
    validators = [
        ("ETag", etag),
        ("Last-Modified", _last_modified(mtime)),
        ("Cache-Control", "no-store"),
    ]
    if _not_modified(environ, etag, mtime):
        return (_NOT_MODIFIED, validators, []), None
    headers = [
        ("Content-Type", content_type(path)),
        *validators,
        ("Accept-Ranges", "bytes"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    byte_range = None
    header = environ.get("HTTP_RANGE")
    if header is not None and _if_range_holds(environ, etag, mtime):
        byte_range = _parse_range(header, size)
    if byte_range == _UNSATISFIABLE:
        return _error(
            _UNSATISFIABLE_RANGE,
            f"The requested range is outside the file's {size} bytes.",
            [("Content-Range", f"bytes */{size}")],
        ), None
    if isinstance(byte_range, tuple):
        start, end = byte_range
        length = end - start + 1
        headers.append(("Content-Range", f"bytes {start}-{end}/{size}"))
        headers.append(("Content-Length", str(length)))
        return (_PARTIAL, headers, []), (start, length)
    headers.append(("Content-Length", str(size)))
    return (_OK, headers, []), (0, size)


def _open(fd: int) -> BinaryIO:
    """A file object that owns *fd*."""
    try:
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class _Blocks:
    """The *length* bytes of *f* from *offset* on, in blocks; closes *f*."""

    def __init__(self, f: BinaryIO, offset: int, length: int) -> None:
        self._file = f
        self._offset = offset
        self._left = length

    def __iter__(self) -> Iterator[bytes]:
        if self._left > 0:
            self._file.seek(self._offset)
        while self._left > 0:
            block = self._file.read(min(BLOCK_SIZE, self._left))
            if not block:
                break
            self._left -= len(block)
            yield block

    def close(self) -> None:
        self._file.close()


def content_type(path: str) -> str:
    """Return the ``Content-Type`` to send for the file at *path*."""
    extension = os.path.splitext(os.path.basename(path))[1]
    known = MIME_TYPES.get(extension.lower())
    if known is not None:
        return known
    # Only the extension, so that a name like ``data:x`` is not a URL.
    guessed, encoding = mimetypes.guess_type("f" + extension, strict=False)
    if guessed is None or encoding is not None:
        return "application/octet-stream"
    return guessed


# -- validators (RFC 9110, 13.1 and 13.2.2) -------------------------------


def _not_modified(environ: dict[str, Any], etag: str, mtime: int) -> bool:
    """Whether ``If-None-Match`` or ``If-Modified-Since`` allow a 304."""
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        ours = etag.strip('"')
        return any(
            tag == ours for _, tag in _ENTITY_TAG.findall(if_none_match)
        )
    since = _parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
    return since is not None and mtime <= since


def _if_range_holds(environ: dict[str, Any], etag: str, mtime: int) -> bool:
    """Whether a ``Range`` header is to be honoured given ``If-Range``."""
    if_range: str | None = environ.get("HTTP_IF_RANGE")
    if if_range is None:
        return True
    if_range = if_range.strip()
    if if_range.startswith(('"', "W/")):
        # Strong comparison: a weak tag never matches.
        return if_range == etag
    return _parse_date(if_range) == mtime


def _parse_date(value: str | None) -> int | None:
    """Return the HTTP-date *value* as a POSIX timestamp, None if invalid."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_tz(value.strip())
        if parsed is None:
            return None
        if parsed[9] is None:
            # asctime() dates and "-0000" carry no zone; HTTP means GMT.
            parsed = (*parsed[:9], 0)
        return int(email.utils.mktime_tz(parsed))
    except (ValueError, TypeError, OverflowError, IndexError):
        return None


def _parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """Parse a ``Range`` header (RFC 9110, 14.1.2).

    :returns: ``(first, last)`` byte positions (inclusive) of a single
        satisfiable range, ``_UNSATISFIABLE``, or None when the header is to
        be ignored (invalid, another unit, or several ranges).
    """
    unit, equals, specs = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return None
    ranges = [spec.strip() for spec in specs.split(",") if spec.strip()]
    if len(ranges) != 1:
        return None
    match = _RANGE_SPEC.fullmatch(ranges[0])
    if match is None:
        return None
    first, last = match.groups()
    if first:
        start = int(first)
        end = int(last) if last else size - 1
        if last and end < start:
            return None
        if start >= size:
            return _UNSATISFIABLE
        return start, min(end, size - 1)
    if not last:
        return None
    suffix = int(last)
    if suffix == 0 or size == 0:
        return _UNSATISFIABLE
    return max(size - suffix, 0), size - 1


# -- paths, directories, errors -------------------------------------------


def _find(
    root: str, base: str, names: list[str]
) -> tuple[str, os.stat_result] | None:
    """Look up *names* below *base*, a resolved path in the resolved *root*.

    Return the resolved path and its ``os.stat``, or None if it lies
    outside *root*. Raises :exc:`OSError` as ``os.stat`` does (a missing
    file, a denied directory).

    Equivalent to resolving ``base/names...`` with :func:`os.path.realpath`
    and checking it against *root*, but in one ``lstat`` per name: while no
    name is a symbolic link, the path is its own resolution (names are
    never ``..``, ``.`` or empty), so the links are resolved only where
    there are any. realpath() would walk every directory of *root* again
    for each request.
    """
    path = base
    st = None
    for i, name in enumerate(names):
        path = os.path.join(path, name)
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            resolved = _inside(root, os.path.join(path, *names[i + 1 :]))
            if resolved is None:
                return None
            return resolved, os.stat(resolved)
    if st is None:
        st = os.stat(path)
    return path, st


def _inside(root: str, path: str) -> str | None:
    """Return *path* resolved if that is *root* or below it, else None."""
    resolved = os.path.realpath(path)
    try:
        if os.path.commonpath([root, resolved]) == root:
            return resolved
    except ValueError:
        pass
    return None


def _redirect(environ: dict[str, Any], segments: list[str]) -> Response:
    # Built from the cleaned segments, so that ``//host`` can never become
    # a redirect to another host.
    base = urllib.parse.quote(
        environ.get("SCRIPT_NAME", "").rstrip("/"), encoding="latin-1"
    )
    path = "".join("/" + urllib.parse.quote(s) for s in segments)
    location = f"{base}{path}/"
    query = environ.get("QUERY_STRING")
    if query:
        query = urllib.parse.quote(query, _QUERY_SAFE, encoding="latin-1")
        location = f"{location}?{query}"
    return _error(
        _MOVED,
        f"This is a directory: {location}",
        [("Location", location)],
    )


def _listing(target: str, segments: list[str]) -> Response:
    try:
        with os.scandir(target) as scan:
            entries = sorted((e.name, _is_dir(e)) for e in scan)
    except PermissionError:
        return _forbidden()
    except OSError:
        return _not_found()
    title = html.escape(_display("".join(f"/{s}" for s in segments) + "/"))
    lines = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8">',
        f"<title>Index of {title}</title></head>",
        f"<body><h1>Index of {title}</h1>",
        "<ul>",
    ]
    if segments:
        lines.append('<li><a href="../">../</a></li>')
    for name, is_dir in entries:
        suffix = "/" if is_dir else ""
        href = urllib.parse.quote(name, errors="surrogateescape") + suffix
        text = html.escape(_display(name) + suffix)
        lines.append(f'<li><a href="{html.escape(href)}">{text}</a></li>')
    lines.append("</ul></body></html>")
    return _text(_OK, "\n".join(lines), "text/html")


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _display(name: str) -> str:
    """Make a file name from the disk (maybe not UTF-8) printable."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _error(
    status: str, message: str, extra: Headers | None = None
) -> Response:
    return _text(status, message, "text/plain", extra)


def _text(
    status: str, text: str, kind: str, extra: Headers | None = None
) -> Response:
    """A response of ``text`` (a line added), UTF-8, never cached."""
    body = (text + "\n").encode("utf-8")
    headers = [
        ("Content-Type", f"{kind}; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        *(extra or ()),
    ]
    return status, headers, [body]


def _not_found() -> Response:
    return _error(_NOT_FOUND, "There is no file at this path.")


def _forbidden() -> Response:
    return _error(_FORBIDDEN, "The file may not be read.")
