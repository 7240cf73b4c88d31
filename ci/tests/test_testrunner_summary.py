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
