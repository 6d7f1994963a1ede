"""Open-ended questions coded with a versioned code frame: first mention, any mention, nets."""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from pipeline.config import MetricRequest, Question
from pipeline.errors import ConfigError
from pipeline.kinds import Options
from pipeline.metrics import METRICS, MetricKind

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from pipeline.design import SurveyDesign
    from pipeline.metrics.common import Cell, MetricContext


UNCODED_KEY = "uncoded"
DONT_KNOW_KEY = "dont_know"


class CodedOptions(Options):
    """Options of the ``coded`` metric."""

    measure: Literal["first", "any"] = Field("first", description="share of respondents by ``first`` mention or by ``any`` mention")
    categories: list[str] | None = Field(None, description="code frame category keys to report; default all")
    nets: list[str] = Field([], description="net keys of the code frame to add (a net counts a person once)")
    uncoded: bool = Field(True, description="report the uncoded share (category ``uncoded``)")
    dont_know: bool = Field(True, description='report the "Vet ej" share (category ``dont_know``)')


def frame_changes(ctx: MetricContext, question: Question, waves: list[int]) -> list[tuple[int, str, str]]:
    """(wave, old frame, new frame) wherever the code frame differs from the previous shown wave."""
    out = []
    for before, after in pairwise(waves):
        old, new = question.frame_for(before), question.frame_for(after)
        if old != new:
            out.append((after, old, new))
    return out


def coded_table(ctx: MetricContext, request: MetricRequest, options: CodedOptions) -> pd.DataFrame:
    """Share of respondents per coded category of an open question (the uncoded share is shown by default)."""
    import numpy as np

    from pipeline.coding import DONT_KNOW, UNCODED
    from pipeline.design import CodeSums, Domain, estimate_means
    from pipeline.metrics.common import PerDesign, build_rows, cells, columns_matrix

    question = ctx.question(request)
    if question.type != "open":
        raise ConfigError(f"kind 'coded' needs an open question; {question.id!r} is {question.type}")
    mode = options.measure
    wanted = options.categories
    nets = list(options.nets)
    show_uncoded = options.uncoded
    show_dk = options.dont_know

    def prepare(design: SurveyDesign) -> Any:  # the same for every group
        coded = ctx.coded(question, design)
        frame = coded.frame
        k = len(coded.keys)
        ok = (coded.first != -3) & ctx.routed(design, question)
        if mode == "first":
            answers = np.where(coded.first >= 0, coded.first, np.where(coded.first == UNCODED, k, k + 1))
        else:
            answers = columns_matrix([coded.mentioned(j) for j in range(k)]
                                     + [coded.first == UNCODED, coded.first == DONT_KNOW])
        net_matrix = None
        if nets:
            known = {n.key: n for n in frame.nets}
            missing = [n for n in nets if n not in known]
            if missing:
                raise ConfigError(f"code frame {frame.key} has no net {missing}; nets are {sorted(known)}")
            if mode == "first":  # per first-mention code (categories, uncoded, don't know): is it in the net?
                net_matrix = np.stack([np.isin(np.arange(k + 2), [coded.keys.index(m) for m in known[n].members]) for n in nets],
                                      axis=1).astype(float)
            else:
                net_matrix = columns_matrix([coded.net_mentions(n) for n in nets])
        return coded, ok, answers, net_matrix

    prepared = PerDesign(prepare)

    def measure(design: SurveyDesign, group_mask: np.ndarray) -> list[Cell]:
        coded, ok, answers, net_matrix = prepared(design)
        keys = coded.keys
        domain = Domain(design, ok & group_mask)
        out: list[Cell] = []
        k = len(keys)
        if mode == "first":
            sums = CodeSums(design, answers, k + 2, domain)  # one pass: the shares and every net's share
            out = cells(sums.shares(), keys + [UNCODED_KEY, DONT_KNOW_KEY], None, "first", "percent")
        else:
            est = estimate_means(design, answers, domain)
            out = cells(est, keys + [UNCODED_KEY, DONT_KNOW_KEY], None, "any", "percent")
        if nets:
            est = sums.means(net_matrix) if mode == "first" else estimate_means(design, net_matrix, domain)
            out += cells(est, nets, None, mode, "percent")
        keep = set(keys) | set(nets)
        if wanted is not None:
            keep = {str(w) for w in wanted} | set(nets)
        if show_uncoded:
            keep.add(UNCODED_KEY)
        if show_dk:
            keep.add(DONT_KNOW_KEY)
        return [c for c in out if c.category in keep]

    return build_rows(ctx, request, question, "", ctx.waves_for(question, request), ctx.groups(request), measure)


CODED = METRICS.register(MetricKind("coded", CodedOptions, coded_table, lambda o: (o.measure,)))
