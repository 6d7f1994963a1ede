"""Change bars (S39): relative change between two waves by age group, one bar per sex."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.charts import ChartContext, ChartSpec, Series


def build(rows: pd.DataFrame, opts: dict[str, Any], ctx: ChartContext) -> ChartSpec:
    """Rows from metric ``change`` by ``sex_age`` and ``sex`` (and total). Categories are the age
    groups plus the total; one series per sex."""
    cells = rows[rows["group_var"] == "sex_age"]
    totals = rows[rows["group_var"] == "sex"]
    sexes = list(dict.fromkeys(totals["group"].astype(str)))
    sex_labels = dict(zip(totals["group"].astype(str), totals["group_label"].astype(str)))
    ages: list[str] = []
    age_labels: dict[str, str] = {}
    for g, label in zip(cells["group"].astype(str), cells["group_label"].astype(str)):
        sex, age = g.split(" ", 1)
        if age not in ages:
            ages.append(age)
            age_labels[age] = label[len(sex_labels.get(sex, sex)) + 1 :] if label.startswith(sex_labels.get(sex, sex)) else age
    order = opts.get("series_order", list(reversed(sexes)))
    series = []
    for sex in order:
        values, sig, flags, bases = [], [], [], []
        for age in ages:
            r = cells[cells["group"].astype(str) == f"{sex} {age}"]
            values.append(float(r["value"].iloc[0]) if len(r) else math.nan)
            sig.append(str(r["sig"].iloc[0] or "") if len(r) else "")
            flags.append(str(r["base_flag"].iloc[0]) if len(r) else "missing")
            bases.append(int(r["n"].iloc[0]) if len(r) else 0)
        t = totals[totals["group"].astype(str) == sex]
        values.append(float(t["value"].iloc[0]) if len(t) else math.nan)
        sig.append(str(t["sig"].iloc[0] or "") if len(t) else "")
        flags.append(str(t["base_flag"].iloc[0]) if len(t) else "missing")
        bases.append(int(t["n"].iloc[0]) if len(t) else 0)
        series.append(Series(sex_labels.get(sex, sex), tuple(values), tuple(sig), tuple(flags), tuple(bases)))
    return ChartSpec(
        kind="change_bars",
        categories=tuple([age_labels[a] for a in ages] + [ctx.strings.get("total", "Totalt")]),
        series=tuple(series),
        unit="percent",
        decimals=int(opts.get("decimals", 0)),
        lang=ctx.lang,
        width=ctx.width,
        height=ctx.height,
        description=opts.get("description", ""),
    )


def render(spec: ChartSpec, path: Path) -> None:
    from pipeline.charts import style

    fig = style.figure(spec.width, spec.height)
    ax = fig.add_subplot(111)
    n_cat, n_ser = len(spec.categories), len(spec.series)
    width = 0.8 / n_ser
    colors = [style.CORAL, style.NAVY, style.BLUE, style.GREEN]
    finite = [v for s in spec.series for v in s.values if not math.isnan(v)]
    lo, hi = min(finite + [0]), max(finite + [0])
    pad = (hi - lo) * 0.12 or 1
    for k, s in enumerate(spec.series):
        xs = [i - 0.4 + width * (k + 0.5) for i in range(n_cat)]
        vals = [0 if math.isnan(v) or f == "suppressed" else v for v, f in zip(s.values, s.flags)]
        ax.bar(xs, vals, width=width * 0.9, color=colors[k % len(colors)], label=s.name, zorder=2)
        for i, (x, v) in enumerate(zip(xs, s.values)):
            if math.isnan(v) or s.flag_at(i) == "suppressed":
                continue
            text = spec.fmt(v, signed=True) + ("*" if s.flag_at(i) == "low" else "") + (s.sig_at(i) and " " + s.sig_at(i))
            ax.text(x, v + (pad * 0.15 if v >= 0 else -pad * 0.15), text, ha="center", va="bottom" if v >= 0 else "top",
                    fontsize=8, color=style.TEXT)
    ax.axhline(0, color=style.GREY, linewidth=0.8, zorder=3)
    ax.axvline(n_cat - 1.5, color=style.LIGHT_GREY, linewidth=0.8, linestyle=":", zorder=1)
    ax.set_xticks(range(n_cat))
    ax.set_xticklabels(spec.categories, fontsize=9)
    ax.set_ylim(lo - pad, hi + pad)
    ax.yaxis.set_major_formatter(lambda v, _p: spec.label(v) + (" %" if spec.lang == "sv" else "%"))
    ax.tick_params(axis="y", labelsize=8.5)
    style.clean_axes(ax, "y")
    ax.spines["bottom"].set_visible(False)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=n_ser, fontsize=9)
    style.save(fig, path)


def alt_text(spec: ChartSpec) -> str:
    lead = spec.description.rstrip(".") + ". " if spec.description else ""
    parts = []
    for s in spec.series:
        parts.append(f"{s.name}: " + ", ".join(f"{c} {spec.fmt(v, signed=True)}" for c, v in zip(spec.categories, s.values) if not math.isnan(v)))
    return lead + "; ".join(parts) + "."
