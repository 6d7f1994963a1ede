"""Change bars (S39): relative change between two waves, by age group, one bar per sex, plus the totals."""

from __future__ import annotations

from chart_kit import MINUS, NBSP, check_print_png, context, drawn, frame, labels, overlapping, row, texts, tick_labels
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
