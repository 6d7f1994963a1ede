"""The claims layer by hand: directions by the test, ranks with ties, records, largest significant change, preflight."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest
from helpers import REPO

from pipeline.charts import ChartSpec, Series
from pipeline.claims import Claims, Sentence, chart_numbers, numbers_in, preflight
from pipeline.metrics.common import COLUMNS
from pipeline.metrics.trend import _fit_rows
from pipeline.text import TableView, TextRenderer
from pipeline.yamlio import read_yaml

STRINGS = dict(read_yaml(REPO / "config" / "1177" / "strings.yaml"))
SV = {k: v["sv"] for k, v in STRINGS.items()}
EN = {k: v["en"] for k, v in STRINGS.items()}


def table(rows: list[dict]) -> pd.DataFrame:
    """A metric table with COLUMNS; unspecified columns are blank/NaN, group total unless given."""
    base = dict.fromkeys(COLUMNS, "")
    base.update({"group_var": "total", "group": "total", "group_label": "Totalt", "measure": "share", "unit": "percent",
                 "value": math.nan, "change": math.nan, "p_value": math.nan, "prev_wave": None, "wave": 2022})
    return pd.DataFrame([{**base, **r} for r in rows], columns=COLUMNS)


def claims(lang: str = "sv") -> Claims:
    return Claims(lang, SV if lang == "sv" else EN, 0.05)


# ---------------------------------------------------------------------------- directions


def test_direction_follows_the_test_not_the_sign():
    """58 → 55 with p = 0.062 is 'unchanged'; p = 0.01 is a fall; +2 with p < 0.001 a rise; no previous wave: no direction."""
    c = claims()
    assert c.direction({"value": 55.0, "change": -3.0, "p_value": 0.062, "wave": 2022, "prev_wave": 2021}) == SV["dir_flat"]
    assert c.direction({"value": 55.0, "change": -3.0, "p_value": 0.01, "wave": 2022, "prev_wave": 2021}) == "minskar"
    assert c.direction({"value": 6.0, "change": 2.0, "p_value": 0.0004, "wave": 2022, "prev_wave": 2021}) == "ökar"
    assert c.direction({"value": 55.0, "change": math.nan, "p_value": math.nan, "wave": 2022}) == "saknar jämförelse"
    assert claims("en").direction({"value": 6.0, "change": 2.0, "p_value": 0.0004, "wave": 2022, "prev_wave": 2021}) == "rises"


def test_direction_at_the_boundary_of_alpha_is_not_significant():
    """p exactly 0.05 at alpha 0.05 is not a change (p < alpha is)."""
    assert claims().direction({"value": 50.0, "change": 4.0, "p_value": 0.05, "wave": 2022, "prev_wave": 2021}) == SV["dir_flat"]


def test_by_direction_picks_the_form_and_falls_back_to_neutral():
    """A title with only a 'down' form shows its neutral form when the change is flat or up, and when there is no previous wave."""
    c = claims()
    down = {"value": 55.0, "change": -3.0, "p_value": 0.01, "wave": 2022, "prev_wave": 2021}
    flat = {**down, "p_value": 0.2}
    up = {**down, "change": 3.0}
    first = {"value": 55.0, "change": math.nan, "p_value": math.nan, "wave": 2022}
    assert c.by_direction(down, down="Varför minskar?", neutral="Andel") == "Varför minskar?"
    assert [c.by_direction(r, down="Varför minskar?", neutral="Andel") for r in (flat, up, first)] == ["Andel"] * 3
    assert c.log[-1].neutral == "Andel"


def test_direction_claim_goes_to_the_log_with_its_test():
    """The note line names both waves' values, the change, p and alpha."""
    c = claims()
    c.direction({"value": 55.0, "change": -3.0, "p_value": 0.062, "wave": 2022, "prev_wave": 2021, "unit": "percent", "label": "1177"})
    assert c.log[0].figures == "2021 58,0\u00a0% → 2022 55,0\u00a0% (−3,0); z-test p = 0,062, α = 0,05"


# ---------------------------------------------------------------------------- ranks


def means_view() -> TableView:
    t = table([{"measure": "mean", "item": "a", "item_label": "Råd", "value": 8.44, "unit": "scale"},
               {"measure": "mean", "item": "b", "item_label": "Diagnos", "value": 8.36, "unit": "scale"},
               {"measure": "mean", "item": "c", "item_label": "Recept", "value": 7.3, "unit": "scale"}])
    return TableView("main", t, 2022)


def test_leaders_name_every_row_tied_at_the_shown_value():
    """8.44 and 8.36 both show as 8,4: both are 'highest' at one decimal; at two decimals only 8,44 is."""
    c = claims()
    assert c.names(c.leaders(means_view(), measure="mean", decimals=1), key="item_label", decimals=1) == "Råd (8,4) och Diagnos (8,4)"
    assert [r["item"] for r in c.leaders(means_view(), measure="mean", decimals=2)] == ["a"]
    assert [r["item"] for r in c.leaders(means_view(), measure="mean", decimals=1, lowest=True)] == ["c"]


def test_leaders_top_n_extends_over_a_tie_at_the_last_place():
    """Top 1 of 79, 78, 78, 77 is one row; top 2 takes both 78s (three rows)."""
    t = table([{"category": k, "label": k, "value": v} for k, v in (("a", 79.0), ("b", 78.2), ("c", 77.9), ("d", 77.0))])
    view = TableView("main", t, 2022)
    assert [r["category"] for r in claims().leaders(view, n=2)] == ["a", "b", "c"]
    assert [r["category"] for r in claims().leaders(view, n=1)] == ["a"]


def test_names_join_in_each_language():
    """Three names: 'a, b och c' / 'a, b and c'."""
    rows = [{"label": x} for x in "abc"]
    assert claims().names(rows, key="label") == "a, b och c"
    assert claims("en").names(rows, key="label") == "a, b and c"


# ---------------------------------------------------------------------------- records


def trend_view(values: dict[int, float]) -> TableView:
    return TableView("main", table([{"wave": w, "value": v} for w, v in values.items()]), max(values))


def test_record_compares_shown_values_over_the_waves_shown():
    """95.4 vs an earlier 95.2: both show as 95 (no record); at one decimal 95,4 > 95,2 is the highest so far."""
    view = trend_view({2018: 95.2, 2020: 94.0, 2022: 95.4})
    assert claims().record(view, high="REKORD", neutral="N") == "N"
    assert claims().record(view, high="REKORD", neutral="N", decimals=1) == "REKORD"
    assert claims().record(trend_view({2018: 97.0, 2020: 96.0, 2022: 90.0})) == "lägst hittills"


def test_record_needs_an_earlier_wave():
    """A first wave is no record: the neutral form."""
    assert claims().record(trend_view({2022: 99.0}), high="REKORD", neutral="N") == "N"


# ---------------------------------------------------------------------------- largest change


def groups_view(changes: list[tuple[str, float, float, float]]) -> TableView:
    """(group, value, change, p) rows of one category by age group."""
    rows = [{"group_var": "age_group", "group": g, "group_label": g, "value": v, "change": ch, "p_value": p, "wave": 2022,
             "prev_wave": 2021, "category": "1177"} for g, v, ch, p in changes]
    return TableView("main", table(rows), 2022)


def test_largest_change_skips_non_significant_and_uses_shown_values():
    """−9 is not significant; of the significant ones 51,6 − 58,4 shows as 52 − 58 = −6, the largest."""
    view = groups_view([("30-44", 49.0, -9.0, 0.08), ("45-64", 51.6, -6.8, 0.01), ("65+", 60.0, -4.0, 0.02)])
    assert claims().largest_change(view, group_var="age_group") == "Störst minskning: 45-64 (−6 procentenheter)"


def test_largest_change_names_ties_together():
    """+13 in two groups (both significant): both are named."""
    view = groups_view([("18-29", 50.0, 13.0, 0.001), ("30-44", 47.0, 13.0, 0.001), ("65+", 40.0, 5.0, 0.03)])
    assert claims("en").largest_change(view, group_var="age_group") == "Largest rise: 18-29 and 30-44 (+13 points)"


def test_largest_change_when_none_is_significant():
    """No significant change: the sentence says so."""
    view = groups_view([("18-29", 50.0, -6.0, 0.2), ("30-44", 47.0, 3.0, 0.4)])
    assert claims().largest_change(view, group_var="age_group") == "Ingen av förändringarna är signifikant"


def test_largest_change_one_sense_says_which_none_is_significant():
    """Asked for the largest rise when only a fall is significant: "no rise is significant", not the generic sentence;
    the fall is still found when asked for."""
    view = groups_view([("18-29", 50.0, -6.0, 0.01), ("30-44", 47.0, 3.0, 0.4)])
    assert claims("en").largest_change(view, sense="up", group_var="age_group") == "No rise is significant"
    fall = claims("en").largest_change(view, sense="down", group_var="age_group")
    assert fall == "Largest fall: 18-29 (-6 points)"  # CLDR English minus: a hyphen


def test_largest_change_takes_its_unit_word_from_the_strings():
    """unit='nps_points' writes the strings' word for a change of an NPS after the number."""
    view = groups_view([("18-29", 50.0, 8.0, 0.001)])
    assert claims().largest_change(view, unit="nps_points", group_var="age_group") == "Störst ökning: 18-29 (+8 NPS-poäng)"


def test_largest_change_with_nothing_to_compare_against():
    """A first wave (no change column): none is significant."""
    view = groups_view([("18-29", 50.0, math.nan, math.nan)])
    assert claims("en").largest_change(view, group_var="age_group") == "None of the changes is significant"


def test_shown_sum_adds_the_rounded_labels():
    """47,6 + 6,6 + 3,8 = 58,0 unrounded but the labels 48 + 7 + 4 add to 59."""
    t = table([{"category": k, "value": v} for k, v in (("3", 47.6), ("4", 6.6), ("5", 3.8), ("1", 10.4))])
    assert claims().shown_sum(TableView("main", t, 2022), category=["3", "4", "5"]) == 59.0


# ---------------------------------------------------------------------------- templates and preflight


def test_claim_functions_are_filters_and_globals_of_the_renderer():
    """direction as a filter, largest_change as a global; the renderer's log holds the claim."""
    r = TextRenderer("sv", SV, 0.05)
    view = groups_view([("18-29", 50.0, -6.0, 0.01)])
    r.claims.start()
    out = r.render("Andelen {{ m.row(group='18-29') | direction }}. {{ largest_change(m, group_var='age_group') }}.", {"m": view}, "t")
    assert out == "Andelen minskar. Störst minskning: 18-29 (−6 procentenheter)."
    assert [c.kind for c in r.claims.log] == ["direction", "largest_change"]


def test_numbers_in_reads_figures_not_years_or_ranges():
    """'2021: 58 %', '18–29 år', '+3,0 procentenheter' and '8,4': the figures are 58, 3.0 and 8.4."""
    text = "Totalt 55\u00a0% (2021: 58\u00a0%), +3,0 procentenheter bland 18–29 år; medel 8,4."
    assert numbers_in(text, "sv") == [(55.0, 0), (58.0, 0), (3.0, 1), (8.4, 1)]


def spec(values: tuple[float, ...], sig: tuple[str, ...] = ()) -> ChartSpec:
    return ChartSpec("stacked_bars", ("row",), tuple(Series(f"s{i}", (v,), sig[i:i + 1] if sig else ()) for i, v in enumerate(values)))


def test_chart_numbers_are_labels_and_sums_of_labels():
    """Bands 10,4 / 31,6 / 47,6 / 6,6 / 3,8 show 10, 32, 48, 7, 4: 59 (48+7+4) is on the chart, 58 (their unrounded sum) is not."""
    shown = chart_numbers([spec((10.4, 31.6, 47.6, 6.6, 3.8))])
    assert (59.0, 0) in shown and (58.0, 0) not in shown


def test_chart_numbers_take_the_nps_panels_score_shares():
    """An NPS panel (bands 20 / 30 / 50, NPS 30) whose score bar shows 10: 13,4 % and 9: 36,6 %: 13 and 37 are figures
    the chart shows; the score names (10, 9) are not taken as figures."""
    from pipeline.charts.nps_panel import NpsPanelDetail

    bands = tuple(Series(name, (v,)) for name, v in (("Kritiker", 20.0), ("Passiva", 30.0), ("Ambassadörer", 50.0)))
    panel = ChartSpec("nps_panel", ("2022",), bands, detail=NpsPanelDetail(nps=(30.0,), distribution=(("10", 13.4), ("9", 36.6))))
    shown = chart_numbers([panel])
    assert (13.0, 0) in shown and (37.0, 0) in shown
    assert (9.0, 0) not in shown


def test_preflight_finds_typed_claims_foreign_figures_and_unexplained_marks():
    """A typed 'högst', a 60 not on the chart (10, 48 and 58 are) and a ▼ with no legend are three problems."""
    s = [Sentence("commentary", "Högst: a (48 %)."), Sentence("commentary", "60 % tycker lika.")]
    found = preflight(s, [spec((10.4, 47.6), ("", "▼"))], [], "Antal svarande", "sv", ["högst"], "▲▼ =")
    reasons = [p.reason for p in found]
    assert len(found) == 3
    assert "typed in" in reasons[0] and "60" in reasons[1] and "▲▼" in reasons[2]


# ---------------------------------------------------------------------------- projection


def test_log_linear_fit_by_hand():
    """10, 20, 40 % in 2020–2022 (SE a tenth of each): growth e^ln2 − 1 = 100 %, 2025 at 320 %, interval by hand."""
    rows = table([{"wave": w, "value": v, "se": v / 10} for w, v in ((2020, 10.0), (2021, 20.0), (2022, 40.0))])
    ctx = SimpleNamespace(stats=SimpleNamespace(confidence_level=0.95))
    growth, projection = _fit_rows(rows, ctx, dict.fromkeys(COLUMNS, ""), 2025)
    assert growth["value"] == pytest.approx(100.0)
    # weights (v/se)² = 100 each, Sxx = 100·(1 + 0 + 1) = 200, se_b = 1/√200 = 0.070711; exp(ln 2 ± 1.959964·0.070711) − 1
    assert (growth["ci_low"], growth["ci_high"]) == (pytest.approx(74.12, abs=0.01), pytest.approx(129.73, abs=0.01))
    assert growth["label"] == "2020-2022" and growth["p_value"] < 1e-6
    assert projection["value"] == pytest.approx(320.0) and projection["wave"] == 2025


def test_numbers_in_reads_nps_scores_but_not_years():
    """'NPS totalt 46 (2021: 45)': the scores 46 and 45 are figures, the year is not; without 'NPS' neither would be."""
    assert numbers_in("NPS totalt 46 (2021: 45).", "sv") == [(46.0, 0), (45.0, 0)]
    assert numbers_in("Totalt 46 (2021: 45).", "sv") == []


def test_a_mark_beside_a_mean_needs_the_legend_too():
    """A ▲ printed beside a stacked bar's mean (not on a band) still needs the ▲▼ legend in the footnote."""
    from pipeline.claims import marks

    plain = ChartSpec("stacked_bars", ("row",), (Series("s", (50.0,)),))
    from pipeline.charts.stacked_bars import StackedBarsDetail

    with_mean = ChartSpec("stacked_bars", ("row",), (Series("s", (50.0,)),), detail=StackedBarsDetail(mean=(7.5,), mean_sig=("▲",)))
    assert (marks(plain), marks(with_mean)) == (False, True)
    found = preflight([], [with_mean], [], "Antal svarande", "sv", [], "▲▼ =")
    assert [p.part for p in found] == ["footnote"]


def test_the_points_unit_is_the_languages_word():
    """An unsigned whole number is a figure when followed by the language's word for points (strings `points`)."""
    assert numbers_in("en ökning med 3 procentenheter", "sv", "procentenheter") == [(3.0, 0)]
    assert numbers_in("a rise of 3 points", "en", "points") == [(3.0, 0)]
    assert numbers_in("a rise of 3 points", "en") == []  # no unit word given: a plain integer is no figure
