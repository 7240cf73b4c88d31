"""The WSGI middleware that mends what passes between server and Zope."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import Any

from multipart import parse_options_header

from gocept.httpserverlayer.rules import BadRequest
from gocept.httpserverlayer.rules import content_length
from gocept.httpserverlayer.rules import decode_path
from gocept.httpserverlayer.rules import is_hop_by_hop
from gocept.httpserverlayer.rules import plain_response

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
    ``Transfer-Encoding`` and the others of
    :data:`gocept.httpserverlayer.rules.HOP_BY_HOP`) are removed from the
    application's response: they belong to the server, and strict servers
    such as :mod:`wsgiref` refuse a response that has them.

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
        try:
            _fix_content_length(environ)
            _check_readable(environ)
        except BadRequest as e:
            return plain_response(start_response, 400, str(e))
        return self.app(environ, _without_hop_by_hop(start_response))


def _fix_content_length(environ: WSGIEnvironment) -> None:
    """Make ``CONTENT_LENGTH`` a plain number, or remove an empty one."""
    if "CONTENT_LENGTH" not in environ:
        return
    value = environ["CONTENT_LENGTH"]
    if not value.strip():
        del environ["CONTENT_LENGTH"]  # wsgiref's "" for no body
    else:
        environ["CONTENT_LENGTH"] = str(content_length(value))


def _check_readable(environ: WSGIEnvironment) -> None:
    """Refuse what makes Zope's publisher fail (see the class)."""
    # Zope decodes every path as UTF-8, outside its error handling.
    decode_path(environ.get("PATH_INFO", ""))
    content_type = environ.get("CONTENT_TYPE", "")
    # Zope's form parser reads the boundary with multipart's own
    # parse_options_header(): ask it, not a copy of its rules.
    kind, options = parse_options_header(content_type)
    if kind == "multipart/form-data" and not options.get("boundary"):
        raise BadRequest(
            f"Bad Content-Type {content_type!r}: multipart/form-data needs a"
            " boundary parameter."
        )


def _without_hop_by_hop(
    start_response: StartResponse,
) -> Callable[..., Callable[[bytes], object]]:
    def fixed_start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        headers = [
            (name, value) for name, value in headers if not is_hop_by_hop(name)
        ]
        # Pass exc_info on only when given: some servers' start_response
        # takes no third argument.
        if exc_info is None:
            return start_response(status, headers)
        return start_response(status, headers, exc_info)

    return fixed_start_response
