"""How the servers tell the test run about errors and requests.

Every report goes to the ``gocept.httpserverlayer`` logger *and* to standard
error, once: when logging is already configured to write to standard error
(as ``logging.basicConfig()`` does), the logger's record is the only output.
zope.testrunner silences logging unless a ``log.ini`` configures it, so the
direct write to standard error is what a developer normally sees.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback

log = logging.getLogger("gocept.httpserverlayer")
# A library does not decide where its records go; without this handler,
# Python's "last resort" handler would print them a second time.
log.addHandler(logging.NullHandler())

_TRUE = {"1", "true", "yes", "on"}

#: Set while the pytest plugin runs: it fails the tests that a layer's
#: server caught exceptions during (under zope.pytestlayer).
pytest_fails_tests = False


def verbose_logging() -> bool:
    """Tell whether GOCEPT_HTTP_VERBOSE_LOGGING asks for request log lines.

    Any value but an empty one, ``0``, ``false``, ``no`` or ``off`` turns it
    on (4.x turned it on when the variable was set at all).
    """
    value = os.environ.get("GOCEPT_HTTP_VERBOSE_LOGGING")
    if value is None:
        return False
    return value.strip().lower() not in {"", "0", "false", "no", "off"}


def _logging_reaches_stderr(level: int) -> bool:
    logger: logging.Logger | None = log
    while logger is not None:
        for handler in logger.handlers:
            if (
                isinstance(handler, logging.StreamHandler)
                and getattr(handler, "stream", None)
                in (sys.stderr, sys.__stderr__)
                and handler.level <= level
            ):
                return log.isEnabledFor(level)
        logger = logger.parent if logger.propagate else None
    return False


def _emit(level: int, message: str, exc_info: bool = False) -> None:
    log.log(level, "%s", message, exc_info=exc_info)
    if _logging_reaches_stderr(level):
        return
    text = f"gocept.httpserverlayer: {message}\n"
    if exc_info:
        text += traceback.format_exc()
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr closed at interpreter exit: nothing left to tell


def report_exception(message: str) -> str:
    """Report the exception being handled, with its traceback, once.

    Returns the traceback as text.
    """
    _emit(logging.ERROR, message, exc_info=True)
    return traceback.format_exc()


def warn(message: str) -> None:
    """Report a problem that is not an exception, once."""
    _emit(logging.WARNING, message)


def request_line(message: str) -> None:
    """Write one request log line (GOCEPT_HTTP_VERBOSE_LOGGING)."""
    _emit(logging.INFO, message)
