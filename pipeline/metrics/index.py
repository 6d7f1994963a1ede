"""An index over the items of a grid: each respondent's share of items answered with given codes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.config import MetricRequest
from pipeline.design import estimate_means
from pipeline.errors import ConfigError
from pipeline.metrics import register
from pipeline.metrics.common import MetricContext, PerDesign, build_rows, cells
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

    def prepare(design):  # the same for every group
        counted = np.zeros(design.n, dtype=np.int64)
        hit = np.zeros(design.n, dtype=np.int64)
        for i in items:  # one item at a time: no n × items temporaries
            values = ctx.column(design, i)
            valid = values >= 0
            counted += valid
            hit += np.isin(values, codes) & valid
        share = np.where(counted > 0, hit / np.maximum(counted, 1), 0.0)
        return share, (counted > 0) & ctx.routed(design, question)

    prepared = PerDesign(prepare)

    def measure(design, group_mask):
        share, base = prepared(design)
        return cells(estimate_means(design, share, base & group_mask), ["index"], [label], "index", "percent")

    return build_rows(ctx, request, question, "", ctx.waves_for(question, request), ctx.groups(request), measure)
