"""The WSGI environ of a request (PEP 3333), from a checked request head.

``PATH_INFO`` holds the percent-decoded bytes of the path as latin-1
characters and ``QUERY_STRING`` the query as sent; ``REQUEST_URI`` is the
target as sent. Each header ``X-Name`` becomes ``HTTP_X_NAME``; headers
sent more than once are joined with ``, `` (cookies with ``; ``), and a
header whose name has an underscore is left out: CGI names cannot tell
``X_Name`` from ``X-Name``, so a client could spoof a header that a proxy
in front of the application would have set.

``CONTENT_LENGTH`` is the length of the body the application reads: the
Content-Length the client sent, or the length of a chunked body, which the
server has read and de-chunked before the application runs (so it sees
neither ``Transfer-Encoding`` nor chunks, just a body of known length).
"""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import unquote_to_bytes

from gocept.httpserverlayer._parser import CHUNKED
from gocept.httpserverlayer._parser import RequestHead
from gocept.httpserverlayer._response import SERVER_SOFTWARE
from gocept.httpserverlayer._response import FileWrapper
from gocept.httpserverlayer._site import Site

# Header names the environ takes in another form, or not at all.
_SPECIAL = {b"content-length": None, b"transfer-encoding": None}
# Environ keys of header names seen before; bounded, as clients choose the
# names.
_KEYS: dict[bytes, str | None] = {}
_MAX_KEYS = 2000


def _key(name: bytes) -> str | None:
    """The environ key of header ``name``; None: not in the environ."""
    try:
        return _KEYS[name]
    except KeyError:
        pass
    lower = name.lower()
    key: str | None
    if lower in _SPECIAL:
        key = _SPECIAL[lower]
    elif b"_" in name:
        key = None  # see the module docstring
    elif lower == b"content-type":
        key = "CONTENT_TYPE"
    else:
        key = "HTTP_" + name.decode("ascii").upper().replace("-", "_")
    if len(_KEYS) >= _MAX_KEYS:
        _KEYS.clear()
    _KEYS[name] = key
    return key


def environ(
    head: RequestHead, site: Site, address: Any, body: Any
) -> dict[str, Any]:
    """The WSGI environ of the request ``head`` from client ``address``."""
    path = head.path
    if "%" in path:
        path = unquote_to_bytes(path.encode("latin-1")).decode("latin-1")
    env: dict[str, Any] = {
        "REQUEST_METHOD": head.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": head.query,
        "REQUEST_URI": head.target,
        "SERVER_NAME": site.server_name,
        "SERVER_PORT": str(site.server_port),
        "SERVER_PROTOCOL": head.version,
        "SERVER_SOFTWARE": SERVER_SOFTWARE,
        "GATEWAY_INTERFACE": "CGI/1.1",
        "REMOTE_ADDR": address[0],
        "REMOTE_PORT": str(address[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": site.url_scheme,
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.file_wrapper": FileWrapper,
        "wsgi.input_terminated": True,
    }
    for name, raw in head.headers:
        key = _key(name)
        if key is None:
            continue
        value = raw.decode("latin-1")
        if key in env:
            sep = "; " if key == "HTTP_COOKIE" else ", "
            env[key] = env[key] + sep + value
        else:
            env[key] = value
    framing = head.framing
    if framing.body is CHUNKED:
        env["CONTENT_LENGTH"] = str(len(body.getbuffer()))
    elif framing.length is not None:
        env["CONTENT_LENGTH"] = str(framing.length)
    return env
