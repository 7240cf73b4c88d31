"""Check that every packages/*/pyproject.toml has the shape of the template.

Usage: python ci/check-pyprojects.py [ROOT]  (`tox -e lint` runs it)

The template is packages/_template/pyproject.toml. Each distribution must
build with `flit_core >=3.11,<5`, take its version and description from its
package (`dynamic = ["version", "description"]`), ship its tests and
changelog in the sdist, require Python 3.11 or later, and carry no tool
configuration but flit's: ruff and the test runner are configured once in
the root pyproject.toml.

What PyPI and Plone people look for is checked too: the repository's
LICENSE.txt in the distribution's folder (`license-files`), the project URLs
of the template (Changelog pointing at the distribution's own CHANGES.rst),
the template's Python version classifiers (the versions CI runs) and
`Typing :: Typed` with a `py.typed` file, `Framework :: Pytest` exactly
where a pytest plugin is registered, and classifiers that PyPI knows (with
the trove-classifiers package; without it that one check is skipped, and
says so). A distribution classified `Private :: Do Not Upload` (test code
that is never published) needs no license file, URLs or changelog.

Prints one sentence per violation, naming the file and the fix, and exits
with 1 when there is one.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "packages" / "_template" / "pyproject.toml"

try:
    from trove_classifiers import classifiers as KNOWN
except ImportError:  # reported once by main()
    KNOWN = None

BUILD_SYSTEM = {
    "requires": ["flit_core >=3.11,<5"],
    "build-backend": "flit_core.buildapi",
}
DYNAMIC = ["version", "description"]
SDIST_INCLUDE = ["tests/", "CHANGES.rst"]
MIN_PYTHON = (3, 11)
# [tool.*] tables a distribution may have; everything else is shared config
# that belongs in the root pyproject.toml.
ALLOWED_TOOLS = {"flit"}
PLACEHOLDER = re.compile(r"\bNAME\b")
LICENSE = "LICENSE.txt"
URLS = ("Documentation", "Source", "Issues", "Changelog")
PYTHON_CLASSIFIER = re.compile(r"Programming Language :: Python :: 3\.\d+$")
TYPED = "Typing :: Typed"
PYTEST = "Framework :: Pytest"
PRIVATE = "Private :: Do Not Upload"


def check(
    path: Path, template: dict, root: Path, placeholders: bool = False
) -> list[str]:
    name = path.relative_to(root)
    template_name = TEMPLATE.relative_to(ROOT)
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
                f" {expected!r} as in {template_name}"
            )

    project = data.get("project", {})
    classifiers = project.get("classifiers", [])
    private = PRIVATE in classifiers
    required = set(template.get("project", {}))
    if private:
        required -= {"license", "license-files", "urls"}
    if missing := sorted(required - set(project)):
        error(
            f"[project] lacks {', '.join(missing)}; add them as in"
            f" {template_name}"
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

    folder = path.parent
    if not private:
        check_license(folder, project, root, error)
        check_urls(folder, project, template, placeholders, error)
    check_classifiers(folder, data, template, module, error)
    return errors


def check_license(folder, project, root, error) -> None:
    if project.get("license-files") != [LICENSE]:
        error(
            f"[project] license-files is {project.get('license-files')!r};"
            f" set it to {[LICENSE]!r}, so that every wheel and sdist"
            " carries the license text"
        )
    copy = folder / LICENSE
    if not copy.is_file():
        error(
            f"{LICENSE} is missing in {folder.relative_to(root)}; copy the"
            f" repository's {LICENSE} there"
        )
    elif copy.read_bytes() != (root / LICENSE).read_bytes():
        error(
            f"{copy.relative_to(root)} differs from the repository's"
            f" {LICENSE}; copy that one over it"
        )


def check_urls(folder, project, template, placeholders, error) -> None:
    urls = project.get("urls", {})
    expected = template.get("project", {}).get("urls", {})
    if missing := [key for key in URLS if key not in urls]:
        error(
            f"[project.urls] lacks {', '.join(missing)}; add them as in"
            f" {TEMPLATE.relative_to(ROOT)}"
        )
    for key in ("Documentation", "Source", "Issues"):
        if key in urls and urls[key] != expected.get(key):
            error(
                f"[project.urls] {key} is {urls[key]!r}; set it to"
                f" {expected.get(key)!r} as in the template"
            )
    changelog = urls.get("Changelog", "")
    own = f"/packages/{folder.name}/CHANGES.rst"
    if (
        "Changelog" in urls
        and not placeholders
        and not changelog.endswith(own)
    ):
        error(
            f"[project.urls] Changelog is {changelog!r}; point it at this"
            f" distribution's changelog, ending in {own!r}"
        )


def check_classifiers(folder, data, template, module, error) -> None:
    project = data.get("project", {})
    classifiers = project.get("classifiers", [])
    wanted = template.get("project", {}).get("classifiers", [])
    pythons = sorted(c for c in classifiers if PYTHON_CLASSIFIER.match(c))
    expected = sorted(c for c in wanted if PYTHON_CLASSIFIER.match(c))
    if pythons != expected:
        error(
            f"the Python version classifiers are {pythons!r}; list exactly"
            f" {expected!r}, the versions of the template (the ones CI runs)"
        )
    common = [c for c in wanted if not PYTHON_CLASSIFIER.match(c)]
    if missing := [c for c in common if c not in classifiers]:
        error(
            f"the classifiers lack {missing!r}; add them as in"
            f" {TEMPLATE.relative_to(ROOT)}"
        )
    # The template has no src/ to look into.
    real = module and not PLACEHOLDER.search(module)
    typed = (
        real
        and (folder / "src" / Path(*module.split(".")) / "py.typed").exists()
    )
    if TYPED in classifiers and real and not typed:
        error(
            f"it says {TYPED!r} but ships no py.typed; add an empty"
            f" src/{module.replace('.', '/')}/py.typed"
        )
    plugin = "pytest11" in project.get("entry-points", {})
    if plugin and PYTEST not in classifiers:
        error(
            f"it registers a pytest plugin (pytest11) but lacks the"
            f" classifier {PYTEST!r}; add it"
        )
    if not plugin and PYTEST in classifiers:
        error(
            f"it says {PYTEST!r} but registers no pytest plugin; remove the"
            " classifier"
        )
    if KNOWN is not None:
        # PyPI refuses an upload with a "Private ::" classifier, which is
        # what those are for; they are in no list.
        if unknown := [
            c
            for c in classifiers
            if c not in KNOWN and not c.startswith("Private :: ")
        ]:
            error(
                f"PyPI does not know the classifiers {unknown!r}; take them"
                " from https://pypi.org/classifiers/"
            )


def requires_python_ok(spec: str) -> bool:
    match = re.fullmatch(r"\s*>=\s*(\d+)\.(\d+)\s*", spec)
    return bool(match) and tuple(map(int, match.groups())) >= MIN_PYTHON


def main(root: Path = ROOT) -> int:
    template_path = root / TEMPLATE.relative_to(ROOT)
    template = tomllib.loads(template_path.read_text(encoding="utf-8"))
    # The template itself must keep the shape it stands for.
    errors = check(template_path, template, root, placeholders=True)
    for folder in sorted((root / "packages").iterdir()):
        if not folder.is_dir() or folder.name.startswith(("_", ".")):
            continue
        path = folder / "pyproject.toml"
        if not path.exists():
            errors.append(
                f"{folder.relative_to(root)}: has no pyproject.toml; copy"
                f" {TEMPLATE.relative_to(ROOT)} there and fill it in."
            )
            continue
        errors.extend(check(path, template, root))
    if KNOWN is None:
        print(
            "Classifiers not checked against PyPI's list: the"
            " trove-classifiers package is not installed (tox -e lint has"
            " it).",
            file=sys.stderr,
        )
    for message in errors:
        print(message, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT))
