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
design (:attr:`SurveyDesign.cell_totals`; the design-weight totals, which only
post-stratification uses, in :attr:`SurveyDesign.design_weight_totals`), and
columns of a multi-column estimate are summed one at a time, so no n × K
temporaries are made.

Several estimates over the same respondents share one :class:`Domain` (positions,
cells and weights taken once), and every measure that is a function of one coded
answer (shares of bands, a mean score, a top-box share) comes from one
:class:`CodeSums`: a single pass giving the sums per cell and code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from pipeline.load import Wave

if TYPE_CHECKING:
    import pandas as pd

RAKING_RESIDUAL_SWEEPS = 10  # svyrecvar: for (iterations in 1:10)


@dataclass(frozen=True)
class Calibration:
    """How the weights were calibrated: the cell of every respondent and the margins over cells."""

    method: str  # "rake" or "poststratify"; a rake on no margins (one cell) is the uncalibrated design of weighting: none
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
    def frame(self) -> pd.DataFrame:
        return self.wave.frame

    @property
    def n(self) -> int:
        return len(self.weights)

    @cached_property
    def weights_squared(self) -> np.ndarray:
        """w² per respondent, computed once per design."""
        squares: np.ndarray = self.weights * self.weights
        return squares

    @cached_property
    def _cell_bases(self) -> dict[tuple[int, int], np.ndarray]:
        return {}

    def cell_base(self, width: int, low: int) -> np.ndarray:
        """``cell × width − low`` per respondent (int64), the start of its cell's bins when codes ``low…`` are
        counted per cell; kept per (width, low), as the items of a question share them."""
        key = (width, low)
        if key not in self._cell_bases:
            self._cell_bases[key] = self.calibration.cell * width - low
        return self._cell_bases[key]

    @cached_property
    def raking_sweeps(self) -> np.ndarray:
        """The (cells × cells) matrix ``T`` with ``shift = T @ s_u`` for raked designs.

        svyrecvar centres the per-cell residual sums ``s_u`` within each margin, margin
        after margin, for 10 sweeps: one step is ``shift += A (s_u − N shift)`` with
        ``A = Pᵀ diag(1 / Pn) P`` (``P`` the margin's category × cell indicator, ``N`` the
        respondents per cell; an empty category adds nothing). The steps are linear in
        ``s_u``, so they are composed once per design, ``T ← (I − A N) T + A``, instead of
        being repeated for every estimate.
        """
        cal = self.calibration
        n_c = self.cell_totals[0]
        cells = cal.n_cells
        steps = []
        for margin in cal.margins:
            indicator = np.zeros((int(margin.max()) + 1, cells))
            indicator[margin, np.arange(cells)] = 1.0
            den = indicator @ n_c
            inverse = np.divide(1.0, den, out=np.zeros_like(den), where=den > 0)
            a = indicator.T @ (inverse[:, None] * indicator)
            steps.append((np.eye(cells) - a * n_c[None, :], a))
        sweeps = np.zeros((cells, cells))
        for _ in range(RAKING_RESIDUAL_SWEEPS):
            for keep, add in steps:
                sweeps = keep @ sweeps + add
        return sweeps

    @cached_property
    def cell_totals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(respondents, Σw, Σw²) per calibration cell over the whole wave; computed once per design."""
        cal = self.calibration
        n_c = np.bincount(cal.cell, minlength=cal.n_cells).astype(float)
        w_c = np.bincount(cal.cell, weights=self.weights, minlength=cal.n_cells)
        w2_c = np.bincount(cal.cell, weights=self.weights_squared, minlength=cal.n_cells)
        return n_c, w_c, w2_c

    @cached_property
    def design_weight_totals(self) -> np.ndarray:
        """Σ design weight per calibration cell over the whole wave (post-stratification centres within cells by it)."""
        cal = self.calibration
        return np.bincount(cal.cell, weights=cal.design_weights, minlength=cal.n_cells)


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

    def __init__(
        self,
        count_y: np.ndarray,
        w_y: np.ndarray,
        w2_y: np.ndarray,
        w2_y2: np.ndarray,
        d_y: np.ndarray | None,
        n_d: np.ndarray,
        w_d: np.ndarray,
        w2_d: np.ndarray,
        d_d: np.ndarray | None,
    ) -> None:
        self.count_y, self.w_y, self.w2_y, self.w2_y2, self.d_y = count_y, w_y, w2_y, w2_y2, d_y
        self.n_d, self.w_d, self.w2_d, self.d_d = n_d, w_d, w2_d, d_d


def _finish(design: SurveyDesign, sums: _CellSums) -> Estimates:
    """Turn per-cell sums into estimates and R-style calibrated linearization SEs."""
    cal = design.calibration
    n_all = design.n
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
    if cal.method == "rake":
        shift = design.raking_sweeps @ s_u
    else:
        # postStratify: centre within cells using the pre-calibration (design) weights
        assert sums.d_y is not None and sums.d_d is not None, "postStratify sums come with design-weight sums"
        s_du = (sums.d_y - sums.d_d[:, None] * est) / wd_total
        d_c = design.design_weight_totals
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


class Domain:
    """The respondents of one domain of a design, with what every estimate over them needs, taken once.

    Estimates over the same respondents (a mean and a top-box share of one item, say) can
    share one ``Domain`` instead of each taking the positions, cells, weights and per-cell
    bases from the whole wave again; the results are the same as with the boolean mask.
    """

    def __init__(self, design: SurveyDesign, domain: np.ndarray) -> None:
        cal = design.calibration
        self.design = design
        self.at = _domain_index(domain)
        self.cell = cal.cell[self.at]
        self.w = design.weights[self.at]
        self.w2 = self.take(design.weights_squared)
        self.d = cal.design_weights[self.at] if cal.method != "rake" else None

    def take(self, values: np.ndarray) -> np.ndarray:
        """The domain's values of a per-respondent array."""
        return values[self.at] if isinstance(self.at, np.ndarray) else values

    @cached_property
    def by_cell(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """(respondents, Σw, Σw², Σ design weight or None) per calibration cell over the domain."""
        cells = self.design.calibration.n_cells

        def total(weights: np.ndarray | None) -> np.ndarray:
            return np.bincount(self.cell, weights=weights, minlength=cells).astype(float)

        return total(None), total(self.w), total(self.w2), None if self.d is None else total(self.d)


def _as_domain(design: SurveyDesign, domain: np.ndarray | Domain) -> Domain:
    if isinstance(domain, Domain):
        if domain.design is not design:
            raise ValueError("the domain belongs to another design")
        return domain
    return Domain(design, domain)


DENSE = 0.5  # a CodeSums over more than this share of the respondents counts everybody (see there)


class CodeSums:
    """Respondents, Σw, Σw² (and Σ design weight) per calibration cell and code, over one domain.

    ``codes`` holds each respondent's code ``low..low+n_codes-1`` (valid wherever ``domain``
    is true), such as the answer to one question; codes nobody in the domain gave only add
    zeros. One pass over the domain gives every share of sets of codes and every mean of a
    function of the code, each then in O(cells × codes): the distribution, mean, top box and
    agreement of a rating, the bands and score of an NPS question. :meth:`shares` of single codes are
    exactly :func:`estimate_shares`; sums over several codes (bands, means) equal the
    per-respondent estimators to rounding (about 1e-15 relative), as they are added per
    code and then across codes rather than respondent by respondent.
    """

    def __init__(self, design: SurveyDesign, codes: np.ndarray, n_codes: int, domain: np.ndarray | Domain, low: int = 0) -> None:
        self.design = design
        self.n_codes = n_codes
        cal = design.calibration
        cells = cal.n_cells
        codes = np.asarray(codes)
        design_weights: np.ndarray | None
        if not isinstance(domain, Domain) and np.asarray(domain).dtype == bool and np.count_nonzero(domain) > DENSE * len(domain):
            # most respondents: rather than taking the domain's cells, codes and weights, count everybody and
            # send those outside the domain to an extra code that is then dropped (same sums, same order)
            width = n_codes + 1
            idx = design.cell_base(width, low) + np.where(domain, codes, np.int64(low + n_codes))
            weights, squares, design_weights = design.weights, design.weights_squared, cal.design_weights
        else:
            dom = _as_domain(design, domain)
            width = n_codes
            idx = dom.cell * width + dom.take(codes).astype(np.int64)
            if low:
                idx -= low
            weights, squares, design_weights = dom.w, dom.w2, dom.d
        size = cells * width

        def total(w: np.ndarray | None) -> np.ndarray:
            return np.bincount(idx, weights=w, minlength=size).reshape(cells, width)[:, :n_codes]

        self.count = total(None).astype(float)
        self.w = total(weights)
        self.w2 = total(squares)
        self.d = total(design_weights) if cal.method != "rake" else None

    def shares(self, category: np.ndarray | None = None, n_categories: int | None = None) -> Estimates:
        """Share of each category, ``category[code]`` giving the category of each code (-1: not in the base).

        Without ``category`` each code is its own category and the result is that of
        :func:`estimate_shares` on the same codes and domain, bit for bit; so is a category
        of a single code (the other codes add exact zeros).
        """
        if category is None:
            cnt, sw, sw2, sd = self.count, self.w, self.w2, self.d
        else:
            if n_categories is None:
                raise TypeError("CodeSums.shares: a category map needs n_categories")
            category = np.asarray(category)
            member = np.flatnonzero((category >= 0) & (category < n_categories))
            onehot = np.zeros((self.n_codes, n_categories))
            onehot[member, category[member]] = 1.0
            cnt, sw, sw2 = self.count @ onehot, self.w @ onehot, self.w2 @ onehot
            sd = None if self.d is None else self.d @ onehot
        sums = _CellSums(cnt, sw, sw2, sw2, sd, cnt.sum(axis=1), sw.sum(axis=1), sw2.sum(axis=1),
                         None if sd is None else sd.sum(axis=1))
        return _finish(self.design, sums)

    def means(self, values: np.ndarray, base: np.ndarray | None = None) -> Estimates:
        """Mean of ``values[code]`` (codes × K, or codes) over the respondents whose code is in ``base`` (default all).

        The values of the codes in ``base`` must be finite (a code nobody gave still multiplies zeros).
        """
        y = np.asarray(values, dtype=float)
        if y.ndim == 1:
            y = y[:, None]
        keep = np.arange(self.n_codes) if base is None else np.flatnonzero(base)
        y = y[keep]
        cnt, sw, sw2 = self.count[:, keep], self.w[:, keep], self.w2[:, keep]
        sd = None if self.d is None else self.d[:, keep]
        sums = _CellSums(cnt @ y, sw @ y, sw2 @ y, sw2 @ (y * y), None if sd is None else sd @ y,
                         cnt.sum(axis=1), sw.sum(axis=1), sw2.sum(axis=1), None if sd is None else sd.sum(axis=1))
        return _finish(self.design, sums)


def estimate_shares(design: SurveyDesign, codes: np.ndarray, n_categories: int, domain: np.ndarray | Domain) -> Estimates:
    """Weighted share of each category ``0..n_categories-1`` of ``codes`` within ``domain``.

    ``codes`` must be valid (0..K-1) wherever ``domain`` is true. Shares are
    proportions; SEs are R's linearization after calibration.
    """
    return CodeSums(design, codes, n_categories, domain).shares()


def estimate_means(design: SurveyDesign, values: np.ndarray, domain: np.ndarray | Domain) -> Estimates:
    """Weighted mean of ``values`` (n × K, or n) within ``domain``, with linearized SEs."""
    cells = design.calibration.n_cells
    dom = _as_domain(design, domain)
    y = np.asarray(values, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    k = y.shape[1]
    count_y, w_y, w2_y, w2_y2 = (np.empty((cells, k)) for _ in range(4))
    d_y = np.empty((cells, k)) if dom.d is not None else None
    for j in range(k):  # one column at a time: the same sums, in the same order, as on the whole n × K matrix
        yj = dom.take(y[:, j])
        count_y[:, j] = np.bincount(dom.cell, weights=yj, minlength=cells)
        w_y[:, j] = np.bincount(dom.cell, weights=yj * dom.w, minlength=cells)
        w2_y[:, j] = np.bincount(dom.cell, weights=yj * dom.w2, minlength=cells)
        w2_y2[:, j] = np.bincount(dom.cell, weights=yj * yj * dom.w2, minlength=cells)
        if d_y is not None:
            d_y[:, j] = np.bincount(dom.cell, weights=yj * dom.d, minlength=cells)
    n_d, w_d, w2_d, d_d = dom.by_cell
    return _finish(design, _CellSums(count_y, w_y, w2_y, w2_y2, d_y, n_d, w_d, w2_d, d_d))


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
