"""Trend lines over waves (S18: one measure; S40, S41: one line per group)."""

from __future__ import annotations

import math
from itertools import pairwise

from chart_kit import (
    NBSP,
    NNBSP,
    centre,
    check_print_png,
    context,
    drawn,
    find,
    frame,
    labels,
    native_chart_xml,
    overlapping,
    row,
    tick_labels,
)

from pipeline import charts
from pipeline.charts import ChartSpec, Series
from pipeline.charts.trend_line import _spread

WAVES = [2018, 2020, 2021, 2022]
HEARD = [95.3, 96.8, 97.4, 98.2]


def s18_rows(flags: dict | None = None) -> list[dict]:
    return [row(wave=w, category="1", label="Ja", value=v, n=2000 + i, sig="▲" if w == 2022 else "",
                base_flag=(flags or {}).get(w, "ok"))
            for i, (w, v) in enumerate(zip(WAVES, HEARD, strict=True))]


def s18(lang: str = "sv", flags: dict | None = None):
    opts = {"categories": ["1"], "decimals": 1, "y_min": 80, "y_max": 102,
            "description": "Linjediagram över andelen som hört talas om 1177"}
    return charts.build("trend_line", frame(s18_rows(flags)), opts, context(lang))


# S40-like: six groups whose 2022 values crowd within 3.3 points
GROUPS = [("sex", "Man", "Man"), ("sex", "Kvinna", "Kvinna"), ("age_group", "18-29", "18–29 år"),
          ("age_group", "30-44", "30–44 år"), ("age_group", "45-64", "45–64 år"), ("age_group", "65+", "65 år eller äldre")]
LAST = [93.7, 96.3, 94.6, 96.1, 96.2, 93.0]


def s40_rows(flags: dict | None = None) -> list[dict]:
    out = []
    for g, ((var, key, label), last) in enumerate(zip(GROUPS, LAST, strict=True)):
        for k, w in enumerate(WAVES):
            out.append(row(metric="index", measure="index", wave=w, group_var=var, group=key, group_label=label,
                           category="index", label="Känner till", value=last - 3 * (3 - k), n=800 + 100 * g + 10 * k,
                           sig="▲" if w == 2022 else "", base_flag=(flags or {}).get((key, w), "ok")))
    out.append(row(metric="index", measure="index", wave=2022, category="index", label="Känner till", value=95.0))  # total: not drawn
    return out


def s40(flags: dict | None = None, height: float = 4.9):
    opts = {"group_var": ["sex", "age_group"], "y_min": 60, "y_max": 100, "bases": False}
    return charts.build("trend_line", frame(s40_rows(flags)), opts, context(height=height))


def test_png_is_print_resolution_and_reproducible(tmp_path):
    check_print_png(s40(), tmp_path)


def test_single_line_labels_every_point_with_percent_and_mark():
    spec = s18()
    assert spec.categories == ("2018", "2020", "2021", "2022")
    fig = drawn(spec)
    assert labels(fig) == [f"95,3{NBSP}%", f"96,8{NBSP}%", f"97,4{NBSP}%", f"98,2{NBSP}%▲"]
    assert tick_labels(fig, "x") == ["2018", "2020", "2021", "2022"]
    assert f"90{NBSP}%" in tick_labels(fig, "y")
    # each label sits above its point
    ax = fig.axes[0]
    for x, v, label in zip([2018, 2020, 2021, 2022], HEARD, [f"95,3{NBSP}%", f"96,8{NBSP}%", f"97,4{NBSP}%", f"98,2{NBSP}%▲"], strict=True):
        px, py = ax.transData.transform((x, v))
        cx, cy = centre(fig, find(fig, label))
        assert abs(cx - px) < 1 and cy > py


def test_english_single_line():
    assert labels(drawn(s18("en")))[-1] == "98.2%▲"


def test_single_line_low_and_suppressed_points():
    fig = drawn(s18(flags={2020: "suppressed", 2021: "low"}))
    assert labels(fig) == [f"95,3{NBSP}%", f"97,4{NBSP}%*", f"98,2{NBSP}%▲"]
    line = fig.axes[0].get_lines()[0]
    # the line skips the suppressed wave; waves sit at their years (2018→2020 twice as long as 2020→2021)
    assert list(line.get_xdata()) == [2018, 2021, 2022]


def test_groups_one_label_per_line_in_value_order_without_overlap():
    spec = s40()
    assert [s.name for s in spec.series] == [g[2] for g in GROUPS]
    for height in (4.9, 2.8):
        fig = drawn(s40(height=height))
        shown = labels(fig)
        assert sorted(shown) == sorted(["Man 94▲", "Kvinna 96▲", "18–29 år 95▲", "30–44 år 96▲", "45–64 år 96▲",
                                        "65 år eller äldre 93▲"])
        assert overlapping(fig) == []
        # sexes and age groups in panels of their own; in each, top to bottom the labels follow the lines' last
        # values: Kvinna 96.3, Man 93.7 | 45–64 96.2, 30–44 96.1, 18–29 94.6, 65+ 93.0
        assert len(fig.axes) == 2
        for ax, expected in zip(fig.axes, (["Kvinna", "Man"], ["45–64", "30–44", "18–29", "65"]), strict=True):
            mine = [t for t in ax.texts if t.get_text() not in ("▲", "▼")]
            order = sorted(mine, key=lambda t: -centre(fig, t)[1])
            assert [t.get_text().split(" ")[0] for t in order] == expected
        # all labels inside the figure
        for t in shown:
            cx, cy = centre(fig, find(fig, t))
            assert 0 < cx < fig.bbox.width and 0 < cy < fig.bbox.height


def test_group_whose_last_wave_is_suppressed_is_labelled_at_its_last_shown_wave():
    fig = drawn(s40({("Man", 2022): "suppressed", ("Kvinna", 2022): "low"}))
    shown = labels(fig)
    assert "Man 91▲" not in shown and not any(t.startswith("Man 94") for t in shown)
    assert "Man 91" in shown  # 2021: 93.7 − 3 = 90.7
    assert "Kvinna 96*▲" in shown


def test_spread_keeps_order_and_gap():
    ys = _spread([50.0, 50.2, 50.1, 10.0, 50.3], 2.0)
    assert ys[3] == 10.0  # far from the crowd: not moved
    crowd = sorted([ys[0], ys[1], ys[2], ys[4]])
    assert all(b - a >= 2.0 - 1e-9 for a, b in pairwise(crowd))
    # order kept: 50.0 < 50.1 < 50.2 < 50.3
    assert ys[0] < ys[2] < ys[1] < ys[4]
    # centred on the crowd: mean of the placed positions equals the mean of the targets
    assert math.isclose(sum(crowd) / 4, (50.0 + 50.1 + 50.2 + 50.3) / 4)
    # bounded: pushed below the ceiling
    top = _spread([9.9, 10.0], 1.0, 0.0, 10.0)
    assert top == [9.0, 10.0]


def test_alt_text_and_notes():
    spec = s18()
    alt = charts.alt_text(spec)
    assert alt == (f"Linjediagram över andelen som hört talas om 1177. Totalt: 2018 95,3{NBSP}%, 2020 96,8{NBSP}%, "
                   f"2021 97,4{NBSP}%, 2022 98,2{NBSP}%.")
    notes = charts.notes_table(spec).splitlines()
    assert notes == [" | Totalt", "2018 | 95,3", "2020 | 96,8", "2021 | 97,4", "2022 | 98,2▲",
                     f"Bas (n): 2{NNBSP}000–2{NNBSP}003", "Ordning: kodbokens (ordningen har en betydelse: skala, ålder eller tid)."]
    groups = charts.notes_table(s40()).splitlines()
    assert groups[0] == " | Man | Kvinna | 18–29 år | 30–44 år | 45–64 år | 65 år eller äldre"
    assert groups[1] == "2018 | 84,7 | 87,3 | 85,6 | 87,1 | 87,2 | 84,0"
    assert len(groups) == 7
    assert groups[-2] == (f"Bas (n): Man: 800–830; Kvinna: 900–930; 18–29 år: 1{NNBSP}000–1{NNBSP}030; "
                          f"30–44 år: 1{NNBSP}100–1{NNBSP}130; 45–64 år: 1{NNBSP}200–1{NNBSP}230; "
                          f"65 år eller äldre: 1{NNBSP}300–1{NNBSP}330")


def test_hand_built_spec_with_missing_wave():
    spec = ChartSpec("trend_line", ("2020", "2021", "2022"), (Series("NPS", (40.0, math.nan, 46.0), ("", "", "▲"),
                     ("ok", "missing", "ok"), (1999, 0, 1990)),), unit="points", words=(("chart_base", "Bas (n)"),))
    fig = drawn(spec)
    assert labels(fig) == ["40", "46▲"]
    assert charts.notes_table(spec).splitlines()[-1] == f"Bas (n): 1{NNBSP}990–1{NNBSP}999"


# option ci: an NPS over four waves; 2021 suppressed (its interval is not drawn), 2023 without an interval
CI_WAVES = [(2021, 35.0, 20.0, 50.0, "suppressed"), (2022, 40.0, 31.0, 49.0, "ok"), (2023, 44.0, None, None, "ok"),
            (2024, 52.0, 44.0, 66.0, "ok")]


def ci_spec(ci: bool = True):
    rows = [row(metric="nps", measure="nps", category="nps", label="NPS", unit="points", wave=w, value=v, ci_low=lo,
                ci_high=hi, base_flag=flag) for w, v, lo, hi, flag in CI_WAVES]
    return charts.build("trend_line", frame(rows), {"ci": ci, "description": "NPS per år"}, context(wave=2024))


def test_ci_holds_each_waves_interval_and_nan_where_suppressed_or_missing():
    """ci: true keeps (ci_low, ci_high) per wave: 2022 (31, 49) and 2024 (44, 66); the suppressed 2021 and 2023
    (no interval) are nan; without the option there are none."""
    (line,) = ci_spec().detail.ci
    assert line[1] == (31.0, 49.0) and line[3] == (44.0, 66.0)
    assert all(math.isnan(e) for e in (*line[0], *line[2]))
    assert ci_spec(ci=False).detail.ci == ()


def test_ci_value_axis_takes_in_the_interval_ends():
    """Values 40–52 alone: 30–57 to steps of 10 → 30–60, which would cut 2024's upper end (66); with the intervals
    31–66: 20–71 (points: 5 above the top), step 20 → 20–80."""
    plain, with_ci = ci_spec(ci=False).detail, ci_spec().detail
    assert (plain.low, plain.high, plain.step) == (30.0, 60.0, 10.0)
    assert (with_ci.low, with_ci.high, with_ci.step) == (20.0, 80.0, 20.0)


def test_ci_drawn_as_capped_bars_in_a_lighter_shade_of_the_line():
    """The picture has one error bar per interval, from its low to its high end (2022: 31–49, 2024: 44–66), with caps,
    coloured 35 % of the way from the line's colour to white."""
    from matplotlib.colors import to_hex, to_rgb

    fig = drawn(ci_spec())
    ax = fig.axes[0]
    (bars,) = ax.containers
    _, caps, (segments,) = bars.lines[0], bars.lines[1], bars.lines[2]
    assert [[tuple(p) for p in seg] for seg in segments.get_segments()] == [[(2022, 31), (2022, 49)], [(2024, 44), (2024, 66)]]
    assert len(caps) == 2  # the lower and the upper caps
    line = to_rgb(ax.get_lines()[0].get_color())
    lighter = "#" + "".join(f"{round(c * 255 + (255 - c * 255) * 0.35):02x}" for c in line)
    assert to_hex(segments.get_colors()[0]) == lighter


def test_ci_alt_text_gives_the_interval_after_each_point():
    """Alt text: each shown point then (low–high); 2023 has no interval, the suppressed 2021 is left out."""
    assert charts.alt_text(ci_spec()) == "NPS per år. Totalt: 2022 40 (31–49), 2023 44, 2024 52 (44–66)."


def test_ci_native_chart_writes_custom_error_bars():
    """The native line series carries c:errBars (custom, both directions) before its categories: plus = high − value
    (2022: 49 − 40 = 9, 2024: 66 − 52 = 14), minus = value − low (9, 8), no point where there is no interval."""
    from lxml import etree

    c = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}
    (xml,) = native_chart_xml(ci_spec())
    (ser,) = etree.fromstring(xml).iterfind(".//c:lineChart/c:ser", c)
    (bars,) = ser.iterfind("c:errBars", c)
    assert etree.QName(bars.getnext()).localname == "cat"
    assert (bars.find("c:errBarType", c).get("val"), bars.find("c:errValType", c).get("val")) == ("both", "cust")

    def points(which: str) -> dict[int, float]:
        lit = bars.find(f"c:{which}/c:numLit", c)
        assert lit.find("c:ptCount", c).get("val") == "4"
        return {int(p.get("idx")): float(p.find("c:v", c).text) for p in lit.iterfind("c:pt", c)}

    assert points("plus") == {1: 9.0, 3: 14.0}
    assert points("minus") == {1: 9.0, 3: 8.0}
    (plain,) = native_chart_xml(ci_spec(ci=False))
    assert b"errBars" not in plain
