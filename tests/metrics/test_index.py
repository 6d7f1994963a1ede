"""Index over a grid's items (kind ``index``): the weighted mean of each respondent's share of items
answered with the given codes (e.g. how many of 1177's four services a person knows)."""

from __future__ import annotations

import pytest
from tinyctx import pick, run, srs_se_pct, value, wave_frame

from pipeline.errors import ConfigError
from pipeline.metrics import COLUMNS

ITEMS = ("aware_phone", "aware_web", "aware_find", "aware_login")


def frame(rows, **kw):
    return wave_frame({item: [r[i] for r in rows] for i, item in enumerate(ITEMS)}, **kw)


def test_index_is_the_mean_share_of_items_known(tiny_ctx):
    """Known (code 1) of four:  r1 4/4 = 1 (w 1), r2 1/4 (w 2), r3 2/4 (w 1), r4 0 (w 0.5), r5 blank (w 0.5, out).
    Index = (1·1 + 2·0.25 + 1·0.5 + 0.5·0) / (1+2+1+0.5) = 2/4.5 = 44.444 %."""
    rows = [(1, 1, 1, 1), (1, 2, 2, 2), (1, 1, 2, 2), (2, 2, 2, 2), (None, None, None, None)]
    ctx = tiny_ctx(["services_aware"], {2022: frame(rows, design_weight=[1.0, 2.0, 1.0, 0.5, 0.5])})
    t = run(ctx, "index", "services_aware", options={"codes": [1]})
    r = pick(t, category="index")
    assert r["value"] == pytest.approx(100 * 2 / 4.5)
    assert r["n"] == 4
    assert r["n_weighted"] == pytest.approx(4.5)
    assert r["measure"] == "index" and r["unit"] == "percent"
    assert r["label"] == "Känner du till följande tjänster från 1177?"
    assert list(t.columns) == COLUMNS
    # codes 1 and 2 together: every answered item counts → 100 %
    assert value(run(ctx, "index", "services_aware", options={"codes": [1, 2]}), category="index") == pytest.approx(100.0)


def test_index_of_chosen_items_and_se(tiny_ctx):
    """Items phone and web only, weight 1: shares 1, 0.5, 0.5, 0 → mean 0.5;
    SE = sqrt(Σ(x−0.5)²/(n(n−1))) = sqrt((0.25+0+0+0.25)/12)."""
    rows = [(1, 1, 2, 2), (1, 2, 2, 2), (2, 1, 1, 1), (2, 2, 1, 1)]
    ctx = tiny_ctx(["services_aware"], {2022: frame(rows)})
    t = run(ctx, "index", "services_aware", items=["aware_phone", "aware_web"],
            options={"codes": [1], "label": {"sv": "Index", "en": "Index"}})
    r = pick(t, category="index")
    assert r["value"] == pytest.approx(50.0)
    assert r["se"] == pytest.approx(100 * (0.5 / 12) ** 0.5)
    assert r["label"] == "Index"
    # with one item the index is that item's share: phone known by 2 of 4
    t1 = run(ctx, "index", "services_aware", items=["aware_phone"], options={"codes": [1]})
    assert value(t1, category="index") == pytest.approx(50.0)
    assert pick(t1, category="index")["se"] == pytest.approx(srs_se_pct(0.5, 4))


def test_index_needs_codes(tiny_ctx):
    ctx = tiny_ctx(["services_aware"], {2022: frame([(1, 1, 1, 1)])})
    with pytest.raises(ConfigError, match="required option 'codes' is missing"):
        run(ctx, "index", "services_aware")
