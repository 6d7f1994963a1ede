"""Multi-response questions: share of people (not mentions) choosing each item, on the routed base."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.config import MetricRequest
from pipeline.design import estimate_means
from pipeline.errors import ConfigError
from pipeline.metrics import register
from pipeline.metrics.common import MetricContext, PerDesign, build_rows, cells, columns_matrix
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

    def prepare(design):  # the same for every group
        matrix = columns_matrix([ctx.column(design, i) > 0 for i in items])  # 1.0 mentioned, else 0.0
        any_answer = np.zeros(design.n, dtype=bool)
        for i in every:
            any_answer |= ctx.column(design, i) >= 0
        return matrix, any_answer & ctx.routed(design, question)

    prepared = PerDesign(prepare)

    def measure(design, group_mask):
        matrix, base = prepared(design)
        est = estimate_means(design, matrix, base & group_mask)
        return cells(est, items, labels, "share", "percent")

    return build_rows(ctx, request, question, "", ctx.waves_for(question, request), ctx.groups(request), measure)
