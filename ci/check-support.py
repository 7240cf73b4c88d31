"""Check that docs/support.rst lists the version cells that `make test` runs.

Usage: python ci/check-support.py  (`tox -e lint` runs it)

Every env of tox.ini's env_list with a version factor (py3XX, zope5,
plone61, lowest) must be named in docs/support.rst, and every env name the
page gives must be one of env_list or of the label `matrix`, so that the
table neither misses a cell nor names one that no longer runs. Prints one
sentence per violation and exits with 1 when there is one.
"""

from __future__ import annotations

import configparser
import itertools
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "support.rst"
# zope2 is a suite (the distribution for Zope 2's heirs), not a version.
VERSION_FACTORS = re.compile(r"^(py3\d+|zope(?!2$)\d+|plone\d+|lowest)$")


def expand(entry: str) -> list[str]:
    """Expand tox's generative names: `py3{12,13}-{a,b}` to four names."""
    parts = re.split(r"(\{[^}]*\})", entry)
    choices = [p[1:-1].split(",") if p.startswith("{") else [p] for p in parts]
    return ["".join(combo) for combo in itertools.product(*choices)]


def envs(value: str) -> list[str]:
    found = []
    for line in value.splitlines():
        line = line.split("#", 1)[0]
        for entry in re.split(r",\s*(?![^{]*\})", line):
            if entry := entry.strip().rstrip("\\").strip():
                found += expand(entry)
    return found


def main() -> int:
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "tox.ini", encoding="utf-8")
    env_list = envs(config["tox"]["env_list"])
    labels = config["tox"].get("labels", "")
    matrix = (
        envs(labels.split("matrix =", 1)[1]) if "matrix =" in labels else []
    )
    known = set(env_list) | set(matrix)
    factors = {factor for env in known for factor in env.split("-")}
    # A factor alone (``full``, ``lowest``) is a word of the page, no env.
    suites = {f for f in factors if not VERSION_FACTORS.match(f)} - {"full"}
    named = {
        token
        for token in re.findall(r"``([a-z0-9-]+)``", PAGE.read_text("utf-8"))
        if set(token.split("-")) <= factors and set(token.split("-")) & suites
    }
    errors = [
        f"docs/support.rst: names the tox env {env}, which neither env_list"
        " nor the label matrix of tox.ini has; remove or rename it."
        for env in sorted(named - known)
    ]
    errors += [
        f"docs/support.rst: lacks {env}, a version cell of `make test`"
        " (tox.ini's env_list); add it to the table."
        for env in env_list
        if env not in named
        and any(VERSION_FACTORS.match(f) for f in env.split("-"))
    ]
    for message in errors:
        print(message, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
