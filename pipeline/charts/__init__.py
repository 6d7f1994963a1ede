"""Charts stage: one module per chart kind, each turning metric rows into a frozen
:class:`ChartSpec` (``build``) and a spec into a PNG (``render``), plus the alt
text and the speaker-notes table of the chart.

Kinds are looked up by name in :data:`KINDS`; an unknown kind is a config error
that lists the supported ones. matplotlib is imported only when rendering, so
building specs (and the CLI's ``--help``) stays light. Charts never import pptx.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from pipeline.errors import ConfigError
from pipeline.numbers import fmt_count, fmt_number, fmt_percent

KINDS = {
    "grouped_bars": "pipeline.charts.grouped_bars",
    "stacked_bars": "pipeline.charts.stacked_bars",
    "single_stacked": "pipeline.charts.single_stacked",
    "trend_line": "pipeline.charts.trend_line",
    "nps_panel": "pipeline.charts.nps_panel",
    "driver_quadrant": "pipeline.charts.driver_quadrant",
    "change_bars": "pipeline.charts.change_bars",
    "subgroup_bars": "pipeline.charts.subgroup_bars",
}


@dataclass(frozen=True)
class Series:
    """One data series: a value per category, with significance marks, base flags and bases."""

    name: str
    values: tuple[float, ...]
    sig: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    bases: tuple[int, ...] = ()

    def sig_at(self, i: int) -> str:
        return self.sig[i] if i < len(self.sig) else ""

    def flag_at(self, i: int) -> str:
        return self.flags[i] if i < len(self.flags) else "ok"

    def base_at(self, i: int) -> int | None:
        return self.bases[i] if i < len(self.bases) else None


@dataclass(frozen=True)
class ChartSpec:
    """Everything a chart kind needs to draw one chart; frozen so renders are reproducible."""

    kind: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    unit: str = "percent"
    decimals: int = 0
    lang: str = "sv"
    width: float = 8.9
    height: float = 4.9
    description: str = ""
    extra: tuple[tuple[str, Any], ...] = field(default_factory=tuple)

    def opt(self, name: str, default: Any = None) -> Any:
        for key, value in self.extra:
            if key == name:
                return value
        return default

    def fmt(self, value: float, decimals: int | None = None, signed: bool = False) -> str:
        d = self.decimals if decimals is None else decimals
        if self.unit == "percent":
            return fmt_percent(value, d, self.lang, signed)
        return fmt_number(value, d, self.lang, signed)

    def label(self, value: float, decimals: int | None = None) -> str:
        """Short data label: numbers without the % sign (the axis says percent)."""
        return fmt_number(value, self.decimals if decimals is None else decimals, self.lang)


@dataclass(frozen=True)
class ChartContext:
    """What building a spec needs besides the rows: language, report wave and fixed phrases."""

    lang: str
    wave: int
    strings: dict[str, str]
    width: float = 8.9
    height: float = 4.9


def module(kind: str) -> ModuleType:
    """Return the module that implements chart ``kind``."""
    try:
        return importlib.import_module(KINDS[kind])
    except KeyError:
        raise ConfigError(f"deck.yaml: unknown chart kind {kind!r}; supported kinds: {', '.join(sorted(KINDS))}") from None


def render(spec: ChartSpec, path: Path) -> None:
    """Draw ``spec`` into the PNG file ``path``."""
    module(spec.kind).render(spec, path)


def figure(spec: ChartSpec):  # noqa: ANN201 - matplotlib Figure (imported lazily)
    """Draw ``spec`` into a new matplotlib Figure without saving it (the caller closes it)."""
    return module(spec.kind).draw(spec)


def alt_text(spec: ChartSpec) -> str:
    """Alt text: what the chart shows and its key figures."""
    mod = module(spec.kind)
    if hasattr(mod, "alt_text"):
        return mod.alt_text(spec)
    return default_alt_text(spec)


def default_alt_text(spec: ChartSpec) -> str:
    parts = [spec.description.rstrip(".") + "."] if spec.description else []
    for s in spec.series[:3]:
        pairs = [f"{c} {spec.fmt(v)}" for i, (c, v) in enumerate(zip(spec.categories, s.values)) if _shown(v, s.flag_at(i))]
        if pairs:
            parts.append(f"{s.name}: " + "; ".join(pairs[:6]) + ("; …" if len(pairs) > 6 else "") + ".")
    return " ".join(parts)


def _shown(value: float | None, flag: str) -> bool:
    """Whether a value is shown at all: not missing and its base not suppressed."""
    return value is not None and not math.isnan(value) and flag not in ("suppressed", "missing")


def notes_table(spec: ChartSpec) -> str:
    """The chart's data as a plain-text table for the speaker notes (values with one decimal, bases)."""
    lang = spec.lang
    mod = module(spec.kind)
    # a kind may add columns of its own (e.g. the NPS beside the NPS panel's bands)
    extra = mod.notes_columns(spec) if hasattr(mod, "notes_columns") else []
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
        lines.append(("Bas (n): " if lang == "sv" else "Base (n): ") + "; ".join(bases))
    return "\n".join(lines)
