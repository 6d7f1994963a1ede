"""Driver quadrant (S27): each item's agreement share (x) against its importance for recommendation (y).

Lines at the means split the plane into four quadrants named in the corners;
the previous wave's positions are drawn as faint dots joined to this wave's,
so movement in importance shows. Point labels are nudged apart vertically.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.charts import ChartContext, ChartSpec, Series
from pipeline.numbers import fmt_number


def build(rows: pd.DataFrame, opts: dict[str, Any], ctx: ChartContext) -> ChartSpec:
    """Options: ``importance`` (relative_weight|correlation), ``show_previous`` (default true)."""
    imp = opts.get("importance", "relative_weight")
    total = rows[rows["group_var"] == "total"]
    now = total[total["wave"] == ctx.wave]
    items = list(dict.fromkeys(now[now["measure"] == "agree"]["category"].astype(str)))
    agree_rows = now[now["measure"] == "agree"]
    labels = dict(zip(agree_rows["category"].astype(str), agree_rows["label"].astype(str)))

    def values(frame: pd.DataFrame, measure: str) -> tuple[float, ...]:
        part = frame[frame["measure"] == measure]
        by = dict(zip(part["category"].astype(str), part["value"].astype(float)))
        return tuple(by.get(i, math.nan) for i in items)

    x, y = values(now, "agree"), values(now, imp)
    base_by = dict(zip(agree_rows["category"].astype(str), agree_rows["n"].astype(int)))
    bases = tuple(base_by.get(i, 0) for i in items)
    x_label = opts.get("x_label") or ctx.strings.get("driver_x", "")
    y_label = opts.get("y_label") or ctx.strings.get(f"driver_y_{imp}", "")
    prev_waves = sorted(w for w in total["wave"].unique() if w < ctx.wave)
    prev = total[total["wave"] == prev_waves[-1]] if prev_waves and opts.get("show_previous", True) else None
    names = {k: ctx.strings.get(f"quadrant_{k}", "") for k in (1, 2, 3, 4)}
    return ChartSpec(
        kind="driver_quadrant",
        categories=tuple(labels[i] for i in items),
        series=(Series(x_label, x, bases=bases), Series(y_label, y, bases=bases)),
        unit="percent",
        lang=ctx.lang,
        width=ctx.width,
        height=ctx.height,
        description=opts.get("description", ""),
        extra=(
            ("prev_x", values(prev, "agree") if prev is not None else None),
            ("prev_y", values(prev, imp) if prev is not None else None),
            ("prev_wave", str(prev_waves[-1]) if prev is not None else ""),
            ("wave", str(ctx.wave)),
            ("quadrants", tuple(sorted(names.items()))),
            ("x_label", x_label),
            ("y_label", y_label),
            ("y_unit", "percent" if imp == "relative_weight" else "coefficient"),
        ),
    )


def render(spec: ChartSpec, path: Path) -> None:
    from pipeline.charts import style
    from pipeline.charts.trend_line import _spread

    fig = style.figure(spec.width, spec.height)
    ax = fig.add_subplot(111)
    xs, ys = spec.series[0].values, spec.series[1].values
    px, py = spec.opt("prev_x"), spec.opt("prev_y")
    pts = [(x, y) for x, y in zip(xs, ys) if not (math.isnan(x) or math.isnan(y))]
    all_x = [p[0] for p in pts] + ([v for v in px if not math.isnan(v)] if px else [])
    all_y = [p[1] for p in pts] + ([v for v in py if not math.isnan(v)] if py else [])
    x_lo, x_hi = min(all_x) - 6, max(all_x) + 6
    y_lo, y_hi = min(0, min(all_y)), max(all_y) * 1.15
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    ax.axvline(mx, color=style.LIGHT_GREY, linewidth=1, zorder=1)
    ax.axhline(my, color=style.LIGHT_GREY, linewidth=1, zorder=1)
    if px and py:
        for x0, y0, x1, y1 in zip(px, py, xs, ys):
            if not any(math.isnan(v) for v in (x0, y0, x1, y1)):
                ax.plot([x0, x1], [y0, y1], color="#D1D5DB", linewidth=0.8, zorder=2)
                ax.scatter([x0], [y0], s=14, color="#C9CDD3", zorder=2)
    ax.scatter(xs, ys, s=36, color=style.NAVY, zorder=3, label=spec.opt("wave"))
    if px:
        ax.scatter([], [], s=14, color="#C9CDD3", label=spec.opt("prev_wave"))
    span = y_hi - y_lo
    label_y = _spread(list(ys), span * 0.045)
    for cat, x, y, ly in zip(spec.categories, xs, ys, label_y):
        right = x < (x_lo + x_hi) / 2 + 8
        ax.annotate(cat, xy=(x, y), xytext=(x + (1.2 if right else -1.2), ly), ha="left" if right else "right", va="center",
                    fontsize=8, color=style.TEXT, arrowprops=dict(arrowstyle="-", color="#E5E7EB", linewidth=0.5, shrinkA=0, shrinkB=2))
    corners = {1: (x_hi, y_hi, "right", "top"), 2: (x_lo, y_hi, "left", "top"), 3: (x_hi, y_lo, "right", "bottom"), 4: (x_lo, y_lo, "left", "bottom")}
    for number, name in spec.opt("quadrants", ()):
        cx, cy, ha, va = corners[number]
        ax.text(cx, cy, name, ha=ha, va=va, fontsize=8.5, color=style.BLUE, fontweight="bold", alpha=0.9)
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_xlabel(spec.opt("x_label"), fontsize=8.5, color=style.GREY)
    ax.set_ylabel(spec.opt("y_label"), fontsize=8.5, color=style.GREY)
    ax.xaxis.set_major_formatter(lambda v, _p: spec.label(v) + (" %" if spec.lang == "sv" else "%"))
    if spec.opt("y_unit") == "percent":
        ax.yaxis.set_major_formatter(lambda v, _p: spec.label(v) + (" %" if spec.lang == "sv" else "%"))
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(labelsize=8)
    style.clean_axes(ax)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=8)
    style.save(fig, path)


def alt_text(spec: ChartSpec) -> str:
    lead = spec.description.rstrip(".") + ". " if spec.description else ""
    pairs = sorted(zip(spec.categories, spec.series[0].values, spec.series[1].values), key=lambda t: -t[2])
    shown = "; ".join(f"{c}: instämmer {fmt_number(x, 0, spec.lang)} %, vikt {fmt_number(y, 1, spec.lang)}" if spec.lang == "sv"
                      else f"{c}: agree {fmt_number(x, 0, spec.lang)}%, importance {fmt_number(y, 1, spec.lang)}" for c, x, y in pairs)
    return lead + shown + "."
