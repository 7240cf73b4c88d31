"""The WSGI protocol: HTTP/1.1 with keep-alive for a WSGI application.

:class:`WSGIProtocol` serves each connection with the loop of
:mod:`._connection` and answers each request by calling ``site.app``
(PEP 3333) with the environ of :mod:`._environ` and the response writer of
:mod:`._response`. Bad input never reaches the application: the loop
answers it with a 4xx. An exception in the application is reported (once,
with its traceback) and kept in ``site.errors``; the client gets a 500 if
no response had started, else the connection is closed, so that it sees
the response as incomplete.
"""

from __future__ import annotations

from typing import Any

from gocept.httpserverlayer._body import EMPTY_INPUT
from gocept.httpserverlayer._capture import record_body
from gocept.httpserverlayer._connection import CONTROL
from gocept.httpserverlayer._connection import Connection
from gocept.httpserverlayer._connection import is_disconnect
from gocept.httpserverlayer._connection import send_error
from gocept.httpserverlayer._connection import serve
from gocept.httpserverlayer._environ import environ
from gocept.httpserverlayer._errors import BadRequest
from gocept.httpserverlayer._parser import RequestHead
from gocept.httpserverlayer._report import request_line
from gocept.httpserverlayer._report import warn
from gocept.httpserverlayer._response import Exchange
from gocept.httpserverlayer._response import FileEnded
from gocept.httpserverlayer._response import run_app
from gocept.httpserverlayer._site import Site

APP_FAILED = (
    "The application raised an exception; its traceback is in the test"
    " run's output."
)


class WSGIProtocol:
    """Serves ``site.app`` on each connection it is given.

    :param site: what it serves, and where it records.
    """

    def __init__(self, site: Site) -> None:
        self.site = site

    def __call__(self, connection: Connection) -> bool:
        return serve(connection, self.site, self.respond)

    def respond(
        self, connection: Connection, head: RequestHead, body: Any
    ) -> bool:
        """Answer one request; return whether the connection may go on."""
        site = self.site
        sock = connection.sock
        env = environ(head, site, connection.address, body)
        exchange = Exchange(sock, head, site, body)
        app = site.app
        if connection.phase is CONTROL:  # serve() asked is_control()
            assert site.control is not None
            app = site.control[1]
            exchange.pending = None  # not recorded
        elif body is not EMPTY_INPUT and exchange.pending is not None:
            # The record keeps a bounded copy of the body.
            env["wsgi.input"] = record_body(
                body,
                exchange.pending,
                site.records.max_body,
                body.owes_continue,
            )
        try:
            run_app(app, env, exchange, sock)
        except BaseException as e:
            return _failed(e, exchange, connection, site)
        if site.verbose:
            request_line(
                f'{connection.address[0]} "{head.method} {head.target[:200]}'
                f' {head.version}" {exchange.code} {exchange.sent}'
            )
        return not exchange.close


def _failed(
    e: BaseException, exchange: Exchange, connection: Connection, site: Site
) -> bool:
    """Deal with an exception from the application; False: close."""
    if is_disconnect(e):
        return False
    if isinstance(e, FileEnded):
        warn(
            f"{site.name}: {e} while serving {connection.describe()};"
            " closed the connection, so that the client sees the response"
            " as incomplete."
        )
        return False
    if isinstance(e, BadRequest) and not exchange.head_sent:
        # A malformed body the application read: the client's fault.
        exchange.record(400)
        send_error(connection.sock, 400, str(e))
        return False
    if isinstance(e, (KeyboardInterrupt, SystemExit)):
        raise e
    site.report_error(connection, "exception in the application")
    if not exchange.head_sent:
        exchange.record(500)
        send_error(connection.sock, 500, APP_FAILED)
    # With the head sent, closing without the rest of the body tells the
    # client that the response is incomplete.
    return False
