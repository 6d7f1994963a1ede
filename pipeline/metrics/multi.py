"""Multi-response questions: share of people (not mentions) choosing each item, on the routed base."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.config import MetricRequest
from pipeline.design import estimate_means
from pipeline.errors import ConfigError
from pipeline.metrics import register
from pipeline.metrics.common import MetricContext, build_rows, cells
from pipeline.metrics.single import items_of


@register("multi")
def multi_table(ctx: MetricContext, request: MetricRequest) -> pd.DataFrame:
    """Share of respondents (asked and answering) who mention each item."""
    question = ctx.question(request)
    if question.type != "multi":
        raise ConfigError(f"deck.yaml: metric 'multi' needs a multi-response question; {question.id!r} is {question.type}")
    items = items_of(question, request)
    labels = [question.item(i).label(ctx.lang) for i in items]
    every = [i.id for i in question.items]

    def measure(design, group_mask):
        matrix = np.stack([ctx.column(design, i) for i in items], axis=1).astype(float)
        any_answer = np.stack([ctx.column(design, i) for i in every], axis=1) >= 0
        ok = any_answer.any(axis=1) & ctx.routed(design, question) & group_mask
        matrix = np.where(matrix > 0, 1.0, 0.0)
        est = estimate_means(design, matrix, ok)
        return cells(est, items, labels, "share", "percent")

    return build_rows(ctx, request, question, "", ctx.waves_for(question, request), ctx.groups(request), measure)
