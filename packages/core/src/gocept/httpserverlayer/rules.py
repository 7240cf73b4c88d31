"""HTTP rules that every part of gocept.httpserverlayer applies the same way.

The server, the static files application and the integrations
(``FixupMiddleware`` of ``gocept.httpserverlayer.zope2``, the zope.app
publisher of ``gocept.httpserverlayer.zopeappwsgi``) take these rules from
here, so that each one is written once:

* :func:`content_length`: what a Content-Length value means;
* :func:`decode_path`: a WSGI ``PATH_INFO`` as the UTF-8 text that Zope,
  zope.publisher and the static files application publish;
* :data:`HOP_BY_HOP` and :func:`is_hop_by_hop`: the headers that belong to
  a connection, not to a response an application makes;
* :func:`status_line` and :func:`plain_response`: ``400 Bad Request`` and
  friends, phrased by :class:`http.HTTPStatus`.

.. versionadded:: 5.0
"""

from __future__ import annotations

import http
from typing import TYPE_CHECKING

from gocept.httpserverlayer import _parser
from gocept.httpserverlayer._errors import BadRequest

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse

__all__ = [
    "HOP_BY_HOP",
    "BadRequest",
    "content_length",
    "decode_path",
    "is_hop_by_hop",
    "plain_response",
    "status_line",
]

#: Header names (lower case) that only make sense for one connection: those
#: of RFC 9110 7.6.1 and RFC 2616 13.5.1, which PEP 3333 forbids
#: applications to send. The server sets the framing itself and drops them
#: from an application's response, and ``FixupMiddleware`` removes them
#: for servers that refuse them (``wsgiref`` does).
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)


def is_hop_by_hop(name: str) -> bool:
    """Whether the header ``name`` (any case) is in :data:`HOP_BY_HOP`."""
    return name.lower() in HOP_BY_HOP


def content_length(value: str) -> int:
    """The number of bytes a Content-Length value (RFC 9110 8.6) says.

    One number of at most 20 digits, or that number repeated in a list
    (``12, 12``, what a server or proxy makes of a header sent twice).

    :raises BadRequest: naming the value, for anything else (``12, 13``,
        ``-1``, ``+1``, ``abc``, an empty value).
    """
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:
        raise _parser.bad_content_length(value) from None
    return _parser.content_length(raw)


def decode_path(path: str) -> str:
    """A WSGI ``PATH_INFO`` as text: its bytes decoded as UTF-8.

    PEP 3333 hands the path's bytes over as latin-1 characters; Zope,
    zope.publisher and :mod:`gocept.httpserverlayer.static` publish UTF-8
    paths. A path that is not latin-1 was decoded by its server already
    and is returned as it is.

    :raises BadRequest: naming the bytes, for a path that is not UTF-8 once
        percent-decoded (``/%ff``).
    """
    try:
        raw = path.encode("latin-1")
    except UnicodeEncodeError:
        return path  # not bytes as latin-1: the server decoded it already
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(
            f"Bad request path {raw!r}: it is not UTF-8 once"
            " percent-decoded; send the UTF-8 bytes of the path."
        ) from None


def status_line(code: int) -> str:
    """``404 Not Found``: the code and its phrase (RFC 9110 15)."""
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        phrase = "Error" if code >= 400 else "Unknown"
    return f"{code} {phrase}"


def plain_response(
    start_response: StartResponse, code: int, message: str
) -> list[bytes]:
    """Answer a WSGI request with ``code`` and ``message`` as plain text."""
    body = message.encode()
    start_response(
        status_line(code),
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ],
    )
    return [body]
