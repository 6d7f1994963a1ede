"""Cumulative reach on an ordered answer scale (e.g. acceptable waiting time, S33)."""

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



class ReachOptions(Options):
    """The ``reach`` metric has no options."""


def reach_table(ctx: MetricContext, request: MetricRequest, options: ReachOptions) -> pd.DataFrame:
    """For each category j of an ordered single-choice question, the share answering j or later.

    With waiting-time categories "Max 5 min", "Max 15 min", … the row for
    "Max 15 min" is the share who accept a wait of 15 minutes or more: the
    share a service with a 15-minute wait reaches. "Vet ej" is excluded.
    """
    import numpy as np

    from pipeline.design import CodeSums
    from pipeline.metrics.common import PerDesign, answered, build_rows, cells, code_range

    question = ctx.question(request)
    if question.type != "single":
        raise ConfigError(f"kind 'reach' needs an ordered single-choice question; {question.id!r} is {question.type}")
    codes = [c.code for c in question.categories]
    dk = ctx.project.codebook.dont_know_code

    def prepare(design: SurveyDesign) -> Any:  # the same for every group
        values = ctx.column(design, question.id)
        ok = answered(values) & (values != dk) & ctx.routed(design, question)
        return values, ok, code_range(values)

    prepared = PerDesign(prepare)

    def measure(design: SurveyDesign, group_mask: np.ndarray) -> list[Cell]:
        values, ok, answers = prepared(design)
        sums = CodeSums(design, values, len(answers), ok & group_mask, low=answers[0])
        reached = np.stack([answers >= c for c in codes], axis=1).astype(float)  # per answer code and category
        return cells(sums.means(reached), [str(c) for c in codes], None, "reach", "percent")

    return build_rows(ctx, request, question, "", ctx.waves_for(question, request), ctx.groups(request), measure)


REACH = METRICS.register(MetricKind("reach", ReachOptions, reach_table, lambda _o: ("reach",)))
