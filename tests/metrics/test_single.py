"""Single-choice shares (kind ``share``): weighted shares, "Vet ej" kept or excluded, routing, grids,
subgroups (sex, age group, sex × age, region), low-base flags at 29/30/99/100 and the full column set."""

from __future__ import annotations

import math

import pytest
from tinyctx import Z95, pick, run, srs_se_pct, value, wave_frame

from pipeline.metrics import COLUMNS


def single(qid: str, dont_know: str = "none", routing: dict | None = None) -> dict:
    q = {
        "id": qid, "type": "single", "waves": ["2020-"], "dont_know": dont_know,
        "text": {"sv": f"Fråga {qid}", "en": f"Question {qid}"},
        "categories": [
            {"code": 1, "label": {"sv": "Ett", "en": "One"}},
            {"code": 2, "label": {"sv": "Två", "en": "Two"}},
            {"code": 3, "label": {"sv": "Tre", "en": "Three"}},
        ],
    }
    if routing:
        q["routing"] = routing
    return q


# respondents 1..8; weights chosen (mean 1), one "Vet ej" and one blank
WEIGHTS = [2.0, 2.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
ANSWERS = [1, 2, 1, 3, 99, 1, 2, None]


def vetej_ctx(tiny_ctx, dont_know):
    return tiny_ctx([single("q", dont_know)], {2022: wave_frame({"q": ANSWERS}, design_weight=WEIGHTS)})


def test_weighted_shares_with_vet_ej_kept(tiny_ctx):
    t = run(vetej_ctx(tiny_ctx, "keep"), "share", "q")
    # base: the 7 who answered (blank out), Σw = 2+2+1+1+0.5+0.5+0.5 = 7.5
    assert value(t, category="1") == pytest.approx(100 * (2 + 1 + 0.5) / 7.5)  # 46.667
    assert value(t, category="2") == pytest.approx(100 * (2 + 0.5) / 7.5)  # 33.333
    assert value(t, category="3") == pytest.approx(100 * 1 / 7.5)  # 13.333
    assert value(t, category="99") == pytest.approx(100 * 0.5 / 7.5)  # 6.667
    assert list(t["category"]) == ["1", "2", "3", "99"]  # "Vet ej" last
    assert pick(t, category="99")["label"] == "Vet ej"
    r = pick(t, category="1")
    assert r["n"] == 7
    assert r["n_weighted"] == pytest.approx(7.5)
    # Kish: (Σw)² / Σw² = 7.5² / (4+4+1+1+0.25·3) = 56.25 / 10.75
    assert r["n_effective"] == pytest.approx(56.25 / 10.75)


def test_weighted_shares_with_vet_ej_excluded_from_base(tiny_ctx):
    t = run(vetej_ctx(tiny_ctx, "exclude"), "share", "q")
    # base: the 6 with a real answer, Σw = 7.5 - 0.5 = 7.0
    assert value(t, category="1") == pytest.approx(100 * 3.5 / 7.0)  # 50.0
    assert value(t, category="2") == pytest.approx(100 * 2.5 / 7.0)  # 35.714
    assert value(t, category="3") == pytest.approx(100 * 1.0 / 7.0)  # 14.286
    assert "99" not in set(t["category"])
    assert pick(t, category="1")["n"] == 6


def test_vet_ej_policy_can_be_overridden_per_request(tiny_ctx):
    ctx = vetej_ctx(tiny_ctx, "keep")
    t = run(ctx, "share", "q", options={"dont_know": "exclude"})
    assert value(t, category="1") == pytest.approx(50.0)
    t = run(vetej_ctx(tiny_ctx, "exclude"), "share", "q", options={"dont_know": "keep"})
    assert value(t, category="99") == pytest.approx(100 * 0.5 / 7.5)


def test_weights_matter(tiny_ctx):
    """Unweighted, category 1 is 3 of 6 = 50 %; its three respondents weigh 0.5 each, so weighted it is 25 %."""
    w = [0.5, 2.0, 0.5, 1.0, 1.5, 0.5, 1.5, 0.5]  # Σ = 8
    ctx = tiny_ctx([single("q", "exclude")], {2022: wave_frame({"q": ANSWERS}, design_weight=w)})
    t = run(ctx, "share", "q")
    # answered 1: resp 1, 3, 6 → 0.5+0.5+0.5 = 1.5; base (no 99, no blank): 0.5+2+0.5+1+0.5+1.5 = 6.0
    assert value(t, category="1") == pytest.approx(100 * 1.5 / 6.0)  # 25.0
    assert value(t, category="2") == pytest.approx(100 * (2.0 + 1.5) / 6.0)  # 58.333
    assert value(t, category="3") == pytest.approx(100 * 1.0 / 6.0)  # 16.667


def test_se_and_ci_of_equal_weight_share(tiny_ctx):
    """10 respondents, weight 1, 4 answer 1: 40 %, SE = 100·sqrt(0.4·0.6/9) = 16.330, CI = 40 ± 1.96·SE."""
    ctx = tiny_ctx([single("q")], {2022: wave_frame({"q": [1, 1, 1, 1, 2, 2, 2, 3, 3, 3]})})
    r = pick(run(ctx, "share", "q"), category="1")
    assert r["value"] == pytest.approx(40.0)
    assert r["se"] == pytest.approx(srs_se_pct(0.4, 10))
    assert r["se"] == pytest.approx(16.32993, rel=1e-6)
    assert r["ci_low"] == pytest.approx(40.0 - Z95 * 16.32993, rel=1e-6)
    assert r["ci_high"] == pytest.approx(40.0 + Z95 * 16.32993, rel=1e-6)
    assert r["unit"] == "percent"


def test_confidence_level_from_config(tiny_ctx):
    """90 % interval: 40 ± 1.6449·16.330."""
    ctx = tiny_ctx([single("q")], {2022: wave_frame({"q": [1, 1, 1, 1, 2, 2, 2, 3, 3, 3]})}, confidence=0.90)
    r = pick(run(ctx, "share", "q"), category="1")
    assert r["ci_high"] - r["value"] == pytest.approx(1.6448536 * srs_se_pct(0.4, 10), rel=1e-6)


def test_categories_option_reports_some_codes_on_the_full_base(tiny_ctx):
    t = run(vetej_ctx(tiny_ctx, "keep"), "share", "q", options={"categories": [2]})
    assert list(t["category"]) == ["2"]
    assert value(t, category="2") == pytest.approx(100 * 2.5 / 7.5)


def test_routed_question_counts_only_those_asked(tiny_ctx):
    """Respondents outside the routing are not in the base, even if their file has a (stray) answer."""
    filt = single("filter")
    routed = single("q", routing={"column": "filter", "codes": [1], "description": {"sv": "Bas", "en": "Base"}})
    frame = wave_frame({"filter": [1, 1, 1, 1, 2, 2], "q": [1, 2, 2, None, 1, None]},
                       design_weight=[1.5, 0.5, 1.0, 1.0, 1.0, 1.0])
    t = run(tiny_ctx([filt, routed], {2022: frame}), "share", "q")
    # asked and answering: resp 1-3, Σw = 1.5+0.5+1 = 3.0; the stray answer of resp 5 is ignored
    assert value(t, category="1") == pytest.approx(100 * 1.5 / 3.0)  # 50.0
    assert value(t, category="2") == pytest.approx(100 * 1.5 / 3.0)  # 50.0
    assert pick(t, category="1")["n"] == 3


def test_grid_with_categories_gives_rows_per_item(tiny_ctx):
    frame = wave_frame({"aware_phone": [1, 1, 2, 1], "aware_web": [2, 2, 2, 1], "aware_find": [1, 2, None, None],
                        "aware_login": [2, 2, 2, 2]}, design_weight=[1.0, 1.0, 1.5, 0.5])
    t = run(tiny_ctx(["services_aware"], {2022: frame}), "share", "services_aware", items=["aware_phone", "aware_find"])
    assert set(t["item"]) == {"aware_phone", "aware_find"}
    # aware_phone: yes = 1+1+0.5 of 4 → 62.5 %; aware_find: yes = 1 of (1+1) → 50 %
    assert value(t, item="aware_phone", category="1") == pytest.approx(62.5)
    assert value(t, item="aware_find", category="1") == pytest.approx(50.0)
    assert pick(t, item="aware_phone", category="1")["item_label"] == "1177 på telefon"


# ------------------------------------------------------------------ subgroups

SEX = ["Man", "Man", "Man", "Man", "Kvinna", "Kvinna", "Kvinna", "Kvinna"]
AGE = ["18-29", "18-29", "65+", "65+", "18-29", "65+", "65+", "65+"]
REGION = ["Norra", "Norra", "Västra", "Norra", "Västra", "Västra", "Norra", "Västra"]
YES = [1, 2, 1, 1, 2, 1, 2, 2]
DW = [1.5, 0.5, 1.0, 1.0, 2.0, 1.0, 0.5, 0.5]  # Σ = 8


@pytest.fixture
def groups_table(tiny_ctx):
    frame = wave_frame({"heard_of_1177": YES}, sex=SEX, age_group=AGE, region=REGION, design_weight=DW)
    ctx = tiny_ctx(["heard_of_1177"], {2022: frame})
    return run(ctx, "share", "heard_of_1177", by=["sex", "age_group", "sex_age", "region"])


@pytest.mark.parametrize(
    "group_var, group, expected, n",
    [
        ("total", "total", 100 * (1.5 + 1 + 1 + 1) / 8, 8),  # 56.25
        ("sex", "Man", 100 * (1.5 + 1 + 1) / 4, 4),  # 87.5
        ("sex", "Kvinna", 100 * 1 / 4, 4),  # 25.0
        ("age_group", "18-29", 100 * 1.5 / (1.5 + 0.5 + 2), 3),  # 37.5
        ("age_group", "65+", 100 * 3 / (1 + 1 + 1 + 0.5 + 0.5), 5),  # 75.0
        ("sex_age", "Man 18-29", 100 * 1.5 / 2, 2),  # 75.0
        ("sex_age", "Man 65+", 100.0, 2),
        ("sex_age", "Kvinna 18-29", 0.0, 1),
        ("sex_age", "Kvinna 65+", 100 * 1 / 2, 3),  # 50.0
        ("region", "Norra", 100 * (1.5 + 1) / (1.5 + 0.5 + 1 + 0.5), 4),  # 71.429
        ("region", "Västra", 100 * (1 + 1) / (1 + 2 + 1 + 0.5), 4),  # 44.444
    ],
)
def test_subgroup_shares(groups_table, group_var, group, expected, n):
    r = pick(groups_table, group_var=group_var, group=group, category="1")
    assert r["value"] == pytest.approx(expected)
    assert r["n"] == n


def test_subgroup_labels_and_empty_groups(groups_table):
    assert pick(groups_table, group="total", category="1")["group_label"] == "Totalt"
    assert pick(groups_table, group="Kvinna", category="1")["group_label"] == "Kvinna"
    assert pick(groups_table, group="65+", category="1")["group_label"] == "65 år eller äldre"
    assert pick(groups_table, group="Man 18-29", category="1")["group_label"] == "Man 18\u201329 år"
    assert pick(groups_table, group="Norra", category="1")["group_label"] == "Norra sjukvårdsregionen"
    # every configured category appears, empty ones with n = 0 and no value
    assert set(groups_table[groups_table["group_var"] == "region"]["group"]) == {
        "Norra", "Uppsala-Örebro", "Stockholm-Gotland", "Sydöstra", "Västra", "Södra"}
    empty = pick(groups_table, group="30-44", category="1")
    assert empty["n"] == 0 and math.isnan(empty["value"]) and empty["base_flag"] == "suppressed"
    assert len(groups_table) == (1 + 2 + 4 + 8 + 6) * 2


def test_subgroup_by_a_single_choice_question(tiny_ctx):
    """Groups can be the answers to another single-choice question (group_var = its id)."""
    frame = wave_frame({"heard_of_1177": [1, 1, 2, 2, 1, 2], "online_used": [1, 1, 1, 2, 2, 2]},
                       design_weight=[0.5, 1.5, 1.0, 1.0, 1.0, 1.0])
    t = run(tiny_ctx(["heard_of_1177", "online_used"], {2022: frame}), "share", "heard_of_1177", by=["online_used"])
    # online_used = 1: resp 1-3, yes 0.5+1.5 of 3 → 66.667 %; = 2: resp 4-6, yes 1 of 3 → 33.333 %
    assert value(t, group_var="online_used", group="1", category="1") == pytest.approx(100 * 2 / 3)
    assert value(t, group_var="online_used", group="2", category="1") == pytest.approx(100 / 3)
    assert pick(t, group_var="online_used", group="1", category="1")["group_label"] == "Ja"


# ------------------------------------------------------------------ low base and columns


def test_low_base_flags_at_29_30_99_100(tiny_ctx):
    """Shipped thresholds: below 30 suppressed (value, SE, CI blanked), below 100 flagged low, else ok.
    The flag uses the unweighted n: Norra's 29 have double design weight (weighted n ≈ 52) and stay suppressed."""
    sizes = {"Norra": 29, "Uppsala-Örebro": 30, "Stockholm-Gotland": 99, "Sydöstra": 100}
    region = [r for r, k in sizes.items() for _ in range(k)]
    answers = [1 if i % 2 == 0 else 2 for i in range(len(region))]
    dw = [2.0 if r == "Norra" else 1.0 for r in region]
    ctx = tiny_ctx(["heard_of_1177"], {2022: wave_frame({"heard_of_1177": answers}, region=region, design_weight=dw)},
                   low_base=(30, 100))
    t = run(ctx, "share", "heard_of_1177", by=["region"])
    norra = pick(t, group="Norra", category="1")
    assert norra["n"] == 29 and norra["n_weighted"] > 30
    assert norra["base_flag"] == "suppressed"
    for col in ("value", "se", "ci_low", "ci_high"):
        assert math.isnan(norra[col]), col
    expected = {"Uppsala-Örebro": (30, "low"), "Stockholm-Gotland": (99, "low"), "Sydöstra": (100, "ok")}
    for group, (n, flag) in expected.items():
        r = pick(t, group=group, category="1")
        assert (r["n"], r["base_flag"]) == (n, flag), group
        assert math.isfinite(r["value"]) and math.isfinite(r["se"])
    # Uppsala-Örebro is respondents 29..58 (0-based), every even index answers 1: 15 of 30, weight 1 each
    assert pick(t, group="Uppsala-Örebro", category="1")["value"] == pytest.approx(100 * 15 / 30)
    assert pick(t, group="total", category="1")["base_flag"] == "ok"
    assert pick(t, group="Södra", category="1")["base_flag"] == "suppressed"  # nobody


def test_flag_thresholds_come_from_config(tiny_ctx):
    ctx = tiny_ctx([single("q")], {2022: wave_frame({"q": [1] * 5 + [2] * 5})}, low_base=(5, 11))
    assert set(run(ctx, "share", "q")["base_flag"]) == {"low"}
    ctx = tiny_ctx([single("q")], {2022: wave_frame({"q": [1] * 5 + [2] * 5})}, low_base=(11, 20))
    assert set(run(ctx, "share", "q")["base_flag"]) == {"suppressed"}


def test_every_row_has_every_column(tiny_ctx):
    t = run(vetej_ctx(tiny_ctx, "keep"), "share", "q", by=["sex"])
    assert list(t.columns) == COLUMNS
    assert not t[["metric", "measure", "question", "wave", "group_var", "group", "category", "unit", "base_flag"]].isna().any().any()
    assert set(t["metric"]) == {"share"} and set(t["measure"]) == {"share"}
