"""Turning tidy metric rows into chart series (no drawing here).

The rows are a pandas DataFrame, but this module calls only its methods, so it
imports pandas for type checking only (the options models load without it).
"""

from __future__ import annotations

import math
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
    return dict(zip(keyed(rows, key), rows[col].astype(str)))


def series_names(rows: pd.DataFrame, by: str) -> list[tuple[str, str]]:
    """(key, display name) of each series: waves newest first, or groups in table order."""
    if by == "wave":
        waves = sorted(rows["wave"].unique(), reverse=True)
        return [(str(w), str(w)) for w in waves]
    seen: dict[str, str] = {}
    for key, label in zip(rows[by].astype(str), rows[f"{by}_label" if by == "group" else "label"].astype(str)):
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
        by_key = {k: r for k, (_, r) in zip(keyed(part, row_key), part.iterrows())}
        values, sig, flags, bases = [], [], [], []
        for k in keys:
            r = by_key.get(k)
            if r is None:
                values.append(math.nan)
                sig.append("")
                flags.append("missing")
                bases.append(0)
                continue
            values.append(float(r["value"]))
            sig.append(str(r["sig"]) if isinstance(r["sig"], str) else "")
            flags.append(str(r["base_flag"]))
            bases.append(int(r["n"]))
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

    return [Series(s.name, pick(s.values), pick(s.sig), pick(s.flags), pick(s.bases)) for s in series]


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
