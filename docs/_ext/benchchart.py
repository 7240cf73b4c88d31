"""Bar charts of a `make bench` results file, drawn as SVG by `make docs`.

``benchmark_results`` in conf.py names the file (JSON written by
``benchmarks/run.py --json PATH``). Two directives read it::

    .. benchmark-run::

a paragraph saying where and when the figures were measured, and ::

    .. benchmark-chart:: lifecycle

one figure as a horizontal bar chart: one bar per subject (ours, 4.0, the
bare engines, the asyncio ceiling), its value written beside it. A bar far
beyond the others (more than ten times the smallest, for a time) is cut
short and marked, so that the rest stay readable; a subject that hung is a
hatched bar that says so. The SVG is inline, its text in the page's
colour, so that a dark theme shows it too.
"""

from __future__ import annotations

import html
import json
import pathlib
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.application import Sphinx

# Name: (figure path in the results, title, unit, lower is better).
PANELS = {
    "lifecycle": (
        "a",
        "setUp + first request + tearDown (median)",
        "time",
        True,
    ),
    "teardown-idle": (
        "b.idle",
        "tearDown while a client holds an idle keep-alive connection",
        "time",
        True,
    ),
    "teardown-silent": (
        "b.silent",
        "tearDown while a client is connected but silent",
        "time",
        True,
    ),
    "keepalive": (
        "c.keepalive",
        "a 13-byte response over one keep-alive connection",
        "rate",
        False,
    ),
    "close": (
        "c.close",
        "a 13-byte response, a new connection for each",
        "rate",
        False,
    ),
    "concurrent": (
        "d",
        "320 requests of 32 clients to a 50 ms application (ideal 0.5 s)",
        "time",
        True,
    ),
    "static": (
        "e.big",
        "a 10 MiB static file, over and over",
        "mbs",
        False,
    ),
}
COLOURS = {
    "ours": "#2b7bb9",
    "ours-https": "#7fb2dc",
    "4.0": "#d9822b",
    "asyncio": "#5c6b7a",
}
OTHER = "#aab4bf"
WIDTH, LABELS, BAR, ROW, TOP = 680, 250, 300, 22, 26
CLIP = 10  # a time more than CLIP x the smallest is cut short


def fmt(value: float, unit: str) -> str:
    if unit == "time":
        if value < 1e-3:
            return f"{value * 1e6:,.0f} µs"
        if value < 1:
            return f"{value * 1e3:,.1f} ms"
        return f"{value:,.2f} s"
    if unit == "rate":
        return f"{value:,.0f} req/s"
    return f"{value:,.0f} MB/s"


def entries(results: dict[str, Any], path: str) -> list[dict[str, Any]]:
    figure: Any = results["figures"]
    for key in path.split("."):
        figure = figure[key]
    return list(figure)


def chart(results: dict[str, Any], panel: str) -> str:
    """The SVG of one panel."""
    path, title, unit, lower = PANELS[panel]
    rows = entries(results, path)
    values = [r["value"] for r in rows if r.get("value") is not None]
    scale = max(values)
    if lower and values:
        scale = max(v for v in values if v <= CLIP * min(values))
    height = TOP + ROW * len(rows) + 8
    better = "lower is better" if lower else "higher is better"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="benchmark-chart"'
        f' viewBox="0 0 {WIDTH} {height}" width="100%"'
        f' style="max-width: {WIDTH}px" role="img"'
        f' aria-label="{html.escape(title)}, {better}"'
        ' font-family="sans-serif" font-size="12" fill="currentColor">',
        f"<title>{html.escape(title)} ({better})</title>",
        f'<defs><pattern id="hang-{panel}" width="6" height="6"'
        ' patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="3" height="6" fill="{COLOURS["4.0"]}"/></pattern>'
        "</defs>",
        f'<text x="0" y="14" font-weight="bold">{html.escape(title)}'
        f'<tspan font-weight="normal" font-size="11"> ({better})</tspan>'
        "</text>",
    ]
    for index, row in enumerate(rows):
        y = TOP + index * ROW
        label = row.get("label", row["subject"])
        if len(label) > 36:  # keep it in its column: drop the details
            label = label.split(" (")[0]
        label = html.escape(label)
        colour = COLOURS.get(row["subject"], OTHER)
        out.append(
            f'<text x="{LABELS - 8}" y="{y + 14}" text-anchor="end">'
            f"{label}</text>"
        )
        value = row.get("value")
        if value is None:
            text = row.get("text") or "no figure"
            out.append(
                f'<rect x="{LABELS}" y="{y + 3}" width="{BAR}" height="14"'
                f' fill="url(#hang-{panel})"/>'
            )
            out.append(
                f'<text x="{LABELS + BAR + 6}" y="{y + 14}">'
                f"{html.escape(text)}</text>"
            )
            continue
        width = BAR * min(value / scale, 1.0) if scale else 0
        out.append(
            f'<rect x="{LABELS}" y="{y + 3}" width="{max(width, 1):.1f}"'
            f' height="14" fill="{colour}"/>'
        )
        text = row.get("text") or fmt(value, unit)
        if value > scale:
            # Cut short: two white slashes across the end of the bar.
            x = LABELS + BAR - 14
            out.append(
                f'<path d="M{x} {y + 19} l5 -18 M{x + 5} {y + 19} l5 -18"'
                ' stroke="white" stroke-width="2"/>'
            )
        out.append(
            f'<text x="{LABELS + width + 6:.1f}" y="{y + 14}">'
            f"{html.escape(text)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def load(app: Sphinx) -> dict[str, Any]:
    path = pathlib.Path(app.srcdir) / app.config.benchmark_results
    app.env.note_dependency(str(path))
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class BenchmarkChart(Directive):
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        app = self.state.document.settings.env.app
        panel = self.arguments[0]
        if panel not in PANELS:
            raise self.error(
                f"benchmark-chart: no panel {panel!r}; choose from"
                f" {', '.join(PANELS)}."
            )
        svg = chart(load(app), panel)
        return [nodes.raw("", svg, format="html")]


class BenchmarkRun(Directive):
    def run(self) -> list[nodes.Node]:
        app = self.state.document.settings.env.app
        meta = load(app)["meta"]
        load_average = meta.get("load_average") or {}
        parts = [
            f"One run of ``make bench`` ({meta.get('date', 'date unknown')}"
            f", {meta['seconds']:.0f} s): {meta['machine']}, Python"
            f" {meta['python']}, gocept.httpserverlayer"
            f" {meta['gocept.httpserverlayer']}, waitress"
            f" {meta['waitress']}, cheroot {meta['cheroot']}"
        ]
        if load_average:
            parts.append(
                f"; load average {load_average.get('start')} at the start,"
                f" {load_average.get('end')} at the end"
            )
        text = "".join(parts) + "."
        paragraph = nodes.paragraph()
        self.state.nested_parse(
            self.content.__class__([text], "benchmark-run"), 0, paragraph
        )
        return [paragraph]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("benchmark_results", "bench-results.json", "env")
    app.add_directive("benchmark-chart", BenchmarkChart)
    app.add_directive("benchmark-run", BenchmarkRun)
    return {"parallel_read_safe": True, "version": "1"}
