"""Trend lines over waves: one line per group (S40, S41) or a single measure (S18).

A single line gets a label at every point; several lines get one label at
their last point (name and value), nudged apart so that labels never overlap.
Lines of different subgroup variables (sex, age group) are drawn in panels side
by side, each group in its own colour (age groups light to dark). Waves sit at
their years, so a two-year step looks twice as long as a one-year step; the value
axis ends on ticks and has no axis line (the grid carries the values). The
colours, the axis and each line's base are decided when the spec is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pydantic import Field

from pipeline.charts import CHARTS, ChartContext, ChartKind, ChartSpec, Series
from pipeline.charts.data import SelectOptions, low_base_mark, mark_color, marks_shown, nice_step, select, suppressed
from pipeline.charts.palette import TEXT, mix
from pipeline.numbers import fmt_count

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

LABEL_PT = 9 + 9 + 3  # a single line's data label: 9 pt text set 9 pt above its point, and some air


class TrendLineOptions(SelectOptions):
    """Options of ``trend_line`` (``categories`` picks the category plotted, ``groups`` orders the lines)."""

    y_min: float | None = Field(None, description="the value axis reaches at least this low (it never cuts off data)")
    y_max: float | None = Field(None, description="the value axis reaches at least this high (it never cuts off data)")
    decimals: int = Field(0, ge=0, le=3, description="decimals of the data labels")
    bases: bool = Field(True, description="each line's name carries its group's base (n) in the newest wave")
    ci: bool = Field(False, description="draw each point's confidence interval (statistics.confidence_level) as a bar")


@dataclass(frozen=True)
class TrendLineDetail:
    """The value axis (configured ends, and the decided low, high and tick step), each line's panel (its
    subgroup variable) and the label layout."""

    y_min: float | None = None
    y_max: float | None = None
    low: float | None = None
    high: float | None = None
    step: float = 0.0
    panels: tuple[str, ...] = field(default_factory=tuple)
    # each line's label text colour: its line's colour, darkened where needed to read on white (WCAG AA)
    label_colors: tuple[str, ...] = field(default_factory=tuple)
    # with option ci: per line, per wave, the interval's (low, high) ends (nan where the wave has no value)
    ci: tuple[tuple[tuple[float, float], ...], ...] = field(default_factory=tuple)
    ci_colors: tuple[str, ...] = field(default_factory=tuple)  # each line's interval bars: a lighter shade of the line


def build(rows: pd.DataFrame, opts: TrendLineOptions, ctx: ChartContext) -> ChartSpec[TrendLineDetail]:
    """One line per group over the waves of the selected rows."""
    data = select(rows, opts)
    waves = sorted(int(w) for w in data["wave"].unique())
    group_order = [str(g) for g in (opts.groups if opts.groups is not None else list(dict.fromkeys(data["group"].astype(str))))]
    series = []
    panels = []
    keys = []
    intervals = []
    for g in group_order:
        part = data[data["group"].astype(str) == g]
        if part.empty:
            continue
        by_wave = {int(r["wave"]): r for _, r in part.iterrows()}
        values = tuple(float(by_wave[w]["value"]) if w in by_wave else math.nan for w in waves)
        sig = tuple(str(by_wave[w]["sig"] or "") if w in by_wave else "" for w in waves)
        sig = marks_shown(sig, waves, waves, ctx.waves)
        flags = tuple(str(by_wave[w]["base_flag"]) if w in by_wave else "missing" for w in waves)
        bases = tuple(int(by_wave[w]["n"]) if w in by_wave else 0 for w in waves)
        name = str(part["group_label"].iloc[0])
        last = max((i for i, n in enumerate(bases) if n), default=None)
        if opts.bases and len(group_order) > 1 and last is not None:
            name = f"{name} (n\u00a0=\u00a0{fmt_count(bases[last], ctx.lang)}{low_base_mark(flags[last])})"
        series.append(Series(name, values, sig, flags, bases))
        if opts.ci:
            intervals.append(tuple(_interval(by_wave[w]) if w in by_wave and not suppressed(values[i], flags[i])
                                   else (math.nan, math.nan) for i, w in enumerate(waves)))
        panels.append(str(part["group_var"].iloc[0]))
        keys.append(g)
    if len(series) > 1:
        # several lines carry one label each, at their last point: only that point's mark is shown (and kept)
        series = [replace(s, sig=tuple(m if i == max((j for j, n in enumerate(s.bases) if n), default=-1) else ""
                                       for i, m in enumerate(s.sig))) for s in series]
    # colours: one line is the measure itself; groups by their variable (age groups, ordered, light to dark)
    if len(series) == 1:
        colors = [ctx.palette.primary]
    else:
        # a group's colour follows its place in the codebook (the table's order), whatever order the lines are in
        table = data.drop_duplicates("group")
        rank = {var: [str(g) for g in table[table["group_var"] == var]["group"]] for var in set(panels)}
        shades = {var: (ctx.palette.ordered_groups if var.startswith("age") else ctx.palette.groups)(len(groups))
                  for var, groups in rank.items()}
        colors = [shades[var][rank[var].index(g)] for var, g in zip(panels, keys, strict=False)]
    series = [replace(s, color=c) for s, c in zip(series, colors, strict=False)]
    unit = str(data["unit"].iloc[0])
    detail = TrendLineDetail(opts.y_min, opts.y_max, ci=tuple(intervals) if opts.ci else ())
    finite = [v for s in series for i, v in enumerate(s.values) if not suppressed(v, s.flag_at(i))]
    finite += [e for line in detail.ci for pair in line for e in pair if not math.isnan(e)]  # the bars fit on the axis
    lo, hi = value_limits(finite, unit, detail)
    step = nice_step(hi - lo, 5)
    lo, hi = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
    return ChartSpec(
        kind="trend_line",
        categories=tuple(str(w) for w in waves),
        series=tuple(series),
        unit=unit,
        decimals=opts.decimals,
        lang=ctx.lang,
        width=ctx.width,
        height=ctx.height,
        description=opts.description,
        detail=replace(detail, low=float(lo), high=float(hi), step=step,
                       panels=tuple(panels) if len(set(panels)) > 1 else (), label_colors=tuple(readable(c) for c in colors),
                       ci_colors=tuple(mix(c, "#FFFFFF", 0.35) for c in colors) if opts.ci else ()),
        font=ctx.font,
        order="codebook",
        mark_colors=(ctx.palette.up, ctx.palette.down),
    )


def _interval(row: pd.Series) -> tuple[float, float]:
    """A row's confidence interval (nan where it has none)."""
    lo, hi = row.get("ci_low"), row.get("ci_high")
    return (float(lo) if lo is not None else math.nan, float(hi) if hi is not None else math.nan)


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
    placed = [start + k * min_gap for start, members in zip(starts, clusters, strict=False) for k in range(len(members))]
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
    from matplotlib.ticker import MultipleLocator

    from pipeline.charts import style

    detail = spec.detail or TrendLineDetail()
    fig = style.figure(spec.width, spec.height, spec.font)
    years = [int(c) for c in spec.categories]
    shown = [tuple(v if not suppressed(v, s.flag_at(i)) else math.nan for i, v in enumerate(s.values)) for s in spec.series]
    finite = [v for vals in shown for v in vals if not math.isnan(v)]
    single = len(spec.series) == 1
    if detail.high is not None and detail.low is not None and detail.step:
        lo, hi, step = detail.low, detail.high, detail.step
    else:
        lo, hi = value_limits(finite, spec.unit, detail)
        step = nice_step(hi - lo, 5)
    panels = list(dict.fromkeys(detail.panels)) if detail.panels else [""]
    axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    fallback = [style.PALETTE.primary] if single else style.GROUPS
    for p_idx, (panel, ax) in enumerate(zip(panels, axes, strict=False)):
        members = [k for k in range(len(spec.series)) if not detail.panels or detail.panels[k] == panel]
        for k in members:
            s = spec.series[k]
            color = s.color or fallback[k % len(fallback)]
            pts = [(x, v) for x, v in zip(years, shown[k], strict=False) if not math.isnan(v)]
            if not pts:
                continue
            ax.plot([p[0] for p in pts], [p[1] for p in pts], color=color, linewidth=2.2, marker="o", markersize=5,
                    label=s.name, zorder=3)
            if k < len(detail.ci):
                shade = detail.ci_colors[k] if k < len(detail.ci_colors) else mix(color, "#FFFFFF", 0.35)
                bars = [(x, lo_hi) for x, lo_hi in zip(years, detail.ci[k], strict=False) if not math.isnan(lo_hi[0])]
                if bars:  # the interval as a capped bar through the point, in a lighter shade of the line
                    ax.errorbar([b[0] for b in bars], [(b[1][0] + b[1][1]) / 2 for b in bars],
                                yerr=[(b[1][1] - b[1][0]) / 2 for b in bars], fmt="none", ecolor=shade,
                                elinewidth=1.6, capsize=4, capthick=1.6, zorder=2.5)
            if single:
                for i, (x, v) in enumerate(zip(years, shown[k], strict=False)):
                    if math.isnan(v):
                        continue
                    mark = s.sig_at(i)
                    label = ax.annotate(spec.fmt(v) + low_base_mark(s.flag_at(i)), (x, v), textcoords="offset points",
                                        xytext=(0, 9), ha="center", fontsize=style.LABEL_PT, color=style.TEXT)
                    if mark:
                        # beside the label on the side the line does not climb through (left where it rises next)
                        rises = i + 1 < len(years) and not math.isnan(shown[k][i + 1]) and shown[k][i + 1] > v
                        ax.annotate(mark, xy=(0.0 if rises else 1.0, 0.5), xycoords=label, xytext=(-2 if rises else 2, 0),
                                    textcoords="offset points", va="center", ha="right" if rises else "left",
                                    fontsize=style.LABEL_PT, color=mark_color(spec.mark_colors, mark))
        if not single:
            _end_labels(ax, spec, members, shown, years, lo, hi)
        span = years[-1] - years[0] if len(years) > 1 else 1
        right = 0.25 * span + (span * 0.95 if not single else 0)
        ax.set_xlim(years[0] - 0.25 * span / max(len(years), 2), years[-1] + right / (len(panels) if len(panels) > 1 else 1.6))
        ax.set_xticks(years)
        ax.set_xticklabels([str(y) if y in _labelled_years(fig, ax, years) else "" for y in years], fontsize=style.TICK_PT)
        style.clean_axes(ax, "y")
        # no axis lines: the grid carries the values (and ends on its ticks); the years label the waves
        ax.spines["left"].set_visible(False)
        ax.spines["bottom"].set_visible(False)
        ax.yaxis.set_major_formatter(style.tick_formatter(spec.lang, percent=spec.unit == "percent"))
        ax.yaxis.set_major_locator(MultipleLocator(step))
        ax.tick_params(axis="y", labelsize=style.TICK_PT)
        ax.set_ylim(lo, hi)
        ax.set_autoscaley_on(False)
        if p_idx:
            ax.tick_params(axis="y", labelleft=False)
    return fig


def _labelled_years(fig: Figure, ax: Axes, years: list[int]) -> set[int]:
    """The years whose tick label fits: the newest always, then each older one at least a label's width
    (plus a gap) from the last one kept, so "2020 2021 2022" never run into each other in a narrow panel."""
    from pipeline.charts import style

    left, right = ax.get_xlim()
    width_in = fig.get_figwidth() * ax.get_position().width
    per_year = width_in / max(right - left, 1e-9)  # inches per year on this axis
    label_in = 4 * style.TICK_PT * 0.62 / 72 * 1.35  # four digits and a gap
    kept: list[int] = []
    for y in sorted(years, reverse=True):
        if not kept or (kept[-1] - y) * per_year >= label_in:
            kept.append(y)
    return set(kept)


def _label_color(spec: ChartSpec[TrendLineDetail], k: int) -> str:
    """The text colour of line ``k``'s label (the spec's, else its line's colour made readable)."""
    chosen = spec.detail.label_colors if spec.detail is not None else ()
    return chosen[k] if k < len(chosen) else readable(spec.series[k].color or TEXT)


def readable(color: str) -> str:
    """A line's colour for its label text, darkened towards the text colour until it reads on white (WCAG AA)."""
    from pipeline.charts.palette import readable as readable_on

    return readable_on(color)


def _end_labels(ax: object, spec: ChartSpec[TrendLineDetail], members: list[int], shown: list[tuple[float, ...]],
                years: list[int], lo: float, hi: float) -> None:
    """One label per line at its last point (name and value, and its mark in the marks' colour), spread apart."""
    from matplotlib.axes import Axes

    from pipeline.charts import style

    assert isinstance(ax, Axes)
    ends = []
    for k in members:
        last = max((i for i, v in enumerate(shown[k]) if not math.isnan(v)), default=None)
        if last is not None:
            ends.append((k, last, spec.series[k].values[last]))
    span = hi - lo
    # one label height (10 pt text, a little air) in data units; the plot is the figure less the x tick labels
    gap = span * (style.LABEL_PT * 1.3 / 72) / max(spec.height - 0.45, 0.5)
    ys = _spread([v for _, _, v in ends], gap, lo + gap / 2, hi - gap / 2)
    x_text = years[-1] + 0.12 * max(years[-1] - years[0], 1)
    for (k, last, v), y in zip(ends, ys, strict=False):
        s = spec.series[k]
        text = f"{s.name} {spec.label(v)}{low_base_mark(s.flag_at(last))}"
        label = ax.annotate(text, xy=(years[last], v), xytext=(x_text, y), textcoords="data", va="center", ha="left",
                            fontsize=style.LABEL_PT, color=_label_color(spec, k),
                            arrowprops={"arrowstyle": "-", "color": "#D1D5DB", "linewidth": 0.6, "shrinkA": 0, "shrinkB": 3})
        mark = s.sig_at(last)
        if mark:
            ax.annotate(mark, xy=(1.0, 0.5), xycoords=label, xytext=(2, 0), textcoords="offset points", va="center",
                        ha="left", fontsize=style.LABEL_PT, color=mark_color(spec.mark_colors, mark))


def alt_text(spec: ChartSpec[TrendLineDetail]) -> str:
    """Each line's figures per wave."""
    lead = spec.description.rstrip(".") + ". " if spec.description else ""
    detail = spec.detail or TrendLineDetail()
    parts = []
    for k, s in enumerate(spec.series):
        pts = [f"{w} {spec.fmt(v)}" for i, (w, v) in enumerate(zip(spec.categories, s.values, strict=False))
               if not suppressed(v, s.flag_at(i))]
        if k < len(detail.ci):
            pts = [f"{p} ({spec.label(lo)}–{spec.label(hi)})" if not math.isnan(lo) else p  # the unit once, after the value
                   for p, (lo, hi) in zip(pts, [iv for i, iv in enumerate(detail.ci[k]) if not suppressed(s.values[i], s.flag_at(i))],
                                          strict=False)]
        parts.append(f"{s.name}: " + ", ".join(pts))
    return lead + "; ".join(parts) + "."


TREND_LINE = CHARTS.register(ChartKind("trend_line", TrendLineOptions, build, draw, alt_text))
