"""Progress through a tox run of several envs, such as `make test`'s.

tox loads this file as a plugin of the project (an "inline plugin", found
beside tox.ini). Before the commands of each env it prints where the run
stands, for instance::

    core: env 3 of 14, 2 min 10 s into the run

The count is over the envs named with ``-e``, those of the labels named
with ``-m`` (``make matrix``), or else tox.ini's ``env_list``; a run of one
env prints nothing.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from tox.plugin import impl

if TYPE_CHECKING:
    from tox.tox_env.api import ToxEnv

STARTED = time.monotonic()


def selected(tox_env: ToxEnv) -> list[str]:
    """The names of the envs this run goes through, in order."""
    names = list(tox_env.options.env)
    labels = getattr(tox_env.options, "labels", None) or []
    if labels:
        # -m: the envs of each label, in order, each once.
        defined = tox_env.core["labels"]
        for label in labels:
            names += [n for n in defined.get(label, ()) if n not in names]
    elif not names and not tox_env.options.env.is_all:
        names = list(tox_env.core["env_list"])
    return names


def duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


@impl
def tox_before_run_commands(tox_env: ToxEnv) -> None:
    names = selected(tox_env)
    if len(names) < 2 or tox_env.name not in names:
        return
    number = names.index(tox_env.name) + 1
    # One write of the whole line: tox reports from other threads at the
    # same time, and print() writes the text and its newline apart, so
    # that another thread's line could end up between them.
    sys.stdout.write(
        f"{tox_env.name}: env {number} of {len(names)},"
        f" {duration(time.monotonic() - STARTED)} into the run\n"
    )
    sys.stdout.flush()
