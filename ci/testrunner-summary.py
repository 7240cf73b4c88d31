"""Sum up the test runs of a log in one line: `N passed, N failed, N skipped`.

Usage: python3 ci/testrunner-summary.py LOG

A log of `make test` (tox) holds one test run per tox command: a line like
`core: commands[0]> zope-testrunner ...` starts it. Each run is counted by
what its runner printed last:

- pytest ends with `===== 52 passed, 1 skipped in 4.18s =====` (or the same
  without the `=` with -q). Only the last such line of a run counts: a
  test that runs pytest sessions of its own (pytester) may print theirs
  when it fails.
- zope.testrunner ends a run over several layers with `Total: N tests, N
  failures, N errors, N skipped`, a run over one layer with its `Ran N
  tests with ...` line. With -j, the Total line says 0 skipped even where
  the layers' `Ran` lines report skips: where the `Ran` lines add up to
  the Total's number of tests, they are counted instead.

The line printed, `Tests: 12 passed, 0 failed, 1 skipped (zope.testrunner
10, pytest 3)`, is the plain closing line that CI reads. Above it, the
tests that failed are named, each with its tox env and the last line of
its traceback (pytest's `FAILED ...` lines), so that a CI log cut to its
head and tail still says which test failed and why. Failures and
errors both count as failed; pytest's xfailed count as skipped and its
xpassed as passed.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass

ANSI = re.compile(r"\x1b\[[0-9;]*m")
COUNTS = (
    r"(?P<tests>\d+) tests,? (?:with )?(?P<failures>\d+) failures,"
    r" (?P<errors>\d+) errors(?:,? (?:and )?(?P<skipped>\d+) skipped)?"
)
TOTAL = re.compile(r"^\s*Total: " + COUNTS)
RAN = re.compile(r"^\s*Ran " + COUNTS)
# "= 1 failed, 51 passed, 2 warnings in 4.10s (0:00:04) =", "= no tests
# ran in 0.01s =".
PYTEST = re.compile(
    r"^=*\s*(?P<counts>(?:\d+ [a-z]+(?:, )?)+|no tests ran)"
    r" in [\d.]+s(?: \([\d:.]+\))?\s*=*\s*$"
)
PYTEST_COUNT = re.compile(r"(\d+) ([a-z]+)")
SESSION_STARTS = re.compile(r"^=+ test session starts =+$")
TOX_COMMAND = re.compile(r"^(?P<env>\S+): commands(?:_pre|_post)?\[\d+\]> ")
# zope.testrunner: "Failure in test test_x (module.Class.test_x)", then a
# traceback whose first unindented line after "Traceback" is the exception.
ZOPE_FAILED = re.compile(r"^(?:Failure|Error) in test (?P<name>.+?)\s*$")
# A module it could not import: "Module: test_x" after this line.
ZOPE_IMPORT_FAILURES = "Test-module import failures:"
ZOPE_MODULE = re.compile(r"^Module: (?P<name>\S+)\s*$")
# pytest's short summary: "FAILED path::test - AssertionError: ...".
PYTEST_FAILED = re.compile(
    r"^(?:FAILED|ERROR) (?P<name>\S+)(?: - (?P<why>.*))?$"
)
#: At most this many failed tests are named.
MAX_NAMED = 30


@dataclass
class Counts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        return self

    @property
    def tests(self) -> int:
        return self.passed + self.failed + self.skipped


def zope_counts(match: re.Match[str]) -> Counts:
    tests, failures, errors, skipped = (
        int(match[name] or 0)
        for name in ("tests", "failures", "errors", "skipped")
    )
    return Counts(
        tests - failures - errors - skipped, failures + errors, skipped
    )


def pytest_counts(match: re.Match[str]) -> Counts:
    found = {word: int(n) for n, word in PYTEST_COUNT.findall(match["counts"])}
    return Counts(
        found.get("passed", 0) + found.get("xpassed", 0),
        found.get("failed", 0)
        + found.get("error", 0)
        + found.get("errors", 0),
        found.get("skipped", 0) + found.get("xfailed", 0),
    )


def run_counts(lines: list[str]) -> list[tuple[str, Counts]]:
    """The counts of one tox command's output, with the runners' names.

    One command may run zope.testrunner and then pytest (the grid env's
    does): the zope.testrunner lines before pytest's first "test session
    starts" line are counted for it, the rest for pytest.
    """
    start = next(
        (i for i, line in enumerate(lines) if SESSION_STARTS.match(line)),
        None,
    )
    if start is None:
        found = _zope_run(lines) or _pytest_run(lines)
        return [found] if found else []
    return [
        found
        for found in (_zope_run(lines[:start]), _pytest_run(lines[start:]))
        if found
    ]


def _pytest_run(lines: list[str]) -> tuple[str, Counts] | None:
    pytest = None
    for line in lines:
        if match := PYTEST.match(line):
            pytest = pytest_counts(match)
    return None if pytest is None else ("pytest", pytest)


def _zope_run(lines: list[str]) -> tuple[str, Counts] | None:
    total = None
    layers = Counts()
    ran = False
    for line in lines:
        if PYTEST.match(line):
            # pytest's output, with a zope.testrunner run's lines inside
            # (a test's captured output): pytest's last line counts.
            return None
        if match := TOTAL.match(line):
            total = zope_counts(match)
        elif match := RAN.match(line):
            layers += zope_counts(match)
            ran = True
    if total is not None and not (ran and layers.tests == total.tests):
        return "zope.testrunner", total
    if ran:
        return "zope.testrunner", layers
    return None


def run_failures(lines: list[str]) -> list[str]:
    """The failed tests of one tox command's output: `name: why`.

    The why of a zope.testrunner failure is the last exception line of its
    traceback (of a chained one, the last traceback's), read until the next
    failure or the layer's `Ran` line.
    """
    found = []
    name = why = None
    in_traceback = imports = False

    def close() -> None:
        if name is not None:
            found.append(f"{name}: {why}" if why else name)

    for line in lines:
        if line.startswith(ZOPE_IMPORT_FAILURES):
            imports = True
        elif imports and (match := ZOPE_MODULE.match(line)):
            close()
            name, why = f"import of {match['name']}", None
            in_traceback = False
        elif match := ZOPE_FAILED.match(line):
            close()
            name, why, in_traceback = match["name"], None, False
        elif match := PYTEST_FAILED.match(line):
            reason = match["why"]
            found.append(match["name"] + (f": {reason}" if reason else ""))
        elif name is None:
            continue
        elif (
            RAN.match(line)
            or TOTAL.match(line)
            or line == "Running tests at level 1"
        ):
            close()
            name = None
        elif line.startswith("Traceback"):
            in_traceback = True
        elif in_traceback and line and not line[0].isspace():
            why, in_traceback = line.strip()[:200], False
    close()
    return found


def split_runs(lines: Iterable[str]) -> list[tuple[str, list[str]]]:
    """A log's tox commands: the env's name and its lines, in order."""
    runs: list[tuple[str, list[str]]] = [("", [])]
    for line in lines:
        line = ANSI.sub("", line).rstrip("\n")
        if match := TOX_COMMAND.match(line):
            runs.append((match["env"], []))
        runs[-1][1].append(line)
    return runs


def failures(lines: Iterable[str]) -> list[str]:
    """Every failed test of a log, with its tox env: `env: name: why`."""
    return [
        f"{env}: {failed}" if env else failed
        for env, run in split_runs(lines)
        for failed in run_failures(run)
    ]


def summarize(lines: Iterable[str]) -> tuple[Counts, dict[str, int]]:
    """All counts of a log, and the number of tests each runner ran."""
    counts = Counts()
    runners: dict[str, int] = {}
    for _, run in split_runs(lines):
        for runner, run_total in run_counts(run):
            counts += run_total
            runners[runner] = runners.get(runner, 0) + run_total.tests
    return counts, runners


def main() -> int:
    with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
        lines = log.readlines()
    counts, runners = summarize(lines)
    if failed := failures(lines):
        print(f"Failed tests ({len(failed)}):")
        for line in failed[:MAX_NAMED]:
            print(f"  {line}")
        if len(failed) > MAX_NAMED:
            print(f"  ... and {len(failed) - MAX_NAMED} more (see the log)")
    by_runner = ", ".join(f"{name} {n}" for name, n in sorted(runners.items()))
    print(
        f"Tests: {counts.passed} passed, {counts.failed} failed,"
        f" {counts.skipped} skipped" + (f" ({by_runner})" if by_runner else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
