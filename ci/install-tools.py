"""Install tox and tox-uv (which brings uv) for this Python when missing.

Called by `make` before every tox run, so that the Makefile's targets work on
a fresh machine that has only python3 and pip. Quiet and quick when the tools
are there already.
"""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

TOOLS = ["tox >=4.20", "tox-uv >=1.11"]
APT_INSTALL = Path(__file__).resolve().parent / "apt-install.sh"
# A file of Debian's python3-pip.
DEBIAN_PIP = "/usr/lib/python3/dist-packages/pip/__init__.py"


def missing() -> list[str]:
    return [
        module
        for module in ("tox", "tox_uv")
        if importlib.util.find_spec(module) is None
    ]


def run(*args: str) -> int:
    print("+", " ".join(args), flush=True)
    return subprocess.call(args)


def ensure_pip() -> None:
    if importlib.util.find_spec("pip") is not None:
        return
    if run(sys.executable, "-m", "ensurepip", "--upgrade") == 0:
        return
    # Debian's python3 comes without ensurepip; its pip is a package,
    # installed once the package manager is free (ci/apt-install.sh).
    if shutil.which("apt-get"):
        run("bash", str(APT_INSTALL), f"python3-pip={DEBIAN_PIP}")


def main() -> int:
    if not missing():
        return 0
    ensure_pip()
    pip = [sys.executable, "-m", "pip", "install", "-q", *TOOLS]
    if run(*pip) != 0:
        # Debian's own python3 refuses pip installs outside a virtualenv
        # (PEP 668); the tools are only the test drivers, so allow it.
        run(*pip, "--break-system-packages")
    if still_missing := missing():
        print(
            f"Could not install {', '.join(still_missing)} for"
            f" {sys.executable}; install tox and tox-uv with"
            " `python3 -m pip install tox tox-uv` and try again.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
