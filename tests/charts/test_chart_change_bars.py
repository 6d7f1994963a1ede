"""Change bars (S39): relative change between two waves, by age group, one bar per sex, plus the totals."""

from __future__ import annotations

import pytest
from chart_kit import MINUS, NBSP, check_print_png, context, drawn, frame, labels, native_chart_xml, overlapping, row, texts, tick_labels
from matplotlib.text import Text

from pipeline import charts
from pipeline.charts import ChartSpec, Series

AGES = [("18-29", "18–29 år"), ("30-44", "30–44 år"), ("45-64", "45–64 år"), ("65+", "65 år eller äldre")]
CHANGE = {  # relative change in %, ages then the sex total
    "Man": [-13.1, -16.4, 0.8, 1.2, -5.6],
    "Kvinna": [-10.3, -7.6, -2.9, -0.4, -4.9],
}


def s39_rows(flags: dict | None = None, sig: dict | None = None) -> list[dict]:
    out = [row(metric="change", measure="change_rel", category="1177", label="1177", value=-5.2, n=2001)]
    for sex in ("Man", "Kvinna"):
        values = CHANGE[sex]
        for (age, age_label), v in zip(AGES, values, strict=False):
            key = f"{sex} {age}"
            out.append(row(metric="change", measure="change_rel", group_var="sex_age", group=key, group_label=f"{sex} {age_label}",
                           category="1177", label="1177", value=v, n=240, base_flag=(flags or {}).get(key, "ok"),
                           sig=(sig or {}).get(key, "")))
        out.append(row(metric="change", measure="change_rel", group_var="sex", group=sex, group_label=sex, category="1177",
                       label="1177", value=values[-1], n=900, sig=(sig or {}).get(sex, "")))
    return out


def s39(lang: str = "sv", **kw):
    return charts.build("change_bars", frame(s39_rows(**kw)), {"description": "Stapeldiagram över relativ förändring", "bases": False},
                        context(lang))


def test_png_is_print_resolution_and_reproducible(tmp_path):
    check_print_png(s39(), tmp_path)


def test_categories_ages_then_total_series_per_sex():
    spec = s39()
    assert spec.categories == ("18–29 år", "30–44 år", "45–64 år", "65 år eller äldre", "Totalt")
    assert [s.name for s in spec.series] == ["Kvinna", "Man"]  # reversed table order, as the deck draws it
    assert spec.series[1].values == tuple(CHANGE["Man"])


def test_signed_relative_labels_with_swedish_minus():
    fig = drawn(s39(sig={"Man 30-44": "▼", "Kvinna": "▼"}))
    p = NBSP + "%"
    # Kvinna bars first, then Man; −0.4 rounds to 0 and gets no sign
    assert labels(fig) == [f"{MINUS}10{p}", f"{MINUS}8{p}", f"{MINUS}3{p}", f"0{p}", f"{MINUS}5{p}▼",
                           f"{MINUS}13{p}", f"{MINUS}16{p}▼", f"+1{p}", f"+1{p}", f"{MINUS}6{p}"]
    assert overlapping(fig) == []
    ticks = tick_labels(fig, "y")
    assert f"0{p}" in ticks and f"{MINUS}10{p}" in ticks
    # ticks at whole per cents (no 2.5 steps printed as rounded "−2 %")
    assert all("," not in t for t in ticks)


def test_labels_sit_beyond_the_bar_end():
    fig = drawn(s39())
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    bars = {round(p.get_x() + p.get_width() / 2, 6): p.get_window_extent(renderer) for p in ax.patches}
    assert len(ax.texts) == 10
    for t in ax.texts:
        x, y = t.get_position()
        bar = bars[round(x, 6)]
        box = Text.get_window_extent(t, renderer)
        if y >= 0:  # above a rising bar, close to its top
            assert 0 <= box.y0 - bar.y1 < 20, t.get_text()
        else:  # below a falling bar, close to its bottom
            assert 0 <= bar.y0 - box.y1 < 20, t.get_text()


def test_low_base_marked_and_suppressed_not_drawn():
    fig = drawn(s39(flags={"Kvinna 18-29": "low", "Man 65+": "suppressed"}))
    shown = labels(fig)
    assert f"{MINUS}10{NBSP}%*" in shown
    assert shown.count(f"+1{NBSP}%") == 1  # Man 65+ (+1.2) is gone, Man 45-64 (+0.8) stays
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights[5 + 3] == 0  # Man is the second series; 65+ its fourth bar
    notes = charts.notes_table(s39(flags={"Kvinna 18-29": "low", "Man 65+": "suppressed"})).splitlines()
    assert notes[1] == f"18–29 år | {MINUS}10,3* | {MINUS}13,1"
    assert notes[4] == "65 år eller äldre | −0,4 | –".replace("−", MINUS)


def test_bases_in_category_names():
    """By default each category names its bars' bases in the bars' order (Kvinna / Man)."""
    spec = charts.build("change_bars", frame(s39_rows()), {}, context())
    assert spec.categories[0] == f"18–29 år (n{NBSP}={NBSP}240{NBSP}/{NBSP}240)"


def test_crowded_labels_shrink_or_stack_but_never_overlap():
    """Three series with equal long labels, all marked and low, in a half-width chart."""
    cats = ("18–29 år", "30–44 år", "45–64 år", "65 år eller äldre", "Totalt")
    series = tuple(Series(name, (-12.3, -12.3, 14.6, 14.6, -1.2), ("▼", "▼", "▲", "▲", ""), ("low",) * 5, (80,) * 5)
                   for name in ("Kvinna", "Man", "Annat"))
    for width in (8.9, 4.3):
        fig = drawn(ChartSpec("change_bars", cats, series, width=width, height=3.4))
        shown = texts(fig)
        assert sum("%" in t.get_text() for t in shown) == 15
        assert min(t.get_fontsize() for t in shown) >= 9
        assert sum(t.get_text().count("▲") + t.get_text().count("▼") for t in shown) == 12
        # a mark is never turned (a turned ▲ reads as ◀)
        assert all(t.get_rotation() == 0 for t in shown if "▲" in t.get_text() or "▼" in t.get_text())
        assert overlapping(fig) == []
        # the category names under the axis do not run into each other either
        assert overlapping(fig, fig.axes[0].get_xticklabels()) == []


def test_english_and_alt_text():
    en = labels(drawn(s39("en")))
    assert en[0] == "-10%" and "+1%" in en
    alt = charts.alt_text(s39())
    assert alt == (f"Stapeldiagram över relativ förändring. Kvinna: 18–29 år {MINUS}10{NBSP}%, 30–44 år {MINUS}8{NBSP}%, "
                   f"45–64 år {MINUS}3{NBSP}%, 65 år eller äldre 0{NBSP}%, Totalt {MINUS}5{NBSP}%; Man: 18–29 år {MINUS}13{NBSP}%, "
                   f"30–44 år {MINUS}16{NBSP}%, 45–64 år +1{NBSP}%, 65 år eller äldre +1{NBSP}%, Totalt {MINUS}6{NBSP}%.")


def test_any_crossing_with_the_series_variable_second():
    """by [unit*channel, channel]: categories are the units plus the total, one series per channel (keys at the end)."""
    rows = [row(metric="change", measure="change", category="nps", label="NPS", value=3.0, n=900)]
    units, channels = [("1", "Syöpäkeskus"), ("2", "Lastenklinikka")], [("1", "SMS"), ("2", "Verkko")]
    for i, (u, u_label) in enumerate(units):
        for j, (c, c_label) in enumerate(channels):
            rows.append(row(metric="change", measure="change", group_var="unit*channel", group=f"{u} {c}",
                            group_label=f"{u_label} {c_label}", category="nps", label="NPS", value=10.0 * i + j, n=200))
    for j, (c, c_label) in enumerate(channels):
        rows.append(row(metric="change", measure="change", group_var="channel", group=c, group_label=c_label,
                        category="nps", label="NPS", value=-1.0 - j, n=400))
    spec = charts.build("change_bars", frame(rows), {"series_order": ["1", "2"], "bases": False}, context("sv"))
    assert spec.categories == ("Syöpäkeskus", "Lastenklinikka", "Totalt")
    assert [s.name for s in spec.series] == ["SMS", "Verkko"]
    assert spec.series[0].values == (0.0, 10.0, -1.0)  # unit 1 × SMS, unit 2 × SMS, SMS total
    assert spec.series[1].values == (1.0, 11.0, -2.0)


def test_a_single_grouping_gives_one_series_with_the_total():
    """by [unit]: the units plus the total as one series named by the total's label."""
    rows = [row(metric="change", measure="change", category="nps", label="NPS", value=3.0, n=900, group_label="Totalt")]
    rows += [row(metric="change", measure="change", group_var="unit", group=u, group_label=lab, category="nps", label="NPS",
                 value=v, n=300) for u, lab, v in [("1", "A", 5.0), ("2", "B", -4.0)]]
    spec = charts.build("change_bars", frame(rows), {"bases": False}, context("sv"))
    assert spec.categories == ("A", "B", "Totalt")
    assert len(spec.series) == 1 and spec.series[0].values == (5.0, -4.0, 3.0)


# ---------------------------------------------------------------------------- NPS change per unit: orientation, sort, unit

# (key, name, change in NPS points, mark, base flag); the base of unit i is 100 + i
UNIT_CHANGES = [("1", "A", 3.0, "", "ok"), ("2", "B", -4.0, "", "low"), ("3", "C", 10.0, "▲", "ok"), ("4", "D", 0.0, "", "ok"),
                ("5", "E", -9.0, "▼", "ok"), ("6", "F", 1.0, "", "ok")]


def unit_change_spec(units=UNIT_CHANGES, **opts):
    rows = [row(metric="change", measure="change", category="nps", label="NPS", unit="points", value=2.0, n=900)]
    rows += [row(metric="change", measure="change", group_var="unit", group=k, group_label=name, category="nps", label="NPS",
                 unit="points", value=v, sig=mark, base_flag=flag, n=100 + i) for i, (k, name, v, mark, flag) in enumerate(units)]
    return charts.build("change_bars", frame(rows), {"bases": False, **opts}, context())


def test_orientation_auto_lays_bars_down_from_seven_categories():
    """auto: six units and the total (7) are horizontal bars, five and the total (6) upright columns; columns and bars
    force their form whatever the count."""
    assert unit_change_spec().detail.horizontal is True
    assert unit_change_spec(UNIT_CHANGES[:5]).detail.horizontal is False
    assert unit_change_spec(orientation="columns").detail.horizontal is False
    assert unit_change_spec(UNIT_CHANGES[:2], orientation="bars").detail.horizontal is True


def test_horizontal_bars_run_top_to_bottom_with_the_change_beyond_each_end():
    """The horizontal picture: categories top to bottom in the spec's order, each bar as long as its change (one
    series: no key), the numbers in points (no %) and the ▲/▼ after them."""
    fig = drawn(unit_change_spec())
    ax = fig.axes[0]
    ticks = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in ticks] == ["A", "B", "C", "D", "E", "F", "Totalt"]
    assert [p.get_width() for p in ax.patches] == [3.0, -4.0, 10.0, 0.0, -9.0, 1.0, 2.0]
    # each bar on its category's line, its number just past its end (right of a rise, left of a fall)
    rows = {t.get_text(): t.get_position()[1] for t in ticks}
    for bar, name in zip(ax.patches, "ABCDEF", strict=False):
        assert bar.get_y() + bar.get_height() / 2 == pytest.approx(rows[name])
    numbers = [t for t in ax.texts if t.get_text() not in ("▲", "▼")]
    for t, bar in zip(numbers, ax.patches, strict=True):
        x, y = t.get_position()
        assert y == pytest.approx(bar.get_y() + bar.get_height() / 2)
        assert (x > bar.get_width() and t.get_ha() == "left") if bar.get_width() >= 0 else (x < bar.get_width() and t.get_ha() == "right")
    assert labels(fig) == ["+3", f"{MINUS}4*", "+10▲", "0", f"{MINUS}9▼", "+1", "+2"]
    assert ax.get_legend() is None
    assert not any("%" in t for t in tick_labels(fig, "x"))


def test_sort_change_puts_the_largest_rise_first_and_the_total_last():
    """sort: change: C +10, A +3, F +1, D 0, B −4, E −9, then the total (+2, though larger than F's +1); the marks,
    flags and bases move with their units; the order note says by value."""
    spec = unit_change_spec(sort="change")
    assert spec.categories == ("C", "A", "F", "D", "B", "E", "Totalt")
    (s,) = spec.series
    assert s.values == (10.0, 3.0, 1.0, 0.0, -4.0, -9.0, 2.0)
    assert s.sig == ("▲", "", "", "", "", "▼", "")
    assert s.flags == ("ok", "ok", "ok", "ok", "low", "ok", "ok")
    assert s.bases == (102, 100, 105, 103, 101, 104, 900)
    assert spec.order == "value" and unit_change_spec().order == "codebook"


def test_sort_change_follows_the_first_series_and_moves_the_others_with_it():
    """By age and sex, sorted by the first series (Kvinna: −0.4, −2.9, −7.6, −10.3 → 65+, 45–64, 30–44, 18–29): Man's
    values, its low base (18–29) and its ▼ (30–44) move with their ages; two series keep their key."""
    rows = s39_rows(flags={"Man 18-29": "low"}, sig={"Man 30-44": "▼"})
    spec = charts.build("change_bars", frame(rows), {"sort": "change", "bases": False}, context())
    assert spec.categories == ("65 år eller äldre", "45–64 år", "30–44 år", "18–29 år", "Totalt")
    kvinna, man = spec.series
    assert kvinna.values == (-0.4, -2.9, -7.6, -10.3, -4.9)
    assert man.values == (1.2, 0.8, -16.4, -13.1, -5.6)
    assert man.flags == ("ok", "ok", "ok", "low", "ok") and man.sig == ("", "", "▼", "", "")
    assert drawn(spec).axes[0].get_legend() is not None


def test_nps_change_is_in_points_in_every_text():
    """An NPS change (rows in points): the spec's unit is points, the columns' labels and axis carry no %, the alt
    text reads +10 rather than +10 %."""
    spec = unit_change_spec(UNIT_CHANGES[:3])
    assert spec.unit == "points"
    fig = drawn(spec)
    assert labels(fig) == ["+3", f"{MINUS}4*", "+10▲", "+2"]
    ticks = tick_labels(fig, "y")
    assert "0" in ticks and not any("%" in t for t in ticks)
    assert charts.alt_text(spec).endswith(f"Totalt: A +3, B {MINUS}4, C +10, Totalt +2.")


def _native_form(spec) -> tuple[str, str, str, bool]:
    """(bar direction, category axis orientation, value axis number format, has a key) of the native chart of ``spec``."""
    from lxml import etree

    ns = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}
    (xml,) = native_chart_xml(spec)
    root = etree.fromstring(xml)
    orientation = root.find(".//c:catAx/c:scaling/c:orientation", ns)  # absent: the schema's default, minMax
    return (root.find(".//c:barDir", ns).get("val"), "minMax" if orientation is None else orientation.get("val"),
            root.find(".//c:valAx/c:numFmt", ns).get("formatCode"), root.find(".//c:legend", ns) is not None)


def test_native_change_bars_lie_down_with_reversed_categories_and_points_in_general():
    """Native: the horizontal NPS change is a bar chart (barDir bar) whose categories run top to bottom (maxMin) and
    whose axis reads plain numbers (General), without a key for its one series; the relative change by age stays
    columns (col, minMax) in per cent with a key for its two series."""
    assert _native_form(unit_change_spec()) == ("bar", "maxMin", "General", False)
    direction, orientation, number_format, key = _native_form(s39())
    assert (direction, orientation, key) == ("col", "minMax", True) and "%" in number_format
