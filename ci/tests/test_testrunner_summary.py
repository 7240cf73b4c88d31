"""ci/testrunner-summary.py: one line that counts every runner's tests."""

import subprocess
import sys

from conftest import CI

ZOPE_LAYERS = """\
core: commands[0]> zope-testrunner --path packages/core/tests -vc
Running gocept.httpserverlayer.wsgi.Layer tests:
  Ran 10 tests with 1 failures, 0 errors, 2 skipped in 0.5 seconds.
Running other.Layer tests:
  Ran 5 tests with 0 failures, 1 errors, 0 skipped in 0.1 seconds.
{_}Total: {g}15{_} tests, {r}1{_} failures, {r}1{_} errors, {y}2{_} skipped\
 in {g}0.6{_} seconds.{_}
""".format(_="\x1b[0m", g="\x1b[32m", r="\x1b[31m", y="\x1b[33m")
# -j 2 says "and N skipped", and 0 where its layers skipped some; one
# layer only prints no Total line.
ZOPE_PARALLEL = """\
core: commands[1]> zope-testrunner --path packages/core/tests -j 2
  Ran 15 tests with 0 failures, 0 errors and 1 skipped in 1.0 seconds.
  Ran 5 tests with 0 failures, 0 errors and 2 skipped in 1.0 seconds.
Total: 20 tests, 0 failures, 0 errors and 0 skipped in 2.0 seconds.
docs: commands[1]> zope-testrunner --path docs/tests
  Ran 4 tests with 0 failures, 0 errors, 0 skipped in 1.0 seconds.
"""
PYTEST = """\
pytest: commands[0]> pytest packages/core/pytests
==================== test session starts =====================
-------------------- Captured stdout call --------------------
===================== 1 failed in 0.05s ======================
=== 1 failed, 50 passed, 1 skipped, 2 xfailed, 1 xpassed,\
 3 warnings in 4.18s (0:00:04) ===
pytest: commands[1]> pytest packages/core/pytests -n 2 -q
48 passed, 2 errors in 2.66s
ci: commands[0]> pytest ci/tests
=================== no tests ran in 0.01s ====================
"""


def run(summary, text):
    counts, runners = summary.summarize(text.splitlines(keepends=True))
    return (counts.passed, counts.failed, counts.skipped), runners


def test_zope_testrunner_total_counts_failures_errors_and_skips(summary):
    assert run(summary, ZOPE_LAYERS) == ((11, 2, 2), {"zope.testrunner": 15})


def test_zope_testrunner_parallel_total_and_single_layer(summary):
    assert run(summary, ZOPE_PARALLEL) == ((21, 0, 3), {"zope.testrunner": 24})


def test_pytest_counts_only_the_last_summary_of_a_run(summary):
    # The "1 failed" of a pytester session inside the first run is output
    # captured by a test, not a run of its own.
    assert run(summary, PYTEST) == ((99, 3, 3), {"pytest": 105})


def test_every_runner_is_counted_in_one_line(tmp_path):
    log = tmp_path / "make-test.log"
    log.write_text(ZOPE_LAYERS + ZOPE_PARALLEL + PYTEST)
    result = subprocess.run(
        [sys.executable, CI / "testrunner-summary.py", log],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == (
        "Tests: 131 passed, 5 failed, 8 skipped"
        " (pytest 105, zope.testrunner 39)\n"
    )


def test_a_log_without_tests_says_so(tmp_path):
    log = tmp_path / "make-test.log"
    log.write_text("lint: commands[0]> ruff check\nAll checks passed!\n")
    result = subprocess.run(
        [sys.executable, CI / "testrunner-summary.py", log],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == "Tests: 0 passed, 0 failed, 0 skipped\n"


ZOPE_FAILED = """\
py312-core: commands[0]> coverage run -m zope.testrunner --path tests -vc
Running zope.testrunner.layer.UnitTests tests:
.

Error in test test_errors (test_x.T.test_errors)
Traceback (most recent call last):
  File "/tmp/zt/tests/test_x.py", line 6, in test_errors
    raise KeyError("k")
    ^^^^^^^^^^^^^^^^^^^
KeyError: 'k'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/tmp/zt/tests/test_x.py", line 8, in test_errors
    raise ValueError("v")
ValueError: v

.

Failure in test test_fails (test_x.T.test_fails)
Traceback (most recent call last):
  File "/tmp/zt/tests/test_x.py", line 4, in test_fails
    self.assertLess(3.5, 2)
AssertionError: 3.5 not less than 2


  Ran 3 tests with 1 failures, 1 errors, 0 skipped in 0.006 seconds.
pytest: commands[0]> pytest packages/core/pytests
=================== short test summary info ====================
FAILED pytests/test_a.py::test_one - assert 1 == 2
ERROR pytests/test_a.py::test_two
========== 1 failed, 1 error, 3 passed in 0.05s ==========
"""


def test_failed_tests_are_named_with_env_and_exception(summary):
    assert summary.failures(ZOPE_FAILED.splitlines()) == [
        "py312-core: test_errors (test_x.T.test_errors): ValueError: v",
        "py312-core: test_fails (test_x.T.test_fails):"
        " AssertionError: 3.5 not less than 2",
        "pytest: pytests/test_a.py::test_one: assert 1 == 2",
        "pytest: pytests/test_a.py::test_two",
    ]


def test_failed_tests_are_listed_above_the_closing_line(tmp_path):
    log = tmp_path / "make-test.log"
    log.write_text(ZOPE_FAILED)
    result = subprocess.run(
        [sys.executable, CI / "testrunner-summary.py", log],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "Failed tests (4):"
    assert lines[2] == (
        "  py312-core: test_fails (test_x.T.test_fails):"
        " AssertionError: 3.5 not less than 2"
    )
    assert lines[-1] == (
        "Tests: 4 passed, 4 failed, 0 skipped (pytest 5, zope.testrunner 3)"
    )


ZOPE_IMPORT = """\
lowest-zope2: commands[0]> zope-testrunner --path packages/zope2/tests -vc
Test-module import failures:

Module: test_compat

Traceback (most recent call last):
  File "site-packages/multipart.py", line 60, in <module>
    from UserDict import DictMixin
ModuleNotFoundError: No module named 'UserDict'


Running tests at level 1

Test-modules with import problems:
  test_compat
Total: 0 tests, 0 failures, 1 errors, 0 skipped in 0.000 seconds.
"""


def test_modules_that_fail_to_import_are_named(summary):
    assert summary.failures(ZOPE_IMPORT.splitlines()) == [
        "lowest-zope2: import of test_compat:"
        " ModuleNotFoundError: No module named 'UserDict'"
    ]


# The grid env runs zope.testrunner and then pytest in one tox command.
BOTH_IN_ONE_COMMAND = """\
grid: commands[0]> python packages/core/grid/hosts.py run -- zope-testrunner \
-j 2 -- pytest packages/core/grid/pytests -n 2
  Ran 4 tests with 0 failures, 0 errors and 1 skipped in 1.0 seconds.
  Ran 3 tests with 1 failures, 0 errors and 0 skipped in 1.0 seconds.
Total: 7 tests, 1 failures, 0 errors and 0 skipped in 2.0 seconds.
=================== test session starts ====================
4 workers [5 items]
============ 4 passed, 1 skipped in 4.86s ============
"""


def test_zope_testrunner_and_pytest_in_one_command(summary):
    assert run(summary, BOTH_IN_ONE_COMMAND) == (
        (9, 1, 2),
        {"pytest": 5, "zope.testrunner": 7},
    )
