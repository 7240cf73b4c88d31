"""Check that every packages/*/pyproject.toml has the shape of the template.

Usage: python ci/check-pyprojects.py  (`tox -e lint` runs it)

The template is packages/_template/pyproject.toml. Each distribution must
build with `flit_core >=3.11,<5`, take its version and description from its
package (`dynamic = ["version", "description"]`), ship its tests and
changelog in the sdist, require Python 3.11 or later, name in its
classifiers exactly the Python versions that `make test` runs (VERSIONS of
ci/pythons.py), and carry no tool
configuration but flit's: ruff and the test runner are configured once in
the root pyproject.toml. Prints one sentence per violation, naming the file
and the fix, and exits with 1 when there is one.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from pythons import VERSIONS  # ci/pythons.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "packages"
TEMPLATE = PACKAGES / "_template" / "pyproject.toml"

BUILD_SYSTEM = {
    "requires": ["flit_core >=3.11,<5"],
    "build-backend": "flit_core.buildapi",
}
DYNAMIC = ["version", "description"]
SDIST_INCLUDE = ["tests/", "CHANGES.rst"]
MIN_PYTHON = (3, 11)
PYTHON_CLASSIFIERS = [
    "Programming Language :: Python :: 3 :: Only",
    *(f"Programming Language :: Python :: {version}" for version in VERSIONS),
]
# [tool.*] tables a distribution may have; everything else is shared config
# that belongs in the root pyproject.toml.
ALLOWED_TOOLS = {"flit"}
PLACEHOLDER = re.compile(r"\bNAME\b")


def check(path: Path, template: dict, placeholders: bool = False) -> list[str]:
    name = path.relative_to(ROOT)
    errors = []

    def error(message: str) -> None:
        errors.append(f"{name}: {message}.")

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        return [f"{name}: is not valid TOML ({exc}); fix the syntax."]

    build = data.get("build-system", {})
    for key, expected in BUILD_SYSTEM.items():
        if build.get(key) != expected:
            error(
                f"[build-system] {key} is {build.get(key)!r}; set it to"
                f" {expected!r} as in {TEMPLATE.relative_to(ROOT)}"
            )

    project = data.get("project", {})
    if missing := sorted(set(template.get("project", {})) - set(project)):
        error(
            f"[project] lacks {', '.join(missing)}; add them as in"
            f" {TEMPLATE.relative_to(ROOT)}"
        )
    if "dynamic" in project and sorted(project["dynamic"]) != sorted(DYNAMIC):
        error(
            f"[project] dynamic is {project['dynamic']!r}; set it to"
            f" {DYNAMIC!r} and remove a static version or description"
        )
    for key in DYNAMIC:
        if key in project:
            error(
                f"[project] sets {key} statically; remove it, flit takes it"
                " from the package's __init__"
            )
    if "requires-python" in project and not requires_python_ok(
        project["requires-python"]
    ):
        error(
            f"[project] requires-python is {project['requires-python']!r};"
            ' set it to ">=3.11" (or a later minimum)'
        )
    classifiers = project.get("classifiers", [])
    named = [c for c in classifiers if re.fullmatch(r".*Python :: 3\b.+", c)]
    if named != PYTHON_CLASSIFIERS:
        error(
            f"[project] classifiers name Python {named!r}; name exactly"
            f" {PYTHON_CLASSIFIERS!r}, the versions that `make test` runs"
        )
    if "test" not in project.get("optional-dependencies", {}):
        error(
            "[project.optional-dependencies] has no `test` extra; add one"
            " that lists what the tests import, for the package's tox env"
        )
    if not placeholders and PLACEHOLDER.search(str(project.get("name", ""))):
        error("[project] name still says NAME; replace the placeholder")

    tool = data.get("tool", {})
    for extra in sorted(set(tool) - ALLOWED_TOOLS):
        error(
            f"[tool.{extra}] is package-level tool config; remove it, the"
            " root pyproject.toml configures the tools for every package"
        )
    flit = tool.get("flit", {})
    module = flit.get("module", {}).get("name", "")
    if not module:
        error(
            "[tool.flit.module] name is missing; set it to the dotted import"
            " name, e.g. gocept.httpserverlayer.NAME"
        )
    elif not placeholders and PLACEHOLDER.search(module):
        error("[tool.flit.module] name still says NAME; replace it")
    include = flit.get("sdist", {}).get("include", [])
    if missing := [item for item in SDIST_INCLUDE if item not in include]:
        error(
            f"[tool.flit.sdist] include lacks {', '.join(missing)}; set"
            f" include = {SDIST_INCLUDE!r} (flit 4 no longer adds files"
            " from version control)"
        )
    return errors


def requires_python_ok(spec: str) -> bool:
    match = re.fullmatch(r"\s*>=\s*(\d+)\.(\d+)\s*", spec)
    return bool(match) and tuple(map(int, match.groups())) >= MIN_PYTHON


def main() -> int:
    template = tomllib.loads(TEMPLATE.read_text(encoding="utf-8"))
    # The template itself must keep the shape it stands for.
    errors = check(TEMPLATE, template, placeholders=True)
    for folder in sorted(PACKAGES.iterdir()):
        if not folder.is_dir() or folder.name.startswith(("_", ".")):
            continue
        path = folder / "pyproject.toml"
        if not path.exists():
            errors.append(
                f"{folder.relative_to(ROOT)}: has no pyproject.toml; copy"
                f" {TEMPLATE.relative_to(ROOT)} there and fill it in."
            )
            continue
        errors.extend(check(path, template))
    for message in errors:
        print(message, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
