"""Weighting diagnostics as table rows (method slide, tables export)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pipeline.config import MetricRequest
from pipeline.kinds import Options
from pipeline.metrics import METRICS, MetricKind

if TYPE_CHECKING:
    import pandas as pd

    from pipeline.metrics.common import MetricContext

DIAGNOSTICS = ("n", "efficiency", "n_effective", "deff", "min_weight", "max_weight", "weight_ratio", "iterations",
               "capped", "max_margin_gap")
MARGINS = ("margin_unweighted", "margin_weighted", "margin_target")


class WeightingOptions(Options):
    """The ``weighting`` metric has no options (no question either; ``waves`` chooses the waves)."""


def weighting_table(ctx: MetricContext, request: MetricRequest, options: WeightingOptions) -> pd.DataFrame:
    """Per wave: n, Kish efficiency, effective n, design effect, weight range, iterations, capped
    weights, and unweighted / weighted / target share of every weighting margin."""
    import pandas as pd

    from pipeline.metrics.common import COLUMNS

    waves = [w for w in sorted(ctx.designs) if w <= ctx.wave]
    if isinstance(request.waves, int) and request.waves > 0:
        waves = waves[-request.waves :]
    elif isinstance(request.waves, list):
        waves = [w for w in waves if w in request.waves]
    rows = []
    for wave in waves:
        d = ctx.designs[wave].diagnostics
        base: dict[str, Any] = dict.fromkeys(COLUMNS, math.nan)
        base.update({"metric": "weighting", "question": "", "item": "", "item_label": "", "wave": wave,
                     "group_var": "total", "group": "total", "group_label": None, "n": d.n,
                     "n_weighted": d.sum_weights, "n_effective": d.n_effective, "base_flag": "ok", "prev_wave": None, "sig": ""})
        stats = {
            "n": (d.n, "scale"), "efficiency": (d.efficiency * 100, "percent"), "n_effective": (d.n_effective, "scale"),
            "deff": (d.deff, "scale"), "min_weight": (d.min_weight, "scale"), "max_weight": (d.max_weight, "scale"),
            "weight_ratio": (d.ratio, "scale"), "iterations": (d.iterations, "scale"),
            "capped": (d.capped_low + d.capped_high, "scale"), "max_margin_gap": (d.max_margin_gap * 100, "percent"),
        }
        for name, (value, unit) in stats.items():
            rows.append({**base, "measure": name, "category": name, "label": name, "value": float(value), "unit": unit})
        for variable, category, unweighted, weighted, target in d.margins:
            for name, value in zip(MARGINS, (unweighted, weighted, target), strict=True):
                rows.append({**base, "measure": name, "group_var": variable, "group": category, "group_label": category,
                             "category": category, "label": category, "value": value * 100, "unit": "percent"})
    return pd.DataFrame(rows, columns=COLUMNS)


WEIGHTING = METRICS.register(MetricKind("weighting", WeightingOptions, weighting_table, lambda _o: DIAGNOSTICS + MARGINS))
