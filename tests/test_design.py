"""Weights, estimates and linearized SEs equal R `survey` on the committed fixture (tests/golden, made by tests/r/golden.R)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from helpers import FIXTURES, GOLDEN

from pipeline.config import Targets, Weighting
from pipeline.design import estimate_means, estimate_shares
from pipeline.load import load_wave
from pipeline.weight import weight_wave

DESIGNS = ["rake", "poststratify", "rake_design"]


@pytest.fixture(scope="module")
def fixture_project(project):
    """The real codebook with the fixture's own targets (tests/fixtures/targets_2022.csv)."""
    t = pd.read_csv(FIXTURES / "targets_2022.csv")
    sex_age = {s: {a: float(v) for a, v in zip(g["age_group"], g["share"], strict=True)} for s, g in t.groupby("sex")}
    data = project.targets.model_dump()
    data["years"] = {2022: {"reference_date": "2021-12-31", "sex_age": sex_age}}
    return project.model_copy(update={"targets": Targets.model_validate(data)})


@pytest.fixture(scope="module")
def designs(fixture_project):
    wave = load_wave(fixture_project, 2022, FIXTURES / "wave_2022.csv")
    out = {}
    for name in DESIGNS:
        w = fixture_project.survey.weighting.model_dump()
        w["method"] = "poststratify" if name == "poststratify" else "rake"
        weighting = Weighting.model_validate(w)
        wv = wave
        if name == "rake_design":
            frame = wave.frame.copy()
            frame["design_weight"] = 0.7 + (frame["respondent_id"].astype(np.int64) % 7) / 10  # same formula as golden.R
            wv = replace(wave, frame=frame)
        out[name] = weight_wave(fixture_project, wv, weighting)
    return out


@pytest.fixture(scope="module")
def golden():
    return pd.read_csv(GOLDEN / "estimates.csv")


def r_value(golden, design, name):
    row = golden[(golden["design"] == design) & (golden["name"] == name)]
    assert len(row) == 1, name
    return float(row["value"].iloc[0]), float(row["se"].iloc[0])


@pytest.mark.parametrize("name", DESIGNS)
def test_weights_equal_r(designs, name):
    """Weights equal R's rake/postStratify within 1e-9 relative, respondent by respondent."""
    r = pd.read_csv(GOLDEN / f"weights_{name}.csv")
    d = designs[name]
    ours = pd.Series(d.weights, index=d.frame["respondent_id"].astype(np.int64))
    rel = np.abs(ours.loc[r["respondent_id"]].to_numpy() / r["weight"].to_numpy() - 1)
    assert rel.max() < 1e-9


def nps_score(recommend):
    return np.where(recommend >= 9, 1.0, np.where(recommend <= 6, -1.0, 0.0))


@pytest.mark.parametrize("name", DESIGNS)
def test_nps_and_shares_equal_r(designs, golden, name):
    """NPS (mean of +1/0/−1), band shares, a routed share, a mean without 'Vet ej' and a 4-category share: values and SEs as R."""
    d = designs[name]
    f = d.frame
    rec = f["recommend"].to_numpy()
    asked = rec > 0
    checks = []
    est = estimate_means(d, nps_score(rec), asked)
    checks.append((est.value[0], est.se[0], "npsnps"))
    bands = np.where(rec >= 9, 2, np.where(rec <= 6, 0, 1))
    est = estimate_shares(d, bands, 3, asked)
    for k, b in enumerate(["detractor", "passive", "promoter"]):
        checks.append((est.value[k], est.se[k], f"band:band{b}"))
    est = estimate_means(d, rec.astype(float), asked)
    checks.append((est.value[0], est.se[0], "recommend_meanrecommend"))
    login = f["use_login"].to_numpy()
    codes = np.select([login == 1, login == 2, login == 3, login == 99], [0, 1, 2, 3], -1)
    est = estimate_shares(d, codes, 4, login >= 0)
    for k, c in enumerate(["1", "2", "3", "99"]):
        checks.append((est.value[k], est.se[k], f"use_login:use_login_f{c}"))
    weekday = f["dt_weekday"].to_numpy()
    est = estimate_means(d, weekday.astype(float), (weekday > 0) & (weekday != 99))
    checks.append((est.value[0], est.se[0], "weekday_meanweekday"))
    est = estimate_means(d, f["ls_journal"].to_numpy().astype(float), np.isin(login, [2, 3]))
    checks.append((est.value[0], est.se[0], "ls_journal_routedls_journal"))
    heard = f["heard_of_1177"].to_numpy()
    est = estimate_means(d, (heard == 1).astype(float), heard > 0)
    checks.append((est.value[0], est.se[0], "heard:heard_yes"))
    for value, se, key in checks:
        r_v, r_se = r_value(golden, name, key)
        assert value == pytest.approx(r_v, rel=1e-9, abs=1e-12), key
        assert se == pytest.approx(r_se, rel=1e-6), key


@pytest.mark.parametrize("name", DESIGNS)
def test_domain_estimates_equal_r(designs, golden, name):
    """Subgroup (domain) NPS by sex, age group and region: values and SEs as R's svymean on subset()."""
    d = designs[name]
    f = d.frame
    rec = f["recommend"].to_numpy()
    score = nps_score(rec)
    for col, value, key in [("sex", "Man", "nps_sex=Mannps"), ("sex", "Kvinna", "nps_sex=Kvinnanps"),
                            ("age_group", "18-29", "nps_age=18-29nps"), ("age_group", "65+", "nps_age=65+nps"),
                            ("region", "Stockholm-Gotland", "nps_region=3nps")]:
        est = estimate_means(d, score, (rec > 0) & (f[col] == value).to_numpy())
        r_v, r_se = r_value(golden, name, key)
        assert est.value[0] == pytest.approx(r_v, rel=1e-9)
        assert est.se[0] == pytest.approx(r_se, rel=1e-6)


def test_fixed_weight_se_would_be_wrong(designs, golden):
    """The naive fixed-weights SE (as balance and samplics report) is not R's calibrated SE; ours is R's."""
    d = designs["rake"]
    rec = d.frame["recommend"].to_numpy()
    asked = rec > 0
    y, w = nps_score(rec)[asked], d.weights[asked]
    mean = (w * y).sum() / w.sum()
    z = np.zeros(len(d.weights))
    z[asked] = w * (y - mean) / w.sum()
    n = len(z)
    naive = np.sqrt(n / (n - 1) * ((z - z.mean()) ** 2).sum())
    _, r_se = r_value(golden, "rake", "npsnps")
    assert abs(naive / r_se - 1) > 0.003  # 0.7 % on this sample; larger where weights vary more
    assert estimate_means(d, nps_score(rec), asked).se[0] == pytest.approx(r_se, rel=1e-6)
