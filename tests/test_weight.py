"""Weighting stage: raking and post-stratification, hand-computed cases, errors, trimming, properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import EQUAL_TARGETS, design_from_frame, subset_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import ConfigError, WeightingError
from pipeline.weight import rake_cells

AGES = {"18-29": 25, "30-44": 40, "45-64": 50, "65+": 70}
SEXES = {"Man": 1, "Kvinna": 2}


def frame_from_counts(counts: dict[tuple[str, str], int], design_weight: dict | None = None) -> pd.DataFrame:
    """A wave with ``counts[(sex, age_group)]`` respondents per cell (and nothing else asked)."""
    rows = []
    for (sex, age), n in counts.items():
        for _ in range(n):
            row = {"respondent_id": len(rows) + 1, "sex": SEXES[sex], "age": AGES[age], "region": 1, "heard_of_1177": 1}
            if design_weight is not None:
                row["design_weight"] = design_weight[(sex, age)]
            rows.append(row)
    return pd.DataFrame(rows)


def targets_from(sex: dict[str, float], age: dict[str, float]) -> dict:
    return {s: {a: sex[s] * age[a] for a in AGES} for s in SEXES}


@pytest.fixture
def tiny(project):
    def make(targets=None, **weighting):
        return subset_project(project, ["heard_of_1177"], targets={2030: targets or EQUAL_TARGETS}, weighting=weighting or None)

    return make


def test_poststratification_weights_are_target_over_sample_share(tiny, tmp_path):
    """Post-stratified weight = n × target cell share / cell count, exactly."""
    counts = {(s, a): 2 + i for i, (s, a) in enumerate((s, a) for s in SEXES for a in AGES)}
    n = sum(counts.values())  # 2+3+…+9 = 44
    design = design_from_frame(tiny(method="poststratify"), 2030, frame_from_counts(counts), tmp_path)
    frame = design.frame
    for (s, a), k in counts.items():
        got = design.weights[((frame["sex"] == s) & (frame["age_group"] == a)).to_numpy()]
        assert np.allclose(got, n * 0.125 / k, rtol=1e-12)


def test_raking_independent_sample_hits_product_of_margins(tiny, tmp_path):
    """When the sample table is independent (rank one), raking gives cell totals n × t_sex × t_age."""
    row = {"Man": 1, "Kvinna": 2}
    col = {"18-29": 1, "30-44": 2, "45-64": 3, "65+": 4}
    counts = {(s, a): 3 * row[s] * col[a] for s in SEXES for a in AGES}
    n = sum(counts.values())  # 3 × 3 × 10 = 90
    t_sex = {"Man": 0.48, "Kvinna": 0.52}
    t_age = {"18-29": 0.2, "30-44": 0.25, "45-64": 0.3, "65+": 0.25}
    design = design_from_frame(tiny(targets_from(t_sex, t_age)), 2030, frame_from_counts(counts), tmp_path)
    frame = design.frame
    for (s, a), k in counts.items():
        got = design.weights[((frame["sex"] == s) & (frame["age_group"] == a)).to_numpy()]
        assert np.allclose(got, n * t_sex[s] * t_age[a] / k, rtol=1e-10)


def row_level_ipf(
    sex: np.ndarray, age: np.ndarray, start: np.ndarray, t_sex: np.ndarray, t_age: np.ndarray, sweeps: int = 500
) -> np.ndarray:
    """Textbook raking on respondent rows: alternately scale each margin to its target."""
    w = start.astype(float) * len(start) / start.sum()
    total = len(start)
    for _ in range(sweeps):
        for codes, target in ((sex, t_sex), (age, t_age)):
            for k in range(len(target)):
                sel = codes == k
                w[sel] *= target[k] * total / w[sel].sum()
    return w


def test_cell_table_raking_equals_row_level_raking(tiny, tmp_path):
    """Raking the collapsed cell table and gathering back gives the row-level IPF weights (with design weights)."""
    rng = np.random.default_rng(7)
    counts = {(s, a): int(rng.integers(3, 15)) for s in SEXES for a in AGES}
    dw = {(s, a): float(rng.uniform(0.5, 2.0)) for s in SEXES for a in AGES}
    frame = frame_from_counts(counts, dw)
    frame["design_weight"] = frame["design_weight"] * rng.uniform(0.8, 1.25, len(frame))  # vary within cells too
    t_sex = {"Man": 0.49, "Kvinna": 0.51}
    t_age = {"18-29": 0.19, "30-44": 0.25, "45-64": 0.31, "65+": 0.25}
    design = design_from_frame(tiny(targets_from(t_sex, t_age)), 2030, frame, tmp_path)
    f = design.frame
    expected = row_level_ipf(
        f["sex"].cat.codes.to_numpy(), f["age_group"].cat.codes.to_numpy(), f["design_weight"].to_numpy(),
        np.array(list(t_sex.values())), np.array(list(t_age.values())),
    )
    assert np.allclose(design.weights, expected, rtol=1e-10)


def test_diagnostics_match_hand_formulas(tiny, tmp_path):
    """Kish efficiency (Σw)²/(nΣw²), effective n, design effect and weight range from known weights."""
    counts = {(s, a): (4 if s == "Man" else 12) for s in SEXES for a in AGES}  # 16 men, 48 women, n = 64
    design = design_from_frame(tiny(method="poststratify"), 2030, frame_from_counts(counts), tmp_path)
    d = design.diagnostics
    w_man, w_woman = 64 * 0.125 / 4, 64 * 0.125 / 12  # 2.0 and 0.6667
    sw = 16 * w_man + 48 * w_woman
    sw2 = 16 * w_man**2 + 48 * w_woman**2
    assert d.efficiency == pytest.approx(sw * sw / (64 * sw2), rel=1e-12)
    assert d.n_effective == pytest.approx(sw * sw / sw2, rel=1e-12)
    assert d.deff == pytest.approx(64 * sw2 / (sw * sw), rel=1e-12)
    assert (d.min_weight, d.max_weight) == (pytest.approx(w_woman), pytest.approx(w_man))
    weighted = {(v, c): wt for v, c, _, wt, _ in d.margins}
    assert weighted[("sex", "Man")] == pytest.approx(0.5, abs=1e-12)


def test_targets_not_summing_to_one_are_refused(tiny, tmp_path):
    """Targets summing to 1.1 stop the run with an error naming the variable and the sum (R accepts them silently)."""
    bad = {s: dict(v) for s, v in EQUAL_TARGETS.items()}
    bad["Man"]["18-29"] = 0.225
    with pytest.raises(WeightingError, match=r"sex × age_group.*1\.100000"):
        design_from_frame(tiny(bad), 2030, frame_from_counts({(s, a): 3 for s in SEXES for a in AGES}), tmp_path)


def test_missing_target_year_is_a_config_error(project, tmp_path):
    """A wave year without population targets names the year and targets.yaml."""
    p = subset_project(project, ["heard_of_1177"])
    with pytest.raises(ConfigError, match=r"no population targets for wave year 2030.*targets\.yaml|targets\.yaml.*2030"):
        design_from_frame(p, 2030, frame_from_counts({(s, a): 3 for s in SEXES for a in AGES}), tmp_path)


def test_category_absent_from_sample_is_refused_or_collapsed(tiny, tmp_path):
    """No respondents aged 18-29: an error that names the category and the collapse option; with collapse, margins hold."""
    counts = {(s, a): 5 for s in SEXES for a in AGES if a != "18-29"}
    frame = frame_from_counts(counts)
    with pytest.raises(WeightingError, match=r"age_group '18-29'.*collapse"):
        design_from_frame(tiny(), 2030, frame, tmp_path)
    design = design_from_frame(tiny(collapse={"age_group": {"18-29": "30-44"}}), 2030, frame, tmp_path)
    f = design.frame
    share_30_44 = design.weights[(f["age_group"] == "30-44").to_numpy()].sum() / design.weights.sum()
    assert share_30_44 == pytest.approx(0.5, abs=1e-10)  # 0.25 + the 0.25 of 18-29


def test_non_convergence_reports_the_remaining_gap(tiny, tmp_path):
    """Too few iterations is an error stating the largest margin gap."""
    rng = np.random.default_rng(3)
    counts = {(s, a): int(rng.integers(2, 30)) for s in SEXES for a in AGES}
    targets = targets_from({"Man": 0.3, "Kvinna": 0.7}, {"18-29": 0.4, "30-44": 0.1, "45-64": 0.1, "65+": 0.4})
    with pytest.raises(WeightingError, match=r"did not converge in 1 iterations; the largest remaining margin gap is \d"):
        design_from_frame(tiny(targets, max_iterations=1), 2030, frame_from_counts(counts), tmp_path)


def test_trimming_keeps_bounds_and_margins(tiny, tmp_path):
    """With bounds 0.5–2 × mean, every weight is inside the bounds and both margins still hold; capped counts reported."""
    counts = {("Man", "18-29"): 3, ("Man", "30-44"): 6, ("Man", "45-64"): 10, ("Man", "65+"): 14,
              ("Kvinna", "18-29"): 9, ("Kvinna", "30-44"): 9, ("Kvinna", "45-64"): 12, ("Kvinna", "65+"): 16}
    targets = targets_from({"Man": 0.5, "Kvinna": 0.5}, {"18-29": 0.25, "30-44": 0.25, "45-64": 0.25, "65+": 0.25})
    design = design_from_frame(tiny(targets, trim={"lower": 0.5, "upper": 2.0}), 2030, frame_from_counts(counts), tmp_path)
    w, f = design.weights, design.frame
    assert w.min() >= 0.5 - 1e-12 and w.max() <= 2.0 + 1e-12
    for var, cats in (("sex", SEXES), ("age_group", AGES)):
        for c in cats:
            assert w[(f[var] == c).to_numpy()].sum() / w.sum() == pytest.approx(0.5 if var == "sex" else 0.25, abs=1e-9)
    assert design.diagnostics.capped_high + design.diagnostics.capped_low > 0


def test_trimming_that_cannot_hold_is_reported(tiny, tmp_path):
    """Bounds that make the margins impossible give an error, never silently broken margins."""
    counts = {(s, a): (1 if (s, a) == ("Man", "18-29") else 20) for s in SEXES for a in AGES}
    targets = targets_from({"Man": 0.5, "Kvinna": 0.5}, {"18-29": 0.4, "30-44": 0.2, "45-64": 0.2, "65+": 0.2})
    with pytest.raises(WeightingError, match="cannot both hold"):
        design_from_frame(tiny(targets, trim={"lower": 0.8, "upper": 1.25}), 2030, frame_from_counts(counts), tmp_path)


cell_counts = st.lists(st.integers(min_value=1, max_value=60), min_size=8, max_size=8)
shares = st.lists(st.floats(min_value=0.05, max_value=1.0), min_size=4, max_size=4)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts=cell_counts, sex_share=st.floats(min_value=0.2, max_value=0.8), age=shares)
def test_property_margins_equal_targets(counts, sex_share, age):
    """For random samples and targets, every raked margin's weighted share equals its target."""
    counts = np.array(counts, dtype=float)
    age = np.array(age) / sum(age)
    sexes, ages = np.repeat([0, 1], 4), np.tile([0, 1, 2, 3], 2)
    total = counts.sum()
    margins = [np.array([sex_share, 1 - sex_share]) * total, age * total]
    w, _, gap = rake_cells([sexes, ages], np.ones(8), counts, margins, 1e-12, 5000)
    assert gap < 1e-12
    assert np.allclose(np.bincount(sexes, weights=w * counts), margins[0], rtol=1e-9)
    assert np.allclose(np.bincount(ages, weights=w * counts), margins[1], rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(counts=cell_counts, cells=st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=8, max_size=8))
def test_property_raking_on_the_cell_variable_is_poststratification(counts, cells):
    """Raking on the single sex × age variable gives exactly the post-stratification weights."""
    counts = np.array(counts, dtype=float)
    t = np.array(cells) / sum(cells) * counts.sum()
    w, iterations, _ = rake_cells([np.arange(8)], np.ones(8), counts, [t], 1e-13, 100)
    assert np.allclose(w, t / counts, rtol=1e-12)
    assert iterations == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(counts=cell_counts, sex_share=st.floats(min_value=0.3, max_value=0.7))
def test_property_trimming_never_leaves_bounds(project, tmp_path_factory, counts, sex_share):
    """Whatever the sample, trimmed weights stay inside their bounds (or the run says the bounds cannot hold)."""
    table = {(s, a): c for (s, a), c in zip(((s, a) for s in SEXES for a in AGES), counts, strict=True)}
    targets = targets_from({"Man": sex_share, "Kvinna": 1 - sex_share}, dict.fromkeys(AGES, 0.25))
    p = subset_project(project, ["heard_of_1177"], targets={2030: targets}, weighting={"trim": {"lower": 0.4, "upper": 2.5}})
    try:
        design = design_from_frame(p, 2030, frame_from_counts(table), tmp_path_factory.mktemp("trim"))
    except WeightingError as exc:
        assert "cannot both hold" in str(exc)
        return
    mean = design.weights.mean()
    assert design.weights.min() >= 0.4 * mean * (1 - 1e-9)
    assert design.weights.max() <= 2.5 * mean * (1 + 1e-9)


REGIONS = {"Norra": 1, "Stockholm-Gotland": 3}


def test_region_as_extra_raking_margin(project, tmp_path):
    """With region added to the raking variables, all three weighted margins equal their targets."""
    t = project.targets.model_dump()
    regions = dict.fromkeys(project.targets.years[2022].region, 0.0)
    regions.update({"Norra": 0.3, "Stockholm-Gotland": 0.7})
    t["years"] = {2030: {"reference_date": "2029-12-31", "sex_age": EQUAL_TARGETS, "region": regions}}
    from pipeline.config import Targets

    tp = subset_project(project, ["heard_of_1177"], weighting={"variables": ["sex", "age_group", "region"]})
    tp = tp.model_copy(update={"targets": Targets.model_validate(t)})
    rng = np.random.default_rng(7)
    frame = frame_from_counts({(s, a): 5 + 3 * i for i, (s, a) in enumerate((s, a) for s in SEXES for a in AGES)})
    frame["region"] = rng.choice([1, 3], size=len(frame), p=[0.6, 0.4])
    try:
        design = design_from_frame(tp, 2030, frame, tmp_path)
    except ConfigError as exc:  # zero-share regions must be refused explicitly, not silently
        pytest.fail(f"extra region margin refused: {exc}")
    w = design.weights
    f = design.frame
    total = w.sum()
    assert total == pytest.approx(len(frame), rel=1e-12)
    for s in SEXES:
        assert w[(f["sex"] == s).to_numpy()].sum() / total == pytest.approx(0.5, abs=1e-9)
    for a in AGES:
        assert w[(f["age_group"] == a).to_numpy()].sum() / total == pytest.approx(0.25, abs=1e-9)
    assert w[(f["region"] == "Norra").to_numpy()].sum() / total == pytest.approx(0.3, abs=1e-9)
    assert w[(f["region"] == "Stockholm-Gotland").to_numpy()].sum() / total == pytest.approx(0.7, abs=1e-9)


def _with_missing_sex(frame: pd.DataFrame, ids: list[int]) -> pd.DataFrame:
    frame = frame.astype({"sex": object})
    frame.loc[frame["respondent_id"].isin(ids), "sex"] = ""
    return frame


def test_missing_sex_is_an_error_naming_the_respondents(tiny, tmp_path):
    """Default policy: respondents without sex are refused, naming their ids."""
    frame = _with_missing_sex(frame_from_counts({(s, a): 3 for s in SEXES for a in AGES}), [4, 17])
    from pipeline.errors import PipelineError

    with pytest.raises(PipelineError) as err:
        design_from_frame(tiny(), 2030, frame, tmp_path)
    msg = str(err.value)
    assert "sex" in msg and "4" in msg and "17" in msg and "missing_demographics" in msg


def test_missing_sex_exclude_policy_drops_and_reports(tiny, tmp_path):
    """Policy exclude: the 2 respondents are dropped (24 → 22), margins still hit, and the effect is reported."""
    frame = _with_missing_sex(frame_from_counts({(s, a): 3 for s in SEXES for a in AGES}), [4, 17])
    design = design_from_frame(tiny(missing_demographics="exclude"), 2030, frame, tmp_path)
    assert design.n == 22 and design.wave.excluded == 2
    ids = set(design.frame["respondent_id"].astype(str))
    assert len(ids) == 22 and "4" not in ids and "17" not in ids
    assert any("excluded 2" in w for w in design.wave.warnings)
    f, w = design.frame, design.weights
    assert w[(f["sex"] == "Man").to_numpy()].sum() / w.sum() == pytest.approx(0.5, abs=1e-12)


def test_missing_sex_impute_policy_keeps_everyone_and_reports(tiny, tmp_path):
    """Policy impute: all 24 kept; the missing sex takes the most common category (Kvinna: 13 vs 11 known)."""
    counts = {(s, a): 3 for s in SEXES for a in AGES}
    counts[("Kvinna", "65+")] = 5  # Kvinna 14, Man 12 → after blanking ids 1 and 2 (Man): Man 10, Kvinna 14
    frame = _with_missing_sex(frame_from_counts(counts), [1, 2])
    design = design_from_frame(tiny(missing_demographics="impute"), 2030, frame, tmp_path)
    assert design.n == 26
    f = design.frame
    assert list(f.loc[f["respondent_id"].astype(str).isin(["1", "2"]), "sex"]) == ["Kvinna", "Kvinna"]
    assert any("imputed 2" in w for w in design.wave.warnings)
