"""Charts stage: one module per chart kind, each turning metric rows into a frozen
:class:`ChartSpec` (``build``) and a spec into a matplotlib figure (``draw``), plus
the alt text and the speaker-notes table of the chart; :func:`render` writes any
spec as a PNG.

Each kind is declared in its module as a :class:`~pipeline.kinds.ChartKind`
(name, frozen options model, ``build``, ``draw``) registered in :data:`CHARTS`;
an unknown kind is a config error naming the nearest kind and all of them. A
spec's kind-specific fields are a typed ``detail`` object of the kind. pandas and
matplotlib are imported only inside functions, so the options models can be
checked when the config loads without them. Charts never import pptx.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import Field

from pipeline.kinds import Kind, O, Options, Registry
from pipeline.numbers import fmt_count, fmt_number, fmt_percent

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from pipeline.charts.palette import Palette

CHARTS: Registry[ChartKind[Any]] = Registry(
    "chart",
    tuple(f"pipeline.charts.{name}" for name in (
        "grouped_bars", "stacked_bars", "single_stacked", "trend_line", "nps_panel", "driver_quadrant", "change_bars",
        "subgroup_bars")),
)
KINDS = CHARTS  # the chart kind names (``in``, iteration)
# the strings-file phrases a spec carries for its notes and alt text
CHART_WORDS = ("chart_base", "driver_alt_item", "chart_order_value", "chart_order_mean", "chart_order_codebook")


@dataclass(frozen=True)
class ChartKind(Kind[O]):
    """A chart kind: ``build(rows, options, ctx)`` makes its :class:`ChartSpec`, ``draw(spec)`` a matplotlib
    Figure; ``alt_text`` and ``notes_columns`` (extra columns of the notes table) are optional."""

    build: Callable[[pd.DataFrame, O, ChartContext], ChartSpec[Any]]
    draw: Callable[[ChartSpec[Any]], Figure]
    alt_text: Callable[[ChartSpec[Any]], str] | None = None
    notes_columns: Callable[[ChartSpec[Any]], list[tuple[str, list[str]]]] | None = None

    @property
    def family(self) -> str:
        """The family name in messages."""
        return "chart"


class ChartOptions(Options):
    """Options every chart kind takes. Text options take a text or {sv: …, en: …}."""

    description: str = Field("", description="what the chart shows, the start of its alt text; default the slide title")


@dataclass(frozen=True)
class Series:
    """One data series: a value per category, with significance marks, base flags and bases."""

    name: str
    values: tuple[float, ...]
    sig: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    bases: tuple[int, ...] = ()
    # The series' colour (hex, decided when the spec is built from the deck's palette) and, where
    # single points differ (significance, alert), one colour per point; empty = the kind's default.
    # Picture and native chart writers both read these, so a colour has one source.
    color: str = ""
    point_colors: tuple[str, ...] = ()

    def sig_at(self, i: int) -> str:
        return self.sig[i] if i < len(self.sig) else ""

    def flag_at(self, i: int) -> str:
        return self.flags[i] if i < len(self.flags) else "ok"

    def base_at(self, i: int) -> int | None:
        return self.bases[i] if i < len(self.bases) else None


D = TypeVar("D")


@dataclass(frozen=True)
class ChartSpec(Generic[D]):
    """Everything a chart kind needs to draw one chart; frozen so renders are reproducible.

    ``detail`` holds the kind's own fields (a frozen dataclass of the kind, e.g. the
    side columns of stacked bars); ``series_bases`` says that the footnote gives
    each series' base (one wave per series) rather than each wave's.
    """

    kind: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    unit: str = "percent"
    decimals: int = 0
    lang: str = "sv"
    width: float = 8.9
    height: float = 4.9
    description: str = ""
    series_bases: bool = False
    detail: D | None = None
    font: str = ""  # the chart text's font family (the template's theme font); empty = the style default
    words: tuple[tuple[str, str], ...] = ()  # the fixed phrases the chart's notes and alt text use (CHART_WORDS), in its language

    def word(self, key: str) -> str:
        """The fixed phrase ``key`` (of :data:`CHART_WORDS`) in the chart's language; the key itself if not given."""
        return dict(self.words).get(key, key)
    # how the rows are ordered: "value" (descending by the newest series), "mean", "codebook" (the order carries
    # meaning: a scale, age groups, time) or "" (not said); the notes table says so
    order: str = ""
    # the colours of ▲ and ▼ (one convention on every chart; ▼ in the alert colour)
    mark_colors: tuple[str, str] = ("", "")

    def __post_init__(self) -> None:
        # ranges read with an en dash wherever a label comes from ("kl. 07-18" → "kl. 07–18"); in the spec, so the
        # picture and a native chart show the same text
        from pipeline.numbers import typeset

        object.__setattr__(self, "categories", tuple(typeset(c) for c in self.categories))
        if any(typeset(s.name) != s.name for s in self.series):
            object.__setattr__(self, "series", tuple(replace(s, name=typeset(s.name)) for s in self.series))

    def fmt(self, value: float, decimals: int | None = None, signed: bool = False) -> str:
        """A value in the chart's unit and number format (``12 %``, ``8,4``)."""
        d = self.decimals if decimals is None else decimals
        if self.unit == "percent":
            return fmt_percent(value, d, self.lang, signed)
        return fmt_number(value, d, self.lang, signed)

    def label(self, value: float, decimals: int | None = None) -> str:
        """Short data label: numbers without the % sign (the axis says percent)."""
        return fmt_number(value, self.decimals if decimals is None else decimals, self.lang)


@dataclass(frozen=True)
class ChartContext:
    """What building a spec needs besides the rows: language, report wave, fixed phrases, the chart area, and
    the template's theme colours and font (read by the deck stage) with the loaded waves, from which every
    colour of the spec is decided (one colour per wave year on every chart, see :class:`style.Palette`)."""

    lang: str
    wave: int
    strings: dict[str, str]
    width: float = 8.9
    height: float = 4.9
    theme: tuple[tuple[str, str], ...] = ()
    font: str = ""
    waves: tuple[int, ...] = ()

    @property
    def palette(self) -> Palette:
        """The deck's palette (from ``theme``; the 1177 template's when none is given)."""
        from pipeline.charts.palette import palette

        return palette(self.theme)

    def wave_color(self, wave: int | str) -> str:
        """The colour of wave year ``wave``: by its rank among the loaded waves up to the report wave, newest
        first (without a list of waves, by the years before the report wave)."""
        year = int(wave)
        if self.waves:
            rank = sum(1 for w in set(self.waves) | {self.wave} if year < w <= self.wave)
        else:
            rank = self.wave - year
        return self.palette.wave(rank)


def kind(name: str) -> ChartKind[Any]:
    """The chart kind called ``name`` (a ConfigError naming the kinds if there is none)."""
    return CHARTS.get(name)


def module(name: str) -> ModuleType:
    """The module that declares chart kind ``name`` (imported)."""
    return importlib.import_module(CHARTS.get(name).build.__module__)


def build(name: str, rows: pd.DataFrame, options: Mapping[str, Any] | Options, ctx: ChartContext) -> ChartSpec[Any]:
    """The spec of a ``name`` chart of ``rows`` with ``options`` (checked against the kind's model)."""
    chart = CHARTS.get(name)
    spec = chart.build(rows, chart.parse(options), ctx)
    return replace(spec, words=tuple((key, ctx.strings[key]) for key in CHART_WORDS if key in ctx.strings))


def render(spec: ChartSpec[Any], path: Path) -> None:
    """Draw ``spec`` into the PNG file ``path``."""
    from pipeline.charts import style

    style.save(figure(spec), path)


def figure(spec: ChartSpec[Any]) -> Figure:
    """Draw ``spec`` into a new matplotlib Figure without saving it (the caller closes it)."""
    return CHARTS.get(spec.kind).draw(spec)


def alt_text(spec: ChartSpec[Any]) -> str:
    """Alt text: what the chart shows and its key figures."""
    own = CHARTS.get(spec.kind).alt_text
    return own(spec) if own is not None else default_alt_text(spec)


def default_alt_text(spec: ChartSpec[Any]) -> str:
    """The description, then up to six figures of each of the first three series."""
    parts = [spec.description.rstrip(".") + "."] if spec.description else []
    for s in spec.series[:3]:
        pairs = [f"{c} {spec.fmt(v)}" for i, (c, v) in enumerate(zip(spec.categories, s.values, strict=False)) if _shown(v, s.flag_at(i))]
        if pairs:
            parts.append(f"{s.name}: " + "; ".join(pairs[:6]) + ("; …" if len(pairs) > 6 else "") + ".")
    return " ".join(parts)


def _shown(value: float | None, flag: str) -> bool:
    """Whether a value is shown at all: not missing and its base not suppressed."""
    return value is not None and not math.isnan(value) and flag not in ("suppressed", "missing")


def notes_table(spec: ChartSpec[Any]) -> str:
    """The chart's data as a plain-text table for the speaker notes (values with one decimal, bases)."""
    lang = spec.lang
    own = CHARTS.get(spec.kind).notes_columns
    # a kind may add columns of its own (e.g. the NPS beside the NPS panel's bands)
    extra = own(spec) if own is not None else []
    head = [""] + [s.name for s in spec.series] + [name for name, _ in extra]
    lines = [" | ".join(head)]
    for i, cat in enumerate(spec.categories):
        cells = [cat]
        for s in spec.series:
            v = s.values[i] if i < len(s.values) else math.nan
            if _shown(v, s.flag_at(i)):
                cells.append(fmt_number(v, 1, lang) + ("*" if s.flag_at(i) == "low" else "") + s.sig_at(i))
            else:
                cells.append("–")
        cells += [column[i] for _, column in extra]
        lines.append(" | ".join(cells))

    def span(s: Series) -> str:
        ns = sorted({b for b in s.bases if b})  # 0 = no cell (missing), not a base
        if not ns:
            return ""
        return fmt_count(ns[0], lang) if len(ns) == 1 else f"{fmt_count(ns[0], lang)}–{fmt_count(ns[-1], lang)}"

    spans = [(s.name, span(s)) for s in spec.series]
    spans = [(name, text) for name, text in spans if text]
    if spans and all(s.bases == spec.series[0].bases for s in spec.series):
        bases = [spans[0][1]]  # every series has the same bases (bands of one bar, x and y of one point)
    else:
        bases = [f"{name}: {text}" for name, text in spans]
    if bases:
        lines.append(f"{spec.word('chart_base')}: " + "; ".join(bases))
    if spec.order in ORDER_NOTES:
        lines.append(spec.word(f"chart_order_{spec.order}"))
    return "\n".join(lines)


# the row orders the notes explain, each a phrase of the strings file (chart_order_<order>)
ORDER_NOTES = ("value", "mean", "codebook")


def shows_marks(spec: ChartSpec[Any]) -> bool:
    """Whether the chart shows a ▲ or ▼ (on a value, a mean or an NPS), so its slide's footnote needs the key."""
    if any(m for s in spec.series for m in s.sig):
        return True
    detail = spec.detail
    return any(m for name in ("mean_sig", "nps_sig") for m in (getattr(detail, name, None) or ()))
