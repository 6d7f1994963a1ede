"""The charts' text sizes and the label-fitting arithmetic, without matplotlib.

Chart kinds decide at build time which labels fit (:func:`bar_labels`); that decision only needs
these numbers, so building a spec (and writing a native chart from it) never imports matplotlib.
:mod:`pipeline.charts.style` re-exports every name here for the drawing code.
"""

from __future__ import annotations

import math

# Smallest chart text at the size the chart is placed (pt). Charts are drawn at the size of their area on the
# slide, so a figure point is a slide point; where labels do not fit at this size, fewer are shown.
MIN_PT = 9.0
LABEL_PT = 10.0  # data labels
TICK_PT = 10.0  # category and axis labels
LEGEND_PT = 10.0
KEY_PT = 22.0  # the large key figures of a compact single-bar chart

MIN_LABEL_SIZE = MIN_PT  # pt; data labels are never smaller: where they do not fit, fewer are drawn


def fit_label_size(pitch: float, span: float, axes_height: float, largest: float, smallest: float = 5.5) -> float:
    """Font size for labels set ``pitch`` data units apart on a vertical axis ``span`` data units long
    and about ``axes_height`` inches tall: the largest half-point size, at most ``largest``, whose text
    boxes (about one font size tall) do not overlap their neighbours."""
    pitch_pt = pitch * axes_height * 72 / span
    return max(smallest, min(largest, math.floor(pitch_pt * 0.95 * 2) / 2))


def bar_labels(bar_pitch: float, row_pitch: float, span: float, axes_height: float, largest: float,
               n_series: int) -> tuple[float, int]:
    """(font size, how many series get data labels) for rows of ``n_series`` bars each.

    Labels of neighbouring bars must not overlap, so the font follows the bar pitch; when that
    font would be below :data:`MIN_LABEL_SIZE`, only the first (newest) series is labelled, with
    the font the row pitch allows (the speaker notes hold the rest).
    """
    size = fit_label_size(bar_pitch, span, axes_height, largest, smallest=0)
    if size >= MIN_LABEL_SIZE:
        return size, n_series
    row_size = fit_label_size(row_pitch, span, axes_height, largest, smallest=0)
    if n_series > 1 and row_size >= MIN_LABEL_SIZE:
        return row_size, 1
    return MIN_LABEL_SIZE, 0
