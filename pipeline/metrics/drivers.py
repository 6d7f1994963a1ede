"""Driver analysis ("Sambandsanalys", S27): association of each item with the recommendation item."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.config import MetricRequest
from pipeline.design import estimate_means
from pipeline.errors import ConfigError
from pipeline.metrics import register
from pipeline.metrics.common import Cell, MetricContext, answered, build_rows

def weighted_corr(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Weighted Pearson correlation of ``x`` and ``y``."""
    sw = w.sum()
    mx, my = (w * x).sum() / sw, (w * y).sum() / sw
    cov = (w * (x - mx) * (y - my)).sum()
    vx, vy = (w * (x - mx) ** 2).sum(), (w * (y - my) ** 2).sum()
    return float(cov / np.sqrt(vx * vy)) if vx > 0 and vy > 0 else float("nan")


def relative_weights(r_xx: np.ndarray, r_xy: np.ndarray) -> tuple[np.ndarray, float]:
    """Johnson's (2000) relative weights from a predictor correlation matrix and their correlations with y.

    Returns (raw weights summing to R², R²). Predictors are replaced by their
    closest orthogonal counterparts Z = X (Xᵀ X)^(-1/2); y is regressed on Z and
    the squared coefficients are apportioned back through Λ = (XᵀX)^(1/2).
    """
    values, vectors = np.linalg.eigh(r_xx)
    values = np.clip(values, 1e-10, None)
    lam = vectors @ np.diag(np.sqrt(values)) @ vectors.T
    beta = np.linalg.solve(lam, r_xy)
    raw = (lam**2) @ (beta**2)
    return raw, float(raw.sum())


@register("drivers")
def drivers_table(ctx: MetricContext, request: MetricRequest) -> pd.DataFrame:
    """Per item of a grid: agreement share, correlation and relative weight against a target item.

    Options: ``target`` (question id of the outcome, e.g. ``recommend``),
    ``agree`` ([lo, hi] codes counted as agreement, default the top two points),
    ``importance`` (``relative_weight``, default, or ``correlation``) used with
    agreement for the quadrant of each item. Rows: measures ``agree``,
    ``correlation``, ``relative_weight`` and ``quadrant`` per item (category = item id).
    """
    question = ctx.question(request)
    target_id = request.options.get("target")
    if question.type != "grid" or question.scale is None or not target_id:
        raise ConfigError("deck.yaml: metric 'drivers' needs a grid question with a scale and options.target (e.g. recommend)")
    target = ctx.project.codebook.question(target_id)
    agree = tuple(request.options.get("agree", (question.scale.max - 1, question.scale.max)))
    importance = request.options.get("importance", "relative_weight")
    items = request.items or [i.id for i in question.items]
    labels = [question.item(i).label(ctx.lang) for i in items]
    dk = ctx.project.codebook.dont_know_code

    def measure(design, group_mask):
        w = design.weights
        y = ctx.column(design, target.id).astype(float)
        y_ok = answered(y.astype(int)) & (y != dk) & ctx.routed(design, target) & group_mask
        xs = [ctx.column(design, i) for i in items]
        base = answered(xs[0]) & ctx.routed(design, question) & group_mask
        cols = [x.astype(float) for x in xs]
        ok = [answered(x) & (x != dk) for x in xs]
        k = len(items)
        r_xy = np.array([weighted_corr(cols[j][ok[j] & y_ok], y[ok[j] & y_ok], w[ok[j] & y_ok]) for j in range(k)])
        r_xx = np.eye(k)
        for a in range(k):
            for b in range(a + 1, k):
                both = ok[a] & ok[b] & base
                r_xx[a, b] = r_xx[b, a] = weighted_corr(cols[a][both], cols[b][both], w[both])
        raw, r2 = relative_weights(r_xx, r_xy)
        share = raw / r2 * 100 if r2 > 0 else np.full(k, np.nan)
        agree_est = estimate_means(design, np.stack([((x >= agree[0]) & (x <= agree[1])).astype(float) for x in xs], axis=1), base)
        perf = agree_est.value * 100
        imp = share if importance == "relative_weight" else r_xy
        hi_imp, hi_perf = imp >= np.nanmean(imp), perf >= np.nanmean(perf)
        quadrant = np.where(hi_imp & hi_perf, 1, np.where(hi_imp, 2, np.where(hi_perf, 3, 4)))
        n_pairs = int(y_ok.sum())
        out: list[Cell] = []
        for j, (item, label) in enumerate(zip(items, labels)):
            out.append(Cell(item, label, "agree", perf[j], agree_est.se[j] * 100, agree_est.n, agree_est.weighted_n, agree_est.effective_n, "percent"))
            out.append(Cell(item, label, "correlation", r_xy[j], np.nan, n_pairs, float(w[y_ok].sum()), np.nan, "coefficient"))
            out.append(Cell(item, label, "relative_weight", share[j], np.nan, n_pairs, float(w[y_ok].sum()), np.nan, "percent"))
            out.append(Cell(item, ctx.text(f"quadrant_{int(quadrant[j])}"), "quadrant", float(quadrant[j]), np.nan, n_pairs, np.nan, np.nan, "coefficient"))
        out.append(Cell("r2", "R²", "r2", r2, np.nan, n_pairs, float(w[y_ok].sum()), np.nan, "coefficient"))
        return out

    groups = ctx.groups(request)
    return build_rows(ctx, request, question, "", ctx.waves_for(question, request), groups, measure)
