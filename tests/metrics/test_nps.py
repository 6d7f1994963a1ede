"""Net Promoter Score (kind ``nps``): 1–10 with detractors 1–6 and 0–10 with detractors 0–6, the 6|7 and
8|9 boundaries, NPS from unrounded shares, "Vet ej" and routing out of the base, distribution, SE and CI."""

from __future__ import annotations

import math

import pytest
from tinyctx import Z95, pick, run, srs_se_pct, value, wave_frame

from pipeline.errors import ConfigError
from pipeline.metrics import COLUMNS

NPS_0_10 = {
    "id": "nps10", "type": "scale", "waves": ["2020-"], "dont_know": "exclude",
    "text": {"sv": "Rekommendera (0–10)", "en": "Recommend (0–10)"},
    "scale": {"min": 0, "max": 10},
    "nps": {"detractors": [0, 6], "passives": [7, 8], "promoters": [9, 10]},
}


@pytest.fixture
def one_to_ten(tiny_ctx, project):
    """Shipped 'recommend' (1–10, detractors 1–6, routed on heard_of_1177 = 1).
    resp:   1  2  3  4  5    6    7   8     9
    value:  1  6  7  8  9    10   99  blank (not asked)
    w:      1  2  1  1  0.5  1.5  1   1     1       Σ = 10
    base: resp 1-6, Σw = 7; detractors 1+2 = 3, passives 1+1 = 2, promoters 0.5+1.5 = 2."""
    frame = wave_frame({"heard_of_1177": [1, 1, 1, 1, 1, 1, 1, 1, 2], "recommend": [1, 6, 7, 8, 9, 10, 99, None, None]},
                       design_weight=[1.0, 2.0, 1.0, 1.0, 0.5, 1.5, 1.0, 1.0, 1.0])
    # the shipped 'recommend' offers no "Vet ej"; allow 99 here to check that it is left out
    recommend = {**project.codebook.question("recommend").model_dump(), "dont_know": "exclude"}
    ctx = tiny_ctx(["heard_of_1177", recommend], {2022: frame})
    return run(ctx, "nps", "recommend", options={"distribution": True})


def test_bands_on_one_to_ten(one_to_ten):
    t = one_to_ten
    assert value(t, category="detractors") == pytest.approx(100 * 3 / 7)  # 1 and 6: 42.857
    assert value(t, category="passives") == pytest.approx(100 * 2 / 7)  # 7 and 8: 28.571
    assert value(t, category="promoters") == pytest.approx(100 * 2 / 7)  # 9 and 10: 28.571
    assert pick(t, category="detractors")["label"] == "Kritiker"
    assert pick(t, category="promoters")["label"] == "Ambassadörer"
    assert set(t[t["measure"] == "share"]["n"]) == {6}  # "Vet ej", blank and not asked are out


def test_nps_from_unrounded_shares(one_to_ten):
    """NPS = 28.571 − 42.857 = −14.286 (rounding the shares first would give 29 − 43 = −14)."""
    r = pick(one_to_ten, measure="nps")
    assert r["value"] == pytest.approx(100 * (2 - 3) / 7)
    assert r["value"] == pytest.approx(value(one_to_ten, category="promoters") - value(one_to_ten, category="detractors"))
    assert r["unit"] == "points"
    assert r["category"] == "nps"


def test_distribution_of_points(one_to_ten):
    dist = one_to_ten[one_to_ten["measure"] == "distribution"]
    assert list(dist["category"]) == [str(p) for p in range(1, 11)]
    expected = {1: 1, 6: 2, 7: 1, 8: 1, 9: 0.5, 10: 1.5}
    for p in range(1, 11):
        assert value(dist, category=str(p)) == pytest.approx(100 * expected.get(p, 0) / 7), p


@pytest.fixture
def zero_to_ten(tiny_ctx):
    """0–10, weight 1: 0 and 6 detractors (2), 7 and 8 passives (2), 9, 10, 10, 10 promoters (4) of 8."""
    frame = wave_frame({"nps10": [0, 6, 7, 8, 9, 10, 10, 10]})
    return run(tiny_ctx([NPS_0_10], {2022: frame}), "nps", "nps10", options={"distribution": True})


def test_bands_on_zero_to_ten(zero_to_ten):
    assert value(zero_to_ten, category="detractors") == pytest.approx(25.0)
    assert value(zero_to_ten, category="passives") == pytest.approx(25.0)
    assert value(zero_to_ten, category="promoters") == pytest.approx(50.0)
    assert value(zero_to_ten, measure="nps") == pytest.approx(25.0)
    dist = zero_to_ten[zero_to_ten["measure"] == "distribution"]
    assert list(dist["category"]) == [str(p) for p in range(0, 11)]
    assert value(dist, category="0") == pytest.approx(12.5)
    assert value(dist, category="10") == pytest.approx(37.5)


def test_nps_se_and_ci(zero_to_ten):
    """Scores −1,−1,0,0,1,1,1,1: mean 0.25, Σ(s−0.25)² = 2·1.5625 + 2·0.0625 + 4·0.5625 = 5.5,
    SE = 100·sqrt(5.5/(8·7)) = 31.339 points; CI = 25 ± 1.96·SE. Promoters 50 %: SE = 100·sqrt(0.25/7)."""
    r = pick(zero_to_ten, measure="nps")
    se = 100 * math.sqrt(5.5 / 56)
    assert r["se"] == pytest.approx(se)
    assert r["ci_low"] == pytest.approx(25 - Z95 * se)
    assert r["ci_high"] == pytest.approx(25 + Z95 * se)
    assert pick(zero_to_ten, category="promoters")["se"] == pytest.approx(srs_se_pct(0.5, 8))


def test_boundaries_6_7_and_8_9_on_both_scales(tiny_ctx):
    """Each boundary value alone: 6 → −100, 7 → 0, 8 → 0, 9 → +100 on both scales; 0 only exists on 0–10."""
    for values, expected in (([6, 6], -100.0), ([7, 7], 0.0), ([8, 8], 0.0), ([9, 9], 100.0), ([0, 10], 0.0)):
        t = run(tiny_ctx([NPS_0_10], {2022: wave_frame({"nps10": values})}), "nps", "nps10")
        assert value(t, measure="nps") == pytest.approx(expected), values
    for values, expected in (([6, 6], -100.0), ([7, 7], 0.0), ([8, 8], 0.0), ([9, 9], 100.0), ([1, 10], 0.0)):
        frame = wave_frame({"heard_of_1177": [1, 1], "recommend": values})
        t = run(tiny_ctx(["heard_of_1177", "recommend"], {2022: frame}), "nps", "recommend")
        assert value(t, measure="nps") == pytest.approx(expected), values


def test_subgroups(tiny_ctx):
    frame = wave_frame({"nps10": [10, 10, 0, 5, 8, 9]}, sex=["Man"] * 3 + ["Kvinna"] * 3)
    t = run(tiny_ctx([NPS_0_10], {2022: frame}), "nps", "nps10", by=["sex"])
    assert value(t, group="Man", measure="nps") == pytest.approx(100 * (2 - 1) / 3)
    assert value(t, group="Kvinna", measure="nps") == pytest.approx(100 * (1 - 1) / 3)


def test_needs_nps_bands(tiny_ctx):
    ctx = tiny_ctx(["heard_of_1177"], {2022: wave_frame({"heard_of_1177": [1, 2]})})
    with pytest.raises(ConfigError, match="nps bands"):
        run(ctx, "nps", "heard_of_1177")


def test_columns(zero_to_ten):
    assert list(zero_to_ten.columns) == COLUMNS
