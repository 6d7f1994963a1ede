"""Shared look of every chart: brand palette, fonts, figure set-up and reproducible PNG output."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis

NAVY = "#0E3B66"
BLUE = "#2E77BB"
LIGHT = "#8DB8E2"
PALE = "#D6E6F5"
GREY = "#6B7280"
LIGHT_GREY = "#C9CDD3"
CORAL = "#E4572E"
GREEN = "#2E8B57"
TEXT = "#1F2937"

# series colours, newest wave first
WAVES = [NAVY, BLUE, LIGHT, PALE, "#A9B4C2", "#E5E7EB"]
# categorical series (groups)
GROUPS = [NAVY, CORAL, BLUE, GREEN, "#B58900", LIGHT, GREY, "#7A4EAB"]
# sequential bands, low to high, "Vet ej" separate
def bands(n: int) -> list[str]:
    """``n`` band colours from light/neutral (low ratings) to navy (high ratings)."""
    ramps = {
        1: [NAVY],
        2: [LIGHT, NAVY],
        3: ["#B9CCE0", BLUE, NAVY],
        4: ["#F0A58F", PALE, BLUE, NAVY],
        5: ["#EE8F73", "#F6C9BA", PALE, BLUE, NAVY],
        6: ["#EE8F73", "#F6C9BA", PALE, LIGHT, BLUE, NAVY],
    }
    if n in ramps:
        return ramps[n]
    cmap = matplotlib.colormaps["Blues"]
    return [matplotlib.colors.to_hex(cmap(0.25 + 0.7 * i / max(n - 1, 1))) for i in range(n)]


DONT_KNOW = "#D1D5DB"
DPI = 300
FONT = "DejaVu Sans"

_RC: dict[str, Any] = {
    "font.family": FONT,
    "font.size": 10,
    "axes.edgecolor": LIGHT_GREY,
    "axes.labelcolor": TEXT,
    "axes.titlesize": 11,
    "xtick.color": TEXT,
    "ytick.color": TEXT,
    "text.color": TEXT,
    "legend.frameon": False,
    "svg.hashsalt": "1177",
    "path.simplify": True,
}


def figure(width: float, height: float) -> Figure:
    """A new figure of the chart area's size, with the house style applied."""
    plt.rcParams.update(_RC)
    fig = plt.figure(figsize=(width, height), dpi=DPI, layout="constrained")
    return fig


def clean_axes(ax: Axes, grid_axis: Literal["x", "y", "both"] | None = None) -> None:
    """Remove chart junk: top/right spines, ticks; optional light grid on one axis."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    if grid_axis:
        ax.grid(axis=grid_axis, color="#EEF0F3", linewidth=0.8)
        ax.set_axisbelow(True)


def text_color_on(hex_color: str) -> str:
    """White or dark text, whichever reads better on ``hex_color``."""
    r, g, b = (int(hex_color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "white" if luminance < 0.55 else TEXT


def row_major(handles: list[Any], labels: list[str], ncol: int) -> tuple[list[Any], list[str]]:
    """Reorder legend entries so that a multi-row legend reads left to right, row by row."""
    rows = -(-len(handles) // ncol)
    order = []
    for c in range(ncol):
        for r in range(rows):
            i = r * ncol + c
            if i < len(handles):
                order.append(i)
    return [handles[i] for i in order], [labels[i] for i in order]


def fit_label_size(pitch: float, span: float, axes_height: float, largest: float, smallest: float = 5.5) -> float:
    """Font size for labels set ``pitch`` data units apart on a vertical axis ``span`` data units long
    and about ``axes_height`` inches tall: the largest half-point size, at most ``largest``, whose text
    boxes (about one font size tall) do not overlap their neighbours."""
    pitch_pt = pitch * axes_height * 72 / span
    return max(smallest, min(largest, math.floor(pitch_pt * 0.95 * 2) / 2))


def tick_formatter(lang: str, percent: bool = True, decimals: int = 0) -> Callable[[float, float], str]:
    """Axis tick labels in the house number format, with as many decimals as the tick needs
    (so 2.5 shows as "2,5 %", never as a rounded "2 %" next to a "2 %")."""
    from pipeline.numbers import fmt_number, fmt_percent

    def fmt(value: float, _pos: float | None = None) -> str:
        d = decimals
        while d < 3 and abs(value * 10**d - round(value * 10**d)) > 1e-6:
            d += 1
        return fmt_percent(value, d, lang) if percent else fmt_number(value, d, lang)

    return fmt


MIN_LABEL_SIZE = 5.5  # pt; smaller data labels are not drawn


def bar_labels(bar_pitch: float, row_pitch: float, span: float, axes_height: float, largest: float,
               n_series: int) -> tuple[float, int]:
    """(font size, how many series get data labels) for rows of ``n_series`` bars each.

    Labels of neighbouring bars must not overlap, so the font follows the bar pitch; when that
    font would be below :data:`MIN_LABEL_SIZE`, only the first (newest) series is labelled, with
    the font the row pitch allows (the speaker notes hold the rest).
    """
    size = fit_label_size(bar_pitch, span, axes_height, largest, smallest=0)
    if size < MIN_LABEL_SIZE and n_series > 1:
        return fit_label_size(row_pitch, span, axes_height, largest, smallest=MIN_LABEL_SIZE), 1
    return max(size, MIN_LABEL_SIZE), n_series


def value_axis(axis: Axis, unit: str, lang: str) -> None:
    """Ticks of a value axis at nice steps, labelled in the house number format (with % for percentages)."""
    axis.set_major_formatter(tick_formatter(lang, percent=unit == "percent"))
    nice_ticks(axis)


def nice_ticks(axis: Axis) -> None:
    """Ticks at 1, 2 or 5 times a power of ten (no 2.5 steps, which read badly as whole per cents)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(steps=[1, 2, 5, 10]))


def save(fig: Figure, path: Path) -> None:
    """Write the figure as an RGB PNG without timestamps or version stamps (same input, same bytes).

    The pixels are those ``savefig(facecolor="white")`` draws, but written without the alpha
    channel a white, opaque chart does not need: encoding three channels instead of four
    takes less time and gives a ~10 % smaller file (and deck).
    """
    import numpy as np
    from PIL import Image

    try:
        fig.set_facecolor("white")
        fig.canvas.draw()
        buffer = fig.canvas.buffer_rgba()
        rgba = np.asarray(buffer)
        if rgba[..., 3].min() == 255:
            image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), buffer, "raw", "RGBA", 0, 1).convert("RGB")
        else:  # something left see-through: flatten it onto white, as savefig would show it
            alpha = rgba[..., 3:4].astype(np.float32) / 255.0
            image = Image.fromarray(np.rint(rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8))
        image.save(Path(path), format="png", dpi=(DPI, DPI))
    finally:
        plt.close(fig)


def wrap(label: str, width: int = 38) -> str:
    """Wrap a long category label over lines of about ``width`` characters."""
    import textwrap

    return "\n".join(textwrap.wrap(label, width=width, break_long_words=False)) or label
