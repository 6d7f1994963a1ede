"""Driver quadrant (S27): each item's agreement share (x) against its importance for recommendation (y).

Lines at the means split the plane into four quadrants named in the corners;
the previous wave's positions are drawn as faint dots joined to this wave's,
so movement in importance shows. Each point's label is placed next to it where
it overlaps no other label, point or quadrant name (a thin leader line when it
had to move away); see ``_place_labels``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from pipeline.charts import CHARTS, ChartContext, ChartKind, ChartOptions, ChartSpec, Series
from pipeline.numbers import fmt_number, fmt_percent

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text


class DriverQuadrantOptions(ChartOptions):
    """Options of ``driver_quadrant`` (draws a ``drivers`` metric of two waves or more)."""

    importance: Literal["relative_weight", "correlation"] = Field("relative_weight", description="the importance on the y axis")
    show_previous: bool = Field(True, description="draw the previous wave's positions, joined to this wave's")
    x_label: str | None = Field(None, description="x axis title; when empty or not given, the phrase ``driver_x``")
    y_label: str | None = Field(None, description="y axis title; when empty or not given, the phrase ``driver_y_<importance>``")


@dataclass(frozen=True)
class DriverQuadrantDetail:
    """The previous wave's positions, the quadrant names, the axis titles and the y axis unit."""

    prev_x: tuple[float, ...] | None = None
    prev_y: tuple[float, ...] | None = None
    prev_wave: str = ""
    wave: str = ""
    quadrants: tuple[tuple[int, str], ...] = ()
    x_label: str = ""
    y_label: str = ""
    y_unit: str = "percent"
    prev_color: str = ""


def build(rows: pd.DataFrame, opts: DriverQuadrantOptions, ctx: ChartContext) -> ChartSpec[DriverQuadrantDetail]:
    """Each item's agreement (x) against its importance (y) in the report wave, and in the previous one."""
    imp = opts.importance
    total = rows[rows["group_var"] == "total"]
    now = total[total["wave"] == ctx.wave]
    items = list(dict.fromkeys(now[now["measure"] == "agree"]["category"].astype(str)))
    agree_rows = now[now["measure"] == "agree"]
    labels = dict(zip(agree_rows["category"].astype(str), agree_rows["label"].astype(str), strict=True))

    def values(frame: pd.DataFrame, measure: str) -> tuple[float, ...]:
        part = frame[frame["measure"] == measure]
        by = dict(zip(part["category"].astype(str), part["value"].astype(float), strict=True))
        return tuple(by.get(i, math.nan) for i in items)

    x, y = values(now, "agree"), values(now, imp)
    base_by = dict(zip(agree_rows["category"].astype(str), agree_rows["n"].astype(int), strict=True))
    bases = tuple(base_by.get(i, 0) for i in items)
    x_label = opts.x_label or ctx.strings.get("driver_x", "")
    y_label = opts.y_label or ctx.strings.get(f"driver_y_{imp}", "")
    prev_waves = sorted(w for w in total["wave"].unique() if w < ctx.wave)
    prev = total[total["wave"] == prev_waves[-1]] if prev_waves and opts.show_previous else None
    names = {k: ctx.strings.get(f"quadrant_{k}", "") for k in (1, 2, 3, 4)}
    return ChartSpec(
        kind="driver_quadrant",
        categories=tuple(labels[i] for i in items),
        series=(Series(x_label, x, bases=bases, color=ctx.wave_color(ctx.wave)),
                Series(y_label, y, bases=bases, color=ctx.wave_color(ctx.wave))),
        unit="percent",
        lang=ctx.lang,
        width=ctx.width,
        height=ctx.height,
        description=opts.description,
        detail=DriverQuadrantDetail(
            prev_x=values(prev, "agree") if prev is not None else None,
            prev_y=values(prev, imp) if prev is not None else None,
            prev_wave=str(prev_waves[-1]) if prev is not None else "",
            wave=str(ctx.wave),
            quadrants=tuple(sorted(names.items())),
            x_label=x_label,
            y_label=y_label,
            y_unit="percent" if imp == "relative_weight" else "coefficient",
            prev_color=ctx.wave_color(prev_waves[-1]) if prev is not None else "",
        ),
        font=ctx.font,
        mark_colors=(ctx.palette.up, ctx.palette.down),
    )


def draw(spec: ChartSpec[DriverQuadrantDetail]) -> Figure:
    """The chart as an unsaved matplotlib Figure."""
    from matplotlib.ticker import MaxNLocator

    from pipeline.charts import style

    detail = spec.detail or DriverQuadrantDetail()
    fig = style.figure(spec.width, spec.height, spec.font)
    ax = fig.add_subplot(111)
    xs, ys = spec.series[0].values, spec.series[1].values
    # each wave in its own colour, as on every chart: this wave's points, the previous wave's smaller dots
    now_color = spec.series[0].color or style.PALETTE.wave(0)
    prev_color = detail.prev_color or style.PALETTE.wave(1)
    px, py = detail.prev_x, detail.prev_y
    pts = [(x, y) for x, y in zip(xs, ys, strict=False) if not (math.isnan(x) or math.isnan(y))]
    all_x = [p[0] for p in pts] + ([v for v in px if not math.isnan(v)] if px else [])
    all_y = [p[1] for p in pts] + ([v for v in py if not math.isnan(v)] if py else [])
    x_lo, x_hi = min(all_x) - 6, max(all_x) + 6
    y_lo = min(0, min(all_y))
    y_hi = max(all_y) + 0.15 * max(max(all_y) - y_lo, 1e-9)
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    ax.axvline(mx, color=style.LIGHT_GREY, linewidth=1, zorder=1)
    ax.axhline(my, color=style.LIGHT_GREY, linewidth=1, zorder=1)
    moves = []
    if px and py:
        for x0, y0, x1, y1 in zip(px, py, xs, ys, strict=False):
            if not any(math.isnan(v) for v in (x0, y0, x1, y1)):
                ax.plot([x0, x1], [y0, y1], color=prev_color, alpha=0.6, linewidth=0.8, zorder=2)
                ax.scatter([x0], [y0], s=PREV_SIZE, color=prev_color, zorder=2)
                moves.append((x0, y0, x1, y1))
    ax.scatter(xs, ys, s=POINT_SIZE, color=now_color, zorder=3, label=detail.wave)
    if px:
        ax.scatter([], [], s=PREV_SIZE, color=prev_color, label=detail.prev_wave)
    corners = {1: (x_hi, y_hi, "right", "top"), 2: (x_lo, y_hi, "left", "top"),
               3: (x_hi, y_lo, "right", "bottom"), 4: (x_lo, y_lo, "left", "bottom")}
    names = []
    for number, name in detail.quadrants:
        if name:
            cx, cy, ha, va = corners[number]
            names.append(ax.text(cx, cy, name, ha=ha, va=va, fontsize=style.LABEL_PT, color=style.GREY, fontweight="bold"))
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_xlabel(detail.x_label, fontsize=style.MIN_PT, color=style.GREY)
    ax.set_ylabel(detail.y_label, fontsize=style.MIN_PT, color=style.GREY)
    ax.xaxis.set_major_formatter(style.tick_formatter(spec.lang))
    if detail.y_unit == "percent":
        ax.yaxis.set_major_formatter(style.tick_formatter(spec.lang))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        ax.yaxis.set_major_formatter(style.tick_formatter(spec.lang, percent=False))
    ax.tick_params(labelsize=style.MIN_PT)
    style.clean_axes(ax)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=style.LEGEND_PT)
    labelled = [(cat, x, y) for cat, x, y in zip(spec.categories, xs, ys, strict=False) if not (math.isnan(x) or math.isnan(y))]
    texts = []
    for cat, x, y in labelled:
        text = ax.text(x, y, cat, ha="center", va="center", fontsize=style.MIN_PT, color=style.TEXT, zorder=4)
        text.set_in_layout(False)  # placed after the layout is fixed, so it must not move the layout
        texts.append(text)
    _place_labels(fig, ax, texts, [(x, y) for _, x, y in labelled], moves, names)
    return fig


POINT_SIZE = 36  # marker area (pt²) of this wave's points
PREV_SIZE = 14  # marker area of the previous wave's points


def _place_labels(fig: Figure, ax: Axes, texts: list[Text], points: list[tuple[float, float]],
                  moves: list[tuple[float, float, float, float]], fixed: list[Text]) -> None:
    """Put each point's label next to it where it overlaps no other label, no point of this wave, no
    quadrant name and stays inside the plot; among such places the nearest wins, and places that
    cover the previous wave's dots or the movement lines are avoided when possible. A label that
    had to move away from its point gets a thin leader line."""
    import numpy as np
    from matplotlib.text import Text

    fig.draw_without_rendering()  # fixes the layout, so display coordinates are final
    # the canvas is Agg (style.py); FigureCanvasBase does not declare its get_renderer
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg's canvas has it; the stubs type the base class
    to_px = ax.transData.transform
    scale = fig.dpi / 72.0
    r_now = math.sqrt(POINT_SIZE) / 2 * scale + 1
    r_prev = math.sqrt(PREV_SIZE) / 2 * scale
    pad = 2.5 * scale
    frame = ax.get_window_extent(renderer)
    p_now = [tuple(to_px(p)) for p in points]
    soft_parts = [np.empty((0, 2))]  # previous dots and points along the movement lines
    for x0, y0, x1, y1 in moves:
        start, end = to_px((x0, y0)), to_px((x1, y1))
        steps = max(2, int(math.hypot(*(end - start)) / (4 * scale)))
        soft_parts.append(start + (end - start) * np.linspace(0, 1, steps)[:-1, None])
    soft = np.vstack(soft_parts)
    placed = [tuple(t.get_window_extent(renderer).extents) for t in fixed]

    def hits(box: tuple[float, float, float, float], others: list[tuple[float, ...]], margin: float) -> int:
        x0, y0, x1, y1 = box
        return sum(1 for a0, b0, a1, b1 in others if x0 < a1 + margin and a0 < x1 + margin and y0 < b1 + margin and b0 < y1 + margin)

    def covers(box: tuple[float, float, float, float], centres: list[tuple[float, float]], radius: float) -> int:
        x0, y0, x1, y1 = box
        return sum(1 for cx, cy in centres if x0 - radius < cx < x1 + radius and y0 - radius < cy < y1 + radius)

    # crowded points first: they have the fewest good places
    def crowding(i: int) -> float:
        return -sum(1 for j in range(len(p_now)) if j != i and math.dist(p_now[i], p_now[j]) < 60 * scale)

    for i in sorted(range(len(texts)), key=lambda i: (crowding(i), i)):
        text = texts[i]
        w, h = map(float, Text.get_window_extent(text, renderer).size)
        cx0, cy0 = p_now[i]
        candidates = []
        for side in (1, -1):  # right, left
            for a in range(4):
                for j in range(-10, 11):
                    dx = side * (r_now + pad + w / 2 + a * 2 * h)
                    dy = j * 0.55 * h
                    candidates.append((dx, dy))
        for side in (1, -1):  # above, below
            for b in range(9):
                for k in (-0.5, -0.25, 0, 0.25, 0.5):
                    candidates.append((k * w, side * (r_now + pad + h / 2 + b * 0.55 * h)))
        best, best_cost = None, math.inf
        for dx, dy in candidates:
            box = (cx0 + dx - w / 2, cy0 + dy - h / 2, cx0 + dx + w / 2, cy0 + dy + h / 2)
            # distance from the point to the nearest edge of the label
            gap = math.hypot(max(box[0] - cx0, 0, cx0 - box[2]), max(box[1] - cy0, 0, cy0 - box[3]))
            hard = (
                hits(box, placed, 1.0)
                + covers(box, p_now, r_now)
                + (box[0] < frame.x0 + 1 or box[2] > frame.x1 - 1 or box[1] < frame.y0 + 1 or box[3] > frame.y1 - 1)
            )
            cost = hard * 1e6 + gap + 0.1 * abs(dy) + (0.0 if dx > 0 else 2 * scale)
            cost += 0.6 * h * int(np.count_nonzero((soft[:, 0] > box[0] - r_prev) & (soft[:, 0] < box[2] + r_prev)
                                                   & (soft[:, 1] > box[1] - r_prev) & (soft[:, 1] < box[3] + r_prev)))
            if cost < best_cost:
                best, best_cost = (box, gap), cost
        assert best is not None  # there is always a candidate place
        (box, gap) = best
        placed.append(box)
        centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        text.set_position(tuple(ax.transData.inverted().transform(centre)))
        if gap > r_now + pad + 2 * scale:
            # leader from the point's edge to the nearest point of the label
            near = (min(max(cx0, box[0]), box[2]), min(max(cy0, box[1]), box[3]))
            inv = ax.transData.inverted()
            line = ax.plot(*zip(inv.transform((cx0, cy0)), inv.transform(near), strict=True), color="#9CA3AF", linewidth=0.5, zorder=2.5)[0]
            line.set_in_layout(False)


def alt_text(spec: ChartSpec[DriverQuadrantDetail]) -> str:
    """Each item's agreement and importance, most important first."""
    detail = spec.detail or DriverQuadrantDetail()
    lead = spec.description.rstrip(".") + ". " if spec.description else ""
    pairs = sorted(zip(spec.categories, spec.series[0].values, spec.series[1].values, strict=False), key=lambda t: -t[2])
    d = 1 if detail.y_unit == "percent" else 2
    phrase = spec.word("driver_alt_item")
    shown = "; ".join(phrase.format(item=c, agree=fmt_percent(x, 0, spec.lang), weight=fmt_number(y, d, spec.lang)) for c, x, y in pairs)
    return lead + shown + "."


DRIVER_QUADRANT = CHARTS.register(ChartKind("driver_quadrant", DriverQuadrantOptions, build, draw, alt_text))
