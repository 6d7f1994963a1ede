"""Crosstabs: lettered columns, bases, significance letters and arrows on hand-worked waves; pairwise tests equal R survey."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from helpers import FIXTURES, GOLDEN
from metrics.tinyctx import build_ctx, wave_frame

from pipeline.config import Targets, Weighting
from pipeline.crosstab import (
    adjust,
    banner_groups,
    calibrated_influence,
    comparison_correction,
    covariance,
    disjoint_covariance,
    domain_contrast,
    letter,
    question_crosstab,
    significance_alpha,
    slide_crosstabs,
    summarise,
)
from pipeline.design import estimate_means
from pipeline.errors import ConfigError
from pipeline.load import load_wave
from pipeline.metrics import MetricContext
from pipeline.weight import weight_wave

YES, NO = 1, 2


def heard_frame(men_yes: int, men: int, women_yes: int, women: int, **kw) -> pd.DataFrame:
    """heard_of_1177 answered yes by ``men_yes`` of ``men`` men and ``women_yes`` of ``women`` women (all 18-29)."""
    answers = [YES] * men_yes + [NO] * (men - men_yes) + [YES] * women_yes + [NO] * (women - women_yes)
    return wave_frame({"heard_of_1177": answers}, sex=["Man"] * men + ["Kvinna"] * women, **kw)


def test_letters_follow_spreadsheet_convention():
    """Column letters run A … Z, then AA, AB, as spreadsheet columns do."""
    assert [letter(i) for i in (0, 1, 25, 26, 27, 51, 52)] == ["A", "B", "Z", "AA", "AB", "AZ", "BA"]


def test_significant_subgroup_gets_the_other_columns_letter(project, tmp_path):
    """9 of 10 men vs 1 of 10 women say yes: men's cell carries women's letter (z = 0.8 / 0.13765 = 5.81), women's none."""
    ctx = build_ctx(project, ["heard_of_1177"], {2022: heard_frame(9, 10, 1, 10)}, tmp_path)
    x = question_crosstab(ctx, "heard_of_1177", ["sex"])
    assert [(c.letter, c.label, c.n) for c in x.columns] == [("A", "Totalt 2022", 20), ("B", "Man", 10), ("C", "Kvinna", 10)]
    yes = next(r for r in x.rows if r.key == "1")
    assert yes.values == pytest.approx((50.0, 90.0, 10.0))
    assert yes.letters == ("", "C", "")
    # by hand: one post-stratification cell per sex, weights 1; influence (y − ȳ)/10 in each cell, centred in the cell;
    # Var = 20/19 · 0.9/100 per group, the groups' influence values do not overlap: Var(diff) = 2 · 20/19 · 0.009
    se = math.sqrt(2 * 20 / 19 * 0.009)
    test = next(t for t in x.tests if t.row == "1")
    assert (test.a, test.b) == ("B", "C")
    assert test.difference == pytest.approx(-80.0)
    assert test.se == pytest.approx(100 * se)
    assert test.z == pytest.approx(-0.8 / se)
    assert test.significant


def test_close_shares_get_no_letters(project, tmp_path):
    """6 of 10 men vs 5 of 10 women: z = 0.1 / 0.2294 = 0.44, no letter anywhere."""
    ctx = build_ctx(project, ["heard_of_1177"], {2022: heard_frame(6, 10, 5, 10)}, tmp_path)
    x = question_crosstab(ctx, "heard_of_1177", ["sex"])
    yes = next(r for r in x.rows if r.key == "1")
    assert yes.letters == ("", "", "")
    test = next(t for t in x.tests if t.row == "1")
    assert test.se == pytest.approx(100 * math.sqrt(20 / 19 * (0.24 + 0.25) * 10 / 100))
    assert not test.significant


def test_bases_unweighted_weighted_and_effective(project, tmp_path):
    """Weights 1.5, 1.5, 0.75, 0.75 (men) and 0.75, 0.75 (women): weighted and Kish effective bases by hand."""
    dw = [1.5, 1.5, 0.75, 0.75, 0.75, 0.75]  # mean 1: these are the weights
    frame = heard_frame(2, 4, 1, 2, design_weight=dw)
    ctx = build_ctx(project, ["heard_of_1177"], {2022: frame}, tmp_path)
    x = question_crosstab(ctx, "heard_of_1177", ["sex"])
    total, men, women = x.columns
    assert (total.n, men.n, women.n) == (6, 4, 2)
    assert men.n_weighted == pytest.approx(4.5)  # 1.5 + 1.5 + 0.75 + 0.75
    assert men.n_effective == pytest.approx(4.5**2 / (2 * 2.25 + 2 * 0.5625))  # 20.25 / 5.625 = 3.6
    assert women.n_weighted == pytest.approx(1.5)
    assert women.n_effective == pytest.approx(2.0)
    assert total.n_effective == pytest.approx(36 / 6.75)
    yes = next(r for r in x.rows if r.key == "1")
    assert yes.values[1] == pytest.approx(100 * 3.0 / 4.5)  # both weight-1.5 men said yes
    assert yes.n == (6, 4, 2)


def test_wave_columns_arrows_and_wave_letters(project, tmp_path):
    """Total yes 90 % in 2021 and 10 % in 2022 (10 each): 2022's total is ▼ and 2021's carries 2022's letter."""
    frames = {2021: heard_frame(9, 10, 0, 0), 2022: heard_frame(1, 10, 0, 0)}
    ctx = build_ctx(project, ["heard_of_1177"], frames, tmp_path)
    x = question_crosstab(ctx, "heard_of_1177", [], waves=[2021, 2022])
    assert [c.label for c in x.columns] == ["Totalt 2021", "Totalt 2022"]
    yes = next(r for r in x.rows if r.key == "1")
    assert yes.arrows == ("", "▼")
    assert yes.letters == ("B", "")
    test = next(t for t in x.tests if t.row == "1")
    assert test.se == pytest.approx(100 * math.sqrt(2 * 0.09 / 9))  # independent waves: p(1-p)/(n-1) each


def test_suppressed_column_shows_nothing_and_is_not_tested(project, tmp_path):
    """With suppression below 5, the 3 women show no value, no letter, and are left out of the tests."""
    ctx = build_ctx(project, ["heard_of_1177"], {2022: heard_frame(9, 10, 0, 3)}, tmp_path, low_base=(5, 8))
    x = question_crosstab(ctx, "heard_of_1177", ["sex"])
    assert [c.base_flag for c in x.columns] == ["ok", "ok", "suppressed"]
    yes = next(r for r in x.rows if r.key == "1")
    assert yes.values[2] is None and yes.letters[2] == ""
    assert not any("C" in (t.a, t.b) for t in x.tests)


def test_crossed_groups_and_nps_rows(project, tmp_path):
    """recommend by sex*age_group: NPS then promoters, passives, detractors; one column per sex × age combination."""
    rec = [10, 10, 9, 3, 7, 8, 1, 2]
    frame = wave_frame({"heard_of_1177": [YES] * 8, "recommend": rec}, sex=["Man"] * 4 + ["Kvinna"] * 4,
                       age_group=["18-29", "18-29", "65+", "65+"] * 2)
    ctx = build_ctx(project, ["heard_of_1177", "recommend"], {2022: frame}, tmp_path, lang="en")
    x = question_crosstab(ctx, "recommend", ["sex*age_group"])
    assert [r.key for r in x.rows] == ["nps", "promoters", "passives", "detractors"]
    assert [c.key for c in x.columns][:3] == ["total", "Man|18-29", "Man|30-44"]
    assert len(x.columns) == 1 + 8
    assert x.columns[1].block_label == "Sex × Age"
    nps = x.rows[0]
    # men 18-29: two promoters → 100; men 65+: 9 and 3 → 0; women 18-29: 7, 8 → 0; total: 3 promoters, 3 detractors → 0
    by_key = dict(zip([c.key for c in x.columns], nps.values, strict=True))
    assert by_key["Man|18-29"] == pytest.approx(100.0)
    assert by_key["Man|65+"] == pytest.approx(0.0)
    assert by_key["Kvinna|65+"] == pytest.approx(-100.0)
    assert by_key["total"] == pytest.approx(0.0)
    assert by_key["Man|30-44"] is None  # nobody: no value


def test_unknown_grouping_and_correction_are_one_line_errors(project, tmp_path):
    """A misspelt grouping names the near miss; an unknown correction lists the known ones."""
    ctx = build_ctx(project, ["heard_of_1177"], {2022: heard_frame(1, 2, 1, 2)}, tmp_path)
    with pytest.raises(ConfigError, match=r"unknown grouping 'agegroup' \(did you mean 'age_group'\?\)"):
        banner_groups(ctx, "sex*agegroup")
    with pytest.raises(ConfigError, match="bonferroni, holm"):
        question_crosstab(ctx, "heard_of_1177", ["sex"], correction="sidak")
    with pytest.raises(ConfigError, match="no question 'heard'"):
        question_crosstab(ctx, "heard", ["sex"])


def test_level_and_correction_come_from_config(project):
    """α is statistics.alpha (0.05 shipped); the correction is statistics.multiple_comparisons (none unless set)."""
    from pipeline.config import Statistics

    assert significance_alpha(project.survey.statistics) == pytest.approx(0.05)
    assert comparison_correction(project.survey.statistics) == "none"
    stats = Statistics.model_validate({"alpha": 0.1, "multiple_comparisons": "holm"})
    assert significance_alpha(stats) == pytest.approx(0.1)
    assert comparison_correction(stats) == "holm"


def test_unknown_correction_in_config_is_refused():
    """statistics.multiple_comparisons: sidak is refused, naming the allowed values."""
    from pydantic import ValidationError

    from pipeline.config import Statistics

    with pytest.raises(ValidationError, match="bonferroni"):
        Statistics.model_validate({"multiple_comparisons": "sidak"})


def test_bonferroni_and_holm_by_hand():
    """p = 0.01, 0.04, 0.03: Bonferroni 0.03, 0.12, 0.09; Holm 0.03, 0.06, 0.06 (step-down, monotone)."""
    assert adjust([0.01, 0.04, 0.03], "none") == [0.01, 0.04, 0.03]
    assert adjust([0.01, 0.04, 0.03], "bonferroni") == pytest.approx([0.03, 0.12, 0.09])
    assert adjust([0.01, 0.04, 0.03], "holm") == pytest.approx([0.03, 0.06, 0.06])
    assert adjust([0.6, 0.5], "bonferroni") == [1.0, 1.0]


def test_correction_can_remove_a_letter(project, tmp_path):
    """Four age groups, one differing at p ≈ 0.03: a letter without correction, none with Bonferroni over 6 pairs."""
    ages = ["18-29"] * 20 + ["30-44"] * 20 + ["45-64"] * 20 + ["65+"] * 20
    answers = [YES] * 16 + [NO] * 4 + [YES] * 10 + [NO] * 10 + [YES] * 13 + [NO] * 7 + [YES] * 13 + [NO] * 7
    frame = wave_frame({"heard_of_1177": answers}, age_group=ages)
    ctx = build_ctx(project, ["heard_of_1177"], {2022: frame}, tmp_path)
    plain = question_crosstab(ctx, "heard_of_1177", ["age_group"], correction="none")
    strict = question_crosstab(ctx, "heard_of_1177", ["age_group"], correction="bonferroni")
    pair = next(t for t in plain.tests if t.row == "1" and (t.a, t.b) == ("B", "C"))
    # 80 % vs 50 % of 20, each group its own cell, weights 1: Var = 80/79 · p(1−p)/20 per group, no overlap
    se = math.sqrt(80 / 79 * (0.16 + 0.25) / 20)
    assert pair.z == pytest.approx(-0.3 / se)
    assert 0.05 / 6 < pair.p < 0.05
    assert "C" in next(r for r in plain.rows if r.key == "1").letters[1]
    assert next(r for r in strict.rows if r.key == "1").letters == ("",) * 5


def test_slide_crosstabs_equal_the_decks_tables(project, shipped_designs):
    """Each crosstab cell (wave totals, subgroups) of every shipped share/scale/nps/multi slide metric equals the deck's table."""
    from pipeline.metrics import compute

    ctx = MetricContext(project, shipped_designs, max(shipped_designs), "sv")
    compared = 0
    for slide in project.deck.slides:
        xtabs = slide_crosstabs(ctx, slide)
        for name, x in xtabs.items():
            table = compute(ctx, slide.metrics[name])
            index = {}
            for t in table.itertuples():
                index[(str(t.item), str(t.category), int(t.wave), str(t.group))] = t.value
            for row in x.rows:
                item, _, category = row.key.rpartition(":")
                for col, value in zip(x.columns, row.values, strict=True):
                    group = "total" if col.block == "wave" else col.key.replace("|", " ")
                    deck = index[(item, category, col.wave, group)]  # every cell is one the deck's table has
                    if value is None:
                        assert math.isnan(deck), (slide.id, name, row.key, col.label)
                    else:
                        assert value == pytest.approx(deck, rel=1e-9, abs=1e-9), (slide.id, name, row.key, col.label)
                    compared += 1
        assert all(x.title == slide.title.get("sv") for x in xtabs.values())
    assert compared > 500


# ------------------------------------------------------------------ against R


@pytest.fixture(scope="module")
def fixture_designs(project):
    """The golden fixture wave, raked and post-stratified to its own targets (as tests/r/golden.R)."""
    t = pd.read_csv(FIXTURES / "targets_2022.csv")
    sex_age = {s: {a: float(v) for a, v in zip(g["age_group"], g["share"], strict=True)} for s, g in t.groupby("sex")}
    data = project.targets.model_dump()
    data["years"] = {2022: {"reference_date": "2021-12-31", "sex_age": sex_age}}
    proj = project.model_copy(update={"targets": Targets.model_validate(data)})
    wave = load_wave(proj, 2022, FIXTURES / "wave_2022.csv")
    out = {}
    for name in ("rake", "poststratify"):
        w = proj.survey.weighting.model_dump()
        w["method"] = name
        out[name] = weight_wave(proj, wave, Weighting.model_validate(w))
    return proj, out


def measure_y(frame: pd.DataFrame, measure: str) -> tuple[np.ndarray, np.ndarray]:
    """The R script's y and its non-missing base: heard_yes (heard_of_1177 == 1) or the NPS score ±1/0."""
    if measure == "heard":
        heard = frame["heard_of_1177"].to_numpy()
        return (heard == 1).astype(float), heard > 0
    rec = frame["recommend"].to_numpy()
    return np.where(rec >= 9, 1.0, np.where(rec <= 6, -1.0, 0.0)), rec > 0


def test_pairwise_tests_equal_r(fixture_designs):
    """Difference, SE of the contrast, z and p of every pair equal R's svyglm + svycontrast (z within 1e-6)."""
    _, designs = fixture_designs
    golden = pd.read_csv(GOLDEN / "pairwise.csv", dtype={"a": str, "b": str})
    assert len(golden) == 28
    for row in golden.itertuples():
        d = designs[row.design]
        y, base = measure_y(d.frame, row.measure)
        col = d.frame[row.by]
        diff, se, z, p = domain_contrast(d, y, base & (col == row.a).to_numpy(), base & (col == row.b).to_numpy())
        assert diff == pytest.approx(row.difference, rel=1e-9, abs=1e-12), row
        assert se == pytest.approx(row.se, rel=1e-6), row
        assert abs(z - row.z) < 1e-6, row
        assert abs(p - row.p) < 1e-6, row


def test_independent_formula_would_differ_from_r(fixture_designs):
    """sqrt(se_a² + se_b²) is not R's SE for two sexes of the raked wave: the covariance term matters (> 0.1 %)."""
    _, designs = fixture_designs
    d = designs["rake"]
    y, base = measure_y(d.frame, "nps")
    sex = d.frame["sex"]
    a = estimate_means(d, y, base & (sex == "Man").to_numpy())
    b = estimate_means(d, y, base & (sex == "Kvinna").to_numpy())
    golden = pd.read_csv(GOLDEN / "pairwise.csv")
    r_se = golden[(golden.design == "rake") & (golden.measure == "nps") & (golden.by == "sex")]["se"].iloc[0]
    assert abs(math.hypot(a.se[0], b.se[0]) / r_se - 1) > 1e-3


def test_influence_variance_is_the_estimators_se(fixture_designs):
    """The per-respondent calibrated influence values give each domain's variance exactly as estimate_means (region, both designs)."""
    _, designs = fixture_designs
    for d in designs.values():
        y, base = measure_y(d.frame, "nps")
        dom = base & (d.frame["region"] == "Stockholm-Gotland").to_numpy()
        est, r = calibrated_influence(d, y, dom)
        ref = estimate_means(d, y, dom)
        assert est == pytest.approx(ref.value[0], rel=1e-12)
        assert math.sqrt(covariance(d, [r])[0, 0]) == pytest.approx(ref.se[0], rel=1e-9)


def test_crosstab_letters_equal_r_tests(fixture_designs):
    """recommend by sex and age_group on the raked fixture: the crosstab's NPS tests have R's z, and letters where R's p < 0.05."""
    proj, designs = fixture_designs
    ctx = MetricContext(proj, {2022: designs["rake"]}, 2022, "sv")
    x = question_crosstab(ctx, "recommend", ["sex", "age_group"])
    golden = pd.read_csv(GOLDEN / "pairwise.csv", dtype={"a": str, "b": str})
    golden = golden[(golden.design == "rake") & (golden.measure == "nps")]
    by_label = {(c.block, c.key): c.letter for c in x.columns}
    nps = next(r for r in x.rows if r.key == "nps")
    for row in golden.itertuples():
        la, lb = by_label[(row.by, row.a)], by_label[(row.by, row.b)]
        test = next(t for t in x.tests if t.row == "nps" and (t.a, t.b) == (la, lb))
        assert abs(test.z - row.z) < 1e-6
        winner, loser = (lb, la) if row.z > 0 else (la, lb)
        idx = [c.letter for c in x.columns].index(winner)
        assert (loser in nps.letters[idx]) == (row.p < 0.05)


def test_region_domain_contrast_uses_covariance(fixture_designs):
    """Two regions of one raked wave: Var(b − a) = Var(a) + Var(b) − 2 Cov(a, b), with Cov from the same influence values."""
    _, designs = fixture_designs
    d = designs["rake"]
    y, base = measure_y(d.frame, "heard")
    reg = d.frame["region"]
    da, db = base & (reg == "Norra").to_numpy(), base & (reg == "Västra").to_numpy()
    _, ra = calibrated_influence(d, y, da)
    _, rb = calibrated_influence(d, y, db)
    n = d.n
    cov_ab = n / (n - 1) * (float(ra @ rb) - ra.sum() * rb.sum() / n)
    var = estimate_means(d, y, da).se[0] ** 2 + estimate_means(d, y, db).se[0] ** 2 - 2 * cov_ab
    _, se, _, _ = domain_contrast(d, y, da, db)
    assert se == pytest.approx(math.sqrt(var), rel=1e-9)


@pytest.mark.parametrize("name", ["rake", "poststratify"])
def test_per_cell_covariance_equals_per_respondent(fixture_designs, name):
    """Per-cell summaries give the same variances and covariance of two disjoint regions as the respondent-level influence values."""
    _, designs = fixture_designs
    d = designs[name]
    y, base = measure_y(d.frame, "nps")
    reg = d.frame["region"]
    da, db = base & (reg == "Norra").to_numpy(), base & (reg == "Södra").to_numpy()
    full = covariance(d, [calibrated_influence(d, y, da)[1], calibrated_influence(d, y, db)[1]])
    sa, sb = summarise(d, y, da), summarise(d, y, db)
    assert sa.var == pytest.approx(full[0, 0], rel=1e-9)
    assert sb.var == pytest.approx(full[1, 1], rel=1e-9)
    assert disjoint_covariance(d, sa, sb) == pytest.approx(full[0, 1], rel=1e-9)
    assert abs(full[0, 1]) > 1e-5 * math.sqrt(full[0, 0] * full[1, 1])  # not zero: a missing term would show


def test_repeated_grouping_is_refused(project, tmp_path):
    """--by sex,sex and sex*sex are one-line errors, not overlapping columns."""
    ctx = build_ctx(project, ["heard_of_1177"], {2022: heard_frame(1, 2, 1, 2)}, tmp_path)
    with pytest.raises(ConfigError, match="'sex' is given twice"):
        question_crosstab(ctx, "heard_of_1177", ["sex", "sex"])
    with pytest.raises(ConfigError, match="crosses a variable with itself"):
        question_crosstab(ctx, "heard_of_1177", ["sex*sex"])
