"""Grouped horizontal bars: one row per category (or item), one bar per wave (or group).

Used for the coded open questions (S13–S16, S23), logged-in services (S21),
the value batteries (S24–S26) and single-wave rankings (S25, S45). Rows are
sorted by the newest wave unless the slide fixes the order; the newest wave's
significant changes are marked ▲▼ next to its value.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.charts import ChartContext, ChartSpec, default_alt_text
from pipeline.charts.data import low_base_mark, pivot, reorder, select, sort_keys, suppressed


MIN_LABEL_SIZE = 5.5  # pt; smaller data labels are not drawn


def build(rows: pd.DataFrame, opts: dict[str, Any], ctx: ChartContext) -> ChartSpec:
    """Options: ``measure``, ``rows`` (category|item|group), ``series`` (wave|group),
    ``sort`` (newest|fixed|mean), ``top`` (N rows), ``categories``/``exclude``, ``decimals``, ``x_max``."""
    row_key = opts.get("rows", "category")
    series_by = opts.get("series", "wave")
    data = select(rows, opts, default_measure=opts.get("measure"))
    if series_by == "wave":
        data = data[data["group_var"] == opts.get("group_var_only", "total")] if "groups" not in opts else data
    keys, labels, series = pivot(data, row_key, series_by, series_order=opts.get("groups") if series_by == "group" else None)
    how = opts.get("sort", "newest")
    extra = None
    if how == "mean":
        means = rows[(rows["measure"] == "mean") & (rows["wave"] == ctx.wave) & (rows["group_var"] == "total")]
        extra = dict(zip(means["item"].astype(str) if row_key == "item" else means["category"].astype(str), means["value"]))
        how = "extra"
    order = sort_keys(keys, series, how, extra)
    top = opts.get("top")
    if top:
        order = order[: int(top)]
    series = reorder(series, order)
    labels = [labels[i] for i in order]
    return ChartSpec(
        kind="grouped_bars",
        categories=tuple(labels),
        series=tuple(series),
        unit=data["unit"].iloc[0],
        decimals=int(opts.get("decimals", 0)),
        lang=ctx.lang,
        width=ctx.width,
        height=ctx.height,
        description=opts.get("description", ""),
        extra=(("x_max", opts.get("x_max")), ("label_width", int(opts.get("label_width", 34))),
               ("palette", opts.get("palette", "waves")), ("series_bases", True)),
    )


def render(spec: ChartSpec, path: Path) -> None:
    from pipeline.charts import style

    style.save(draw(spec), path)


def draw(spec: ChartSpec):  # noqa: ANN201 - matplotlib Figure
    """The chart as an unsaved matplotlib Figure."""
    from pipeline.charts import style

    n_rows, n_series = len(spec.categories), len(spec.series)
    fig = style.figure(spec.width, spec.height)
    ax = fig.add_subplot(111)
    # geometry: rows top to bottom, series within a row top to bottom (newest first)
    bar_h = min(0.8 / n_series, 0.32)
    group_h = bar_h * n_series + (0.8 * bar_h if n_series > 1 else 0.25)
    y_lo, y_hi = -(n_rows - 1) * group_h - n_series * bar_h + bar_h / 2 - 0.15, bar_h / 2 + 0.1
    colors = style.WAVES if spec.opt("palette", "waves") == "waves" else style.GROUPS
    finite = [v for s in spec.series for v in s.values if v is not None and not math.isnan(v)]
    vmax = max(finite) if finite else 1.0
    x_max = spec.opt("x_max") or (100.0 if spec.unit == "percent" and vmax > 30 else vmax * 1.18)
    # labels of neighbouring bars must not overlap: the font follows the bar pitch
    # (the plot area is the figure less the legend row and the x tick labels)
    plot_h = spec.height - (0.6 if n_series > 1 else 0.35)
    largest = 7.5 if n_rows * n_series > 24 else 8.5
    label_size = style.fit_label_size(bar_h, y_hi - y_lo, plot_h, largest, smallest=0)
    labelled = n_series
    if label_size < MIN_LABEL_SIZE and n_series > 1:
        # too crowded to label every bar legibly: only the newest wave is labelled (the notes hold the rest)
        labelled = 1
        label_size = style.fit_label_size(group_h, y_hi - y_lo, plot_h, largest, smallest=MIN_LABEL_SIZE)
    label_size = max(label_size, MIN_LABEL_SIZE)
    for s_idx, s in enumerate(spec.series):
        color = colors[s_idx % len(colors)]
        ys = [-(r * group_h + s_idx * bar_h) for r in range(n_rows)]
        vals = [0 if suppressed(v, s.flag_at(i)) else v for i, v in enumerate(s.values)]
        ax.barh(ys, vals, height=bar_h * 0.92, color=color, label=s.name, zorder=2)
        for i, (y, v) in enumerate(zip(ys, s.values)):
            if s_idx >= labelled:
                break
            flag = s.flag_at(i)
            if suppressed(v, flag):
                text = "–"
            else:
                text = spec.label(v) + low_base_mark(flag)
            mark = s.sig_at(i) if s_idx == 0 and not suppressed(v, flag) else ""
            label = ax.text((0 if suppressed(v, flag) else v) + x_max * 0.008, y, text, va="center", ha="left",
                            fontsize=label_size, color=style.TEXT, zorder=3)
            if mark:
                # placed right after the label's drawn extent, so it never runs into the number
                ax.annotate(mark, xy=(1.0, 0.5), xycoords=label, xytext=(label_size * 0.3, 0), textcoords="offset points",
                            va="center", ha="left", fontsize=label_size, color=style.GREEN if mark == "▲" else style.CORAL,
                            zorder=3)
    centers = [-(r * group_h + (n_series - 1) * bar_h / 2) for r in range(n_rows)]
    ax.set_yticks(centers)
    ax.set_yticklabels([style.wrap(c, spec.opt("label_width", 34)) for c in spec.categories],
                       fontsize=8.5 if n_rows <= 11 else 7.5)
    ax.set_xlim(0, x_max * 1.08)
    ax.set_ylim(y_lo, y_hi)
    style.clean_axes(ax, "x")
    ax.spines["bottom"].set_visible(False)
    ax.tick_params(axis="x", labelsize=8)
    if spec.unit == "percent":
        ax.xaxis.set_major_formatter(style.tick_formatter(spec.lang))
    else:
        ax.xaxis.set_major_formatter(style.tick_formatter(spec.lang, percent=False))
    style.nice_ticks(ax.xaxis)
    if n_series > 1:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=n_series, fontsize=8.5,
                  handlelength=1.2, columnspacing=1.5)
    return fig


def alt_text(spec: ChartSpec) -> str:
    return default_alt_text(spec)
