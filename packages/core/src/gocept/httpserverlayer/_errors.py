"""The errors of gocept.httpserverlayer: one base class, specific subclasses.

Every exception the distribution raises on purpose is an :class:`Error`.
Those that stand for a request the server refuses carry the HTTP status and
the sentence the client gets (:class:`Rejected`); the connection loop
answers them and goes on serving other connections.
"""

from __future__ import annotations

__all__ = [
    "BadRequest",
    "BindError",
    "ClientDisconnected",
    "ConfigurationError",
    "Error",
    "Rejected",
]


class Error(Exception):
    """Base class of the errors of gocept.httpserverlayer."""


class ConfigurationError(Error, ValueError):
    """A setting (an environment variable, a layer attribute) is wrong.

    Its message names the setting, the value and what to set instead.
    """


class BindError(Error, OSError):
    """The server could not listen on the host and port it was given."""


class Rejected(Error):
    """A request the server refuses, with the status it answers.

    :ivar status: the HTTP status code of the answer (400, 411, 414, ...).
    :ivar reason: one sentence for the client, naming what is wrong.
    :ivar method: the request's method, when it was read before the
        rejection; else empty.
    :ivar target: likewise its target.
    """

    method = ""
    target = ""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class BadRequest(Rejected, ValueError):
    """The request is malformed: answered with ``400 Bad Request``.

    Also what an application gets from ``wsgi.input`` when the body it
    reads turns out malformed; it is a :exc:`ValueError`, as before.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(400, reason)


class ClientDisconnected(Error, ConnectionResetError):
    """The client closed the connection before it sent the whole request."""
