"""Single-choice shares (also per item of a grid with answer categories)."""

from __future__ import annotations

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
    from pipeline.metrics.common import Cell, MetricContext, PerDesign



class ShareOptions(Options):
    """Options of the ``share`` metric."""

    dont_know: Literal["keep", "exclude"] | None = Field(
        None, description='"Vet ej" kept as a category or left out of the base; default from the codebook question')
    categories: list[int | str] | None = Field(None, description="answer codes to report; default all")


def category_codes(ctx: MetricContext, question: Question, dont_know: str) -> tuple[list[int], list[str]]:
    """Return (codes, keys) of a categorical question, with "Vet ej" last when kept."""
    codes = [c.code for c in question.categories]
    if dont_know == "keep":
        codes.append(ctx.project.codebook.dont_know_code)
    return codes, [str(c) for c in codes]


def items_of(question: Question, request: MetricRequest) -> list[str]:
    """The item columns a request covers: the question's own column or the chosen items of a grid."""
    if question.type in ("grid", "multi"):
        wanted = request.items or [i.id for i in question.items]
        for item in wanted:
            question.item(item)
        return wanted
    return [question.id]


def share_table(ctx: MetricContext, request: MetricRequest, options: ShareOptions) -> pd.DataFrame:
    """Weighted share of each answer category; "Vet ej" kept as a category or excluded from the base."""
    import numpy as np
    import pandas as pd

    from pipeline.design import estimate_shares
    from pipeline.metrics.common import PerDesign, answered, build_rows, cells

    question = ctx.question(request)
    if question.type not in ("single", "grid") or not question.categories:
        raise ConfigError(f"kind 'share' needs a single-choice question or a grid with categories; {question.id!r} is {question.type}")
    policy = options.dont_know or (question.dont_know if question.dont_know != "none" else "exclude")
    codes, keys = category_codes(ctx, question, policy)
    wanted = None if options.categories is None else {str(w) for w in options.categories}
    dk = ctx.project.codebook.dont_know_code
    lookup = np.full(max(codes + [dk]) + 2, -1, dtype=np.int64)
    lookup[codes] = np.arange(len(codes))
    frames = []
    for item in items_of(question, request):

        def prepare(design: SurveyDesign, item: str = item) -> Any:  # the same for every group
            values = ctx.column(design, item)
            ok = answered(values) & ctx.routed(design, question)
            if policy == "exclude":
                ok &= values != dk
            idx = lookup[np.where(ok, values, 0)]
            return idx, ok & (idx >= 0)

        per_design = PerDesign(prepare)

        def measure(design: SurveyDesign, group_mask: np.ndarray, prepared: PerDesign = per_design) -> list[Cell]:
            idx, valid = prepared(design)
            est = estimate_shares(design, idx, len(codes), valid & group_mask)
            out = cells(est, keys, None, "share", "percent")
            if wanted is not None:
                out = [c for c in out if c.category in wanted]
            return out

        frames.append(build_rows(ctx, request, question, item if item != question.id else "", ctx.waves_for(question, request),
                                 ctx.groups(request), measure))
    return pd.concat(frames, ignore_index=True)


SHARE = METRICS.register(MetricKind("share", ShareOptions, share_table, lambda _o: ("share",)))
