"""The summary table at the end of a run: each figure, ours beside 4.0 and
the ceiling (or the best peer), the target beside it and whether it is met.

The targets are those of DESIGN.md section 5 and issue 15; the ASGI ones
are issue 18's. A row without a target is there for reading, not judging.
"""

import asgibench
import report
import wrkbench
from report import fmt_mbs
from report import fmt_rate
from report import fmt_ratio
from report import fmt_time

HEADERS = ["figure", "ours", "4.0", "ceiling / best peer", "ours vs them",
           "target", "verdict"]  # fmt: skip


def _by(entries):
    return {e["subject"]: e for e in entries or ()}


def _shown(e, fmt):
    if e is None:
        return "n/a"
    return e.get("text") or fmt(e.get("value"))


def _value(e):
    return e.get("value") if e else None


def compare(name, entries, fmt, lower, target=None, check=None, peer=False):
    """A row for a figure with ours, 4.0 and the ceiling (or best peer).

    ``check(ours, by_subject)`` says whether the target is met.
    """
    by = _by(entries)
    ours, ref = by.get("ours"), by.get("4.0")
    other = by.get("asyncio")
    if peer or other is None:
        other = report.best_peer(entries, lower)
    ratios = []
    for e, word in (
        (ref, "4.0"),
        (
            other,
            "ceiling" if other and other["subject"] == "asyncio" else "peer",
        ),
    ):
        r = report.speed_ratio(_value(ours), _value(e), lower)
        if r is not None:
            ratios.append(f"{fmt_ratio(r)} {word}")
    row = {
        "figure": name,
        "ours": _shown(ours, fmt),
        "4.0": _shown(ref, fmt) if ref else "",
        "ceiling": (
            f"{_shown(other, fmt)} ({other['subject']})" if other else ""
        ),
        "ratios": ", ".join(ratios),
        "target": target or "",
    }  # fmt: skip
    if check is not None:
        row["met"] = bool(_value(ours) is not None and check(_value(ours), by))
    return row


def _at_most_times_ceiling(factor):
    def check(v, by):
        c = _value(by.get("asyncio"))
        return bool(c) and v <= factor * c

    return check


def _under(limit):
    return lambda v, by: v < limit


def rows(ctx, res):
    out = []
    if "a" in res:
        out.append(
            compare(
                "lifecycle (setUp + request + tearDown)",
                res["a"],
                fmt_time,
                True,
                "≤ 1.3x ceiling",
                _at_most_times_ceiling(1.3),
            )
        )
        by = _by(res["a"])
        https, plain = by.get("ours-https"), by.get("ours")
        if https and plain:
            out.append(
                {
                    "figure": "lifecycle over HTTPS (ours-https)",
                    "ours": _shown(https, fmt_time),
                    "ratios": "HTTPS/plain "
                    + _ratio(_value(https), _value(plain)),
                }
            )
    if "b" in res:
        for mode, name, limit, text in (
            ("idle", "tearDown, idle keep-alive client", 0.01, "< 10 ms"),
            ("silent", "tearDown, silent client", 0.01, "< 10 ms"),
            ("partial", "tearDown, client stuck mid-request", ctx.hang,
             "bounded"),
        ):  # fmt: skip
            out.append(
                compare(
                    name, res["b"][mode], fmt_time, True, text, _under(limit)
                )
            )
    if "c" in res:
        row = compare(
            "one keep-alive connection, Python client",
            res["c"]["keepalive"],
            fmt_rate,
            False,
        )
        ours = _value(_by(res["c"]["keepalive"]).get("ours"))
        row["target"] = (
            f"latency: {fmt_time(1 / ours)} a request" if ours else ""
        )
        out.append(row)
        by = _by(res["c"]["keepalive"])
        https, plain = by.get("ours-https"), by.get("ours")
        if https and plain:
            out.append(
                {
                    "figure": "the same over HTTPS (ours-https)",
                    "ours": _shown(https, fmt_rate),
                    "ratios": "HTTPS/plain "
                    + _ratio(_value(https), _value(plain)),
                }
            )
        out.append(
            compare(
                "new connection per request, Python client",
                res["c"]["close"],
                fmt_rate,
                False,
            )
        )
    if "h" in res:
        out.extend(wrkbench.summary_rows(res))
    elif "i" in res:
        out.extend(wrkbench.summary_rows({"i": res["i"]}))
    if "d" in res:
        by = _by(res["d"])
        out.append(
            compare(
                "32 clients, 50 ms app (ideal 0.5 s)",
                res["d"],
                fmt_time,
                True,
                "< 0.75 s, no error",
                lambda v, by: v < 0.75 and by["ours"].get("errors") == 0,
                peer=True,
            )
        )
    if "e" in res:
        out.append(
            compare(
                "10 MiB static file",
                res["e"]["big"],
                fmt_mbs,
                False,
                "≥ 1.4 GB/s",
                lambda v, by: v >= 1400,
            )
        )
        out.append(
            compare("1 KiB static file", res["e"]["small"], fmt_rate, False)
        )
    if "f" in res:
        ours = _by(res["f"]).get("ours")
        if ours and "before" in ours:
            out.append(
                report.growth_row(
                    f"growth over {ours['cycles']:,} layer cycles",
                    ours["before"],
                    ours["after"],
                )
            )
    if "g" in res:
        out.extend(asgibench.summary_rows(res["g"]))
    return out


def _ratio(a, b):
    return fmt_ratio(a / b) if a and b else "-"


def render(ctx, res):
    table_rows = []
    missed = False
    for row in rows(ctx, res):
        missed = missed or row.get("met") is False
        verdict = {True: "met", False: "MISSED"}.get(row.get("met"), "")
        table_rows.append(
            [
                row["figure"],
                row.get("ours", ""),
                row.get("4.0", ""),
                row.get("ceiling", ""),
                row.get("ratios", ""),
                row.get("target", ""),
                verdict,
            ]
        )
    title = "SUMMARY" + (
        " (--quick: short runs, rough figures)" if ctx.quick else ""
    )
    note = (
        "ours vs them: how many times ours is faster (above 1: ours is"
        " better); ceiling: one asyncio event loop."
    )
    if missed:
        note += (
            "\nMISSED: see the figure's own table above;"
            " benchmarks/README.md says what bounds each figure."
        )
    return report.table(title, HEADERS, table_rows, note=note)
