"""Sum up the zope.testrunner runs of a log in one line: `N passed, N failed`.

Usage: python3 ci/testrunner-summary.py LOG

A tox log holds one zope.testrunner run per test env. A run over several
layers ends with `Total: N tests, N failures, N errors, N skipped`, a run
over one layer only with its `Ran N tests with ...` line; a tox line like
`core: commands[0]> ...` starts the next run. The line printed,
`Tests: 12 passed, 0 failed, 1 skipped`, is the plain closing line that CI
reads; failures and errors both count as failed.
"""

import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*m")
COUNTS = (
    r"(?P<tests>\d+) tests,? (?:with )?(?P<failures>\d+) failures,"
    r" (?P<errors>\d+) errors(?:, (?P<skipped>\d+) skipped)?"
)
TOTAL = re.compile(r"^\s*Total: " + COUNTS)
RAN = re.compile(r"^\s*Ran " + COUNTS)
TOX_COMMAND = re.compile(r"^\S+: commands\[\d+\]> ")


def counts(match: re.Match[str]) -> tuple[int, int, int]:
    tests, failures, errors, skipped = (
        int(match[name] or 0)
        for name in ("tests", "failures", "errors", "skipped")
    )
    return tests - failures - errors - skipped, failures + errors, skipped


def summarize(lines: list[str]) -> tuple[int, int, int]:
    passed = failed = skipped = 0
    layers: list[tuple[int, int, int]] = []  # `Ran` lines of the open run

    def close(run: list[tuple[int, int, int]]) -> None:
        nonlocal passed, failed, skipped
        for p, f, s in run:
            passed, failed, skipped = passed + p, failed + f, skipped + s

    for line in lines:
        line = ANSI.sub("", line)
        if match := TOTAL.match(line):
            close([counts(match)])
            layers = []
        elif match := RAN.match(line):
            layers.append(counts(match))
        elif TOX_COMMAND.match(line):
            close(layers)
            layers = []
    close(layers)
    return passed, failed, skipped


def main() -> int:
    with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
        passed, failed, skipped = summarize(log.readlines())
    print(f"Tests: {passed} passed, {failed} failed, {skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
