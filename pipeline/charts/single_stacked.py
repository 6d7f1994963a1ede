"""A single 100 % stacked bar: the distribution of one question in one wave (S29 scores, S33, S35, S36).

Segments run in the question's order; labels sit inside segments wide enough
for them and the legend below names every segment.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.charts import ChartContext, ChartSpec, Series
from pipeline.charts.data import select


def build(rows: pd.DataFrame, opts: dict[str, Any], ctx: ChartContext) -> ChartSpec:
    """Options: ``measure`` (default share), ``reverse`` (draw the categories in reverse order),
    ``categories``/``exclude``, ``label`` (text beside the bar, default the wave)."""
    data = rows[(rows["group_var"] == "total") & (rows["wave"] == ctx.wave)]
    data = select(data, {**opts, "exclude": opts.get("exclude", [])}, default_measure="share")
    if opts.get("reverse"):
        data = data.iloc[::-1]
    series = [
        Series(str(r["label"]), (float(r["value"]),), (str(r["sig"] or ""),), (str(r["base_flag"]),), (int(r["n"]),))
        for _, r in data.iterrows()
    ]
    dk_last = str(data["category"].iloc[-1]) == "99"
    return ChartSpec(
        kind="single_stacked",
        categories=(str(opts.get("label", ctx.wave)),),
        series=tuple(series),
        unit="percent",
        decimals=int(opts.get("decimals", 0)),
        lang=ctx.lang,
        width=ctx.width,
        height=float(opts.get("height", min(ctx.height, 2.6))),
        description=opts.get("description", ""),
        extra=(("dont_know_last", dk_last), ("label_min", float(opts.get("label_min", 2.5))), ("label_width", 12),
               ("legend_cols", int(opts.get("legend_cols", min(len(series), 6))))),
    )


def render(spec: ChartSpec, path: Path) -> None:
    from pipeline.charts import style

    style.save(draw(spec), path)


def draw(spec: ChartSpec):  # noqa: ANN201 - matplotlib Figure
    """The chart as an unsaved matplotlib Figure."""
    from pipeline.charts import style
    from pipeline.charts.stacked_bars import draw_bars

    fig = style.figure(spec.width, spec.height)
    ax = fig.add_subplot(111)
    draw_bars(spec, ax)
    ncol = spec.opt("legend_cols", 6)
    handles, labels = style.row_major(*ax.get_legend_handles_labels(), ncol)
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.05), ncol=ncol, fontsize=8,
              handlelength=1.0, columnspacing=1.2)
    return fig


def alt_text(spec: ChartSpec) -> str:
    segs = "; ".join(f"{s.name} {spec.fmt(s.values[0])}" for s in spec.series if not math.isnan(s.values[0]))
    lead = spec.description.rstrip(".") + ". " if spec.description else ""
    return f"{lead}{spec.categories[0]}: {segs}."
