"""Recovery: from the shipped sample waves, the weighted figures reproduce the published 1177 deck.

The reference values are the published figures (tests/fixtures/published_figures.yaml, a copy of
the deck's figures.yaml), not anything the code computed. Each estimate must lie within its 95 %
confidence interval of the published value (and within rounding where the published figure is
rounded to whole per cent).
"""

from __future__ import annotations

import math

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
    labels = dict(zip(t["label"], t["category"]))
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
        for item, tuple_ in zip(order, published[slide]["row_tuples"]):
            for wave, value in zip(wave_list, tuple_):
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
    t = compute(ctx, MetricRequest(kind="coded", question="advice_contact", waves=2, by=["sex_age", "sex", "age_group"], options={"nets": ["online_doctor"]}))
    men = t[(t["group"] == "Man 18-29") & (t["category"] == "1177")].set_index("wave")["value"]
    for wave, value in published["S38"]["figures"]["Man 18-29 år"]["values"].items():
        assert men[wave] == pytest.approx(value, abs=1.0), wave
    net = t[(t["category"] == "online_doctor") & (t["wave"] == 2022)].set_index("group")["change"]
    assert net["total"] == pytest.approx(published["S42"]["figures"]["Nätläkare, förändring totalt (procentenheter)"]["values"]["2021->2022"], abs=0.6)
    for g in ("18-29", "30-44", "Kvinna"):
        assert net[g] > net["total"]
    nps = compute(ctx, MetricRequest(kind="nps", question="recommend", waves="all", by=["age_group"]))
    young = nps[(nps["group"] == "18-29") & (nps["measure"] == "nps")].sort_values("wave")["value"].tolist()
    assert all(b > a for a, b in zip(young, young[1:])) and len(young) >= 3
    bands = compute(ctx, MetricRequest(kind="nps", question="recommend", by=["sex", "age_group"]))
    det = bands[bands["category"] == "detractors"].set_index("group")["value"]
    assert det["Man"] > det["Kvinna"] and det["18-29"] > det["65+"]
    assert not math.isnan(det["total"])
