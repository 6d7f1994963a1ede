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
``bincount`` over the domain's respondents per sum and column, whatever the
size of the wave. The per-cell totals over the whole wave are computed once per
design (:attr:`SurveyDesign.cell_totals`), the design-weight sums only for
post-stratification (raking does not use them), and columns of a multi-column
estimate are summed one at a time, so no n × K temporaries are made.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
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

    @cached_property
    def cell_totals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(respondents, Σw, Σw²) per calibration cell over the whole wave; computed once per design."""
        cal = self.calibration
        w = self.weights
        n_c = np.bincount(cal.cell, minlength=cal.n_cells).astype(float)
        w_c = np.bincount(cal.cell, weights=w, minlength=cal.n_cells)
        w2_c = np.bincount(cal.cell, weights=w * w, minlength=cal.n_cells)
        return n_c, w_c, w2_c


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
    """Per-cell sums over a domain, shape (cells, K); ``d_y`` and ``d_d`` (design weights) are None for raking."""

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
    n_c, w_c, w2_c = design.cell_totals
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


def _domain_index(domain: np.ndarray) -> np.ndarray | slice:
    """Positions of the domain's respondents (or all of them), to take each array's domain values once."""
    domain = np.asarray(domain)
    if domain.dtype != bool:
        return domain  # already positions
    return slice(None) if domain.all() else np.flatnonzero(domain)


def estimate_shares(design: SurveyDesign, codes: np.ndarray, n_categories: int, domain: np.ndarray) -> Estimates:
    """Weighted share of each category ``0..n_categories-1`` of ``codes`` within ``domain``.

    ``codes`` must be valid (0..K-1) wherever ``domain`` is true. Shares are
    proportions; SEs are R's linearization after calibration.
    """
    cal = design.calibration
    w = design.weights
    cells = cal.n_cells
    at = _domain_index(domain)
    idx = cal.cell[at] * n_categories + np.asarray(codes)[at].astype(np.int64)
    wd = w[at]
    size = cells * n_categories
    cnt = np.bincount(idx, minlength=size).reshape(cells, n_categories).astype(float)
    sw = np.bincount(idx, weights=wd, minlength=size).reshape(cells, n_categories)
    sw2 = np.bincount(idx, weights=wd * wd, minlength=size).reshape(cells, n_categories)
    sd = None
    if cal.method != "rake":
        sd = np.bincount(idx, weights=cal.design_weights[at], minlength=size).reshape(cells, n_categories)
    sums = _CellSums(cnt, sw, sw2, sw2, sd, cnt.sum(axis=1), sw.sum(axis=1), sw2.sum(axis=1),
                     None if sd is None else sd.sum(axis=1))
    return _finish(design, sums)


def estimate_means(design: SurveyDesign, values: np.ndarray, domain: np.ndarray) -> Estimates:
    """Weighted mean of ``values`` (n × K, or n) within ``domain``, with linearized SEs."""
    cal = design.calibration
    w = design.weights
    cells = cal.n_cells
    y = np.asarray(values, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    at = _domain_index(domain)
    cell = cal.cell[at]
    wd = w[at]
    w2d = wd * wd
    dd = cal.design_weights[at] if cal.method != "rake" else None
    k = y.shape[1]

    def by_cell(weights: np.ndarray | None) -> np.ndarray:
        return np.bincount(cell, weights=weights, minlength=cells).astype(float)

    count_y, w_y, w2_y, w2_y2 = (np.empty((cells, k)) for _ in range(4))
    d_y = np.empty((cells, k)) if dd is not None else None
    for j in range(k):  # one column at a time: the same sums, in the same order, as on the whole n × K matrix
        yj = y[at, j] if isinstance(at, np.ndarray) else y[:, j]
        count_y[:, j] = np.bincount(cell, weights=yj, minlength=cells)
        w_y[:, j] = np.bincount(cell, weights=yj * wd, minlength=cells)
        w2_y[:, j] = np.bincount(cell, weights=yj * w2d, minlength=cells)
        w2_y2[:, j] = np.bincount(cell, weights=yj * yj * w2d, minlength=cells)
        if d_y is not None:
            d_y[:, j] = np.bincount(cell, weights=yj * dd, minlength=cells)
    sums = _CellSums(count_y, w_y, w2_y, w2_y2, d_y, by_cell(None), by_cell(wd), by_cell(w2d),
                     None if dd is None else by_cell(dd))
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
