"""Capture what a block writes to stderr and to the server's log."""

from __future__ import annotations

import contextlib
import io
import logging
import sys
from collections.abc import Iterator

LOGGER = "gocept.httpserverlayer"


class Records(logging.Handler):
    """A logging handler that keeps every record in ``records``."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def captured_stderr() -> Iterator[io.StringIO]:
    """Replace sys.stderr by a StringIO for the block; yield it."""
    stream = io.StringIO()
    old, sys.stderr = sys.stderr, stream
    try:
        yield stream
    finally:
        sys.stderr = old


@contextlib.contextmanager
def captured_log() -> Iterator[list[logging.LogRecord]]:
    """Collect the records of the 'gocept.httpserverlayer' logger, every
    level, for the block; yield the list."""
    log = logging.getLogger(LOGGER)
    handler = Records()
    old_level = log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)


@contextlib.contextmanager
def captured() -> Iterator[tuple[io.StringIO, list[logging.LogRecord]]]:
    """Both of the above: yields ``(stderr, records)``."""
    with captured_stderr() as stderr, captured_log() as records:
        yield stderr, records
