"""Net Promoter Score: promoters, passives, detractors and NPS from unrounded shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from pipeline.config import MetricRequest, NpsBands
from pipeline.errors import ConfigError
from pipeline.kinds import Options
from pipeline.metrics import METRICS, MetricKind

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from pipeline.design import SurveyDesign
    from pipeline.metrics.common import Cell, MetricContext


BAND_KEYS = ["detractors", "passives", "promoters"]  # their words: ``nps_<key>`` in the strings file
# crosstab only, until it takes a Locale (pipeline.locale): the band words of the shipped strings file

class NpsOptions(Options):
    """Options of the ``nps`` metric."""

    distribution: bool = Field(False, description="also the share of every scale point (measure ``distribution``)")


def nps_score(values: np.ndarray, bands: NpsBands) -> np.ndarray:
    """+1 promoter, 0 passive, −1 detractor (NaN elsewhere)."""
    import numpy as np

    score = np.full(len(values), np.nan)
    score[(values >= bands.detractors[0]) & (values <= bands.detractors[1])] = -1.0
    score[(values >= bands.passives[0]) & (values <= bands.passives[1])] = 0.0
    score[(values >= bands.promoters[0]) & (values <= bands.promoters[1])] = 1.0
    return score


def nps_table(ctx: MetricContext, request: MetricRequest, options: NpsOptions) -> pd.DataFrame:
    """Shares of detractors, passives and promoters, NPS (−100…100) with its linearized SE.

    The bands come from the codebook (1–10 agreement scale with detractors 1–6,
    or standard 0–10 with detractors 0–6). NPS is computed from unrounded shares
    as the mean of +1/0/−1 × 100.
    """
    import numpy as np

    from pipeline.design import CodeSums
    from pipeline.metrics.common import PerDesign, answered, build_rows, cells, code_range

    question = ctx.question(request)
    if question.nps is None or question.scale is None:
        raise ConfigError(f"kind 'nps' needs a question with nps bands in the codebook; {question.id!r} has none")
    bands = question.nps
    points = question.scale.points
    distribution = options.distribution
    dk = ctx.project.codebook.dont_know_code

    def prepare(design: SurveyDesign) -> Any:  # the same for every group
        values = ctx.column(design, question.id)
        ok = answered(values) & (values != dk) & ctx.routed(design, question)
        ok &= ~np.isnan(nps_score(values, bands))
        return values, ok, code_range(values)

    prepared = PerDesign(prepare)

    def measure(design: SurveyDesign, group_mask: np.ndarray) -> list[Cell]:
        values, ok, codes = prepared(design)
        # one pass over the group's respondents: sums per cell and answer code, every measure from them
        sums = CodeSums(design, values, len(codes), ok & group_mask, low=codes[0])
        score = nps_score(codes, bands)
        scored = ~np.isnan(score)  # the other codes are not in the domain
        band = np.where(scored, np.nan_to_num(score) + 1, -1).astype(np.int64)
        out = cells(sums.shares(band, 3), BAND_KEYS, None, "share", "percent")
        out += cells(sums.means(np.nan_to_num(score), scored), ["nps"], ["NPS"], "nps", "points")
        if distribution:
            point = np.where(scored, codes - points[0], -1)
            out += cells(sums.shares(point, len(points)), [str(p) for p in points], [str(p) for p in points], "distribution", "percent")
        return out

    return build_rows(ctx, request, question, "", ctx.waves_for(question, request), ctx.groups(request), measure)


NPS = METRICS.register(MetricKind(
    "nps", NpsOptions, nps_table, lambda o: ("share", "nps", "distribution") if o.distribution else ("share", "nps")))
