"""Grouped horizontal bars: one row per category (or item), one bar per wave (or group).

Used for the coded open questions (S13–S16, S23), logged-in services (S21),
the value batteries (S24–S26) and single-wave rankings (S25, S45). Rows are
sorted by the newest wave unless the slide fixes the order; the newest wave's
significant changes are marked ▲▼ next to its value.

Everything the picture shows is decided when the spec is built, so a native chart
drawn from the same spec shows the same: each series' colour (a wave's colour is
the same on every chart), the value axis (0–100 % for shares unless the slide
says otherwise, from zero, ending on a tick), and how many series carry data
labels (only the newest where labels of every bar would be below 9 pt).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from pipeline.charts import CHARTS, ChartContext, ChartKind, ChartSpec
from pipeline.charts.data import (
    HIDDEN_BY_DEFAULT,
    SelectOptions,
    low_base_mark,
    mark_color,
    marks_shown,
    pivot,
    reorder,
    select,
    series_colors,
    sort_keys,
    suppressed,
    value_axis,
)
from pipeline.errors import ConfigError
from pipeline.numbers import fmt_count

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


class Band(BaseModel):
    """One band of a scheme the bars are read against (e.g. NPS above 50: excellent)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    above: float | None = Field(None, description="the band holds values above this; none for the lowest band")
    label: str = Field(description="the band's name in the key, e.g. 'above 50: excellent'")


class GroupedBarsOptions(SelectOptions):
    """Options of ``grouped_bars`` (``exclude`` defaults to the uncoded and "Vet ej" rows)."""

    rows: Literal["category", "item", "group"] = Field("category", description="what each row of bars is")
    series: Literal["wave", "group"] = Field("wave", description="what each bar of a row is")
    sort: Literal["newest", "fixed", "mean"] = Field(
        "newest", description="row order: by the newest series (descending), as the codebook gives them (where the "
        "order carries meaning), or by each row's mean")
    top: PositiveInt | None = Field(None, description="draw only the first N rows")
    decimals: int = Field(0, ge=0, le=3, description="decimals of the data labels")
    x_max: float | None = Field(None, description="the end of the value axis (default 100 % for shares; never shorter "
                                "than the data); give sister slides the same value so they share a scale")
    label_width: int = Field(34, gt=0, description="characters per line of the row labels")
    palette: Literal["waves", "groups"] = Field("waves", description="colours: each wave's own colour, or the subgroup colours")
    group_var_only: str = Field("total", description="with series: wave, the subgroup variable drawn")
    bases: bool = Field(True, description="with rows: group, each group's name carries its base (n) in the newest wave")
    bands: list[Band] | None = Field(None, description="a band scheme, lowest band first (e.g. [{label: …}, {above: 0, label: …}, "
                                     "{above: 50, label: …}]): the newest wave's bars take their band's colour, the bands' "
                                     "limits are drawn and keyed")

    @model_validator(mode="after")
    def _bands_ordered(self) -> GroupedBarsOptions:
        if self.bands:
            limits = [b.above for b in self.bands]
            rising = [x for x in limits[1:] if x is not None]
            if limits[0] is not None or len(rising) != len(limits) - 1 or rising != sorted(set(rising)):
                raise ValueError("bands: the first band has no 'above', the others rise (e.g. above 0, then above 50)")
        return self


@dataclass(frozen=True)
class GroupedBarsDetail:
    """What a grouped bar chart draws besides the series: the value axis, label width and labelled series."""

    x_max: float | None = None
    label_width: int = 34
    palette: str = "waves"
    x_min: float = 0.0
    tick_step: float = 0.0
    labelled: int = -1  # how many series (from the first) carry data labels; -1 = all
    label_size: float = 0.0
    row_label_size: float = 0.0
    bands: tuple[tuple[float | None, str, str], ...] = ()  # (lower limit, key label, colour), lowest first


def _geometry(n_rows: int, n_series: int) -> tuple[float, float, float, float]:
    """(bar height, row pitch, y low, y high) in data units: rows top to bottom, newest series on top."""
    bar_h = min(0.8 / n_series, 0.32)
    group_h = bar_h * n_series + (0.8 * bar_h if n_series > 1 else 0.25)
    y_lo, y_hi = -(n_rows - 1) * group_h - n_series * bar_h + bar_h / 2 - 0.15, bar_h / 2 + 0.1
    return bar_h, group_h, y_lo, y_hi


def label_plan(n_rows: int, n_series: int, height: float, multi_legend: bool) -> tuple[float, int, float]:
    """(data label size, labelled series, row label size) for a chart ``height`` inches tall: labels of every bar at
    9 pt or more, else the newest series' only, else none (never smaller text)."""
    from pipeline.charts import sizes  # not style: building a spec never imports matplotlib

    bar_h, group_h, y_lo, y_hi = _geometry(n_rows, n_series)
    plot_h = height - (0.65 if multi_legend else 0.4)
    size, labelled = sizes.bar_labels(bar_h, group_h, y_hi - y_lo, plot_h, sizes.LABEL_PT, n_series)
    row_size = sizes.TICK_PT if n_rows <= 10 else sizes.MIN_PT
    return size, labelled, row_size


def build(rows: pd.DataFrame, opts: GroupedBarsOptions, ctx: ChartContext) -> ChartSpec[GroupedBarsDetail]:
    """One row per category, item or group, one bar per wave or group, sorted and cut to the top N rows."""
    row_key = opts.rows
    series_by = opts.series
    data = select(rows, opts, default_exclude=HIDDEN_BY_DEFAULT)
    if series_by == "wave" and opts.groups is None:
        kept = data[data["group_var"] == opts.group_var_only]
        if kept.empty:
            raise ConfigError(f"group_var_only {opts.group_var_only!r} selects no rows; the rows' subgroup variables are "
                              f"{', '.join(sorted(set(map(str, data['group_var']))))} (with rows: group, set group_var_only to one of "
                              "them)")
        data = kept
    keys, labels, series = pivot(data, row_key, series_by,
                                 series_order=[str(g) for g in opts.groups] if series_by == "group" and opts.groups else None)
    how: str = opts.sort
    extra = None
    if how == "mean":
        means = rows[(rows["measure"] == "mean") & (rows["wave"] == ctx.wave) & (rows["group_var"] == "total")]
        extra = dict(zip(means["item"].astype(str) if row_key == "item" else means["category"].astype(str), means["value"], strict=True))
        how = "extra"
    order = sort_keys(keys, series, how, extra)
    if opts.top:
        order = order[: opts.top]
    series = reorder(series, order)
    labels = [labels[i] for i in order]
    by_group = row_key == "group"
    if by_group and opts.bases and series:
        # each group's base in its name (the newest series'), as subgroup bars do; the footnote gives the waves' totals
        newest = series[0] if series_by != "wave" else max(series, key=lambda s: int(s.name))
        labels = [f"{label} (n\u00a0=\u00a0{fmt_count(n, ctx.lang)}{low_base_mark(newest.flag_at(i))})" if (n := newest.base_at(i))
                  else label for i, label in enumerate(labels)]
    if series_by == "wave":
        shown = [int(s.name) for s in series]
        series = [replace(s, sig=marks_shown(s.sig, [int(s.name)] * len(s.values), shown, ctx.waves)) for s in series]
        colors = [ctx.wave_color(s.name) for s in series]
    else:
        colors = ctx.palette.groups(len(series))
    series = series_colors(series, colors)
    bands: tuple[tuple[float | None, str, str], ...] = ()
    if opts.bands and series:
        shades = [ctx.palette.alert, *ctx.palette.bands(len(opts.bands))[1:]] if len(opts.bands) > 2 else ctx.palette.bands(len(opts.bands))
        bands = tuple((b.above, b.label, c) for b, c in zip(opts.bands, shades, strict=True))
        newest = series[0]
        series = [replace(newest, point_colors=tuple(band_of(v, bands)[2] for v in newest.values)), *series[1:]]
    unit = str(data["unit"].iloc[0])
    finite = [v for s in series for i, v in enumerate(s.values) if not suppressed(v, s.flag_at(i))]
    x_lo, x_hi, step = value_axis(finite, unit, opts.x_max)
    label_size, labelled, row_size = label_plan(len(labels), len(series), ctx.height, len(series) > 1 or bool(opts.bands))
    return ChartSpec(
        kind="grouped_bars",
        categories=tuple(labels),
        series=tuple(series),
        unit=unit,
        decimals=opts.decimals,
        lang=ctx.lang,
        width=ctx.width,
        height=ctx.height,
        description=opts.description,
        series_bases=not by_group,  # a row per group: the footnote gives each wave's total base
        detail=GroupedBarsDetail(x_hi, opts.label_width, opts.palette, x_lo, step, labelled, label_size, row_size, bands),
        font=ctx.font,
        order={"newest": "value", "fixed": "codebook", "mean": "mean"}[opts.sort],
        mark_colors=(ctx.palette.up, ctx.palette.down),
    )


def band_of(value: float, bands: tuple[tuple[float | None, str, str], ...]) -> tuple[float | None, str, str]:
    """The band ``value`` falls in: the last whose lower limit it is above (the lowest band has none)."""
    found = bands[0]
    for band in bands[1:]:
        if band[0] is not None and value > band[0]:
            found = band
    return found


def draw(spec: ChartSpec[GroupedBarsDetail]) -> Figure:
    """The chart as an unsaved matplotlib Figure."""
    from pipeline.charts import style

    detail = spec.detail or GroupedBarsDetail()
    n_rows, n_series = len(spec.categories), len(spec.series)
    fig = style.figure(spec.width, spec.height, spec.font)
    ax = fig.add_subplot(111)
    bar_h, group_h, y_lo, y_hi = _geometry(n_rows, n_series)
    finite = [v for s in spec.series for i, v in enumerate(s.values) if not suppressed(v, s.flag_at(i))]
    if detail.tick_step:
        x_lo, x_max, step = detail.x_min, float(detail.x_max or 100.0), detail.tick_step
    else:
        x_lo, x_max, step = value_axis(finite, spec.unit, detail.x_max)
    if detail.label_size:
        label_size, labelled, row_size = detail.label_size, detail.labelled, detail.row_label_size
    else:
        label_size, labelled, row_size = label_plan(n_rows, n_series, spec.height, n_series > 1)
    if labelled < 0:
        labelled = n_series
    fallback = [style.WAVES, style.GROUPS][detail.palette != "waves"]
    for s_idx, s in enumerate(spec.series):
        color = s.color or fallback[s_idx % len(fallback)]
        ys = [-(r * group_h + s_idx * bar_h) for r in range(n_rows)]
        vals = [0 if suppressed(v, s.flag_at(i)) else v for i, v in enumerate(s.values)]
        ax.barh(ys, vals, height=bar_h * 0.92, color=list(s.point_colors) if s.point_colors else color, label=s.name, zorder=2)
        for i, (y, v) in enumerate(zip(ys, s.values, strict=False)):
            if s_idx >= labelled:
                break
            flag = s.flag_at(i)
            text = "–" if suppressed(v, flag) else spec.label(v) + low_base_mark(flag)
            mark = s.sig_at(i) if s_idx == 0 and not suppressed(v, flag) else ""
            label = ax.text((0 if suppressed(v, flag) else v) + (x_max - x_lo) * 0.008, y, text, va="center", ha="left",
                            fontsize=label_size, color=style.TEXT, zorder=3)
            if mark:
                # placed right after the label's drawn extent, so it never runs into the number
                ax.annotate(mark, xy=(1.0, 0.5), xycoords=label, xytext=(label_size * 0.3, 0), textcoords="offset points",
                            va="center", ha="left", fontsize=label_size, color=mark_color(spec.mark_colors, mark), zorder=3)
    centers = [-(r * group_h + (n_series - 1) * bar_h / 2) for r in range(n_rows)]
    ax.set_yticks(centers)
    ax.set_yticklabels([style.wrap(c, detail.label_width) for c in spec.categories], fontsize=row_size)
    ax.set_xlim(x_lo, x_max)
    ax.set_ylim(y_lo, y_hi)
    style.clean_axes(ax, "x")
    ax.spines["bottom"].set_visible(False)
    ax.tick_params(axis="x", labelsize=style.TICK_PT)
    from matplotlib.ticker import MultipleLocator

    ax.xaxis.set_major_formatter(style.tick_formatter(spec.lang, percent=spec.unit == "percent"))
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.set_xlim(x_lo, x_max)  # again: the axis ends on its last tick, whatever the locator proposes
    ax.set_autoscalex_on(False)
    if detail.bands:
        from matplotlib.patches import Patch

        for above, _, _ in detail.bands[1:]:  # each band's lower limit, where it lies on the axis
            if above is not None and x_lo < above < x_max:
                ax.axvline(above, color=style.TEXT, linewidth=0.8, linestyle=(0, (3, 3)), zorder=1.5)
        handles = [Patch(color=c, label=label) for _, label, c in detail.bands]
        if n_series > 1:
            handles += [Patch(color=s.color, label=s.name) for s in spec.series[1:] if s.color]
        ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(handles), fontsize=style.LEGEND_PT,
                  handlelength=1.2, columnspacing=1.5, frameon=False)
    elif n_series > 1:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=n_series, fontsize=style.LEGEND_PT,
                  handlelength=1.2, columnspacing=1.5)
    return fig


def value_range(values: list[float], unit: str, at_least: float | None = None, headroom: float = 1.18) -> tuple[float, float]:
    """(low, high) end of a bar chart's value axis (see :func:`pipeline.charts.data.value_axis`)."""
    lo, hi, _ = value_axis(values, unit, at_least)
    return lo, hi


GROUPED_BARS = CHARTS.register(ChartKind("grouped_bars", GroupedBarsOptions, build, draw))
