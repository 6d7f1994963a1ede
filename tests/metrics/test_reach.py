"""Cumulative reach (kind ``reach``): for each category of an ordered question the share answering it or a
later (longer) one, "Vet ej" and blanks out of the base."""

from __future__ import annotations

import pytest
from tinyctx import pick, run, value, wave_frame

from pipeline.errors import ConfigError
from pipeline.metrics import COLUMNS

WAIT = {
    "id": "wait", "type": "single", "waves": ["2020-"], "dont_know": "keep",
    "text": {"sv": "Acceptabel väntetid", "en": "Acceptable wait"},
    "categories": [
        {"code": 1, "label": {"sv": "Max 5 min", "en": "Max 5 min"}},
        {"code": 2, "label": {"sv": "Max 15 min", "en": "Max 15 min"}},
        {"code": 3, "label": {"sv": "Max 30 min", "en": "Max 30 min"}},
        {"code": 4, "label": {"sv": "Max 60 min", "en": "Max 60 min"}},
    ],
}
VALUES = [1, 2, 2, 3, 4, 4, 99, None]
W = [1.0, 2.0, 1.0, 1.0, 0.5, 0.5, 1.0, 1.0]  # Σ = 8; base (no 99, no blank): resp 1-6, Σw = 6


@pytest.fixture
def ctx(tiny_ctx):
    return tiny_ctx([WAIT], {2022: wave_frame({"wait": VALUES}, design_weight=W)})


def test_cumulative_reach(ctx):
    t = run(ctx, "reach", "wait")
    assert list(t["category"]) == ["1", "2", "3", "4"]
    assert value(t, category="1") == pytest.approx(100.0)  # everybody accepts at least 5 min
    assert value(t, category="2") == pytest.approx(100 * (2 + 1 + 1 + 0.5 + 0.5) / 6)  # 83.333
    assert value(t, category="3") == pytest.approx(100 * (1 + 0.5 + 0.5) / 6)  # 33.333
    assert value(t, category="4") == pytest.approx(100 * (0.5 + 0.5) / 6)  # 16.667
    assert pick(t, category="2")["label"] == "Max 15 min"
    assert set(t["n"]) == {6}
    assert set(t["measure"]) == {"reach"}


def test_reach_is_the_share_table_summed_from_the_top(ctx):
    reach = run(ctx, "reach", "wait")
    share = run(ctx, "share", "wait", options={"dont_know": "exclude"})
    shares = [value(share, category=str(c)) for c in (1, 2, 3, 4)]
    for c in (1, 2, 3, 4):
        assert value(reach, category=str(c)) == pytest.approx(sum(shares[c - 1:]))
    values = list(reach["value"])
    assert values == sorted(values, reverse=True)


def test_reach_by_subgroup(tiny_ctx):
    frame = wave_frame({"wait": [1, 4, 4, 2, 2, 3]}, sex=["Man"] * 3 + ["Kvinna"] * 3)
    t = run(tiny_ctx([WAIT], {2022: frame}), "reach", "wait", by=["sex"])
    assert value(t, group="Man", category="2") == pytest.approx(100 * 2 / 3)
    assert value(t, group="Man", category="4") == pytest.approx(100 * 2 / 3)
    assert value(t, group="Kvinna", category="3") == pytest.approx(100 * 1 / 3)
    assert value(t, group="Kvinna", category="4") == pytest.approx(0.0)


def test_needs_single_choice(tiny_ctx):
    ctx = tiny_ctx(["services_aware"], {2022: wave_frame({c: [1] for c in ("aware_phone", "aware_web", "aware_find", "aware_login")})})
    with pytest.raises(ConfigError, match="ordered single-choice"):
        run(ctx, "reach", "services_aware")


def test_columns(ctx):
    assert list(run(ctx, "reach", "wait").columns) == COLUMNS
