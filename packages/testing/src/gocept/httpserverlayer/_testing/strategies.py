"""What the hostile-input runs share: hypothesis settings and the request
that a smuggling input hides in a body."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck
from hypothesis import settings

# The request a smuggling shape hides after the body its framing declares:
# a server that serves it has split the stream differently from its
# client's reading of the framing.
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


def settings_for(count: int) -> Any:
    """Settings for a run of ``count`` inputs that CI repeats exactly:
    derandomized, no example database, no deadline (a socket round trip
    per input), no health checks (slow generation is not an error here)."""
    return settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
