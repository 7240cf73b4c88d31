"""Figures (h) and (i): the server's throughput measured with ``wrk``, and
the first requests of 200 connections opened at once (issue 15).

- (h) requests/s of the 13-byte response with ``wrk -t2 -c8`` for 3 s,
  keep-alive and ``Connection: close``: every subject's server runs in its
  own process, all of them at once (idle but for the one measured), and
  the runs are interleaved, round after round, so that a change in the
  machine's load touches every subject alike; the figure is the median of
  the rounds. wrk is a C program pinned to the client CPU: the server,
  not the client, is the limit (figure (c)'s Python client on one
  connection is not: it is kept as a latency measure). The server
  processes also give the growth of threads, fds and RSS over the
  requests served between two tests (``stop``'s figures, without the
  warm-up requests: keep-alive until the request record of a test is full,
  and Connection: close).
- (i) 200 connections opened at once (non-blocking connects from one
  client process), each sending a request as soon as it is connected and
  then more, back to back, for 2 s; the latency of each connection's
  first request, from its connect() to the whole response, p50/p99/max
  over a few bursts, each on a new server process.
"""

import re
import shutil
import subprocess

import procs
from figures import run_each
from report import fmt_rate
from report import fmt_ratio
from report import fmt_time
from report import growth_row
from report import median
from report import table

#: The subjects of (h) and (i): ours, the reference, one peer, the ceiling.
SUBJECTS = [
    ("ours", "ours", None, "ours (wsgi.Layer)"),
    ("4.0", "4.0", None, "4.0 (wsgi.Layer)"),
    ("waitress", "waitress", None, "waitress (threads=4)"),
    ("asyncio", "asyncio", None, "asyncio (ceiling)"),
]
THREADS, CONNECTIONS = 2, 8
MODES = [("keepalive", "keep-alive"), ("close", "Connection: close")]
BURST = 200
NO_WRK = (
    "skipped: wrk is not installed (make bench installs it:"
    " ci/apt-install.sh wrk=/usr/bin/wrk)"
)


# Keep-alive requests of the warm-up: more than a test's request record
# keeps (RequestLog.MAX_REQUESTS).
WARM_REQUESTS = 10_000


def have_wrk():
    return shutil.which("wrk") is not None


def wrk(
    port,
    seconds,
    threads=THREADS,
    conns=CONNECTIONS,
    close=False,
    scheme="http",
    path="/",
):
    """Run wrk against ``path`` of 127.0.0.1:port, pinned to the client CPU
    (over TLS for ``scheme="https"``, which wrk does not verify).

    Returns ``{"rps", "requests", "problems"}``; problems are wrk's lines
    about non-2xx responses and socket errors.
    """
    # wrk takes whole seconds
    args = [
        "wrk",
        f"-t{threads}",
        f"-c{conns}",
        f"-d{max(1, round(seconds))}s",
    ]
    if close:
        args += ["-H", "Connection: close"]
    result = subprocess.run(
        [*args, f"{scheme}://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        preexec_fn=procs._pinned(procs.CLIENT_CPU),
    )
    found = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    count = re.search(r"(\d+) requests in", result.stdout)
    if result.returncode or not found or not count:
        raise procs.Failed(
            f"wrk: {result.stdout[-200:]} {result.stderr[-200:]}"
        )
    problems = re.findall(
        r"(Non-2xx or 3xx responses: \d+|Socket errors: [^\n]+)", result.stdout
    )
    return {
        "rps": float(found.group(1)),
        "requests": int(count.group(1)),
        "problems": problems,
    }


def fig_h(ctx):
    if not have_wrk():
        print(f"\n(h) {NO_WRK}")
        return {}
    seconds = max(1.0, ctx.duration)
    rounds = ctx.wrk_rounds
    servers, entries = {}, {mode: [] for mode, _ in MODES}

    def start(key, name, threads, label, interp):
        servers[key] = srv = procs.Server(interp, name, "hello")
        # Warm-up, not counted: both modes (a first Connection: close run
        # alone added 2 MiB of RSS once, and nothing in later runs), and
        # keep-alive until our request record, which keeps a test's last
        # 10,000 requests, is full at the snapshot as at the end.
        served = 0
        for _ in range(5):
            served += wrk(srv.port, max(1.0, ctx.warmup))["requests"]
            if served > WARM_REQUESTS:
                break
        wrk(srv.port, max(1.0, ctx.warmup), close=True)
        srv.snapshot()  # growth is counted from here
        return {}

    try:
        started = run_each(ctx, SUBJECTS, start)
        runs = {(key, mode): [] for key in servers for mode, _ in MODES}
        for round_ in range(rounds):
            for mode, _ in MODES:
                for key, _, _, label in SUBJECTS:
                    if key not in servers:
                        continue
                    ctx.progress(
                        f"  round {round_ + 1} of {rounds}, {mode}: {label}"
                    )
                    try:
                        runs[key, mode].append(
                            wrk(
                                servers[key].port,
                                seconds,
                                close=mode == "close",
                            )
                        )
                    except procs.Failed as exc:
                        runs[key, mode].append({"text": f"fails: {exc}"})
    finally:
        growth = {key: srv.stop() for key, srv in servers.items()}
    for key, _, _, label in SUBJECTS:
        base = next(e for e in started if e["subject"] == key)
        for mode, _ in MODES:
            entry = {"subject": key, "label": label, "value": None}
            if key not in servers:
                entry["text"] = base.get("text", "not run")
            else:
                entry.update(_summarise(runs[key, mode]))
            entries[mode].append(entry)
    for mode, title in MODES:
        print(_wrk_table(ctx, mode, title, entries[mode], rounds))
    served = _growth(entries, growth)
    print(
        table(
            "(h) the wrk server processes: after the warm-up vs after "
            "the last round",
            ["subject", "requests", "threads", "open fds", "RSS"],
            [_growth_row(e) for e in served],
            note="Both points between two tests (testTearDown, garbage "
            "collected, testSetUp): what the requests of (h)\nleft behind.",
        )
    )
    return {**entries, "growth": served}


def _summarise(results):
    good = [r for r in results if "rps" in r]
    if not good:
        return {"text": results[-1].get("text", "no run")}
    values = [r["rps"] for r in good]
    problems = sorted({p for r in good for p in r["problems"]})
    return {
        "value": median(values),
        "rounds": values,
        "requests": sum(r["requests"] for r in good),
        "problems": problems,
    }


def _wrk_table(ctx, mode, title, entries, rounds):
    by = {e["subject"]: e.get("value") for e in entries}
    ours, ref, ceiling = by.get("ours"), by.get("4.0"), by.get("asyncio")
    rows = []
    for e in entries:
        value = e.get("value")
        rows.append(
            [
                e["label"],
                e.get("text") or fmt_rate(value),
                " ".join(f"{v / 1000:.1f}k" for v in e.get("rounds", [])),
                fmt_ratio(ours / value) if ours and value else "-",
                fmt_ratio(value / ceiling) if value and ceiling else "-",
                "; ".join(e.get("problems") or []) or "none",
            ]
        )
    note = (
        f"Median of {rounds} rounds of {max(1.0, ctx.duration):g} s, every "
        "subject measured in each round (interleaved).\nours vs it: ours' "
        "requests/s over the row's; x ceiling: the row's over the asyncio "
        "responder's."
    )
    if ours and ref:
        note += f"\nours / 4.0: {fmt_ratio(ours / ref)}"
    return table(
        f"(h) 13-byte WSGI response, wrk -t{THREADS} -c{CONNECTIONS}, {title}",
        ["subject", "req/s", "rounds", "ours vs it", "x ceiling", "errors"],
        rows,
        note=note,
    )


def _growth(entries, growth):
    served = []
    for key, _, _, label in SUBJECTS:
        res = growth.get(key)
        if not res or not res.get("marked"):
            continue
        requests = sum(
            e.get("requests", 0)
            for mode, _ in MODES
            for e in entries[mode]
            if e["subject"] == key
        )
        served.append(
            {
                "subject": key,
                "label": label,
                "requests": requests,
                "before": res["marked"],
                "after": res["between"],
            }
        )
    return served


def _growth_row(e):
    b, a = e["before"], e["after"]
    return [
        e["label"],
        f"{e['requests']:,}",
        f"{b['threads']} -> {a['threads']} ({a['threads'] - b['threads']:+d})",
        f"{b['fds']} -> {a['fds']} ({a['fds'] - b['fds']:+d})",
        f"{(a['rss_kb'] - b['rss_kb']):+,d} kB",
    ]


def fig_i(ctx):
    def body(key, name, threads, label, interp):
        firsts, later = [], []
        totals = {"unanswered": 0, "errors": 0, "requests": 0}
        for _ in range(ctx.bursts):
            srv = procs.Server(interp, name, "hello")
            try:
                r = procs.client(
                    "burst",
                    srv.port,
                    ctx.burst_seconds + 60,
                    clients=BURST,
                    duration=ctx.burst_seconds,
                    deadline=ctx.burst_seconds + 20,
                )
            finally:
                srv.stop()
            firsts += r["first"]
            later += r["later"]
            for k in totals:
                totals[k] += r[k]
        return {
            "value": _pct(firsts, 0.99),
            "p50": _pct(firsts, 0.50),
            "max": max(firsts) if firsts else None,
            "later_p99": _pct(later, 0.99),
            "connections": len(firsts) + totals["unanswered"],
            **totals,
        }

    entries = run_each(ctx, SUBJECTS, body)
    print(
        table(
            f"(i) {BURST} connections opened at once: latency of each "
            "connection's first request",
            [
                "subject",
                "p50",
                "p99",
                "max",
                "unanswered",
                "later p99",
                "requests",
            ],
            [
                [
                    e["label"],
                    fmt_time(e.get("p50")),
                    e.get("text") or fmt_time(e.get("value")),
                    fmt_time(e.get("max")),
                    str(e.get("unanswered", "-")),
                    fmt_time(e.get("later_p99")),
                    str(e.get("requests", "-")),
                ]
                for e in entries
            ],
            note=f"{ctx.bursts} bursts, each on a new server process; from "
            "connect() to the whole response (accept and TCP\nretries "
            f"included); each connection then sends requests back to back "
            f"for {ctx.burst_seconds:g} s (later p99: their latency).\n"
            "Unanswered: connections without a response by the deadline "
            f"({ctx.burst_seconds + 20:g} s), left out of p50/p99/max.",
        )
    )
    return entries


def _pct(samples, q):
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary_rows(res):
    """Rows of the summary table for (h) and (i), with their targets."""
    rows = []
    for mode, title in MODES:
        entries = res.get("h", {}).get(mode)
        if not entries:
            continue
        by = {e["subject"]: e.get("value") for e in entries}
        ours, ref, ceiling = by.get("ours"), by.get("4.0"), by.get("asyncio")
        if mode == "keepalive":
            target = "≥ 0.3x ceiling, ≥ 2.5x 4.0"
            met = bool(
                ours and ceiling and ref and ours >= 0.3 * ceiling
            ) and (ours >= 2.5 * ref)
        else:
            target = "≥ 1.5x 4.0"
            met = bool(ours and ref and ours >= 1.5 * ref)
        rows.append(
            {
                "figure": f"wrk req/s, {title}",
                "ours": fmt_rate(ours),
                "4.0": fmt_rate(ref),
                "ceiling": fmt_rate(ceiling),
                "ratios": f"{_ratio(ours, ref)} 4.0, "
                f"{_ratio(ours, ceiling)} ceiling",
                "target": target,
                "met": met,
            }
        )
    served = res.get("h", {}).get("growth") or []
    ours = next((e for e in served if e["subject"] == "ours"), None)
    if ours:
        rows.append(
            growth_row(
                f"growth over {ours['requests']:,} requests (h)",
                ours["before"],
                ours["after"],
            )
        )
    entries = res.get("i")
    if entries:
        by = {e["subject"]: e for e in entries}
        ours = by.get("ours", {})

        def shown(e):
            if not e:
                return "n/a"
            if e.get("text"):
                return e["text"]
            return (
                f"p99 {fmt_time(e.get('value'))}, max {fmt_time(e.get('max'))}"
            )

        p99, top = ours.get("value"), ours.get("max")
        rows.append(
            {
                "figure": f"first request, {BURST} connections at once",
                "ours": shown(ours)
                + (f", {ours['unanswered']} unanswered"
                   if ours.get("unanswered") else ""),
                "4.0": shown(by.get("4.0")),
                "ceiling": shown(by.get("asyncio")),
                "target": "p99 < 250 ms, max < 1 s",
                "met": p99 is not None
                and p99 < 0.25
                and top is not None
                and top < 1.0
                and not ours.get("unanswered"),
            }
        )  # fmt: skip
    return rows


def _ratio(a, b):
    return fmt_ratio(a / b) if a and b else "-"
