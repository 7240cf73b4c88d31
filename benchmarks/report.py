"""Tables, ratios and the summary block."""

import statistics

CEILING = "asyncio (ceiling)"
REFERENCE = "4.0"
OURS = "ours"
OURS_HTTPS = "ours-https"


def median(xs):
    return statistics.median(xs) if xs else None


def p90(xs):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]


def fmt_time(s):
    if s is None:
        return "-"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 0.001:
        return f"{s * 1e3:.1f} ms" if s < 0.1 else f"{s * 1e3:.0f} ms"
    return f"{s * 1e6:.0f} us"


def fmt_rate(r, unit="req/s"):
    if r is None:
        return "-"
    return f"{r:,.0f} {unit}"


def fmt_mbs(r):
    if r is None:
        return "-"
    return f"{r / 1000:.2f} GB/s" if r >= 1000 else f"{r:.0f} MB/s"


def speed_ratio(ours, other, lower_is_better):
    """How many times ours is faster than `other` (>1: ours is better)."""
    if not ours or not other:
        return None
    return other / ours if lower_is_better else ours / other


def fmt_ratio(r):
    if r is None:
        return "-"
    return f"{r:.2f}x" if r < 10 else f"{r:.0f}x"


def table(title, headers, rows, note=None):
    """Plain-text table; rows are lists of strings."""
    widths = [
        max(len(str(h)), *(len(str(r[i])) for r in rows))
        if rows
        else len(str(h))
        for i, h in enumerate(headers)
    ]
    out = ["", title, "-" * len(title)]
    line = "  ".join(
        str(h).ljust(w) for h, w in zip(headers, widths, strict=True)
    )
    out.append(line.rstrip())
    out.append("  ".join("-" * w for w in widths))
    for r in rows:
        out.append(
            "  ".join(
                str(c).ljust(w) for c, w in zip(r, widths, strict=True)
            ).rstrip()
        )
    if note:
        out.extend("  " + n for n in note.splitlines())
    return "\n".join(out)


def figure_table(title, entries, fmt, lower_is_better, extra=(), note=None):
    """entries: list of dicts with subject, value (or None), text, extras.

    Adds the column "ours' speed vs it": >1 means ours is faster/better.
    """
    ours = next(
        (
            e["value"]
            for e in entries
            if e["subject"] == OURS and e.get("value")
        ),
        None,
    )
    headers = ["subject", "value", *[x[0] for x in extra], "ours vs it"]
    rows = []
    for e in entries:
        value = e.get("text") or fmt(e.get("value"))
        ratio = (
            "(ours)"
            if e["subject"] == OURS
            else fmt_ratio(speed_ratio(ours, e.get("value"), lower_is_better))
        )
        rows.append([e["label"], value, *[x[1](e) for x in extra], ratio])
    note = ((note + "\n") if note else "") + (
        "ours vs it: how many times ours is faster (>1: ours better)."
    )
    return table(title, headers, rows, note)


def best_peer(entries, lower_is_better, exclude=(OURS, OURS_HTTPS, REFERENCE)):
    peers = [
        e
        for e in entries
        if e["subject"] not in exclude
        and e["subject"] != "asyncio"
        and e.get("value")
    ]
    if not peers:
        return None
    key = (
        (lambda e: e["value"]) if lower_is_better else (lambda e: -e["value"])
    )
    return min(peers, key=key)


def https_line(name, entries, fmt, extra=""):
    """`name: ours-https X | ours-http Y (Zx)`, Z = HTTPS / plain."""
    by = {e["subject"]: e for e in entries}
    if OURS_HTTPS not in by:
        return None

    def shown(e):
        if e is None:
            return "n/a"
        return e.get("text") or fmt(e.get("value"))

    https, plain = by.get(OURS_HTTPS), by.get(OURS)
    line = f"{name}: ours-https {shown(https)} | ours-http {shown(plain)}"
    hv, pv = https.get("value"), plain and plain.get("value")
    if hv and pv:
        line += f" ({fmt_ratio(hv / pv)})"
    return line + extra


def summary_line(name, entries, fmt, lower_is_better, target=None):
    """`name: ours X | 4.0 Y (ours Nx faster) | best peer P Z | ceiling C`."""
    by = {e["subject"]: e for e in entries}

    def shown(e):
        if e is None:
            return "n/a"
        return e.get("text") or fmt(e.get("value"))

    ours = by.get(OURS)
    parts = [f"ours {shown(ours)}"]
    ours_v = ours.get("value") if ours else None
    ref = by.get(REFERENCE)
    if ref is not None:
        r = speed_ratio(ours_v, ref.get("value"), lower_is_better)
        if r is not None:
            word = "faster" if lower_is_better else "the throughput"
            parts.append(f"4.0 {shown(ref)} (ours {fmt_ratio(r)} {word})")
        else:
            parts.append(f"4.0 {shown(ref)}")
    bp = best_peer(entries, lower_is_better)
    if bp is not None:
        r = speed_ratio(ours_v, bp.get("value"), lower_is_better)
        extra = f" (ours {fmt_ratio(r)} of its speed)" if r else ""
        parts.append(f"best peer {bp['label']} {shown(bp)}{extra}")
    ceil = by.get("asyncio")
    if ceil is not None:
        r = speed_ratio(ours_v, ceil.get("value"), lower_is_better)
        extra = f" (ours {fmt_ratio(r)} of ceiling speed)" if r else ""
        parts.append(f"ceiling {shown(ceil)}{extra}")
    line = f"{name}: " + " | ".join(parts)
    if target is not None:
        verdict, text = target(ours_v, entries)
        line += f"  [target {text}: {verdict}]"
    return line


def growth_row(figure, before, after):
    """A summary row: threads, fds and RSS from ``before`` to ``after``
    against the target of DESIGN.md section 5."""
    rss = after["rss_kb"] - before["rss_kb"]
    return {
        "figure": figure,
        "ours": f"threads {after['threads'] - before['threads']:+d}, fds"
        f" {after['fds'] - before['fds']:+d}, RSS {rss:+,d} kB",
        "target": "threads, fds +0; RSS < +1 MiB",
        "met": after["threads"] <= before["threads"]
        and after["fds"] <= before["fds"]
        and rss < 1024,
    }
