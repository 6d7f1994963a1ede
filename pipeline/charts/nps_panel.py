"""NPS panel (S29): the score distribution of the report wave, and promoters / passives /
detractors per wave with the NPS beside each bar."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pydantic import Field

from pipeline.charts import CHARTS, ChartContext, ChartKind, ChartOptions, ChartSpec, Series
from pipeline.charts.data import low_base_mark, mark_color, marks_shown, row_flag, series_colors, suppressed
from pipeline.numbers import fmt_number

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

BANDS = ("detractors", "passives", "promoters")


class NpsPanelOptions(ChartOptions):
    """Options of ``nps_panel`` (draws an ``nps`` metric; with ``distribution: true`` the score bar too)."""

    scale_note: str = Field("", description="a note above the score distribution (e.g. the scale's anchors)")


@dataclass(frozen=True)
class NpsPanelDetail:
    """The NPS of each wave (and its mark), the report wave's score distribution and the scale note."""

    nps: tuple[float, ...] = ()
    nps_sig: tuple[str, ...] = ()
    distribution: tuple[tuple[str, float], ...] = ()
    wave: int = 0
    scale_note: str = ""
    distribution_colors: tuple[str, ...] = ()
    nps_color: str = ""


def build(rows: pd.DataFrame, opts: NpsPanelOptions, ctx: ChartContext) -> ChartSpec[NpsPanelDetail]:
    """Promoters, passives and detractors per wave (newest first), the NPS of each and the score distribution."""
    total = rows[rows["group_var"] == "total"]
    waves = sorted((int(w) for w in total["wave"].unique()), reverse=True)
    series = []
    for band in BANDS:
        part = total[(total["measure"] == "share") & (total["category"] == band)]
        by = {int(r["wave"]): r for _, r in part.iterrows()}
        series.append(Series(
            str(part["label"].iloc[0]),
            tuple(float(by[w]["value"]) for w in waves),
            tuple(str(by[w]["sig"] or "") for w in waves),
            tuple(str(by[w]["base_flag"]) for w in waves),
            tuple(int(by[w]["n"]) for w in waves),
        ))
    nps = total[total["measure"] == "nps"]
    nps_by = {int(r["wave"]): r for _, r in nps.iterrows()}
    dist = total[(total["measure"] == "distribution") & (total["wave"] == ctx.wave)]
    points = tuple((str(r["category"]), float(r["value"])) for _, r in dist.iloc[::-1].iterrows())
    # a mark compares with the wave before: it stays only where the panel shows that wave
    series = [replace(s, sig=marks_shown(s.sig, waves, waves, ctx.waves)) for s in series]
    series = series_colors(series, list(ctx.palette.nps()))
    nps_sig = marks_shown(tuple(str(nps_by[w]["sig"] or "") for w in waves), waves, waves, ctx.waves)
    scores = [int(c) if c.isdigit() else 0 for c, _ in points]
    return ChartSpec(
        kind="nps_panel",
        categories=tuple(str(w) for w in waves),
        series=tuple(series),
        unit="percent",
        lang=ctx.lang,
        width=ctx.width,
        height=ctx.height,
        description=opts.description,
        detail=NpsPanelDetail(
            nps=tuple(float(nps_by[w]["value"]) for w in waves),
            nps_sig=nps_sig,
            distribution=points,
            wave=ctx.wave,
            scale_note=opts.scale_note,
            distribution_colors=tuple(ctx.palette.scores(scores)),
            nps_color=ctx.palette.primary,
        ),
        font=ctx.font,
        order="codebook",
        mark_colors=(ctx.palette.up, ctx.palette.down),
    )


def draw(spec: ChartSpec[NpsPanelDetail]) -> Figure:
    """The chart as an unsaved matplotlib Figure."""
    from pipeline.charts import style

    detail = spec.detail or NpsPanelDetail()
    fig = style.figure(spec.width, spec.height, spec.font)
    dist = detail.distribution
    grid = fig.add_gridspec(2 if dist else 1, 1, height_ratios=[1, 1.5] if dist else [1], hspace=0.15)
    fallback = dict(zip(BANDS, style.PALETTE.nps(), strict=True))
    band_colors = [s.color or fallback[b] for b, s in zip(BANDS, spec.series, strict=False)]
    axis_pt = max(spec.width - 1.8, 1.0) * 72  # the bars' length in points

    def fits(value: float, text: str, size: float) -> bool:
        return value / 100 * axis_pt >= size * 0.6 * len(text) + 3

    if dist:
        ax0 = fig.add_subplot(grid[0, 0])
        start = 0.0
        colors = list(detail.distribution_colors) or style.PALETTE.scores([int(c) if c.isdigit() else 0 for c, _ in dist])
        for i, (score, value) in enumerate(dist):
            color = colors[min(i, len(colors) - 1)]
            ax0.barh([0], [value], left=start, height=0.55, color=color, edgecolor="white", linewidth=0.6, zorder=2)
            if fits(value, spec.label(value), style.LABEL_PT):
                ax0.text(start + value / 2, 0, spec.label(value), ha="center", va="center", fontsize=style.LABEL_PT,
                         color=style.text_color_on(color))
            if fits(value, score, style.MIN_PT):
                ax0.text(start + value / 2, 0.42, score, ha="center", va="bottom", fontsize=style.MIN_PT, color=style.GREY)
            start += value
        ax0.set_xlim(0, 100)
        ax0.set_ylim(-0.45, 0.75)
        ax0.set_yticks([0])
        ax0.set_yticklabels([f"{detail.wave}"], fontsize=style.TICK_PT)
        ax0.set_xticks([])
        style.clean_axes(ax0)
        for side in ("bottom", "left"):
            ax0.spines[side].set_visible(False)
        note = detail.scale_note
        if note:
            ax0.set_title(note, fontsize=style.MIN_PT, color=style.GREY, loc="left")
    ax = fig.add_subplot(grid[-1, 0])
    n = len(spec.categories)
    ys = list(range(n - 1, -1, -1))
    left = [0.0] * n
    # a wave whose base is suppressed is not drawn; a low base marks the wave's name
    flags = [row_flag(spec.series, i) for i in range(n)]
    hidden = [flag == "suppressed" for flag in flags]
    for b, s in enumerate(spec.series):
        vals = [0.0 if hidden[i] or suppressed(v, s.flag_at(i)) else v for i, v in enumerate(s.values)]
        ax.barh(ys, vals, left=left, height=0.6, color=band_colors[b], edgecolor="white", linewidth=0.6, label=s.name, zorder=2)
        for i, v in enumerate(vals):
            mark = s.sig_at(i)
            text = spec.label(v)
            if fits(v, text + (" ▲" if mark else ""), style.LABEL_PT):
                label = ax.text(left[i] + v / 2, ys[i], text, ha="center", va="center", fontsize=style.LABEL_PT,
                                color=style.text_color_on(band_colors[b]))
                if mark:
                    ax.annotate(mark, xy=(1.0, 0.5), xycoords=label, xytext=(2, 0), textcoords="offset points", va="center",
                                ha="left", fontsize=style.LABEL_PT, color=mark_color(spec.mark_colors, mark),
                                bbox={"boxstyle": "square,pad=0.08", "facecolor": "white", "edgecolor": "none"})
        left = [lo + v for lo, v in zip(left, vals, strict=False)]
    for i, (y, value, mark) in enumerate(zip(ys, detail.nps, detail.nps_sig, strict=False)):
        if hidden[i] or math.isnan(value):
            continue
        label = ax.text(103, y, f"NPS {fmt_number(value, 0, spec.lang)}", va="center", ha="left",
                        fontsize=11, fontweight="bold", color=detail.nps_color or style.NAVY)
        if mark:
            ax.annotate(mark, xy=(1.0, 0.5), xycoords=label, xytext=(3, 0), textcoords="offset points", va="center",
                        ha="left", fontsize=11, color=mark_color(spec.mark_colors, mark))
    ax.set_xlim(0, 100)
    ax.set_yticks(ys)
    ax.set_yticklabels([w + low_base_mark(flags[i]) for i, w in enumerate(spec.categories)], fontsize=style.TICK_PT)
    ax.set_xticks([])
    style.clean_axes(ax)
    for side in ("bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=3, fontsize=style.LEGEND_PT, handlelength=1.0)
    return fig


def alt_text(spec: ChartSpec[NpsPanelDetail]) -> str:
    """Each wave's NPS and bands."""
    detail = spec.detail or NpsPanelDetail()
    lead = spec.description.rstrip(".") + ". " if spec.description else ""
    parts = []
    for i, wave in enumerate(spec.categories):
        if row_flag(spec.series, i) == "suppressed":
            continue
        bands = ", ".join(f"{s.name} {spec.fmt(s.values[i])}" for s in spec.series)
        parts.append(f"{wave}: NPS {fmt_number(detail.nps[i], 0, spec.lang)} ({bands})")
    return lead + "; ".join(parts) + "."


def notes_columns(spec: ChartSpec[NpsPanelDetail]) -> list[tuple[str, list[str]]]:
    """The NPS of each wave as an extra column of the notes table."""
    detail = spec.detail or NpsPanelDetail()
    nps, marks = detail.nps, detail.nps_sig
    column = []
    for i in range(len(spec.categories)):
        hidden = row_flag(spec.series, i) == "suppressed" or math.isnan(nps[i])
        column.append("–" if hidden else fmt_number(nps[i], 1, spec.lang) + (marks[i] if i < len(marks) else ""))
    return [("NPS", column)]


NPS_PANEL = CHARTS.register(ChartKind("nps_panel", NpsPanelOptions, build, draw, alt_text, notes_columns))
