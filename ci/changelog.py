"""Run towncrier for the distributions under packages/.

    python ci/changelog.py draft [DIST ...]
    python ci/changelog.py build DIST [--version VERSION] [--date DATE]

DIST is a folder name under packages/ (`core`, `zope2`, ...); `draft`
takes every distribution by default. The settings are the repository's
towncrier.toml; this script adds what differs per distribution: its folder,
its name (from its pyproject.toml) and its version (``__version__`` of its
package, without a ``.devN`` suffix).

`draft` prints each distribution's next section, built from its news/
fragments, and fails when towncrier does (a file in news/ that is not a
fragment of a known type) or when the section is not valid reST (PyPI and
the docs would show it broken). The `changelog` tox env runs it.

`build` writes the section into the distribution's CHANGES.rst and removes
the fragments (`git rm`), at a release.
"""

from __future__ import annotations

import argparse
import io
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "packages"
CONFIG = ROOT / "towncrier.toml"
VERSION = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.M)


def distributions() -> list[str]:
    return sorted(
        folder.name
        for folder in PACKAGES.iterdir()
        if (folder / "pyproject.toml").exists()
        and not folder.name.startswith(("_", "."))
    )


def name_and_version(dist: str) -> tuple[str, str]:
    """The distribution's name and the version its next release gets."""
    pyproject = tomllib.loads(
        (PACKAGES / dist / "pyproject.toml").read_text(encoding="utf-8")
    )
    module = pyproject["tool"]["flit"]["module"]["name"]
    init = PACKAGES / dist / "src" / Path(*module.split(".")) / "__init__.py"
    match = VERSION.search(init.read_text(encoding="utf-8"))
    if match is None:
        raise SystemExit(f"{init}: no __version__ found; set one.")
    version = re.sub(r"\.dev\d*$", "", match[1])
    return pyproject["project"]["name"], version


def towncrier(dist: str, *args: str) -> subprocess.CompletedProcess[str]:
    name, version = name_and_version(dist)
    if "--version" not in args:
        args = (*args, "--version", version)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "towncrier",
            "build",
            "--config",
            str(CONFIG),
            "--dir",
            str(PACKAGES / dist),
            "--name",
            name,
            *args,
        ],
        capture_output=True,
        text=True,
    )


def rst_problems(text: str) -> str:
    """The warnings and errors docutils reports for ``text``, if any."""
    import docutils.core

    stream = io.StringIO()
    docutils.core.publish_doctree(
        text,
        settings_overrides={
            "report_level": 2,  # warnings and worse
            "halt_level": 5,  # never stop: report them all
            "warning_stream": stream,
        },
    )
    return stream.getvalue()


def draft(dists: list[str]) -> int:
    failed = 0
    for dist in dists or distributions():
        result = towncrier(dist, "--draft", "--date", "unreleased")
        print(f"== packages/{dist}")
        if result.returncode:
            print(result.stdout + result.stderr, file=sys.stderr)
            print(
                f"packages/{dist}/news: towncrier failed (above); rename or"
                " remove the file it names. A fragment is"
                " <issue>.<type> or +<word>.<type>, the types are in"
                " towncrier.toml.",
                file=sys.stderr,
            )
            failed += 1
            continue
        print(result.stdout)
        if problems := rst_problems(result.stdout):
            print(problems, file=sys.stderr)
            print(
                f"packages/{dist}/news: a fragment is not valid reST"
                " (above); fix its markup.",
                file=sys.stderr,
            )
            failed += 1
    return 1 if failed else 0


def build(dist: str, version: str | None, date: str | None) -> int:
    args = ["--yes"]
    if version:
        args += ["--version", version]
    if date:
        args += ["--date", date]
    result = towncrier(dist, *args)
    print(result.stdout + result.stderr)
    return result.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    draft_parser = commands.add_parser("draft", help="print the drafts")
    draft_parser.add_argument("dists", nargs="*", metavar="DIST")
    build_parser = commands.add_parser("build", help="write CHANGES.rst")
    build_parser.add_argument("dist", choices=distributions())
    build_parser.add_argument("--version")
    build_parser.add_argument("--date")
    args = parser.parse_args(argv)
    if args.command == "draft":
        if unknown := sorted(set(args.dists) - set(distributions())):
            parser.error(
                f"no distribution {', '.join(unknown)} under packages/;"
                f" choose from {', '.join(distributions())}"
            )
        return draft(args.dists)
    return build(args.dist, args.version, args.date)


if __name__ == "__main__":
    sys.exit(main())
