"""Multi-response questions (kind ``multi``): share of PEOPLE mentioning each item, on the routed base."""

from __future__ import annotations

import pytest
from tinyctx import pick, run, srs_se_pct, value, wave_frame

from pipeline.errors import ConfigError
from pipeline.metrics import COLUMNS

FILTER = {
    "id": "filter", "type": "single", "waves": ["2020-"], "text": {"sv": "Filter", "en": "Filter"},
    "categories": [{"code": 1, "label": {"sv": "Ja", "en": "Yes"}}, {"code": 2, "label": {"sv": "Nej", "en": "No"}}],
}
MULTI = {
    "id": "mq", "type": "multi", "waves": ["2020-"], "text": {"sv": "Vilka?", "en": "Which?"},
    "items": [{"id": f"mq_{k}", "text": {"sv": k.upper(), "en": k.upper()}} for k in "abc"],
    "routing": {"column": "filter", "codes": [1], "description": {"sv": "Bas: ja", "en": "Base: yes"}},
}

#               1    2    3    4    5    6    7     8     9
FILTER_ANS = [1, 1, 1, 1, 1, 1, 1, 2, 2]
A = [1, 1, 1, 0, 0, 1, None, None, 1]  # resp 9 is not routed: a stray answer that must not count
B = [1, 0, 1, 1, 0, 0, None, None, 1]
C = [0, 0, 1, 0, 1, 0, None, None, 0]
W = [2.0, 1.0, 1.0, 1.0, 0.5, 0.5, 1.0, 1.0, 1.0]  # Σ = 9, mean 1


@pytest.fixture
def ctx(tiny_ctx):
    frame = wave_frame({"filter": FILTER_ANS, "mq_a": A, "mq_b": B, "mq_c": C}, design_weight=W)
    return tiny_ctx([FILTER, MULTI], {2022: frame})


def test_share_of_people_not_of_mentions(ctx):
    """Base: routed (filter = 1) and answering at least one item = resp 1-6, Σw = 2+1+1+1+0.5+0.5 = 6.
    a: 2+1+1+0.5 = 4.5 → 75 %; b: 2+1+1 = 4 → 66.667 %; c: 1+0.5 = 1.5 → 25 %.
    Shares of mentions would be 4.5/10 = 45 %, 40 %, 15 %."""
    t = run(ctx, "multi", "mq")
    assert value(t, category="mq_a") == pytest.approx(75.0)
    assert value(t, category="mq_b") == pytest.approx(100 * 4 / 6)
    assert value(t, category="mq_c") == pytest.approx(25.0)
    assert t["value"].sum() > 100  # people can mention several items
    assert set(t["n"]) == {6}
    assert list(t["n_weighted"]) == pytest.approx([6.0, 6.0, 6.0])


def test_routed_base_excludes_unrouted_and_silent(ctx):
    """Resp 7 was asked but answered nothing (not in the base); resp 8-9 were not asked (9's answers are stray)."""
    t = run(ctx, "multi", "mq")
    r = pick(t, category="mq_a")
    assert r["n"] == 6  # not 7 (silent) nor 7/8 (stray)
    assert r["label"] == "A"


def test_items_subset_keeps_the_base(ctx):
    t = run(ctx, "multi", "mq", items=["mq_b"])
    assert list(t["category"]) == ["mq_b"]
    assert value(t, category="mq_b") == pytest.approx(100 * 4 / 6)
    assert pick(t, category="mq_b")["n"] == 6


def test_subgroups_use_the_same_people_rule(tiny_ctx):
    sex = ["Man"] * 3 + ["Kvinna"] * 3
    frame = wave_frame({"filter": [1] * 6, "mq_a": [1, 1, 0, 1, 0, 0], "mq_b": [1, 0, 0, 1, 1, 1], "mq_c": [0] * 6},
                       sex=sex, design_weight=[1.0, 0.5, 1.5, 1.0, 1.0, 1.0])
    t = run(tiny_ctx([FILTER, MULTI], {2022: frame}), "multi", "mq", by=["sex"])
    # men: a = (1+0.5)/3 = 50 %, b = 1/3; women: a = 1/3, b = 3/3
    assert value(t, group="Man", category="mq_a") == pytest.approx(50.0)
    assert value(t, group="Man", category="mq_b") == pytest.approx(100 / 3)
    assert value(t, group="Kvinna", category="mq_a") == pytest.approx(100 / 3)
    assert value(t, group="Kvinna", category="mq_b") == pytest.approx(100.0)
    assert value(t, group="Kvinna", category="mq_c") == pytest.approx(0.0)


def test_se_of_equal_weight_item(tiny_ctx):
    """8 equally weighted, 2 mention a: 25 %, SE = 100·sqrt(0.25·0.75/7)."""
    frame = wave_frame({"filter": [1] * 8, "mq_a": [1, 1, 0, 0, 0, 0, 0, 0], "mq_b": [0] * 8, "mq_c": [1] * 8})
    t = run(tiny_ctx([FILTER, MULTI], {2022: frame}), "multi", "mq")
    r = pick(t, category="mq_a")
    assert r["value"] == pytest.approx(25.0)
    assert r["se"] == pytest.approx(srs_se_pct(0.25, 8))


def test_columns_and_kind_check(ctx):
    t = run(ctx, "multi", "mq")
    assert list(t.columns) == COLUMNS
    assert set(t["measure"]) == {"share"} and set(t["unit"]) == {"percent"}
    with pytest.raises(ConfigError, match="multi-response"):
        run(ctx, "multi", "filter")
