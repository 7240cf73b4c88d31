"""The WSGI middleware that mends what passes between server and Zope."""

from __future__ import annotations

import re
import wsgiref.util
from collections.abc import Callable
from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIApplication
    from _typeshed.wsgi import WSGIEnvironment


class FixupMiddleware:
    """Wraps a WSGI application so that servers and middlewares agree.

    On the way in, ``CONTENT_LENGTH`` becomes a plain number or goes away:

    * an empty value (wsgiref sets one on every request without a body) is
      removed, as if the client had sent no Content-Length;
    * a merged duplicate header such as ``12, 12`` (what a server or proxy
      makes of a header sent twice) becomes ``12``.

    Middlewares such as ``repoze.retry`` call ``int()`` on the value and
    fail on either. A value that is no length at all (``12, 13``, ``abc``,
    ``-1``) is answered with ``400 Bad Request`` naming it, without calling
    the application: nobody can know how much body follows.

    Requests Zope's publisher cannot read are answered with ``400 Bad
    Request`` naming what is wrong, without calling the application, where
    Zope would fail with a ``500`` and a traceback:

    * a path that is not UTF-8 once percent-decoded (``/%ff``): Zope
      decodes every path as UTF-8 and raises ``UnicodeDecodeError``;
    * a ``multipart/form-data`` body whose Content-Type has no boundary:
      Zope raises ``KeyError: 'boundary'``.

    On the way out, hop-by-hop headers (``Connection``, ``Keep-Alive``,
    ``Transfer-Encoding`` and the others of RFC 2616, section 13.5.1) are
    removed from the application's response: they belong to the server,
    and strict servers such as :mod:`wsgiref` refuse a response that has
    them.

    ``start_response`` may be called with two arguments or three
    (``exc_info``); its ``write`` callable, the application's iterable
    (a generator, a ``wsgi.file_wrapper``) and its ``close()`` reach the
    server untouched, so streaming and file serving work as without the
    middleware.

    :param app: the WSGI application to wrap.

    .. versionchanged:: 5.0
       Accepts the two-argument ``start_response`` call; normalises merged
       duplicate Content-Length values; removes every hop-by-hop header, not
       only ``Connection``; answers 400 to a path that is not UTF-8 and to
       a multipart body without boundary; moved to the
       ``gocept.httpserverlayer.zope2`` distribution.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        if "CONTENT_LENGTH" in environ:
            length = _content_length(environ["CONTENT_LENGTH"])
            if length is None:
                del environ["CONTENT_LENGTH"]
            elif isinstance(length, int):
                environ["CONTENT_LENGTH"] = str(length)
            else:
                return _bad_request(length, start_response)
        unreadable = _unreadable(environ)
        if unreadable:
            return _bad_request(unreadable, start_response)
        return self.app(environ, _without_hop_by_hop(start_response))


def _content_length(value: str) -> int | str | None:
    """The length in a CONTENT_LENGTH value: None when there is none, an
    int when there is one, and an error message when it is malformed."""
    values = {part.strip() for part in value.split(",")}
    values.discard("")
    if not values:
        return None
    if len(values) == 1:
        (digits,) = values
        # isdigit() alone takes non-ASCII digits ("²"), which int() refuses.
        if digits.isascii() and digits.isdigit():
            return int(digits)
    return (
        f"Bad Content-Length {value!r}: send one non-negative number of"
        " bytes, once."
    )


# A boundary parameter as Zope's form parser (the ``multipart`` package)
# finds one: spaces (no tabs) around ";" and "=", a token or a quoted string.
_BOUNDARY = re.compile(
    r'; *boundary *= *(?:"(?:\\.|[^\\"])+"|[!#$%&\'*+.^_`|~0-9A-Za-z-]+)',
    re.IGNORECASE | re.ASCII,
)


def _unreadable(environ: WSGIEnvironment) -> str | None:
    """What makes Zope's publisher fail on this request, or None."""
    path = environ.get("PATH_INFO", "")
    try:
        # PEP 3333: the path's bytes, each as one latin-1 character.
        path.encode("latin-1").decode("utf-8")
    except UnicodeEncodeError:
        pass  # not bytes as latin-1: the server decoded it already
    except UnicodeDecodeError:
        return (
            f"Bad request path {path.encode('latin-1')!r}: it is not UTF-8"
            " once percent-decoded, and Zope publishes UTF-8 paths only."
        )
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type.split(";")[0].strip().lower() == "multipart/form-data":
        if not _BOUNDARY.search(content_type):
            return (
                f"Bad Content-Type {content_type!r}: multipart/form-data"
                " needs a boundary parameter."
            )
    return None


def _bad_request(message: str, start_response: StartResponse) -> list[bytes]:
    body = message.encode("utf-8")
    start_response(
        "400 Bad Request",
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ],
    )
    return [body]


def _without_hop_by_hop(
    start_response: StartResponse,
) -> Callable[..., Callable[[bytes], object]]:
    def fixed_start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        headers = [
            (name, value)
            for name, value in headers
            if not wsgiref.util.is_hop_by_hop(name)
        ]
        # Pass exc_info on only when given: some servers' start_response
        # takes no third argument.
        if exc_info is None:
            return start_response(status, headers)
        return start_response(status, headers, exc_info)

    return fixed_start_response
