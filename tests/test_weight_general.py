"""Weighting as configuration: raking and post-stratification on single-choice questions, and no weighting,
give R `survey`'s weights and SEs (tests/golden/*_questions.csv, weights_none*.csv, estimates_general.csv)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from helpers import FIXTURES, GOLDEN

from pipeline.config import Targets, Weighting, YearTargets
from pipeline.design import estimate_means, estimate_shares
from pipeline.errors import ConfigError, DataError, WeightingError
from pipeline.load import load_wave
from pipeline.weight import build_targets, weight_wave

# the same targets as tests/r/golden.R (codes written as YAML would read them: numbers)
WAIT = {1: 0.10, 2: 0.20, 3: 0.20, 4: 0.15, 5: 0.10, 6: 0.07, 7: 0.05, 8: 0.06, 9: 0.07}
PREFERRED = {1: 0.55, 2: 0.20, 3: 0.25}
VISITS = {1: {1: 3000, 2: 1200, 3: 1800}, 2: {1: 9000, 2: 2500, 3: 2500}}  # online_used × preferred_service

SETTINGS = {
    "rake_questions": {"method": "rake", "variables": ["digital_wait", "preferred_service"]},
    "poststratify_questions": {"method": "poststratify", "variables": ["online_used", "preferred_service"]},
    "none": {"method": "none"},
    "none_design": "none",  # the short form
}


def with_targets(project, year_block):
    data = project.targets.model_dump()
    data["years"] = {2022: year_block}
    return project.model_copy(update={"targets": Targets.model_validate(data)})


@pytest.fixture(scope="module")
def general_project(project):
    """The real codebook with question margins and a counts table for 2022 (as golden.R)."""
    return with_targets(project, {
        "reference_date": "2021-12-31",
        "margins": {"digital_wait": WAIT, "preferred_service": PREFERRED},
        "cells": {"variables": ["online_used", "preferred_service"], "shares": VISITS},
        "counts": True,
    })


@pytest.fixture(scope="module")
def designs(general_project):
    wave = load_wave(general_project, 2022, FIXTURES / "wave_2022.csv")
    frame = wave.frame.copy()
    frame["design_weight"] = 0.7 + (frame["respondent_id"].astype(np.int64) % 7) / 10  # same formula as golden.R
    with_design = replace(wave, frame=frame)
    out = {}
    for name, setting in SETTINGS.items():
        weighting = Weighting.model_validate(setting)
        out[name] = weight_wave(general_project, with_design if name == "none_design" else wave, weighting)
    return out


@pytest.fixture(scope="module")
def golden():
    return pd.read_csv(GOLDEN / "estimates_general.csv")


def r_value(golden, design, name):
    row = golden[(golden["design"] == design) & (golden["name"] == name)]
    assert len(row) == 1, name
    return float(row["value"].iloc[0]), float(row["se"].iloc[0])


@pytest.mark.parametrize("name", list(SETTINGS))
def test_weights_equal_r(designs, name):
    """Weights equal R's rake / postStratify on questions, and svydesign's own weights, within 1e-9 relative."""
    r = pd.read_csv(GOLDEN / f"weights_{name}.csv")
    d = designs[name]
    ours = pd.Series(d.weights, index=d.frame["respondent_id"].astype(np.int64))
    rel = np.abs(ours.loc[r["respondent_id"]].to_numpy() / r["weight"].to_numpy() - 1)
    assert rel.max() < 1e-9


def nps_score(recommend):
    return np.where(recommend >= 9, 1.0, np.where(recommend <= 6, -1.0, 0.0))


@pytest.mark.parametrize("name", list(SETTINGS))
def test_estimates_and_ses_equal_r(designs, golden, name):
    """NPS, a mean, band and 4-category shares, a routed mean and domain NPS: values (1e-9) and SEs (1e-6) as R."""
    d = designs[name]
    f = d.frame
    rec = f["recommend"].to_numpy()
    asked = rec > 0
    score = nps_score(rec)
    checks = []
    est = estimate_means(d, score, asked)
    checks.append((est.value[0], est.se[0], "npsnps"))
    est = estimate_means(d, rec.astype(float), asked)
    checks.append((est.value[0], est.se[0], "recommend_meanrecommend"))
    est = estimate_shares(d, np.where(rec >= 9, 2, np.where(rec <= 6, 0, 1)), 3, asked)
    for k, b in enumerate(["detractor", "passive", "promoter"]):
        checks.append((est.value[k], est.se[k], f"band:band{b}"))
    login = f["use_login"].to_numpy()
    est = estimate_shares(d, np.select([login == 1, login == 2, login == 3, login == 99], [0, 1, 2, 3], -1), 4, login >= 0)
    for k, c in enumerate(["1", "2", "3", "99"]):
        checks.append((est.value[k], est.se[k], f"use_login:use_login_f{c}"))
    est = estimate_means(d, f["ls_journal"].to_numpy().astype(float), np.isin(login, [2, 3]))
    checks.append((est.value[0], est.se[0], "ls_journal_routedls_journal"))
    for sex in ("Man", "Kvinna"):
        est = estimate_means(d, score, asked & (f["sex"] == sex).to_numpy())
        checks.append((est.value[0], est.se[0], f"nps_sex={sex}nps"))
    est = estimate_means(d, score, asked & (f["preferred_service"].to_numpy() == 1))
    checks.append((est.value[0], est.se[0], "nps_preferred=1nps"))
    for value, se, key in checks:
        r_v, r_se = r_value(golden, name, key)
        assert value == pytest.approx(r_v, rel=1e-9, abs=1e-12), key
        assert se == pytest.approx(r_se, rel=1e-6), key


def test_raked_question_margins_meet_their_targets(designs):
    """After raking on two questions, each weighted category share is its target (digital_wait 2: 20 %)."""
    d = designs["rake_questions"]
    w = d.weights
    wait = d.frame["digital_wait"].to_numpy()
    assert w[wait == 2].sum() / w.sum() == pytest.approx(0.20, abs=1e-10)
    pref = d.frame["preferred_service"].to_numpy()
    assert w[pref == 1].sum() / w.sum() == pytest.approx(0.55, abs=1e-10)


def test_counts_are_scaled_to_shares(general_project):
    """A cells table of counts (online_used × preferred_service, 20 000 visits) becomes shares: 9000/20000 = 0.45."""
    t = build_targets(general_project, 2022, Weighting(method="poststratify", variables=["online_used", "preferred_service"]))
    assert t.joint is not None
    assert t.joint[3] == pytest.approx(0.45)  # online_used 2 × preferred_service 1, C order
    assert t.shares["online_used"] == pytest.approx([0.3, 0.7])


def test_poststratify_cells_follow_the_variables_order(general_project):
    """Post-stratifying on [preferred_service, online_used] reads the same table transposed: cell (1, 2) is 9000/20000."""
    t = build_targets(general_project, 2022, Weighting(method="poststratify", variables=["preferred_service", "online_used"]))
    assert t.joint is not None
    assert t.joint[1] == pytest.approx(0.45)


def test_no_weighting_has_weight_one_and_no_targets(designs):
    """method none: every weight is 1 without design weights, and no margins are reported."""
    d = designs["none"]
    assert np.all(d.weights == 1.0)
    assert d.diagnostics.method == "none"
    assert d.diagnostics.margins == ()
    assert d.targets == []


def test_no_weighting_needs_no_targets(project):
    """method none weights a wave of a year without targets (2030)."""
    empty = project.model_copy(update={"targets": Targets.model_validate({"source": "", "population": "", "years": {}})})
    wave = load_wave(empty, 2022, FIXTURES / "wave_2022.csv")
    assert weight_wave(empty, replace(wave, year=2030), Weighting(method="none")).n == wave.n


def test_a_margin_missing_for_a_weighting_variable_is_named(general_project):
    """Raking on online_used with only a cells table over it works; on a question without targets it names the fix."""
    with pytest.raises(ConfigError, match=r"years\.2022: weighting uses heard_of_1177 but no heard_of_1177 shares.*margins\.heard_of_1177"):
        build_targets(general_project, 2022, Weighting(method="rake", variables=["heard_of_1177", "preferred_service"]))


def test_poststratify_without_a_joint_table_is_refused(general_project):
    """Post-stratification on two variables given only as margins says to use rake."""
    with pytest.raises(ConfigError, match=r"poststratify needs a cells table over exactly digital_wait × preferred_service"):
        build_targets(general_project, 2022, Weighting(method="poststratify", variables=["digital_wait", "preferred_service"]))


def test_shares_must_sum_to_one_unless_counts(project):
    """Margins of shares that sum to 1.1 are refused with the sum; the same with counts: true are scaled."""
    block = {"margins": {"preferred_service": {1: 0.6, 2: 0.25, 3: 0.25}}}
    weighting = Weighting(variables=["preferred_service"])
    with pytest.raises(WeightingError, match=r"preferred_service target shares sum to 1\.100000"):
        build_targets(with_targets(project, block), 2022, weighting)
    t = build_targets(with_targets(project, {**block, "counts": True}), 2022, weighting)
    assert t.shares["preferred_service"] == pytest.approx([0.6 / 1.1, 0.25 / 1.1, 0.25 / 1.1])


def test_unknown_category_and_variable_are_refused(project):
    """A margin naming an answer code the question lacks, or a weighting variable that is no single-choice question, is one line."""
    from pipeline.config import _check_targets

    bad = Targets.model_validate({"years": {2022: {"margins": {"preferred_service": {1: 0.5, 4: 0.5}}}}})
    with pytest.raises(ConfigError, match=r"years\.2022\.margins\.preferred_service: unknown preferred_service category '4'"):
        _check_targets(bad, project.codebook, FIXTURES / "targets.yaml")
    with pytest.raises(ConfigError, match=r"unknown variable 'recommend' \(it is a scale question\)"):
        build_targets(project, 2022, Weighting(variables=["recommend"]))


def test_respondents_without_an_answer_stop_the_weighting(general_project):
    """Raking on a question some respondents left blank names how many and the fix."""
    wave = load_wave(general_project, 2022, FIXTURES / "wave_2022.csv")
    frame = wave.frame.copy()
    frame.loc[:2, "preferred_service"] = -1
    with pytest.raises(WeightingError, match=r"3 respondent\(s\) without preferred_service .*give every respondent an answer"):
        weight_wave(general_project, replace(wave, frame=frame), Weighting(variables=["digital_wait", "preferred_service"]))


def test_a_weighting_column_absent_from_the_wave_is_named(general_project):
    """A weighting variable whose column the wave lacks is a one-line error naming the column."""
    wave = load_wave(general_project, 2022, FIXTURES / "wave_2022.csv")
    frame = wave.frame.drop(columns=["digital_wait"])
    with pytest.raises(DataError, match=r"wave 2022: column 'digital_wait' is not in the wave file"):
        weight_wave(general_project, replace(wave, frame=frame), Weighting(variables=["digital_wait", "preferred_service"]))


def test_old_and_new_forms_of_the_same_table_are_not_both_given():
    """sex_age together with cells is refused (they are the same table)."""
    with pytest.raises(ValueError, match="either as sex_age"):
        YearTargets.model_validate({"sex_age": {"Man": {"18-29": 1.0}}, "cells": {"variables": ["sex"], "shares": {"Man": 1.0}}})
