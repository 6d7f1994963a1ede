"""Turning tidy metric rows into chart series (no drawing here).

The rows are a pandas DataFrame, but this module calls only its methods, so it
imports pandas for type checking only (the options models load without it).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import Field

from pipeline.charts import ChartOptions, Series
from pipeline.errors import ConfigError
from pipeline.kinds import measure_list

if TYPE_CHECKING:
    import pandas as pd

HIDDEN_BY_DEFAULT = ("uncoded", "dont_know")


class SelectOptions(ChartOptions):
    """Options of the chart kinds that pick their rows from the metric's table (see :func:`select`)."""

    measure: str | list[str] | None = Field(None, description="the metric measure(s) drawn (e.g. ``agree``, ``nps``)")
    categories: list[str | int] | None = Field(None, description="category keys to draw; default all")
    exclude: list[str | int] | None = Field(None, description="category keys left out")
    groups: list[str | int] | None = Field(None, description="groups to draw, in this order")
    group_var: str | list[str] | None = Field(None, description="subgroup variable(s) whose groups are drawn (``total``, ``sex`` …)")
    items: list[str] | None = Field(None, description="grid items to draw")
    waves: list[int] | None = Field(None, description="waves to draw; default those the metric computed")


def select(rows: pd.DataFrame, opts: SelectOptions, *, default_measure: str | None = None,
           default_exclude: tuple[str, ...] = (), use_groups: bool = True) -> pd.DataFrame:
    """Filter rows by the chart options ``measure``, ``categories``, ``exclude`` (default ``default_exclude``),
    ``groups`` (unless ``use_groups`` is False), ``group_var``, ``items`` and ``waves``."""
    out = rows
    measures = measure_list(opts.measure if opts.measure is not None else default_measure)
    if measures:
        out = out[out["measure"].isin(measures)]
    if opts.categories is not None:
        out = out[out["category"].astype(str).isin([str(c) for c in opts.categories])]
    exclude = [str(c) for c in (opts.exclude if opts.exclude is not None else default_exclude)]
    out = out[~out["category"].astype(str).isin(exclude)]
    if opts.groups is not None and use_groups:
        out = out[out["group"].astype(str).isin([str(g) for g in opts.groups])]
    if opts.group_var is not None:
        out = out[out["group_var"].isin([opts.group_var] if isinstance(opts.group_var, str) else opts.group_var)]
    if opts.items is not None:
        out = out[out["item"].isin(opts.items)]
    if opts.waves is not None:
        out = out[out["wave"].isin(opts.waves)]
    if out.empty:
        chosen = opts.model_dump(exclude_defaults=True, exclude={"description"})
        raise ConfigError(f"chart options {chosen} select no rows; check measure/categories/groups")
    return out


def keyed(rows: pd.DataFrame, key: str) -> pd.Series:
    """The column that identifies a chart row: category, item or group."""
    return rows[{"category": "category", "item": "item", "group": "group"}[key]].astype(str)


def labels_for(rows: pd.DataFrame, key: str) -> dict[str, str]:
    """The display label of each chart row key."""
    col = {"category": "label", "item": "item_label", "group": "group_label"}[key]
    return dict(zip(keyed(rows, key), rows[col].astype(str), strict=True))


def series_names(rows: pd.DataFrame, by: str) -> list[tuple[str, str]]:
    """(key, display name) of each series: waves newest first, or groups in table order."""
    if by == "wave":
        waves = sorted(rows["wave"].unique(), reverse=True)
        return [(str(w), str(w)) for w in waves]
    seen: dict[str, str] = {}
    for key, label in zip(rows[by].astype(str), rows[f"{by}_label" if by == "group" else "label"].astype(str), strict=True):
        seen.setdefault(key, label)
    return list(seen.items())


def pivot(
    rows: pd.DataFrame,
    row_key: str,
    series_by: str,
    order: list[str] | None = None,
    series_order: list[str] | None = None,
) -> tuple[list[str], list[str], list[Series]]:
    """Return (row keys, row labels, series) with one value per row key and series."""
    keys = order or list(dict.fromkeys(keyed(rows, row_key)))
    labels = labels_for(rows, row_key)
    out = []
    names = series_names(rows, series_by)
    if series_order:
        rank = {str(k): i for i, k in enumerate(series_order)}
        names = sorted(names, key=lambda kv: rank.get(kv[0], len(rank)))
    for skey, sname in names:
        part = rows[(rows["wave"].astype(str) if series_by == "wave" else rows[series_by].astype(str)) == skey]
        at = {k: i for i, k in enumerate(keyed(part, row_key))}  # the row of each key (the last, as before)
        # the columns as lists (not a Series per row): the same values, one pandas call per column
        part_values, part_sig, part_flags, part_n = (part[c].tolist() for c in ("value", "sig", "base_flag", "n"))
        values, sig, flags, bases = [], [], [], []
        for k in keys:
            i = at.get(k)
            if i is None:
                values.append(math.nan)
                sig.append("")
                flags.append("missing")
                bases.append(0)
                continue
            values.append(float(part_values[i]))
            sig.append(str(part_sig[i]) if isinstance(part_sig[i], str) else "")
            flags.append(str(part_flags[i]))
            bases.append(int(part_n[i]))
        out.append(Series(sname, tuple(values), tuple(sig), tuple(flags), tuple(bases)))
    return keys, [labels.get(k, k) for k in keys], out


def sort_keys(keys: list[str], series: list[Series], how: str, extra: dict[str, float] | None = None) -> list[int]:
    """Row order: ``newest`` (descending by the first series), ``fixed``, or ``extra`` (descending by a side measure)."""
    idx = list(range(len(keys)))
    if how == "fixed":
        return idx
    if how == "newest":
        first = series[0].values
        return sorted(idx, key=lambda i: (-(first[i] if not math.isnan(first[i]) else -1e9), i))
    if how == "extra" and extra is not None:
        return sorted(idx, key=lambda i: (-extra.get(keys[i], -1e9), i))
    raise ConfigError(f"unknown sort {how!r}; use newest, fixed or mean")


def reorder(series: list[Series], order: list[int]) -> list[Series]:
    """The series with their values (and marks, flags, bases) in row order ``order``."""
    def pick(t: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(t[i] for i in order) if t else t

    return [replace(s, values=pick(s.values), sig=pick(s.sig), flags=pick(s.flags), bases=pick(s.bases),
                    point_colors=pick(s.point_colors)) for s in series]


def suppressed(value: float, flag: str) -> bool:
    """Whether a value is not drawn: missing, NaN or its base suppressed."""
    return flag in ("suppressed", "missing") or value is None or math.isnan(value)


def row_flag(series: list[Series] | tuple[Series, ...], i: int) -> str:
    """The base flag of row ``i`` across ``series`` (e.g. the segments of one stacked bar):
    the worst of them, "suppressed" before "low" before "ok"."""
    flags = {s.flag_at(i) for s in series}
    for flag in ("suppressed", "low"):
        if flag in flags:
            return flag
    return "ok"


def low_base_mark(flag: str) -> str:
    """``*`` after a value whose base is low."""
    return "*" if flag == "low" else ""


def nice_step(span: float, ticks: int = 5) -> float:
    """A tick step of 1, 2 or 5 times a power of ten giving about ``ticks`` steps over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw - 1e-12:
            return float(m * power)
    return float(10 * power)


def value_axis(values: list[float], unit: str, at_most: float | None = None, at_least: float | None = None,
               low: float | None = None) -> tuple[float, float, float]:
    """(low, high, tick step) of a bar chart's value axis, decided once so that picture and native chart agree.

    Bars start at zero. Shares run 0–100 % unless the slide's config gives ``at_most`` (a shorter axis, e.g. for
    sister slides of small shares); other units run to a round number above the largest value. Either way the
    axis ends on a tick and never cuts off a value (``at_least`` only widens it)."""
    vmax = max(values, default=0.0)
    vmin = min(values, default=0.0)
    if unit == "percent" and at_most is None:
        high = 100.0 if vmax <= 100 else vmax
    else:
        high = at_most if at_most is not None else vmax * 1.1
        high = max(high, vmax)
    if at_least is not None:
        high = max(high, at_least)
    lo = min(0.0, vmin) if low is None else min(low, vmin)
    step = nice_step(high - lo)
    high = math.ceil(high / step - 1e-9) * step
    lo = math.floor(lo / step + 1e-9) * step
    if high <= lo:
        high = lo + step
    return float(lo), float(high), float(step)


def mark_color(colors: tuple[str, str], mark: str) -> str:
    """The colour of ▲ or ▼ given a spec's ``mark_colors`` (the 1177 palette's when unset)."""
    from pipeline.charts.palette import PALETTE

    up, down = colors if colors and colors[0] else (PALETTE.up, PALETTE.down)
    return up if mark == "▲" else down


def series_colors(series: list[Series], colors: list[str]) -> list[Series]:
    """The series, each with its colour."""
    return [replace(s, color=c) for s, c in zip(series, colors, strict=False)]


def marks_shown(sig: tuple[str, ...], waves: list[int], shown: list[int], loaded: tuple[int, ...]) -> tuple[str, ...]:
    """The marks of values of waves ``waves`` kept only where the wave each compares with (the loaded wave before
    it) is among the waves the chart shows; a mark against an unseen wave is dropped."""
    if not loaded:
        return sig
    before = {w: max((x for x in loaded if x < w), default=None) for w in set(waves)}
    return tuple(m if m and before.get(w) in shown else "" for m, w in zip(sig, waves, strict=False))
