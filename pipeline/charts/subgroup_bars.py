"""Subgroup bars (S28, S38, S42–S44): one row per subgroup (total, age groups, sexes …).

``mode: grouped`` draws one bar per wave in each row (newest first);
``mode: stacked`` draws one 100 % bar per group across the categories (e.g.
detractors / passives / promoters by group, with the NPS beside each bar).
Blocks of different subgroup variables are separated by a thin line. Each row's
name carries its group's base in the newest wave ("18–29 år (n = 226)"), with the
low-base mark where the base is low; rows keep the codebook's order (total, then
the groups, whose order carries meaning: age, sex).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from pipeline.charts import CHARTS, ChartContext, ChartKind, ChartSpec, Series, default_alt_text
from pipeline.charts.data import (
    SelectOptions,
    low_base_mark,
    mark_color,
    marks_shown,
    select,
    series_colors,
    suppressed,
    value_axis,
)
from pipeline.numbers import fmt_count, fmt_number

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


class SubgroupBarsOptions(SelectOptions):
    """Options of ``subgroup_bars`` (``groups`` gives the rows' order)."""

    mode: Literal["grouped", "stacked"] = Field(
        "grouped", description="one bar per wave in each group's row, or one 100 % bar per group across the categories")
    side: str | None = Field(None, description="with mode: stacked, a measure printed beside each bar (e.g. ``nps``)")
    side_label: str = Field("", description="the text before the side measure (e.g. NPS)")
    x_max: float | None = Field(None, description="the end of the value axis (default 100 % for shares; never shorter than the "
                                "data); give sister slides the same value so they share a scale")
    bases: bool = Field(True, description="each row's name carries its group's base (n) in the newest wave")
    decimals: int = Field(0, ge=0, le=3, description="decimals of the data labels")


@dataclass(frozen=True)
class SubgroupBarsDetail:
    """What a subgroup chart draws besides the series: its mode, each row's block, the side measure."""

    mode: str = "grouped"
    blocks: tuple[str, ...] = ()
    side: tuple[float, ...] | None = None
    side_label: str = ""
    x_max: float | None = None
    x_min: float = 0.0
    tick_step: float = 0.0
    side_color: str = ""  # the side measure's text colour (the palette's primary); empty = the house default


def build(rows: pd.DataFrame, opts: SubgroupBarsOptions, ctx: ChartContext) -> ChartSpec[SubgroupBarsDetail]:
    """One row per subgroup (in ``groups`` order, else the metric's), bars per wave or stacked across categories."""
    mode = opts.mode
    data = select(rows, opts, use_groups=False)
    group_keys = [str(g) for g in (opts.groups if opts.groups is not None else list(dict.fromkeys(data["group"].astype(str))))]
    data = data[data["group"].astype(str).isin(group_keys)]
    group_labels = dict(zip(data["group"].astype(str), data["group_label"].astype(str), strict=True))
    group_vars = dict(zip(data["group"].astype(str), data["group_var"].astype(str), strict=True))
    series = []
    if mode == "stacked":
        data = data[data["wave"] == ctx.wave]
        for cat in dict.fromkeys(data["category"].astype(str)):
            part = data[data["category"].astype(str) == cat]
            by = {str(r["group"]): r for _, r in part.iterrows()}
            series.append(_series(str(part["label"].iloc[0]), [by.get(g) for g in group_keys]))
        side_measure = opts.side
        side = None
        if side_measure:
            srows = rows[(rows["measure"] == side_measure) & (rows["wave"] == ctx.wave)]
            side_by = dict(zip(srows["group"].astype(str), srows["value"].astype(float), strict=True))
            side = tuple(side_by.get(g, math.nan) for g in group_keys)
    else:
        for wave in sorted(data["wave"].unique(), reverse=True):
            part = data[data["wave"] == wave]
            by = {str(r["group"]): r for _, r in part.iterrows()}
            series.append(_series(str(wave), [by.get(g) for g in group_keys]))
        side = None
    if mode == "stacked":
        n_cat = len(series)
        colors = list(ctx.palette.nps()) if n_cat == 3 and set(data["category"].astype(str)) == NPS_BANDS else ctx.palette.bands(n_cat)
        series = series_colors(series, colors)
        x_lo, x_hi, step = 0.0, 100.0, 0.0
    else:
        shown = [int(s.name) for s in series]
        series = [replace(s, sig=marks_shown(s.sig, [int(s.name)] * len(s.values), shown, ctx.waves)) for s in series]
        series = series_colors(series, [ctx.wave_color(s.name) for s in series])
        finite = [v for s in series for i, v in enumerate(s.values) if not suppressed(v, s.flag_at(i))]
        x_lo, x_hi, step = value_axis(finite, str(data["unit"].iloc[0]), opts.x_max)
    names = [group_labels.get(g, g) for g in group_keys]
    if opts.bases and series:
        names = [_with_base(name, series, i, ctx.lang) for i, name in enumerate(names)]
    return ChartSpec(
        kind="subgroup_bars",
        categories=tuple(names),
        series=tuple(series),
        unit=str(data["unit"].iloc[0]),
        decimals=opts.decimals,
        lang=ctx.lang,
        width=ctx.width,
        height=ctx.height,
        description=opts.description,
        series_bases=mode != "stacked",
        detail=SubgroupBarsDetail(mode, tuple(group_vars.get(g, "") for g in group_keys), side, opts.side_label, x_hi, x_lo, step,
                                  side_color=ctx.palette.primary),
        font=ctx.font,
        order="codebook",
        mark_colors=(ctx.palette.up, ctx.palette.down),
    )


NPS_BANDS = {"detractors", "passives", "promoters"}


def _with_base(name: str, series: list[Series], i: int, lang: str) -> str:
    """A row's name with its base in the newest wave (the first series), low bases marked: "18–29 år (n = 226)"."""
    s = series[0]
    n = s.base_at(i)
    if not n:
        return name
    return f"{name} (n\u00a0=\u00a0{fmt_count(n, lang)}{low_base_mark(s.flag_at(i))})"  # kept on one line


def _series(name: str, found: list[Any]) -> Series:
    values, sig, flags, bases = [], [], [], []
    for r in found:
        if r is None:
            values.append(math.nan)
            sig.append("")
            flags.append("missing")
            bases.append(0)
        else:
            values.append(float(r["value"]))
            sig.append(str(r["sig"] or ""))
            flags.append(str(r["base_flag"]))
            bases.append(int(r["n"]))
    return Series(name, tuple(values), tuple(sig), tuple(flags), tuple(bases))


def draw(spec: ChartSpec[SubgroupBarsDetail]) -> Figure:
    """The chart as an unsaved matplotlib Figure."""
    from matplotlib.ticker import MultipleLocator

    from pipeline.charts import style

    detail = spec.detail or SubgroupBarsDetail()
    fig = style.figure(spec.width, spec.height, spec.font)
    ax = fig.add_subplot(111)
    n_rows, n_ser = len(spec.categories), len(spec.series)
    blocks = detail.blocks
    # extra space between blocks of different subgroup variables
    ys, y = [], 0.0
    for i in range(n_rows):
        if i and blocks and blocks[i] != blocks[i - 1]:
            y += 0.5
        ys.append(-y)
        y += 1.0
    font = style.TICK_PT if n_rows <= 10 else style.MIN_PT
    if detail.mode == "stacked":
        fallback = {3: [style.PALETTE.alert, style.PALETTE.passives, style.PALETTE.positive]}.get(n_ser) or style.bands(n_ser)
        colors = [s.color or fallback[k] for k, s in enumerate(spec.series)]
        left = [0.0] * n_rows
        for k, s in enumerate(spec.series):
            vals = [0 if suppressed(v, s.flag_at(i)) else v for i, v in enumerate(s.values)]
            ax.barh(ys, vals, left=left, height=0.62, color=colors[k], edgecolor="white", linewidth=0.6, label=s.name, zorder=2)
            for i, v in enumerate(vals):
                mark = s.sig_at(i)
                if v >= (8 if mark else 4):
                    label = ax.text(left[i] + v / 2, ys[i], spec.label(v), ha="center", va="center", fontsize=font,
                                    color=style.text_color_on(colors[k]))
                    if mark:
                        ax.annotate(mark, xy=(1.0, 0.5), xycoords=label, xytext=(2, 0), textcoords="offset points",
                                    va="center", ha="left", fontsize=font, color=mark_color(spec.mark_colors, mark),
                                    bbox={"boxstyle": "square,pad=0.08", "facecolor": "white", "edgecolor": "none"})
            left = [lo + v for lo, v in zip(left, vals, strict=False)]
        side = detail.side
        if side:
            for i, (y_, v) in enumerate(zip(ys, side, strict=False)):
                if not math.isnan(v) and not all(suppressed(s.values[i], s.flag_at(i)) for s in spec.series):
                    ax.text(102, y_, f"{detail.side_label} {fmt_number(v, 0, spec.lang)}".strip(), va="center", ha="left",
                            fontsize=font + 0.5, fontweight="bold", color=detail.side_color or style.NAVY)
        ax.set_xlim(0, 100)
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)
    else:
        bar_h = min(0.8 / n_ser, 0.34)
        y_top, y_bot = ys[0] + n_ser * bar_h / 2 + 0.2, ys[-1] - n_ser * bar_h / 2 - 0.2
        ax.set_ylim(y_bot, y_top)
        label_font, labelled = style.bar_labels(bar_h, 1.0, y_top - y_bot, spec.height - 0.65, style.LABEL_PT, n_ser)
        finite = [v for s in spec.series for i, v in enumerate(s.values) if not suppressed(v, s.flag_at(i))]
        if detail.tick_step:
            x_lo, x_max, step = detail.x_min, float(detail.x_max or 100.0), detail.tick_step
        else:
            x_lo, x_max, step = value_axis(finite, spec.unit, detail.x_max)
        for k, s in enumerate(spec.series):
            yk = [yy + (n_ser - 1) * bar_h / 2 - k * bar_h for yy in ys]
            vals = [0 if suppressed(v, s.flag_at(i)) else v for i, v in enumerate(s.values)]
            ax.barh(yk, vals, height=bar_h * 0.9, color=s.color or style.WAVES[k % len(style.WAVES)], label=s.name, zorder=2)
            for i, (yy, v) in enumerate(zip(yk, s.values, strict=False)):
                if k >= labelled:
                    break
                text = "–" if suppressed(v, s.flag_at(i)) else spec.label(v) + low_base_mark(s.flag_at(i))
                mark = s.sig_at(i) if k == 0 and not suppressed(v, s.flag_at(i)) else ""
                label = ax.text((0 if suppressed(v, s.flag_at(i)) else v) + (x_max - x_lo) * 0.008, yy, text,
                                va="center", ha="left", fontsize=label_font, color=style.TEXT)
                if mark:
                    ax.annotate(mark, xy=(1.0, 0.5), xycoords=label, xytext=(label_font * 0.3, 0), textcoords="offset points",
                                va="center", ha="left", fontsize=label_font, color=mark_color(spec.mark_colors, mark))
        ax.tick_params(axis="x", labelsize=style.TICK_PT)
        ax.xaxis.set_major_formatter(style.tick_formatter(spec.lang, percent=spec.unit == "percent"))
        ax.xaxis.set_major_locator(MultipleLocator(step))
        ax.set_xlim(x_lo, x_max)
        ax.set_autoscalex_on(False)
    for i in range(1, n_rows):
        if blocks and blocks[i] != blocks[i - 1]:
            ax.axhline((ys[i] + ys[i - 1]) / 2, color="#E5E7EB", linewidth=0.8, zorder=1)
    ax.set_yticks(ys)
    row_labels = list(spec.categories)
    if detail.mode == "stacked" and not any("(n\u00a0=" in c for c in row_labels):
        # 100 % bars have no single value to mark and no base in the name: a low base marks the group's name
        row_labels = [c + low_base_mark("low" if any(s.flag_at(i) == "low" for s in spec.series) else "ok")
                      for i, c in enumerate(row_labels)]
    ax.set_yticklabels(row_labels, fontsize=font)
    style.clean_axes(ax, None if detail.mode == "stacked" else "x")
    ax.spines["left"].set_visible(False)
    if detail.mode != "stacked":
        ax.spines["bottom"].set_visible(False)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=n_ser, fontsize=style.LEGEND_PT, handlelength=1.2)
    return fig


def alt_text(spec: ChartSpec[SubgroupBarsDetail]) -> str:
    """Grouped: the default (figures per wave). Stacked: each group's bands and the side measure."""
    detail = spec.detail or SubgroupBarsDetail()
    if detail.mode != "stacked":
        return default_alt_text(spec)
    lead = spec.description.rstrip(".") + ". " if spec.description else ""
    side, side_label = detail.side, detail.side_label
    parts = []
    for i, group in enumerate(spec.categories):
        if all(suppressed(s.values[i], s.flag_at(i)) for s in spec.series):
            continue
        bands = ", ".join(f"{s.name} {spec.fmt(s.values[i])}" for s in spec.series if not suppressed(s.values[i], s.flag_at(i)))
        extra = "; " + " ".join(filter(None, [side_label, fmt_number(side[i], 0, spec.lang)])) if side and not math.isnan(side[i]) else ""
        parts.append(f"{group}: {bands}{extra}")
    return lead + ". ".join(parts) + "."


def notes_columns(spec: ChartSpec[SubgroupBarsDetail]) -> list[tuple[str, list[str]]]:
    """Stacked bars with a side measure (e.g. the NPS) carry it as an extra notes column."""
    detail = spec.detail or SubgroupBarsDetail()
    side = detail.side
    if detail.mode != "stacked" or not side:
        return []
    column = []
    for i, v in enumerate(side):
        hidden = math.isnan(v) or all(suppressed(s.values[i], s.flag_at(i)) for s in spec.series)
        column.append("–" if hidden else fmt_number(v, 1, spec.lang))
    return [(detail.side_label, column)]


SUBGROUP_BARS = CHARTS.register(ChartKind("subgroup_bars", SubgroupBarsOptions, build, draw, alt_text, notes_columns))
