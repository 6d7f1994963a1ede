"""Metrics stage: every figure of the deck as rows of one tidy table.

Each metric kind is a function ``(MetricContext, MetricRequest) -> DataFrame``
registered by name in :data:`REGISTRY`, so the deck config asks for it by
name (``kind: share``, ``kind: nps`` …). Every kind returns rows with the
columns of :data:`COLUMNS`:

======================  =====================================================
column                  meaning
======================  =====================================================
metric                  registered kind (``share``, ``nps``, ``scale`` …)
measure                 what the row measures (``share``, ``mean``, ``nps``,
                        ``top_box``, ``agree``, ``reach``, ``correlation`` …)
question, item          codebook question id and item id ("" if none)
wave                    survey year
group_var, group        subgroup variable (``total``, ``sex``, ``age_group``,
                        ``sex_age``, ``region`` or a question id) and value
group_label             the group in the report language
category, label         answer category key and its label
value, se               estimate and its linearized standard error
ci_low, ci_high         confidence interval (level from config)
unit                    ``percent``, ``points`` (NPS), ``scale`` (mean),
                        ``coefficient`` or ``growth``
n, n_weighted,          unweighted base, weighted base and Kish effective
n_effective             base of the row's estimate
base_flag               ``ok``, ``low`` (below flag_below) or ``suppressed``
                        (below suppress_below: value and test blanked)
prev_wave, change,      previous wave the question was asked, the change
change_rel              in the value's unit and relative change in %
p_value, sig            two-sided test against the previous wave using both
                        waves' linearized SEs; ``▲``/``▼`` when significant
======================  =====================================================

Metrics never import matplotlib or pptx.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from pipeline.config import MetricRequest
from pipeline.errors import ConfigError
from pipeline.metrics.common import COLUMNS, MetricContext

MetricFunction = Callable[[MetricContext, MetricRequest], pd.DataFrame]

REGISTRY: dict[str, MetricFunction] = {}


def register(name: str) -> Callable[[MetricFunction], MetricFunction]:
    """Register a metric kind under ``name`` (used as ``kind:`` in deck.yaml)."""

    def wrap(fn: MetricFunction) -> MetricFunction:
        REGISTRY[name] = fn
        return fn

    return wrap


def compute(ctx: MetricContext, request: MetricRequest) -> pd.DataFrame:
    """Run the metric ``request`` asks for and return its rows (columns :data:`COLUMNS`)."""
    _load_kinds()
    try:
        fn = REGISTRY[request.kind]
    except KeyError:
        raise ConfigError(
            f"deck.yaml: unknown metric kind {request.kind!r}; supported kinds: {', '.join(sorted(REGISTRY))}"
        ) from None
    table = fn(ctx, request)
    return table.reindex(columns=COLUMNS)


def kinds() -> list[str]:
    _load_kinds()
    return sorted(REGISTRY)


def _load_kinds() -> None:
    # importing the modules registers their kinds
    from pipeline.metrics import (  # noqa: F401
        change,
        coded,
        drivers,
        index,
        multi,
        nps,
        reach,
        scale,
        single,
        trend,
        weighting,
    )


__all__ = ["COLUMNS", "MetricContext", "REGISTRY", "compute", "kinds", "register"]
