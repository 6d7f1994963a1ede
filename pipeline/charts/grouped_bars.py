"""Grouped horizontal bars: one row per category (or item), one bar per wave (or group).

Used for the coded open questions (S13–S16, S23), logged-in services (S21),
the value batteries (S24–S26) and single-wave rankings (S25, S45). Rows are
sorted by the newest wave unless the slide fixes the order; the newest wave's
significant changes are marked ▲▼ next to its value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import Field, PositiveInt

from pipeline.charts import CHARTS, ChartContext, ChartKind, ChartSpec
from pipeline.charts.data import HIDDEN_BY_DEFAULT, SelectOptions, low_base_mark, pivot, reorder, select, sort_keys, suppressed

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


class GroupedBarsOptions(SelectOptions):
    """Options of ``grouped_bars`` (``exclude`` defaults to the uncoded and "Vet ej" rows)."""

    rows: Literal["category", "item", "group"] = Field("category", description="what each row of bars is")
    series: Literal["wave", "group"] = Field("wave", description="what each bar of a row is")
    sort: Literal["newest", "fixed", "mean"] = Field(
        "newest", description="row order: by the newest series, as the metric gives them, or by each row's mean")
    top: PositiveInt | None = Field(None, description="draw only the first N rows")
    decimals: int = Field(0, ge=0, le=3, description="decimals of the data labels")
    x_max: float | None = Field(None, description="the value axis reaches at least this far (it is never shorter than the data)")
    label_width: int = Field(34, gt=0, description="characters per line of the row labels")
    palette: Literal["waves", "groups"] = Field("waves", description="colours: shades for waves or distinct colours for groups")
    group_var_only: str = Field("total", description="with series: wave, the subgroup variable drawn")


@dataclass(frozen=True)
class GroupedBarsDetail:
    """What a grouped bar chart draws besides the series."""

    x_max: float | None = None
    label_width: int = 34
    palette: str = "waves"


def build(rows: pd.DataFrame, opts: GroupedBarsOptions, ctx: ChartContext) -> ChartSpec[GroupedBarsDetail]:
    """One row per category, item or group, one bar per wave or group, sorted and cut to the top N rows."""
    row_key = opts.rows
    series_by = opts.series
    data = select(rows, opts, default_exclude=HIDDEN_BY_DEFAULT)
    if series_by == "wave" and opts.groups is None:
        data = data[data["group_var"] == opts.group_var_only]
    keys, labels, series = pivot(data, row_key, series_by,
                                 series_order=[str(g) for g in opts.groups] if series_by == "group" and opts.groups else None)
    how: str = opts.sort
    extra = None
    if how == "mean":
        means = rows[(rows["measure"] == "mean") & (rows["wave"] == ctx.wave) & (rows["group_var"] == "total")]
        extra = dict(zip(means["item"].astype(str) if row_key == "item" else means["category"].astype(str), means["value"]))
        how = "extra"
    order = sort_keys(keys, series, how, extra)
    if opts.top:
        order = order[: opts.top]
    series = reorder(series, order)
    labels = [labels[i] for i in order]
    return ChartSpec(
        kind="grouped_bars",
        categories=tuple(labels),
        series=tuple(series),
        unit=str(data["unit"].iloc[0]),
        decimals=opts.decimals,
        lang=ctx.lang,
        width=ctx.width,
        height=ctx.height,
        description=opts.description,
        series_bases=True,
        detail=GroupedBarsDetail(opts.x_max, opts.label_width, opts.palette),
    )


def draw(spec: ChartSpec[GroupedBarsDetail]) -> Figure:
    """The chart as an unsaved matplotlib Figure."""
    from pipeline.charts import style

    detail = spec.detail or GroupedBarsDetail()
    n_rows, n_series = len(spec.categories), len(spec.series)
    fig = style.figure(spec.width, spec.height)
    ax = fig.add_subplot(111)
    # geometry: rows top to bottom, series within a row top to bottom (newest first)
    bar_h = min(0.8 / n_series, 0.32)
    group_h = bar_h * n_series + (0.8 * bar_h if n_series > 1 else 0.25)
    y_lo, y_hi = -(n_rows - 1) * group_h - n_series * bar_h + bar_h / 2 - 0.15, bar_h / 2 + 0.1
    colors = style.WAVES if detail.palette == "waves" else style.GROUPS
    finite = [v for s in spec.series for i, v in enumerate(s.values) if not suppressed(v, s.flag_at(i))]
    x_lo, x_max = value_range(finite, spec.unit, detail.x_max)
    # the plot area is the figure less the legend row and the x tick labels
    plot_h = spec.height - (0.6 if n_series > 1 else 0.35)
    largest = 7.5 if n_rows * n_series > 24 else 8.5
    label_size, labelled = style.bar_labels(bar_h, group_h, y_hi - y_lo, plot_h, largest, n_series)
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
    ax.set_yticklabels([style.wrap(c, detail.label_width) for c in spec.categories],
                       fontsize=8.5 if n_rows <= 11 else 7.5)
    ax.set_xlim(x_lo, x_max * 1.08)
    ax.set_ylim(y_lo, y_hi)
    style.clean_axes(ax, "x")
    ax.spines["bottom"].set_visible(False)
    ax.tick_params(axis="x", labelsize=8)
    style.value_axis(ax.xaxis, spec.unit, spec.lang)
    if n_series > 1:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=n_series, fontsize=8.5,
                  handlelength=1.2, columnspacing=1.5)
    return fig


def value_range(values: list[float], unit: str, at_least: float | None = None, headroom: float = 1.18) -> tuple[float, float]:
    """(low, high) end of a bar chart's value axis: from 0 (or below the lowest negative value) to 100 % for
    percentages above 30 %, else ``headroom`` times the largest value; a configured ``at_least`` only widens it."""
    vmax = max(values) if values else 1.0
    vmin = min(values) if values else 0.0
    high = 100.0 if unit == "percent" and vmax > 30 else vmax * headroom
    if high <= 0:
        high = 1.0
    if at_least is not None:
        high = max(high, at_least)
    return (min(0.0, vmin * headroom), high)


GROUPED_BARS = CHARTS.register(ChartKind("grouped_bars", GroupedBarsOptions, build, draw))
