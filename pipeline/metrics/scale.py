"""Rating scales: banded distribution with "Vet ej", mean and n without "Vet ej", top-box and agreement."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from pipeline.config import MetricRequest, Scale
from pipeline.errors import ConfigError
from pipeline.kinds import Options
from pipeline.metrics import METRICS, MetricKind

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from pipeline.design import SurveyDesign
    from pipeline.metrics.common import Cell, MetricContext, PerDesign


ScaleMeasure = Literal["distribution", "mean", "top_box", "agree"]
CodeRange = tuple[int, int]


class ScaleOptions(Options):
    """Options of the ``scale`` metric."""

    bands: list[CodeRange] | None = Field(
        None, description="the distribution's bands as [lo, hi] code ranges; default by scale length (1-2 … 9-10, or each point)")
    top_box: CodeRange | None = Field(
        None, description="[lo, hi] codes of the top box; default 7–10 on 10-point scales, the top two points else")
    agree: CodeRange | None = Field(None, description="[lo, hi] codes counted as agreement; default the top box")
    measures: list[ScaleMeasure] = Field(
        ["distribution", "mean", "top_box", "agree"],
        description="which measures to compute (``distribution`` gives measure ``share`` per band)")


def scale_measures(options: ScaleOptions) -> tuple[str, ...]:
    """The measures a scale request emits: ``share`` for the distribution, else the measure's own name."""
    return tuple("share" if m == "distribution" else m for m in options.measures)


def default_bands(scale: Scale) -> list[tuple[int, int]]:
    """1–10 → 1-2 … 9-10; 0–10 → 0-2, 3-4, 5-6, 7-8, 9-10; short scales → each point."""
    if scale.max - scale.min >= 9:
        bands = [(lo, lo + 1) for lo in range(scale.max - 1, scale.min - 1, -2)][::-1]
        if bands[0][0] > scale.min:
            bands[0] = (scale.min, bands[0][1])
        return bands
    return [(p, p) for p in scale.points]


def band_label(lo: int, hi: int, scale: Scale, lang: str) -> str:
    """A band's label: ``lo-hi``, or a single point's anchor text ("1=Inte alls viktigt")."""
    if lo == hi:
        anchor = scale.anchors.get(lo)
        return f"{lo}={anchor.get(lang)}" if anchor and lo in (scale.min, scale.max) else (anchor.get(lang) if anchor else str(lo))
    return f"{lo}-{hi}"


def scale_table(ctx: MetricContext, request: MetricRequest, options: ScaleOptions) -> pd.DataFrame:
    """Distribution over bands (with "Vet ej"), mean and n excluding "Vet ej", top-box and agreement share."""
    import numpy as np
    import pandas as pd

    from pipeline.design import CodeSums
    from pipeline.metrics.common import PerDesign, answered, build_rows, cells, code_range
    from pipeline.metrics.single import items_of

    question = ctx.question(request)
    scale = question.scale
    if scale is None:
        raise ConfigError(f"kind 'scale' needs a scale question or grid; {question.id!r} has no scale")
    bands = [tuple(b) for b in (options.bands or default_bands(scale))]
    long = scale.max - scale.min >= 9
    top = options.top_box or ((7, 10) if long else (scale.max - 1, scale.max))
    agree = options.agree or top
    measures = set(options.measures)
    dk = ctx.project.codebook.dont_know_code
    keep_dk = question.dont_know == "keep"
    band_keys = [f"{lo}-{hi}" if lo != hi else str(lo) for lo, hi in bands]
    if keep_dk:
        band_keys.append(str(dk))
    lookup = np.full(max(scale.max, dk) + 2, -1, dtype=np.int64)
    for b, (lo, hi) in enumerate(bands):
        lookup[lo : hi + 1] = b
    if keep_dk:
        lookup[dk] = len(bands)
    frames = []
    for item in items_of(question, request):

        def prepare(design: SurveyDesign, item: str = item) -> Any:  # the same for every group
            values = ctx.column(design, item)
            return values, answered(values) & ctx.routed(design, question), code_range(values)

        per_design = PerDesign(prepare)

        def measure(design: SurveyDesign, group_mask: np.ndarray, prepared: PerDesign = per_design) -> list[Cell]:
            values, asked, codes = prepared(design)
            # one pass over the group's respondents: sums per cell and answer code, every measure from them
            sums = CodeSums(design, values, len(codes), asked & group_mask, low=codes[0])
            rated = codes != dk
            base = np.ones(len(codes), dtype=bool) if keep_dk else rated
            out: list[Cell] = []
            if "distribution" in measures:
                band = np.where(base & (codes >= 0), lookup[np.clip(codes, 0, len(lookup) - 1)], -1)
                out += cells(sums.shares(band, len(band_keys)), band_keys, None, "share", "percent")
            if "mean" in measures:
                out += cells(sums.means(codes.astype(float), rated), ["mean"], None, "mean", "scale")
            done = {}  # top box and agreement are often the same codes: estimated once
            for name, (lo, hi) in (("top_box", top), ("agree", agree)):
                if name in measures:
                    if (lo, hi) not in done:
                        done[(lo, hi)] = sums.means(((codes >= lo) & (codes <= hi)).astype(float), base)
                    out += cells(done[(lo, hi)], [name], [f"{lo}-{hi}"], name, "percent")
            return out

        frames.append(build_rows(ctx, request, question, item if item != question.id else "", ctx.waves_for(question, request),
                                 ctx.groups(request), measure))
    return pd.concat(frames, ignore_index=True)


SCALE = METRICS.register(MetricKind("scale", ScaleOptions, scale_table, scale_measures))
