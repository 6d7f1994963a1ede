"""Turning tidy metric rows into chart series (pandas only; no drawing here)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from pipeline.charts import ChartContext, Series
from pipeline.errors import ConfigError

HIDDEN_BY_DEFAULT = ("uncoded", "dont_know")


def select(rows: pd.DataFrame, opts: dict[str, Any], *, default_measure: str | None = None) -> pd.DataFrame:
    """Filter rows by the chart options ``measure``, ``categories``, ``exclude``, ``groups``, ``items``, ``waves``."""
    out = rows
    measure = opts.get("measure", default_measure)
    if measure is not None:
        measures = [measure] if isinstance(measure, str) else list(measure)
        out = out[out["measure"].isin(measures)]
    if "categories" in opts:
        wanted = [str(c) for c in opts["categories"]]
        out = out[out["category"].astype(str).isin(wanted)]
    exclude = [str(c) for c in opts.get("exclude", HIDDEN_BY_DEFAULT)]
    out = out[~out["category"].astype(str).isin(exclude)]
    if "groups" in opts:
        out = out[out["group"].astype(str).isin([str(g) for g in opts["groups"]])]
    elif "group_var" not in opts:
        pass
    if "group_var" in opts:
        allowed = opts["group_var"] if isinstance(opts["group_var"], list) else [opts["group_var"]]
        out = out[out["group_var"].isin(allowed)]
    if "items" in opts:
        out = out[out["item"].isin(opts["items"])]
    if "waves" in opts:
        out = out[out["wave"].isin(opts["waves"])]
    if out.empty:
        raise ConfigError(f"deck.yaml: chart options {opts} select no rows; check measure/categories/groups")
    return out


def keyed(rows: pd.DataFrame, key: str) -> pd.Series:
    """The column that identifies a chart row: category, item or group."""
    return rows[{"category": "category", "item": "item", "group": "group"}[key]].astype(str)


def labels_for(rows: pd.DataFrame, key: str) -> dict[str, str]:
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
                values.append(math.nan), sig.append(""), flags.append("missing"), bases.append(0)
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
    raise ConfigError(f"deck.yaml: unknown sort {how!r}; use newest, fixed or mean")


def reorder(series: list[Series], order: list[int]) -> list[Series]:
    def pick(t: tuple) -> tuple:
        return tuple(t[i] for i in order) if t else t

    return [Series(s.name, pick(s.values), pick(s.sig), pick(s.flags), pick(s.bases)) for s in series]


def suppressed(value: float, flag: str) -> bool:
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
    return "*" if flag == "low" else ""


def context_strings(ctx: ChartContext, key: str, default: str = "") -> str:
    return ctx.strings.get(key, default)
