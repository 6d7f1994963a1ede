"""100 % stacked horizontal bars with "Antal svar" and "Medel" columns.

One bar per item (and per wave, for items followed over time as on S20), bands
from low to high ratings, "Vet ej" in light grey last; the answer count and
the mean (both without "Vet ej") are printed in columns to the right, as the
1177 deck does on S20, S31, S32, S34–S36.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from pipeline.charts import CHARTS, ChartContext, ChartKind, ChartSpec, Series
from pipeline.charts.data import SelectOptions, low_base_mark, mark_color, marks_shown, row_flag, select, series_colors, suppressed
from pipeline.errors import ConfigError
from pipeline.numbers import fmt_count, fmt_number

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


class StackedBarsOptions(SelectOptions):
    """Options of ``stacked_bars`` (``measure`` defaults to ``share``)."""

    sort: Literal["fixed", "mean"] = Field("fixed", description="bar order: as the metric gives them, or by mean (highest first)")
    waves_per_item: bool | None = Field(None, description="one bar per item and wave; default when the rows have several waves")
    mean: bool | None = Field(None, description='show the "Medel" column; default when the rows have means')
    n_from: Literal["mean", "share"] | None = Field(
        None, description='which base is printed as "Antal svar": the mean\'s (without "Vet ej") or the shares\'')
    label_min: float = Field(3, ge=0, description="smallest segment (in %) that gets a label")
    mean_decimals: int = Field(1, ge=0, le=3, description="decimals of the means")
    label_width: int = Field(30, gt=0, description="characters per line of the bar labels")
    legend_rows: int = Field(1, ge=1, description="rows of the legend")
    row_label: str | None = Field(None, description="the label of a single bar (default the item's)")
    decimals: int = Field(0, ge=0, le=3, description="decimals of the segment labels")


@dataclass(frozen=True)
class StackedBarsDetail:
    """What stacked bars draw besides the segments: the side columns and the label layout."""

    n: tuple[int, ...] | None = None
    mean: tuple[float, ...] | None = None
    mean_sig: tuple[str, ...] = ()
    dont_know_last: bool = False
    label_min: float = 3.0
    answers_label: str = "Antal svar"
    mean_label: str = "Medel"
    mean_decimals: int = 1
    label_width: int = 30
    legend_rows: int = 1
    legend_cols: int = 6
    compact: bool = False  # one bar: drawn thick, its figures large (the slide's compact form)


def build(rows: pd.DataFrame, opts: StackedBarsOptions, ctx: ChartContext) -> ChartSpec[StackedBarsDetail]:
    """One bar per item (and wave), bands low to high and "Vet ej" last, with the answer count and mean columns."""
    data = rows[(rows["group_var"] == "total")]
    shares = select(data, opts, default_measure="share")
    means = data[data["measure"] == "mean"]
    bar_keys: list[tuple[str, int]] = []
    items = list(dict.fromkeys(shares["item"].astype(str)))
    waves = sorted(shares["wave"].unique(), reverse=True)
    per_wave = opts.waves_per_item if opts.waves_per_item is not None else len(waves) > 1
    for item in items:
        for wave in waves if per_wave else [ctx.wave]:
            bar_keys.append((item, int(wave)))
    mean_of = {(str(r["item"]), int(r["wave"])): (float(r["value"]), int(r["n"])) for _, r in means.iterrows()}
    mean_sig = {(str(r["item"]), int(r["wave"])): str(r["sig"] or "") for _, r in means.iterrows()}
    if opts.sort == "mean":
        bar_keys.sort(key=lambda k: -mean_of.get(k, (-1e9, 0))[0])
    bands = list(dict.fromkeys(shares["category"].astype(str)))
    band_labels = dict(zip(shares["category"].astype(str), shares["label"].astype(str), strict=True))
    item_labels = dict(zip(shares["item"].astype(str), shares["item_label"].astype(str), strict=True))
    # the first row of each (item, wave, band), looked up per bar below
    cells: dict[tuple[str, int, str], tuple[float, int, str, str]] = {}
    for item, wave, band, value, n, mark, flag in zip(
        shares["item"].astype(str), shares["wave"], shares["category"].astype(str), shares["value"], shares["n"],
        shares["sig"], shares["base_flag"], strict=True,
    ):
        cells.setdefault((item, int(wave), band), (float(value), int(n), str(mark or ""), str(flag)))
    series = []
    for band in bands:
        values, bases, sig, flags = [], [], [], []
        for item, wave in bar_keys:
            hit = cells.get((item, wave, band))
            if hit is None:
                values.append(math.nan)
                bases.append(0)
                sig.append("")
                flags.append("missing")
            else:
                values.append(hit[0])
                bases.append(hit[1])
                sig.append(hit[2])
                flags.append(hit[3])
        series.append(Series(band_labels[band], tuple(values), tuple(sig), tuple(flags), tuple(bases)))
    n_from = opts.n_from or ("mean" if not means.empty else "share")
    labels, counts, mean_values, mean_marks = [], [], [], []
    for item, wave in bar_keys:
        label = item_labels.get(item, item)
        labels.append(f"{label} – {wave}" if per_wave else label)
        mean, n_mean = mean_of.get((item, wave), (math.nan, 0))
        share_n = next((s.bases[len(labels) - 1] for s in series if s.bases[len(labels) - 1]), 0)
        counts.append(n_mean if n_from == "mean" and n_mean else share_n)
        mean_values.append(mean)
        mean_marks.append(mean_sig.get((item, wave), ""))
    if not bar_keys:
        raise ConfigError("deck.yaml: stacked_bars found no items to draw")
    if opts.row_label and len(labels) == 1:
        labels = [opts.row_label]
    dk_last = bool(bands) and bands[-1] in {"99"}
    # a mark compares with the wave before; it stays only where the chart shows that wave
    bar_waves = [w for _, w in bar_keys]
    shown_waves = sorted(set(bar_waves))
    series = [replace(s, sig=marks_shown(s.sig, bar_waves, shown_waves, ctx.waves)) for s in series]
    mean_marks = list(marks_shown(tuple(mean_marks), bar_waves, shown_waves, ctx.waves))
    series = series_colors(series, ctx.palette.bands(len(series) - (1 if dk_last else 0)) + ([ctx.palette.dont_know] if dk_last else []))
    compact = len(labels) == 1
    return ChartSpec(
        kind="stacked_bars",
        categories=tuple(labels),
        series=tuple(series),
        unit="percent",
        decimals=opts.decimals,
        lang=ctx.lang,
        width=ctx.width,
        height=ctx.height if not compact else round(ctx.height * COMPACT_SHARE, 2),
        description=opts.description,
        font=ctx.font,
        order="mean" if opts.sort == "mean" else "codebook",
        mark_colors=(ctx.palette.up, ctx.palette.down),
        detail=StackedBarsDetail(
            n=tuple(counts),
            mean=tuple(mean_values) if (opts.mean if opts.mean is not None else not means.empty) else None,
            mean_sig=tuple(mean_marks),
            dont_know_last=bool(dk_last),
            label_min=float(opts.label_min),
            answers_label=ctx.strings.get("answers", "Antal svar"),
            mean_label=ctx.strings.get("mean", "Medel"),
            mean_decimals=opts.mean_decimals,
            label_width=opts.label_width,
            legend_rows=opts.legend_rows,
            compact=compact,
        ),
    )


COMPACT_SHARE = 0.62  # a single bar's chart takes this share of the chart area's height


def font_sizes(n_rows: int, compact: bool) -> tuple[float, float]:
    """(segment label size, row and column text size) in pt: 10 pt, 9 pt for many rows, larger for one bar."""
    from pipeline.charts import sizes

    if compact:
        return 14.0, 11.0
    size = sizes.LABEL_PT if n_rows <= 9 else sizes.MIN_PT
    return size, size


def draw_bars(spec: ChartSpec[StackedBarsDetail], ax: Axes) -> None:
    """Draw the stacked bars of ``spec`` on ``ax`` (shared with single_stacked)."""
    from pipeline.charts import style

    detail = spec.detail or StackedBarsDetail()
    n_rows = len(spec.categories)
    n_bands = len(spec.series)
    dk = detail.dont_know_last
    fallback = style.bands(n_bands - (1 if dk else 0)) + ([style.DONT_KNOW] if dk else [])
    colors = [s.color or fallback[b] for b, s in enumerate(spec.series)]
    left = [0.0] * n_rows
    height = 0.62 if n_rows > 1 else 0.8
    ys = list(range(n_rows - 1, -1, -1)) if n_rows > 1 else [0]
    label_min = detail.label_min
    font, row_font = font_sizes(n_rows, detail.compact)
    flags = [row_flag(spec.series, i) for i in range(n_rows)]  # one bar's segments share its flag
    # a segment's label needs about its width in points: value digits (and a mark) at the label size
    axis_pt = max(spec.width - 2.8, 1.0) * 72
    for b, s in enumerate(spec.series):
        vals = [0.0 if suppressed(v, flags[i]) else v for i, v in enumerate(s.values)]
        ax.barh(ys, vals, left=left, height=height, color=colors[b], edgecolor="white", linewidth=0.6, label=s.name, zorder=2)
        for i, v in enumerate(vals):
            mark = s.sig_at(i)
            text = spec.label(v)
            need_pt = font * 0.6 * (len(text) + (1.6 if mark else 0)) + 3
            if v >= label_min and v / 100 * axis_pt >= need_pt:
                label = ax.text(left[i] + v / 2 - (font * 0.45 * 100 / axis_pt if mark else 0), ys[i], text, ha="center",
                                va="center", fontsize=font, color=style.text_color_on(colors[b]), zorder=3)
                if mark:
                    # the mark in its own colour on a white chip, so ▲▼ read the same on every segment
                    ax.annotate(mark, xy=(1.0, 0.5), xycoords=label, xytext=(2, 0), textcoords="offset points", va="center",
                                ha="left", fontsize=font, color=mark_color(spec.mark_colors, mark), zorder=4,
                                bbox={"boxstyle": "square,pad=0.08", "facecolor": "white", "edgecolor": "none"})
        left = [lo + v for lo, v in zip(left, vals, strict=False)]
    ax.set_xlim(0, 100)
    ax.set_yticks(ys)
    names = [style.wrap(c, detail.label_width) for c in spec.categories]
    if detail.n is None:
        # no "Antal svar" column to carry the low-base mark: it goes on the bar's name
        names = [name + low_base_mark(flags[i]) for i, name in enumerate(names)]
    ax.set_yticklabels(names, fontsize=row_font)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    style.clean_axes(ax)
    ax.spines["bottom"].set_visible(False)
    ax.spines["left"].set_visible(False)
    ax.set_xticks([])


def legend_columns(spec: ChartSpec[Any], rows: int, size: float, share: float) -> int:
    """Legend columns: the configured rows' worth, fewer where the entries (about 0.55 em a character, a key and
    some space) would be wider than ``share`` of the chart (a wide legend would squeeze the bars)."""
    n = len(spec.series)
    ncol = max(1, math.ceil(n / rows))
    widest = max((len(s.name) for s in spec.series), default=1) * 0.55 * size + 2.4 * size
    fit = max(1, int(spec.width * 72 * share // widest))
    return min(ncol, fit)


def draw(spec: ChartSpec[StackedBarsDetail]) -> Figure:
    """The chart as an unsaved matplotlib Figure."""
    from pipeline.charts import style

    detail = spec.detail or StackedBarsDetail()
    fig = style.figure(spec.width, spec.height, spec.font)
    counts = detail.n
    means = detail.mean
    extra_cols = (counts is not None) + (means is not None)
    side_w = 1.6 if detail.compact else 1.1
    grid = fig.add_gridspec(1, 1 + extra_cols, width_ratios=[10] + [side_w] * extra_cols, wspace=0.02)
    ax = fig.add_subplot(grid[0, 0])
    draw_bars(spec, ax)
    ys = list(range(len(spec.categories) - 1, -1, -1))
    _, font = font_sizes(len(spec.categories), detail.compact)
    col = 1
    mean_sig = detail.mean_sig
    flags = [row_flag(spec.series, i) for i in range(len(spec.categories))]

    def count_text(i: int, v: Any) -> str:
        return fmt_count(v, spec.lang) + low_base_mark(flags[i]) if v else "–"

    def mean_text(i: int, v: Any) -> str:
        if suppressed(v, flags[i]):
            return "–"
        return fmt_number(v, detail.mean_decimals, spec.lang)

    columns: tuple[tuple[Any, str, Any, bool], ...] = (
        (counts, detail.answers_label, count_text, False), (means, detail.mean_label, mean_text, True))
    for values, title, fmt, is_mean in columns:
        if values is None:
            continue
        side = fig.add_subplot(grid[0, col], sharey=ax)
        col += 1
        for i, (y, v) in enumerate(zip(ys, values, strict=False)):
            key = detail.compact and is_mean
            size = style.KEY_PT if key else font
            label = side.text(0.5, y, fmt(i, v), ha="center", va="center", fontsize=size, color=style.TEXT,
                              fontweight="bold" if key else "normal")
            mark = mean_sig[i] if is_mean and i < len(mean_sig) and not suppressed(v, flags[i]) else ""
            if mark:
                side.annotate(mark, xy=(1.0, 0.5), xycoords=label, xytext=(2, 0), textcoords="offset points", va="center",
                              ha="left", fontsize=size * 0.8, color=mark_color(spec.mark_colors, mark))
        side.set_title(title, fontsize=style.MIN_PT + (1 if detail.compact else 0), color=style.GREY, loc="center")
        side.axis("off")
        side.set_xlim(0, 1)
    size = style.LEGEND_PT if detail.compact or len(spec.series) <= 6 else style.MIN_PT
    ncol = legend_columns(spec, detail.legend_rows, size, 0.8)
    handles, names = style.row_major(*ax.get_legend_handles_labels(), ncol)  # a wrapped legend reads row by row
    ax.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=ncol, fontsize=size, handlelength=1.0,
              columnspacing=1.0)
    return fig


def alt_text(spec: ChartSpec[StackedBarsDetail]) -> str:
    """Each bar's segments and mean (the first eight bars)."""
    detail = spec.detail or StackedBarsDetail()
    parts = [spec.description.rstrip(".") + "." if spec.description else ""]
    means = detail.mean
    for i, cat in enumerate(spec.categories[:8]):
        segs = ", ".join(f"{s.name} {spec.fmt(s.values[i])}" for s in spec.series if not math.isnan(s.values[i]))
        mean_word = detail.mean_label.lower()
        mean = (f"; {mean_word} {fmt_number(means[i], detail.mean_decimals, spec.lang)}"
                if means and not math.isnan(means[i]) else "")
        parts.append(f"{cat}: {segs}{mean}.")
    return " ".join(p for p in parts if p)


def notes_columns(spec: ChartSpec[StackedBarsDetail]) -> list[tuple[str, list[str]]]:
    """The answer count and the mean of each bar as extra columns of the notes table."""
    detail = spec.detail or StackedBarsDetail()
    out = []
    counts, means, marks = detail.n, detail.mean, detail.mean_sig
    if counts is not None:
        out.append((detail.answers_label, [fmt_count(v, spec.lang) if v else "–" for v in counts]))
    if means is not None:
        out.append((detail.mean_label, [
            "–" if suppressed(v, row_flag(spec.series, i)) else fmt_number(v, 2, spec.lang) + (marks[i] if i < len(marks) else "")
            for i, v in enumerate(means)]))
    return out


STACKED_BARS = CHARTS.register(ChartKind("stacked_bars", StackedBarsOptions, build, draw, alt_text, notes_columns))
