"""SVG charts of a perf-challenge run (pygal), safe to serve as images under a strict CSP.

pygal writes an inline configuration ``<script>`` even with ``js=[]``; it is removed
from the tree before serializing, so the SVG holds no script and no external reference.
Missing figures give a small "no data" SVG, never an error: a chart is never worth a 500.
"""

from __future__ import annotations

from xml.etree import ElementTree

import pygal
from pygal.style import Style

from grader.services.untrusted import inert

_STYLE = Style(background="white", plot_background="white", font_family="sans-serif",
               colors=("#9aa6b2", "#6b7785", "#3a4450", "#8fb3f0", "#3c6fd1", "#163f8f"))
_OPTIONS = dict(js=[], disable_xml_declaration=True, style=_STYLE, width=820, height=400, explicit_size=True,
                legend_at_bottom=True, legend_at_bottom_columns=3, print_values=False,
                truncate_label=24, truncate_legend=40)
# One colour per app (starter grey, candidate blue); requests/s dashed beside p95 solid.
_TIMELINE_STYLE = Style(background="white", plot_background="white", font_family="sans-serif",
                        colors=("#6b7785", "#3c6fd1", "#6b7785", "#3c6fd1"))


def _svg(chart) -> bytes:
    """The chart as SVG bytes with every <script> element removed."""
    root = chart.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    text = ElementTree.tostring(root, encoding="unicode") if isinstance(root, ElementTree.Element) else _lxml(root)
    return text.encode("utf-8")


def _lxml(root) -> str:
    from lxml import etree  # pygal renders with lxml when it is installed

    return etree.tostring(root, encoding="unicode")


def no_data(title: str) -> bytes:
    """A small SVG saying there is nothing to draw."""
    chart = pygal.Bar(**{**_OPTIONS, "height": 120, "show_legend": False}, title=inert(title),
                      no_data_text="no data for this run")
    return _svg(chart)


def latency_chart(endpoints: list[str], series: dict[str, list[float | None]]) -> bytes:
    """p50/p95/p99 per endpoint, starter beside candidate (ms, log scale: speed-ups span decades)."""
    cleaned = {name: [v if v is not None and v > 0 else None for v in values] for name, values in series.items()}
    if not endpoints or not any(v is not None for values in cleaned.values() for v in values):
        return no_data("Latency under load")
    chart = pygal.Bar(**_OPTIONS, title="Latency under load (ms, log scale)", logarithmic=True, x_label_rotation=20)
    chart.x_labels = [inert(e) for e in endpoints]
    for name, values in cleaned.items():
        chart.add(inert(name), values)
    return _svg(chart)


def timeline_chart(timeline: dict[str, list[dict]]) -> bytes:
    """The mixed load second by second: p95 (ms) and requests per second, starter and candidate."""
    points = {}
    for label in ("starter", "candidate"):
        entries = timeline.get(label) or []
        for metric in ("p95", "rps"):
            points[(label, metric)] = [(_num(e.get("t")), _num(e.get(metric))) for e in entries
                                       if _num(e.get("t")) is not None and _num(e.get(metric)) is not None]
    if not any(points.values()):
        return no_data("Load timeline")
    idle = [label for label in ("starter", "candidate") if not points[(label, "p95")]]
    title = "Mixed load over time" + (f" ({' and '.join(idle)}: no request finished)" if idle else "")
    chart = pygal.XY(**{**_OPTIONS, "style": _TIMELINE_STYLE, "legend_at_bottom_columns": 2}, title=title,
                     x_title="seconds", y_title="p95 (ms), solid", show_dots=False)
    for metric in ("p95", "rps"):  # colours follow this order: _TIMELINE_STYLE
        for label in ("starter", "candidate"):
            name = f"{label} p95 (ms)" if metric == "p95" else f"{label} requests/s (right axis)"
            dashed = {"width": 2, "dasharray": "6, 4"} if metric == "rps" else {"width": 2}
            chart.add(inert(name), points[(label, metric)], secondary=metric == "rps", stroke_style=dashed)
    return _svg(chart)


def _num(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
