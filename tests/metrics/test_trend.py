"""Trend projection (kind ``trend``): the share per wave, compound annual growth ((last/first)^(1/years) − 1),
growth since the previous wave, and the share projected to a chosen year at each rate."""

from __future__ import annotations

import math

import pytest
from tinyctx import pick, run, value, wave_frame

from pipeline.errors import ConfigError
from pipeline.metrics import COLUMNS


def yes_of_100(k: int):
    return wave_frame({"online_used": [1] * k + [2] * (100 - k)})


@pytest.fixture
def ctx(tiny_ctx):
    """Used an online doctor: 25 % (2018), 36 % (2020), 49 % (2022), 100 respondents each, weight 1."""
    return tiny_ctx(["online_used"], {2018: yes_of_100(25), 2020: yes_of_100(36), 2022: yes_of_100(49)})


def test_shares_growth_and_projections(ctx):
    t = run(ctx, "trend", "online_used", options={"of": "share", "category": 1, "project_to": 2025})
    assert list(t.columns) == COLUMNS
    assert set(t["metric"]) == {"trend"}
    shares = t[t["measure"] == "share"]
    assert list(shares["wave"]) == [2018, 2020, 2022]
    assert list(shares["value"]) == pytest.approx([25.0, 36.0, 49.0])
    # growth 2020 → 2022 over 2 years: (49/36)^(1/2) − 1 = 7/6 − 1 = 16.667 %
    g_last = pick(t, measure="growth_last")
    assert g_last["value"] == pytest.approx(100 / 6)
    assert (g_last["wave"], g_last["label"], g_last["unit"]) == (2022, "2020\u20132022", "growth")
    # average annual growth 2018 → 2022: (49/25)^(1/4) − 1 = √1.4 − 1 = 18.322 %
    cagr = pick(t, measure="cagr")
    assert cagr["value"] == pytest.approx(100 * (math.sqrt(1.4) - 1))
    assert cagr["value"] == pytest.approx(18.3216, rel=1e-5)
    assert cagr["label"] == "2018\u20132022"
    assert (cagr["prev_wave"], g_last["prev_wave"]) == (2018, 2020)  # the waves each growth is measured from
    # projections to 2025, three years on: 49·(7/6)³ = 77.810 and 49·1.4^1.5 = 81.169
    p_last = pick(t, measure="projection_last")
    assert p_last["value"] == pytest.approx(49 * (7 / 6) ** 3)
    assert p_last["value"] == pytest.approx(77.8102, rel=1e-5)
    assert (p_last["wave"], p_last["unit"], p_last["label"]) == (2025, "percent", "17")
    p_avg = pick(t, measure="projection_cagr")
    assert p_avg["value"] == pytest.approx(49 * 1.4**1.5)
    assert p_avg["label"] == "18"


def test_from_wave_and_default_projection_year(ctx):
    """From 2020: (49/36)^(1/2) − 1 = 16.667 %; projection defaults to the report wave + 3 = 2025."""
    t = run(ctx, "trend", "online_used", options={"of": "share", "category": "1", "from_wave": 2020})
    assert value(t, measure="cagr") == pytest.approx(100 / 6)
    assert pick(t, measure="cagr")["label"] == "2020\u20132022"
    assert pick(t, measure="projection_cagr")["wave"] == 2025
    assert value(t, measure="projection_cagr") == pytest.approx(value(t, measure="projection_last"))


def test_projection_to_another_year(ctx):
    t = run(ctx, "trend", "online_used", options={"of": "share", "category": 1, "project_to": 2030})
    assert value(t, measure="projection_last") == pytest.approx(49 * (7 / 6) ** 8)
    assert value(t, measure="projection_cagr") == pytest.approx(49 * 1.4 ** (8 / 2))


def test_decline(tiny_ctx):
    """64 % → 36 % over four years: (36/64)^(1/4) − 1 = √0.75 − 1 = −13.397 %; 2024: 36·0.75 = 27 %."""
    ctx = tiny_ctx(["online_used"], {2018: yes_of_100(64), 2022: yes_of_100(36)})
    t = run(ctx, "trend", "online_used", options={"of": "share", "category": 1, "project_to": 2024})
    assert value(t, measure="cagr") == pytest.approx(100 * (math.sqrt(0.75) - 1))
    assert value(t, measure="growth_last") == pytest.approx(value(t, measure="cagr"))
    assert value(t, measure="projection_cagr") == pytest.approx(27.0)


def test_trend_is_on_the_total_only(tiny_ctx):
    sex = ["Man"] * 50 + ["Kvinna"] * 50
    frames = {2020: wave_frame({"online_used": [1] * 20 + [2] * 80}, sex=sex),
              2022: wave_frame({"online_used": [1] * 40 + [2] * 60}, sex=sex)}
    t = run(tiny_ctx(["online_used"], frames), "trend", "online_used", by=["sex"], options={"of": "share", "category": 1})
    assert set(t["group"]) == {"total"}
    assert value(t, measure="cagr") == pytest.approx(100 * (math.sqrt(2) - 1))  # 20 % → 40 % in two years


def test_bad_options(ctx):
    with pytest.raises(ConfigError, match="required option 'of' is missing"):
        run(ctx, "trend", "online_used", options={"category": 1})
    with pytest.raises(ConfigError, match="from_wave 2019"):
        run(ctx, "trend", "online_used", options={"of": "share", "category": 1, "from_wave": 2019})
    with pytest.raises(ConfigError, match="no category"):
        run(ctx, "trend", "online_used", options={"of": "share", "category": 5})
