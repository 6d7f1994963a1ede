"""Trend projection (S46): growth of a share over waves and the share it implies for a later year.

The stated method (``growth_fit``, ``projection_fit``) is a log-linear fit over
every wave with data, from the first wave that asked the question (or
``from_wave``) to the report wave: ln(share) = a + b·year by weighted least
squares, each wave weighted by the inverse of its sampling variance on the log
scale, (share / SE)². Annual growth is e^b − 1; its interval and the projection's
interval come from the fit's standard errors, widened by the residual
dispersion when the waves scatter more around the line than their SEs allow
(quasi-likelihood: multiplied by sqrt(max(1, χ² / (k − 2)))). The test of b ≠ 0
gives the growth row its ``p_value`` so claims about it use the same level as
every other change. Waves with a zero share cannot enter a log fit and are left out.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pydantic import Field

from pipeline.config import MetricRequest
from pipeline.errors import ConfigError
from pipeline.metrics import METRICS, MetricKind
from pipeline.metrics.change import OfOptions

if TYPE_CHECKING:
    import pandas as pd

    from pipeline.metrics.common import MetricContext

GROWTH_MEASURES = ("growth_last", "cagr", "projection_last", "projection_cagr", "growth_fit", "projection_fit")


class TrendOptions(OfOptions):
    """Options of the ``trend`` metric."""

    from_wave: int | None = Field(None, description="start of the average growth; default the first wave with data")
    project_to: int | None = Field(None, description="the year projected to; default three years after the report wave")


def trend_table(ctx: MetricContext, request: MetricRequest, options: TrendOptions) -> pd.DataFrame:
    """Growth of one category's share and projections.

    Rows (total only): ``share`` per wave; ``growth_last`` (annual growth from
    the previous wave to the report wave, %); ``cagr`` (average annual growth
    since ``from_wave``, %); ``projection_last`` and ``projection_cagr`` (the
    share in ``project_to`` if each rate holds; ``label`` states the rate);
    ``growth_fit`` and ``projection_fit`` (the log-linear fit over every wave
    from the first with data, with ``ci_low``/``ci_high``; see the module docstring).
    """
    import pandas as pd

    from pipeline.metrics import compute
    from pipeline.metrics.common import COLUMNS

    kind, category = options.of, options.category
    project_to = options.project_to if options.project_to is not None else ctx.wave + 3
    inner = request.model_copy(update={"kind": kind, "waves": "all", "by": [], "options": dict(options.of_options)})
    rows = compute(ctx, inner)
    rows = rows[(rows["category"].astype(str) == str(category)) & (rows["group_var"] == "total")].sort_values("wave")
    if rows.empty:
        raise ConfigError(f"{kind!r} on {request.question!r} has no category {category!r}")
    series = dict(zip(rows["wave"].astype(int), rows["value"].astype(float), strict=True))
    waves = sorted(series)
    first = options.from_wave if options.from_wave is not None else waves[0]
    if first not in series:
        raise ConfigError(f"no value for from_wave {first}; waves with data: {waves}; "
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
    base: dict[str, Any] = dict.fromkeys(COLUMNS, "")
    base.update({"metric": "trend", "question": request.question or "", "group_var": "total", "group": "total",
                 "group_label": None, "category": str(category), "se": math.nan, "ci_low": math.nan,
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
    extra += _fit_rows(rows[rows["wave"].astype(int) >= first], ctx, base, project_to)
    return pd.DataFrame(out + extra, columns=COLUMNS)


def _fit_rows(rows: pd.DataFrame, ctx: MetricContext, base: dict[str, Any], project_to: int) -> list[dict[str, Any]]:
    """``growth_fit`` (annual growth, %) and ``projection_fit`` (share in ``project_to``) from the log-linear fit."""
    from statistics import NormalDist

    import numpy as np

    keep = rows[(rows["value"].astype(float) > 0) & (rows["se"].astype(float) > 0)]
    if len(keep) < 2:
        return []
    x = keep["wave"].astype(float).to_numpy()
    y = np.log(keep["value"].astype(float).to_numpy())
    w = (keep["value"].astype(float).to_numpy() / keep["se"].astype(float).to_numpy()) ** 2
    sw = w.sum()
    xm, ym = (w * x).sum() / sw, (w * y).sum() / sw
    sxx = (w * (x - xm) ** 2).sum()
    b = (w * (x - xm) * (y - ym)).sum() / sxx
    a = ym - b * xm
    k = len(x)
    chi2 = float((w * (y - a - b * x) ** 2).sum())
    scale = math.sqrt(max(1.0, chi2 / (k - 2))) if k > 2 else 1.0
    se_b = scale / math.sqrt(sxx)
    z = NormalDist().inv_cdf(0.5 + ctx.stats.confidence_level / 2)
    p = 2 * (1 - NormalDist().cdf(abs(b) / se_b)) if se_b > 0 else math.nan
    fit_at = a + b * project_to
    se_fit = scale * math.sqrt(1 / sw + (project_to - xm) ** 2 / sxx)
    span = f"{int(x[0])}-{int(x[-1])}"
    growth = (math.exp(b) - 1) * 100
    return [
        {**base, "measure": "growth_fit", "wave": int(x[-1]), "value": growth, "unit": "growth", "label": span,
         "ci_low": (math.exp(b - z * se_b) - 1) * 100, "ci_high": (math.exp(b + z * se_b) - 1) * 100, "se": se_b * 100,
         "prev_wave": int(x[0]), "change": growth, "p_value": p, "n": k},
        {**base, "measure": "projection_fit", "wave": project_to, "value": math.exp(fit_at), "unit": "percent", "label": span,
         "ci_low": math.exp(fit_at - z * se_fit), "ci_high": math.exp(fit_at + z * se_fit), "prev_wave": int(x[-1]), "n": k},
    ]


TREND = METRICS.register(MetricKind("trend", TrendOptions, trend_table, lambda o: (*o.inner_measures(), *GROWTH_MEASURES)))
