"""Before and after: this tree's server against an earlier revision's, paired.

    python benchmarks/ab.py --before REV [--after REV] [--pairs N]
                            [--rounds N] [--loads LOAD,...] [--json PATH]

Made to answer "is the server slower than at REV?" on a machine whose speed
drifts by more than the difference sought. Both sides run the same
interpreter, the same ``runner.py`` and the same clients; only the core's
``src`` differs: ``git archive`` exports it for REV (and for ``--after``,
else the working tree's ``packages/core/src`` is used), and each server
process gets it first on ``PYTHONPATH``. Then, for each load:

- a *pair* of server processes is started, one per side, and the two are
  measured alternately, ``--rounds`` times, each side first in half of the
  rounds; the figure of a round is after/before, so that a slow moment of
  the machine touches both sides of it alike;
- this is repeated on ``--pairs`` new pairs of processes: two processes of
  the same code can differ by a few percent (their memory layout), which
  one pair cannot tell from a change in the code.

Throughput loads run ``wrk`` for 1 s (server pinned to one CPU, wrk to the
other, as in figure (h)); step loads time single ``runner.py steps``
(one lifecycle cycle, or one tearDown with a client holding a
connection). Each line shows both sides' medians, the median of the
rounds' ratios per pair of processes, and over all rounds: above 1, the
after side is faster. ``--before REV --after REV`` (the same revision)
shows the spread of the harness itself on the machine at that moment:
far from 1, no figure of the run can be trusted.
"""

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import typing
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import procs  # noqa: E402
import wrkbench  # noqa: E402
from report import fmt_rate  # noqa: E402
from report import fmt_time  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SRC = "packages/core/src"
SIDES = ("before", "after")


class Load(typing.NamedTuple):
    kind: str  # "wrk" (throughput) or "step" (runner.py steps)
    subject: str  # runner.py's subject
    arg: Any  # wrk: connections; step: the step
    label: str
    close: bool = False  # wrk: send Connection: close
    app: str = "hello"  # runner.py serve's app ("static": the files below)
    path: str = "/"  # wrk: the path requested


LOADS = {
    "keepalive-1": Load("wrk", "ours", 1, "keep-alive, 1 connection"),
    "keepalive-8": Load("wrk", "ours", 8, "keep-alive, 8 connections"),
    "close-8": Load(
        "wrk", "ours", 8, "Connection: close, 8 connections", close=True
    ),
    "https-8": Load("wrk", "ours-https", 8, "HTTPS keep-alive, 8 conn."),
    "static-8": Load(
        "wrk", "ours", 8, "static.Layer 4 KiB, 8 conn.", app="static"
    ),
    "static-256k-8": Load(
        "wrk",
        "ours",
        8,
        "static.Layer 256 KiB, 8 conn.",
        app="static",
        path="/bundle.js",
    ),
    "custom-8": Load(
        "wrk", "ours", 8, "custom.Layer, 8 connections", app="custom"
    ),
    "custom-close-8": Load(
        "wrk",
        "ours",
        8,
        "custom.Layer, Connection: close",
        close=True,
        app="custom",
    ),
    "lifecycle": Load("step", "ours", "lifecycle", "lifecycle cycle"),
    "teardown-idle": Load(
        "step", "ours", "teardown idle", "tearDown, idle client"
    ),
}
#: The files static.Layer serves (name: size): a page, and a script
#: bundle as a browser fetches it.
STATIC_FILES = {"index.html": 4096, "bundle.js": 256 * 1024}
#: Steps per round: a step takes milliseconds, a wrk run a second.
STEPS_PER_ROUND = 8


def export(rev, dest):
    """Write the core's ``src`` of git revision ``rev`` under ``dest``."""
    archive = subprocess.run(
        ["git", "-C", ROOT, "archive", "--format=tar", rev, SRC],
        capture_output=True,
        check=False,
    )
    if archive.returncode:
        sys.exit(
            f"ab.py: git cannot export {SRC} of {rev!r}:"
            f" {archive.stderr.decode().strip()}"
        )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        if hasattr(tarfile, "data_filter"):  # 3.11.4 and later
            tar.extractall(dest, filter="data")
        else:
            tar.extractall(dest)  # noqa: S202 (our own git archive)
    return os.path.join(dest, SRC)


def interpreter(src):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (src, env.get("PYTHONPATH")) if p
    )
    return procs.Interpreter(sys.executable, env)


def server_cpu(pid):
    """CPU seconds (user + system) the process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Stepper:
    """runner.py steps: one measured step per request, in its own process."""

    def __init__(self, interp, subject):
        self.proc = procs.start_runner(interp, ["steps", subject])
        self._answer("ready")

    def _answer(self, key):
        while line := self.proc.stdout.readline():
            if line.startswith("{"):
                got = json.loads(line)
                if key in got:
                    return got[key]
                raise procs.Failed(got.get("error", line.strip()))
        raise procs.Failed("runner.py steps ended")

    def step(self, step):
        self.proc.stdin.write(step + "\n")
        self.proc.stdin.flush()
        return self._answer("seconds")

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def balanced_orders(rounds, rnd):
    """The order of the two sides in each round: each goes first in half
    of the rounds (the second run of a round can profit from the first),
    in a random order."""
    orders = [SIDES, SIDES[::-1]] * (rounds // 2) + [SIDES] * (rounds % 2)
    rnd.shuffle(orders)
    return orders


# (load, side) whose wrk errors were printed.
_told: set[tuple[str, str]] = set()


def measure_wrk(interps, load, rounds, rnd, srcdir):
    """One pair of server processes: per round (rps, CPU us per request)
    of each side."""
    spec = LOADS[load]
    conns = spec.arg
    scheme = "https" if spec.subject.endswith("https") else "http"
    servers = {}
    try:
        for side in rnd.sample(SIDES, 2):
            servers[side] = procs.Server(
                interps[side],
                spec.subject,
                spec.app,
                srcdir=srcdir if spec.app == "static" else None,
            )

        def run(side, seconds=1):
            server = servers[side]
            cpu = server_cpu(server.proc.pid)
            got = wrkbench.wrk(
                server.port,
                seconds,
                threads=min(conns, 2),
                conns=conns,
                close=spec.close,
                scheme=scheme,
                path=spec.path,
            )
            used = server_cpu(server.proc.pid) - cpu
            if got["problems"] and (load, side) not in _told:
                _told.add((load, side))  # once: a line per second is noise
                problems = "; ".join(got["problems"])
                print(
                    f"  ({load}, {side}: wrk saw {problems})", file=sys.stderr
                )
            return got["rps"], used / max(1, got["requests"]) * 1e6

        for side in SIDES:
            run(side)  # warm-up: workers started, code paths taken
        return [
            {side: run(side) for side in order}
            for order in balanced_orders(rounds, rnd)
        ]
    finally:
        for server in servers.values():
            server.stop()


def measure_steps(interps, load, rounds, rnd, srcdir):
    """One pair of step processes: per step the seconds of each side."""
    spec = LOADS[load]
    steppers = {}
    try:
        for side in rnd.sample(SIDES, 2):
            steppers[side] = Stepper(interps[side], spec.subject)
        return [
            {side: steppers[side].step(spec.arg) for side in order}
            for order in balanced_orders(rounds * STEPS_PER_ROUND, rnd)
        ]
    finally:
        for stepper in steppers.values():
            stepper.stop()


def ratio(load, got):
    """after vs before, above 1 when the after side is faster."""
    if LOADS[load].kind == "wrk":
        return got["after"][0] / got["before"][0]
    return got["before"] / got["after"]


def summarise(load, per_pair):
    rows = [got for pair in per_pair for got in pair]
    wrk = LOADS[load].kind == "wrk"

    def side(name):
        values = [g[name][0] if wrk else g[name] for g in rows]
        return statistics.median(values)

    pair_ratios = [
        statistics.median(ratio(load, got) for got in pair)
        for pair in per_pair
    ]
    result = {
        "load": load,
        "before": side("before"),
        "after": side("after"),
        "pairs": pair_ratios,
        "ratio": statistics.median(ratio(load, got) for got in rows),
        "after_ahead": sum(ratio(load, got) > 1 for got in rows),
        "rounds": len(rows),
    }
    if wrk:
        result["cpu_ratio"] = statistics.median(
            g["after"][1] / g["before"][1] for g in rows
        )
    return result


def show(r):
    wrk = LOADS[r["load"]].kind == "wrk"
    fmt = fmt_rate if wrk else fmt_time
    pairs = " ".join(f"{x:.2f}" for x in r["pairs"])
    cpu = f"  CPU/request {r['cpu_ratio']:.2f}x" if wrk else ""
    print(
        f"{LOADS[r['load']].label:34} {fmt(r['before']):>13}"
        f" {fmt(r['after']):>13}  {r['ratio']:.2f}  ({pairs}; after ahead"
        f" in {r['after_ahead']}/{r['rounds']}){cpu}",
        flush=True,
    )


def arguments(doc, loads, rounds):
    """The command line both before/after scripts take (this one and
    ``inproc.py``); ``loads``: the names of the loads it knows."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--before", required=True, help="a git revision")
    p.add_argument(
        "--after", help="a git revision (default: the working tree)"
    )
    p.add_argument("--rounds", type=int, default=rounds)
    p.add_argument("--loads", default=",".join(loads))
    p.add_argument("--seed", type=int, default=None)
    return p


def parse(p, argv, loads):
    """Parse ``argv``; ``a.loads`` becomes a list, checked against
    ``loads``."""
    a = p.parse_args(argv)
    a.loads = a.loads.split(",")
    unknown = [x for x in a.loads if x not in loads]
    if unknown:
        p.error(f"unknown load(s) {unknown}; choose from {', '.join(loads)}")
    return a


def sources(a, tmp):
    """The core's ``src`` of each side: exported under ``tmp`` from the
    revisions of ``a``, or the working tree's for an ``after`` not given."""
    return {
        "before": export(a.before, os.path.join(tmp, "before")),
        "after": (
            export(a.after, os.path.join(tmp, "after"))
            if a.after
            else os.path.join(ROOT, SRC)
        ),
    }


def main(argv=None):
    p = arguments(__doc__, LOADS, rounds=8)
    p.add_argument("--pairs", type=int, default=4)
    p.add_argument(
        "--json", default=os.path.join(HERE, "results", "ab-latest.json")
    )
    a = parse(p, argv, LOADS)
    loads = a.loads
    if any(LOADS[x].kind == "wrk" for x in loads) and not wrkbench.have_wrk():
        p.error(wrkbench.NO_WRK)
    rnd = random.Random(a.seed)
    with tempfile.TemporaryDirectory(prefix="ab-") as tmp:
        srcs = sources(a, tmp)
        srcdir = os.path.join(tmp, "static")
        os.mkdir(srcdir)
        for name, size in STATIC_FILES.items():
            with open(os.path.join(srcdir, name), "wb") as f:
                f.write(os.urandom(size))
        interps = {side: interpreter(srcs[side]) for side in SIDES}
        print(
            f"before: {a.before}, after: {a.after or 'the working tree'};"
            f" {a.pairs} pair(s) of processes x {a.rounds} rounds;"
            f" load average {os.getloadavg()[0]:.2f}"
        )
        print(
            f"{'load':34} {'before':>13} {'after':>13}  after vs before"
            " (per pair of processes; >1: after is faster)"
        )
        results = []
        started = time.monotonic()
        for load in loads:
            wrk = LOADS[load].kind == "wrk"
            measure = measure_wrk if wrk else measure_steps
            per_pair = [
                measure(interps, load, a.rounds, rnd, srcdir)
                for _ in range(a.pairs)
            ]
            results.append(summarise(load, per_pair))
            show(results[-1])
    print(
        f"{time.monotonic() - started:.0f} s;"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    os.makedirs(os.path.dirname(a.json), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(
            {"before": a.before, "after": a.after, "results": results},
            f,
            indent=1,
        )


if __name__ == "__main__":
    main()
