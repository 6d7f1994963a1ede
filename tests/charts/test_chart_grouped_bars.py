"""Grouped horizontal bars (S13–S16, S21, S23–S26, S45): sorting, labels, marks, bases, overlap."""

from __future__ import annotations

import pytest
from chart_kit import NBSP, NNBSP, boxes, check_print_png, context, drawn, find, frame, labels, overlapping, row, texts, tick_labels

from pipeline import charts
from pipeline.charts import ChartSpec, Series

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
