"""``python -m gocept.httpserverlayer serve`` started for a test.

The tests of the command run it as a user's other process would: a
subprocess with its own environment, where none of the caller's
``GOCEPT_`` settings leak in unless the test passes them.
"""

from __future__ import annotations

import os
import subprocess
import sys
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
