"""toxfile.py: tox says which env of how many runs, and since when."""

import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

TOX_INI = """\
[tox]
env_list = first, second, third
labels =
    last = third, fourth
[testenv]
skip_install = true
commands = python -c "print('ran')"
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A tox project with this repository's toxfile.py; its envs are kept
    from one test to the next, which makes them quick."""
    path = tmp_path_factory.mktemp("project")
    shutil.copy(ROOT / "toxfile.py", path)
    (path / "tox.ini").write_text(TOX_INI)
    return path


def tox(project, *args):
    result = subprocess.run(
        [sys.executable, "-m", "tox", "run", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return re.findall(
        r"^(\w+): env (\d+) of (\d+), (.+) into the run$", result.stdout, re.M
    )


def test_each_env_says_where_the_run_stands(project):
    progress = tox(project, "-e", "second,third")
    assert [p[:3] for p in progress] == [
        ("second", "1", "2"),
        ("third", "2", "2"),
    ]
    assert re.fullmatch(r"(\d+ min )?\d+ s", progress[0][3])


def test_the_env_list_counts_without_e(project):
    progress = tox(project)
    assert [p[:3] for p in progress] == [
        ("first", "1", "3"),
        ("second", "2", "3"),
        ("third", "3", "3"),
    ]


def test_a_label_counts_its_envs(project):
    # `make matrix` runs `tox run -m matrix`.
    progress = tox(project, "-m", "last")
    assert [p[:3] for p in progress] == [
        ("third", "1", "2"),
        ("fourth", "2", "2"),
    ]


def test_one_env_alone_prints_no_progress(project):
    assert tox(project, "-e", "first") == []
