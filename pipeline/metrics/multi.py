"""Multi-response questions: share of people (not mentions) choosing each item, on the routed base."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.config import MetricRequest
from pipeline.errors import ConfigError
from pipeline.kinds import Options
from pipeline.metrics import METRICS, MetricKind

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from pipeline.design import SurveyDesign
    from pipeline.metrics.common import Cell, MetricContext



class MultiOptions(Options):
    """The ``multi`` metric has no options (choose items with the request's ``items``)."""


def multi_table(ctx: MetricContext, request: MetricRequest, options: MultiOptions) -> pd.DataFrame:
    """Share of respondents (asked and answering) who mention each item."""
    import numpy as np

    from pipeline.design import estimate_means
    from pipeline.metrics.common import PerDesign, build_rows, cells, columns_matrix
    from pipeline.metrics.single import items_of

    question = ctx.question(request)
    if question.type != "multi":
        raise ConfigError(f"kind 'multi' needs a multi-response question; {question.id!r} is {question.type}")
    items = items_of(question, request)
    every = [i.id for i in question.items]

    def prepare(design: SurveyDesign) -> Any:  # the same for every group
        matrix = columns_matrix([ctx.column(design, i) > 0 for i in items])  # 1.0 mentioned, else 0.0
        any_answer = np.zeros(design.n, dtype=bool)
        for i in every:
            any_answer |= ctx.column(design, i) >= 0
        return matrix, any_answer & ctx.routed(design, question)

    prepared = PerDesign(prepare)

    def measure(design: SurveyDesign, group_mask: np.ndarray) -> list[Cell]:
        matrix, base = prepared(design)
        est = estimate_means(design, matrix, base & group_mask)
        return cells(est, items, None, "share", "percent")

    return build_rows(ctx, request, question, "", ctx.waves_for(question, request), ctx.groups(request), measure)


MULTI = METRICS.register(MetricKind("multi", MultiOptions, multi_table, lambda _o: ("share",)))
