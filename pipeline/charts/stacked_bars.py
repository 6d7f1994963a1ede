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
from pipeline.charts.data import select
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
    if opts.get("sort") == "mean":
        bar_keys.sort(key=lambda k: -mean_of.get(k, (-1e9, 0))[0])
    bands = list(dict.fromkeys(shares["category"].astype(str)))
    band_labels = dict(zip(shares["category"].astype(str), shares["label"].astype(str)))
    item_labels = dict(zip(shares["item"].astype(str), shares["item_label"].astype(str)))
    series = []
    for band in bands:
        values, bases, sig = [], [], []
        for item, wave in bar_keys:
            hit = shares[(shares["item"].astype(str) == item) & (shares["wave"] == wave) & (shares["category"].astype(str) == band)]
            if hit.empty:
                values.append(math.nan), bases.append(0), sig.append("")
            else:
                r = hit.iloc[0]
                values.append(float(r["value"])), bases.append(int(r["n"])), sig.append(str(r["sig"] or ""))
        series.append(Series(band_labels[band], tuple(values), tuple(sig), (), tuple(bases)))
    n_from = opts.get("n_from", "mean" if not means.empty else "share")
    labels, counts, mean_values = [], [], []
    for item, wave in bar_keys:
        label = item_labels.get(item, item)
        labels.append(f"{label} – {wave}" if per_wave else label)
        mean, n_mean = mean_of.get((item, wave), (math.nan, 0))
        share_n = next((s.bases[len(labels) - 1] for s in series if s.bases[len(labels) - 1]), 0)
        counts.append(n_mean if n_from == "mean" and n_mean else share_n)
        mean_values.append(mean)
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
            ("dont_know_last", bool(dk_last)),
            ("label_min", float(opts.get("label_min", 3))),
            ("answers_label", ctx.strings.get("answers", "Antal svar")),
            ("mean_label", ctx.strings.get("mean", "Medel")),
            ("mean_decimals", int(opts.get("mean_decimals", 1))),
            ("label_width", int(opts.get("label_width", 30))),
            ("legend_rows", int(opts.get("legend_rows", 1))),
        ),
    )


def draw(spec: ChartSpec, fig, ax) -> None:  # noqa: ANN001 - matplotlib objects
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
        vals = [0.0 if (v is None or math.isnan(v)) else v for v in s.values]
        ax.barh(ys, vals, left=left, height=height, color=colors[b], edgecolor="white", linewidth=0.6, label=s.name, zorder=2)
        for i, v in enumerate(vals):
            if v >= label_min:
                ax.text(left[i] + v / 2, ys[i], spec.label(v), ha="center", va="center", fontsize=font,
                        color=style.text_color_on(colors[b]), zorder=3)
        left = [l + v for l, v in zip(left, vals)]
    ax.set_xlim(0, 100)
    ax.set_yticks(ys)
    ax.set_yticklabels([style.wrap(c, spec.opt("label_width", 30)) for c in spec.categories], fontsize=font + 0.5)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    style.clean_axes(ax)
    ax.spines["bottom"].set_visible(False)
    ax.spines["left"].set_visible(False)
    ax.set_xticks([])


def render(spec: ChartSpec, path: Path) -> None:
    from pipeline.charts import style

    fig = style.figure(spec.width, spec.height)
    counts = spec.opt("n")
    means = spec.opt("mean")
    extra_cols = (counts is not None) + (means is not None)
    grid = fig.add_gridspec(1, 1 + extra_cols, width_ratios=[10] + [1.1] * extra_cols, wspace=0.02)
    ax = fig.add_subplot(grid[0, 0])
    draw(spec, fig, ax)
    ys = list(range(len(spec.categories) - 1, -1, -1))
    font = 8 if len(spec.categories) <= 9 else 7
    col = 1
    for values, title, fmt in (
        (counts, spec.opt("answers_label"), lambda v: fmt_count(v, spec.lang) if v else "–"),
        (means, spec.opt("mean_label"), lambda v: fmt_number(v, spec.opt("mean_decimals", 1), spec.lang)),
    ):
        if values is None:
            continue
        side = fig.add_subplot(grid[0, col], sharey=ax)
        col += 1
        for y, v in zip(ys, values):
            side.text(0.5, y, fmt(v), ha="center", va="center", fontsize=font + 0.5, color=style.TEXT)
        side.set_title(title, fontsize=8, color=style.GREY, loc="center")
        side.axis("off")
        side.set_xlim(0, 1)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=max(1, math.ceil(len(spec.series) / spec.opt("legend_rows", 1))),
              fontsize=7.5, handlelength=1.0, columnspacing=1.0)
    style.save(fig, path)


def alt_text(spec: ChartSpec) -> str:
    parts = [spec.description.rstrip(".") + "." if spec.description else ""]
    means = spec.opt("mean")
    for i, cat in enumerate(spec.categories[:8]):
        segs = ", ".join(f"{s.name} {spec.fmt(s.values[i])}" for s in spec.series if not math.isnan(s.values[i]))
        mean_word = str(spec.opt("mean_label", "Medel")).lower()
        mean = f"; {mean_word} {fmt_number(means[i], 1, spec.lang)}" if means and not math.isnan(means[i]) else ""
        parts.append(f"{cat}: {segs}{mean}.")
    return " ".join(p for p in parts if p)
