"""Design checks on every chart of the shipped deck, measured on the drawn figures at their placed size.

The rules (issue 14): no chart text under 9 pt at the size the chart is placed on its slide; one colour per
wave year across all charts (read from what is drawn: the legend keys); each chart covers at least half of
its slide's chart area; every value lies inside its axis. Each checker is also shown to fail on a chart that
breaks its rule (6 pt text, a wave in two colours, a small chart, a bar past its axis).
"""

from __future__ import annotations

import math
from collections import defaultdict

import matplotlib.colors as mcolors
import pytest
from helpers import REPO
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from pipeline import charts
from pipeline.charts import ChartSpec, Series
from pipeline.content import ChartAreas

MIN_PT = 9.0
MIN_SHARE = 0.5

pytestmark = pytest.mark.slow


# ------------------------------------------------------------------ checkers


def placed_scale(spec: ChartSpec, area: tuple[float, float]) -> float:
    """How much the chart is scaled when placed in its area (the deck keeps the aspect ratio, fitting inside)."""
    return min(area[0] / spec.width, area[1] / spec.height)


def drawn_texts(fig: Figure) -> list[Text]:
    """Every visible, non-empty text of the figure: data labels, tick labels, legend entries, titles, axis labels."""
    out = []
    for artist in fig.findobj(Text):
        if artist.get_visible() and artist.get_text().strip() and artist.get_figure() is fig:
            if artist in fig.texts or any(artist in ax.findobj(Text) for ax in fig.axes):
                out.append(artist)
    return out


def smallest_text(fig: Figure, scale: float) -> tuple[float, str]:
    """(size in pt at the placed size, text) of the smallest text drawn."""
    fig.canvas.draw()
    sizes = [(t.get_fontsize() * scale, t.get_text()) for t in drawn_texts(fig)]
    return min(sizes) if sizes else (math.inf, "")


def legend_colours(fig: Figure) -> dict[str, str]:
    """Legend entry → the colour of its key, as drawn."""
    out = {}
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
            colour = handle.get_color() if isinstance(handle, Line2D) else handle.get_facecolor()
            if not isinstance(colour, str):
                colour = colour[0] if len(colour) and not isinstance(colour[0], float) else colour
            out[text.get_text()] = mcolors.to_hex(colour)
    return out


def wave_colour_clashes(drawn: list[tuple[str, dict[str, str]]]) -> dict[str, set[str]]:
    """Wave years (legend entries that are years) drawn in more than one colour, with those colours."""
    seen: dict[str, set[str]] = defaultdict(set)
    for _, colours in drawn:
        for label, colour in colours.items():
            if label.isdigit() and len(label) == 4:
                seen[label].add(colour)
    return {year: colours for year, colours in seen.items() if len(colours) > 1}


def area_share(spec: ChartSpec, area: tuple[float, float]) -> float:
    """The share of the chart area the placed chart covers."""
    scale = placed_scale(spec, area)
    return (spec.width * scale) * (spec.height * scale) / (area[0] * area[1])


def values_outside_axes(fig: Figure) -> list[str]:
    """Bars and line points that run past the limits of their axes."""
    out = []
    for ax in fig.axes:
        if not ax.axison:
            continue
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        tol_x, tol_y = (x1 - x0) * 1e-6, (y1 - y0) * 1e-6
        for patch in ax.patches:
            if isinstance(patch, Rectangle) and patch.get_width() and patch.get_height():
                bx0, bx1 = sorted((patch.get_x(), patch.get_x() + patch.get_width()))
                by0, by1 = sorted((patch.get_y(), patch.get_y() + patch.get_height()))
                if bx0 < x0 - tol_x or bx1 > x1 + tol_x or by0 < y0 - tol_y or by1 > y1 + tol_y:
                    out.append(f"bar {bx0:g}–{bx1:g} × {by0:g}–{by1:g} outside {x0:g}–{x1:g} × {y0:g}–{y1:g}")
        for line in ax.get_lines():
            if not line.get_label() or line.get_label().startswith("_"):
                continue  # reference lines (means, zero) are not values
            for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True):
                if not (x0 - tol_x <= x <= x1 + tol_x and y0 - tol_y <= y <= y1 + tol_y):
                    out.append(f"point ({x:g}, {y:g}) outside {x0:g}–{x1:g} × {y0:g}–{y1:g}")
    return out


# ------------------------------------------------------------------ the shipped deck


@pytest.fixture(scope="module")
def deck_charts(project, shipped_designs):
    """(slide id, chart spec, the chart's area on its slide) of every chart of the shipped 2022 deck."""
    from pipeline.deck import chart_areas
    from pipeline.slides import build_presentation

    areas = chart_areas(REPO / "templates" / "1177.pptx", project.deck.layouts)
    presentation = build_presentation(project, shipped_designs, 2022, "sv", areas)
    out = []
    for slide in presentation.slides:
        for chart in slide.charts:
            out.append((slide.id, chart.spec, area_of(slide, areas)))
    assert len(out) >= 25
    return out


def area_of(slide, areas: ChartAreas) -> tuple[float, float]:
    if slide.layout == "two_charts":
        return areas.half
    return areas.chart if slide.commentary else areas.chart_wide


@pytest.fixture(scope="module")
def deck_measures(deck_charts):
    """Each chart drawn and measured, then closed: (slide id, spec, area, smallest text at placed size, legend
    colours, values outside their axes, x limits of the first axes)."""
    import matplotlib.pyplot as plt

    out = []
    for sid, spec, area in deck_charts:
        fig = charts.figure(spec)
        try:
            out.append((sid, spec, area, smallest_text(fig, placed_scale(spec, area)), legend_colours(fig),
                        values_outside_axes(fig), fig.axes[0].get_xlim()))
        finally:
            plt.close(fig)
    return out


def test_no_chart_text_below_9_pt_at_its_placed_size(deck_measures):
    """Every text of every chart (labels, ticks, legend, titles) is at least 9 pt at the size it is placed."""
    small = []
    for sid, spec, _, (size, text), *_ in deck_measures:
        if size < MIN_PT - 1e-6:
            small.append(f"{sid} {spec.kind}: {text!r} at {size:.1f} pt")
    assert small == []


def test_each_wave_has_one_colour_on_every_chart(deck_measures, deck_charts):
    """A wave year's legend key has the same colour on every chart, and each spec gives a wave the same colour."""
    drawn = [(m[0], m[4]) for m in deck_measures]
    assert wave_colour_clashes(drawn) == {}
    assert sum(1 for _, c in drawn for label in c if label.isdigit()) >= 20  # the check saw the wave legends
    in_specs: dict[str, set[str]] = defaultdict(set)
    for _, spec, _ in deck_charts:
        for s in spec.series:
            if s.name.isdigit() and len(s.name) == 4:
                in_specs[s.name].add(s.color.upper())
    assert in_specs and all(len(c) == 1 for c in in_specs.values()), in_specs
    # newest, previous and the one before are three different colours
    assert len({next(iter(in_specs[y])) for y in ("2022", "2021", "2020")}) == 3


def test_alert_colour_only_for_falls_and_detractors(deck_charts):
    """No series is drawn in the alert colour except the detractors; ▼ is the only mark in it."""
    from pipeline.charts.style import PALETTE

    alert = PALETTE.alert.upper()
    misuse = [(sid, s.name) for sid, spec, _ in deck_charts for s in spec.series
              if s.color.upper() == alert and s.name not in ("Kritiker", "Detractors")]
    assert misuse == []
    assert all(spec.mark_colors == (PALETTE.up, PALETTE.down) for _, spec, _ in deck_charts)


def test_every_chart_covers_at_least_half_its_area(deck_charts):
    """Placed, each chart (single bars in their compact form included) covers at least half of its chart area."""
    thin = [f"{sid} {spec.kind}: {area_share(spec, area):.0%}" for sid, spec, area in deck_charts if area_share(spec, area) < MIN_SHARE]
    assert thin == []


def test_axis_limits_contain_every_value(deck_measures):
    """No bar or line point of any chart runs past its axis limits."""
    outside = [f"{m[0]}: {msg}" for m in deck_measures for msg in m[5]]
    assert outside == []


def test_sister_slides_share_a_scale(deck_measures):
    """The grouped-bar slides of a section share a value axis: 0–100 % (S13–S16, S23; S38, S42–S44)."""
    ends = {sid: xlim for sid, spec, _, _, _, _, xlim in deck_measures if spec.kind in ("grouped_bars", "subgroup_bars")
            and spec.unit == "percent" and getattr(spec.detail, "mode", "grouped") == "grouped"}
    for group in (("S13", "S14", "S15", "S16", "S23"), ("S38", "S42", "S43", "S44")):
        assert {ends[sid] for sid in group if sid in ends} == {(0.0, 100.0)}, {sid: ends.get(sid) for sid in group}


# ------------------------------------------------------------------ the checkers catch what they should


def test_a_chart_with_6_pt_text_fails_the_size_check():
    """A bar chart whose labels are set at 6 pt is caught (and the same chart at 10 pt is not)."""
    spec = ChartSpec("grouped_bars", ("A", "B"), (Series("2022", (40.0, 60.0)),), width=8.9, height=4.9)
    fig = charts.figure(spec)
    assert smallest_text(fig, 1.0)[0] >= MIN_PT
    fig.axes[0].texts[0].set_fontsize(6)
    size, text = smallest_text(fig, 1.0)
    assert size == 6 and text == "40"
    # the same 10 pt text placed at 60 % of its size reads as 6 pt
    assert smallest_text(charts.figure(spec), 0.6)[0] == pytest.approx(6.0)


def test_a_wave_in_two_colours_fails_the_colour_check():
    """2021 drawn navy on one chart and grey on another is reported with both colours."""
    one = ChartSpec("grouped_bars", ("A",), (Series("2022", (40.0,), color="#0E3B66"), Series("2021", (30.0,), color="#3D7DC4")))
    two = ChartSpec("grouped_bars", ("A",), (Series("2022", (40.0,), color="#0E3B66"), Series("2021", (30.0,), color="#6B7280")))
    drawn = [("S1", legend_colours(charts.figure(one))), ("S2", legend_colours(charts.figure(two)))]
    assert wave_colour_clashes(drawn) == {"2021": {"#3d7dc4", "#6b7280"}}
    assert wave_colour_clashes(drawn[:1]) == {}


def test_a_small_chart_fails_the_area_check():
    """A 2.4-inch-high chart in a 4.95-inch area covers 48 % of it (8.9 × 2.4 / (8.9 × 4.95))."""
    spec = ChartSpec("grouped_bars", ("A",), (Series("2022", (40.0,)),), width=8.9, height=2.4)
    assert area_share(spec, (8.9, 4.95)) == pytest.approx(2.4 / 4.95)
    assert area_share(spec, (8.9, 4.95)) < MIN_SHARE


def test_a_bar_past_its_axis_fails_the_limits_check():
    """A bar of 80 drawn on an axis cut at 50 is reported."""
    fig = charts.figure(ChartSpec("grouped_bars", ("A",), (Series("2022", (80.0,)),), unit="points"))
    assert values_outside_axes(fig) == []
    fig.axes[0].set_xlim(0, 50)
    (found,) = values_outside_axes(fig)
    assert found.startswith("bar 0–80 × ") and " outside 0–50 × " in found


def test_each_subgroup_has_one_colour_on_every_chart(deck_charts):
    """A sex drawn as a series (S39's bars, S40/S41's lines) has the same colour on every chart."""
    seen: dict[str, set[str]] = defaultdict(set)
    for _, spec, _ in deck_charts:
        for s in spec.series:
            name = s.name.split(" (n")[0]
            if name in ("Kvinna", "Man") and s.color:
                seen[name].add(s.color.upper())
    assert set(seen) == {"Kvinna", "Man"} and all(len(c) == 1 for c in seen.values()), seen
    assert seen["Kvinna"] != seen["Man"]
