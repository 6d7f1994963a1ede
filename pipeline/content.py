"""Transfer objects between the slide builder and the deck stage: plain text and chart references.

``slides`` fills these from the statistics; ``deck`` reads them to write the
pptx. They hold only strings, tuples and the chart's frozen spec, so this
module imports nothing of the statistics (no pandas, numpy, metrics or
design), and neither does ``deck`` through it. The chart spec is named for
typing only: the deck stage places a chart's rendered image by its ``key``,
or (native charts, ``pipeline.deck_native``) reads the spec's fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the spec's package is the charts stage; the deck stage never needs it at run time
    from pipeline.charts import ChartSpec


@dataclass(frozen=True)
class ChartContent:
    """A chart of a slide: its spec, the content hash that names its image, alt text and notes table."""

    spec: ChartSpec[Any]
    key: str
    alt: str
    notes: str


@dataclass(frozen=True)
class SlideContent:
    """Everything the deck stage puts on one slide, as plain text and chart specs."""

    id: str
    layout: str
    title: str
    subtitle: str = ""
    question: str = ""
    body: tuple[str, ...] = ()
    commentary: tuple[str, ...] = ()
    footnote: str = ""
    notes: str = ""
    charts: tuple[ChartContent, ...] = ()


@dataclass(frozen=True)
class ChartAreas:
    """Chart sizes (inches) by layout, and the theme colours (slot, hex) and theme font, read from the template
    by the deck stage; the charts take their palette and font from these."""

    chart: tuple[float, float] = (8.9, 4.9)
    chart_wide: tuple[float, float] = (12.4, 4.9)
    half: tuple[float, float] = (6.1, 4.9)
    theme: tuple[tuple[str, str], ...] = ()
    font: str = ""
