"""The commands of the docs' landing page (docs/index.rst) run as written.

Each test lays out a user's project in a folder of its own, with the
quickstart example in it, and runs there the command the page gives:
zope.testrunner over a ``tests`` package, over a flat folder of test
modules and over a ``src`` layout (an add-on's), and pytest.
"""

import os
import pathlib
import shutil
import subprocess
import sys

HERE = pathlib.Path(__file__).parent
ZOPE_EXAMPLE = HERE.parent / "tests" / "examples" / "test_quickstart.py"
PYTEST_EXAMPLE = HERE / "test_quickstart.py"
# The scripts of the environment that runs these tests.
BIN = pathlib.Path(sys.executable).parent


def run(command, cwd):
    # The inner run must not take itself for a worker of this one.
    environ = {k: v for k, v in os.environ.items() if "PYTEST" not in k}
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def put(example, folder, *packages):
    """Copy the example into ``folder``, inside the given packages."""
    for package in packages:
        folder = folder / package
        folder.mkdir()
        (folder / "__init__.py").write_text("")
    shutil.copy(example, folder)


def test_zope_testrunner_runs_a_tests_package(tmp_path):
    put(ZOPE_EXAMPLE, tmp_path, "tests")
    output = run(["zope-testrunner", "--path", "."], tmp_path)
    assert "Ran 1 tests with 0 failures, 0 errors" in output


def test_zope_testrunner_runs_a_flat_folder(tmp_path):
    put(ZOPE_EXAMPLE, tmp_path)
    output = run(
        ["zope-testrunner", "--path", ".", "--tests-pattern", "^test_"],
        tmp_path,
    )
    assert "Ran 1 tests with 0 failures, 0 errors" in output


def test_zope_testrunner_runs_a_src_layout(tmp_path):
    (tmp_path / "src").mkdir()
    put(ZOPE_EXAMPLE, tmp_path / "src", "my", "addon", "tests")
    output = run(["zope-testrunner", "--path", "src"], tmp_path)
    assert "Ran 1 tests with 0 failures, 0 errors" in output


def test_pytest_runs_the_folder(tmp_path):
    put(PYTEST_EXAMPLE, tmp_path)
    output = run(["pytest"], tmp_path)
    assert "1 passed" in output
