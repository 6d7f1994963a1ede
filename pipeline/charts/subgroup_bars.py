"""Subgroup bars (S28, S38, S42–S44): one row per subgroup (total, age groups, sexes …).

``mode: grouped`` draws one bar per wave in each row (newest first);
``mode: stacked`` draws one 100 % bar per group across the categories (e.g.
detractors / passives / promoters by group, with the NPS beside each bar).
Blocks of different subgroup variables are separated by a thin line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from pipeline.charts import CHARTS, ChartContext, ChartKind, ChartSpec, Series, default_alt_text
from pipeline.charts.data import SelectOptions, low_base_mark, select, suppressed
from pipeline.charts.grouped_bars import value_range
from pipeline.numbers import fmt_number

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


class SubgroupBarsOptions(SelectOptions):
    """Options of ``subgroup_bars`` (``groups`` gives the rows' order)."""

    mode: Literal["grouped", "stacked"] = Field(
        "grouped", description="one bar per wave in each group's row, or one 100 % bar per group across the categories")
    side: str | None = Field(None, description="with mode: stacked, a measure printed beside each bar (e.g. ``nps``)")
    side_label: str = Field("", description="the text before the side measure (e.g. NPS)")
    x_max: float | None = Field(None, description="the value axis reaches at least this far (it is never shorter than the data)")
    decimals: int = Field(0, ge=0, le=3, description="decimals of the data labels")


@dataclass(frozen=True)
class SubgroupBarsDetail:
    """What a subgroup chart draws besides the series: its mode, each row's block, the side measure."""

    mode: str = "grouped"
    blocks: tuple[str, ...] = ()
    side: tuple[float, ...] | None = None
    side_label: str = ""
    x_max: float | None = None


def build(rows: pd.DataFrame, opts: SubgroupBarsOptions, ctx: ChartContext) -> ChartSpec[SubgroupBarsDetail]:
    """One row per subgroup (in ``groups`` order, else the metric's), bars per wave or stacked across categories."""
    mode = opts.mode
    data = select(rows, opts, use_groups=False)
    group_keys = [str(g) for g in (opts.groups if opts.groups is not None else list(dict.fromkeys(data["group"].astype(str))))]
    data = data[data["group"].astype(str).isin(group_keys)]
    group_labels = dict(zip(data["group"].astype(str), data["group_label"].astype(str)))
    group_vars = dict(zip(data["group"].astype(str), data["group_var"].astype(str)))
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
            by = dict(zip(srows["group"].astype(str), srows["value"].astype(float)))
            side = tuple(by.get(g, math.nan) for g in group_keys)
    else:
        for wave in sorted(data["wave"].unique(), reverse=True):
            part = data[data["wave"] == wave]
            by = {str(r["group"]): r for _, r in part.iterrows()}
            series.append(_series(str(wave), [by.get(g) for g in group_keys]))
        side = None
    return ChartSpec(
        kind="subgroup_bars",
        categories=tuple(group_labels.get(g, g) for g in group_keys),
        series=tuple(series),
        unit=str(data["unit"].iloc[0]),
        decimals=opts.decimals,
        lang=ctx.lang,
        width=ctx.width,
        height=ctx.height,
        description=opts.description,
        series_bases=mode != "stacked",
        detail=SubgroupBarsDetail(mode, tuple(group_vars.get(g, "") for g in group_keys), side, opts.side_label, opts.x_max),
    )


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
    from pipeline.charts import style

    detail = spec.detail or SubgroupBarsDetail()
    fig = style.figure(spec.width, spec.height)
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
    font = 8.5 if n_rows <= 10 else 7.5
    if detail.mode == "stacked":
        colors = {0: [style.NAVY], 2: [style.LIGHT, style.NAVY], 3: [style.CORAL, style.LIGHT_GREY, style.NAVY]}.get(n_ser) or style.bands(n_ser)
        left = [0.0] * n_rows
        for k, s in enumerate(spec.series):
            vals = [0 if suppressed(v, s.flag_at(i)) else v for i, v in enumerate(s.values)]
            ax.barh(ys, vals, left=left, height=0.62, color=colors[k], edgecolor="white", linewidth=0.6, label=s.name, zorder=2)
            for i, v in enumerate(vals):
                mark = s.sig_at(i)
                if v >= (7 if mark else 4):
                    ax.text(left[i] + v / 2, ys[i], spec.label(v) + mark, ha="center", va="center", fontsize=font,
                            color=style.text_color_on(colors[k]))
            left = [l + v for l, v in zip(left, vals)]
        side = detail.side
        if side:
            for i, (y_, v) in enumerate(zip(ys, side)):
                if not math.isnan(v) and not all(suppressed(s.values[i], s.flag_at(i)) for s in spec.series):
                    ax.text(102, y_, f"{detail.side_label} {fmt_number(v, 0, spec.lang)}".strip(), va="center", ha="left",
                            fontsize=font + 0.5, fontweight="bold", color=style.NAVY)
        ax.set_xlim(0, 100)
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)
    else:
        bar_h = min(0.8 / n_ser, 0.34)
        y_top, y_bot = ys[0] + n_ser * bar_h / 2 + 0.2, ys[-1] - n_ser * bar_h / 2 - 0.2
        ax.set_ylim(y_bot, y_top)
        label_font, labelled = style.bar_labels(bar_h, 1.0, y_top - y_bot, spec.height - 0.6, font - 0.5, n_ser)
        finite = [v for s in spec.series for i, v in enumerate(s.values) if not suppressed(v, s.flag_at(i))]
        x_lo, x_max = value_range(finite, "", detail.x_max, headroom=1.2)
        for k, s in enumerate(spec.series):
            yk = [yy + (n_ser - 1) * bar_h / 2 - k * bar_h for yy in ys]
            vals = [0 if suppressed(v, s.flag_at(i)) else v for i, v in enumerate(s.values)]
            ax.barh(yk, vals, height=bar_h * 0.9, color=style.WAVES[k % len(style.WAVES)], label=s.name, zorder=2)
            for i, (yy, v) in enumerate(zip(yk, s.values)):
                if k >= labelled:
                    break
                text = "–" if suppressed(v, s.flag_at(i)) else spec.label(v) + low_base_mark(s.flag_at(i))
                mark = s.sig_at(i) if k == 0 and not suppressed(v, s.flag_at(i)) else ""
                ax.text((0 if suppressed(v, s.flag_at(i)) else v) + x_max * 0.01, yy, text + (" " + mark if mark else ""),
                        va="center", ha="left", fontsize=label_font, color=style.TEXT)
        ax.set_xlim(x_lo, x_max * 1.12)
        ax.tick_params(axis="x", labelsize=8)
        style.value_axis(ax.xaxis, spec.unit, spec.lang)
    for i in range(1, n_rows):
        if blocks and blocks[i] != blocks[i - 1]:
            ax.axhline((ys[i] + ys[i - 1]) / 2, color="#E5E7EB", linewidth=0.8, zorder=1)
    ax.set_yticks(ys)
    row_labels = list(spec.categories)
    if detail.mode == "stacked":
        # 100 % bars have no single value to mark: a low base marks the group's name
        for i in range(n_rows):
            if any(s.flag_at(i) == "low" for s in spec.series):
                row_labels[i] += low_base_mark("low")
    ax.set_yticklabels(row_labels, fontsize=font + 0.5)
    style.clean_axes(ax, None if detail.mode == "stacked" else "x")
    ax.spines["left"].set_visible(False)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=n_ser, fontsize=8.5, handlelength=1.2)
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
