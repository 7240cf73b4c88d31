"""Resolve the versions of a Plone release for the `plone` tox env.

Usage: python3 ci/plone-constraints.py 6.1 [6.2 ...]
writes packages/plonetesting/constraints-plone61.txt (and -plone62.txt, ...).

Plone publishes a constraints file for each release, which cannot be fetched
here (DESIGN.md section 3). This script makes the nearest thing with uv. It
resolves what the `plone` env installs (the requirements of the
distributions it installs, our own left out) with Products.CMFPlone at the
newest release of the series, then keeps every package in that series: where
a resolved release declares a later Plone series in its classifiers
(`Framework :: Plone :: 6.2`) and not the wanted one, the package is capped
below that release's minor version and everything is resolved again, until
no package is ahead. Zope is held the same way to the major versions that
Products.CMFPlone declares (`Framework :: Zope :: 5`), setuptools below 82
while a package declares its namespace through pkg_resources, which 82
removed, and ZODB below a release whose configuration schema Zope cannot
read together with its own (ZODB 6.3 and Zope 5). Without this, uv puts
Plone 6.1's CMFPlone on Zope 6 and the 6.2 series of nearly 90 packages,
which is no Plone 6.1 site that anyone runs.
"""

from __future__ import annotations

import datetime
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from packaging.requirements import Requirement  # tox brings packaging

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "packages"
# What the `plone` env of tox.ini installs: distribution folder, extras.
INSTALLS = {
    "core": (),
    "zope2": (),
    "plonetestingzope": (),
    "plonetestingz2": (),
    "plonetesting": ("test", "plone"),
}
# The interpreter the constraints are resolved for: the oldest we support,
# one of the machine's (tox.ini's uv_python_preference).
PYTHON = "3.11"
SYSTEM_PYTHON = ("-p", PYTHON, "--python-preference", "only-system")
# Printed by the venv's Python: each distribution's version and the Plone
# and Zope versions its classifiers name.
METADATA = """
import json, re
from importlib.metadata import distributions
out = {}
for dist in distributions():
    found = {"plone": [], "zope": []}
    for line in dist.metadata.get_all("Classifier") or []:
        match = re.fullmatch(r"Framework :: (Plone|Zope) :: ([0-9.]+)", line)
        if match:
            found[match.group(1).lower()].append(match.group(2))
    name = re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()
    out[name] = {"version": dist.version, **found}
print(json.dumps(out))
"""
# Printed by the venv's Python: whether a package declares its namespace
# through pkg_resources while the venv has none to import.
PKG_RESOURCES = """
import importlib.util, pathlib, sysconfig
site = pathlib.Path(sysconfig.get_paths()["purelib"])
declares = any(
    "pkg_resources" in text and "declare_namespace" in text
    for init in site.rglob("__init__.py")
    for text in [init.read_text(errors="replace")]
)
print(declares and importlib.util.find_spec("pkg_resources") is None)
"""
# setuptools 82 removed pkg_resources; the Plone 6.1 series still declares
# its namespaces with it.
WITHOUT_PKG_RESOURCES = "82"
# Printed by the venv's Python: whether Zope can read its WSGI configuration
# schema, which sites start from (runwsgi, plone.testing's WSGI_SERVER).
# ZODB 6.3 added a key `class-factory` to its schema that Zope 5 defines
# itself, and ZConfig refuses the second one.
ZOPE_SCHEMA = """
from Zope2.Startup.options import ZopeWSGIOptions
try:
    ZopeWSGIOptions().load_schema()
except Exception as exc:
    print(type(exc).__name__, exc)
"""


def uv() -> str:
    try:
        from uv import find_uv_bin  # the uv that tox-uv brings
    except ImportError:
        found = shutil.which("uv")
        if not found:
            sys.exit("ci/plone-constraints.py needs uv: run `make tools`.")
        return found
    return find_uv_bin()


def requirements() -> list[str]:
    wanted: list[str] = []
    for folder, extras in INSTALLS.items():
        wanted += declared(folder, extras)
    return sorted(set(wanted), key=str.lower)


def declared(folder: str, extras: tuple[str, ...] | set[str]) -> list[str]:
    """What a distribution requires with extras, ours replaced by theirs."""
    project = tomllib.loads(
        (PACKAGES / folder / "pyproject.toml").read_text(encoding="utf-8")
    )["project"]
    found = list(project.get("dependencies", []))
    for extra in extras:
        found += project["optional-dependencies"][extra]
    wanted = []
    for line in found:
        requirement = Requirement(line)
        if requirement.name == "gocept.httpserverlayer":
            # The core's extras (plonetesting's plone extra names some).
            wanted += declared("core", requirement.extras)
        elif not requirement.name.startswith("gocept."):
            wanted.append(line)
    return wanted


def key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def ahead(declared: list[str], series: str) -> bool:
    """Whether classifiers name a later series than `series`, and not it."""
    return (
        bool(declared)
        and series not in declared
        and (max(map(key, declared)) > key(series))
    )


def resolve(series: str, caps: dict[str, str], work: Path) -> Path:
    inputs, out = work / "in.txt", work / "out.txt"
    wanted = [*requirements(), f"Products.CMFPlone =={series}.*"]
    wanted += [f"{name} <{bound}" for name, bound in sorted(caps.items())]
    inputs.write_text("\n".join(wanted) + "\n")
    call_uv(
        "pip", "compile", "-q", *SYSTEM_PYTHON, "--no-header", "--no-annotate",
        str(inputs), "-o", str(out),
    )  # fmt: skip
    return out


def metadata(pins: Path, work: Path) -> dict[str, dict]:
    venv = work / "venv"
    python = venv / "bin" / "python"
    call_uv("venv", "-q", "--clear", *SYSTEM_PYTHON, str(venv))
    # --python names the venv: never the interpreter that runs this script.
    call_uv("pip", "install", "-q", "--python", str(python), "--no-deps",
            "-r", str(pins))  # fmt: skip
    found = json.loads(run(python, METADATA))
    needs = run(python, PKG_RESOURCES) == "True"
    found["setuptools"]["needs pkg_resources"] = needs
    found["zodb"]["breaks zope"] = run(python, ZOPE_SCHEMA)
    return found


def call_uv(*args: str) -> None:
    subprocess.run([uv(), *args], check=True)


def run(python: Path, code: str) -> str:
    return subprocess.run(
        [str(python), "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()


def caps_for(series: str, dists: dict[str, dict]) -> dict[str, str]:
    caps = {}
    for name, info in dists.items():
        if ahead(info["plone"], series):
            caps[name] = ".".join(info["version"].split(".")[:2])
    # Zope's classifiers name majors only: "Framework :: Zope :: 5".
    newest_major = max(
        (key(major)[0] for major in dists["products-cmfplone"]["zope"]),
        default=None,
    )
    if (
        newest_major is not None
        and key(dists["zope"]["version"])[0] > newest_major
    ):
        caps["zope"] = str(newest_major + 1)
    if dists["setuptools"]["needs pkg_resources"]:
        caps["setuptools"] = WITHOUT_PKG_RESOURCES
    if dists["zodb"]["breaks zope"]:
        caps["zodb"] = ".".join(dists["zodb"]["version"].split(".")[:2])
    return caps


def constraints(series: str) -> tuple[str, dict[str, str]]:
    caps: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for _ in range(20):
            pins = resolve(series, caps, work)
            dists = metadata(pins, work)
            if not (new := caps_for(series, dists)):
                return pins.read_text(), caps
            for name, bound in new.items():
                # A cap only ever gets lower.
                if name not in caps or key(bound) < key(caps[name]):
                    caps[name] = bound
    sys.exit(f"Plone {series}: still ahead after 20 rounds: {sorted(new)}.")


def header(series: str, caps: dict[str, str]) -> str:
    today = datetime.date.today().isoformat()
    text = (
        f"Versions of Plone {series} for the `plone` tox env (tox.ini picks"
        " this file by the env's factors), as uv resolved them from PyPI on"
        f" {today} for"
        f" Python {PYTHON}: Products.CMFPlone =={series}.* with what the env"
        " installs, every package kept in the Plone series its"
        " classifiers name. Plone's published constraints cannot be fetched"
        " here, and pip left to itself picks pre-releases (DESIGN.md"
        " section 3). Made by `python3 ci/plone-constraints.py"
        f" {series}`; do not edit by hand. Held back:"
    )
    # A cap ("plone-base <4.0,") is never split over two lines.
    units = text.split() + [
        f"{name}\N{NO-BREAK SPACE}<{bound},"
        for name, bound in sorted(caps.items())
    ]
    if caps:
        units[-1] = units[-1].rstrip(",") + "."
    else:
        units.append("nothing.")
    lines, current = [], "#"
    for unit in units:
        if len(current) + len(unit) + 1 > 78:
            lines.append(current)
            current = "#"
        current += " " + unit
    lines.append(current)
    return "\n".join(lines).replace("\N{NO-BREAK SPACE}", " ") + "\n"


def main(argv: list[str]) -> int:
    if not argv or not all(re.fullmatch(r"6\.\d+", arg) for arg in argv):
        print(__doc__, file=sys.stderr)
        return 2
    for series in argv:
        pins, caps = constraints(series)
        path = (
            PACKAGES
            / "plonetesting"
            / f"constraints-plone{series.replace('.', '')}.txt"
        )
        path.write_text(header(series, caps) + pins)
        print(f"{path.relative_to(ROOT)}: {len(pins.splitlines())} pins")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
