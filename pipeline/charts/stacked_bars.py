"""100 % stacked horizontal bars with "Antal svar" and "Medel" columns.

One bar per item (and per wave, for items followed over time as on S20), bands
from low to high ratings, "Vet ej" in light grey last; the answer count and
the mean (both without "Vet ej") are printed in columns to the right, as the
1177 deck does on S20, S31, S32, S34–S36.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.charts import ChartContext, ChartSpec, Series
from pipeline.charts.data import low_base_mark, row_flag, select, suppressed
from pipeline.errors import ConfigError
from pipeline.numbers import fmt_count, fmt_number


def build(rows: pd.DataFrame, opts: dict[str, Any], ctx: ChartContext) -> ChartSpec:
    """Options: ``sort`` (fixed|mean), ``waves_per_item`` (one bar per item and wave), ``mean`` (show
    the mean column, default true when the rows have means), ``n_from`` (mean|share: which base
    to print as "Antal svar"), ``label_min`` (smallest segment that gets a label, default 3)."""
    data = rows[(rows["group_var"] == "total")]
    shares = select(data, {**opts, "exclude": opts.get("exclude", [])}, default_measure="share")
    means = data[data["measure"] == "mean"]
    bar_keys: list[tuple[str, int]] = []
    items = list(dict.fromkeys(shares["item"].astype(str)))
    waves = sorted(shares["wave"].unique(), reverse=True)
    per_wave = bool(opts.get("waves_per_item", len(waves) > 1))
    for item in items:
        for wave in waves if per_wave else [ctx.wave]:
            bar_keys.append((item, int(wave)))
    mean_of = {(str(r["item"]), int(r["wave"])): (float(r["value"]), int(r["n"])) for _, r in means.iterrows()}
    mean_sig = {(str(r["item"]), int(r["wave"])): str(r["sig"] or "") for _, r in means.iterrows()}
    if opts.get("sort") == "mean":
        bar_keys.sort(key=lambda k: -mean_of.get(k, (-1e9, 0))[0])
    bands = list(dict.fromkeys(shares["category"].astype(str)))
    band_labels = dict(zip(shares["category"].astype(str), shares["label"].astype(str)))
    item_labels = dict(zip(shares["item"].astype(str), shares["item_label"].astype(str)))
    # the first row of each (item, wave, band), looked up per bar below
    cells: dict[tuple[str, int, str], tuple[float, int, str, str]] = {}
    for item, wave, band, value, n, mark, flag in zip(
        shares["item"].astype(str), shares["wave"], shares["category"].astype(str), shares["value"], shares["n"],
        shares["sig"], shares["base_flag"],
    ):
        cells.setdefault((item, int(wave), band), (float(value), int(n), str(mark or ""), str(flag)))
    series = []
    for band in bands:
        values, bases, sig, flags = [], [], [], []
        for item, wave in bar_keys:
            hit = cells.get((item, wave, band))
            if hit is None:
                values.append(math.nan), bases.append(0), sig.append(""), flags.append("missing")
            else:
                values.append(hit[0]), bases.append(hit[1]), sig.append(hit[2]), flags.append(hit[3])
        series.append(Series(band_labels[band], tuple(values), tuple(sig), tuple(flags), tuple(bases)))
    n_from = opts.get("n_from", "mean" if not means.empty else "share")
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
    if opts.get("row_label") and len(labels) == 1:
        labels = [str(opts["row_label"])]
    dk_last = bands and bands[-1] in {"99"}
    return ChartSpec(
        kind="stacked_bars",
        categories=tuple(labels),
        series=tuple(series),
        unit="percent",
        decimals=int(opts.get("decimals", 0)),
        lang=ctx.lang,
        width=ctx.width,
        height=ctx.height if len(labels) > 1 else min(ctx.height, 2.4),
        description=opts.get("description", ""),
        extra=(
            ("n", tuple(counts)),
            ("mean", tuple(mean_values) if opts.get("mean", not means.empty) else None),
            ("mean_sig", tuple(mean_marks)),
            ("dont_know_last", bool(dk_last)),
            ("label_min", float(opts.get("label_min", 3))),
            ("answers_label", ctx.strings.get("answers", "Antal svar")),
            ("mean_label", ctx.strings.get("mean", "Medel")),
            ("mean_decimals", int(opts.get("mean_decimals", 1))),
            ("label_width", int(opts.get("label_width", 30))),
            ("legend_rows", int(opts.get("legend_rows", 1))),
        ),
    )


def draw_bars(spec: ChartSpec, ax) -> None:  # noqa: ANN001 - matplotlib Axes
    """Draw the stacked bars of ``spec`` on ``ax`` (shared with single_stacked)."""
    from pipeline.charts import style

    n_rows = len(spec.categories)
    n_bands = len(spec.series)
    dk = spec.opt("dont_know_last", False)
    colors = style.bands(n_bands - (1 if dk else 0)) + ([style.DONT_KNOW] if dk else [])
    left = [0.0] * n_rows
    height = 0.62 if n_rows > 1 else 0.5
    ys = list(range(n_rows - 1, -1, -1)) if n_rows > 1 else [0]
    label_min = spec.opt("label_min", 3)
    font = 8 if n_rows <= 9 else 7
    for b, s in enumerate(spec.series):
        vals = [0.0 if suppressed(v, row_flag(spec.series, i)) else v for i, v in enumerate(s.values)]
        ax.barh(ys, vals, left=left, height=height, color=colors[b], edgecolor="white", linewidth=0.6, label=s.name, zorder=2)
        for i, v in enumerate(vals):
            mark = s.sig_at(i)
            # a segment carrying a ▲▼ needs room for the wider label
            if v >= label_min + (4 if mark else 0):
                ax.text(left[i] + v / 2, ys[i], spec.label(v) + mark, ha="center", va="center", fontsize=font,
                        color=style.text_color_on(colors[b]), zorder=3)
        left = [l + v for l, v in zip(left, vals)]
    ax.set_xlim(0, 100)
    ax.set_yticks(ys)
    names = [style.wrap(c, spec.opt("label_width", 30)) for c in spec.categories]
    if spec.opt("n") is None:
        # no "Antal svar" column to carry the low-base mark: it goes on the bar's name
        names = [name + low_base_mark(row_flag(spec.series, i)) for i, name in enumerate(names)]
    ax.set_yticklabels(names, fontsize=font + 0.5)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    style.clean_axes(ax)
    ax.spines["bottom"].set_visible(False)
    ax.spines["left"].set_visible(False)
    ax.set_xticks([])


def render(spec: ChartSpec, path: Path) -> None:
    from pipeline.charts import style

    style.save(draw(spec), path)


def draw(spec: ChartSpec):  # noqa: ANN201 - matplotlib Figure
    """The chart as an unsaved matplotlib Figure."""
    from pipeline.charts import style

    fig = style.figure(spec.width, spec.height)
    counts = spec.opt("n")
    means = spec.opt("mean")
    extra_cols = (counts is not None) + (means is not None)
    grid = fig.add_gridspec(1, 1 + extra_cols, width_ratios=[10] + [1.1] * extra_cols, wspace=0.02)
    ax = fig.add_subplot(grid[0, 0])
    draw_bars(spec, ax)
    ys = list(range(len(spec.categories) - 1, -1, -1))
    font = 8 if len(spec.categories) <= 9 else 7
    col = 1
    mean_sig = spec.opt("mean_sig", ())

    def count_text(i: int, v: int) -> str:
        return fmt_count(v, spec.lang) + low_base_mark(row_flag(spec.series, i)) if v else "–"

    def mean_text(i: int, v: float) -> str:
        if suppressed(v, row_flag(spec.series, i)):
            return "–"
        return fmt_number(v, spec.opt("mean_decimals", 1), spec.lang) + (mean_sig[i] if i < len(mean_sig) else "")

    for values, title, fmt in ((counts, spec.opt("answers_label"), count_text), (means, spec.opt("mean_label"), mean_text)):
        if values is None:
            continue
        side = fig.add_subplot(grid[0, col], sharey=ax)
        col += 1
        for i, (y, v) in enumerate(zip(ys, values)):
            side.text(0.5, y, fmt(i, v), ha="center", va="center", fontsize=font + 0.5, color=style.TEXT)
        side.set_title(title, fontsize=8, color=style.GREY, loc="center")
        side.axis("off")
        side.set_xlim(0, 1)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=max(1, math.ceil(len(spec.series) / spec.opt("legend_rows", 1))),
              fontsize=7.5, handlelength=1.0, columnspacing=1.0)
    return fig


def alt_text(spec: ChartSpec) -> str:
    parts = [spec.description.rstrip(".") + "." if spec.description else ""]
    means = spec.opt("mean")
    for i, cat in enumerate(spec.categories[:8]):
        segs = ", ".join(f"{s.name} {spec.fmt(s.values[i])}" for s in spec.series if not math.isnan(s.values[i]))
        mean_word = str(spec.opt("mean_label", "Medel")).lower()
        mean = (f"; {mean_word} {fmt_number(means[i], spec.opt('mean_decimals', 1), spec.lang)}"
                if means and not math.isnan(means[i]) else "")
        parts.append(f"{cat}: {segs}{mean}.")
    return " ".join(p for p in parts if p)


def notes_columns(spec: ChartSpec) -> list[tuple[str, list[str]]]:
    """The answer count and the mean of each bar as extra columns of the notes table."""
    out = []
    counts, means, marks = spec.opt("n"), spec.opt("mean"), spec.opt("mean_sig", ())
    if counts is not None:
        out.append((spec.opt("answers_label", "Antal svar"), [fmt_count(v, spec.lang) if v else "–" for v in counts]))
    if means is not None:
        out.append((spec.opt("mean_label", "Medel"), [
            "–" if suppressed(v, row_flag(spec.series, i)) else fmt_number(v, 2, spec.lang) + (marks[i] if i < len(marks) else "")
            for i, v in enumerate(means)]))
    return out
