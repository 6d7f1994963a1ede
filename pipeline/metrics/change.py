"""Change between the report wave and the previous one, by subgroup (S39 shows relative change)."""

from __future__ import annotations

import math

import pandas as pd

from pipeline.config import MetricRequest
from pipeline.errors import ConfigError
from pipeline.metrics import register
from pipeline.metrics.common import COLUMNS, MetricContext


@register("change")
def change_table(ctx: MetricContext, request: MetricRequest) -> pd.DataFrame:
    """Relative (%) or percentage-point change of one category of another metric, per group.

    Options: ``of`` (the metric kind measured, e.g. ``coded``), ``category``
    (its category key), ``mode`` (``relative``, default, or ``points``) and
    ``of_options`` (options passed to that metric). The SE of a relative change
    uses the delta method on both waves' linearized SEs; significance is the
    test of the underlying difference.
    """
    from pipeline.metrics import compute

    kind = request.options.get("of")
    category = request.options.get("category")
    mode = request.options.get("mode", "relative")
    if not kind or category is None or mode not in ("relative", "points"):
        raise ConfigError("deck.yaml: metric 'change' needs options.of (a metric kind), options.category and mode relative|points")
    inner = request.model_copy(update={"kind": kind, "waves": 1, "options": dict(request.options.get("of_options", {}))})
    rows = compute(ctx, inner)
    rows = rows[rows["category"].astype(str) == str(category)]
    if rows.empty:
        raise ConfigError(f"deck.yaml: metric 'change': {kind!r} on {request.question!r} has no category {category!r}")
    out = []
    previous: dict[int, pd.DataFrame] = {}  # the inner metric for each previous wave, computed once
    for _, r in rows.iterrows():
        new = dict(r)
        new["metric"] = "change"
        se = math.nan
        if not math.isnan(r["change"]):
            prev_value = r["value"] - r["change"]
            prev_se = _prev_se(ctx, inner, r, previous)
            if mode == "points":
                value = r["change"]
                se = math.hypot(r["se"], prev_se)
            else:
                value = r["change_rel"]
                if prev_value:
                    se = 100 * math.hypot(r["se"] / prev_value, r["value"] * prev_se / prev_value**2)
        else:
            value = math.nan
        new.update({"measure": "change_rel" if mode == "relative" else "change", "value": value, "se": se,
                    "unit": "percent" if mode == "relative" else "points", "ci_low": math.nan, "ci_high": math.nan})
        out.append(new)
    return pd.DataFrame(out, columns=COLUMNS)


def _prev_se(ctx: MetricContext, inner: MetricRequest, row: pd.Series, cache: dict[int, pd.DataFrame]) -> float:
    """SE of the same estimate (same item, group, category and measure) in the previous wave."""
    from pipeline.metrics import compute

    prev = int(row["prev_wave"])
    if prev not in cache:
        cache[prev] = compute(ctx, inner.model_copy(update={"waves": [prev]}))
    again = cache[prev]
    match = again[(again["item"].astype(str) == str(row["item"])) & (again["group_var"] == row["group_var"])
                  & (again["group"] == row["group"]) & (again["category"].astype(str) == str(row["category"]))
                  & (again["measure"] == row["measure"])]
    return float(match["se"].iloc[0]) if len(match) else math.nan
