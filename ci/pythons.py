"""Run a command with CPython 3.11, 3.12 and 3.13 where tox and uv find them.

Usage: python3 ci/pythons.py [COMMAND ARGS...]
(`make test` and `make matrix` run tox through it; without a command it only
reports, and exits with 1 when an interpreter is missing.)

tox's `py312`/`py313` factors make tox-uv ask uv for `cpython3.12`, which
uv looks up on PATH. On a machine where pyenv has the interpreters but the
shell has no pyenv set-up for them (its shims answer "command not found"),
uv finds none. This script finds each version without that set-up: a
`python3.X` on PATH that runs and says it is 3.X, else the newest
$PYENV_ROOT/versions/3.X.* (default ~/.pyenv). It links each one as
`python3.X` into .tox/pythons/ and runs COMMAND with that folder first on
PATH, so that uv takes exactly that interpreter.

A version it cannot find is named before and after the run; tox then skips
the envs of that factor (`skip_missing_interpreters` in tox.ini), and says
SKIP beside each of them in its summary. The command's exit status is kept.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# The versions the distributions declare (their classifiers) and test.
VERSIONS = ("3.11", "3.12", "3.13")
ROOT = Path(__file__).resolve().parent.parent
LINKS = ROOT / ".tox" / "pythons"
# Every test of ours needs ssl (HTTPS layers, trustme); a build without it
# is not an interpreter to test on.
PROBE = "import ssl, sys; print('%d.%d' % sys.version_info[:2])"


def pyenv_candidates(version: str) -> list[Path]:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    pattern = re.compile(rf"{re.escape(version)}\.(\d+)")
    found = []
    for folder in (root / "versions").glob(f"{version}.*"):
        if match := pattern.fullmatch(folder.name):
            found.append(
                (int(match.group(1)), folder / "bin" / f"python{version}")
            )
    return [path for _, path in sorted(found, reverse=True)]


def path_candidates(version: str) -> list[Path]:
    found = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if folder and Path(folder).resolve() != LINKS.resolve():
            path = Path(folder) / f"python{version}"
            if path.is_file() and os.access(path, os.X_OK):
                found.append(path)
    return found


def runs_as(path: Path, version: str) -> bool:
    try:
        result = subprocess.run(
            [str(path), "-c", PROBE],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and result.stdout.strip() == version


def find(version: str) -> Path | None:
    for path in path_candidates(version) + pyenv_candidates(version):
        if runs_as(path, version):
            return path
    return None


def link(found: dict[str, Path]) -> None:
    LINKS.mkdir(parents=True, exist_ok=True)
    for stale in LINKS.iterdir():
        stale.unlink()
    for version, path in found.items():
        (LINKS / f"python{version}").symlink_to(path)


def report(found: dict[str, Path], missing: list[str]) -> None:
    for version, path in found.items():
        print(f"ci/pythons.py: CPython {version}: {path}", flush=True)
    for version in missing:
        print(missing_message(version), file=sys.stderr, flush=True)


def missing_message(version: str) -> str:
    factor = "py" + version.replace(".", "")
    where = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    return (
        f"ci/pythons.py: MISSING CPython {version}: no working python{version}"
        f" on PATH or in {where}/versions/{version}.*; tox SKIPS every"
        f" {factor}-* env. Install it (`pyenv install {version}`) to run them."
    )


def main(argv: list[str]) -> int:
    found: dict[str, Path] = {}
    missing: list[str] = []
    for version in VERSIONS:
        if path := find(version):
            found[version] = path
        else:
            missing.append(version)
    link(found)
    report(found, missing)
    if not argv:
        return 1 if missing else 0
    env = dict(
        os.environ, PATH=f"{LINKS}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    command = shutil.which(argv[0], path=env["PATH"]) or argv[0]
    status = subprocess.call([command, *argv[1:]], env=env)
    # Once more after the run, where the summary is read.
    for version in missing:
        print(missing_message(version), file=sys.stderr, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
