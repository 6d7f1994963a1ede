"""Change bars (S39): change between two waves per group of one variable, one bar per group of another
(by age group, a bar per sex), or per group of a single grouping."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from pipeline.charts import CHARTS, ChartContext, ChartKind, ChartOptions, ChartSpec, Series
from pipeline.charts.data import low_base_mark, mark_color, reorder, series_colors, suppressed
from pipeline.numbers import fmt_count

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


NBSP_SLASH = "\u00a0/\u00a0"


class ChangeBarsOptions(ChartOptions):
    """Options of ``change_bars`` (draws a ``change`` metric by a crossing and one of its variables, e.g.
    ``by: [sex_age, sex]`` or ``by: [channel*unit, channel]``; or by one grouping, e.g. ``by: [unit]``)."""

    series_order: list[str] | None = Field(
        None, description="the order of the series (their group keys, e.g. codebook names or answer codes); default reversed")
    decimals: int = Field(0, ge=0, le=3, description="decimals of the data labels")
    bases: bool = Field(True, description="each category's name carries the bases (n) of its bars, in the bars' order")
    orientation: Literal["auto", "columns", "bars"] = Field(
        "auto", description="upright columns, or horizontal bars (rows top to bottom, for many or long names); auto: bars "
        "from seven categories on")
    sort: Literal["fixed", "change"] = Field(
        "fixed", description="category order: the codebook's, or by the first series' change, largest rise first (the total "
        "stays last)")


def _split(key: str, label: str, series: dict[str, str], first: bool) -> tuple[str, str, str] | None:
    """(series key, category key, category label) of a crossed group whose key starts (``first``) or ends with a
    series key; its label loses the series label the same way."""
    for s_key, s_label in series.items():
        if first and key.startswith(s_key + " "):
            rest = key[len(s_key) + 1:]
            return s_key, rest, label[len(s_label) + 1:] if label.startswith(s_label + " ") else rest
        if not first and key.endswith(" " + s_key):
            rest = key[: -len(s_key) - 1]
            return s_key, rest, label[: -len(s_label) - 1] if label.endswith(" " + s_label) else rest
    return None


def build(rows: pd.DataFrame, opts: ChangeBarsOptions, ctx: ChartContext) -> ChartSpec[ChangeBarsDetail]:
    """Rows from metric ``change``. With a crossing (``sex_age``, ``a*b``) and one of its variables: the
    categories are the other variable's groups plus the total, one series per group of the variable
    (e.g. by age group, a bar per sex). With a single grouping: its groups plus the total, one series."""
    grouped = rows[rows["group_var"] != "total"]
    kinds = list(dict.fromkeys(grouped["group_var"].astype(str)))
    crossing = next((v for v in kinds if v == "sex_age" or "*" in v), None)
    one_way = [v for v in kinds if v != crossing]
    if crossing is None:
        var = one_way[0] if one_way else "total"
        cells = rows[rows["group_var"] == var]
        totals = rows[rows["group_var"] == "total"]
        series_keys = {"total": str(totals["group_label"].iloc[0]) if len(totals) else "total"}
        cats = list(dict.fromkeys(cells["group"].astype(str)))
        cat_labels = dict(zip(cells["group"].astype(str), cells["group_label"].astype(str), strict=True))
        cell_of = {("total", c): c for c in cats}
        totals_of = {"total": totals}
    else:
        cells = rows[rows["group_var"] == crossing]
        names = ["sex", "age_group"] if crossing == "sex_age" else crossing.split("*")
        # the series variable: the crossing's first or last variable that is also grouped on its own
        series_var = next((v for v in (names[0], names[-1]) if v in one_way), None)
        totals = rows[rows["group_var"] == series_var] if series_var is not None else rows.iloc[0:0]
        series_keys = dict(zip(totals["group"].astype(str), totals["group_label"].astype(str), strict=True))
        cats, cat_labels, cell_of = [], {}, {}
        for g, label in zip(cells["group"].astype(str), cells["group_label"].astype(str), strict=True):
            split = _split(g, label, series_keys, first=series_var == names[0])
            if split is None:
                continue
            s_key, cat, cat_label = split
            if cat not in cats:
                cats.append(cat)
                cat_labels[cat] = cat_label
            cell_of[(s_key, cat)] = g
        totals_of = {k: totals[totals["group"].astype(str) == k] for k in series_keys}
    order = opts.series_order if opts.series_order is not None else list(reversed(list(series_keys)))
    series = []
    for key in order:
        values, sig, flags, bases = [], [], [], []
        for cat in cats:
            found = cell_of.get((key, cat))
            r = cells[cells["group"].astype(str) == found] if found is not None else cells.iloc[0:0]
            values.append(float(r["value"].iloc[0]) if len(r) else math.nan)
            sig.append(str(r["sig"].iloc[0] or "") if len(r) else "")
            flags.append(str(r["base_flag"].iloc[0]) if len(r) else "missing")
            bases.append(int(r["n"].iloc[0]) if len(r) else 0)
        t = totals_of.get(key, cells.iloc[0:0])
        values.append(float(t["value"].iloc[0]) if len(t) else math.nan)
        sig.append(str(t["sig"].iloc[0] or "") if len(t) else "")
        flags.append(str(t["base_flag"].iloc[0]) if len(t) else "missing")
        bases.append(int(t["n"].iloc[0]) if len(t) else 0)
        series.append(Series(series_keys.get(key, key), tuple(values), tuple(sig), tuple(flags), tuple(bases)))
    names = [cat_labels[c] for c in cats] + [ctx.strings.get("total", "Totalt")]
    if opts.bases and series:
        def base(s: Series, i: int) -> str:
            n = s.base_at(i)
            return (fmt_count(n, ctx.lang) if n else "–") + low_base_mark(s.flag_at(i))

        # the base part never breaks inside (no-break spaces): "18–29 år" over "(n = 132 / 100)"
        names = [f"{name} (n\u00a0=\u00a0{NBSP_SLASH.join(base(s, i) for s in series)})" for i, name in enumerate(names)]
    if opts.sort == "change" and series:
        first = series[0].values[:-1]
        order_idx = sorted(range(len(first)), key=lambda i: (-first[i] if not math.isnan(first[i]) else math.inf, i))
        order_idx.append(len(names) - 1)  # the total last
        names = [names[i] for i in order_idx]
        series = reorder(series, order_idx)
    horizontal = opts.orientation == "bars" or (opts.orientation == "auto" and len(names) >= 7)
    # a group's colour follows its place in the codebook (as on the trend charts), not the drawing order
    keys = list(series_keys)
    palette = ctx.palette.groups(len(keys))
    series = series_colors(series, [palette[keys.index(key)] if key in keys else palette[-1] for key in order])
    return ChartSpec(
        kind="change_bars",
        categories=tuple(names),
        series=tuple(series),
        unit=str(rows["unit"].iloc[0]) if len(rows) else "percent",  # relative change in %, or points
        decimals=opts.decimals,
        lang=ctx.lang,
        width=ctx.width,
        height=ctx.height,
        description=opts.description,
        font=ctx.font,
        order="value" if opts.sort == "change" else "codebook",
        mark_colors=(ctx.palette.up, ctx.palette.down),
        detail=ChangeBarsDetail(horizontal),
    )


@dataclass(frozen=True)
class ChangeBarsDetail:
    """How the bars stand: upright columns or horizontal bars."""

    horizontal: bool = False


def _draw_bars(spec: ChartSpec[ChangeBarsDetail]) -> Figure:
    """Horizontal bars, categories top to bottom, the change's number beyond each bar's end and its ▲▼ after it."""
    from pipeline.charts import style

    fig = style.figure(spec.width, spec.height, spec.font)
    ax = fig.add_subplot(111)
    n_cat, n_ser = len(spec.categories), len(spec.series)
    height = 0.8 / n_ser
    fallback = style.PALETTE.groups(n_ser)
    shown = [[not suppressed(v, s.flag_at(i)) for i, v in enumerate(s.values)] for s in spec.series]
    finite = [v for s, ok in zip(spec.series, shown, strict=True) for v, keep in zip(s.values, ok, strict=True) if keep]
    lo, hi = min(finite + [0]), max(finite + [0])
    span = (hi - lo) or 1.0
    pad = span * 0.16
    for k, s in enumerate(spec.series):
        ys = [-(i - 0.4 + height * (k + 0.5)) for i in range(n_cat)]
        vals = [v if keep else 0.0 for v, keep in zip(s.values, shown[k], strict=True)]
        ax.barh(ys, vals, height=height * 0.85, color=s.color or fallback[k], label=s.name, zorder=2)
        for i, (y, v) in enumerate(zip(ys, s.values, strict=True)):
            if not shown[k][i]:
                continue
            text = spec.fmt(v, signed=True) + low_base_mark(s.flag_at(i))
            drawn = ax.text(v + (span * 0.01 if v >= 0 else -span * 0.01), y, text, ha="left" if v >= 0 else "right", va="center",
                            fontsize=style.LABEL_PT, color=style.TEXT)
            mark = s.sig_at(i)
            if mark:
                right = v >= 0
                ax.annotate(mark, xy=(1.0 if right else 0.0, 0.5), xycoords=drawn, xytext=(2 if right else -2, 0),
                            textcoords="offset points", ha="left" if right else "right", va="center", fontsize=style.LABEL_PT,
                            color=mark_color(spec.mark_colors, mark))
    ax.axvline(0, color=style.GREY, linewidth=0.8, zorder=3)
    ax.axhline(-(n_cat - 1.5), color=style.LIGHT_GREY, linewidth=0.8, linestyle=":", zorder=1)  # the total below the line
    ax.set_yticks([-i for i in range(n_cat)])
    ax.set_yticklabels([style.wrap(c, 40) for c in spec.categories], fontsize=style.TICK_PT if n_cat <= 10 else style.MIN_PT)
    ax.set_ylim(-(n_cat - 0.5), 0.5)
    ax.set_xlim(lo - (pad if lo < 0 else 0), hi + pad)
    style.nice_ticks(ax.xaxis)
    ax.xaxis.set_major_formatter(style.tick_formatter(spec.lang, percent=spec.unit == "percent"))
    ax.tick_params(axis="x", labelsize=style.TICK_PT)
    style.clean_axes(ax, "x")
    ax.spines["left"].set_visible(False)
    ax.spines["bottom"].set_visible(False)
    if n_ser > 1:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=n_ser, fontsize=style.LEGEND_PT)
    return fig


def draw(spec: ChartSpec[ChangeBarsDetail]) -> Figure:
    """The chart as an unsaved matplotlib Figure."""
    if spec.detail is not None and spec.detail.horizontal:
        return _draw_bars(spec)
    from matplotlib.font_manager import FontProperties

    from pipeline.charts import style

    fig = style.figure(spec.width, spec.height, spec.font)
    ax = fig.add_subplot(111)
    n_cat, n_ser = len(spec.categories), len(spec.series)
    width = 0.8 / n_ser
    fallback = style.PALETTE.groups(n_ser)
    colors = [s.color or fallback[k] for k, s in enumerate(spec.series)]
    shown = [[not suppressed(v, s.flag_at(i)) for i, v in enumerate(s.values)] for s in spec.series]
    finite = [v for s, ok in zip(spec.series, shown, strict=True) for v, keep in zip(s.values, ok, strict=True) if keep]
    lo, hi = min(finite + [0]), max(finite + [0])
    numbers = [[spec.fmt(v, signed=True) + low_base_mark(s.flag_at(i)) for i, v in enumerate(s.values)] for s in spec.series]
    # the number at 10 pt beside its bar's end if it fits the bar's slot, else turned along the bar; the ▲▼ beyond
    # it, upright, in the marks' colour (never smaller text)
    font = style.LABEL_PT
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg's canvas has it; the stubs type the base class
    slot_pt = (spec.width - 0.8) * 72 / n_cat * width * 0.96
    prop = FontProperties(family=style.font_family(spec.font), size=font)
    widest = max((renderer.get_text_width_height_descent(n, prop, ismath=False)[0] * 72 / fig.dpi
                  for row, ok in zip(numbers, shown, strict=True) for n, keep in zip(row, ok, strict=True) if keep), default=0.0)
    upright = widest > slot_pt
    label_in = ((widest if upright else font * 1.25) + font * 1.3) / 72 + 0.04
    plot_h = max(spec.height - 1.0, 0.8)
    span = (hi - lo) or 1.0
    pad = max(span * 0.12, span * label_in / max(plot_h - 2 * label_in, 0.2))
    for k, s in enumerate(spec.series):
        xs = [i - 0.4 + width * (k + 0.5) for i in range(n_cat)]
        vals = [v if keep else 0.0 for v, keep in zip(s.values, shown[k], strict=True)]
        ax.bar(xs, vals, width=width * 0.9, color=colors[k], label=s.name, zorder=2)
        for i, (x, v) in enumerate(zip(xs, s.values, strict=True)):
            if not shown[k][i]:
                continue
            y = v + (pad * 0.1 if v >= 0 else -pad * 0.1)
            va = "bottom" if v >= 0 else "top"
            drawn = ax.text(x, y, numbers[k][i], ha="center", va=va, fontsize=font, color=style.TEXT,
                            rotation=90 if upright else 0)
            mark = s.sig_at(i)
            if mark:
                ax.annotate(mark, xy=(0.5, 1.0 if v >= 0 else 0.0), xycoords=drawn, xytext=(0, 1 if v >= 0 else -1),
                            textcoords="offset points", ha="center", va=va, fontsize=font, color=mark_color(spec.mark_colors, mark))
    ax.axhline(0, color=style.GREY, linewidth=0.8, zorder=3)
    ax.axvline(n_cat - 1.5, color=style.LIGHT_GREY, linewidth=0.8, linestyle=":", zorder=1)
    ax.set_xticks(range(n_cat))
    chars = max(8, int((spec.width - 0.8) * 72 / n_cat / (style.TICK_PT * 0.55)))
    ax.set_xticklabels([style.wrap(c, chars) for c in spec.categories], fontsize=style.TICK_PT)
    ax.set_xlim(-0.5, n_cat - 0.5)
    ax.set_ylim(lo - pad, hi + pad)
    style.nice_ticks(ax.yaxis)
    ax.yaxis.set_major_formatter(style.tick_formatter(spec.lang, percent=spec.unit == "percent"))
    ax.tick_params(axis="y", labelsize=style.TICK_PT)
    style.clean_axes(ax, "y")
    ax.spines["bottom"].set_visible(False)
    ax.spines["left"].set_visible(False)  # no axis line: the grid and the zero line carry the values
    if n_ser > 1:  # one series (a single grouping) needs no key
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=n_ser, fontsize=style.LEGEND_PT)
    return fig


def alt_text(spec: ChartSpec[ChangeBarsDetail]) -> str:
    """Each series' change per category and in total."""
    lead = spec.description.rstrip(".") + ". " if spec.description else ""
    parts = []
    for s in spec.series:
        pairs = enumerate(zip(spec.categories, s.values, strict=True))
        parts.append(f"{s.name}: " + ", ".join(f"{c} {spec.fmt(v, signed=True)}" for i, (c, v) in pairs if not suppressed(v, s.flag_at(i))))
    return lead + "; ".join(parts) + "."


CHANGE_BARS = CHARTS.register(ChartKind("change_bars", ChangeBarsOptions, build, draw, alt_text))
