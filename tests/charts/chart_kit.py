"""Helpers for the chart tests: tidy metric rows by hand, drawing a spec, reading the drawn texts,
their boxes and the PNG header (import as ``from chart_kit import …``)."""

from __future__ import annotations

import itertools
import struct
import zlib
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Text

from pipeline import charts
from pipeline.charts import ChartContext, ChartSpec
from pipeline.metrics.common import COLUMNS

NBSP = "\u00a0"  # before %
NNBSP = "\u00a0"  # thousands separator: CLDR's Swedish grouping symbol (a no-break space, formerly U+202F)
MINUS = "\u2212"

STRINGS = {
    "answers": "Antal svar",
    "mean": "Medel",
    "total": "Totalt",
    "driver_x": "Andel instämmande",
    "driver_y_relative_weight": "Relativ vikt",
    "quadrant_1": "Styrka att vårda",
    "quadrant_2": "Förbättringsområde",
    "quadrant_3": "Sekundär styrka",
    "quadrant_4": "Lägre prioritet",
    "chart_base": "Bas (n)",
    "driver_alt_item": "{item}: instämmer {agree}, vikt {weight}",
    "chart_order_value": "Ordning: efter värde, störst först (senaste mätningen).",
    "chart_order_mean": "Ordning: efter medelvärde, högst först.",
    "chart_order_codebook": "Ordning: kodbokens (ordningen har en betydelse: skala, ålder eller tid).",
}

# the phrases English tests read
ENGLISH = {"chart_base": "Base (n)", "driver_alt_item": "{item}: agree {agree}, importance {weight}",
           "chart_order_value": "Order: by value, largest first (newest wave).", "chart_order_mean": "Order: by mean, highest first.",
           "chart_order_codebook": "Order: the codebook's (the order carries meaning: a scale, age or time)."}


def context(lang: str = "sv", wave: int = 2022, width: float = 8.9, height: float = 4.9) -> ChartContext:
    """A chart context like the one pipeline.slides builds (language, report wave, fixed phrases, area)."""
    return ChartContext(lang, wave, {**STRINGS, **(ENGLISH if lang == "en" else {})}, width, height)


def row(**fields) -> dict:
    """One tidy metric row (pipeline.metrics.common.COLUMNS) with the total group and an ok base by default."""
    out = dict.fromkeys(COLUMNS)
    out.update(metric="share", measure="share", question="q", item="", item_label="", wave=2022, group_var="total",
               group="total", group_label="Totalt", unit="percent", n=1000, n_weighted=1000.0, n_effective=900.0,
               base_flag="ok", sig="")
    out.update(fields)
    return out


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def drawn(spec: ChartSpec) -> Figure:
    """The chart drawn (layout done) but not saved; closed by the autouse fixture after the test."""
    fig = charts.figure(spec)
    fig.canvas.draw()
    return fig


def texts(fig: Figure) -> list[Text]:
    """The texts drawn inside the chart's axes (data labels, marks, side columns, names), not ticks or legend."""
    return [t for ax in fig.axes for t in ax.texts if t.get_visible() and t.get_text().strip()]


def labels(fig: Figure) -> list[str]:
    """The texts drawn in the axes; a ▲/▼ drawn as its own annotation next to a label (in the marks' colour)
    reads as part of that label ("25▲")."""
    from matplotlib.text import Annotation

    out: dict[int, str] = {}
    for t in texts(fig):
        anchor = t.xycoords if isinstance(t, Annotation) else None
        if isinstance(anchor, Text) and t.get_text() in ("▲", "▼") and id(anchor) in out:
            out[id(anchor)] += t.get_text()
        else:
            out[id(t)] = t.get_text()
    return list(out.values())


def tick_labels(fig: Figure, axis: str = "y") -> list[str]:
    out = []
    for ax in fig.axes:
        ticks = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
        out += [t.get_text() for t in ticks if t.get_visible() and t.get_text()]
    return out


def boxes(fig: Figure, which: list[Text] | None = None) -> list[tuple[str, object]]:
    """(text, display-space box) of each text; an annotation's box is its text only, without the arrow."""
    renderer = fig.canvas.get_renderer()
    return [(t.get_text(), Text.get_window_extent(t, renderer)) for t in (texts(fig) if which is None else which)]


def overlapping(fig: Figure, which: list[Text] | None = None, tol: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap by more than ``tol`` pixels both ways (touching is fine)."""
    out = []
    for (a, ba), (b, bb) in itertools.combinations(boxes(fig, which), 2):
        if min(ba.x1, bb.x1) - max(ba.x0, bb.x0) > tol and min(ba.y1, bb.y1) - max(ba.y0, bb.y0) > tol:
            out.append((a, b))
    return out


def centre(fig: Figure, text: Text) -> tuple[float, float]:
    box = Text.get_window_extent(text, fig.canvas.get_renderer())
    return ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)


def find(fig: Figure, label: str) -> Text:
    """The text drawn as ``label``; for "25▲" the "25" its ▲ is drawn beside."""
    if label[-1:] in ("▲", "▼") and label not in [t.get_text() for t in texts(fig)]:
        label = label[:-1]
    hits = [t for t in texts(fig) if t.get_text() == label]
    assert len(hits) == 1, f"{label!r} drawn {len(hits)} times; drawn: {labels(fig)}"
    return hits[0]


def png_chunks(path: Path) -> list[tuple[bytes, bytes]]:
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        out.append((kind, body))
        pos += 12 + length
    return out


def png_info(path: Path) -> dict:
    """Pixel size, physical resolution (dots per inch from pHYs) and text chunks of a PNG file."""
    chunks = png_chunks(path)
    width, height = struct.unpack(">II", chunks[0][1][:8])
    dpi = None
    for kind, body in chunks:
        if kind == b"pHYs":
            ppx, ppy, unit = struct.unpack(">IIB", body)
            assert unit == 1 and ppx == ppy
            dpi = ppx * 0.0254
    text = [body for kind, body in chunks if kind in (b"tEXt", b"iTXt", b"zTXt", b"tIME")]
    return {"size": (width, height), "dpi": dpi, "text": text}


def check_print_png(spec: ChartSpec, tmp_path: Path) -> None:
    """Rendered twice: same bytes, pixel size = inches × the style's dpi (≥ 200), no time or software stamps."""
    from pipeline.charts import style

    a, b = tmp_path / "a.png", tmp_path / "b.png"
    charts.render(spec, a)
    charts.render(spec, b)
    assert a.read_bytes() == b.read_bytes()
    info = png_info(a)
    assert style.DPI >= 200
    assert info["size"] == (round(spec.width * style.DPI), round(spec.height * style.DPI))
    assert info["dpi"] is not None and abs(info["dpi"] - style.DPI) < 1
    stamps = b" ".join(info["text"]).lower()
    assert b"date" not in stamps and b"time" not in stamps and b"software" not in stamps and b"matplotlib" not in stamps


def native_chart_xml(spec: ChartSpec) -> list[bytes]:
    """The chart parts' XML of ``spec`` written as a native chart on a blank slide (pipeline.deck_native)."""
    from pptx import Presentation
    from pptx.util import Inches

    from pipeline import deck_native

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    deck_native.add_chart(slide.shapes, spec, "chart", "alt", (0, 0, Inches(spec.width), Inches(spec.height)))
    return [part.blob for part in prs.part.package.iter_parts() if part.partname.startswith("/ppt/charts/chart")]
