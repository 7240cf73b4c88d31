"""HTTP/1.1 requests, from bytes to typed values, without sockets.

:func:`read_head` reads one request head (request line and header fields)
through a ``readline`` callable and returns a :class:`RequestHead`: the
method, target, version and headers, and the :class:`Framing` of what
follows (no body, a body of Content-Length bytes, a chunked body;
whether the connection may serve another request; whether the client
waits for ``100 Continue``). :func:`read_chunked` reads a chunked body
and its trailers through ``readline`` and ``read``. Whatever breaks the
rules raises :class:`~._errors.Rejected` with the status to answer and a
sentence that says what is wrong; the grammar is :mod:`._abnf`.

Every layer's connection loop (:mod:`._connection`) feeds its socket's
buffered reader to these functions, and the tests feed
:class:`io.BytesIO` objects: no rule of HTTP/1.1 lives anywhere else.
"""

from __future__ import annotations

import enum
import io
from collections.abc import Callable
from typing import NamedTuple

from gocept.httpserverlayer import _abnf
from gocept.httpserverlayer._errors import BadRequest
from gocept.httpserverlayer._errors import ClientDisconnected
from gocept.httpserverlayer._errors import Rejected

#: Longest request line read (RFC 9112 3: a server SHOULD answer 414 to a
#: request-target longer than it wishes to parse).
MAX_REQUEST_LINE = 16 * 1024
#: Largest header section, in bytes (RFC 9110 15.5.21: 431).
MAX_HEADER_BYTES = 64 * 1024
#: Most header fields in one request.
MAX_HEADERS = 100
#: Longest chunk size line (with its extensions).
MAX_CHUNK_LINE = 4096
#: Largest trailer section of a chunked body, in bytes.
MAX_TRAILERS = 64 * 1024

Readline = Callable[[int], bytes]
Read = Callable[[int], bytes]


class Body(enum.Enum):
    """How the body of a request is framed (RFC 9112 6.3)."""

    #: No body: neither Content-Length (or 0) nor Transfer-Encoding.
    NONE = "none"
    #: ``Content-Length`` bytes follow the head.
    LENGTH = "length"
    #: A chunked body follows the head (``Transfer-Encoding: chunked``).
    CHUNKED = "chunked"


# The members as module names, which the request path uses: on Python 3.11
# a member lookup (Body.CHUNKED) goes through EnumType.__getattr__ and takes
# ten times as long as a global's (nine per request were about a tenth of a
# small request's cost). Python 3.12 dropped that __getattr__.
NO_BODY, LENGTH, CHUNKED = Body.NONE, Body.LENGTH, Body.CHUNKED


class Framing(NamedTuple):
    """What follows a request head, and what may follow its response.

    (Named tuples, this and :class:`RequestHead`: immutable like a frozen
    dataclass, and built for every request at a fraction of its cost.)

    :ivar body: how the body is framed.
    :ivar length: the Content-Length the client sent, None without one.
    :ivar keep_alive: whether the connection may carry another request
        after this one (RFC 9112 9.3).
    :ivar expect_continue: whether the client waits for ``100 Continue``
        before it sends the body (RFC 9110 10.1.1); only with a body.
    """

    body: Body
    length: int | None
    keep_alive: bool
    expect_continue: bool


class RequestHead(NamedTuple):
    """A request line and its header fields, checked.

    :ivar method: ``GET``, ``POST``, ... (case-sensitive, RFC 9110 9.1).
    :ivar target: the request-target as sent (latin-1).
    :ivar version: the version the request is served with: ``HTTP/1.0``
        or ``HTTP/1.1`` (an ``HTTP/1.2`` request is served as 1.1, RFC
        9112 2.3).
    :ivar headers: the header fields in the order they came, as (name,
        value) byte pairs, the value without surrounding whitespace.
    :ivar path: the target's path, still percent-encoded (latin-1), from
        any of the target's forms: ``/a/b`` for ``http://host/a/b?q``,
        ``/`` for ``http://host``, ``*`` for ``OPTIONS *``.
    :ivar query: the target's query, without ``?`` and without a fragment.
    :ivar framing: the framing of the body and the connection.
    """

    method: str
    target: str
    version: str
    headers: tuple[tuple[bytes, bytes], ...]
    path: str
    query: str
    framing: Framing


# The framing of requests without a body or Content-Length (most of them),
# by keep_alive: shared, as a named tuple cannot change and costs a little
# to make.
_BODYLESS = {
    True: Framing(NO_BODY, None, True, False),
    False: Framing(NO_BODY, None, False, False),
}


def read_head(
    readline: Readline, receiving: Callable[[], None] | None = None
) -> RequestHead | None:
    """Read a request head through ``readline(limit)``.

    Returns None when the input ends before a complete head: cleanly
    between requests, or in the middle of one (the client went away).
    ``receiving`` is called once the first line of a request has come.

    :raises Rejected: for a head that breaks the rules, with the status to
        answer (400, 414, 431, 501 or 505).
    """
    line = readline(MAX_REQUEST_LINE + 1)
    if line == b"\r\n" or line == b"\n":
        # RFC 9112 2.2: ignore at least one empty line before a request.
        line = readline(MAX_REQUEST_LINE + 1)
    if not line:
        return None
    if receiving is not None:
        receiving()
    if not line.endswith(b"\n"):
        if len(line) > MAX_REQUEST_LINE:
            raise Rejected(
                414, f"The request line is longer than {MAX_REQUEST_LINE}."
            )
        return None  # the client closed the connection mid-line
    match = _abnf.request_line.fullmatch(line)
    if match is None:
        raise BadRequest(
            f"Bad request line {line[:100]!r}: send a method, a target and"
            " HTTP/1.1, separated by single spaces."
        )
    method, target, major, minor = match.groups()
    try:
        return _read_fields(readline, method, target, major, minor)
    except Rejected as e:
        # For the record of the rejected request.
        e.method = method.decode("ascii")
        e.target = target.decode("latin-1")
        raise


def _read_fields(
    readline: Readline,
    method: bytes,
    target: bytes,
    major: bytes,
    minor: bytes,
) -> RequestHead | None:
    headers: list[tuple[bytes, bytes]] = []
    total = 0
    while True:
        line = readline(MAX_HEADER_BYTES + 1)
        total += len(line)
        if total > MAX_HEADER_BYTES:
            raise Rejected(
                431, f"The request headers are larger than {MAX_HEADER_BYTES}."
            )
        if line == b"\r\n" or line == b"\n":
            break
        if not line.endswith(b"\n"):
            return None  # the client closed the connection mid-headers
        if len(headers) >= MAX_HEADERS:
            raise Rejected(431, f"More than {MAX_HEADERS} request headers.")
        field = _abnf.field_line.fullmatch(line)
        if field is None:
            raise BadRequest(_bad_field_line(line))
        headers.append((field[1], field[2]))
    return _head(method, target, _version(major, minor), tuple(headers))


def parse_head(data: bytes) -> RequestHead | None:
    """:func:`read_head` over ``data``; what remains of it is ignored."""
    return read_head(io.BytesIO(data).readline)


def _version(major: bytes, minor: bytes) -> str:
    # RFC 9112 2.3: a higher minor version of HTTP/1 is served as 1.1;
    # another major version (0.9, 2.0) is refused.
    if major != b"1":
        raise Rejected(
            505,
            f"HTTP version {major.decode()}.{minor.decode()} is not"
            " supported: send HTTP/1.1.",
        )
    return "HTTP/1.0" if minor == b"0" else "HTTP/1.1"


def _bad_field_line(line: bytes) -> str:
    name, colon, _ = line.partition(b":")
    if not colon:
        what = "it has no colon"
    elif name[-1:] in (b" ", b"\t"):
        # RFC 9112 5.1: a server MUST reject whitespace before the colon.
        what = "whitespace before the colon"
    elif line[:1] in (b" ", b"\t"):
        # RFC 9112 5.2: obs-fold, a continuation line.
        what = "a folded continuation line"
    elif not _abnf.token_re.fullmatch(name):
        what = "the name is not a token"
    else:
        what = "the value has a control character"
    return f"Bad header line {line[:100]!r}: {what}."


def _head(
    method: bytes,
    target: bytes,
    version: str,
    headers: tuple[tuple[bytes, bytes], ...],
) -> RequestHead:
    if method == b"CONNECT":
        # RFC 9110 9.3.6: CONNECT asks a proxy for a tunnel.
        raise Rejected(
            501, "This server is not a proxy: it does not implement CONNECT."
        )
    text = target.decode("latin-1")
    if target[:1] == _abnf.origin_form_start:  # nearly every request
        # A fragment is never sent (RFC 9110 4.2.5); one that comes anyway
        # is cut from the path and the query alike.
        path, _, query = text.partition("#")[0].partition("?")
    else:
        path, query = _split_target(method, target)
    return RequestHead(
        method.decode("ascii"),
        text,
        version,
        headers,
        path,
        query,
        _framing(version, headers),
    )


def _split_target(method: bytes, target: bytes) -> tuple[str, str]:
    """The path and query of a request-target that is not in origin-form
    (RFC 9112 3.2)."""
    if target == _abnf.asterisk_form:
        if method != b"OPTIONS":
            raise BadRequest(
                "The request target * is for OPTIONS only (RFC 9112 3.2.4)."
            )
        return "*", ""
    url = _abnf.absolute_form.fullmatch(target)
    if url is not None and url[1].lower() in (b"http", b"https"):
        path, query = url[3] or b"/", url[4] or b""
        return path.decode("latin-1"), query.decode("latin-1")
    if url is not None:
        raise Rejected(
            501,
            f"This server serves http and https URLs, not"
            f" {url[1].decode('ascii')}: it is not a proxy.",
        )
    raise BadRequest(
        f"Bad request target {target[:100]!r}: send a path that starts with"
        " / (or an http:// URL)."
    )


# The fields that decide the framing, by lower-case name.
_LENGTH, _CODING, _HOST, _OPTIONS, _EXPECT = range(5)
_FRAMING_FIELDS = {
    b"content-length": _LENGTH,
    b"transfer-encoding": _CODING,
    b"host": _HOST,
    b"connection": _OPTIONS,
    b"expect": _EXPECT,
}


def _framing(
    version: str, headers: tuple[tuple[bytes, bytes], ...]
) -> Framing:
    """The framing decision of RFC 9112 6.3 and 9.3."""
    lengths: list[bytes] = []
    codings: list[bytes] = []
    options: list[bytes] = []
    hosts = 0
    expect = False
    for name, value in headers:
        field = _FRAMING_FIELDS.get(name.lower())
        if field is None:
            continue  # most fields: one lookup
        if field == _LENGTH:
            lengths.append(value)
        elif field == _CODING:
            codings.append(value)
        elif field == _HOST:
            hosts += 1
        elif field == _OPTIONS:
            options.append(value)
        else:
            expect = value.lower() == b"100-continue"
    http11 = version == "HTTP/1.1"
    # RFC 9112 3.2: exactly one Host in HTTP/1.1, never two in any version.
    if hosts > 1 or (http11 and not hosts):
        raise BadRequest(
            "A request needs exactly one Host header (HTTP/1.0 at most one)."
        )
    body = NO_BODY
    length = None
    if codings:
        body = _transfer_coding(http11, codings, lengths)
    elif lengths:
        length = content_length(b", ".join(lengths))
        if length:
            body = LENGTH
    tokens = _list(options) if options else ()
    if http11:
        keep_alive = b"close" not in tokens
    else:
        keep_alive = b"keep-alive" in tokens and b"close" not in tokens
    if body is NO_BODY and length is None:
        return _BODYLESS[keep_alive]
    return Framing(
        body, length, keep_alive, expect and http11 and body is not NO_BODY
    )


def _transfer_coding(
    http11: bool, codings: list[bytes], lengths: list[bytes]
) -> Body:
    """Check Transfer-Encoding (RFC 9112 6.1); only chunked is served."""
    sent = b", ".join(codings).decode("latin-1")
    if lengths:
        # RFC 9112 6.1: a server MAY reject such a request, and it could
        # smuggle a second request past a proxy that frames it otherwise.
        raise BadRequest(
            "A request must not have both Content-Length and"
            " Transfer-Encoding."
        )
    if not http11:
        # RFC 9112 6.1: the framing of such a message is faulty.
        raise BadRequest("Transfer-Encoding needs HTTP/1.1.")
    names = _list(codings)
    if names == [b"chunked"]:
        return CHUNKED
    if not names or b"chunked" in names[:-1]:
        # RFC 9112 6.1 and 6.3: chunked comes once, and last; without it
        # last, the body's length cannot be known.
        raise BadRequest(
            f"Bad Transfer-Encoding {sent!r}: chunked must come once, last."
        )
    # RFC 9112 6.1: a coding the server does not understand gets a 501.
    raise Rejected(
        501, f"Transfer-Encoding {sent!r} is not supported; only chunked is."
    )


def _list(values: list[bytes]) -> list[bytes]:
    """The lower-case elements of comma-separated lists (RFC 9110 5.6.1).

    Several field lines of one name are one list, joined by commas (RFC
    9110 5.3); a value comes without surrounding whitespace.
    """
    joined = b",".join(values).lower()
    if b"," not in joined:  # one element: "close", "chunked"
        return [joined] if joined else []
    return [e for e in _abnf.list_separator.split(joined) if e]


def content_length(value: bytes) -> int:
    """The length in a Content-Length value (RFC 9110 8.6).

    A list of one repeated number (``12, 12``, what a proxy makes of a
    header sent twice) is that number.

    :raises BadRequest: for anything else: ``12, 13``, ``-1``, ``+1``,
        ``1e3``, an empty value, more than 20 digits.
    """
    elements = _abnf.list_separator.split(value.strip(b" \t"))
    first = elements[0]
    if _abnf.content_length.fullmatch(first) is None or any(
        element != first for element in elements[1:]
    ):
        raise bad_content_length(value.decode("latin-1"))
    return int(first)


def bad_content_length(value: str) -> BadRequest:
    """The rejection of the Content-Length ``value``."""
    return BadRequest(
        f"Bad Content-Length {value!r}: send one non-negative number of"
        " bytes, once."
    )


def read_chunked(readline: Readline, read: Read, limit: int) -> bytes:
    """Read a chunked body and its trailers (RFC 9112 7.1); its data.

    The trailer fields are checked and dropped.

    :raises Rejected: 411 when the data is longer than ``limit``.
    :raises BadRequest: for a malformed chunk line, chunk or trailer.
    :raises ClientDisconnected: when the input ends first.
    """
    parts = []
    total = 0
    while size := chunk_size(readline(MAX_CHUNK_LINE + 1)):
        total += size
        if total > limit:
            raise Rejected(
                411,
                f"A chunked request body longer than {limit} bytes is not"
                " read: send it with a Content-Length.",
            )
        data = read(size)
        end = read(2)
        if len(data) < size or len(end) < 2:
            raise ClientDisconnected("The client closed a chunked body.")
        if end != _abnf.CRLF:
            raise BadRequest(
                "A chunk is longer than its size says (or its CRLF is"
                " missing)."
            )
        parts.append(data)
    read_trailers(readline)
    return b"".join(parts)


def chunk_size(line: bytes) -> int:
    """The size in a chunk size line, its CRLF included (RFC 9112 7.1)."""
    match = _abnf.chunk_line.fullmatch(line)
    if match is not None:
        return int(match.group(1), 16)
    if not line.endswith(b"\n"):
        if len(line) > MAX_CHUNK_LINE:
            raise BadRequest("A chunk size line is too long.")
        raise ClientDisconnected("The client closed a chunked body.")
    raise BadRequest(
        f"Bad chunk size line {line[:40]!r}: send hex digits, extensions"
        " after ';' and CRLF."
    )


def read_trailers(readline: Readline) -> None:
    """Read a chunked body's trailer section and final CRLF; check it."""
    total = 0
    while True:
        line = readline(MAX_TRAILERS + 1)
        total += len(line)
        if total > MAX_TRAILERS:
            raise BadRequest("The chunked body's trailers are too large.")
        if line == _abnf.CRLF:
            return
        if not line.endswith(b"\n"):
            raise ClientDisconnected("The client closed a chunked body.")
        if _abnf.trailer_line.fullmatch(line) is None:
            raise BadRequest(
                f"Bad trailer line {line[:100]!r}: a chunked body ends with"
                " header fields, each ending in CRLF, and an empty line."
            )
