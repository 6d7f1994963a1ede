"""Value axes come from the data; a configured range (y_min/y_max, x_max) only widens them, never cuts data off."""

from __future__ import annotations

from chart_kit import context, drawn, frame, row, texts
from matplotlib.figure import Figure
from matplotlib.text import Text

from pipeline import charts

WAVES = [2019, 2020, 2021, 2022]


def inside(fig: Figure) -> list[str]:
    """The data labels whose drawn box is not inside the plot area (1 px tolerance)."""
    renderer = fig.canvas.get_renderer()
    frame_box = fig.axes[0].get_window_extent(renderer)
    out = []
    for t in texts(fig):
        box = Text.get_window_extent(t, renderer)
        if box.y0 < frame_box.y0 - 1 or box.y1 > frame_box.y1 + 1 or box.x1 > frame_box.x1 + 1 or box.x0 < frame_box.x0 - 1:
            out.append(t.get_text())
    return out


def nps_rows() -> list[dict]:
    """S41-like NPS per group: men fall from −4 to −12 (below the configured 0), women reach 95 (above 80)."""
    values = {"Man": [-4.0, -6.0, -9.0, -12.0], "Kvinna": [60.0, 75.0, 88.0, 95.0]}
    return [row(metric="nps", measure="nps", unit="points", wave=w, group_var="sex", group=g, group_label=g, category="nps",
                label="NPS", value=v) for g, vs in values.items() for w, v in zip(WAVES, vs, strict=True)]


def test_trend_axis_configured_0_to_80_still_shows_negative_nps_and_95():
    """y_min 0 / y_max 80 are widened to hold −12 and 95; every point and end label lies inside the axis."""
    spec = charts.build("trend_line", frame(nps_rows()), {"measure": "nps", "y_min": 0, "y_max": 80}, context())
    fig = drawn(spec)
    lo, hi = fig.axes[0].get_ylim()
    assert lo <= -12 and hi >= 95
    assert len(texts(fig)) == 2 and inside(fig) == []


def test_trend_axis_keeps_a_configured_range_wider_than_the_data():
    """A configured 0–80 around data within 30–60 stays 0–80 (config may widen)."""
    rows = [row(metric="nps", measure="nps", unit="points", wave=w, group_var="sex", group=g, group_label=g, category="nps",
                value=v)
            for g, base in (("Man", 30.0), ("Kvinna", 50.0)) for w, v in zip(WAVES, (base, base + 5, base + 8, base + 10), strict=True)]
    fig = drawn(charts.build("trend_line", frame(rows), {"measure": "nps", "y_min": 0, "y_max": 80}, context()))
    assert fig.axes[0].get_ylim() == (0.0, 80.0)


def test_single_trend_line_labels_stay_inside_a_too_low_configured_maximum():
    """One line at 97–99.5 % with y_max 90: the axis reaches 100 % (its last tick, no further: shares end at 100) and
    the labels over the points stay inside the figure."""
    rows = [row(wave=w, category="1", label="Ja", value=v) for w, v in zip(WAVES, (97.0, 98.0, 99.0, 99.5), strict=True)]
    fig = drawn(charts.build("trend_line", frame(rows), {"categories": ["1"], "decimals": 1, "y_min": 60, "y_max": 90}, context()))
    lo, hi = fig.axes[0].get_ylim()
    assert (lo, hi) == (60.0, 100.0)
    renderer = fig.canvas.get_renderer()
    assert len(texts(fig)) == 4
    for t in texts(fig):
        box = Text.get_window_extent(t, renderer)
        assert 0 <= box.y0 and box.y1 <= fig.bbox.height, t.get_text()


def test_grouped_bars_x_max_below_the_data_is_widened():
    """x_max 50 with a bar of 80 %: the axis is widened to 80 % (a tick: 0, 20 … 80), never cutting off the bar."""
    rows = [row(category=k, label=k, value=v) for k, v in (("a", 80.0), ("b", 20.0))]
    fig = drawn(charts.build("grouped_bars", frame(rows), {"x_max": 50}, context()))
    assert fig.axes[0].get_xlim() == (0.0, 80.0)
    assert max(t for t in fig.axes[0].get_xticks() if t <= 80.0 + 1e-9) == 80.0


def test_subgroup_bars_x_max_below_the_data_is_widened():
    """x_max 20 with a group at 60 %: the axis is widened to 60 (its last tick), never cutting off the bar."""
    rows = [row(group_var="sex", group=g, group_label=g, category="1", label="Ja", value=v) for g, v in (("Man", 60.0), ("Kvinna", 10.0))]
    fig = drawn(charts.build("subgroup_bars", frame(rows), {"x_max": 20}, context()))
    assert fig.axes[0].get_xlim() == (0.0, 60.0)
