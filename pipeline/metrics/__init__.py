"""Metrics stage: every figure of the deck as rows of one tidy table.

Each metric kind is declared in its own module as a
:class:`~pipeline.kinds.MetricKind` (name, frozen options model, ``compute``)
and registered by name in :data:`METRICS`, so the deck config asks for it by
name (``kind: share``, ``kind: nps`` …) and its options are checked against
the model when the config is loaded. Every kind returns rows with the
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

Metrics never import matplotlib or pptx. This package and the kind modules
import pandas and numpy only inside functions, so config loading stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.kinds import Kind, O, Registry

if TYPE_CHECKING:
    import pandas as pd

    from pipeline.config import MetricRequest
    from pipeline.metrics.common import MetricContext


@dataclass(frozen=True)
class MetricKind(Kind[O]):
    """A metric kind: ``compute(ctx, request, options)`` returns its rows (:data:`COLUMNS`).

    ``measures(options)`` lists the values of the ``measure`` column its rows can
    have with those options (a chart's ``measure`` option is checked against it).
    """

    compute: Callable[[MetricContext, MetricRequest, O], pd.DataFrame]
    measures: Callable[[O], tuple[str, ...]]

    @property
    def family(self) -> str:
        """The family name in messages."""
        return "metric"


METRICS: Registry[MetricKind[Any]] = Registry(
    "metric",
    tuple(f"pipeline.metrics.{name}" for name in (
        "change", "coded", "drivers", "index", "multi", "nps", "reach", "scale", "single", "trend", "weighting")),
)


def compute(ctx: MetricContext, request: MetricRequest) -> pd.DataFrame:
    """Run the metric ``request`` asks for and return its rows (columns :data:`COLUMNS`)."""
    from pipeline.metrics.common import COLUMNS

    # A request's rows depend on the request alone, given the context's project, weighted waves and report wave
    # (metrics emit keys, no words): slides asking for the same figures share one computation, each its own copy.
    key = request.model_dump_json()
    known = ctx.results.get(key)
    if known is None:
        kind = METRICS.get(request.kind)
        known = ctx.results[key] = kind.compute(ctx, request, kind.parse(request.options)).reindex(columns=COLUMNS)
    return known.copy()


def kinds() -> list[str]:
    """The names of every metric kind."""
    return METRICS.names()


def __getattr__(name: str) -> Any:
    # the table columns and the context live with the (numpy/pandas) machinery; imported on first use
    if name in ("COLUMNS", "MetricContext"):
        from pipeline.metrics import common

        return getattr(common, name)
    raise AttributeError(f"module 'pipeline.metrics' has no attribute {name!r}")


__all__ = ["COLUMNS", "METRICS", "MetricContext", "MetricKind", "compute", "kinds"]
