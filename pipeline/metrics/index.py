"""An index over the items of a grid: each respondent's share of items answered with given codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from pipeline.config import I18n, MetricRequest
from pipeline.errors import ConfigError
from pipeline.kinds import Options
from pipeline.metrics import METRICS, MetricKind

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from pipeline.design import SurveyDesign
    from pipeline.metrics.common import Cell, MetricContext



class IndexOptions(Options):
    """Options of the ``index`` metric."""

    codes: list[int] = Field(min_length=1, description="the answer codes that count (e.g. [1] for 'knows the service')")
    label: I18n | None = Field(None, description="the index's label {sv: …, en: …}; default the question text")


def index_table(ctx: MetricContext, request: MetricRequest, options: IndexOptions) -> pd.DataFrame:
    """Mean over respondents of the share of the grid's items they answer with ``codes`` (option).

    Used for "Kännedom om 1177:s tjänster, medelvärde" (S40): each respondent
    counts the services they know out of the four, and the index is the
    weighted mean of that share, with a linearized SE.
    """
    import numpy as np

    from pipeline.design import estimate_means
    from pipeline.metrics.common import PerDesign, build_rows, cells
    from pipeline.metrics.single import items_of

    question = ctx.question(request)
    if question.type != "grid":
        raise ConfigError(f"kind 'index' needs a grid question; {question.id!r} is {question.type}")
    codes = options.codes
    items = items_of(question, request)

    def prepare(design: SurveyDesign) -> Any:  # the same for every group
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

    def measure(design: SurveyDesign, group_mask: np.ndarray) -> list[Cell]:
        share, base = prepared(design)
        return cells(estimate_means(design, share, base & group_mask), ["index"], None, "index", "percent")

    return build_rows(ctx, request, question, "", ctx.waves_for(question, request), ctx.groups(request), measure)


INDEX = METRICS.register(MetricKind("index", IndexOptions, index_table, lambda _o: ("index",)))
