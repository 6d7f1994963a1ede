"""Kinds: the plug-ins of the metric and chart families, one registry style for both.

A kind is declared next to its code, in its own module: its name, a frozen
pydantic options model (unknown keys refused) and its functions (a metric's
``compute``, a chart's ``build`` and ``draw``: :class:`pipeline.metrics.MetricKind`
and :class:`pipeline.charts.ChartKind` extend :class:`Kind`). Importing the module
registers the kind in its family's :class:`Registry`; the registry imports the
modules of its family the first time it is asked about a name.

The modules that declare kinds import no pandas, numpy or matplotlib at module
level (they do inside their functions), so that config loading can check every
slide's options against the kinds' models and still stay light: the up-to-date
check of a rerun must not pay for those libraries.

:func:`option_problems` turns a validation failure into one line per bad key
naming the key, what is allowed and the nearest allowed name.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from pipeline.errors import ConfigError, did_you_mean

if TYPE_CHECKING:
    from pathlib import Path

# The registry of each family, found by name when the deck is checked: the config layer depends on no stage.
FAMILIES = {"metric": ("pipeline.metrics", "METRICS"), "chart": ("pipeline.charts", "CHARTS")}


class Options(BaseModel):
    """Base of every kind's options: immutable, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


O = TypeVar("O", bound=Options)  # noqa: E741 - the name pipeline.metrics and pipeline.charts import


@dataclass(frozen=True)
class Kind(Generic[O]):
    """What every kind declares: its name and its options model."""

    name: str
    options: type[O]

    def parse(self, raw: Mapping[str, Any] | Options | None, where: str = "") -> O:
        """The kind's typed options from a config mapping, or a one-line ConfigError naming the first bad key."""
        if isinstance(raw, self.options):
            return raw
        data = dict(raw) if raw else {}
        try:
            return self.options.model_validate(data)
        except ValidationError as exc:
            lines = option_problems(exc, self.options, where or f"{self.family} kind {self.name!r}".lstrip())
            raise ConfigError(lines[0]) from None

    @property
    def family(self) -> str:
        """The family's name as messages use it ("metric", "chart")."""
        return ""


K = TypeVar("K", bound=Kind[Any])


class Registry(Generic[K]):
    """The kinds of one family by name; ``modules`` are imported (registering their kinds) on first use."""

    def __init__(self, family: str, modules: tuple[str, ...]) -> None:
        self.family = family
        self.modules = modules
        self._kinds: dict[str, K] = {}
        self._loaded = False

    def register(self, kind: K) -> K:
        """Add ``kind`` (called by the module that declares it)."""
        self._kinds[kind.name] = kind
        return kind

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            for name in self.modules:
                importlib.import_module(name)

    def names(self) -> list[str]:
        """Every kind's name, sorted."""
        self._load()
        return sorted(self._kinds)

    def get(self, name: str) -> K:
        """The kind called ``name``, or a ConfigError naming the kinds there are."""
        self._load()
        try:
            return self._kinds[name]
        except KeyError:
            raise ConfigError(self.unknown(name)) from None

    def unknown(self, name: str) -> str:
        """The message for an unknown kind ``name``: near miss and every kind."""
        names = self.names()
        return f"unknown {self.family} kind {name!r}{did_you_mean(str(name), names)}; kinds: {', '.join(names)}"

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._kinds

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def kinds(self) -> list[K]:
        """Every kind, by name."""
        return [self._kinds[n] for n in self.names()]


# --------------------------------------------------------------------------- messages


def option_problems(exc: ValidationError, model: type[BaseModel], where: str) -> list[str]:
    """One line per bad option key of ``model``: unknown keys with a did-you-mean and the allowed keys,
    values outside a fixed set with the allowed values, other type errors with the value given."""
    allowed = list(model.model_fields)
    grouped: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = tuple(err["loc"])
        kind = err["type"]
        key = str(loc[0]) if loc else ""
        got = err.get("input")
        if kind == "extra_forbidden":
            grouped.setdefault(f"unknown option {key!r}", []).append(
                f"{did_you_mean(key, allowed)}; allowed: {', '.join(allowed)}")
            continue
        head = f"option {key!r}" if key else "options"
        if kind == "missing":
            grouped.setdefault(f"required option {key!r} is missing", []).append("; add it")
            continue
        if kind == "literal_error":
            values = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
            msg = f": {got!r} is not allowed{did_you_mean(str(got), values)}; allowed values: {', '.join(values)}"
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
            shown = f" (got {got!r})" if not isinstance(got, (dict, list)) and got is not None and kind != "value_error" else ""
            msg = f": {msg}{shown}"
        if msg not in grouped.setdefault(head, []):
            grouped[head].append(msg)
    lines = []
    for head, msgs in grouped.items():
        text = f"{head}{msgs[0]}" if head != "options" else msgs[0].removeprefix(": ")  # a check of the whole mapping
        lines.append(f"{where}: {text}" + "".join(f"; or{m.removeprefix(':')}" for m in msgs[1:2]))
    return lines


def registry(family: str) -> Registry[Any]:
    """The registry of ``family`` ("metric" or "chart"), imported by name."""
    module, name = FAMILIES[family]
    found: Registry[Any] = getattr(importlib.import_module(module), name)
    return found


def localized(value: Any, lang: str, langs: tuple[str, ...] = ("sv", "en")) -> Any:
    """``value`` with every text mapping ({sv: …, en: …}: all keys among ``langs``) replaced by its text in
    ``lang``, recursively ("" where the text lacks ``lang``: the config load names every such text)."""
    if isinstance(value, dict):
        if value and set(value) <= set(langs):
            return value.get(lang, "")
        return {k: localized(v, lang, langs) for k, v in value.items()}
    if isinstance(value, list):
        return [localized(v, lang, langs) for v in value]
    return value


def measure_list(value: str | list[str] | None) -> list[str]:
    """A ``measure`` option as a list (one measure or several)."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def deck_problems(deck: Any, path: Path | str, langs: tuple[str, ...] = ("sv", "en")) -> list[str]:
    """Every unknown kind and bad option of the deck's metrics and charts, one line each.

    Chart options are checked in every language (a text option may be {sv, en});
    a chart's ``measure`` must be one the metric it draws can produce.
    """
    METRICS, CHARTS = registry("metric"), registry("chart")  # the registries' own names
    out: list[str] = []
    for slide in deck.slides:
        metric_kinds: dict[str, tuple[Any, Options] | None] = {}
        for name, request in slide.metrics.items():
            where = f"{path}: slide {slide.id}, metric {name!r}"
            if request.kind not in METRICS:
                out.append(f"{where}: {METRICS.unknown(request.kind)}")
                metric_kinds[name] = None
                continue
            kind = METRICS.get(request.kind)
            try:
                metric_kinds[name] = (kind, kind.options.model_validate(request.options))
            except ValidationError as exc:
                out.extend(option_problems(exc, kind.options, f"{where} ({kind.name})"))
                metric_kinds[name] = None
        for i, chart in enumerate(slide.charts):
            where = f"{path}: slide {slide.id}, chart {i + 1}"
            if chart.kind not in CHARTS:
                out.append(f"{where}: {CHARTS.unknown(chart.kind)}")
                continue
            ckind = CHARTS.get(chart.kind)
            where = f"{where} ({ckind.name})"
            seen: list[str] = []
            options = None
            for lang in langs:
                try:
                    options = ckind.options.model_validate(localized(chart.options, lang, langs))
                except ValidationError as exc:
                    seen += [line for line in option_problems(exc, ckind.options, where) if line not in seen]
            out.extend(seen)
            drawn = metric_kinds.get(chart.metric)
            wanted = measure_list(getattr(options, "measure", None)) if options is not None else []
            if drawn is not None and wanted:
                mkind, mopts = drawn
                measures = mkind.measures(mopts)
                for m in wanted:
                    if measures and m not in measures:
                        out.append(f"{where}: option 'measure': {m!r} is not a measure of metric {chart.metric!r} "
                                   f"({mkind.name}){did_you_mean(m, measures)}; its measures: {', '.join(measures)}")
    return out
