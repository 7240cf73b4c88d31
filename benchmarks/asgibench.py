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

import functools

import procs
import wrkbench
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


def keep_alive(ctx):
    if not wrkbench.have_wrk():
        print(f"\n(g3) {wrkbench.NO_WRK}")
        return []

    def body(key):
        server = procs.Server(ctx.own, key, "hello")
        try:
            run = functools.partial(
                wrkbench.wrk, server.port, threads=1, conns=CONNECTIONS
            )
            run(max(1.0, ctx.warmup))
            result = run(max(1.0, ctx.duration))
        finally:
            server.stop()
        return {"value": result["rps"], "problems": result["problems"]}

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


def summary_rows(res):
    """The rows of figure (g) in the summary table, with their targets."""
    rows = []

    def value(entries, key):
        return next(
            (e.get("value") for e in entries if e["subject"] == key), None
        )

    life = res.get("lifecycle", [])
    ours, ceiling = value(life, OURS), value(life, CEILING)
    if ours and ceiling:
        rows.append({
            "figure": "ASGI lifecycle",
            "ours": fmt_time(ours),
            "ceiling": f"{fmt_time(ceiling)} (asyncio)",
            "ratios": f"{fmt_ratio(ceiling / ours)} ceiling; uvicorn in a"
            f" thread {fmt_time(value(life, UVICORN))}",
            "target": "≤ 1.5x ceiling",
            "met": ours <= 1.5 * ceiling,
        })  # fmt: skip
    ws = res.get("teardown_websocket", [])
    ours = value(ws, OURS)
    if ours is not None:
        rows.append({
            "figure": "ASGI tearDown, open websocket",
            "ours": fmt_time(ours),
            "ceiling": f"{fmt_time(value(ws, UVICORN))} (uvicorn)",
            "target": "< 50 ms",
            "met": ours < 0.05,
        })  # fmt: skip
    ka = res.get("keepalive", [])
    ours, uvicorn = value(ka, OURS), value(ka, UVICORN)
    if ours and uvicorn:
        rows.append({
            "figure": f"ASGI keep-alive, wrk -c{CONNECTIONS}",
            "ours": fmt_rate(ours),
            "ceiling": f"{fmt_rate(value(ka, CEILING))} (asyncio)",
            "ratios": f"{fmt_ratio(ours / uvicorn)} uvicorn",
            "target": "≥ uvicorn in a thread",
            "met": ours >= uvicorn,
        })  # fmt: skip
    return rows
