"""An index over the items of a grid: each respondent's share of items answered with given codes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.config import MetricRequest
from pipeline.design import estimate_means
from pipeline.errors import ConfigError
from pipeline.metrics import register
from pipeline.metrics.common import MetricContext, build_rows, cells
from pipeline.metrics.single import items_of


@register("index")
def index_table(ctx: MetricContext, request: MetricRequest) -> pd.DataFrame:
    """Mean over respondents of the share of the grid's items they answer with ``codes`` (option).

    Used for "Kännedom om 1177:s tjänster, medelvärde" (S40): each respondent
    counts the services they know out of the four, and the index is the
    weighted mean of that share, with a linearized SE.
    """
    question = ctx.question(request)
    if question.type != "grid":
        raise ConfigError(f"deck.yaml: metric 'index' needs a grid question; {question.id!r} is {question.type}")
    codes = request.options.get("codes")
    if not codes:
        raise ConfigError(f"deck.yaml: metric 'index' on {question.id!r} needs options.codes (the answer codes that count)")
    items = items_of(question, request)
    label = request.options.get("label", {}).get(ctx.lang, question.text.get(ctx.lang))

    def measure(design, group_mask):
        values = np.stack([ctx.column(design, i) for i in items], axis=1)
        valid = values >= 0
        hits = np.isin(values, codes) & valid
        counted = valid.sum(axis=1)
        ok = (counted > 0) & ctx.routed(design, question) & group_mask
        share = np.where(counted > 0, hits.sum(axis=1) / np.maximum(counted, 1), 0.0)
        return cells(estimate_means(design, share, ok), ["index"], [label], "index", "percent")

    return build_rows(ctx, request, question, "", ctx.waves_for(question, request), ctx.groups(request), measure)
