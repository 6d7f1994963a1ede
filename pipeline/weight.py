"""Weighting stage: rake or post-stratify each wave to its population targets, or leave it unweighted.

The calibration variables are any of the codebook's demographics or single-choice questions
(``weighting.variables``); each takes its target shares from the year's block of targets.yaml
(a one-way margin, or the sums of a joint cells table); ``method: none`` keeps the design weights.
Raking only needs the cell
table of the calibration variables: :func:`rake_cells` runs iterative
proportional fitting on the collapsed table of *units* (distinct cell and
design weight) and the factors are gathered back to respondents, which gives
the same weights as row-level raking at a tiny fraction of the cost.

Weights are scaled to sum to the number of respondents (mean weight 1), as R
``survey::rake`` does when given population totals equal to target share × n.
The result is a :class:`~pipeline.design.SurveyDesign`: the respondent frame,
its weights and the calibration structure that the linearized standard errors
need (residuals on the calibration variables, as R does after ``rake``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import Codebook, Project, Weighting, YearTargets
from pipeline.design import Calibration, SurveyDesign, WeightDiagnostics
from pipeline.errors import ConfigError, WeightingError, preview
from pipeline.load import Wave
from pipeline.variables import Variable
from pipeline.variables import variable as variable_named

log = logging.getLogger(__name__)

SUM_TOLERANCE = 1e-6 + 1e-12  # 1e-6 as targets.yaml documents, plus the float rounding of the sum (0.999999 passes)


@dataclass(frozen=True)
class MarginTargets:
    """Target shares for each calibration variable (and the joint sex × age cells)."""

    variables: tuple[str, ...]
    categories: dict[str, list[str]]
    shares: dict[str, np.ndarray]  # variable -> share per category (sums to 1)
    joint: np.ndarray | None  # shares per cell of all variables (post-stratification), C-order

    def as_rows(self) -> list[tuple[str, str, float]]:
        return [(v, c, float(s)) for v in self.variables for c, s in zip(self.categories[v], self.shares[v], strict=True)]


# --------------------------------------------------------------------------- targets


def targets_for(project: Project, year: int) -> YearTargets:
    """Return the configured population targets for ``year`` or raise a clear error."""
    try:
        return project.targets.years[year]
    except KeyError:
        have = sorted(project.targets.years)
        raise ConfigError(
            f"{project.root / project.survey.files.targets}: no population targets for wave year {year} "
            f"(have {have}); add years.{year} with margins or cells for the weighting variables "
            f"({', '.join(project.survey.weighting.variables)}), or set weighting.method: none"
        ) from None


def _table(values: dict[str, Any], variables: list[Variable], where: str) -> np.ndarray:
    """The nested target table as an array (one axis per variable, categories in codebook order)."""
    out = np.zeros([len(v.keys) for v in variables])
    names = " × ".join(v.name for v in variables)

    def fill(node: Any, depth: int, index: tuple[int, ...], at: str) -> None:
        var = variables[depth]
        if not isinstance(node, dict):
            raise ConfigError(f"{where}{at}: expected one entry per {var.name} category (the table nests {names})")
        for ci, key in enumerate(var.keys):
            if key not in node:
                if var.name in ("sex", "age_group") and depth < len(variables) - 1:
                    raise ConfigError(f"{where}{at}: no shares for {var.name} {key!r}; give one share per "
                                      f"{variables[depth + 1].name.replace('_', ' ')}")
                raise ConfigError(f"{where}{at}: no share for {var.name.replace('_', ' ')} {key!r}")
            child = node[key]
            if depth < len(variables) - 1:
                fill(child, depth + 1, (*index, ci), f"{at}.{key}")
                continue
            value = float(child) if isinstance(child, (int, float)) and not isinstance(child, bool) else float("nan")
            if not (value >= 0):
                raise ConfigError(f"{where}{at}.{key}: share must be 0 or more (got {child})")
            out[(*index, ci)] = value

    fill(values, 0, (), "")
    return out


def _joint_shares(
    yt: YearTargets, variables: list[Variable], table: tuple[tuple[str, ...], dict[str, Any], str], codebook: Codebook, where: str
) -> np.ndarray:
    """One target table as shares summing to 1 (counts scaled), checked."""
    names, values, at = table
    by_name = {v.name: v for v in variables}
    table_vars = [by_name[n] if n in by_name else variable_named(codebook, n, f"{where}.{at}") for n in names]
    joint = _table(values, table_vars, f"{where}.{at}")
    total = joint.sum()
    label = " × ".join(names)
    if yt.counts:
        if not total > 0:
            raise WeightingError(f"{where}.{at}: the {label} target counts add up to {total:g}; give the population counts")
        scaled: np.ndarray = joint / total
        return scaled
    if abs(total - 1) > SUM_TOLERANCE:
        raise WeightingError(
            f"{where}: {label} target shares sum to {total:.6f}, not 1; correct the shares (a common cause is "
            "counts mixed with shares or a typo in one cell; set counts: true for counts)"
        )
    return joint


def build_targets(project: Project, year: int, weighting: Weighting | None = None) -> MarginTargets:
    """Turn the year's configured targets into margin targets, checking that each table sums to 1.

    Each weighting variable takes its shares from its one-way margin or, without one, from the
    sums of the year's cells table; post-stratification takes the joint shares of a cells table
    over exactly the weighting variables.
    """
    weighting = weighting or project.survey.weighting
    codebook = project.codebook
    survey_yaml = project.root / "survey.yaml"
    variables = [variable_named(codebook, v, f"{survey_yaml}: weighting.variables") for v in weighting.variables]
    yt = targets_for(project, year)
    where = f"{project.root / project.survey.files.targets}: years.{year}"
    tables = yt.tables()
    holding: dict[str, tuple[tuple[str, ...], dict[str, Any], str]] = {}
    for v in weighting.variables:
        found = [t for t in tables if v in t[0]]
        if not found:
            raise ConfigError(
                f"{where}: weighting uses {v} but no {v} shares are given; add years.{year}.margins.{v} "
                f"(or a cells table over it)" if v != "region" else
                f"{where}: weighting uses region but no region shares are given; add years.{year}.region"
            )
        # a one-way margin wins over the sums of a cells table (there is at most one of each); post-stratification
        # takes the cells table
        one_way = [t for t in found if len(t[0]) == 1]
        tables_of_cells = [t for t in found if len(t[0]) > 1]
        holding[v] = tables_of_cells[0] if weighting.method == "poststratify" and tables_of_cells else (one_way or tables_of_cells)[0]
    categories: dict[str, list[str]] = {v.name: list(v.keys) for v in variables}
    shares: dict[str, np.ndarray] = {}
    joints: dict[str, np.ndarray] = {}
    for v in weighting.variables:
        table = holding[v]
        if table[2] not in joints:
            joints[table[2]] = _joint_shares(yt, variables, table, codebook, where)
        joint = joints[table[2]]
        axis = table[0].index(v)
        others = tuple(i for i in range(joint.ndim) if i != axis)
        shares[v] = joint.sum(axis=others) if others else joint
    joint_all = None
    if weighting.method == "poststratify":
        table = holding[weighting.variables[0]]
        if set(table[0]) != set(weighting.variables) or any(holding[v] is not table for v in weighting.variables):
            raise ConfigError(
                f"{survey_yaml}: weighting.method poststratify needs a cells table over exactly "
                f"{' × '.join(weighting.variables)} in every year; use method: rake to calibrate on margins"
            )
        order = [table[0].index(v) for v in weighting.variables]
        joint_all = np.transpose(joints[table[2]], order).reshape(-1)
    return MarginTargets(tuple(weighting.variables), categories, shares, joint_all)


def _apply_collapse(
    codes: dict[str, np.ndarray], targets: MarginTargets, weighting: Weighting, year: int, where: str
) -> tuple[dict[str, np.ndarray], MarginTargets]:
    """Merge target categories absent from the sample into their configured neighbour."""
    new_codes = dict(codes)
    new_shares = {k: v.copy() for k, v in targets.shares.items()}
    joint = None if targets.joint is None else targets.joint.copy()
    for variable in targets.variables:
        cats = targets.categories[variable]
        counts = np.bincount(codes[variable], minlength=len(cats))
        zero = [
            f"{cat!r} ({counts[ci]} respondents)" for ci, cat in enumerate(cats) if counts[ci] > 0 and targets.shares[variable][ci] == 0
        ]
        if zero:
            raise WeightingError(
                f"{where}: {variable} {', '.join(zero)} has a target share of 0, which would give its respondents weight 0; "
                "give its population share"
            )
        for ci, cat in enumerate(cats):
            if counts[ci] > 0 or new_shares[variable][ci] == 0:
                continue
            into = weighting.collapse.get(variable, {}).get(cat)
            if into is None:
                raise WeightingError(
                    f"{where}: wave {year} has no respondents in {variable} {cat!r}, which has a target share of "
                    f"{new_shares[variable][ci]:.4f}; add weighting.collapse: {{{variable}: {{'{cat}': <neighbour>}}}} "
                    "to survey.yaml to merge it into a neighbouring category"
                )
            if into not in cats:
                raise ConfigError(f"{where}: weighting.collapse.{variable}.{cat} names {into!r}, which is not one of {cats}")
            ti = cats.index(into)
            new_shares[variable][ti] += new_shares[variable][ci]
            new_shares[variable][ci] = 0.0
            if joint is not None:
                raise WeightingError(
                    f"{where}: wave {year} has no respondents in {variable} {cat!r}; post-stratification cannot collapse "
                    "margins, use method: rake or fix the sample"
                )
            log.warning("wave %s: %s %r has no respondents; its target is merged into %r", year, variable, cat, into)
    return new_codes, MarginTargets(targets.variables, targets.categories, new_shares, joint)


# --------------------------------------------------------------------------- raking on units


def rake_cells(
    unit_margin_codes: list[np.ndarray],
    unit_start: np.ndarray,
    unit_counts: np.ndarray,
    margin_totals: list[np.ndarray],
    tolerance: float,
    max_iterations: int,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
) -> tuple[np.ndarray, int, float]:
    """Iterative proportional fitting on a table of units.

    ``unit_start`` is each unit's starting weight per respondent and
    ``unit_counts`` how many respondents share it. ``margin_totals[m][k]`` is the
    target weight total of category ``k`` of margin ``m``. Returns the per-respondent
    weight of each unit, the number of sweeps and the largest remaining gap
    between a weighted margin share and its target share.
    """
    w = unit_start.astype(float).copy()
    grand = float(sum(margin_totals[0]))
    gap = np.inf
    for iteration in range(1, max_iterations + 1):
        for codes, totals in zip(unit_margin_codes, margin_totals, strict=True):
            current = np.bincount(codes, weights=w * unit_counts, minlength=len(totals))
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(current > 0, totals / current, 1.0)
            w *= factor[codes]
        gap = _margin_gap(w, unit_margin_codes, unit_counts, margin_totals, grand)
        if gap < tolerance:
            return w, iteration, gap
    return w, max_iterations, gap


def _margin_gap(
    w: np.ndarray, unit_margin_codes: list[np.ndarray], unit_counts: np.ndarray, margin_totals: list[np.ndarray], grand: float
) -> float:
    gap = 0.0
    for codes, totals in zip(unit_margin_codes, margin_totals, strict=True):
        current = np.bincount(codes, weights=w * unit_counts, minlength=len(totals))
        gap = max(gap, float(np.max(np.abs(current - totals))) / grand)
    return gap


def _solve_bounded_factor(w: np.ndarray, counts: np.ndarray, target: float, lo: float, hi: float) -> float:
    """Return f with sum(counts * clip(w * f, lo, hi)) == target.

    The left side is piecewise linear and non-decreasing in f with breakpoints
    at lo/w and hi/w, so the root is found exactly between two breakpoints.
    """
    if len(w) > 200:  # many units (varying design weights): bisection, each step O(units)
        f_lo, f_hi = lo / float(w.max()), hi / float(w.min())
        for _ in range(120):
            mid = 0.5 * (f_lo + f_hi)
            if float(np.sum(counts * np.clip(w * mid, lo, hi))) < target:
                f_lo = mid
            else:
                f_hi = mid
            if f_hi - f_lo <= 1e-15 * f_hi:
                break
        return 0.5 * (f_lo + f_hi)
    points = np.unique(np.concatenate([lo / w, hi / w]))
    values = np.array([float(np.sum(counts * np.clip(w * f, lo, hi))) for f in points])
    k = int(np.searchsorted(values, target))
    if k == 0:
        return float(points[0])
    if k >= len(points):
        return float(points[-1])
    f0, f1, g0, g1 = points[k - 1], points[k], values[k - 1], values[k]
    return float(f0 + (target - g0) * (f1 - f0) / (g1 - g0)) if g1 > g0 else float(f1)


def _trim(
    unit_margin_codes: list[np.ndarray],
    unit_start: np.ndarray,
    unit_counts: np.ndarray,
    margin_totals: list[np.ndarray],
    weighting: Weighting,
    mean_weight: float,
    year: int,
) -> tuple[np.ndarray, int, int, int, float]:
    """Bounded raking: each margin step scales a category so that, after capping, it meets its target.

    Every weight stays inside [lower, upper] × mean at every step, so the result
    keeps its promise on both counts or the function says it cannot. Returns
    (weights, sweeps, respondents at the lower bound, at the upper bound, gap).
    """
    trim = weighting.trim
    assert trim is not None  # guarded by the caller
    lo, hi = trim.lower * mean_weight, trim.upper * mean_weight
    w = np.clip(unit_start.astype(float), lo, hi)
    grand = float(sum(margin_totals[0]))
    for codes, totals in zip(unit_margin_codes, margin_totals, strict=True):
        reach_lo = np.bincount(codes, weights=unit_counts * lo, minlength=len(totals))
        reach_hi = np.bincount(codes, weights=unit_counts * hi, minlength=len(totals))
        impossible = (totals < reach_lo * (1 - 1e-12)) | (totals > reach_hi * (1 + 1e-12))
        if impossible.any():
            k = int(np.flatnonzero(impossible)[0])
            raise WeightingError(
                f"wave {year}: weight bounds {trim.lower}–{trim.upper} × mean and the margins cannot both hold: a margin "
                f"category needs a weight total of {totals[k]:.1f} but its respondents can reach only "
                f"{reach_lo[k]:.1f}–{reach_hi[k]:.1f} within the bounds; widen weighting.trim"
            )
    gap = np.inf
    for sweep in range(1, weighting.max_iterations + 1):
        for codes, totals in zip(unit_margin_codes, margin_totals, strict=True):
            for k in np.unique(codes):
                sel = codes == k
                f = _solve_bounded_factor(w[sel], unit_counts[sel], float(totals[k]), lo, hi)
                w[sel] = np.clip(w[sel] * f, lo, hi)
        gap = _margin_gap(w, unit_margin_codes, unit_counts, margin_totals, grand)
        if gap < weighting.tolerance:
            at_lo = int(unit_counts[w <= lo * (1 + 1e-12)].sum())
            at_hi = int(unit_counts[w >= hi * (1 - 1e-12)].sum())
            return w, sweep, at_lo, at_hi, gap
    raise WeightingError(
        f"wave {year}: weight bounds {trim.lower}–{trim.upper} × mean and the margins cannot both hold: after "
        f"{weighting.max_iterations} sweeps the largest margin gap is {gap:.2e} (tolerance {weighting.tolerance:g}); "
        "widen weighting.trim or coarsen the weighting cells"
    )


# --------------------------------------------------------------------------- entry point


def weight_wave(project: Project, wave: Wave, weighting: Weighting | None = None) -> SurveyDesign:
    """Weight one wave to its year's targets and return the survey design."""
    weighting = weighting or project.survey.weighting
    if weighting.method == "none":
        return unweighted(wave)
    frame = wave.frame
    year = wave.year
    where = f"{project.root / project.survey.files.targets}: years.{year}"
    targets = build_targets(project, year, weighting)
    variables = {v: variable_named(project.codebook, v) for v in targets.variables}
    codes = {v: variables[v].positions(frame, year) for v in targets.variables}
    for v, c in codes.items():
        if (c < 0).any():
            ids = frame["respondent_id"].to_numpy()[c < 0]
            fix = ("fix the file or set weighting.missing_demographics" if variables[v].source == "demographic" else
                   "give every respondent an answer to it, or weight on other variables")
            raise WeightingError(
                f"{wave.path}: wave {year}: {int((c < 0).sum())} respondent(s) without {v} "
                f"(respondent_id {preview(ids.tolist())}); {fix}"
            )
    codes, targets = _apply_collapse(codes, targets, weighting, year, where)
    sizes = [len(targets.categories[v]) for v in targets.variables]
    cell = np.ravel_multi_index([codes[v] for v in targets.variables], sizes)
    n_cells = int(np.prod(sizes))
    cell_counts = np.bincount(cell, minlength=n_cells)  # respondents per cell, counted once
    n = len(frame)
    design_w = frame["design_weight"].to_numpy(dtype=float)
    has_design = not np.all(design_w == 1.0)
    total = float(n)

    # units: distinct (cell, design weight) pairs
    if has_design:
        keys = pd.MultiIndex.from_arrays([cell, design_w])
        unit_index, uniques = pd.factorize(keys)
        unit_cell = np.array([u[0] for u in uniques], dtype=np.int64)
        unit_start = np.array([u[1] for u in uniques], dtype=float)
        unit_counts = np.bincount(unit_index, minlength=len(unit_cell)).astype(float)
    else:
        # the occupied cells in ascending order (as np.unique would give) and each respondent's position among them,
        # by a lookup table over the few cells instead of sorting the respondents
        unit_cell = np.flatnonzero(cell_counts)
        position = np.full(n_cells, -1, dtype=np.int64)
        position[unit_cell] = np.arange(len(unit_cell))
        unit_index = position[cell]
        unit_start = np.ones(len(unit_cell))
        unit_counts = cell_counts[unit_cell].astype(float)  # a unit is a cell
    # design weights scaled so their total is n before calibration (R is scale-free here)
    scale = total / float(np.sum(unit_start * unit_counts))
    unit_start = unit_start * scale

    cell_codes_per_var = np.unravel_index(np.arange(n_cells), sizes)
    if weighting.method == "poststratify":
        assert targets.joint is not None
        present = cell_counts > 0
        empty = [
            " × ".join(targets.categories[v][cell_codes_per_var[j][c]] for j, v in enumerate(targets.variables))
            for c in range(n_cells)
            if targets.joint[c] > 0 and not present[c]
        ]
        zero = [" × ".join(targets.categories[v][cell_codes_per_var[j][c]] for j, v in enumerate(targets.variables))
                for c in range(n_cells) if targets.joint[c] == 0 and present[c]]
        if zero:
            raise WeightingError(
                f"{where}: the cell(s) {preview(zero)} have a target share of 0 but respondents, who would get weight 0; "
                "give their population shares"
            )
        if empty:
            raise WeightingError(
                f"{where}: wave {year} has no respondents in the cell(s) {preview(empty)}; post-stratification needs every "
                "cell with a target; use method: rake, or collapse age groups"
            )
        margin_maps = [np.arange(n_cells)]
        margin_totals = [targets.joint * total]
    else:
        margin_maps = [cell_codes_per_var[j] for j in range(len(targets.variables))]
        margin_totals = [targets.shares[v] * total for v in targets.variables]
    unit_margin_codes = [m[unit_cell] for m in margin_maps]

    capped_low = capped_high = 0
    if weighting.trim is not None:
        unit_w, iterations, capped_low, capped_high, gap = _trim(
            unit_margin_codes, unit_start, unit_counts, margin_totals, weighting, total / n, year
        )
    else:
        unit_w, iterations, gap = rake_cells(
            unit_margin_codes, unit_start, unit_counts, margin_totals, weighting.tolerance, weighting.max_iterations
        )
        if gap >= weighting.tolerance:
            raise WeightingError(
                f"wave {year}: raking did not converge in {weighting.max_iterations} iterations; the largest remaining "
                f"margin gap is {gap:.2e} (tolerance {weighting.tolerance:g}); raise weighting.max_iterations or check the targets"
            )
    weights = unit_w[unit_index]
    calibration = Calibration(
        method=weighting.method,
        cell=cell.astype(np.int64),
        n_cells=n_cells,
        margins=tuple(np.asarray(m, dtype=np.int64) for m in margin_maps),
        design_weights=design_w * scale,
    )
    diagnostics = diagnose(weights, codes, targets, iterations, gap, capped_low, capped_high, weighting.method)
    log.info(
        "wave %s: %s on %s, %d iterations, Kish efficiency %.1f %%, weights %.3f–%.3f",
        year, weighting.method, "+".join(targets.variables), iterations, diagnostics.efficiency * 100,
        diagnostics.min_weight, diagnostics.max_weight,
    )
    return SurveyDesign(wave=wave, weights=weights, calibration=calibration, diagnostics=diagnostics, targets=targets.as_rows())


def unweighted(wave: Wave) -> SurveyDesign:
    """The design of ``weighting: none``: each respondent's design weight (1 without a design-weight column), not calibrated.

    Its standard errors are those of R ``svydesign(ids = ~1, weights = ~w)``: an uncalibrated design is
    a rake on no margins (one cell, no residual step), so the estimators need no case of their own.
    """
    weights = wave.frame["design_weight"].to_numpy(dtype=float).copy()
    n = len(weights)
    calibration = Calibration(
        method="rake", cell=np.zeros(n, dtype=np.int64), n_cells=1, margins=(), design_weights=weights,
    )
    empty = MarginTargets((), {}, {}, None)
    diagnostics = diagnose(weights, {}, empty, 0, 0.0, 0, 0, "none")
    log.info("wave %s: not weighted (weighting.method none), Kish efficiency %.1f %%", wave.year, diagnostics.efficiency * 100)
    return SurveyDesign(wave=wave, weights=weights, calibration=calibration, diagnostics=diagnostics, targets=[])


def diagnose(
    weights: np.ndarray,
    codes: dict[str, np.ndarray],
    targets: MarginTargets,
    iterations: int,
    gap: float,
    capped_low: int,
    capped_high: int,
    method: str,
) -> WeightDiagnostics:
    """Return Kish efficiency, effective n, design effect, weight range and margin tables."""
    n = len(weights)
    sw, sw2 = float(weights.sum()), float((weights**2).sum())
    n_eff = sw * sw / sw2
    rows = []
    for v in targets.variables:
        cats = targets.categories[v]
        unweighted = np.bincount(codes[v], minlength=len(cats)) / n
        weighted = np.bincount(codes[v], weights=weights, minlength=len(cats)) / sw
        for ci, cat in enumerate(cats):
            rows.append((v, cat, float(unweighted[ci]), float(weighted[ci]), float(targets.shares[v][ci])))
    return WeightDiagnostics(
        method=method,
        variables=targets.variables,
        n=n,
        sum_weights=sw,
        efficiency=n_eff / n,
        n_effective=n_eff,
        deff=n / n_eff,
        min_weight=float(weights.min()),
        max_weight=float(weights.max()),
        iterations=iterations,
        max_margin_gap=gap,
        capped_low=capped_low,
        capped_high=capped_high,
        margins=tuple(rows),
    )
