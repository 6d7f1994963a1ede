"""Trend projection (S46): compound growth of a share over waves and the share it implies for a later year."""

from __future__ import annotations

import math

import pandas as pd

from pipeline.config import MetricRequest
from pipeline.errors import ConfigError
from pipeline.metrics import register
from pipeline.metrics.common import COLUMNS, MetricContext


@register("trend")
def trend_table(ctx: MetricContext, request: MetricRequest) -> pd.DataFrame:
    """Growth of one category's share and projections.

    Options: ``of`` (metric kind, e.g. ``coded``), ``category``, ``of_options``,
    ``from_wave`` (start of the average growth), ``project_to`` (year).
    Rows (total only): ``share`` per wave; ``growth_last`` (annual growth from
    the previous wave to the report wave, %); ``cagr`` (average annual growth
    since ``from_wave``, %); ``projection_last`` and ``projection_cagr`` (the
    share in ``project_to`` if each rate holds; ``label`` states the rate).
    """
    from pipeline.metrics import compute

    kind, category = request.options.get("of"), request.options.get("category")
    project_to = int(request.options.get("project_to", ctx.wave + 3))
    if not kind or category is None:
        raise ConfigError("deck.yaml: metric 'trend' needs options.of and options.category")
    inner = request.model_copy(update={"kind": kind, "waves": "all", "by": [], "options": dict(request.options.get("of_options", {}))})
    rows = compute(ctx, inner)
    rows = rows[(rows["category"].astype(str) == str(category)) & (rows["group_var"] == "total")].sort_values("wave")
    if rows.empty:
        raise ConfigError(f"deck.yaml: metric 'trend': {kind!r} on {request.question!r} has no category {category!r}")
    series = dict(zip(rows["wave"].astype(int), rows["value"].astype(float)))
    waves = sorted(series)
    first = int(request.options.get("from_wave", waves[0]))
    if first not in series:
        raise ConfigError(f"deck.yaml: metric 'trend': no value for from_wave {first}; waves with data: {waves}; "
                          f"add the {first} wave file or set options.from_wave to one of those waves")
    last = waves[-1]
    prev = waves[-2] if len(waves) > 1 else None
    out = [dict(r) for _, r in rows.iterrows()]
    for r in out:
        r["metric"] = "trend"

    def annual(v_new: float, v_old: float, years: int) -> float:
        return (v_new / v_old) ** (1 / years) - 1 if v_old > 0 and years > 0 else math.nan

    g_last = annual(series[last], series[prev], last - prev) if prev else math.nan
    g_avg = annual(series[last], series[first], last - first)
    base = {c: "" for c in COLUMNS}
    base.update({"metric": "trend", "question": request.question or "", "group_var": "total", "group": "total",
                 "group_label": ctx.text("total"), "category": str(category), "se": math.nan, "ci_low": math.nan,
                 "ci_high": math.nan, "n": 0, "n_weighted": math.nan, "n_effective": math.nan, "base_flag": "ok",
                 "prev_wave": None, "change": math.nan, "change_rel": math.nan, "p_value": math.nan, "sig": ""})
    extra = [
        # prev_wave: the wave the growth is measured from
        {**base, "measure": "growth_last", "wave": last, "value": g_last * 100, "unit": "growth", "label": f"{prev}-{last}",
         "prev_wave": prev},
        {**base, "measure": "cagr", "wave": last, "value": g_avg * 100, "unit": "growth", "label": f"{first}-{last}",
         "prev_wave": first},
        {**base, "measure": "projection_last", "wave": project_to, "value": series[last] * (1 + g_last) ** (project_to - last),
         "unit": "percent", "label": f"{g_last * 100:.0f}"},
        {**base, "measure": "projection_cagr", "wave": project_to, "value": series[last] * (1 + g_avg) ** (project_to - last),
         "unit": "percent", "label": f"{g_avg * 100:.0f}"},
    ]
    return pd.DataFrame(out + extra, columns=COLUMNS)
