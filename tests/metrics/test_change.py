"""Change between waves: pp and relative change on every row, the two-sided z test on both waves'
linearized SEs (z = diff / sqrt(se1² + se2²)), the significance level, and the ``change`` kind."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from tinyctx import pick, run, srs_se_pct, value, wave_frame

from pipeline.design import difference_test
from pipeline.errors import ConfigError
from pipeline.metrics import COLUMNS

Q = {
    "id": "q", "type": "single", "waves": [2020, 2022], "text": {"sv": "Fråga", "en": "Question"},
    "categories": [{"code": 1, "label": {"sv": "Ja", "en": "Yes"}}, {"code": 2, "label": {"sv": "Nej", "en": "No"}}],
}


def answers(yes: int, n: int, **kw):
    return wave_frame({"q": [1] * yes + [2] * (n - yes)}, **kw)


def p_two_sided(z: float) -> float:
    """P(|Z| > z) = erfc(z / √2)."""
    return math.erfc(abs(z) / math.sqrt(2))


def test_difference_test_from_given_ses():
    """40 % (SE 3) → 50 % (SE 4): z = 10/5 = 2, p = erfc(2/√2) = 0.0455."""
    z, p = difference_test(0.40, 0.03, 0.50, 0.04)
    assert z == pytest.approx(2.0)
    assert p == pytest.approx(math.erfc(2 / math.sqrt(2)))
    assert p == pytest.approx(0.04550026, rel=1e-6)
    z, p = difference_test(50.0, 4.0, 40.0, 3.0)
    assert z == pytest.approx(-2.0) and p == pytest.approx(0.04550026, rel=1e-6)
    assert all(math.isnan(v) for v in difference_test(0.4, 0.0, 0.5, 0.0))


@pytest.mark.parametrize("before, after, arrow", [(8, 16, "▲"), (16, 8, "▼")])
def test_significant_change_between_waves(tiny_ctx, before, after, arrow):
    """n = 20 per wave, weight 1: 40 % ↔ 80 %. SEs 100·sqrt(0.24/19) = 11.239 and 100·sqrt(0.16/19) = 9.177,
    z = 40 / sqrt(11.239² + 9.177²) = 2.757, p = 0.0058 < 0.05."""
    ctx = tiny_ctx([Q], {2020: answers(before, 20), 2022: answers(after, 20)})
    r = pick(run(ctx, "share", "q"), category="1")
    p_old, p_new = before / 20, after / 20
    se_old, se_new = srs_se_pct(p_old, 20), srs_se_pct(p_new, 20)
    assert (r["wave"], r["prev_wave"]) == (2022, 2020)
    assert r["change"] == pytest.approx(100 * (p_new - p_old))
    assert r["change_rel"] == pytest.approx(100 * (p_new / p_old - 1))  # +100 % or −50 %
    z = 100 * (p_new - p_old) / math.hypot(se_old, se_new)
    assert abs(z) == pytest.approx(2.7568, rel=1e-4)
    assert r["p_value"] == pytest.approx(p_two_sided(z))
    assert r["sig"] == arrow


def test_not_significant_and_significance_level(tiny_ctx):
    """n = 10: 40 % → 80 %, SEs 16.330 and 13.333, z = 40/21.082 = 1.897, p = 0.0578: no mark at 95 %,
    ▲ at alpha 0.10."""
    frames = {2020: answers(4, 10), 2022: answers(8, 10)}
    r = pick(run(tiny_ctx([Q], frames), "share", "q"), category="1")
    z = 40 / math.hypot(srs_se_pct(0.4, 10), srs_se_pct(0.8, 10))
    assert r["p_value"] == pytest.approx(p_two_sided(z))
    assert r["p_value"] == pytest.approx(0.0578, abs=1e-4)
    assert r["sig"] == ""
    r90 = pick(run(tiny_ctx([Q], frames, alpha=0.10), "share", "q"), category="1")
    assert r90["sig"] == "▲"


def test_weighted_change_uses_the_rows_ses(tiny_ctx):
    """With unequal weights the test uses each wave's own linearized SE: p = erfc(|Δ|/√(se1²+se2²)/√2)."""
    frames = {
        2020: answers(3, 8, design_weight=[0.5, 0.5, 0.5, 1.5, 1.5, 1.0, 1.0, 1.5]),  # yes: 1.5 of 8 → 18.75 %
        2022: answers(5, 8, design_weight=[1.5, 1.5, 1.0, 1.0, 1.0, 0.5, 0.5, 1.0]),  # yes: 6 of 8 → 75 %
    }
    t = run(tiny_ctx([Q], frames), "share", "q", waves="all")
    old, new = pick(t, wave=2020, category="1"), pick(t, wave=2022, category="1")
    assert old["value"] == pytest.approx(18.75) and new["value"] == pytest.approx(75.0)
    assert new["change"] == pytest.approx(56.25)
    assert new["change_rel"] == pytest.approx((75 / 18.75 - 1) * 100)  # 300 %
    assert new["p_value"] == pytest.approx(p_two_sided(56.25 / math.hypot(old["se"], new["se"])))
    assert math.isnan(old["change"]) and pd.isna(old["prev_wave"])


def test_previous_wave_is_the_last_that_asked(tiny_ctx):
    """2021 is loaded but did not ask q: 2022 is compared with 2020."""
    only_2021 = {**Q, "id": "other", "waves": [2021]}
    frames = {2020: answers(4, 10), 2021: wave_frame({"other": [1, 2]}), 2022: answers(8, 10)}
    ctx = tiny_ctx([Q, only_2021], frames)
    r = pick(run(ctx, "share", "q"), category="1")
    assert r["prev_wave"] == 2020
    assert r["change"] == pytest.approx(40.0)


def test_no_change_against_a_suppressed_wave(tiny_ctx):
    frames = {2020: answers(4, 8), 2022: answers(8, 12)}
    r = pick(run(tiny_ctx([Q], frames, low_base=(10, 10)), "share", "q"), category="1")
    assert r["base_flag"] == "ok" and r["prev_wave"] == 2020
    assert math.isnan(r["change"]) and math.isnan(r["p_value"]) and r["sig"] == ""


def test_zero_se_in_one_wave_is_still_tested(tiny_ctx):
    """0 of 20 (SE 0) → 10 of 20 (SE 100·sqrt(0.25/19) = 11.471): z = 50/11.471 = 4.36, p ≈ 1.3e-5, ▲."""
    frames = {2020: answers(0, 20), 2022: answers(10, 20)}
    r = pick(run(tiny_ctx([Q], frames), "share", "q"), category="1")
    assert r["change"] == pytest.approx(50.0)
    assert r["p_value"] == pytest.approx(p_two_sided(50 / srs_se_pct(0.5, 20)))
    assert r["sig"] == "▲"


# ------------------------------------------------------------------ the change kind


@pytest.fixture
def change_ctx(tiny_ctx):
    return tiny_ctx([Q], {2020: answers(4, 10), 2022: answers(8, 10)})


def test_change_kind_in_points(change_ctx):
    """40 % → 80 %: +40 pp, SE = sqrt(16.330² + 13.333²) = 21.082."""
    t = run(change_ctx, "change", "q", options={"of": "share", "category": 1, "mode": "points"})
    r = pick(t, group="total")
    assert r["metric"] == "change" and r["measure"] == "change"
    assert r["value"] == pytest.approx(40.0)
    assert r["se"] == pytest.approx(math.hypot(srs_se_pct(0.4, 10), srs_se_pct(0.8, 10)))
    assert r["se"] == pytest.approx(21.0819, rel=1e-5)
    assert r["unit"] == "points"
    assert r["p_value"] == pytest.approx(p_two_sided(40 / 21.0819), rel=1e-4)
    assert list(t.columns) == COLUMNS


def test_change_kind_relative(change_ctx):
    """40 % → 80 %: +100 %. Delta method: 100·sqrt((se_new/old)² + (new·se_old/old²)²)
    = 100·sqrt((13.333/40)² + (80·16.330/1600)²) = 100·sqrt(0.33333² + 0.81650²) = 88.192."""
    r = pick(run(change_ctx, "change", "q", options={"of": "share", "category": 1}), group="total")
    assert r["measure"] == "change_rel" and r["unit"] == "percent"
    assert r["value"] == pytest.approx(100.0)
    se_old, se_new = srs_se_pct(0.4, 10), srs_se_pct(0.8, 10)
    assert r["se"] == pytest.approx(100 * math.hypot(se_new / 40, 80 * se_old / 40**2))
    assert r["se"] == pytest.approx(88.192, rel=1e-4)


def test_change_kind_by_subgroup(tiny_ctx):
    sex = ["Man"] * 5 + ["Kvinna"] * 5
    frames = {2020: wave_frame({"q": [1, 1, 2, 2, 2, 1, 2, 2, 2, 2]}, sex=sex),   # men 40 %, women 20 %
              2022: wave_frame({"q": [1, 1, 1, 2, 2, 1, 1, 1, 1, 2]}, sex=sex)}   # men 60 %, women 80 %
    t = run(tiny_ctx([Q], frames), "change", "q", by=["sex"], options={"of": "share", "category": "1", "mode": "points"})
    assert value(t, group="Man") == pytest.approx(20.0)
    assert value(t, group="Kvinna") == pytest.approx(60.0)
    assert value(t, group="total") == pytest.approx(40.0)  # 30 % → 70 %
    t = run(tiny_ctx([Q], frames), "change", "q", by=["sex"], options={"of": "share", "category": "1"})
    assert value(t, group="Man") == pytest.approx(50.0)  # 60/40 − 1
    assert value(t, group="Kvinna") == pytest.approx(300.0)  # 80/20 − 1


def test_change_kind_needs_options(change_ctx):
    with pytest.raises(ConfigError, match="required option 'of' is missing"):
        run(change_ctx, "change", "q", options={"category": 1})
    with pytest.raises(ConfigError, match="no category"):
        run(change_ctx, "change", "q", options={"of": "share", "category": 7})


def test_change_kind_on_a_grid_uses_each_items_own_previous_se(tiny_ctx):
    """Two items of a grid: each item's change SE combines that item's SEs (not the first item's).
    2020: phone 5/10 known (SE 100·sqrt(0.25/9)), web 1/10 (SE 100·sqrt(0.09/9));
    2022: phone 8/10, web 2/10."""
    def grid(phone, web):
        return wave_frame({"aware_phone": [1] * phone + [2] * (10 - phone), "aware_web": [1] * web + [2] * (10 - web),
                           "aware_find": [1] * 10, "aware_login": [1] * 10})

    ctx = tiny_ctx(["services_aware"], {2020: grid(5, 1), 2022: grid(8, 2)})
    t = run(ctx, "change", "services_aware", items=["aware_phone", "aware_web"],
            options={"of": "share", "category": 1, "mode": "points"})
    phone, web = pick(t, item="aware_phone"), pick(t, item="aware_web")
    assert phone["value"] == pytest.approx(30.0) and web["value"] == pytest.approx(10.0)
    assert phone["se"] == pytest.approx(math.hypot(srs_se_pct(0.5, 10), srs_se_pct(0.8, 10)))
    assert web["se"] == pytest.approx(math.hypot(srs_se_pct(0.1, 10), srs_se_pct(0.2, 10)))
