"""Shared look of every chart: the palette (from the template's theme colours), the theme font, text sizes,
figure set-up and reproducible PNG output."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import matplotlib

from pipeline.numbers import typeset  # noqa: F401 - the charts' name for it (ranges with en dashes)

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.typing import RcKeyType

from pipeline.charts.palette import (  # re-exported: the charts' names for the palette
    BLUE as BLUE,
)
from pipeline.charts.palette import (
    CORAL as CORAL,
)
from pipeline.charts.palette import (
    DEFAULT_THEME as DEFAULT_THEME,
)
from pipeline.charts.palette import (
    DONT_KNOW as DONT_KNOW,
)
from pipeline.charts.palette import (
    GREEN as GREEN,
)
from pipeline.charts.palette import (
    GREY as GREY,
)
from pipeline.charts.palette import (
    LIGHT as LIGHT,
)
from pipeline.charts.palette import (
    LIGHT_GREY as LIGHT_GREY,
)
from pipeline.charts.palette import (
    NAVY as NAVY,
)
from pipeline.charts.palette import (
    PALE as PALE,
)
from pipeline.charts.palette import (
    PALETTE as PALETTE,
)
from pipeline.charts.palette import (
    TEXT as TEXT,
)
from pipeline.charts.palette import (
    Palette as Palette,
)
from pipeline.charts.palette import (
    mix as mix,
)
from pipeline.charts.palette import (
    palette as palette,
)

# The text sizes (pt) and label fitting live in pipeline.charts.sizes (no matplotlib: specs are built with them).
from pipeline.charts.sizes import KEY_PT as KEY_PT
from pipeline.charts.sizes import LABEL_PT as LABEL_PT
from pipeline.charts.sizes import LEGEND_PT as LEGEND_PT
from pipeline.charts.sizes import MIN_LABEL_SIZE as MIN_LABEL_SIZE
from pipeline.charts.sizes import MIN_PT as MIN_PT
from pipeline.charts.sizes import TICK_PT as TICK_PT
from pipeline.charts.sizes import bar_labels as bar_labels
from pipeline.charts.sizes import fit_label_size as fit_label_size

DPI = 300
FONT = "DejaVu Sans"  # the last resort: matplotlib's own font, always there


# The theme font when it is installed; otherwise a font with the same metrics (so text fits as on a machine with
# the theme font); else matplotlib's own. Liberation Sans ships with the project (templates/fonts, SIL OFL).
METRIC_COMPATIBLE = {
    "Arial": "Liberation Sans", "Helvetica": "Liberation Sans", "Arimo": "Liberation Sans",
    "Times New Roman": "Liberation Serif", "Courier New": "Liberation Mono",
}
FONT_DIR = Path(__file__).resolve().parents[2] / "templates" / "fonts"


@functools.lru_cache(maxsize=1)
def _register_fonts() -> frozenset[str]:
    """Register the fonts shipped in templates/fonts with matplotlib; return every family it knows."""
    from matplotlib import font_manager

    if FONT_DIR.is_dir():
        for path in sorted(FONT_DIR.glob("*.ttf")):
            font_manager.fontManager.addfont(str(path))
    return frozenset(f.name for f in font_manager.fontManager.ttflist)


@functools.lru_cache(maxsize=16)
def font_family(theme_font: str = "") -> str:
    """The family chart text is drawn in for the template's theme font ``theme_font`` (default Arial)."""
    known = _register_fonts()
    wanted = theme_font or "Arial"
    if wanted in known:
        return wanted
    stand_in = METRIC_COMPATIBLE.get(wanted, "Liberation Sans")
    return stand_in if stand_in in known else FONT


# kept for the kinds' call sites: the 1177 palette's roles
WAVES = list(PALETTE.waves)
GROUPS = PALETTE.groups(6)


def bands(n: int) -> list[str]:
    """``n`` band colours, low to high (the 1177 palette's)."""
    return PALETTE.bands(n)


_RC: dict[RcKeyType, Any] = {
    "font.family": FONT,
    "font.size": 10,
    "axes.edgecolor": LIGHT_GREY,
    "axes.labelcolor": TEXT,
    "axes.titlesize": 11,
    "xtick.color": TEXT,
    "ytick.color": TEXT,
    "text.color": TEXT,
    "legend.frameon": False,
    "svg.hashsalt": "survey-deck",
    "path.simplify": True,
}


def figure(width: float, height: float, font: str = "") -> Figure:
    """A new figure of the chart area's size, with the house style applied and text in the theme font ``font``
    (or its metric-compatible stand-in, see :func:`font_family`)."""
    plt.rcParams.update(_RC)
    plt.rcParams["font.family"] = font_family(font)
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
        # the canvas is Agg (chosen above); FigureCanvasBase does not declare its buffer_rgba
        buffer = fig.canvas.buffer_rgba()  # type: ignore[attr-defined]  # Agg's canvas has it; the stubs type the base class
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
    """Wrap a long label over lines of at most about ``width`` characters, breaking only between words (never
    inside "07–18" or "30–44") and balancing the lines, so that no line holds a lone last word when a
    narrower wrap with the same number of lines avoids it."""
    import textwrap

    def lines(w: int) -> list[str]:
        return textwrap.wrap(label, width=w, break_long_words=False, break_on_hyphens=False)

    best = lines(width)
    if len(best) <= 1:
        return "\n".join(best) or label
    for w in range(width - 1, 0, -1):
        trial = lines(w)
        if len(trial) > len(best):
            break
        best = trial
    return "\n".join(best)


