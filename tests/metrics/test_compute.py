"""pipeline.metrics.compute: one computation per distinct request within a run, every caller its own copy."""

from __future__ import annotations

import dataclasses

from pipeline.config import MetricRequest
from pipeline.metrics import METRICS, MetricContext, compute


def test_the_same_request_is_computed_once_and_each_caller_gets_a_copy(project, shipped_designs, monkeypatch):
    """Two slides asking for NPS by sex: the kind runs once; a caller writing into its rows does not change the other's."""
    kind = METRICS.get("nps")
    calls = []
    original = kind.compute

    def counted(ctx, request, options):
        calls.append(request.question)
        return original(ctx, request, options)

    monkeypatch.setitem(METRICS._kinds, "nps", dataclasses.replace(kind, compute=counted))
    ctx = MetricContext(project, shipped_designs, 2022)
    request = MetricRequest(kind="nps", question="recommend", waves=1, by=["sex"])
    first = compute(ctx, request)
    first.loc[:, "value"] = -1.0
    second = compute(ctx, MetricRequest(kind="nps", question="recommend", waves=1, by=["sex"]))
    assert calls == ["recommend"]
    assert (second["value"] != -1.0).all() and len(second) == len(first)
    compute(ctx, MetricRequest(kind="nps", question="recommend", waves=1, by=["age_group"]))  # another request: computed
    assert calls == ["recommend", "recommend"]
