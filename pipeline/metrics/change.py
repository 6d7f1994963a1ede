"""Change between the report wave and the previous one, by subgroup (S39 shows relative change)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from pipeline.config import MetricRequest
from pipeline.errors import ConfigError
from pipeline.kinds import Options, option_problems
from pipeline.metrics import METRICS, MetricKind

if TYPE_CHECKING:
    import pandas as pd

    from pipeline.metrics.common import MetricContext


class OfOptions(Options):
    """Options shared by the metrics built on another metric (``change``, ``trend``)."""

    of: str = Field(description="the metric kind measured (e.g. ``coded``)")
    category: str = Field(description="the category key of that metric's rows to follow")
    of_options: dict[str, Any] = Field({}, description="options of the ``of`` metric (checked against that kind)")

    @field_validator("category", mode="before")
    @classmethod
    def _category_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v

    @field_validator("of")
    @classmethod
    def _known_kind(cls, v: str) -> str:
        if v not in METRICS:
            raise ValueError(METRICS.unknown(v))
        return v

    @model_validator(mode="after")
    def _inner_options(self) -> OfOptions:
        from pydantic import ValidationError

        kind = METRICS.get(self.of)
        try:
            kind.options.model_validate(self.of_options)
        except ValidationError as exc:
            raise ValueError(option_problems(exc, kind.options, f"of_options ({self.of})")[0]) from None
        return self

    def inner_measures(self) -> tuple[str, ...]:
        """The measures of the ``of`` metric with ``of_options``."""
        kind = METRICS.get(self.of)
        return kind.measures(kind.parse(self.of_options))


class ChangeOptions(OfOptions):
    """Options of the ``change`` metric."""

    mode: Literal["relative", "points"] = Field("relative", description="relative change in % or change in percentage points")


def change_table(ctx: MetricContext, request: MetricRequest, options: ChangeOptions) -> pd.DataFrame:
    """Relative (%) or percentage-point change of one category of another metric, per group.

    The SE of a relative change uses the delta method on both waves' linearized
    SEs; significance is the test of the underlying difference.
    """
    import pandas as pd

    from pipeline.metrics import compute
    from pipeline.metrics.common import COLUMNS

    kind, category, mode = options.of, options.category, options.mode
    inner = request.model_copy(update={"kind": kind, "waves": 1, "options": dict(options.of_options)})
    rows = compute(ctx, inner)
    rows = rows[rows["category"].astype(str) == category]
    if rows.empty:
        raise ConfigError(f"{kind!r} on {request.question!r} has no category {category!r}")
    out = []
    previous: dict[int, pd.DataFrame] = {}  # the inner metric for each previous wave, computed once
    for _, r in rows.iterrows():
        new = dict(r)
        new["metric"] = "change"
        se = math.nan
        if not math.isnan(r["change"]):
            prev_value = r["value"] - r["change"]
            prev_se = _prev_se(ctx, inner, r, previous)
            if mode == "points":
                value = r["change"]
                se = math.hypot(r["se"], prev_se)
            else:
                value = r["change_rel"]
                if prev_value:
                    se = 100 * math.hypot(r["se"] / prev_value, r["value"] * prev_se / prev_value**2)
        else:
            value = math.nan
        new.update({"measure": "change_rel" if mode == "relative" else "change", "value": value, "se": se,
                    "unit": "percent" if mode == "relative" else "points", "ci_low": math.nan, "ci_high": math.nan})
        out.append(new)
    return pd.DataFrame(out, columns=COLUMNS)


def _prev_se(ctx: MetricContext, inner: MetricRequest, row: pd.Series, cache: dict[int, pd.DataFrame]) -> float:
    """SE of the same estimate (same item, group, category and measure) in the previous wave."""
    from pipeline.metrics import compute

    prev = int(row["prev_wave"])
    if prev not in cache:
        cache[prev] = compute(ctx, inner.model_copy(update={"waves": [prev]}))
    again = cache[prev]
    match = again[(again["item"].astype(str) == str(row["item"])) & (again["group_var"] == row["group_var"])
                  & (again["group"] == row["group"]) & (again["category"].astype(str) == str(row["category"]))
                  & (again["measure"] == row["measure"])]
    return float(match["se"].iloc[0]) if len(match) else math.nan


CHANGE = METRICS.register(MetricKind(
    "change", ChangeOptions, change_table, lambda o: ("change_rel",) if o.mode == "relative" else ("change",)))
