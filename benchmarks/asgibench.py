"""Figure (g): asgi.Layer beside uvicorn in a thread, hypercorn and the
asyncio ceiling (issue 18).

- (g1) lifecycle: setUp (lifespan startup included) + first request +
  tearDown, as figure (a) measures it (``runner.py lifecycle``);
- (g2) tearDown while a client holds an open, idle websocket
  (``runner.py teardown --mode websocket``);
- (g3) keep-alive requests/s of the 13-byte response, measured with
  ``wrk`` (8 connections, one thread, pinned to the client CPU), the
  server alone on the other CPU.

The engine of asgi.Layer was chosen on these figures: our own loop on
httptools and wsproto against uvicorn (httptools or h11) and hypercorn,
both embedded in a thread.
"""

import re
import shutil
import subprocess

import procs
from report import fmt_rate
from report import fmt_ratio
from report import fmt_time
from report import median
from report import table

OURS = "asgi-ours"
UVICORN = "asgi-uvicorn"
CEILING = "asyncio"
SUBJECTS = [
    (OURS, "ours (asgi.Layer: own loop, httptools, wsproto)"),
    (UVICORN, "uvicorn in a thread (httptools), as users write it"),
    ("asgi-uvicorn-h11", "uvicorn in a thread, http=h11"),
    ("asgi-hypercorn", "hypercorn serve() in a thread (h11)"),
    (CEILING, "asyncio (ceiling)"),
]
WEBSOCKET_SUBJECTS = SUBJECTS[:2] + SUBJECTS[3:4]
CONNECTIONS = 8


def _each(ctx, subjects, body):
    entries = []
    for key, label in subjects:
        entry = {"subject": key, "label": label, "value": None}
        ctx.progress(f"  {label} ...")
        try:
            entry.update(body(key))
        except procs.Failed as exc:
            entry["text"] = f"fails: {exc}"
        entries.append(entry)
    return entries


def lifecycle(ctx):
    def body(key):
        rows = procs.run_json(
            ctx.own,
            ["lifecycle", key, "--cycles", str(ctx.cycles_fast),
             "--max-seconds", "40"],
            timeout=120,
        )  # fmt: skip
        r = rows[-1]
        return {
            "value": median(r["times"]),
            "setup_request": median(r["setup_request"]),
            "teardown": median(r["teardown"]),
            "cycles": len(r["times"]),
        }

    entries = _each(ctx, SUBJECTS, body)
    ceiling = next(
        (e["value"] for e in entries if e["subject"] == CEILING), None
    )
    rows = [
        [
            e["label"],
            e.get("text") or fmt_time(e["value"]),
            fmt_time(e.get("setup_request")),
            fmt_time(e.get("teardown")),
            fmt_ratio(e["value"] / ceiling) if e["value"] and ceiling else "-",
        ]
        for e in entries
    ]
    print(table(
        "(g1) ASGI lifecycle: setUp + first request + tearDown, median",
        ["subject", "total", "setUp+request", "tearDown", "x ceiling"],
        rows,
        "x ceiling: the time over the asyncio ceiling's (below 1.5x: the"
        " target).",
    ))  # fmt: skip
    return entries


def teardown_websocket(ctx):
    def body(key):
        rows = procs.run_json(
            ctx.own,
            ["teardown", key, "--mode", "websocket", "--reps", str(ctx.reps)],
            timeout=30 + 6 * ctx.reps,
        )
        times = [r["seconds"] for r in rows if "seconds" in r]
        if any(r.get("hang") for r in rows):
            return {"text": f"hangs (>{ctx.hang:g} s)"}
        return {"value": median(times), "max": max(times, default=None)}

    entries = _each(ctx, WEBSOCKET_SUBJECTS, body)
    rows = [
        [e["label"], e.get("text") or fmt_time(e["value"]),
         fmt_time(e.get("max"))]
        for e in entries
    ]  # fmt: skip
    print(table(
        "(g2) tearDown with an open, idle websocket, median",
        ["subject", "median", "max"],
        rows,
        "the client holds the websocket and reads nothing; target under"
        " 50 ms.",
    ))  # fmt: skip
    return entries


def wrk(port, seconds):
    """Run wrk against the 13-byte response; (requests/s, problems)."""
    result = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s",
         f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, timeout=seconds + 30,
        preexec_fn=procs._pinned(procs.CLIENT_CPU),
    )  # fmt: skip
    found = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if result.returncode or not found:
        raise procs.Failed(
            f"wrk: {result.stdout[-200:]} {result.stderr[-200:]}"
        )
    problems = re.findall(
        r"(Non-2xx or 3xx responses: \d+|Socket errors: [^\n]+)", result.stdout
    )
    return float(found.group(1)), problems


def keep_alive(ctx):
    if shutil.which("wrk") is None:
        print("\n(g3) skipped: wrk is not installed (make bench installs it:"
              " ci/apt-install.sh wrk=/usr/bin/wrk)")  # fmt: skip
        return []

    def body(key):
        server = procs.Server(ctx.own, key, "hello")
        try:
            wrk(server.port, max(1, round(ctx.warmup)))
            rps, problems = wrk(server.port, max(1, round(ctx.duration)))
        finally:
            server.stop()
        return {"value": rps, "problems": problems}

    entries = _each(ctx, SUBJECTS, body)
    uvicorn = next(
        (e["value"] for e in entries if e["subject"] == UVICORN), None
    )
    rows = [
        [
            e["label"],
            e.get("text") or fmt_rate(e["value"]),
            fmt_ratio(e["value"] / uvicorn) if e["value"] and uvicorn else "-",
            "; ".join(e.get("problems") or []) or "none",
        ]
        for e in entries
    ]
    print(table(
        f"(g3) ASGI keep-alive, 13-byte response, wrk -c{CONNECTIONS}",
        ["subject", "req/s", "x uvicorn", "errors"],
        rows,
        "x uvicorn: requests/s over uvicorn in a thread's (at least 1: the"
        " target).",
    ))  # fmt: skip
    return entries


def fig_g(ctx):
    return {
        "lifecycle": lifecycle(ctx),
        "teardown_websocket": teardown_websocket(ctx),
        "keepalive": keep_alive(ctx),
    }


def summary(res):
    """The summary lines of figure (g), with its targets."""
    lines = []

    def value(entries, key):
        return next(
            (e.get("value") for e in entries if e["subject"] == key), None
        )

    def ok(cond):
        return "met" if cond else "MISSED"

    life = res.get("lifecycle", [])
    ours, ceiling = value(life, OURS), value(life, CEILING)
    uvicorn = value(life, UVICORN)
    if ours and ceiling:
        lines.append(
            f"ASGI lifecycle median: ours {fmt_time(ours)} | uvicorn in a"
            f" thread {fmt_time(uvicorn)} | ceiling {fmt_time(ceiling)}"
            f" ({fmt_ratio(ours / ceiling)} the ceiling)  [target within 1.5x"
            f" of the ceiling: {ok(ours <= 1.5 * ceiling)}]"
        )
    ws = res.get("teardown_websocket", [])
    ours = value(ws, OURS)
    if ours is not None:
        lines.append(
            f"ASGI tearDown, open websocket: ours {fmt_time(ours)} | uvicorn"
            f" in a thread {fmt_time(value(ws, UVICORN))}  [target under"
            f" 50 ms: {ok(ours < 0.05)}]"
        )
    ka = res.get("keepalive", [])
    ours, uvicorn = value(ka, OURS), value(ka, UVICORN)
    if ours and uvicorn:
        lines.append(
            f"ASGI keep-alive (wrk): ours {fmt_rate(ours)} | uvicorn in a"
            f" thread {fmt_rate(uvicorn)} ({fmt_ratio(ours / uvicorn)}) |"
            f" ceiling {fmt_rate(value(ka, CEILING))}  [target at least"
            f" uvicorn in a thread: {ok(ours >= uvicorn)}]"
        )
    return lines
