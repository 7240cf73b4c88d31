"""The environment variables of gocept.httpserverlayer, read in one place.

Every variable is read when a layer sets up (or, for the per-test ones,
when a test sets up), never at import, so that a test run can change it.
An empty value counts as unset, as a CI matrix that leaves one blank
means. Switches follow one rule: ``1``, ``true``, ``yes`` and ``on`` (any
case) turn them on, ``0``, ``false``, ``no``, ``off`` and nothing turn
them off, and anything else is a :class:`~._errors.ConfigurationError`
that names the variable, the value and the values it takes.
"""

from __future__ import annotations

import os

from gocept.httpserverlayer._errors import ConfigurationError

#: The host the server binds to and advertises.
APP_HOST = "GOCEPT_HTTP_APP_HOST"
#: A fixed port for every layer.
APP_PORT = "GOCEPT_HTTP_APP_PORT"
#: The address to listen on, when it differs from the advertised host.
BIND_HOST = "GOCEPT_HTTP_BIND_HOST"
#: Serve HTTPS (a switch).
HTTPS = "GOCEPT_HTTP_HTTPS"
#: Fail a test during which the server caught an exception (a switch).
FAIL_ON_SERVER_ERRORS = "GOCEPT_HTTP_FAIL_ON_SERVER_ERRORS"
#: A log line per request (a switch).
VERBOSE_LOGGING = "GOCEPT_HTTP_VERBOSE_LOGGING"

#: Every variable, in the order the documentation lists them.
VARIABLES = (
    APP_HOST,
    APP_PORT,
    BIND_HOST,
    HTTPS,
    FAIL_ON_SERVER_ERRORS,
    VERBOSE_LOGGING,
)

_ON = frozenset({"1", "true", "yes", "on"})
_OFF = frozenset({"", "0", "false", "no", "off"})
# What each switch does when on, for the message about a bad value.
_SWITCHES = {
    HTTPS: ("for HTTPS", "for plain HTTP"),
    FAIL_ON_SERVER_ERRORS: (
        "to fail a test during which the server caught an exception",
        "to only report such exceptions",
    ),
    VERBOSE_LOGGING: ("for a log line per request", "for none"),
}


def text(name: str) -> str:
    """The value of variable ``name``, stripped; empty when unset."""
    return os.environ.get(name, "").strip()


def switch(name: str) -> bool:
    """Whether the switch ``name`` is on (see the module's rule)."""
    value = text(name).lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    on, off = _SWITCHES.get(name, ("to turn it on", "to turn it off"))
    raise ConfigurationError(
        f"{name}={text(name)!r} is neither on nor off: set it to 1, true,"
        f" yes or on {on}, or to 0, false, no, off or nothing {off}."
    )


def port() -> int:
    """``GOCEPT_HTTP_APP_PORT`` as a port number; 0 when unset."""
    value = text(APP_PORT)
    if not value:
        return 0
    if not (value.isascii() and value.isdigit()) or int(value) > 65535:
        raise ConfigurationError(
            f"{APP_PORT}={value!r} is not a port number: set it to a number"
            " from 1 to 65535, or to 0 or nothing to let the OS pick a free"
            " port."
        )
    return int(value)


def host() -> str:
    """``GOCEPT_HTTP_APP_HOST``, else ``localhost``."""
    return text(APP_HOST) or "localhost"


def bind_host() -> str:
    """``GOCEPT_HTTP_BIND_HOST``; empty when unset."""
    return text(BIND_HOST)


def https() -> bool:
    """Whether ``GOCEPT_HTTP_HTTPS`` asks for HTTPS."""
    return switch(HTTPS)


def fail_on_server_errors() -> bool:
    """Whether ``GOCEPT_HTTP_FAIL_ON_SERVER_ERRORS`` is on."""
    return switch(FAIL_ON_SERVER_ERRORS)


def verbose_logging() -> bool:
    """Whether ``GOCEPT_HTTP_VERBOSE_LOGGING`` asks for request lines."""
    return switch(VERBOSE_LOGGING)
