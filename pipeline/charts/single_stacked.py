"""A single 100 % stacked bar: the distribution of one question in one wave (S29 scores, S33, S35, S36).

Segments run in the question's order; labels sit inside segments wide enough
for them and the legend below names every segment.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

from pydantic import Field, PositiveFloat, PositiveInt

from pipeline.charts import CHARTS, ChartContext, ChartKind, ChartSpec, Series
from pipeline.charts.data import SelectOptions, marks_shown, select, series_colors
from pipeline.charts.stacked_bars import COMPACT_SHARE, StackedBarsDetail, draw_bars, legend_columns

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


class SingleStackedOptions(SelectOptions):
    """Options of ``single_stacked`` (``measure`` defaults to ``share``)."""

    reverse: bool = Field(False, description="draw the categories in reverse order")
    label: str | None = Field(None, description="the text beside the bar; default the wave")
    height: PositiveFloat | None = Field(None, description="chart height in inches; default about 60 % of the chart area's "
                                         "(the compact form of a single bar: thick, its figures large)")
    label_min: float = Field(2.5, ge=0, description="smallest segment (in %) that gets a label")
    legend_cols: PositiveInt | None = Field(None, description="legend columns; default one per segment, at most 6")
    decimals: int = Field(0, ge=0, le=3, description="decimals of the segment labels")


def build(rows: pd.DataFrame, opts: SingleStackedOptions, ctx: ChartContext) -> ChartSpec[StackedBarsDetail]:
    """One bar of the report wave's total: a segment per category."""
    data = rows[(rows["group_var"] == "total") & (rows["wave"] == ctx.wave)]
    data = select(data, opts, default_measure="share")
    if opts.reverse:
        data = data.iloc[::-1]
    series = [
        Series(str(r["label"]), (float(r["value"]),), (str(r["sig"] or ""),), (str(r["base_flag"]),), (int(r["n"]),))
        for _, r in data.iterrows()
    ]
    dk_last = str(data["category"].iloc[-1]) == "99"
    # one wave only: a mark would compare with a wave the chart does not show
    series = [replace(s, sig=marks_shown(s.sig, [ctx.wave], [ctx.wave], ctx.waves)) for s in series]
    series = series_colors(series, ctx.palette.bands(len(series) - (1 if dk_last else 0)) + ([ctx.palette.dont_know] if dk_last else []))
    return ChartSpec(
        kind="single_stacked",
        categories=(opts.label if opts.label is not None else str(ctx.wave),),
        series=tuple(series),
        unit="percent",
        decimals=opts.decimals,
        lang=ctx.lang,
        width=ctx.width,
        height=opts.height if opts.height is not None else round(ctx.height * COMPACT_SHARE, 2),
        description=opts.description,
        detail=StackedBarsDetail(dont_know_last=dk_last, label_min=opts.label_min, label_width=12,
                                 legend_cols=opts.legend_cols or min(len(series), 6), compact=True),
        font=ctx.font,
        order="codebook",
        mark_colors=(ctx.palette.up, ctx.palette.down),
    )


def draw(spec: ChartSpec[StackedBarsDetail]) -> Figure:
    """The chart as an unsaved matplotlib Figure."""
    from pipeline.charts import style

    detail = spec.detail or StackedBarsDetail()
    fig = style.figure(spec.width, spec.height, spec.font)
    ax = fig.add_subplot(111)
    draw_bars(spec, ax)
    ncol = min(detail.legend_cols, legend_columns(spec, 1, style.LEGEND_PT, 0.9))
    handles, labels = style.row_major(*ax.get_legend_handles_labels(), ncol)
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.05), ncol=ncol, fontsize=style.LEGEND_PT,
              handlelength=1.0, columnspacing=1.2)
    return fig


def alt_text(spec: ChartSpec[StackedBarsDetail]) -> str:
    """The bar's segments."""
    segs = "; ".join(f"{s.name} {spec.fmt(s.values[0])}" for s in spec.series if not math.isnan(s.values[0]))
    lead = spec.description.rstrip(".") + ". " if spec.description else ""
    return f"{lead}{spec.categories[0]}: {segs}."


SINGLE_STACKED = CHARTS.register(ChartKind("single_stacked", SingleStackedOptions, build, draw, alt_text))
