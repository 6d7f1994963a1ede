"""Grouped horizontal bars (S13–S16, S21, S23–S26, S45): sorting, labels, marks, bases, overlap."""

from __future__ import annotations

import pytest
from chart_kit import (
    NBSP,
    NNBSP,
    boxes,
    check_print_png,
    context,
    drawn,
    find,
    frame,
    labels,
    native_chart_xml,
    overlapping,
    row,
    texts,
    tick_labels,
)

from pipeline import charts
from pipeline.charts import ChartContext, ChartSpec, Series
from pipeline.errors import ConfigError

# S14-like: ten coded answers in three waves; 2022 deliberately not in the table's order
CATS = [
    ("1177", "1177/1177 Vårdguiden/Vårdguiden"),
    ("vc", "Vårdcentral/Sjukhus"),
    ("112", "112"),
    ("kry", "Kry"),
    ("phone", "Telefon"),
    ("app", "App"),
    ("doktor_se", "Doktor.se"),
    ("11717", "117/11717.se/11717"),
    ("healthcare", "Sjukvården"),
    ("min_doktor", "Min doktor"),
]
VALUES = {
    2022: [55.2, 19.4, 1.9, 3.4, 2.2, 1.2, 0.8, 0.9, 0.6, 1.1],
    2021: [58.1, 19.2, 0.3, 2.3, 1.2, 1.1, 1.3, 0.7, 1.0, 0.2],
    2020: [61.0, 18.0, 1.0, 3.6, 2.0, 1.0, 0.8, 1.0, 0.4, 0.7],
}
N = {2022: 1992, 2021: 2001, 2020: 2026}
SIG = {(2022, "phone"): "▲", (2022, "112"): "▲", (2022, "healthcare"): "▼", (2021, "vc"): "▲"}


def s14_rows(flags: dict | None = None) -> list[dict]:
    out = []
    for wave, values in VALUES.items():
        for (key, label), v in zip(CATS, values, strict=True):
            out.append(row(metric="coded", measure="first", wave=wave, category=key, label=label, value=v, n=N[wave],
                           sig=SIG.get((wave, key), ""), base_flag=(flags or {}).get((wave, key), "ok")))
    return out


def s14_spec(**opts) -> ChartSpec:
    return charts.build("grouped_bars", frame(s14_rows()), {"description": "Liggande stapeldiagram över vart man vänder sig", **opts},
                        context())


def test_png_is_print_resolution_and_reproducible(tmp_path):
    check_print_png(s14_spec(top=4), tmp_path)


def test_sort_newest_orders_rows_by_the_newest_wave_descending():
    spec = s14_spec()
    # 2022: 55.2, 19.4, 3.4 (Kry), 2.2 (Telefon), 1.9 (112), 1.2 (App), 1.1 (Min doktor), 0.9, 0.8, 0.6
    assert spec.categories == ("1177/1177 Vårdguiden/Vårdguiden", "Vårdcentral/Sjukhus", "Kry", "Telefon", "112", "App",
                               "Min doktor", "117/11717.se/11717", "Doktor.se", "Sjukvården")
    assert [s.name for s in spec.series] == ["2022", "2021", "2020"]
    assert spec.series[0].values[:3] == (55.2, 19.4, 3.4)
    # the other waves follow their rows: Kry 2021 = 2.3, 2020 = 3.6
    assert spec.series[1].values[2] == 2.3 and spec.series[2].values[2] == 3.6
    assert spec.series[0].sig[3:5] == ("▲", "▲") and spec.series[0].sig[9] == "▼"


def test_sort_fixed_keeps_the_table_order_and_top_cuts():
    spec = s14_spec(sort="fixed", top=3)
    assert spec.categories == ("1177/1177 Vårdguiden/Vårdguiden", "Vårdcentral/Sjukhus", "112")
    top = s14_spec(top=3)
    assert top.categories == ("1177/1177 Vårdguiden/Vårdguiden", "Vårdcentral/Sjukhus", "Kry")


def test_drawn_rows_run_top_to_bottom_in_sorted_order():
    fig = drawn(s14_spec())
    ticks = tick_labels(fig, "y")
    assert ticks[0] == "1177/1177 Vårdguiden/Vårdguiden" and ticks[2] == "Kry" and ticks[-1] == "Sjukvården"
    ax = fig.axes[0]
    ys = [t.get_position()[1] for t in ax.get_yticklabels()]
    assert ys == sorted(ys, reverse=True)


def test_data_labels_are_the_rounded_values():
    fig = drawn(s14_spec(top=3))
    # rows 1177, Vårdcentral, Kry; waves 2022, 2021, 2020; whole numbers without %
    numbers = [t for t in labels(fig) if t not in ("▲", "▼")]
    assert numbers == ["55", "19", "3", "58", "19", "2", "61", "18", "4"]


def test_one_decimal_swedish_and_english():
    sv = labels(drawn(s14_spec(top=2, decimals=1)))
    assert "55,2" in sv and "19,4" in sv and "58,1" in sv and "61,0" in sv
    en_spec = charts.build("grouped_bars", frame(s14_rows()), {"top": 2, "decimals": 1}, context("en"))
    en = labels(drawn(en_spec))
    assert "55.2" in en and "61.0" in en and not any("," in t for t in en)


def test_axis_ticks_are_percent_in_house_format():
    sv = tick_labels(drawn(s14_spec(top=2)), "x")
    assert f"20{NBSP}%" in sv and f"100{NBSP}%" in sv
    en = tick_labels(drawn(charts.build("grouped_bars", frame(s14_rows()), {"top": 2}, context("en"))), "x")
    assert "20%" in en


def test_significance_marks_only_where_the_newest_wave_has_them():
    fig = drawn(s14_spec())
    drawn_marks = [t for t in texts(fig) if t.get_text() in ("▲", "▼")]
    # 2022: Telefon ▲, 112 ▲, Sjukvården ▼; the 2021 mark (vs 2020) is not the slide's comparison
    assert sorted(t.get_text() for t in drawn_marks) == ["▲", "▲", "▼"]
    colours = {t.get_text(): t.get_color() for t in drawn_marks}
    assert colours["▲"] != colours["▼"]


def test_significance_mark_sits_right_after_its_label():
    spec = ChartSpec("grouped_bars", ("A", "B"), (Series("2022", (12.3, 40.0), ("▲", ""), ("low", "ok"), (80, 900)),),
                     decimals=1, width=4.5, height=2.5)
    fig = drawn(spec)
    box = dict(boxes(fig))
    label, mark = box["12,3*"], box["▲"]
    assert label.x1 <= mark.x0 + 0.5  # after the label, not on it
    assert mark.x0 - label.x1 < 15  # and close to it (a few points at 300 dpi)
    assert abs((label.y0 + label.y1) / 2 - (mark.y0 + mark.y1) / 2) < 1


def test_low_base_marked_and_suppressed_not_drawn():
    flags = {(2022, "kry"): "low", (2022, "phone"): "suppressed", (2021, "phone"): "suppressed"}
    spec = charts.build("grouped_bars", frame(s14_rows(flags)), {"top": 4}, context())
    # the suppressed Telefon 2022 (2.2) still sorts by its value but is not shown
    assert spec.categories[2:4] == ("Kry", "Telefon")
    fig = drawn(spec)
    shown = labels(fig)
    assert "3*" in shown  # Kry 2022 = 3.4, low base
    # Telefon: 2022 and 2021 suppressed → a dash, no number, no bar, no ▲ even though the cell is significant
    assert shown.count("–") == 2
    assert "▲" not in shown
    widths = [p.get_width() for p in fig.axes[0].patches]
    # bars are drawn series by series (2022 rows, then 2021, then 2020), four rows each
    assert widths[3] == 0 and widths[4 + 3] == 0 and widths[8 + 3] == pytest.approx(2.0)
    assert widths[2] == pytest.approx(3.4)


def test_crowded_labels_do_not_overlap():
    """S14/S26-like: 13 rows × 3 waves with near-equal values, marks and a low base: fewer labels, never under 9 pt."""
    cats = tuple(f"Påstående {i}" for i in range(13))
    base = [75, 75, 74, 41, 40, 38, 38, 35, 35, 30, 22, 21, 20]
    series = (
        Series("2022", tuple(float(v) for v in base), tuple("▲" if i % 3 == 0 else "" for i in range(13)),
               tuple("low" if i == 4 else "ok" for i in range(13)), (1990,) * 13),
        Series("2021", tuple(v - 1.0 for v in base), (), (), (2001,) * 13),
        Series("2020", tuple(v + 0.4 for v in base), (), (), (2026,) * 13),
    )
    fig = drawn(ChartSpec("grouped_bars", cats, series, width=8.9, height=4.9))
    # 39 labels would need text under 9 pt: only the newest wave is labelled (13 values, five ▲), at 9 pt or more
    assert len(texts(fig)) == 13 + 5 and "74" in labels(fig) and "73" not in labels(fig)
    assert min(t.get_fontsize() for t in texts(fig)) >= 9
    assert overlapping(fig) == []
    # a third of the height: not even the newest wave's labels fit at 9 pt, so none are drawn (never smaller text)
    fig = drawn(ChartSpec("grouped_bars", cats, series, width=8.9, height=1.6))
    assert texts(fig) == []


def test_alt_text_and_notes():
    spec = s14_spec(top=3, decimals=1)
    alt = charts.alt_text(spec)
    assert alt.startswith("Liggande stapeldiagram över vart man vänder sig.")
    assert f"2022: 1177/1177 Vårdguiden/Vårdguiden 55,2{NBSP}%; Vårdcentral/Sjukhus 19,4{NBSP}%; Kry 3,4{NBSP}%." in alt
    assert f"2020: 1177/1177 Vårdguiden/Vårdguiden 61,0{NBSP}%" in alt
    notes = charts.notes_table(spec).splitlines()
    assert notes[0] == " | 2022 | 2021 | 2020"
    assert notes[1] == "1177/1177 Vårdguiden/Vårdguiden | 55,2 | 58,1 | 61,0"
    assert notes[3] == "Kry | 3,4 | 2,3 | 3,6"
    assert notes[4] == f"Bas (n): 2022: 1{NNBSP}992; 2021: 2{NNBSP}001; 2020: 2{NNBSP}026"
    assert notes[5] == "Ordning: efter värde, störst först (senaste mätningen)."  # sorted by the newest wave
    assert len(notes) == 6


def test_find_helper_sanity():
    """The helpers see each label once (guards the other tests against counting ticks or legend entries)."""
    fig = drawn(s14_spec(top=1))
    assert find(fig, "55").get_text() == "55"


# ---------------------------------------------------------------------------- NPS per unit: bands, a row per group

# (key, name, NPS 2024, NPS 2023, base 2024, flag 2024); the 2023 bases are 7 higher, so a label shows which wave's it is
UNITS = [("a", "Syöpäkeskus", 62.0, 55.0, 1250, "ok"), ("b", "Lastenklinikka", 35.0, 30.0, 300, "ok"),
         ("c", "Päivystys", -12.0, -5.0, 40, "low"), ("d", "Sydänkeskus", 50.0, 48.0, 210, "ok")]
THREE_BANDS = [{"label": "under 0"}, {"above": 0, "label": "över 0"}, {"above": 50, "label": "över 50"}]
GREEN, RED = "#008000", "#C00000"  # the theme's positive (accent4) and alert (accent6) colours in these tests


def unit_rows(units=UNITS) -> list[dict]:
    out = [row(metric="nps", measure="nps", category="nps", label="NPS", unit="points", wave=2024, value=40.0, n=1800)]
    for key, name, v24, v23, n, flag in units:
        for wave, v, base, f in ((2024, v24, n, flag), (2023, v23, n + 7, "ok")):
            out.append(row(metric="nps", measure="nps", category="nps", label="NPS", unit="points", wave=wave, group_var="unit",
                           group=key, group_label=name, value=v, n=base, base_flag=f))
    return out


def unit_spec(units=UNITS, **opts) -> ChartSpec:
    ctx = ChartContext("sv", 2024, context().strings, 8.9, 4.9, (("accent4", GREEN[1:]), ("accent6", RED[1:])), "", (2023, 2024))
    return charts.build("grouped_bars", frame(unit_rows(units)), {"rows": "group", "group_var_only": "unit", **opts}, ctx)


def test_bands_colour_the_newest_waves_bars_by_their_band():
    """Three bands: below 0 in the alert colour, above 0 in the middle band shade (green 42.5 % towards white:
    0x00→0x6C, 0x80→0xB6), above 50 in green; 50 itself is not above 50. Rows by 2024: 62, 50, 35, −12."""
    spec = unit_spec(bands=THREE_BANDS)
    middle = "#6CB66C"
    assert spec.series[0].name == "2024" and spec.series[0].values == (62.0, 50.0, 35.0, -12.0)
    assert spec.series[0].point_colors == (GREEN, middle, middle, RED)
    assert spec.series[1].point_colors == ()  # the older wave keeps its wave colour
    assert spec.detail.bands == ((None, "under 0", RED), (0.0, "över 0", middle), (50.0, "över 50", GREEN))


def test_two_bands_take_the_band_shades_without_the_alert_colour():
    """Two bands: the lower is green 85 % towards white (0x00→0xD9, 0x80→0xEC), the upper green; no alert colour."""
    spec = unit_spec(bands=[{"label": "upp till 50"}, {"above": 50, "label": "över 50"}])
    light = "#D9ECD9"
    assert spec.series[0].point_colors == (GREEN, light, light, light)


def test_bands_drawn_as_dashed_limits_inside_the_axis_with_a_key():
    """The axis runs −20…80 (−12 and 62·1.1 to steps of 20): dashed lines at 0 and 50; the key names the bands in
    their colours and then the older wave. With every value above 0 the axis starts at 0 and only 50 is drawn."""
    from matplotlib.colors import to_hex

    fig = drawn(unit_spec(bands=THREE_BANDS))
    ax = fig.axes[0]
    assert ax.get_xlim() == (-20.0, 80.0)
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert [tuple(line.get_xdata()) for line in dashed] == [(0.0, 0.0), (50.0, 50.0)]
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["under 0", "över 0", "över 50", "2023"]
    assert [to_hex(p.get_facecolor()).upper() for p in legend.get_patches()[:3]] == [RED, "#6CB66C", GREEN]
    positive = [u if u[0] != "c" else (*u[:2], 12.0, 5.0, *u[4:]) for u in UNITS]
    ax = drawn(unit_spec(positive, bands=THREE_BANDS)).axes[0]
    assert ax.get_xlim()[0] == 0.0
    assert [tuple(line.get_xdata()) for line in ax.get_lines() if line.get_linestyle() == "--"] == [(50.0, 50.0)]


def test_bands_colour_the_native_chart_points():
    """The native chart writes the newest series' bars in their band colours (c:dPt per point, category order)."""
    from lxml import etree

    ns = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart", "a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
    (xml,) = native_chart_xml(unit_spec(bands=THREE_BANDS))
    newest, older = etree.fromstring(xml).iterfind(".//c:ser", ns)
    fills = {int(d.find("c:idx", ns).get("val")): d.find(".//a:srgbClr", ns).get("val") for d in newest.iterfind("c:dPt", ns)}
    assert fills == {0: GREEN[1:], 1: "6CB66C", 2: "6CB66C", 3: RED[1:]}
    assert older.find("c:dPt", ns) is None


@pytest.mark.parametrize(("bands", "why"), [
    ([{"above": 0, "label": "a"}, {"above": 50, "label": "b"}], "the first band has an 'above'"),
    ([{"label": "a"}, {"label": "b"}], "a band after the first has no 'above'"),
    ([{"label": "a"}, {"above": 50, "label": "b"}, {"above": 0, "label": "c"}], "limits fall"),
    ([{"label": "a"}, {"above": 0, "label": "b"}, {"above": 0, "label": "c"}], "limits repeat"),
])
def test_bands_are_refused_unless_the_first_is_open_and_the_limits_rise(bands, why):
    """A band scheme whose first band has a limit, a later band without one, or limits that do not rise is a one-line
    ConfigError naming bands."""
    with pytest.raises(ConfigError, match="bands: the first band has no 'above', the others rise") as err:
        unit_spec(bands=bands)
    assert "\n" not in str(err.value), why
    assert unit_spec(bands=THREE_BANDS).detail.bands  # the valid scheme passes


def test_rows_per_group_carry_the_newest_waves_base():
    """rows: group: each name gets (n = N) of 2024 (not 2023's, 7 more) with no-break spaces, the low base marked;
    the footnote gives the waves' totals (series_bases off), unlike rows of categories."""
    spec = unit_spec()
    assert spec.categories == (f"Syöpäkeskus (n{NBSP}={NBSP}1{NNBSP}250)", f"Sydänkeskus (n{NBSP}={NBSP}210)",
                               f"Lastenklinikka (n{NBSP}={NBSP}300)", f"Päivystys (n{NBSP}={NBSP}40*)")
    assert spec.series_bases is False
    assert s14_spec().series_bases is True
    assert unit_spec(bases=False).categories == ("Syöpäkeskus", "Sydänkeskus", "Lastenklinikka", "Päivystys")


def test_group_var_only_that_selects_nothing_names_the_variables_there_are():
    """group_var_only: channel where the rows have total and unit: a one-line ConfigError naming both."""
    with pytest.raises(ConfigError, match=r"group_var_only 'channel' selects no rows.* total, unit\b") as err:
        unit_spec(group_var_only="channel")
    assert "\n" not in str(err.value)
