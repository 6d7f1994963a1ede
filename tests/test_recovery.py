"""Recovery: from the shipped sample waves, the weighted figures reproduce the published 1177 deck.

The reference values are the published figures (tests/fixtures/published_figures.yaml, a copy of
the deck's figures.yaml), not anything the code computed. Each estimate must lie within its 95 %
confidence interval of the published value (and within rounding where the published figure is
rounded to whole per cent).
"""

from __future__ import annotations

import math
from itertools import pairwise

import pytest
import yaml
from helpers import FIXTURES

from pipeline.config import MetricRequest
from pipeline.locale import Locale
from pipeline.metrics import MetricContext, compute

Z95 = 1.959964


@pytest.fixture(scope="module")
def published():
    return yaml.safe_load((FIXTURES / "published_figures.yaml").read_text(encoding="utf-8"))["slides"]


@pytest.fixture(scope="module")
def ctx(project, shipped_designs):
    return MetricContext(project, shipped_designs, 2022, "sv")


def row(table, **filters):
    t = table
    for k, v in filters.items():
        t = t[t[k].astype(str) == str(v)]
    assert len(t) == 1, filters
    return t.iloc[0]


def within_ci(r, published_value):
    return abs(r["value"] - published_value) <= Z95 * r["se"]


def test_s14_1177_first_choice(ctx, published):
    """S14: 1177 as first choice, 2022/2021/2020 = 55/58/61, each within its 95 % CI."""
    t = compute(ctx, MetricRequest(kind="coded", question="advice_contact", waves=3))
    for wave, value in published["S14"]["figures"]["1177/1177 Vårdguiden/Vårdguiden"]["values"].items():
        assert within_ci(row(t, category="1177", wave=wave, group="total"), value)


def test_s18_aided_awareness(ctx, published):
    """S18: heard of 1177 (99.2 % in 2022) within ±1 point and the CI, and every wave's 'Ja' within its CI."""
    t = compute(ctx, MetricRequest(kind="share", question="heard_of_1177", waves="all"))
    values = published["S18"]["figures"]["Ja"]["values"]
    for wave, value in values.items():
        r = row(t, category="1", wave=wave)
        assert within_ci(r, value), (wave, r["value"])
    assert abs(row(t, category="1", wave=2022)["value"] - values[2022]) <= 1.0


def test_s29_nps(ctx, published):
    """S29: NPS 46, promoters 61, detractors 15 (2022; and 2021, 2020) within CIs; NPS within ±3 points."""
    t = compute(ctx, MetricRequest(kind="nps", question="recommend", waves=3))
    figs = published["S29"]["figures"]
    for wave in (2022, 2021, 2020):
        assert within_ci(row(t, measure="nps", wave=wave), figs["NPS"]["values"][wave])
        assert within_ci(row(t, category="promoters", wave=wave), figs["Promoters"]["values"][wave])
        assert within_ci(row(t, category="detractors", wave=wave), figs["Detractors"]["values"][wave])
    assert abs(row(t, measure="nps", wave=2022)["value"] - figs["NPS"]["values"][2022]) <= 3


def test_s33_reach_at_15_minutes(ctx, published):
    """S33: with a 15-minute wait, 92 % are reached (published commentary), and 46 % at 60 minutes."""
    t = compute(ctx, MetricRequest(kind="reach", question="digital_wait"))
    cf = published["S33"]["commentary_figures"]
    assert within_ci(row(t, category="2"), cf["reach_at_15_min"])
    assert within_ci(row(t, category="4"), cf["reach_at_60_min"])


def test_s31_weekday_mean(ctx, published):
    """S31: weekday daytime mean 7.8 (Vet ej excluded) within its CI, and its n about 1900."""
    t = compute(ctx, MetricRequest(kind="scale", question="digital_times"))
    r = row(t, item="dt_weekday", measure="mean")
    fig = published["S31"]["figures"]["Vardagar, dagtid (vardagar kl. 07-18)"]
    assert within_ci(r, fig["mean"])
    assert abs(r["n"] - fig["n"]) <= 10


@pytest.mark.parametrize("slide,kind,question", [
    ("S13", "coded", "worry_contact"), ("S14", "coded", "advice_contact"), ("S15", "coded", "internet_search"),
    ("S16", "coded", "lifestyle"), ("S23", "coded", "describe_1177"), ("S21", "multi", "logged_in_services"),
])
def test_grouped_bar_slides_match_published_rows(ctx, published, slide, kind, question):
    """Every published row of the grouped-bar slides, matched by label, is within its CI or 1 point of rounding."""
    request = MetricRequest(kind=kind, question=question, waves=3)
    t = Locale.of(ctx.project, "sv").label_rows(compute(ctx, request), ctx.project, request)  # the deck's words for the rows
    t = t[t["group"] == "total"]
    labels = dict(zip(t["label"], t["category"], strict=True))
    matched = 0
    for label, fig in published[slide]["figures"].items():
        if label not in labels:
            continue
        for wave, value in fig["values"].items():
            r = row(t, category=labels[label], wave=wave)
            assert within_ci(r, value) or abs(r["value"] - value) <= 1.0, (label, wave, r["value"], value)
            matched += 1
    assert matched >= 3 * min(5, len(published[slide]["figures"]))


def test_value_batteries_match_published_rows(ctx, published):
    """S24/S26 agreement shares and S25 share 7–10 by item, in the published row order, within CI or rounding."""
    for slide, question, measure, items in [
        ("S24", "operational", "agree", ["op_phone", "op_journal", "op_login", "op_info", "op_app", "op_rights", "op_mental"]),
        ("S26", "soft_values", "agree", None),
        ("S25", "function_rating", "top_box", None),
    ]:
        waves = 1 if slide == "S25" else 3
        t = compute(ctx, MetricRequest(kind="scale", question=question, waves=waves, options={"measures": [measure]}))
        t = t[(t["group"] == "total") & (t["measure"] == measure)]
        order = items or list(dict.fromkeys(t["item"]))
        wave_list = published[slide]["waves"]
        for item, tuple_ in zip(order, published[slide]["row_tuples"], strict=True):
            for wave, value in zip(wave_list, tuple_, strict=True):
                r = row(t, item=item, wave=wave)
                assert within_ci(r, value) or abs(r["value"] - value) <= 1.0, (slide, item, wave, r["value"], value)


def test_unweighted_figures_differ_from_weighted(ctx, shipped_designs):
    """The panel skew shows: unweighted NPS and share of women differ visibly from the weighted ones."""
    d = shipped_designs[2022]
    rec = d.frame["recommend"].to_numpy()
    asked = rec > 0
    score = (rec >= 9).astype(float) - (rec <= 6).astype(float)
    unweighted = score[asked].mean() * 100
    weighted = row(compute(ctx, MetricRequest(kind="nps", question="recommend")), measure="nps")["value"]
    assert abs(unweighted - weighted) > 1.5
    women = (d.frame["sex"] == "Kvinna").mean()
    assert women > 0.53  # population share ~0.50


def test_subgroup_patterns_of_the_commentary(ctx, published):
    """Men 18–29 naming 1177 fall from about 45 % to 39 % (S38); online doctors rise 3 points (S42), most among 18–44 and
    women; NPS of 18–29 rises every wave."""
    t = compute(ctx, MetricRequest(kind="coded", question="advice_contact", waves=2, by=["sex_age", "sex", "age_group"],
                                   options={"nets": ["online_doctor"]}))
    men = t[(t["group"] == "Man 18-29") & (t["category"] == "1177")].set_index("wave")["value"]
    for wave, value in published["S38"]["figures"]["Man 18-29 år"]["values"].items():
        assert men[wave] == pytest.approx(value, abs=1.0), wave
    net = t[(t["category"] == "online_doctor") & (t["wave"] == 2022)].set_index("group")["change"]
    published_total = published["S42"]["figures"]["Nätläkare, förändring totalt (procentenheter)"]["values"]["2021->2022"]
    assert net["total"] == pytest.approx(published_total, abs=0.6)
    for g in ("18-29", "30-44", "Kvinna"):
        assert net[g] > net["total"]
    nps = compute(ctx, MetricRequest(kind="nps", question="recommend", waves="all", by=["age_group"]))
    young = nps[(nps["group"] == "18-29") & (nps["measure"] == "nps")].sort_values("wave")["value"].tolist()
    assert all(b > a for a, b in pairwise(young)) and len(young) >= 3
    bands = compute(ctx, MetricRequest(kind="nps", question="recommend", by=["sex", "age_group"]))
    det = bands[bands["category"] == "detractors"].set_index("group")["value"]
    assert det["Man"] > det["Kvinna"] and det["18-29"] > det["65+"]
    assert not math.isnan(det["total"])


# ---------------------------------------------------------------- every reliable published row (issue 14)


def close(r, value, rounding=1.0):
    """Within the estimate's 95 % CI, or within the rounding of a figure printed to whole per cents."""
    return within_ci(r, value) or abs(r["value"] - value) <= rounding


def matching(rows: list, candidates: list, fits) -> dict:
    """A one-to-one assignment of published rows to computed candidates where ``fits(row, candidate)`` (augmenting
    paths); the published rows left unassigned are the keys missing from the result."""
    owner: dict = {}

    def place(i: int, seen: set) -> bool:
        for j, cand in enumerate(candidates):
            if j in seen or not fits(rows[i], cand):
                continue
            seen.add(j)
            if j not in owner or place(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(rows)):
        place(i, set())
    return {i: candidates[j] for j, i in owner.items()}


@pytest.mark.parametrize("slide,kind,question", [
    ("S13", "coded", "worry_contact"), ("S14", "coded", "advice_contact"), ("S15", "coded", "internet_search"),
    ("S16", "coded", "lifestyle"), ("S23", "coded", "describe_1177"), ("S21", "multi", "logged_in_services"),
])
def test_every_row_tuple_of_the_grouped_bar_slides_is_reproduced(ctx, published, slide, kind, question):
    """Each published row (its values across waves, labels aside) is matched by its own computed category, every
    wave within its CI or the rounding."""
    t = compute(ctx, MetricRequest(kind=kind, question=question, waves=3))
    t = t[(t["group"] == "total") & ~t["category"].astype(str).isin(["uncoded", "dont_know"])]
    waves = published[slide]["waves"]
    present = [c for c in dict.fromkeys(t["category"].astype(str)) if set(waves) <= set(t[t["category"].astype(str) == c]["wave"])]
    cands = [{w: row(t, category=c, wave=w) for w in waves} for c in present]  # codes of every wave's code frame
    tuples = published[slide]["row_tuples"]
    found = matching(tuples, cands, lambda tup, cand: all(close(cand[w], v) for w, v in zip(waves, tup, strict=False)))
    assert sorted(found) == list(range(len(tuples))), [tuples[i] for i in range(len(tuples)) if i not in found]


def test_s20_every_row_of_extent_of_use_including_login(ctx, published):
    """S20: all nine rows (phone, web, login × 2022/2021/2020), every band within its 95 % CI and the printed
    'Antal svar'; the login rows are 6/27/65/2, 8/37/50/5 and 17/39/42/3."""
    t = compute(ctx, MetricRequest(kind="share", question="use_extent", waves=3))
    t = t[t["group"] == "total"]
    rows_ = published["S20"]["row_tuples"]
    order = [(item, wave) for item in ("use_phone", "use_web", "use_login") for wave in (2022, 2021, 2020)]
    assert len(rows_) == len(order)
    for (item, wave), published_row in zip(order, rows_, strict=True):
        for code, value in zip(("1", "2", "3", "99"), published_row["values"], strict=True):
            r = row(t, item=item, category=code, wave=wave)
            assert within_ci(r, value), (item, wave, code, r["value"], value)
        assert row(t, item=item, category="1", wave=wave)["n"] == published_row["n"]


def test_s28_nps_bands_2022(ctx, published):
    """S28: detractors 15, passives 24, promoters 61 and NPS 46 in 2022, each within its CI."""
    t = compute(ctx, MetricRequest(kind="nps", question="recommend", waves=1))
    t = t[t["group"] == "total"]
    figs = published["S28"]["figures"]
    for category, label in (("detractors", "Kritiker (Detractors)"), ("passives", "Passiva (Passives)"),
                            ("promoters", "Ambassadörer (Promoters)")):
        assert within_ci(row(t, category=category, wave=2022), figs[label]["values"][2022])
    assert within_ci(row(t, measure="nps", wave=2022), figs["NPS"]["values"][2022])


BANDS = ("1-2", "3-4", "5-6", "7-8", "9-10")


def test_s31_every_time_slot(ctx, published):
    """S31: the four time slots, every band and "Vet ej" within CI or rounding, means within CI or rounding to one
    decimal, n as printed (±10)."""
    t = compute(ctx, MetricRequest(kind="scale", question="digital_times"))
    t = t[t["group"] == "total"]
    items = ["dt_weekday", "dt_weekend", "dt_evening", "dt_night"]
    for item, fig in zip(items, published["S31"]["figures"].values(), strict=True):
        for band, value in fig["values"][2022].items():
            assert close(row(t, item=item, category="99" if band == "Vet ej" else band), value), (item, band)
        mean = row(t, item=item, measure="mean")
        assert close(mean, fig["mean"], 0.05) and abs(mean["n"] - fig["n"]) <= 10, item


def test_s32_reliable_cells(ctx, published):
    """S32: the printed 1–2 and 9–10 cells, "Vet ej" of psychologist and physiotherapist, means and n."""
    t = compute(ctx, MetricRequest(kind="scale", question="digital_professions"))
    t = t[t["group"] == "total"]
    items = ["dp_nurse", "dp_doctor", "dp_psychologist", "dp_physio"]
    cells = published["S32"]["reliable_cells"]
    for i, item in enumerate(items):
        assert close(row(t, item=item, category="1-2"), cells["1-2"][i]), item
        assert close(row(t, item=item, category="9-10"), cells["9-10"][i]), item
    assert close(row(t, item="dp_psychologist", category="99"), 11) and close(row(t, item="dp_physio", category="99"), 11)
    for item, fig in zip(items, published["S32"]["figures"].values(), strict=True):
        mean = row(t, item=item, measure="mean")
        assert close(mean, fig["mean"], 0.05) and abs(mean["n"] - fig["n"]) <= 10, item


def test_s33_every_waiting_time(ctx, published):
    """S33: all nine waiting-time shares of 2022 within their CIs."""
    t = compute(ctx, MetricRequest(kind="share", question="digital_wait"))
    t = t[t["group"] == "total"]
    for code, fig in enumerate(published["S33"]["figures"].values(), start=1):
        assert within_ci(row(t, category=str(code), wave=2022), fig["values"][2022]), code


def test_s34_every_ranked_row(ctx, published):
    """S34: each printed row (by rank: mean, n, 1–2, 3–4, 9–10, "Vet ej", 5–6 + 7–8) is one errand's figures; the
    labels are a reconstruction, so rows are matched to errands one to one."""
    t = compute(ctx, MetricRequest(kind="scale", question="digital_errands"))
    t = t[t["group"] == "total"]
    items = list(dict.fromkeys(t["item"]))

    def figures(item):
        out = {band: row(t, item=item, category=band) for band in BANDS}
        out["Vet ej"] = row(t, item=item, category="99")
        out["mean"] = row(t, item=item, measure="mean")
        return out

    cands = [figures(item) for item in items]

    def fits(pub, cand):
        middle = cand["5-6"]["value"] + cand["7-8"]["value"]
        return (all(close(cand[b], pub[b]) for b in ("1-2", "3-4", "9-10", "Vet ej"))
                and close(cand["mean"], pub["mean"], 0.05) and abs(cand["mean"]["n"] - pub["n"]) <= 10
                and abs(middle - pub["5-6 + 7-8"]) <= 2.0)

    rows_ = published["S34"]["row_tuples"]
    found = matching(rows_, cands, fits)
    assert sorted(found) == list(range(len(rows_))), [rows_[i]["rank"] for i in range(len(rows_)) if i not in found]


def test_s35_and_s36_single_bars(ctx, published):
    """S35 (own health centre) and S36 (trust): every band and the mean of 2022 within CI or rounding."""
    t = compute(ctx, MetricRequest(kind="scale", question="digital_own_vc"))
    t = t[t["group"] == "total"]
    fig = published["S35"]["figures"]["Egen vårdcentral"]
    for band, value in fig["values"][2022].items():
        assert close(row(t, category="99" if band == "Vet ej" else band, measure="share"), value), band
    assert close(row(t, measure="mean"), fig["mean"], 0.05)
    t = compute(ctx, MetricRequest(kind="scale", question="digital_trust"))
    t = t[t["group"] == "total"]
    fig = published["S36"]["figures"]["Förtroende digitalt vs fysiskt"]
    for code, value in enumerate(fig["values"][2022].values(), start=1):
        assert close(row(t, category=str(code), measure="share"), value), code
    assert close(row(t, measure="mean"), fig["mean"], 0.05)


def test_s18_not_heard_of_1177(ctx, published):
    """S18 'Nej' within its CI for every wave whose pair adds up; 2016 (93.8 + 9.2) and 2014 (88.3 + 12.3) are
    published errors, where 100 − 'Ja' is reproduced instead."""
    t = compute(ctx, MetricRequest(kind="share", question="heard_of_1177", waves="all"))
    ja, nej = published["S18"]["figures"]["Ja"]["values"], published["S18"]["figures"]["Nej"]["values"]
    for wave, value in nej.items():
        r = row(t, category="2", wave=wave, group="total")
        expected = value if abs(ja[wave] + value - 100) < 0.15 else 100 - ja[wave]
        assert within_ci(r, expected), (wave, r["value"], expected)


def test_s40_awareness_record(ctx, published):
    """S40: 99 % know 1177 and the services' awareness averages 95 % in 2022 (within CI or rounding)."""
    figs = published["S40"]["figures"]
    heard = compute(ctx, MetricRequest(kind="share", question="heard_of_1177", waves=1))
    assert close(row(heard, category="1", wave=2022, group="total"), figs["Känner till 1177"]["values"][2022])
    index = compute(ctx, MetricRequest(kind="index", question="services_aware", waves=1, options={"codes": [1]}))
    assert close(row(index, wave=2022, group="total"), figs["Kännedom om tjänsterna (medel av 4)"]["values"][2022])
