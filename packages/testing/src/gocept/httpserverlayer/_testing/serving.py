"""``python -m gocept.httpserverlayer serve`` started for a test, and
requests to what it serves.

The tests of the command run it as a user's other process would: a
subprocess with its own environment, where none of the caller's
``GOCEPT_`` settings leak in unless the test passes them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any


def start_serve(
    *args: str, pythonpath: Any, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start ``serve`` with ``args`` (the layer's dotted name first),
    ``pythonpath`` to import the layer from, and ``env`` over the caller's
    environment without its ``GOCEPT_`` variables; pipes for stdout and
    stderr, as text. The caller stops it."""
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith("GOCEPT_")
    }
    environ["PYTHONPATH"] = str(pythonpath)
    environ.update(env or {})
    return subprocess.Popen(
        [sys.executable, "-m", "gocept.httpserverlayer", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )


def call(
    method: str, url: str, body: bytes | None = None, timeout: float = 30
) -> tuple[int, Any]:
    """(status, decoded JSON or text) of one request, as an outside suite
    would send it (urllib)."""
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, data = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, data = e.code, e.read()
    try:
        return status, json.loads(data)
    except ValueError:
        return status, data.decode()
