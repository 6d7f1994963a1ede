"""Change bars (S39): relative change between two waves by age group, one bar per sex."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import Field

from pipeline.charts import CHARTS, ChartContext, ChartKind, ChartOptions, ChartSpec, Series
from pipeline.charts.data import low_base_mark, suppressed

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


class ChangeBarsOptions(ChartOptions):
    """Options of ``change_bars`` (draws a ``change`` metric by ``sex_age`` and ``sex``)."""

    series_order: list[str] | None = Field(None, description="the sexes' order of bars (codebook keys); default reversed")
    decimals: int = Field(0, ge=0, le=3, description="decimals of the data labels")


def build(rows: pd.DataFrame, opts: ChangeBarsOptions, ctx: ChartContext) -> ChartSpec[None]:
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
    order = opts.series_order if opts.series_order is not None else list(reversed(sexes))
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
        decimals=opts.decimals,
        lang=ctx.lang,
        width=ctx.width,
        height=ctx.height,
        description=opts.description,
    )


def draw(spec: ChartSpec[None]) -> Figure:
    """The chart as an unsaved matplotlib Figure."""
    from matplotlib.font_manager import FontProperties

    from pipeline.charts import style

    fig = style.figure(spec.width, spec.height)
    ax = fig.add_subplot(111)
    n_cat, n_ser = len(spec.categories), len(spec.series)
    width = 0.8 / n_ser
    colors = [style.CORAL, style.NAVY, style.BLUE, style.GREEN]
    shown = [[not suppressed(v, s.flag_at(i)) for i, v in enumerate(s.values)] for s in spec.series]
    finite = [v for s, ok in zip(spec.series, shown) for v, keep in zip(s.values, ok) if keep]
    lo, hi = min(finite + [0]), max(finite + [0])

    def label(s: Series, i: int, v: float) -> tuple[str, str]:
        return spec.fmt(v, signed=True) + low_base_mark(s.flag_at(i)), s.sig_at(i)

    texts = [[label(s, i, v) for i, v in enumerate(s.values)] for s in spec.series]
    # a label may be as wide as its bar's slot: shrink the font, then put the ▲▼ on a second line
    renderer = fig.canvas.get_renderer()
    slot_pt = (spec.width - 0.8) * 72 / n_cat * width * 0.96

    def widest(size: float, stacked: bool) -> float:
        prop = FontProperties(family=style.FONT, size=size)
        out = 0.0
        for row, ok in zip(texts, shown):
            for (number, mark), keep in zip(row, ok):
                if keep:
                    for part in ([number, mark] if stacked else [number + (" " + mark if mark else "")]):
                        out = max(out, renderer.get_text_width_height_descent(part, prop, ismath=False)[0] * 72 / fig.dpi)
        return out

    # flat "−12 % ▼", else stacked "−12 %" over "▼", else turned upright along the bar
    layout, font = "flat", 8.0
    while widest(font, False) > slot_pt and font > 6.5:
        font -= 0.5
    if widest(font, False) > slot_pt:
        layout, font = "stacked", 8.0
        while widest(font, True) > slot_pt and font > 6.5:
            font -= 0.5
    if layout == "stacked" and widest(font, True) > slot_pt:
        layout, font = "upright", max(5.5, min(8.0, slot_pt / 1.25))
    stacked = layout == "stacked"
    # room above and below the bars for a label beside the zero line and the ticks
    if layout == "upright":
        # the number (without its mark) runs along the bar; the ▲▼ stays upright beyond it
        prop = FontProperties(family=style.FONT, size=font)
        longest = max((renderer.get_text_width_height_descent(n, prop, ismath=False)[0] * 72 / fig.dpi
                       for row, ok in zip(texts, shown) for (n, _), keep in zip(row, ok) if keep), default=0.0)
        label_in = (longest + font * 1.3) / 72 + 0.04
    else:
        lines = 2 if stacked and any(m for row in texts for _, m in row) else 1
        label_in = lines * font * 1.25 / 72 + 0.04
    plot_h = max(spec.height - 0.8, 0.8)
    span = (hi - lo) or 1.0
    pad = max(span * 0.12, span * label_in / max(plot_h - 2 * label_in, 0.2))
    for k, s in enumerate(spec.series):
        xs = [i - 0.4 + width * (k + 0.5) for i in range(n_cat)]
        vals = [v if keep else 0.0 for v, keep in zip(s.values, shown[k])]
        ax.bar(xs, vals, width=width * 0.9, color=colors[k % len(colors)], label=s.name, zorder=2)
        for i, (x, v) in enumerate(zip(xs, s.values)):
            if not shown[k][i]:
                continue
            number, mark = texts[k][i]
            y = v + (pad * 0.1 if v >= 0 else -pad * 0.1)
            va = "bottom" if v >= 0 else "top"
            if layout == "upright":
                drawn = ax.text(x, y, number, ha="center", va=va, fontsize=font, color=style.TEXT, rotation=90)
                if mark:  # turned, ▲ would read as ◀: the mark stays upright beyond the number's end
                    ax.annotate(mark, xy=(0.5, 1.0 if v >= 0 else 0.0), xycoords=drawn, xytext=(0, 1 if v >= 0 else -1),
                                textcoords="offset points", ha="center", va=va, fontsize=font, color=style.TEXT)
                continue
            if not mark:
                text = number
            elif not stacked:
                text = f"{number} {mark}"
            else:  # the number next to the bar's end, the mark beyond it
                text = f"{mark}\n{number}" if v >= 0 else f"{number}\n{mark}"
            ax.text(x, y, text, ha="center", va=va, fontsize=font, color=style.TEXT, linespacing=1.1)
    ax.axhline(0, color=style.GREY, linewidth=0.8, zorder=3)
    ax.axvline(n_cat - 1.5, color=style.LIGHT_GREY, linewidth=0.8, linestyle=":", zorder=1)
    ax.set_xticks(range(n_cat))
    chars = max(8, int((spec.width - 0.8) * 72 / n_cat / (9 * 0.6)))
    ax.set_xticklabels([style.wrap(c, chars) for c in spec.categories], fontsize=9)
    ax.set_xlim(-0.5, n_cat - 0.5)
    ax.set_ylim(lo - pad, hi + pad)
    style.nice_ticks(ax.yaxis)
    ax.yaxis.set_major_formatter(style.tick_formatter(spec.lang))
    ax.tick_params(axis="y", labelsize=8.5)
    style.clean_axes(ax, "y")
    ax.spines["bottom"].set_visible(False)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=n_ser, fontsize=9)
    return fig


def alt_text(spec: ChartSpec[None]) -> str:
    """Each sex's change per age group and in total."""
    lead = spec.description.rstrip(".") + ". " if spec.description else ""
    parts = []
    for s in spec.series:
        parts.append(f"{s.name}: " + ", ".join(f"{c} {spec.fmt(v, signed=True)}" for i, (c, v) in enumerate(zip(spec.categories, s.values))
                                               if not suppressed(v, s.flag_at(i))))
    return lead + "; ".join(parts) + "."


CHANGE_BARS = CHARTS.register(ChartKind("change_bars", ChangeBarsOptions, build, draw, alt_text))
