"""Net Promoter Score: promoters, passives, detractors and NPS from unrounded shares."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.config import MetricRequest
from pipeline.design import estimate_means, estimate_shares
from pipeline.errors import ConfigError
from pipeline.metrics import register
from pipeline.metrics.common import MetricContext, answered, build_rows, cells

BAND_KEYS = ["detractors", "passives", "promoters"]
BAND_LABELS = {
    "sv": ["Kritiker", "Passiva", "Ambassadörer"],
    "en": ["Detractors", "Passives", "Promoters"],
}


def nps_score(values: np.ndarray, bands) -> np.ndarray:  # noqa: ANN001 - config.NpsBands
    """+1 promoter, 0 passive, −1 detractor (NaN elsewhere)."""
    score = np.full(len(values), np.nan)
    score[(values >= bands.detractors[0]) & (values <= bands.detractors[1])] = -1.0
    score[(values >= bands.passives[0]) & (values <= bands.passives[1])] = 0.0
    score[(values >= bands.promoters[0]) & (values <= bands.promoters[1])] = 1.0
    return score


@register("nps")
def nps_table(ctx: MetricContext, request: MetricRequest) -> pd.DataFrame:
    """Shares of detractors, passives and promoters, NPS (−100…100) with its linearized SE.

    The bands come from the codebook (1–10 agreement scale with detractors 1–6,
    or standard 0–10 with detractors 0–6). NPS is computed from unrounded shares
    as the mean of +1/0/−1 × 100. Option ``distribution: true`` adds the share
    of every scale point.
    """
    question = ctx.question(request)
    if question.nps is None or question.scale is None:
        raise ConfigError(f"deck.yaml: metric 'nps' needs a question with nps bands in the codebook; {question.id!r} has none")
    bands = question.nps
    points = question.scale.points
    distribution = bool(request.options.get("distribution", False))
    dk = ctx.project.codebook.dont_know_code

    def measure(design, group_mask):
        values = ctx.column(design, question.id)
        ok = answered(values) & (values != dk) & ctx.routed(design, question) & group_mask
        score = nps_score(values, bands)
        ok &= ~np.isnan(score)
        band_idx = np.where(np.isnan(score), 0, score + 1).astype(np.int64)
        out = cells(estimate_shares(design, band_idx, 3, ok), BAND_KEYS, BAND_LABELS[ctx.lang], "share", "percent")
        out += cells(estimate_means(design, np.nan_to_num(score), ok), ["nps"], ["NPS"], "nps", "points")
        if distribution:
            idx = np.where(ok, values - points[0], 0).astype(np.int64)
            out += cells(estimate_shares(design, idx, len(points), ok), [str(p) for p in points], [str(p) for p in points], "distribution", "percent")
        return out

    return build_rows(ctx, request, question, "", ctx.waves_for(question, request), ctx.groups(request), measure)
