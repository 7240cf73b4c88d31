"""Benchmarks: ours beside gocept.httpserverlayer 4.0, bare engines, asyncio.

    python benchmarks/run.py [--quick] [--only a,c] [--json PATH]

Figures (see README.md): (a) lifecycle, (b) tearDown with clients holding
connections, (c) small-response requests/s, (d) 32 concurrent clients on a
50 ms app, (e) static files, (f) growth of threads/fds/RSS; (a) and (c)
keep-alive also show ours over HTTPS beside plain ours.  Every server runs
in its own process, every load client too; results go to
benchmarks/results/latest.json.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import asgibench  # noqa: E402
import figures  # noqa: E402
import load  # noqa: E402
import procs  # noqa: E402
import refenv  # noqa: E402
import report  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ALL = "abcdefg"
OURS_CHECK = (
    "import gocept.httpserverlayer.wsgi, gocept.httpserverlayer.static"
)


class Context:
    def __init__(self, quick):
        self.quick = quick
        if quick:
            self.cycles_fast, self.cycles_ref = 30, 2
            self.reps, self.reps_ref = 5, 1
            self.duration, self.warmup = 0.4, 0.1
            self.deadline = 3.0
            self.growth_fast, self.growth_ref = 100, 3
            self.hang = 2.0
        else:
            self.cycles_fast, self.cycles_ref = 200, 20
            self.reps, self.reps_ref = 20, 3
            self.duration, self.warmup = 3.0, 0.5
            self.deadline = 20.0
            self.growth_fast, self.growth_ref = 1000, 50
            self.hang = 5.0
        self.own = procs.Interpreter(sys.executable, os.environ)
        self.own.env["BENCH_HANG_SECONDS"] = str(self.hang)
        self.ref = None
        self.ref_why = None
        self.ours_why = None
        self.srcdir = None

    def interp(self, key):
        if key == "4.0":
            return self.ref, self.ref_why
        if key.startswith("ours") and self.ours_why:
            return None, self.ours_why
        return self.own, None

    def progress(self, msg):
        sys.stderr.write(msg + "\n")
        sys.stderr.flush()


def check_ours(ctx):
    try:
        res = subprocess.run(
            [sys.executable, "-c", OURS_CHECK],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        return "unavailable: import timed out"
    if res.returncode:
        last = (res.stderr.strip().splitlines() or ["?"])[-1]
        return f"unavailable: {last}"
    return None


def make_files(ctx):
    ctx.srcdir = tempfile.mkdtemp(prefix="bench-static-")
    with open(os.path.join(ctx.srcdir, figures.BIG), "wb") as f:
        f.write(os.urandom(figures.BIG_SIZE))
    with open(os.path.join(ctx.srcdir, figures.SMALL), "wb") as f:
        f.write((b"0123456789abcdef" * 64)[: figures.SMALL_SIZE])


def versions():
    out = {
        "python": platform.python_version(),
        "machine": f"{os.cpu_count()} CPUs, {platform.platform()}",
    }
    from importlib import metadata

    for dist in ("gocept.httpserverlayer", "waitress", "cheroot"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def targets():
    def lifecycle(v, entries):
        c = next(
            (e["value"] for e in entries if e["subject"] == "asyncio"), None
        )
        return (_ok(v and c and v <= 1.5 * c), "within 1.5x of the ceiling")

    def under(limit, text):
        return lambda v, entries: (_ok(v is not None and v < limit), text)

    def rps(v, entries):
        ref = next(
            (e.get("value") for e in entries if e["subject"] == "4.0"), None
        )
        peers = [
            e.get("value") or 0
            for e in entries
            if e["subject"] not in ("ours", "ours-https", "4.0", "asyncio")
        ]
        ok = v and (not ref or v >= 1.5 * ref) and all(v > p for p in peers)
        return _ok(ok), "at least 1.5x 4.0 and above every peer"

    def concurrent(v, entries):
        e = next((e for e in entries if e["subject"] == "ours"), {})
        ok = v is not None and v < 0.75 and e.get("errors") == 0
        return _ok(ok), "under 0.75 s, no error"

    return lifecycle, under, rps, concurrent


def _ok(cond):
    return "met" if cond else "MISSED"


def summary(ctx, res):
    lifecycle, under, rps, concurrent = targets()
    lines = []
    if "a" in res:
        lines.append(
            report.summary_line(
                "lifecycle median", res["a"], report.fmt_time, True, lifecycle
            )
        )
        first = {e["subject"]: e.get("first") for e in res["a"]}
        line = report.https_line(
            "HTTPS lifecycle median",
            res["a"],
            report.fmt_time,
            "  [HTTPS/plain time; first cycle of a process, trustme and "
            f"cryptography imported in it: "
            f"{report.fmt_time(first.get('ours-https'))} "
            f"(plain {report.fmt_time(first.get('ours'))})]",
        )
        if line:
            lines.append(line)
    if "b" in res:
        lines.append(
            report.summary_line(
                "tearDown, client connected but silent",
                res["b"]["silent"],
                report.fmt_time,
                True,
                under(0.05, "under 50 ms"),
            )
        )
        lines.append(
            report.summary_line(
                "tearDown, idle keep-alive client",
                res["b"]["idle"],
                report.fmt_time,
                True,
                under(0.05, "under 50 ms"),
            )
        )
        lines.append(
            report.summary_line(
                "tearDown, client stuck mid-request",
                res["b"]["partial"],
                report.fmt_time,
                True,
                under(ctx.hang, "bounded"),
            )
        )
    if "c" in res:
        lines.append(
            report.summary_line(
                "13-byte response, keep-alive",
                res["c"]["keepalive"],
                report.fmt_rate,
                False,
                rps,
            )
        )
        line = report.https_line(
            "HTTPS keep-alive",
            res["c"]["keepalive"],
            report.fmt_rate,
            "  [HTTPS/plain throughput; one TLS connection]",
        )
        if line:
            lines.append(line)
        lines.append(
            report.summary_line(
                "13-byte response, new connection each",
                res["c"]["close"],
                report.fmt_rate,
                False,
            )
        )
    if "d" in res:
        lines.append(
            report.summary_line(
                "320 requests, 32 clients, 50 ms app",
                res["d"],
                report.fmt_time,
                True,
                concurrent,
            )
        )
    if "e" in res:
        lines.append(
            report.summary_line(
                "10 MiB static file",
                res["e"]["big"],
                report.fmt_mbs,
                False,
                lambda v, e: (_ok(v and v >= 1400), "at least 1.4 GB/s"),
            )
        )
        lines.append(
            report.summary_line(
                "1 KiB static file", res["e"]["small"], report.fmt_rate, False
            )
        )
    if "f" in res:
        ours = next((e for e in res["f"] if e["subject"] == "ours"), {})
        none = (
            "before" in ours
            and ours["after"]["threads"] <= ours["before"]["threads"]
            and ours["after"]["fds"] <= ours["before"]["fds"]
        )
        lines.append(
            "growth: "
            + figures.growth_summary(res["f"])
            + f"  [target none (threads, fds): {_ok(none)}]"
        )
    if "g" in res:
        lines.extend(asgibench.summary(res["g"]))
    lines.append(
        "(ceiling: one asyncio event loop; a blocking thread per "
        "connection can beat it on one connection)"
    )
    title = "SUMMARY" + (
        " (--quick: short runs, rough figures)" if ctx.quick else ""
    )
    print("\n" + title + "\n" + "=" * len(title))
    for line in lines:
        print(line)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--quick",
        action="store_true",
        help="fewer cycles, shorter runs (a smoke test)",
    )
    p.add_argument(
        "--only",
        default=ALL,
        help="figures to run, e.g. a,c (default: all of a-g)",
    )
    p.add_argument(
        "--json", default=os.path.join(HERE, "results", "latest.json")
    )
    p.add_argument(
        "--no-ref", action="store_true", help="leave out the 4.0 reference"
    )
    a = p.parse_args(argv)
    only = [x for x in a.only.replace(",", "") if x in ALL]
    started = time.perf_counter()
    ctx = Context(a.quick)
    ctx.ours_why = check_ours(ctx)
    if a.no_ref:
        ctx.ref_why = "left out (--no-ref)"
    else:
        python, why = refenv.ensure(log=ctx.progress)
        if python:
            ctx.ref = procs.Interpreter(python, refenv.ref_env())
            ctx.ref.env["BENCH_HANG_SECONDS"] = str(ctx.hang)
        else:
            ctx.ref_why = f"unavailable: {why}"
    make_files(ctx)
    meta = versions()
    meta.update(
        quick=a.quick,
        only=only,
        reference=ctx.ref and ctx.ref.python,
        ours=ctx.ours_why or "available",
    )
    print(
        "gocept.httpserverlayer benchmarks" + (" (--quick)" if a.quick else "")
    )
    print(
        f"  {meta['machine']}; Python {meta['python']}; ours "
        f"{meta['gocept.httpserverlayer']} ({ctx.ours_why or 'available'})"
        f"; waitress {meta['waitress']}; cheroot {meta['cheroot']}"
    )
    print(
        f"  4.0: {ctx.ref.python if ctx.ref else ctx.ref_why} - runs "
        "unpatched on this Python (it calls Thread.is_alive); no "
        "monkeypatch applied"
    )
    print(
        "  Each server runs in its own process (runner.py), each load "
        "client in another (httpclient.py: raw sockets); 127.0.0.1 only."
    )
    meta["date"] = time.strftime("%Y-%m-%d")
    meta["load_average"] = {"start": loadavg()}
    print(
        f"  load average at start: {meta['load_average']['start']} (other"
        " work on the machine skews the figures)"
    )
    res = {}
    try:
        for fig in only:
            ctx.progress(f"({fig}) ...")
            if fig == "g":
                res["g"] = asgibench.fig_g(ctx)
            elif fig == "f":
                res["f"] = figures.fig_f(
                    ctx, res.get("c", {}).get("server_process")
                )
            else:
                module = figures if fig in "ab" else load
                res[fig] = getattr(module, f"fig_{fig}")(ctx)
            sys.stdout.flush()
    finally:
        import shutil

        shutil.rmtree(ctx.srcdir, ignore_errors=True)
    summary(ctx, res)
    elapsed = time.perf_counter() - started
    meta["load_average"]["end"] = loadavg()
    print(
        f"\n(total {elapsed:.0f} s; load average at the end:"
        f" {meta['load_average']['end']})"
    )
    meta["seconds"] = elapsed
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump({"meta": meta, "figures": res}, f, indent=1, default=str)
    print(f"results: {os.path.relpath(a.json)}")


if __name__ == "__main__":
    main()
