"""Rating scales (kind ``scale``): banded distribution with "Vet ej", band edges (2|3, 6|7, 8|9), mean and n
without "Vet ej", top box 7–10, agreement share, 0–10 and 1–5 scales and grid batteries."""

from __future__ import annotations

import math

import pytest
from tinyctx import pick, run, value, wave_frame

from pipeline.config import Scale
from pipeline.metrics import COLUMNS
from pipeline.metrics.scale import default_bands


def scale_q(qid: str, lo: int = 1, hi: int = 10, dont_know: str = "keep", anchors: dict | None = None) -> dict:
    return {
        "id": qid, "type": "scale", "waves": ["2020-"], "dont_know": dont_know,
        "text": {"sv": f"Skala {qid}", "en": f"Scale {qid}"},
        "scale": {"min": lo, "max": hi, "anchors": anchors or {}},
    }


# one respondent at each band edge, "Vet ej" and a blank
VALUES = [1, 2, 3, 6, 7, 8, 9, 10, 99, None]
W = [1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 0.5, 0.5, 1.0]  # Σ = 10
# base with "Vet ej" kept: resp 1-9, Σw = 9.0; rated (no "Vet ej"): Σw = 8.5


@pytest.fixture
def kept(tiny_ctx):
    return run(tiny_ctx([scale_q("s")], {2022: wave_frame({"s": VALUES}, design_weight=W)}), "scale", "s")


def test_banded_distribution_with_vet_ej(kept):
    dist = kept[kept["measure"] == "share"]
    assert list(dist["category"]) == ["1-2", "3-4", "5-6", "7-8", "9-10", "99"]
    assert value(dist, category="1-2") == pytest.approx(100 * 2 / 9)  # values 1, 2 (not 3)
    assert value(dist, category="3-4") == pytest.approx(100 * 1 / 9)  # value 3
    assert value(dist, category="5-6") == pytest.approx(100 * 1 / 9)  # value 6 (not 7)
    assert value(dist, category="7-8") == pytest.approx(100 * 3 / 9)  # 7 (w 2) and 8
    assert value(dist, category="9-10") == pytest.approx(100 * 1.5 / 9)  # 9 and 10 (w 0.5)
    assert value(dist, category="99") == pytest.approx(100 * 0.5 / 9)
    assert dist["value"].sum() == pytest.approx(100.0)
    assert pick(dist, category="99")["label"] == "Vet ej"
    assert set(dist["n"]) == {9}


def test_mean_and_n_exclude_vet_ej(kept):
    """Mean = Σw·x / Σw over 1..10 answers = (1+2+3+6+2·7+8+9+0.5·10)/8.5 = 48/8.5 = 5.6471; n = 8."""
    r = pick(kept, measure="mean")
    assert r["value"] == pytest.approx(48 / 8.5)
    assert r["n"] == 8
    assert r["n_weighted"] == pytest.approx(8.5)
    assert r["unit"] == "scale"
    assert r["label"] == "Medel"


def test_top_box_is_7_to_10_and_agrees_with_the_bands(kept):
    """Top box 7–10: (2+1+1+0.5)/9 = 50 % (base as the distribution: "Vet ej" kept) = bands 7-8 + 9-10."""
    r = pick(kept, measure="top_box")
    assert r["value"] == pytest.approx(50.0)
    assert r["label"] == "7\u201310"  # ranges read with an en dash
    bands = value(kept, category="7-8") + value(kept, category="9-10")
    assert r["value"] == pytest.approx(bands)
    assert value(kept, measure="agree") == pytest.approx(50.0)  # agreement defaults to the top box


def test_agreement_share_option(tiny_ctx):
    ctx = tiny_ctx([scale_q("s")], {2022: wave_frame({"s": VALUES}, design_weight=W)})
    t = run(ctx, "scale", "s", options={"agree": [9, 10], "top_box": [8, 10]})
    assert value(t, measure="agree") == pytest.approx(100 * 1.5 / 9)  # 9, 10
    assert value(t, measure="top_box") == pytest.approx(100 * 2.5 / 9)  # 8, 9, 10
    assert pick(t, measure="agree")["label"] == "9\u201310"


def test_vet_ej_excluded_from_base(tiny_ctx):
    t = run(tiny_ctx([scale_q("s", dont_know="exclude")], {2022: wave_frame({"s": VALUES}, design_weight=W)}), "scale", "s")
    dist = t[t["measure"] == "share"]
    assert list(dist["category"]) == ["1-2", "3-4", "5-6", "7-8", "9-10"]
    assert value(dist, category="1-2") == pytest.approx(100 * 2 / 8.5)  # 23.529
    assert value(dist, category="7-8") == pytest.approx(100 * 3 / 8.5)
    assert value(t, measure="top_box") == pytest.approx(100 * 4.5 / 8.5)  # 52.941
    assert value(t, measure="mean") == pytest.approx(48 / 8.5)  # the mean does not depend on the policy


def test_measures_option(tiny_ctx):
    ctx = tiny_ctx([scale_q("s")], {2022: wave_frame({"s": VALUES}, design_weight=W)})
    t = run(ctx, "scale", "s", options={"measures": ["mean", "top_box"]})
    assert list(t["measure"]) == ["mean", "top_box"]


def test_mean_se_equal_weights(tiny_ctx):
    """2, 4, 6, 8 with weight 1: mean 5, SE = sqrt(Σ(x−5)² / (n(n−1))) = sqrt(20/12) = 1.2910."""
    t = run(tiny_ctx([scale_q("s")], {2022: wave_frame({"s": [2, 4, 6, 8]})}), "scale", "s")
    r = pick(t, measure="mean")
    assert r["value"] == pytest.approx(5.0)
    assert r["se"] == pytest.approx(math.sqrt(20 / 12))


def test_zero_to_ten_scale_bands(tiny_ctx):
    """0–10: bands 0-2, 3-4, 5-6, 7-8, 9-10 (0 goes with 1-2)."""
    values = [0, 2, 3, 4, 6, 7, 9, 10]
    t = run(tiny_ctx([scale_q("z", 0, 10, "none")], {2022: wave_frame({"z": values})}), "scale", "z")
    dist = t[t["measure"] == "share"]
    assert list(dist["category"]) == ["0-2", "3-4", "5-6", "7-8", "9-10"]
    assert list(dist["value"]) == pytest.approx([25.0, 25.0, 12.5, 12.5, 25.0])
    assert value(t, measure="top_box") == pytest.approx(37.5)  # 7, 9, 10
    assert value(t, measure="mean") == pytest.approx(41 / 8)


def test_default_bands():
    assert default_bands(Scale(min=1, max=10)) == [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10)]
    assert default_bands(Scale(min=0, max=10)) == [(0, 2), (3, 4), (5, 6), (7, 8), (9, 10)]
    assert default_bands(Scale(min=1, max=5)) == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]


def test_five_point_scale(tiny_ctx):
    """1–5: every point its own band (end points labelled with their anchors), top box 4–5."""
    q = scale_q("f", 1, 5, "keep", {1: {"sv": "Inte alls", "en": "Not at all"}, 5: {"sv": "Helt", "en": "Fully"}})
    t = run(tiny_ctx([q], {2022: wave_frame({"f": [1, 2, 4, 5, 5, 99]})}), "scale", "f")
    dist = t[t["measure"] == "share"]
    assert list(dist["category"]) == ["1", "2", "3", "4", "5", "99"]
    assert list(dist["label"]) == ["1=Inte alls", "2", "3", "4", "5=Helt", "Vet ej"]
    assert value(dist, category="5") == pytest.approx(100 * 2 / 6)
    assert value(t, measure="top_box") == pytest.approx(100 * 3 / 6)  # 4, 5, 5 of 6 (Vet ej in the base)
    assert pick(t, measure="top_box")["label"] == "4\u20135"
    assert value(t, measure="mean") == pytest.approx(17 / 5)


def test_battery_rows_per_item(tiny_ctx):
    battery = {
        "id": "bat", "type": "grid", "waves": ["2020-"], "dont_know": "keep",
        "text": {"sv": "Batteri", "en": "Battery"},
        "items": [{"id": "bat_a", "text": {"sv": "A", "en": "A"}}, {"id": "bat_b", "text": {"sv": "B", "en": "B"}}],
        "scale": {"min": 1, "max": 10},
    }
    frame = wave_frame({"bat_a": [10, 9, 2, 7], "bat_b": [1, 1, 99, None]}, design_weight=[1.0, 1.0, 1.0, 1.0])
    t = run(tiny_ctx([battery], {2022: frame}), "scale", "bat")
    assert set(t["item"]) == {"bat_a", "bat_b"}
    assert value(t, item="bat_a", measure="mean") == pytest.approx(7.0)
    assert value(t, item="bat_a", measure="top_box") == pytest.approx(75.0)
    assert value(t, item="bat_b", measure="mean") == pytest.approx(1.0)
    assert pick(t, item="bat_b", measure="mean")["n"] == 2
    assert value(t, item="bat_b", category="99") == pytest.approx(100 / 3)
    assert pick(t, item="bat_a", measure="mean")["item_label"] == "A"


def test_columns(kept):
    assert list(kept.columns) == COLUMNS
    assert set(kept["metric"]) == {"scale"}
