"""The figures (a), (b), (f) and the subjects; (c)-(e) are in load.py.

An entry is a dict: subject (key), label, value (number or None), text (shown
instead of the value: "hangs (>5 s)", "crashes: ...", "unavailable: ..."),
plus figure-specific fields.  All of them end up in results/latest.json.
"""

import procs
import report
from report import fmt_time
from report import median
from report import p90
from report import table

# key, runner subject, threads, label
WSGI = [
    ("ours", "ours", None, "ours (wsgi.Layer)"),
    ("4.0", "4.0", None, "4.0 (wsgi.Layer)"),
    ("waitress", "waitress", None, "waitress (threads=4)"),
    ("cheroot", "cheroot", None, "cheroot (numthreads=10)"),
    ("stdlib", "stdlib", None, "stdlib threading server (wsgiref)"),
    ("asyncio", "asyncio", None, "asyncio (ceiling)"),
]
# ours over TLS, measured in (a) and (c) keep-alive beside plain "ours"
HTTPS = (
    "ours-https",
    "ours-https",
    None,
    "ours HTTPS (wsgi.Layer https=True)",
)
WITH_HTTPS = WSGI[:1] + [HTTPS] + WSGI[1:]
CONCURRENT = (
    WSGI[:3]
    + [
        ("waitress-32", "waitress", 32, "waitress (threads=32)"),
        WSGI[3],
        ("cheroot-32", "cheroot", 32, "cheroot (numthreads=32)"),
    ]
    + WSGI[4:]
)
STATIC = [
    ("ours", "ours", None, "ours (static.Layer)"),
    ("4.0", "4.0", None, "4.0 (static.Layer)"),
    (
        "stdlib-http.server",
        "stdlib-http.server",
        None,
        "stdlib http.server (ThreadingHTTPServer, HTTP/1.1)",
    ),
    ("waitress", "waitress", None, "waitress + file_wrapper app"),
    ("cheroot", "cheroot", None, "cheroot + file app"),
    ("asyncio", "asyncio", None, "asyncio + loop.sendfile (ceiling)"),
]
BIG = "big.bin"
BIG_SIZE = 10 * 1024 * 1024
SMALL = "small.txt"
SMALL_SIZE = 1024


def https_ratio(entries):
    """ours-https value / ours value (None when either is missing)."""
    by = {e["subject"]: e.get("value") for e in entries}
    plain, https = by.get("ours"), by.get(HTTPS[0])
    return https / plain if plain and https else None


def https_column(entries):
    """An extra column: the HTTPS/plain ratio on the HTTPS row only."""
    r = https_ratio(entries)
    return (
        "HTTPS/plain",
        lambda e: report.fmt_ratio(r) if e["subject"] == HTTPS[0] else "",
    )


def run_each(ctx, subjects, body):
    """Call body(key, name, threads, label, interp) -> entry, per subject."""
    entries = []
    for key, name, threads, label in subjects:
        interp, why = ctx.interp(key)
        entry = {"subject": key, "label": label, "value": None}
        if interp is None:
            entry["text"] = why
        else:
            ctx.progress(f"  {label} ...")
            try:
                entry.update(body(key, name, threads, label, interp))
            except procs.Failed as exc:
                entry["text"] = (
                    str(exc)
                    if str(exc).startswith("crashes")
                    else f"fails: {exc}"
                )
        entries.append(entry)
    return entries


def fig_a(ctx):
    def body(key, name, threads, label, interp):
        n = ctx.cycles_ref if key == "4.0" else ctx.cycles_fast
        rows = procs.run_json(
            interp,
            ["lifecycle", name, "--cycles", str(n), "--max-seconds", "40"],
            timeout=120,
        )
        r = rows[-1]
        return {
            "value": median(r["times"]),
            "p90": p90(r["times"]),
            "setup_request": median(r["setup_request"]),
            "teardown": median(r["teardown"]),
            "cycles": len(r["times"]),
            "first": r.get("first"),
        }

    entries = run_each(ctx, WITH_HTTPS, body)
    print(
        report.figure_table(
            "(a) layer lifecycle: setUp + first successful request + tearDown "
            "(median)",
            entries,
            fmt_time,
            True,
            extra=[
                ("p90", lambda e: fmt_time(e.get("p90"))),
                ("setUp+request", lambda e: fmt_time(e.get("setup_request"))),
                ("tearDown", lambda e: fmt_time(e.get("teardown"))),
                ("cycles", lambda e: str(e.get("cycles", "-"))),
                ("1st cycle", lambda e: fmt_time(e.get("first"))),
                https_column(entries),
            ],
            note="Timed in the server process; a 2 ms pause (not timed) "
            "between the response and tearDown stands for the test's own "
            "work.\nHTTPS: new CA + server certificate (trustme) at every "
            "setUp, first request over TLS verified against ca_bundle.\n"
            "1st cycle: the warm-up cycle, not in the median (layer module "
            "imported before it, bare engines\nimport theirs in it; for "
            "HTTPS it includes importing trustme and cryptography).\n"
            "HTTPS/plain: ours HTTPS / ours.",
        )
    )
    return entries


TEARDOWN_MODES = [
    (
        "idle",
        "tearDown with an idle keep-alive client (one request made, "
        "socket kept open)",
    ),
    ("silent", "tearDown with a client connected but silent (pre-connect)"),
    (
        "partial",
        "tearDown with a client stuck mid-request (headers unfinished)",
    ),
]


def fig_b(ctx):
    out = {}
    for mode, title in TEARDOWN_MODES:

        def body(key, name, threads, label, interp, mode=mode):
            reps = ctx.reps_ref if key == "4.0" else ctx.reps
            rows = procs.run_json(
                interp,
                ["teardown", name, "--mode", mode, "--reps", str(reps)],
                timeout=30 + 6 * reps,
            )
            times = [r["seconds"] for r in rows if "seconds" in r]
            e = {
                "value": median(times) if times else None,
                "max": max(times) if times else None,
                "reps": len(times),
                "held": all(r.get("held") for r in rows),
                "threads_left": max(
                    (r.get("threads_left", 0) for r in rows), default=0
                ),
            }
            if any(r.get("hang") for r in rows):
                e.update(value=None, text=f"hangs (>{ctx.hang:g} s)")
            return e

        entries = run_each(ctx, WSGI, body)
        note = None
        if mode == "idle":
            closed = [
                e["label"]
                for e in entries
                if e.get("reps") and not e.get("held")
            ]
            if closed:
                note = (
                    "no keep-alive (server closed the idle connection "
                    "itself): " + ", ".join(closed)
                )
        elif any(e["subject"] == "cheroot" and e.get("text") for e in entries):
            note = (
                "cheroot: a worker blocks reading the connection and stop() "
                "waits out its shutdown_timeout\n(5 s by default; 5.0 s "
                "measured with a longer watchdog), then closes it."
            )
        print(
            report.figure_table(
                f"(b) {title}, median",
                entries,
                fmt_time,
                True,
                extra=[
                    ("max", lambda e: fmt_time(e.get("max"))),
                    ("reps", lambda e: str(e.get("reps", "-"))),
                ],
                note=note,
            )
        )
        out[mode] = entries
    return out


def _growth_row(e):
    if e.get("text"):
        return [e["label"], e["text"], "", "", "", ""]
    b, a = e["before"], e["after"]
    return [
        e["label"],
        str(e.get("cycles", e.get("requests", ""))),
        f"{b['threads']} -> {a['threads']} ({a['threads'] - b['threads']:+d})",
        f"{b['fds']} -> {a['fds']} ({a['fds'] - b['fds']:+d})",
        f"{(a['rss_kb'] - b['rss_kb']):+,d} kB",
        fmt_time(e.get("seconds")),
    ]


def fig_f(ctx, server_process=None):
    def body(key, name, threads, label, interp):
        n = ctx.growth_ref if key == "4.0" else ctx.growth_fast
        rows = procs.run_json(
            interp,
            [
                "growth",
                name,
                "--cycles",
                str(n),
                "--warmup",
                "10",
                "--max-seconds",
                "90",
            ],
            timeout=150,
        )
        r = rows[-1]
        return {
            "cycles": r["cycles"],
            "seconds": r["seconds"],
            "before": r["before"],
            "after": r["after"],
            "value": r["after"]["fds"] - r["before"]["fds"],
        }

    entries = run_each(ctx, WSGI, body)
    print(
        table(
            "(f) growth over setUp/request/tearDown cycles (after 10 warm-up "
            "cycles)",
            ["subject", "cycles", "threads", "open fds", "RSS", "time"],
            [_growth_row(e) for e in entries],
            note=f"ours and peers: {ctx.growth_fast} cycles; 4.0: "
            f"{ctx.growth_ref} cycles (0.5 s each). Threads: "
            "/proc/self/task; fds: /proc/self/fd; RSS: VmRSS.",
        )
    )
    if server_process:
        rows = []
        for e in server_process:
            b, a = e["before"], e["after"]
            rows.append(
                [
                    e["label"],
                    f"{e['requests']:,}",
                    f"{a['threads'] - b['threads']:+d}",
                    f"{a['fds'] - b['fds']:+d}",
                    f"{(a['rss_kb'] - b['rss_kb']):+,d} kB",
                    f"{e['loaded']['threads']}",
                ]
            )
        print(
            table(
                "(f) the (c) server processes: before setUp vs after tearDown",
                [
                    "subject",
                    "requests",
                    "threads",
                    "open fds",
                    "RSS",
                    "threads while loaded",
                ],
                rows,
            )
        )
    return entries


def growth_summary(entries):
    parts = []
    for e in entries:
        if e["subject"] not in ("ours", "4.0"):
            continue
        if e.get("text"):
            parts.append(f"{e['subject']} {e['text']}")
            continue
        b, a = e["before"], e["after"]
        parts.append(
            f"{e['subject']} over {e['cycles']} cycles: threads "
            f"{a['threads'] - b['threads']:+d}, fds {a['fds'] - b['fds']:+d}, "
            f"RSS {a['rss_kb'] - b['rss_kb']:+,d} kB"
        )
    return " | ".join(parts)
