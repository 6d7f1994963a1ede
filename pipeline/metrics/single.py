"""Single-choice shares (also per item of a grid with answer categories)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.config import MetricRequest, Question
from pipeline.design import estimate_shares
from pipeline.errors import ConfigError
from pipeline.metrics import register
from pipeline.metrics.common import MetricContext, PerDesign, answered, build_rows, cells


def category_codes(ctx: MetricContext, question: Question, dont_know: str) -> tuple[list[int], list[str], list[str]]:
    """Return (codes, keys, labels) of a categorical question, with "Vet ej" last when kept."""
    codes = [c.code for c in question.categories]
    labels = [c.text(ctx.lang) for c in question.categories]
    if dont_know == "keep":
        codes.append(ctx.project.codebook.dont_know_code)
        labels.append(ctx.project.codebook.dont_know_label.get(ctx.lang))
    return codes, [str(c) for c in codes], labels


def items_of(question: Question, request: MetricRequest) -> list[str]:
    """The item columns a request covers: the question's own column or the chosen items of a grid."""
    if question.type in ("grid", "multi"):
        wanted = request.items or [i.id for i in question.items]
        for item in wanted:
            question.item(item)
        return wanted
    return [question.id]


@register("share")
def share_table(ctx: MetricContext, request: MetricRequest) -> pd.DataFrame:
    """Weighted share of each answer category; "Vet ej" kept as a category or excluded from the base.

    Options: ``dont_know`` (keep/exclude, default from the codebook), ``categories``
    (codes to report, default all).
    """
    question = ctx.question(request)
    if question.type not in ("single", "grid") or not question.categories:
        raise ConfigError(f"deck.yaml: metric 'share' needs a single-choice question or a grid with categories; {question.id!r} is {question.type}")
    policy = request.options.get("dont_know", question.dont_know if question.dont_know != "none" else "exclude")
    codes, keys, labels = category_codes(ctx, question, policy)
    wanted = request.options.get("categories")
    dk = ctx.project.codebook.dont_know_code
    lookup = np.full(max(codes + [dk]) + 2, -1, dtype=np.int64)
    lookup[codes] = np.arange(len(codes))
    frames = []
    for item in items_of(question, request):

        def prepare(design, item=item):  # the same for every group
            values = ctx.column(design, item)
            ok = answered(values) & ctx.routed(design, question)
            if policy == "exclude":
                ok &= values != dk
            idx = lookup[np.where(ok, values, 0)]
            return idx, ok & (idx >= 0)

        def measure(design, group_mask, prepared=PerDesign(prepare)):
            idx, valid = prepared(design)
            est = estimate_shares(design, idx, len(codes), valid & group_mask)
            out = cells(est, keys, labels, "share", "percent")
            if wanted is not None:
                out = [c for c in out if c.category in {str(w) for w in wanted}]
            return out

        frames.append(build_rows(ctx, request, question, item if item != question.id else "", ctx.waves_for(question, request), ctx.groups(request), measure))
    return pd.concat(frames, ignore_index=True)
