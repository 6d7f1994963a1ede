"""Open questions coded with a versioned code frame (kind ``coded``): first vs any mention, nets counted
once per person, the uncoded and "Vet ej" shares, blanks out of the base, and code-frame changes."""

from __future__ import annotations

import pytest
from tinyctx import pick, run, value, wave_frame

from pipeline.errors import ConfigError
from pipeline.metrics import COLUMNS
from pipeline.metrics.coded import frame_changes

VERBATIMS = [
    "Ringer 1177",                  # 1: 1177
    "vårdcentralen eller 1177",     # 2: first vc_hospital; also 1177
    "googlar",                      # 3: google
    "kry appen eller min doktor",   # 4: first kry; also min_doktor (both in the online_doctor net)
    "min granne",                   # 5: uncoded
    "vet ej",                       # 6: don't know
    "",                             # 7: blank: not in the base
    "1177 och sen Livi",            # 8: first 1177; Livi only in frame 2022.1
]
W = [2.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 1.0]  # Σ = 8; base (without the blank) Σw = 7.5
BASE = 7.5


@pytest.fixture
def ctx(tiny_ctx):
    frames = {year: wave_frame({"advice_contact": VERBATIMS}, design_weight=W) for year in (2020, 2022)}
    return tiny_ctx(["advice_contact"], frames)


def test_first_mention(ctx):
    t = run(ctx, "coded", "advice_contact")
    assert set(t["wave"]) == {2022} and set(t["measure"]) == {"first"}
    assert value(t, category="1177") == pytest.approx(100 * (2 + 1) / BASE)  # 40.0: resp 1 and 8
    assert value(t, category="vc_hospital") == pytest.approx(100 * 1 / BASE)  # 13.333
    assert value(t, category="google") == pytest.approx(100 * 1 / BASE)
    assert value(t, category="kry") == pytest.approx(100 * 1 / BASE)
    assert value(t, category="min_doktor") == pytest.approx(0.0)  # mentioned second only
    assert value(t, category="livi") == pytest.approx(0.0)
    assert value(t, category="uncoded") == pytest.approx(100 * 1 / BASE)
    assert value(t, category="dont_know") == pytest.approx(100 * 0.5 / BASE)  # 6.667
    # first mentions partition the base: categories + uncoded + don't know = 100 %
    assert t["value"].sum() == pytest.approx(100.0)
    assert set(t["n"]) == {7}
    assert pick(t, category="uncoded")["label"] == "Ej kodbart svar"
    assert pick(t, category="dont_know")["label"] == "Vet ej"


def test_any_mention(ctx):
    t = run(ctx, "coded", "advice_contact", options={"measure": "any"})
    assert set(t["measure"]) == {"any"}
    assert value(t, category="1177") == pytest.approx(100 * (2 + 1 + 1) / BASE)  # 53.333: resp 1, 2, 8
    assert value(t, category="vc_hospital") == pytest.approx(100 * 1 / BASE)
    assert value(t, category="min_doktor") == pytest.approx(100 * 1 / BASE)
    assert value(t, category="livi") == pytest.approx(100 * 1 / BASE)
    assert value(t, category="app") == pytest.approx(0.0)  # "kry appen" is Kry's app
    assert value(t, category="uncoded") == pytest.approx(100 * 1 / BASE)
    assert value(t, category="dont_know") == pytest.approx(100 * 0.5 / BASE)
    assert t["value"].sum() > 100  # several mentions per person


def test_nets_count_a_person_once(ctx):
    """online_doctor = kry, doktor_se, min_doktor, livi, online_other.
    first: resp 4 (kry) → 1/7.5; any: resp 4 (kry + min doktor, once) and resp 8 (Livi) → 2/7.5 = 26.667 %
    (counting mentions would give 3/7.5 = 40 %)."""
    first = run(ctx, "coded", "advice_contact", options={"nets": ["online_doctor"]})
    assert value(first, category="online_doctor") == pytest.approx(100 * 1 / BASE)
    anym = run(ctx, "coded", "advice_contact", options={"measure": "any", "nets": ["online_doctor"]})
    assert value(anym, category="online_doctor") == pytest.approx(100 * 2 / BASE)
    assert pick(anym, category="online_doctor")["label"] == "Nätläkare"


def test_uncoded_share_is_reported_even_when_categories_are_chosen(ctx):
    t = run(ctx, "coded", "advice_contact", options={"categories": ["1177"]})
    assert list(t["category"]) == ["1177", "uncoded", "dont_know"]
    assert value(t, category="uncoded") == pytest.approx(100 / BASE)
    t = run(ctx, "coded", "advice_contact", options={"categories": ["1177"], "uncoded": False, "dont_know": False})
    assert list(t["category"]) == ["1177"]


def test_each_wave_is_coded_with_its_own_frame(ctx):
    """2020 uses contact@2020.1 (no Livi: "1177 och sen Livi" mentions 1177 only); 2022 uses contact@2022.1."""
    t = run(ctx, "coded", "advice_contact", waves="all", options={"measure": "any", "nets": ["online_doctor"]})
    assert set(t["wave"]) == {2020, 2022}
    assert "livi" not in set(t[t["wave"] == 2020]["category"])
    assert value(t, wave=2022, category="livi") == pytest.approx(100 / BASE)
    assert value(t, wave=2020, category="online_doctor") == pytest.approx(100 * 1 / BASE)  # resp 4 only
    assert value(t, wave=2022, category="online_doctor") == pytest.approx(100 * 2 / BASE)
    assert value(t, wave=2020, category="1177") == pytest.approx(100 * 4 / BASE)
    # resp 8 also says 1177, so without Livi in the frame it is still coded: the uncoded share is unchanged
    assert value(t, wave=2020, category="uncoded") == pytest.approx(100 / BASE)


def test_code_frame_change_is_flagged(ctx):
    q = ctx.project.codebook.question("advice_contact")
    assert frame_changes(ctx, q, [2020, 2022]) == [(2022, "contact@2020.1", "contact@2022.1")]
    assert frame_changes(ctx, q, [2018, 2020, 2021]) == []
    assert frame_changes(ctx, q, [2021, 2022, 2023]) == [(2022, "contact@2020.1", "contact@2022.1")]
    assert frame_changes(ctx, q, [2022]) == []


def test_subgroups(tiny_ctx):
    sex = ["Man", "Man", "Man", "Kvinna", "Kvinna", "Kvinna"]
    texts = ["1177", "vc", "vet ej", "1177", "1177", "googlar"]
    frame = wave_frame({"advice_contact": texts}, sex=sex, design_weight=[1.5, 0.5, 1.0, 1.0, 1.0, 1.0])
    t = run(tiny_ctx(["advice_contact"], {2022: frame}), "coded", "advice_contact", by=["sex"])
    assert value(t, group="Man", category="1177") == pytest.approx(100 * 1.5 / 3)  # 50
    assert value(t, group="Man", category="dont_know") == pytest.approx(100 * 1 / 3)
    assert value(t, group="Kvinna", category="1177") == pytest.approx(100 * 2 / 3)
    assert value(t, group="total", category="1177") == pytest.approx(100 * 3.5 / 6)


def test_bad_options(ctx):
    with pytest.raises(ConfigError, match="option 'measure': 'all' is not allowed; allowed values: first, any"):
        run(ctx, "coded", "advice_contact", options={"measure": "all"})
    with pytest.raises(ConfigError, match="no net"):
        run(ctx, "coded", "advice_contact", options={"nets": ["nope"]})


def test_columns(ctx):
    t = run(ctx, "coded", "advice_contact", by=["sex"])
    assert list(t.columns) == COLUMNS
