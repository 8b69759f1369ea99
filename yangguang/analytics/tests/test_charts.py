"""The SVG chart builder: values to pixel positions, the axis, the accessible name, the
status markers, and no data shown as 「无数据」, never as 0."""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils import translation

from yangguang.analytics import charts
from yangguang.analytics.charts import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH, Point


def _points(*values: int | None, status: str = "on_track") -> list[Point]:
    return [
        Point(str(2021 + i), None if v is None else Decimal(v), "no_data" if v is None else status)
        for i, v in enumerate(values)
    ]


def test_the_axis_top_is_a_round_figure_at_or_above_every_value_and_the_target():
    assert charts.nice_max(0) == 1
    assert charts.nice_max(1) == 1
    assert charts.nice_max(66.67) == 100
    assert charts.nice_max(97) == 100
    assert charts.nice_max(120) == 200
    assert charts.nice_max(7500) == 10000
    assert charts.nice_max(2.2) == 2.5
    assert charts.scale_top(_points(40, 60), Decimal(97)) == 100
    assert charts.scale_top(_points(None, None), None) == 1


def test_values_become_coordinates_years_spread_evenly_zero_at_the_bottom():
    placed = charts.place(_points(0, 50, 100, None), top=100)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    assert [p.x for p in placed] == [round(LEFT + inner_w * (i + 0.5) / 4, 1) for i in range(4)]
    assert placed[0].y == TOP + inner_h  # 0 on the axis
    assert placed[1].y == TOP + inner_h / 2
    assert placed[2].y == TOP  # the top of the scale
    assert placed[3].y is None  # no data: no position, not 0


def test_the_chart_is_an_image_named_by_its_title_and_described():
    svg = str(
        charts.trend_svg(
            "c1",
            title="养老保险参保率",
            desc="2021–2025年，目标≥90",
            points=_points(60, 66),
            target=Decimal(90),
            target_label="目标 ≥90",
            unit="%",
        )
    )
    assert re.search(r'<svg class="chart" id="c1" role="img" aria-labelledby="c1-title c1-desc"', svg)
    assert '<title id="c1-title">养老保险参保率</title>' in svg
    assert '<desc id="c1-desc">2021–2025年，目标≥90</desc>' in svg
    assert 'class="chart-target"' in svg and "目标 ≥90" in svg
    assert ">2021<" in svg and ">2022<" in svg and ">66<" in svg and ">%<" in svg
    assert svg.count("<polyline") == 1


def test_text_is_escaped():
    svg = str(charts.trend_svg("c2", title="<b>x</b>", desc="a & b", points=_points(1)))
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "a &amp; b" in svg


def test_each_status_has_its_own_marker_shape():
    shapes = {s: charts.MARKERS[s] for s in ("achieved", "on_track", "at_risk", "not_achieved")}
    assert len(set(shapes.values())) == 4
    svg = str(
        charts.trend_svg(
            "c3",
            title="t",
            desc="d",
            points=[Point("2021", Decimal(1), "at_risk"), Point("2022", Decimal(2), "achieved")],
        )
    )
    assert 'class="chart-marker chart-at_risk"' in svg and 'class="chart-marker chart-achieved"' in svg
    assert charts.MARKERS["no_data"] == "" and str(charts.marker("no_data")) == ""


def test_a_missing_year_breaks_the_line_and_says_no_data():
    with translation.override("zh-hans"):
        svg = str(charts.trend_svg("c4", title="t", desc="d", points=_points(10, None, 30, 40)))
    assert svg.count("<polyline") == 1  # 2021 alone, then 2023–2024
    assert "无数据" in svg
    assert "chart-no_data" not in svg


def test_no_data_at_all_is_a_message_not_an_empty_chart():
    with translation.override("zh-hans"):
        html = str(charts.trend_svg("c5", title="入学率", desc="d", points=_points(None, None)))
    assert "<svg" not in html and "入学率：无数据" in html
    with translation.override("en"):
        html = str(charts.trend_svg("c5", title="Enrolment", desc="d", points=[]))
    assert "<svg" not in html and "No data" in html


def test_the_legend_marker_is_decorative():
    svg = str(charts.legend_marker("at_risk"))
    assert 'aria-hidden="true"' in svg and "chart-at_risk" in svg
