"""Driver analysis ("Sambandsanalys", S27): association of each item with the recommendation item."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from pipeline.config import MetricRequest
from pipeline.errors import ConfigError
from pipeline.kinds import Options
from pipeline.metrics import METRICS, MetricKind

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from pipeline.design import SurveyDesign
    from pipeline.metrics.common import Cell, MetricContext



class DriversOptions(Options):
    """Options of the ``drivers`` metric."""

    target: str = Field(description="question id of the outcome (e.g. ``recommend``)")
    agree: tuple[int, int] | None = Field(None, description="[lo, hi] codes counted as agreement; default the top two points")
    importance: Literal["relative_weight", "correlation"] = Field(
        "relative_weight", description="the importance used with agreement for each item's quadrant")


CHUNK = 1 << 17  # respondents per block of the correlation sums: K × CHUNK matrices, not K × n
VARIANCE_FLOOR = 1e-12  # relative to Σwx²: below it the one-pass variance is rounding noise


def correlations(
    xs: list[np.ndarray], ok: list[np.ndarray], y: np.ndarray, y_ok: np.ndarray, base: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted correlations of each item with ``y`` and of every pair of items, on pairwise-complete respondents.

    ``r_xy[j]`` is the weighted Pearson correlation of item j and y over ``ok[j] & y_ok``; ``r_xx[a, b]`` that of
    items a and b over ``ok[a] & ok[b] & base`` (1 on the diagonal). Rather than slicing the respondents
    for each of the K + K(K−1)/2 pairs, the weighted sums Σw, Σwx, Σwx², Σwxy over every pair's respondents
    come from a few K × K matrix products of 0/1 masks and (shifted) values, in blocks of respondents.
    The values are shifted by each item's rounded weighted mean, which leaves the correlations unchanged
    and keeps the one-pass sums free of cancellation; a variance within rounding of zero counts as zero
    (an item constant on a pair's respondents has no correlation, NaN).
    The results equal the pairwise ones to rounding (about 1e-14 relative).
    """
    import numpy as np

    k = len(xs)
    n = len(w)
    shift = np.zeros(k)
    for j in range(k):
        m = ok[j] & (base | y_ok)
        sw = float(w[m].sum())
        shift[j] = np.round(float((w[m] * xs[j][m]).sum()) / sw) if sw > 0 else 0.0
    m = y_ok
    sw = float(w[m].sum())
    y_shift = np.round(float((w[m] * y[m]).sum()) / sw) if sw > 0 else 0.0
    # per item j: sums over ok[j] & y_ok of w, wx, wx², wy, wy², wxy
    vy = np.zeros((6, k))
    # per pair (a, b): sums over ok[a] & ok[b] & base of w, w x_a, w x_a², w x_a x_b
    s, sx, sxx, sxy = (np.zeros((k, k)) for _ in range(4))
    for start in range(0, n, CHUNK):
        part = slice(start, min(start + CHUNK, n))
        mask = np.empty((k, part.stop - start))
        xv = np.empty_like(mask)
        for j in range(k):
            mask[j] = ok[j][part]
            xv[j] = np.where(ok[j][part], xs[j][part] - shift[j], 0.0)
        x2 = xv * xv
        wb = np.where(base[part], w[part], 0.0)
        wy = np.where(y_ok[part], w[part], 0.0)
        yc = np.where(y_ok[part], y[part] - y_shift, 0.0)
        vy += np.stack([mask @ wy, xv @ wy, x2 @ wy, mask @ (wy * yc), mask @ (wy * yc * yc), xv @ (wy * yc)])
        mw, xw = mask * wb, xv * wb
        s += mw @ mask.T
        sx += xw @ mask.T
        sxx += (x2 * wb) @ mask.T
        sxy += xw @ xv.T

    def corr(total: np.ndarray, sum_a: np.ndarray, sum_b: np.ndarray, sum_aa: np.ndarray, sum_bb: np.ndarray,
             sum_ab: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = sum_ab - sum_a * sum_b / total
            var_a = sum_aa - sum_a * sum_a / total
            var_b = sum_bb - sum_b * sum_b / total
            # a variance within rounding of zero is zero: the item is constant on these respondents
            good = (total > 0) & (var_a > VARIANCE_FLOOR * sum_aa) & (var_b > VARIANCE_FLOOR * sum_bb)
            return np.where(good, cov / np.sqrt(np.where(good, var_a * var_b, 1.0)), np.nan)

    sw_, sx_, sxx_, sy_, syy_, sxy_ = vy
    r_xy = corr(sw_, sx_, sy_, sxx_, syy_, sxy_)
    # sx[a, b] sums x_a over the pair's respondents, sx.T[a, b] = sx[b, a] sums x_b
    r_xx = corr(s, sx, sx.T, sxx, sxx.T, sxy)
    upper = np.triu(r_xx, 1)
    return r_xy, upper + upper.T + np.eye(k)


def relative_weights(r_xx: np.ndarray, r_xy: np.ndarray) -> tuple[np.ndarray, float]:
    """Johnson's (2000) relative weights from a predictor correlation matrix and their correlations with y.

    Returns (raw weights summing to R², R²). Predictors are replaced by their
    closest orthogonal counterparts Z = X (Xᵀ X)^(-1/2); y is regressed on Z and
    the squared coefficients are apportioned back through Λ = (XᵀX)^(1/2).
    """
    import numpy as np

    values, vectors = np.linalg.eigh(r_xx)
    values = np.clip(values, 1e-10, None)
    lam = vectors @ np.diag(np.sqrt(values)) @ vectors.T
    beta = np.linalg.solve(lam, r_xy)
    raw = (lam**2) @ (beta**2)
    return raw, float(raw.sum())


def drivers_table(ctx: MetricContext, request: MetricRequest, options: DriversOptions) -> pd.DataFrame:
    """Per item of a grid: agreement share, correlation and relative weight against a target item.

    Rows: measures ``agree``, ``correlation``, ``relative_weight`` and ``quadrant``
    per item (category = item id), and ``r2``.
    """
    import numpy as np

    from pipeline.design import estimate_means
    from pipeline.metrics.common import Cell, PerDesign, answered, build_rows, columns_matrix

    question = ctx.question(request)
    if question.type != "grid" or question.scale is None:
        raise ConfigError(f"kind 'drivers' needs a grid question with a scale; {question.id!r} is {question.type}")
    target = ctx.project.codebook.question(options.target)
    agree = options.agree or (question.scale.max - 1, question.scale.max)
    importance = options.importance
    items = request.items or [i.id for i in question.items]
    dk = ctx.project.codebook.dont_know_code

    def prepare(design: SurveyDesign) -> Any:  # the same for every group
        y = ctx.column(design, target.id).astype(float)
        y_ok = answered(y.astype(int)) & (y != dk) & ctx.routed(design, target)
        xs = [ctx.column(design, i) for i in items]
        asked = ctx.routed(design, question)  # answers from respondents routing says were not asked do not count
        base = answered(xs[0]) & asked
        ok = [answered(x) & (x != dk) & asked for x in xs]
        agreed = columns_matrix([(x >= agree[0]) & (x <= agree[1]) for x in xs])
        return y, y_ok, xs, base, ok, agreed

    prepared = PerDesign(prepare)

    def measure(design: SurveyDesign, group_mask: np.ndarray) -> list[Cell]:
        w = design.weights
        y, y_ok, xs, base, ok, agreed = prepared(design)
        y_ok = y_ok & group_mask
        base = base & group_mask
        r_xy, r_xx = correlations(xs, ok, y, y_ok, base, w)
        k = len(items)
        if np.isfinite(r_xx).all() and np.isfinite(r_xy).all():
            raw, r2 = relative_weights(r_xx, r_xy)
        elif group_mask.all():  # an item without answers other than "Vet ej" (with the target or another item)
            lacking = [items[j] for j in range(k) if np.isnan(r_xy[j]) or np.isnan(np.delete(r_xx[j], j)).all()] or [
                items[j] for j in range(k) if not np.isfinite(r_xx[j]).all()]
            raise ConfigError(
                f"wave {design.wave.year}: no correlation for item(s) {', '.join(map(repr, lacking))}: too few respondents answered "
                f"them and {target.id!r} (or the other items) other than 'Vet ej'; check the wave file, "
                f"or list the other items in the metric's items"
            )
        else:  # a subgroup too small for the regression
            raw, r2 = np.full(k, np.nan), float("nan")
        share = raw / r2 * 100 if r2 > 0 else np.full(k, np.nan)
        agree_est = estimate_means(design, agreed, base)
        perf = agree_est.value * 100
        imp = share if importance == "relative_weight" else r_xy
        hi_imp, hi_perf = imp >= np.nanmean(imp), perf >= np.nanmean(perf)
        quadrant = np.where(hi_imp & hi_perf, 1, np.where(hi_imp, 2, np.where(hi_perf, 3, 4)))
        n_pairs = int(y_ok.sum())
        w_pairs = float(w[y_ok].sum())
        out: list[Cell] = []
        for j, item in enumerate(items):
            out.append(Cell(item, None, "agree", perf[j], agree_est.se[j] * 100, agree_est.n, agree_est.weighted_n, agree_est.effective_n,
                            "percent"))
            out.append(Cell(item, None, "correlation", r_xy[j], np.nan, n_pairs, w_pairs, np.nan, "coefficient"))
            out.append(Cell(item, None, "relative_weight", share[j], np.nan, n_pairs, w_pairs, np.nan, "percent"))
            out.append(Cell(item, None, "quadrant", float(quadrant[j]), np.nan, n_pairs, np.nan, np.nan, "coefficient"))
        out.append(Cell("r2", "R²", "r2", r2, np.nan, n_pairs, w_pairs, np.nan, "coefficient"))
        return out

    groups = ctx.groups(request)
    return build_rows(ctx, request, question, "", ctx.waves_for(question, request), groups, measure)


DRIVERS = METRICS.register(MetricKind(
    "drivers", DriversOptions, drivers_table, lambda _o: ("agree", "correlation", "relative_weight", "quadrant", "r2")))
