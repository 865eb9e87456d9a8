"""SVG charts: well-formed XML, the right number of bars and points, accessible text, escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from alerter.reports.charts import bar_chart, line_chart, nice_scale, stacked_bar_chart

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def by_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{{{NS['svg']}}}{tag}") if e.get("class") == cls]


def titles(elements: list[ET.Element]) -> list[str]:
    return [e.findtext("svg:title", namespaces=NS) or "" for e in elements]


def test_bar_chart_has_one_bar_per_nonzero_value_with_hover_titles() -> None:
    svg = bar_chart(
        "Pages per day", ["Mon", "Tue", "Wed"], [3, 0, 5], x_label="day", y_label="pages", unit="pages"
    )
    root = parse(svg)
    bars = by_class(root, "rect", "bar")
    assert len(bars) == 2  # a zero has no bar, but its group still says 0
    assert titles(bars) == ["Mon: 3 pages", "Wed: 5 pages"]
    assert titles(by_class(root, "g", "bar-group")) == ["Mon: 3 pages", "Tue: 0 pages", "Wed: 5 pages"]


def test_charts_are_labelled_for_screen_readers_and_have_axis_labels() -> None:
    root = parse(bar_chart("Pages per day", ["Mon", "Tue"], [3, 5], x_label="day", y_label="pages"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-pages-per-day-title chart-pages-per-day-desc"
    assert root.findtext("svg:title", namespaces=NS) == "Pages per day"
    assert root.findtext("svg:desc", namespaces=NS) == "pages: Mon 3, Tue 5."
    assert [e.text for e in by_class(root, "text", "axis-label")] == ["day", "pages"]


def test_bar_heights_are_proportional_on_a_nice_scale() -> None:
    root = parse(bar_chart("x", ["a", "b"], [10, 5], x_label="k", y_label="v", chart_id="c"))
    a, b = (float(r.get("height") or 0) for r in by_class(root, "rect", "bar"))
    assert a == pytest.approx(2 * b, abs=0.11)
    assert [e.text for e in by_class(root, "text", "y-tick")] == ["0", "5", "10"]


def test_stacked_bars_have_one_rect_per_nonzero_segment_and_a_legend() -> None:
    svg = stacked_bar_chart(
        "Interruptions",
        ["anna", "ben"],
        [("business", [2, 1]), ("off", [0, 1]), ("sleep", [1, 3])],
        x_label="person",
        y_label="interruptions",
    )
    root = parse(svg)
    bars = by_class(root, "rect", "bar")
    assert len(bars) == 5
    assert titles(bars) == [
        "anna, business: 2",
        "anna, sleep: 1",
        "ben, business: 1",
        "ben, off: 1",
        "ben, sleep: 3",
    ]
    assert titles(by_class(root, "g", "bar-group")) == ["anna: 3", "ben: 5"]
    legend = by_class(root, "g", "legend")[0]
    assert [t.text for t in legend.iter(f"{{{NS['svg']}}}text")] == ["business", "off", "sleep"]


def test_line_chart_has_a_polyline_per_series_and_a_point_per_value() -> None:
    root = parse(line_chart("Volume", ["Mon", "Tue", "Wed"], [("alerts", [5, 8, 2]), ("pages", [1, 0, 1])],
                            x_label="day", y_label="count"))  # fmt: skip
    assert len(by_class(root, "polyline", "line")) == 2
    points = by_class(root, "circle", "point")
    assert len(points) == 6
    assert titles(points)[:2] == ["Mon, alerts: 5", "Tue, alerts: 8"]


def test_text_is_escaped_so_names_cannot_inject_markup() -> None:
    svg = bar_chart('<script>alert("x")</script> & co', ["<b>host</b>"], [1], x_label="a<b", y_label="c&d")
    root = parse(svg)
    assert "<script>" not in svg and "<b>" not in svg
    assert root.findtext("svg:title", namespaces=NS) == '<script>alert("x")</script> & co'
    assert titles(by_class(root, "rect", "bar")) == ["<b>host</b>: 1"]


def test_empty_and_all_zero_charts_are_still_well_formed() -> None:
    assert by_class(parse(bar_chart("none", [], [], x_label="x", y_label="y")), "rect", "bar") == []
    assert by_class(
        parse(line_chart("zeros", ["a"], [("s", [0])], x_label="x", y_label="y")), "circle", "point"
    )


def test_a_series_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="chart series 'off' has 1 values for 2 labels"):
        stacked_bar_chart("x", ["a", "b"], [("on", [1, 2]), ("off", [1])], x_label="x", y_label="y")


@pytest.mark.parametrize(
    ("top", "integer", "expected"),
    [
        (0, True, (1, 1)),
        (1, True, (1, 1)),
        (2, True, (2, 1)),  # counts never get a 0.5 gridline
        (7, True, (8, 2)),
        (10, True, (10, 5)),
        (168, False, (200, 50)),
        (1.3, False, (1.5, 0.5)),
        (0.3, False, (0.3, 0.1)),
    ],
)
def test_nice_scale(top: float, integer: bool, expected: tuple[float, float]) -> None:
    assert nice_scale(top, integer=integer) == pytest.approx(expected)
