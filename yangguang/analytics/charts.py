"""Charts drawn on the server as SVG: one indicator's values by year, with its target.

No JavaScript and nothing downloaded: the page carries the SVG inline. The chart is an
image (``role="img"`` named by its ``<title>`` and described by its ``<desc>``); the
page puts a data table beside it with the same figures. Lines and text take the page's
text colour (``currentColor``), so the high-contrast display recolours them; the status
of each year is a marker shape (``MARKERS``) and the target a dashed line, so nothing
is told by colour alone. A year without a value leaves a gap marked 「无数据」, never 0;
with no value at all the chart is only that message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from yangguang.analytics.models import Status

WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 104, 24, 40  # the target's label sits in the right margin
MARKER = 6  # half the marker's size in pixels

#: The marker drawn for each status, as an SVG path centred on (0, 0).
MARKERS: dict[str, str] = {
    Status.ACHIEVED: f"M0 {-MARKER} A{MARKER} {MARKER} 0 1 1 0 {MARKER} A{MARKER} {MARKER} 0 1 1 0 {-MARKER}Z",
    Status.ON_TRACK: f"M{-MARKER} {-MARKER}H{MARKER}V{MARKER}H{-MARKER}Z",
    Status.AT_RISK: f"M0 {-MARKER - 1}L{MARKER + 1} {MARKER}H{-MARKER - 1}Z",
    Status.NOT_ACHIEVED: (
        f"M{-MARKER} {-MARKER + 2}L{-MARKER + 2} {-MARKER}L0 -2L{MARKER - 2} {-MARKER}"
        f"L{MARKER} {-MARKER + 2}L2 0L{MARKER} {MARKER - 2}L{MARKER - 2} {MARKER}L0 2"
        f"L{-MARKER + 2} {MARKER}L{-MARKER} {MARKER - 2}L-2 0Z"
    ),
    Status.NO_DATA: "",
}


@dataclass(frozen=True)
class Point:
    label: str  # the x axis label: the year
    value: Decimal | None  # None: no data (a gap, never 0)
    status: str


@dataclass(frozen=True)
class Placed:
    x: float
    y: float | None
    point: Point


def nice_max(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above ``value`` (1 for 0 or less)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power * (1 + 1e-9):
            return step * power
    return 10 * power  # pragma: no cover - the loop ends at 10


def scale_top(points: list[Point], target: Decimal | None) -> float:
    """The top of the value axis (its bottom is 0): room for every value and the target."""
    values = [float(p.value) for p in points if p.value is not None]
    if target is not None:
        values.append(float(target))
    return nice_max(max(values, default=0.0))


def place(points: list[Point], top: float) -> list[Placed]:
    """Each point's pixel position: years spread evenly across the plot, values from 0
    at the bottom to ``top`` at the top; y is None where there is no value."""
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = inner_w / len(points) if points else 0
    placed = []
    for i, point in enumerate(points):
        x = LEFT + step * (i + 0.5)
        y = None if point.value is None else TOP + inner_h * (1 - float(point.value) / top)
        placed.append(Placed(round(x, 1), None if y is None else round(y, 1), point))
    return placed


def y_of(value: float, top: float) -> float:
    return round(TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top), 1)


def number(value: float | Decimal) -> str:
    """A figure as the axis and labels print it: at most two decimals, no trailing zeros."""
    text = f"{Decimal(str(value)):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _segments(placed: list[Placed]) -> list[list[Placed]]:
    """Runs of consecutive points with a value: the line breaks where data is missing."""
    runs: list[list[Placed]] = [[]]
    for p in placed:
        if p.y is None:
            runs.append([])
        else:
            runs[-1].append(p)
    return [run for run in runs if run]


def marker(status: str, x: float = 0, y: float = 0) -> SafeString:
    """The status's marker at (x, y) as an SVG path (empty for no data)."""
    if not MARKERS.get(status):
        return mark_safe("")
    return format_html(
        '<path class="chart-marker chart-{}" transform="translate({} {})" d="{}"/>', status, x, y, MARKERS[status]
    )


def trend_svg(
    chart_id: str,
    *,
    title: str,
    desc: str,
    points: list[Point],
    target: Decimal | None = None,
    target_label: str = "",
    unit: str = "",
) -> SafeString:
    """An indicator's values by year as an inline SVG line chart; with no value at all,
    a paragraph saying there is no data (never an empty axis that reads as 0)."""
    if all(p.value is None for p in points):
        return format_html('<p class="chart-no-data" id="{}">{}：{}</p>', chart_id, title, _("无数据"))
    top = scale_top(points, target)
    placed = place(points, top)
    parts: list[SafeString] = [
        format_html(
            '<svg class="chart" id="{id}" role="img" aria-labelledby="{id}-title {id}-desc" '
            'viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg">'
            '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>',
            id=chart_id,
            w=WIDTH,
            h=HEIGHT,
            title=title,
            desc=desc,
        )
    ]
    ticks = [top * i / 4 for i in range(5)]
    parts.append(
        format_html_join(
            "",
            '<line class="chart-grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
            '<text class="chart-tick" x="{}" y="{}" text-anchor="end">{}</text>',
            ((LEFT, WIDTH - RIGHT, y_of(t, top), y_of(t, top), LEFT - 6, y_of(t, top) + 4, number(t)) for t in ticks),
        )
    )
    parts.append(
        format_html(
            '<line class="chart-axis" x1="{l}" x2="{l}" y1="{t}" y2="{b}"/>'
            '<line class="chart-axis" x1="{l}" x2="{r}" y1="{b}" y2="{b}"/>',
            l=LEFT,
            r=WIDTH - RIGHT,
            t=TOP,
            b=HEIGHT - BOTTOM,
        )
    )
    if unit:
        parts.append(
            format_html('<text class="chart-tick" x="{}" y="{}" text-anchor="end">{}</text>', LEFT - 6, TOP - 10, unit)
        )
    if target is not None:
        y = y_of(float(target), top)
        parts.append(
            format_html(
                '<line class="chart-target" x1="{}" x2="{}" y1="{y}" y2="{y}"/>'
                '<text class="chart-label" x="{}" y="{}">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                WIDTH - RIGHT + 6,
                y + 4,
                target_label or number(target),
                y=y,
            )
        )
    for run in _segments(placed):
        if len(run) > 1:
            parts.append(
                format_html('<polyline class="chart-line" points="{}"/>', " ".join(f"{p.x},{p.y}" for p in run))
            )
    for p in placed:
        parts.append(
            format_html(
                '<text class="chart-tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                p.x,
                HEIGHT - BOTTOM + 20,
                p.point.label,
            )
        )
        if p.y is None:
            parts.append(
                format_html(
                    '<text class="chart-label" x="{}" y="{}" text-anchor="middle">{}</text>',
                    p.x,
                    HEIGHT - BOTTOM - 8,
                    _("无数据"),
                )
            )
        else:
            parts.append(marker(p.point.status, p.x, p.y))
            parts.append(
                format_html(
                    '<text class="chart-label" x="{}" y="{}" text-anchor="middle">{}</text>',
                    p.x,
                    max(p.y - 10, TOP - 8),
                    number(p.point.value),
                )
            )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))


def legend_marker(status: str) -> SafeString:
    """A status's marker alone, as a small decorative SVG for a legend beside the text."""
    size = 2 * MARKER + 4
    return format_html(
        '<svg class="chart-legend-marker" aria-hidden="true" focusable="false" width="{s}" '
        'height="{s}" viewBox="{o} {o} {s} {s}">{}</svg>',
        marker(status),
        s=size,
        o=-size / 2,
    )
