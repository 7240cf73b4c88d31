"""The reference: gocept.httpserverlayer==4.0 from PyPI in its own virtualenv.

Never a dependency of ours: it lives under a cache directory
($BENCH_REF_VENV, else $XDG_CACHE_HOME or ~/.cache), is created once with
`uv venv` + `uv pip install` (or python -m venv + pip without uv) and is
checked by importing the two layers with its own interpreter.
"""

import os
import shutil
import subprocess
import sys

REF_SPEC = "gocept.httpserverlayer==4.0"
CHECK = (
    "import gocept.httpserverlayer.wsgi, gocept.httpserverlayer.static, "
    "importlib.metadata as m; "
    "print(m.version('gocept.httpserverlayer'))"
)


def venv_dir():
    if os.environ.get("BENCH_REF_VENV"):
        return os.environ["BENCH_REF_VENV"]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache"
    )
    tag = f"py{sys.version_info[0]}.{sys.version_info[1]}"
    return os.path.join(
        cache, "gocept-httpserverlayer-bench", f"ref-4.0-{tag}"
    )


def ref_env():
    """Environment for the reference interpreter: nothing of ours leaks in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _python(path):
    return os.path.join(path, "bin", "python")


def _check(python):
    try:
        out = subprocess.run(
            [python, "-c", CHECK],
            capture_output=True,
            text=True,
            timeout=60,
            env=ref_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def ensure(log=print):
    """Return (python, None) or (None, reason)."""
    path = venv_dir()
    python = _python(path)
    if os.path.exists(python) and _check(python) == "4.0":
        return python, None
    log(f"creating the 4.0 reference virtualenv in {path} ...")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    uv = shutil.which("uv")
    if uv:
        steps = [
            [uv, "venv", "-q", "--python", sys.executable, path],
            [uv, "pip", "install", "-q", "--python", python, REF_SPEC],
        ]
    else:
        steps = [
            [sys.executable, "-m", "venv", path],
            [python, "-m", "pip", "install", "-q", REF_SPEC],
        ]
    for cmd in steps:
        try:
            res = subprocess.run(
                cmd, capture_output=True, text=True, timeout=300, env=ref_env()
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"{' '.join(cmd[:3])}: {exc}"
        if res.returncode != 0:
            return None, (
                f"{' '.join(cmd[:3])} failed: "
                f"{(res.stderr or res.stdout).strip()[-300:]}"
            )
    version = _check(python)
    if version != "4.0":
        return None, f"the reference does not import (version {version})"
    return python, None
