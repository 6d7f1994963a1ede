"""Driver analysis (kind ``drivers``): correlation with the outcome, Johnson's relative weights (equal to the
squared correlations and summing to R² when the predictors are uncorrelated), agreement share, quadrants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tinyctx import pick, run, value, wave_frame

from pipeline.metrics import COLUMNS
from pipeline.metrics.drivers import correlations, relative_weights

# Eight respondents on a balanced design: four mutually orthogonal centred patterns
X1 = [-2, -2, -2, -2, 2, 2, 2, 2]
X2 = [-2, -2, 2, 2, -2, -2, 2, 2]
X3 = [2, 2, -2, -2, -2, -2, 2, 2]  # X1·X2 interaction sign pattern
E = [-1, 1, -1, 1, -1, 1, -1, 1]
# outcome y = 5 + X1 + X2/2 + E = 1, 3, 3, 5, 5, 7, 7, 9; centred yc = −4, −2, −2, 0, 0, 2, 2, 4, Σyc² = 48
Y = [1, 3, 3, 5, 5, 7, 7, 9]
# Σ X1·yc = 32, Σ X1² = 32 → r1 = 32/√(32·48) = √(2/3) = 0.8165
# Σ X2·yc = 16, Σ X2² = 32 → r2 = 16/√(32·48) = √(1/6) = 0.4082
# Σ X3·yc = 0 → r3 = 0;  Σ E·yc = 8, Σ E² = 8 → rE = 8/√(8·48) = √(1/6)
R1, R2, RE = math.sqrt(2 / 3), math.sqrt(1 / 6), math.sqrt(1 / 6)

TARGET = {"id": "y", "type": "scale", "waves": ["2020-"], "text": {"sv": "Rekommenderar", "en": "Recommends"},
          "scale": {"min": 1, "max": 10}}


def grid(n_items: int) -> dict:
    return {
        "id": "drv", "type": "grid", "waves": ["2020-"], "dont_know": "keep",
        "text": {"sv": "Påståenden", "en": "Statements"},
        "items": [{"id": f"d{i}", "text": {"sv": f"Påstående {i}", "en": f"Statement {i}"}} for i in range(1, n_items + 1)],
        "scale": {"min": 1, "max": 5},
    }


def shifted(pattern, scale=0.5, offset=3):
    return [int(offset + scale * v) for v in pattern]


def test_uncorrelated_predictors_relative_weights_are_squared_correlations(tiny_ctx):
    """Two uncorrelated predictors: raw weights r1² = 2/3 and r2² = 1/6, R² = 5/6, shares 80 % and 20 %."""
    frame = wave_frame({"y": Y, "d1": shifted(X1), "d2": shifted(X2)})
    t = run(tiny_ctx([TARGET, grid(2)], {2022: frame}), "drivers", "drv", options={"target": "y"})
    assert value(t, category="d1", measure="correlation") == pytest.approx(R1)
    assert value(t, category="d2", measure="correlation") == pytest.approx(R2)
    assert value(t, category="r2", measure="r2") == pytest.approx(2 / 3 + 1 / 6)
    assert value(t, category="d1", measure="relative_weight") == pytest.approx(100 * (2 / 3) / (5 / 6))  # 80
    assert value(t, category="d2", measure="relative_weight") == pytest.approx(100 * (1 / 6) / (5 / 6))  # 20
    assert pick(t, category="d1", measure="relative_weight")["unit"] == "percent"
    assert pick(t, category="d1", measure="correlation")["unit"] == "coefficient"
    assert list(t.columns) == COLUMNS


def test_four_orthogonal_predictors_explain_everything(tiny_ctx):
    """y is exactly 5 + X1 + X2/2 + E: R² = r1² + r2² + r3² + rE² = 2/3 + 1/6 + 0 + 1/6 = 1."""
    frame = wave_frame({"y": Y, "d1": shifted(X1), "d2": shifted(X2), "d3": shifted(X3), "d4": shifted(E, 1)})
    t = run(tiny_ctx([TARGET, grid(4)], {2022: frame}), "drivers", "drv", options={"target": "y"})
    assert value(t, category="r2") == pytest.approx(1.0)
    shares = [value(t, category=f"d{i}", measure="relative_weight") for i in range(1, 5)]
    assert shares == pytest.approx([100 * 2 / 3, 100 / 6, 0.0, 100 / 6], abs=1e-9)
    assert sum(shares) == pytest.approx(100.0)
    assert value(t, category="d3", measure="correlation") == pytest.approx(0.0, abs=1e-12)
    assert value(t, category="d4", measure="correlation") == pytest.approx(RE)


def test_relative_weights_function():
    """Orthogonal predictors: raw weights = r²; correlated predictors: raw weights still sum to R² = r' R⁻¹ r."""
    raw, r2 = relative_weights(np.eye(2), np.array([0.6, 0.3]))
    assert raw == pytest.approx([0.36, 0.09])
    assert r2 == pytest.approx(0.45)
    # two predictors correlated 0.5, each correlated 0.5 with y: by symmetry equal weights,
    # R² = r' R⁻¹ r = 2·0.5²/(1+0.5) = 1/3, each weight 1/6
    raw, r2 = relative_weights(np.array([[1.0, 0.5], [0.5, 1.0]]), np.array([0.5, 0.5]))
    assert r2 == pytest.approx(1 / 3)
    assert raw == pytest.approx([1 / 6, 1 / 6])


def weighted_corr(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """The item-outcome correlation of ``correlations`` for one item answered by everybody."""
    every = np.ones(len(x), dtype=bool)
    r_xy, _ = correlations([x], [every], y, every, every, w)
    return float(r_xy[0])


def test_weighted_corr_by_hand():
    """x = 1, 2, 3 with weights 1, 1, 2 and y = x: r = 1; y = 3 − x: r = −1; weight 2 = the row twice."""
    x, w = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 2.0])
    assert weighted_corr(x, x, w) == pytest.approx(1.0)
    assert weighted_corr(x, 3 - x, w) == pytest.approx(-1.0)
    y = np.array([2.0, 1.0, 4.0])
    assert weighted_corr(x, y, w) == pytest.approx(np.corrcoef([1, 2, 3, 3], [2, 1, 4, 4])[0, 1])
    assert math.isnan(weighted_corr(x, np.ones(3), w))


def test_quadrants_and_agreement(tiny_ctx):
    """Importance = correlation: d1 0.816, d2 0.408, d3 0, d4 −0.816 (mean 0.102) → d1, d2 high.
    Agreement (4–5 on 1–5): d1 100 %, d2 0 %, d3 100 %, d4 0 % (mean 50) → d1, d3 high.
    Quadrants: d1 strength to keep (1), d2 area to improve (2), d3 secondary strength (3), d4 lower priority (4)."""
    frame = wave_frame({
        "y": Y,
        "d1": shifted(X1, 0.25, 4.5),   # 4 / 5
        "d2": shifted(X2, 0.25, 1.5),   # 1 / 2
        "d3": shifted(X3, 0.25, 4.5),   # 5 / 4
        "d4": shifted(X1, -0.5, 2),     # 3 / 1, opposite of d1
    })
    t = run(tiny_ctx([TARGET, grid(4)], {2022: frame}), "drivers", "drv", options={"target": "y", "importance": "correlation"})
    assert [value(t, category=f"d{i}", measure="agree") for i in range(1, 5)] == pytest.approx([100, 0, 100, 0])
    assert [value(t, category=f"d{i}", measure="correlation") for i in range(1, 5)] == pytest.approx([R1, R2, 0, -R1], abs=1e-12)
    quadrants = {f"d{i}": pick(t, category=f"d{i}", measure="quadrant") for i in range(1, 5)}
    assert {k: r["value"] for k, r in quadrants.items()} == {"d1": 1, "d2": 2, "d3": 3, "d4": 4}
    assert [quadrants[f"d{i}"]["label"] for i in range(1, 5)] == [
        "Styrka att vårda", "Förbättringsområde", "Sekundär styrka", "Lägre prioritet"]


def test_quadrants_by_relative_weight(tiny_ctx):
    """Default importance (relative weight): d1 80 %, d2 20 %; agreement d1 50 % (5s), d2 100 %:
    d1 high importance, low agreement → area to improve; d2 low importance, high agreement → secondary strength."""
    frame = wave_frame({"y": Y, "d1": shifted(X1, 0.5, 4), "d2": shifted(X2, 0.25, 4.5)})  # d1 3/5, d2 4/5
    t = run(tiny_ctx([TARGET, grid(2)], {2022: frame}), "drivers", "drv", options={"target": "y"})
    assert value(t, category="d1", measure="agree") == pytest.approx(50.0)
    assert value(t, category="d2", measure="agree") == pytest.approx(100.0)
    assert value(t, category="d1", measure="quadrant") == 2
    assert value(t, category="d2", measure="quadrant") == 3


def test_weights_count_like_duplicated_respondents(tiny_ctx):
    """Weight 2 on respondent 1 gives the same correlations and weights as respondent 1 twice (weight 1)."""
    base = {"y": Y, "d1": shifted(X1), "d2": shifted(X2, 0.5, 3)}
    dup = {k: [v[0]] + v for k, v in base.items()}
    dw = [2 * 9 / 10] + [9 / 10] * 7  # mean 1, first twice the others
    weighted = run(tiny_ctx([TARGET, grid(2)], {2022: wave_frame(base, design_weight=dw)}), "drivers", "drv", options={"target": "y"})
    doubled = run(tiny_ctx([TARGET, grid(2)], {2022: wave_frame(dup)}), "drivers", "drv", options={"target": "y"})
    for measure in ("correlation", "relative_weight", "agree"):
        for item in ("d1", "d2"):
            assert value(weighted, category=item, measure=measure) == pytest.approx(value(doubled, category=item, measure=measure))
    # and they differ from the unweighted analysis
    plain = run(tiny_ctx([TARGET, grid(2)], {2022: wave_frame(base)}), "drivers", "drv", options={"target": "y"})
    assert value(plain, category="d1", measure="correlation") != pytest.approx(value(weighted, category="d1", measure="correlation"))


def test_vet_ej_is_left_out_of_the_correlations(tiny_ctx):
    """A "Vet ej" (99) on an item drops that respondent from that item's correlation, not 99 as a score."""
    d1 = shifted(X1) + [99]
    frame = wave_frame({"y": Y + [9], "d1": d1, "d2": shifted(X2) + [4]})
    t = run(tiny_ctx([TARGET, grid(2)], {2022: frame}), "drivers", "drv", options={"target": "y"})
    assert value(t, category="d1", measure="correlation") == pytest.approx(R1)


def test_answers_from_respondents_not_routed_to_the_grid_do_not_count(tiny_ctx):
    """Two extra respondents outside the grid's routing answered it anyway (the loader warns that their answers
    are not counted): the correlations are those of the eight routed respondents, r1 = √(2/3) and r2 = √(1/6)."""
    routed_grid = {**grid(2), "routing": {"column": "route", "codes": [1],
                                          "description": {"sv": "De som fick frågan", "en": "Those asked"}}}
    route = {"id": "route", "type": "single", "waves": ["2020-"], "text": {"sv": "Filter", "en": "Filter"},
             "categories": [{"code": 1, "label": {"sv": "Ja", "en": "Yes"}}, {"code": 2, "label": {"sv": "Nej", "en": "No"}}]}
    frame = wave_frame({"y": Y + [10, 1], "d1": shifted(X1) + [1, 5], "d2": shifted(X2) + [1, 5],
                        "route": [1] * 8 + [2, 2]})
    t = run(tiny_ctx([TARGET, route, routed_grid], {2022: frame}), "drivers", "drv", options={"target": "y"})
    assert value(t, category="d1", measure="correlation") == pytest.approx(R1)
    assert value(t, category="d2", measure="correlation") == pytest.approx(R2)
    assert value(t, category="r2", measure="r2") == pytest.approx(2 / 3 + 1 / 6)
