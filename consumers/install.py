"""Install gocept.selenium 7.1 from its sdist, with its extras, into this env.

Usage: python consumers/install.py ours|4.0 [WHEEL_DIR]

Both install ``gocept.selenium[grok,plonetesting]==7.1``, built from its
sdist, and what its own tox.ini installs to run its tests (zope.pytestlayer
instead of the deprecated gocept.pytestlayer), pinned by
consumers/constraints.txt:

``ours``
    builds a wheel of every distribution under packages/ into WHEEL_DIR and
    installs from there (``--find-links``) and PyPI. Only the core is
    named, with its extra ``plonetestingz2`` (for test_names_40.py); the
    other integrations come in through gocept.selenium's extras
    (``gocept.httpserverlayer[plonetestingzope]``, ``[zopeappwsgi]``), as
    they will from PyPI after the release. The core is named with
    ``>=5.0.dev0``, since installers take a pre-release only when asked.
``4.0``
    gocept.httpserverlayer 4.0 from PyPI, the reference.
"""

import os
import subprocess
import sys
from pathlib import Path

import flit_core.buildapi

ROOT = Path(__file__).resolve().parent.parent
SELENIUM = "gocept.selenium[grok,plonetesting]==7.1"
# gocept.selenium's test dependencies (its tox.ini).
TEST_DEPS = ["zope.pytestlayer", "pytest", "mock", "gocept.testing", "grok"]


def build_wheels(directory):
    """Build a wheel of each distribution; return their names."""
    names = []
    for package in sorted((ROOT / "packages").iterdir()):
        if package.name.startswith("_") or not package.is_dir():
            continue
        os.chdir(package)  # flit_core builds the project in the cwd
        wheel = flit_core.buildapi.build_wheel(str(directory))
        names.append(wheel.split("-")[0].replace("_", "."))
    os.chdir(ROOT)
    return names


def main(against, wheels=None):
    install = [
        *(sys.executable, "-m", "uv", "pip", "install"),
        *("--python", sys.executable),
        *("--constraint", str(ROOT / "consumers" / "constraints.txt")),
        *("--no-binary", "gocept.selenium"),
    ]
    if against == "ours":
        directory = Path(wheels).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        for name in build_wheels(directory):
            # Same version as the last build: take this build.
            install += ["--reinstall-package", name]
        install += ["--find-links", str(directory)]
        # plonetestingz2, which gocept.selenium does not use, for
        # test_names_40.py: through the core's extra as well.
        install.append("gocept.httpserverlayer[plonetestingz2]>=5.0.dev0")
    elif against == "4.0":
        install.append("gocept.httpserverlayer==4.0")
    else:
        sys.exit(f"Install against 'ours' or '4.0', not {against!r}.")
    subprocess.run([*install, SELENIUM, *TEST_DEPS], check=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
