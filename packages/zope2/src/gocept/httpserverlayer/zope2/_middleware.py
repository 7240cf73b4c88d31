"""The WSGI middleware that mends what passes between server and Zope."""

from __future__ import annotations

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
       only ``Connection``; moved to the ``gocept.httpserverlayer.zope2``
       distribution.
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
