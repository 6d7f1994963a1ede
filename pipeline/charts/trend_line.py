"""Trend lines over waves: one line per group (S40, S41) or a single measure (S18).

A single line gets a label at every point; several lines get one label at
their last point (name and value), nudged apart so that labels never overlap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import Field

from pipeline.charts import CHARTS, ChartContext, ChartKind, ChartSpec, Series
from pipeline.charts.data import SelectOptions, low_base_mark, select, suppressed

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

LABEL_PT = 9 + 9 + 3  # a single line's data label: 9 pt text set 9 pt above its point, and some air


class TrendLineOptions(SelectOptions):
    """Options of ``trend_line`` (``categories`` picks the category plotted, ``groups`` orders the lines)."""

    y_min: float | None = Field(None, description="the value axis reaches at least this low (it never cuts off data)")
    y_max: float | None = Field(None, description="the value axis reaches at least this high (it never cuts off data)")
    decimals: int = Field(0, ge=0, le=3, description="decimals of the data labels")


@dataclass(frozen=True)
class TrendLineDetail:
    """The configured ends a trend chart's value axis reaches at least."""

    y_min: float | None = None
    y_max: float | None = None


def build(rows: pd.DataFrame, opts: TrendLineOptions, ctx: ChartContext) -> ChartSpec[TrendLineDetail]:
    """One line per group over the waves of the selected rows."""
    data = select(rows, opts)
    waves = sorted(int(w) for w in data["wave"].unique())
    group_order = [str(g) for g in (opts.groups if opts.groups is not None else list(dict.fromkeys(data["group"].astype(str))))]
    series = []
    for g in group_order:
        part = data[data["group"].astype(str) == g]
        if part.empty:
            continue
        by_wave = {int(r["wave"]): r for _, r in part.iterrows()}
        values = tuple(float(by_wave[w]["value"]) if w in by_wave else math.nan for w in waves)
        sig = tuple(str(by_wave[w]["sig"] or "") if w in by_wave else "" for w in waves)
        flags = tuple(str(by_wave[w]["base_flag"]) if w in by_wave else "missing" for w in waves)
        bases = tuple(int(by_wave[w]["n"]) if w in by_wave else 0 for w in waves)
        series.append(Series(str(part["group_label"].iloc[0]), values, sig, flags, bases))
    return ChartSpec(
        kind="trend_line",
        categories=tuple(str(w) for w in waves),
        series=tuple(series),
        unit=str(data["unit"].iloc[0]),
        decimals=opts.decimals,
        lang=ctx.lang,
        width=ctx.width,
        height=ctx.height,
        description=opts.description,
        detail=TrendLineDetail(opts.y_min, opts.y_max),
    )


def value_limits(values: list[float], unit: str, detail: TrendLineDetail, label_room: float = 0.0) -> tuple[float, float]:
    """(low, high) of the value axis: from the data (to whole tens, 0–100 for percentages that fit), widened to
    the configured ``y_min``/``y_max``, never narrower than the data; ``label_room`` is the share of the axis
    the data labels above the points need."""
    if not values:
        lo, hi = 0.0, 100.0 if unit == "percent" else 1.0
    else:
        v_lo, v_hi = min(values), max(values)
        lo = math.floor((v_lo - 8) / 10) * 10
        if v_lo >= 0:
            lo = max(0.0, lo)
        hi = math.ceil((v_hi + 5) / 10) * 10 if unit == "percent" else math.ceil(v_hi + 5)
        if unit == "percent" and v_hi <= 100:
            hi = min(100.0, hi)
    if detail.y_min is not None:
        lo = min(lo, detail.y_min)
    if detail.y_max is not None:
        hi = max(hi, detail.y_max)
    if values and 0 < label_room < 1:
        # the labels above the highest point stay inside the axis: hi ≥ top + label_room · (hi − lo)
        hi = max(hi, (max(values) - label_room * lo) / (1 - label_room))
    return float(lo), float(hi)


def _spread(positions: list[float], min_gap: float, lo: float | None = None, hi: float | None = None) -> list[float]:
    """Move label positions apart, keeping their order, so that neighbours are at least ``min_gap``
    apart and each run of crowded labels stays centred on its points; then, room permitting,
    inside [``lo``, ``hi``]."""
    order = sorted(range(len(positions)), key=lambda i: (positions[i], i))
    # clusters of labels set min_gap apart; a cluster sits where its labels are closest to their points
    clusters: list[list[float]] = []  # each: targets of its members, bottom to top
    starts: list[float] = []

    def start_of(targets: list[float]) -> float:
        return sum(t - k * min_gap for k, t in enumerate(targets)) / len(targets)

    for i in order:
        clusters.append([positions[i]])
        starts.append(positions[i])
        while len(clusters) > 1 and starts[-2] + len(clusters[-2]) * min_gap > starts[-1]:
            merged = clusters[-2] + clusters[-1]
            clusters[-2:] = [merged]
            starts[-2:] = [start_of(merged)]
    placed = [start + k * min_gap for start, members in zip(starts, clusters) for k in range(len(members))]
    if hi is not None and placed and placed[-1] > hi:
        placed[-1] = hi
        for a in range(len(placed) - 2, -1, -1):
            placed[a] = min(placed[a], placed[a + 1] - min_gap)
    if lo is not None and placed and placed[0] < lo:
        placed[0] = lo
        for a in range(1, len(placed)):
            placed[a] = max(placed[a], placed[a - 1] + min_gap)
    out = [0.0] * len(positions)
    for rank, i in enumerate(order):
        out[i] = placed[rank]
    return out


def draw(spec: ChartSpec[TrendLineDetail]) -> Figure:
    """The chart as an unsaved matplotlib Figure."""
    from pipeline.charts import style

    fig = style.figure(spec.width, spec.height)
    ax = fig.add_subplot(111)
    xs = list(range(len(spec.categories)))
    shown = [tuple(v if not suppressed(v, s.flag_at(i)) else math.nan for i, v in enumerate(s.values)) for s in spec.series]
    finite = [v for vals in shown for v in vals if not math.isnan(v)]
    single = len(spec.series) == 1
    # the plot is the figure less the x tick labels
    label_room = LABEL_PT / 72 / max(spec.height - 0.4, 0.5) if single else 0.0
    lo, hi = value_limits(finite, spec.unit, spec.detail or TrendLineDetail(), label_room)
    colors = [style.NAVY] if single else style.GROUPS
    for k, s in enumerate(spec.series):
        color = colors[k % len(colors)]
        pts = [(x, v) for x, v in zip(xs, shown[k]) if not math.isnan(v)]
        if not pts:
            continue
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color=color, linewidth=2.2, marker="o", markersize=5, label=s.name, zorder=3)
        if single:
            for i, (x, v) in enumerate(zip(xs, shown[k])):
                if not math.isnan(v):
                    mark = s.sig_at(i)
                    text = spec.fmt(v) + low_base_mark(s.flag_at(i)) + (" " + mark if mark else "")
                    ax.annotate(text, (x, v), textcoords="offset points", xytext=(0, 9), ha="center", fontsize=9, color=style.TEXT)
    if not single:
        ends = []
        for k, s in enumerate(spec.series):
            last = max((i for i, v in enumerate(shown[k]) if not math.isnan(v)), default=None)
            if last is not None:
                ends.append((k, last, s.values[last]))
        span = hi - lo
        # one label height (8.5 pt text, a little air) in data units; the plot is the figure less the x tick labels
        gap = span * (8.5 * 1.25 / 72) / max(spec.height - 0.4, 0.5)
        ys = _spread([v for _, _, v in ends], gap, lo + gap / 2, hi - gap / 2)
        for (k, last, v), y in zip(ends, ys):
            s = spec.series[k]
            text = f"{s.name} {spec.label(v)}{low_base_mark(s.flag_at(last))}{(' ' + s.sig_at(last)) if s.sig_at(last) else ''}"
            ax.annotate(text, xy=(xs[last], v), xytext=(xs[-1] + 0.15, y), textcoords="data", va="center", ha="left",
                        fontsize=8.5, color=colors[k % len(colors)],
                        arrowprops=dict(arrowstyle="-", color="#D1D5DB", linewidth=0.6, shrinkA=0, shrinkB=3))
        ax.set_xlim(-0.3, len(xs) - 1 + 1.25)
    else:
        ax.set_xlim(-0.4, len(xs) - 0.6)
    ax.set_ylim(lo, hi)
    ax.set_xticks(xs)
    ax.set_xticklabels(spec.categories, fontsize=9)
    style.value_axis(ax.yaxis, spec.unit, spec.lang)
    ax.tick_params(axis="y", labelsize=8.5)
    style.clean_axes(ax, "y")
    return fig


def alt_text(spec: ChartSpec[TrendLineDetail]) -> str:
    """Each line's figures per wave."""
    lead = spec.description.rstrip(".") + ". " if spec.description else ""
    parts = []
    for s in spec.series:
        pts = [f"{w} {spec.fmt(v)}" for i, (w, v) in enumerate(zip(spec.categories, s.values)) if not suppressed(v, s.flag_at(i))]
        parts.append(f"{s.name}: " + ", ".join(pts))
    return lead + "; ".join(parts) + "."


TREND_LINE = CHARTS.register(ChartKind("trend_line", TrendLineOptions, build, draw, alt_text))
