"""Net Promoter Score: promoters, passives, detractors and NPS from unrounded shares."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.config import MetricRequest
from pipeline.design import CodeSums
from pipeline.errors import ConfigError
from pipeline.metrics import register
from pipeline.metrics.common import MetricContext, PerDesign, answered, build_rows, cells, code_range

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

    def prepare(design):  # the same for every group
        values = ctx.column(design, question.id)
        ok = answered(values) & (values != dk) & ctx.routed(design, question)
        ok &= ~np.isnan(nps_score(values, bands))
        return values, ok, code_range(values)

    prepared = PerDesign(prepare)

    def measure(design, group_mask):
        values, ok, codes = prepared(design)
        # one pass over the group's respondents: sums per cell and answer code, every measure from them
        sums = CodeSums(design, values, len(codes), ok & group_mask, low=codes[0])
        score = nps_score(codes, bands)
        scored = ~np.isnan(score)  # the other codes are not in the domain
        band = np.where(scored, np.nan_to_num(score) + 1, -1).astype(np.int64)
        out = cells(sums.shares(band, 3), BAND_KEYS, BAND_LABELS[ctx.lang], "share", "percent")
        out += cells(sums.means(np.nan_to_num(score), scored), ["nps"], ["NPS"], "nps", "points")
        if distribution:
            point = np.where(scored, codes - points[0], -1)
            out += cells(sums.shares(point, len(points)), [str(p) for p in points], [str(p) for p in points], "distribution", "percent")
        return out

    return build_rows(ctx, request, question, "", ctx.waves_for(question, request), ctx.groups(request), measure)
