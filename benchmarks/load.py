"""The load figures (c), (d), (e): a server process, a client process.

Entries as in figures.py; all of them end up in results/latest.json.
"""

import procs
import report
from figures import BIG
from figures import BIG_SIZE
from figures import CONCURRENT
from figures import HTTPS
from figures import SMALL
from figures import STATIC
from figures import WITH_HTTPS
from figures import WSGI
from figures import https_column
from figures import run_each
from report import fmt_mbs
from report import fmt_rate
from report import fmt_time


def fig_c(ctx):
    ka, close = [], []
    growth = []

    def body(key, name, threads, label, interp):
        srv = procs.Server(interp, name, "hello")
        try:
            k = procs.client(
                "rps",
                srv.port,
                ctx.duration + 30,
                duration=ctx.duration,
                expect="Hello, world!",
                warmup=ctx.warmup,
                ca=srv.ca_bundle,
            )
            if key == HTTPS[0]:  # keep-alive only: no close row for TLS
                c = None
            else:
                c = procs.client(
                    "rps",
                    srv.port,
                    ctx.duration + 30,
                    duration=ctx.duration,
                    close=True,
                    warmup=ctx.warmup,
                )
        finally:
            res = srv.stop()
        if c is not None:
            close.append(
                {
                    "subject": key,
                    "label": label,
                    "value": c["rps"],
                    "errors": c["errors"],
                    "requests": c["requests"],
                }
            )
        if res:
            growth.append(
                {
                    "subject": key,
                    "label": label,
                    "requests": k["requests"] + (c["requests"] if c else 0),
                    **res,
                }
            )
        note = []
        if k["reconnects"]:
            note.append("server closes every connection")
        if k["body_ok"] is False:
            note.append("WRONG BODY")
        return {
            "value": k["rps"],
            "errors": k["errors"],
            "requests": k["requests"],
            "reconnects": k["reconnects"],
            "note": "; ".join(note),
        }

    ka = run_each(ctx, WITH_HTTPS, body)
    for e in ka:  # unavailable subjects: same text in both tables
        if e.get("text") and e["subject"] != HTTPS[0]:
            close.append(dict(e))
    order = [s[0] for s in WSGI]
    close.sort(key=lambda e: order.index(e["subject"]))
    print(
        report.figure_table(
            f"(c) 13-byte WSGI response, one keep-alive connection, "
            f"~{ctx.duration:g} s",
            ka,
            fmt_rate,
            False,
            extra=[
                ("requests", lambda e: str(e.get("requests", "-"))),
                ("errors", lambda e: str(e.get("errors", "-"))),
                ("note", lambda e: e.get("note", "")),
                https_column(ka),
            ],
            note="A server that closes the connection is reconnected to "
            "(counted in the time).\nours HTTPS: one TLS connection, "
            "verified against the layer's ca_bundle (its handshake "
            "counts in the time);\nHTTPS/plain: ours HTTPS / ours.",
        )
    )
    print(
        report.figure_table(
            f"(c) 13-byte WSGI response, new connection per request "
            f"(Connection: close), ~{ctx.duration:g} s",
            close,
            fmt_rate,
            False,
            extra=[
                ("requests", lambda e: str(e.get("requests", "-"))),
                ("errors", lambda e: str(e.get("errors", "-"))),
            ],
        )
    )
    return {"keepalive": ka, "close": close, "server_process": growth}


def fig_d(ctx):
    def body(key, name, threads, label, interp):
        srv = procs.Server(interp, name, "sleep", threads=threads)
        try:
            r = procs.client(
                "concurrent",
                srv.port,
                ctx.deadline + 30,
                clients=32,
                per_client=10,
                deadline=ctx.deadline,
            )
        finally:
            srv.stop()
        e = {
            "value": r["wall"],
            "ok": r["ok"],
            "errors": r["errors"],
            "reconnects": r["reconnects"],
            "error_kinds": r["error_kinds"],
            "client": r["client"],
        }
        if r["errors"]:
            e["text"] = f"{fmt_time(r['wall'])}, {r['errors']} errors"
        return e

    entries = run_each(ctx, CONCURRENT, body)
    kinds = lambda e: ", ".join(  # noqa: E731
        f"{k} {v}" for k, v in sorted(e.get("error_kinds", {}).items())
    )
    print(
        report.figure_table(
            "(d) 320 requests, 32 concurrent clients (keep-alive, 10 each), "
            "50 ms app; ideal 0.50 s",
            entries,
            fmt_time,
            True,
            extra=[
                ("ok", lambda e: str(e.get("ok", "-"))),
                ("errors", lambda e: str(e.get("errors", "-"))),
                ("reconnects", lambda e: str(e.get("reconnects", "-"))),
                ("error kinds", kinds),
            ],
            note=f"Client: 32 threads in one client process (the load is 320 "
            f"requests, small beside the server's work); requests not done "
            f"by {ctx.deadline:g} s count as errors.",
        )
    )
    return entries


def fig_e(ctx):
    small = []

    def body(key, name, threads, label, interp):
        srv = procs.Server(interp, name, "static", srcdir=ctx.srcdir)
        try:
            b = procs.client(
                "download",
                srv.port,
                ctx.duration + 30,
                path="/" + BIG,
                size=BIG_SIZE,
                duration=ctx.duration,
            )
            s = procs.client(
                "rps",
                srv.port,
                ctx.duration + 30,
                path="/" + SMALL,
                duration=ctx.duration,
                warmup=ctx.warmup,
            )
        finally:
            srv.stop()
        small.append(
            {
                "subject": key,
                "label": label,
                "value": s["rps"],
                "errors": s["errors"],
                "reconnects": s["reconnects"],
            }
        )
        e = {
            "value": b["mb_per_s"],
            "requests": b["requests"],
            "errors": b["errors"],
            "reconnects": b["reconnects"],
        }
        if b["errors"] and not b["requests"]:
            e["text"] = f"fails: {b['errors']} errors"
        return e

    entries = run_each(ctx, STATIC, body)
    for e in entries:
        if e.get("text") and not any(
            s["subject"] == e["subject"] for s in small
        ):
            small.append(dict(e))
    order = [s[0] for s in STATIC]
    small.sort(key=lambda e: order.index(e["subject"]))
    print(
        report.figure_table(
            f"(e) 10 MiB static file, repeated over keep-alive, "
            f"~{ctx.duration:g}"
            " s (MB = 10^6 bytes)",
            entries,
            fmt_mbs,
            False,
            extra=[
                ("downloads", lambda e: str(e.get("requests", "-"))),
                ("errors", lambda e: str(e.get("errors", "-"))),
                ("reconnects", lambda e: str(e.get("reconnects", "-"))),
            ],
        )
    )
    print(
        report.figure_table(
            f"(e) 1 KiB static file, keep-alive, ~{ctx.duration:g} s",
            small,
            fmt_rate,
            False,
            extra=[
                ("errors", lambda e: str(e.get("errors", "-"))),
                ("reconnects", lambda e: str(e.get("reconnects", "-"))),
            ],
            note="stdlib http.server on HTTP/1.1 sends headers and body in "
            "separate writes without TCP_NODELAY;\nover keep-alive, Nagle "
            "and delayed ACKs then hold each small response ~40 ms.",
        )
    )
    return {"big": entries, "small": small}
