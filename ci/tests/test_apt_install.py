"""ci/apt-install.sh: waits, bounded and saying why, for a busy dpkg.

The tests that hold the package manager's lock take dpkg's real lock, as
apt-get does (fcntl), for a few seconds, and need root. The package they
"install" is coreutils, which every Debian machine has: apt-get finds
nothing to do, so the machine is not changed.
"""

import fcntl
import os
import pathlib
import re
import subprocess
import threading
import time

import pytest
from conftest import CI

SCRIPT = CI / "apt-install.sh"
DPKG_LOCK = pathlib.Path("/var/lib/dpkg/lock")
# The name the script gives the process holding the lock: this one's.
COMM = pathlib.Path("/proc/self/comm").read_text().strip()
needs_root_and_dpkg = pytest.mark.skipif(
    os.geteuid() != 0 or not DPKG_LOCK.exists(),
    reason="holding dpkg's lock needs root on a Debian machine",
)


def install(*args, wait):
    return subprocess.run(
        ["bash", SCRIPT, *args],
        env={**os.environ, "APT_LOCK_WAIT": str(wait)},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def hold_lock():
    """Hold dpkg's lock, as a running apt-get would; ``release()`` ends it."""
    lock = open(DPKG_LOCK, "w")
    deadline = time.monotonic() + 120
    while True:
        try:
            fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError:
            if time.monotonic() > deadline:
                lock.close()
                pytest.skip("another process held dpkg's lock for 2 min")
            time.sleep(1)
    yield lambda: lock.close()
    lock.close()


def test_nothing_is_done_when_the_files_are_there():
    result = install("coreutils=/bin/sh", "bash=/bin/bash", wait=0)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_a_wait_that_is_not_a_number_names_itself():
    result = install("coreutils=/nonexistent", wait="soon")
    assert result.returncode == 2
    assert result.stderr == (
        "error: APT_LOCK_WAIT is 'soon'; set it to a number of seconds"
        " (default 900).\n"
    )


@needs_root_and_dpkg
def test_a_busy_package_manager_fails_after_the_wait_naming_it(hold_lock):
    started = time.monotonic()
    result = install("coreutils=/nonexistent", wait=2)
    assert result.returncode == 1
    assert time.monotonic() - started < 10
    holder = re.escape(f"{COMM} (pid {os.getpid()}) holds {DPKG_LOCK}")
    assert re.search(
        f"^Waiting for the package manager: {holder}; [01] s of at most 2 s"
        r" \(APT_LOCK_WAIT\) \.\.\.$",
        result.stderr,
        re.M,
    ), result.stderr
    assert re.search(
        f"^error: the package manager stayed busy for 2 s \\({holder}\\);"
        " try again when it is done, or set APT_LOCK_WAIT to wait longer.$",
        result.stderr,
        re.M,
    ), result.stderr


@needs_root_and_dpkg
def test_the_install_goes_on_once_the_lock_is_free(hold_lock):
    threading.Timer(3, hold_lock).start()
    result = install("coreutils=/nonexistent", wait=120)
    assert result.returncode == 0, result.stderr
    assert (
        f"Waiting for the package manager: {COMM} (pid {os.getpid()})"
        in result.stderr
    )
    assert result.stdout == "Installing coreutils ...\n"
