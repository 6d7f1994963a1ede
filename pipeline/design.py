"""The weighted survey design and its linearized estimators.

A :class:`SurveyDesign` keeps a wave's respondents, their weights and the
calibration structure together, as R ``survey`` keeps them in one design
object; estimators take the design, never a bare weight vector.

Standard errors follow R ``survey`` for a one-stage design with each
respondent its own PSU, calibrated by ``rake`` or ``postStratify``:
``svymean`` forms the influence values ``z = w (y − ȳ) / Σw`` (zero outside the
domain), ``svyrecvar`` replaces them by their residuals on the calibration
variables (for raking: ten sweeps of centring within each margin, exactly as
R does; for post-stratification: centring within cells) and the variance is
``n/(n−1) Σ (z − z̄)²``. Because the calibration variables define a handful of
cells, all of this is computed from per-cell sums: the cost is one
``bincount`` over the respondents per estimate family, whatever the size of
the wave.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from pipeline.load import Wave

RAKING_RESIDUAL_SWEEPS = 10  # svyrecvar: for (iterations in 1:10)


@dataclass(frozen=True)
class Calibration:
    """How the weights were calibrated: the cell of every respondent and the margins over cells."""

    method: str  # "rake" or "poststratify"
    cell: np.ndarray  # cell index per respondent
    n_cells: int
    margins: tuple[np.ndarray, ...]  # per margin: category of each cell
    design_weights: np.ndarray  # starting weights (scaled), per respondent


@dataclass(frozen=True)
class WeightDiagnostics:
    """What the weighting did to one wave, for the method slide, tables and log."""

    method: str
    variables: tuple[str, ...]
    n: int
    sum_weights: float
    efficiency: float  # Kish: (Σw)² / (n Σw²)
    n_effective: float
    deff: float  # design effect due to weighting, 1 + CV²
    min_weight: float
    max_weight: float
    iterations: int
    max_margin_gap: float
    capped_low: int
    capped_high: int
    margins: tuple[tuple[str, str, float, float, float], ...]  # variable, category, unweighted, weighted, target

    @property
    def ratio(self) -> float:
        return self.max_weight / self.min_weight


@dataclass(frozen=True)
class SurveyDesign:
    """One weighted wave: respondents, weights and calibration, travelling together."""

    wave: Wave
    weights: np.ndarray
    calibration: Calibration
    diagnostics: WeightDiagnostics
    targets: list[tuple[str, str, float]]

    @property
    def year(self) -> int:
        return self.wave.year

    @property
    def frame(self):  # noqa: ANN201 - pandas DataFrame
        return self.wave.frame

    @property
    def n(self) -> int:
        return len(self.weights)


@dataclass(frozen=True)
class Estimates:
    """Linearized estimates for K quantities over one domain of one design."""

    value: np.ndarray  # K estimates (shares as proportions, or means)
    se: np.ndarray  # K standard errors
    n: int  # unweighted respondents in the domain
    weighted_n: float  # Σw over the domain
    effective_n: float  # (Σw)² / Σw² over the domain

    def ci(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        z = NormalDist().inv_cdf(0.5 + level / 2)
        return self.value - z * self.se, self.value + z * self.se


class _CellSums:
    """Per-cell sums over a domain, shape (cells, K)."""

    def __init__(self, count_y, w_y, w2_y, w2_y2, d_y, n_d, w_d, w2_d, d_d):
        self.count_y, self.w_y, self.w2_y, self.w2_y2, self.d_y = count_y, w_y, w2_y, w2_y2, d_y
        self.n_d, self.w_d, self.w2_d, self.d_d = n_d, w_d, w2_d, d_d


def _finish(design: SurveyDesign, sums: _CellSums) -> Estimates:
    """Turn per-cell sums into estimates and R-style calibrated linearization SEs."""
    cal = design.calibration
    w = design.weights
    n_all = len(w)
    cells = cal.n_cells
    # totals over all respondents of each cell (not just the domain)
    n_c = np.bincount(cal.cell, minlength=cells).astype(float)
    w_c = np.bincount(cal.cell, weights=w, minlength=cells)
    w2_c = np.bincount(cal.cell, weights=w * w, minlength=cells)
    wd_total = float(sums.w_d.sum())
    n_dom = int(round(float(sums.n_d.sum())))
    w2_total = float(sums.w2_d.sum())
    k = sums.w_y.shape[1]
    if wd_total <= 0 or n_dom == 0:
        nan = np.full(k, np.nan)
        return Estimates(nan, nan, n_dom, 0.0, 0.0)
    est = sums.w_y.sum(axis=0) / wd_total  # (K,)
    # per-cell sums of u = (y - est)/W_D over domain members
    s_u = (sums.count_y - sums.n_d[:, None] * est) / wd_total  # unweighted Σu
    s_wu = (sums.w_y - sums.w_d[:, None] * est) / wd_total
    s_w2u = (sums.w2_y - sums.w2_d[:, None] * est) / wd_total
    s_w2u2 = (sums.w2_y2 - 2 * est * sums.w2_y + sums.w2_d[:, None] * est * est) / wd_total**2
    shift = np.zeros((cells, k))
    if cal.method == "rake":
        for _ in range(RAKING_RESIDUAL_SWEEPS):
            for margin in cal.margins:
                ncat = int(margin.max()) + 1
                num = np.zeros((ncat, k))
                den = np.bincount(margin, weights=n_c, minlength=ncat)
                np.add.at(num, margin, s_u - n_c[:, None] * shift)
                with np.errstate(invalid="ignore", divide="ignore"):
                    ave = np.where(den[:, None] > 0, num / den[:, None], 0.0)
                shift = shift + ave[margin]
    else:
        # postStratify: centre within cells using the pre-calibration (design) weights
        s_du = (sums.d_y - sums.d_d[:, None] * est) / wd_total
        d_c = np.bincount(cal.cell, weights=cal.design_weights, minlength=cells)
        with np.errstate(invalid="ignore", divide="ignore"):
            shift = np.where(d_c[:, None] > 0, s_du / d_c[:, None], 0.0)
    sum_x = (s_wu - shift * w_c[:, None]).sum(axis=0)
    sum_x2 = (s_w2u2 - 2 * shift * s_w2u + shift * shift * w2_c[:, None]).sum(axis=0)
    var = n_all / (n_all - 1) * (sum_x2 - sum_x * sum_x / n_all) if n_all > 1 else np.zeros(k)
    se = np.sqrt(np.maximum(var, 0.0))
    return Estimates(est, se, n_dom, wd_total, wd_total * wd_total / w2_total)


def estimate_shares(design: SurveyDesign, codes: np.ndarray, n_categories: int, domain: np.ndarray) -> Estimates:
    """Weighted share of each category ``0..n_categories-1`` of ``codes`` within ``domain``.

    ``codes`` must be valid (0..K-1) wherever ``domain`` is true. Shares are
    proportions; SEs are R's linearization after calibration.
    """
    cal = design.calibration
    w = design.weights
    cells = cal.n_cells
    idx = cal.cell[domain] * n_categories + codes[domain].astype(np.int64)
    wd = w[domain]
    dd = cal.design_weights[domain]
    size = cells * n_categories
    cnt = np.bincount(idx, minlength=size).reshape(cells, n_categories).astype(float)
    sw = np.bincount(idx, weights=wd, minlength=size).reshape(cells, n_categories)
    sw2 = np.bincount(idx, weights=wd * wd, minlength=size).reshape(cells, n_categories)
    sd = np.bincount(idx, weights=dd, minlength=size).reshape(cells, n_categories)
    sums = _CellSums(cnt, sw, sw2, sw2, sd, cnt.sum(axis=1), sw.sum(axis=1), sw2.sum(axis=1), sd.sum(axis=1))
    return _finish(design, sums)


def estimate_means(design: SurveyDesign, values: np.ndarray, domain: np.ndarray) -> Estimates:
    """Weighted mean of ``values`` (n × K, or n) within ``domain``, with linearized SEs."""
    cal = design.calibration
    w = design.weights
    cells = cal.n_cells
    y = np.asarray(values, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    cell = cal.cell[domain]
    yd = y[domain]
    wd = w[domain]
    dd = cal.design_weights[domain]
    k = y.shape[1]

    def by_cell(weights: np.ndarray | None) -> np.ndarray:
        return np.bincount(cell, weights=weights, minlength=cells).astype(float)

    def by_cell_k(weights_per_col: np.ndarray) -> np.ndarray:
        out = np.empty((cells, k))
        for j in range(k):
            out[:, j] = np.bincount(cell, weights=weights_per_col[:, j], minlength=cells)
        return out

    sums = _CellSums(
        by_cell_k(yd),
        by_cell_k(yd * wd[:, None]),
        by_cell_k(yd * (wd * wd)[:, None]),
        by_cell_k(yd * yd * (wd * wd)[:, None]),
        by_cell_k(yd * dd[:, None]),
        by_cell(None),
        by_cell(wd),
        by_cell(wd * wd),
        by_cell(dd),
    )
    return _finish(design, sums)


def difference_test(value_a: float, se_a: float, value_b: float, se_b: float) -> tuple[float, float]:
    """Two-sided z test for the difference of estimates from independent samples.

    Returns (z, p). Used for change against the previous wave: each wave's SE
    already carries its own weighting (linearized), so the variances add.
    """
    se = float(np.hypot(se_a, se_b))
    if not np.isfinite(se) or se == 0:
        return float("nan"), float("nan")
    z = (value_b - value_a) / se
    p = 2 * (1 - NormalDist().cdf(abs(z)))
    return z, p
