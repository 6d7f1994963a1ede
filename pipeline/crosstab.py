"""Crosstabs as analysts read them: categories down, lettered banner columns across, bases and significance.

A :class:`Crosstab` is built from the weighted designs for a codebook question (or the metric of a
slide that measures one) by any grouping variables: ``sex``, ``age_group``, ``region``, a
single-choice question, or crossed groups such as ``sex*age_group``. Its columns are the total of
each wave shown, oldest first, then the subgroups of the report wave, one block per grouping; every
column has a letter (A, B, C …). Each row is a share (percent), a mean, or an NPS (points), with the
same bases and estimators as the deck.

Significance, as in SPSS Custom Tables: within a block, the cell of the larger estimate carries the
letter of each column it is significantly larger than. Subgroups of one wave are domains of one
calibrated sample and are *not* independent, so their test uses the linearized variance of the
difference (the SE of the contrast, as R ``svyglm`` + ``svycontrast`` give it): the calibrated
influence values of both estimates are formed per respondent and
``Var(b − a) = Var(a) + Var(b) − 2 Cov(a, b)``. Columns of different waves are independent samples
(:func:`pipeline.design.difference_test`). The level comes from :func:`significance_alpha`, the optional
multiple-comparison correction (``none``, ``bonferroni``, ``holm``, over the pairs of a row's block)
from :func:`comparison_correction`. ▲/▼ mark a significant change of a column against the same group in
the previous wave, uncorrected, as in the deck. Cells under the suppression base show no value and
are not tested.

No Excel here: :func:`pipeline.export.write_crosstabs_xlsx` writes the result.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from pipeline.config import MetricRequest, Question, SlideSpec, Statistics
from pipeline.design import CodeSums, SurveyDesign, difference_test
from pipeline.errors import ConfigError, did_you_mean
from pipeline.load import MISSING
from pipeline.metrics.common import MetricContext, base_flag, code_range
from pipeline.metrics.nps import BAND_KEYS, nps_score
from pipeline.metrics.scale import band_label, default_bands

CORRECTIONS = ("none", "bonferroni", "holm")
DEMOGRAPHICS = ("sex", "age_group", "region")
SUPPORTED_KINDS = ("share", "scale", "nps", "multi")  # slide metrics measured on one question's answers
UNIT_SCALE = {"percent": 100.0, "points": 100.0, "scale": 1.0}
DEFAULT_DECIMALS = {"percent": 0, "points": 0, "scale": 1}


# ------------------------------------------------------------------ settings


def significance_alpha(stats: Statistics) -> float:
    """The significance level α of the column tests (0.05 for a 95 % level): ``statistics.alpha``, as the deck's ▲/▼."""
    return float(stats.alpha)


def comparison_correction(stats: Statistics) -> str:
    """The multiple-comparison correction named in config: ``statistics.multiple_comparisons`` (none, bonferroni, holm)."""
    name = str(stats.multiple_comparisons)
    check_correction(name)
    return name


def check_correction(name: str) -> None:
    """Raise a one-line ConfigError for an unknown correction name."""
    if name not in CORRECTIONS:
        raise ConfigError(
            f"survey.yaml statistics.multiple_comparisons: unknown correction {name!r}{did_you_mean(name, CORRECTIONS)}; "
            f"use one of {', '.join(CORRECTIONS)}"
        )


# ------------------------------------------------------------------ result


@dataclass(frozen=True)
class Column:
    """One banner column: a wave's total or a subgroup of the report wave, with its letter and bases."""

    letter: str
    block: str  # "wave" for the wave totals, else the grouping ("sex", "sex*age_group", …)
    block_label: str  # the block's heading ("Kön", "Kön × Ålder", …)
    var: str  # "total" or the grouping
    key: str  # "total" or the group's codes joined by "|"
    label: str
    wave: int
    n: int  # unweighted base (respondents in the table's base)
    n_weighted: float
    n_effective: float
    base_flag: str  # ok, low or suppressed


@dataclass(frozen=True)
class Row:
    """One category (or measure) down the side; per column its value, letters and change arrow."""

    key: str
    label: str
    measure: str  # share, mean, nps, top_box
    unit: str  # percent, points, scale
    decimals: int
    values: tuple[float | None, ...]  # in the unit (percent 0–100, NPS −100…100), None when suppressed
    se: tuple[float | None, ...]
    n: tuple[int, ...]  # unweighted base of the row per column (a mean without "Vet ej" has its own)
    letters: tuple[str, ...]  # letters of the columns this one is significantly larger than
    arrows: tuple[str, ...]  # ▲/▼ against the previous wave, else ""
    flags: tuple[str, ...] = ()  # per column: ok, low or suppressed, from the row's own base (empty: the column's)


@dataclass(frozen=True)
class PairTest:
    """One pairwise column test of one row: b − a in the row's unit."""

    row: str
    a: str  # column letter
    b: str
    difference: float
    se: float
    z: float
    p: float
    p_adjusted: float
    significant: bool


@dataclass(frozen=True)
class Crosstab:
    """A question by banner columns, ready to be written as a sheet."""

    title: str
    question: str  # the wording
    base: str  # who is in the base
    question_id: str
    wave: int
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    tests: tuple[PairTest, ...]
    alpha: float
    correction: str

    def column(self, letter: str) -> Column:
        """The column with ``letter``."""
        for c in self.columns:
            if c.letter == letter:
                return c
        raise KeyError(letter)


# ------------------------------------------------------------------ groups


@dataclass(frozen=True)
class _Group:
    block: str
    key: str
    label: str
    parts: tuple[tuple[str, str], ...]  # (variable, category) ANDed


def letter(index: int) -> str:
    """A, B, … Z, AA, AB, … for column ``index`` (0-based)."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def _categories(ctx: MetricContext, var: str, where: str) -> list[tuple[str, str]]:
    """(key, label) of each category of one grouping variable."""
    demo = ctx.project.codebook.demographics
    if var in DEMOGRAPHICS:
        return [(name, demo.label(var, name, ctx.lang)) for name in demo.categories(var)]
    known = [q.id for q in ctx.project.codebook.questions if q.type == "single"]
    if var not in ctx.project.codebook.by_id:
        raise ConfigError(
            f"{where}: unknown grouping {var!r}{did_you_mean(var, [*DEMOGRAPHICS, *known])}; "
            f"use sex, age_group, region, a single-choice question or a crossing such as sex*age_group"
        )
    q = ctx.project.codebook.question(var)
    if q.type != "single":
        raise ConfigError(
            f"{where}: grouping by {var!r} needs a single-choice question (it is {q.type}); "
            f"use sex, age_group, region or one of {', '.join(known[:5])} …"
        )
    return [(str(c.code), c.text(ctx.lang)) for c in q.categories]


def banner_groups(ctx: MetricContext, by: str, where: str = "--by") -> list[_Group]:
    """The groups of one banner entry: a variable, or a crossing ``a*b`` (every combination, first variable slowest)."""
    spec = "sex*age_group" if by == "sex_age" else by
    variables = [v.strip() for v in spec.split("*")]
    if not all(variables):
        raise ConfigError(f"{where}: empty grouping in {by!r}; write crossings as sex*age_group")
    if len(set(variables)) < len(variables):
        raise ConfigError(f"{where}: {by!r} crosses a variable with itself; cross different variables, e.g. sex*age_group")
    levels = [_categories(ctx, v, where) for v in variables]
    out = []
    for combo in itertools.product(*levels):
        out.append(_Group(spec, "|".join(k for k, _ in combo), " ".join(lab for _, lab in combo),
                          tuple((v, k) for v, (k, _) in zip(variables, combo, strict=True))))
    return out


def block_label(ctx: MetricContext, block: str) -> str:
    """The heading of a block of columns: the waves, or each grouping variable's name, crossed with ×."""
    if block == "wave":
        return ctx.text("xtab_waves")
    names = []
    for var in block.split("*"):
        if var in DEMOGRAPHICS:
            names.append(ctx.text(f"xtab_var_{var}"))
        else:
            q = ctx.project.codebook.question(var)
            names.append(q.text.get(ctx.lang))
    return " × ".join(names)


def group_mask(ctx: MetricContext, design: SurveyDesign, group: _Group) -> np.ndarray:
    """True for the group's respondents in ``design``."""
    mask = np.ones(design.n, dtype=bool)
    for var, key in group.parts:
        if var in DEMOGRAPHICS:
            mask &= (design.frame[var] == key).to_numpy()
        else:
            values = design.frame[var].to_numpy() if var in design.frame else np.full(design.n, MISSING)
            mask &= values == int(key)
    return mask


# ------------------------------------------------------------------ what is measured


@dataclass(frozen=True)
class _RowDef:
    key: str
    label: str
    measure: str
    unit: str


@dataclass(frozen=True)
class _Run:
    """Consecutive rows that are functions of one coded answer: row j of a respondent with code c is
    ``table[c − low, j]``, over the respondents in ``domain`` whose code is in ``base`` (per code)."""

    values: np.ndarray  # the code of each respondent (valid where ``domain``)
    domain: np.ndarray  # respondents asked and answering
    low: int  # the smallest code
    table: np.ndarray  # codes × rows
    base: np.ndarray  # per code: in the rows' base

    def y(self, j: int) -> np.ndarray:
        """Row ``j``'s value per respondent (0 outside the domain)."""
        return np.where(self.domain, self.table[np.clip(self.values - self.low, 0, len(self.table) - 1), j], 0.0)

    def in_base(self) -> np.ndarray:
        """The respondents in the rows' base."""
        out: np.ndarray = self.domain & self.base[np.clip(self.values - self.low, 0, len(self.base) - 1)]
        return out


Measure = Callable[[SurveyDesign], Iterator[_Run]]  # the runs of rows, in the order of the row definitions


def _answered(values: np.ndarray) -> np.ndarray:
    out: np.ndarray = values != MISSING
    return out


def question_rows(
    ctx: MetricContext, question: Question, kind: str | None = None, request: MetricRequest | None = None
) -> tuple[list[_RowDef], Measure]:
    """The rows of a question's crosstab and, per design, an iterator of runs of rows (see :class:`_Run`).

    ``kind`` follows the deck's metric kinds (``share``, ``scale``, ``nps``, ``multi``); by default
    NPS questions give the NPS and its bands, scales the bands and mean, single-choice questions the
    share of each answer, multi-response questions the share mentioning each item.
    """
    options = request.options if request is not None else {}
    dk = ctx.project.codebook.dont_know_code
    if kind is None:
        by_type = {"single": "share", "scale": "scale", "grid": "scale" if question.scale else "share", "multi": "multi"}
        kind = by_type.get(question.type, "")
        if question.nps is not None:
            kind = "nps"
    if question.type == "open" or kind not in SUPPORTED_KINDS:
        raise ConfigError(
            f"question {question.id!r} ({question.type}): no crosstab for {kind or question.type!r}; "
            f"crosstabs take single-choice, scale, NPS, grid and multi-response questions"
        )
    if question.type in ("grid", "multi"):
        items = request.items if request is not None and request.items else [i.id for i in question.items]
    else:
        items = [question.id]

    def prefix(item: str) -> str:
        return f"{question.item(item).label(ctx.lang)}: " if question.type == "grid" else ""

    defs: list[_RowDef] = []
    makers: list[Callable[[SurveyDesign], list[_Run]]] = []
    if kind == "nps":
        if question.nps is None:
            raise ConfigError(f"question {question.id!r} has no nps bands in the codebook; ask for it without NPS")
        nps_bands = question.nps
        defs += [_RowDef("nps", "NPS", "nps", "points")]
        defs += [_RowDef(k, ctx.text(f"nps_{k}"), "share", "percent") for k in BAND_KEYS[::-1]]

        def nps_rows(design: SurveyDesign) -> list[_Run]:
            values = ctx.column(design, question.id)
            codes = code_range(values)
            score = nps_score(codes, nps_bands)
            scored = ~np.isnan(score)
            score = np.nan_to_num(score)
            table = np.column_stack([score] + [(score == v) & scored for v in (1.0, 0.0, -1.0)]).astype(float)
            ok = _answered(values) & (values != dk) & ctx.routed(design, question)
            return [_Run(values, ok, int(codes[0]), table, scored)]

        makers.append(nps_rows)
    elif kind == "share":
        if not question.categories:
            raise ConfigError(f"question {question.id!r} has no answer categories for shares")
        policy = options.get("dont_know", question.dont_know if question.dont_know != "none" else "exclude")
        codes = [c.code for c in question.categories]
        labels = [c.text(ctx.lang) for c in question.categories]
        if policy == "keep":
            codes.append(dk)
            labels.append(ctx.project.codebook.dont_know_label.get(ctx.lang))
        wanted = {str(w) for w in options.get("categories", codes)}
        for item in items:
            keep = [(c, lab) for c, lab in zip(codes, labels, strict=True) if str(c) in wanted]
            defs += [_RowDef(f"{item}:{c}" if question.type == "grid" else str(c), prefix(item) + lab, "share", "percent")
                     for c, lab in keep]

            def share_rows(design: SurveyDesign, item: str = item, keep: list[tuple[int, str]] = keep) -> list[_Run]:
                values = ctx.column(design, item)
                present = code_range(values)
                if not keep:
                    return []
                table = np.column_stack([present == c for c, _ in keep]).astype(float)
                ok = _answered(values) & ctx.routed(design, question)
                return [_Run(values, ok, int(present[0]), table, np.isin(present, codes))]

            makers.append(share_rows)
    elif kind == "scale":
        scale = question.scale
        if scale is None:
            raise ConfigError(f"question {question.id!r} has no scale for means")
        bands = [tuple(b) for b in options.get("bands", default_bands(scale))]
        long = scale.max - scale.min >= 9
        top = tuple(options.get("top_box", (7, 10) if long else (scale.max - 1, scale.max)))
        agree = tuple(options.get("agree", top))
        # a slide's metric shows the measures it asks for (the deck's default: all four); an ad-hoc table the distribution and mean
        all_measures = ["distribution", "mean", "top_box", "agree"] if request is not None else ["distribution", "mean"]
        measures = options.get("measures", all_measures)
        keep_dk = question.dont_know == "keep"
        band_keys = [f"{lo}-{hi}" if lo != hi else str(lo) for lo, hi in bands]  # as the deck's tables
        boxes = [(name, rng) for name, rng in (("top_box", top), ("agree", agree)) if name in measures]
        for item in items:

            def key(k: str, item: str = item) -> str:
                return f"{item}:{k}" if question.type == "grid" else k

            if "distribution" in measures:
                defs += [_RowDef(key(k), prefix(item) + band_label(lo, hi, scale, ctx.lang), "share", "percent")
                         for k, (lo, hi) in zip(band_keys, bands, strict=True)]
                if keep_dk:
                    dk_label = ctx.project.codebook.dont_know_label.get(ctx.lang)
                    defs.append(_RowDef(key(str(dk)), prefix(item) + dk_label, "share", "percent"))
            if "mean" in measures:
                defs.append(_RowDef(key("mean"), prefix(item) + ctx.text("mean"), "mean", "scale"))
            defs += [_RowDef(key(name), prefix(item) + f"{lo}-{hi}", name, "percent") for name, (lo, hi) in boxes]

            def scale_rows(design: SurveyDesign, item: str = item) -> list[_Run]:
                values = ctx.column(design, item)
                codes = code_range(values)
                asked = _answered(values) & ctx.routed(design, question)
                rated = (codes != dk) & (codes != MISSING)
                base = (codes != MISSING) if keep_dk else rated

                def band(lo: int, hi: int) -> np.ndarray:
                    return ((codes >= lo) & (codes <= hi)).astype(float)

                low = int(codes[0])
                out = []
                if "distribution" in measures:
                    cols = [band(lo, hi) for lo, hi in bands] + ([(codes == dk).astype(float)] if keep_dk else [])
                    out.append(_Run(values, asked, low, np.column_stack(cols), base))
                if "mean" in measures:
                    out.append(_Run(values, asked, low, np.where(rated, codes, 0).astype(float)[:, None], rated))
                if boxes:
                    out.append(_Run(values, asked, low, np.column_stack([band(lo, hi) for _, (lo, hi) in boxes]), base))
                return out

            makers.append(scale_rows)
    else:  # multi
        if question.type != "multi":
            raise ConfigError(f"question {question.id!r} is {question.type}, not a multi-response question")
        defs += [_RowDef(i, question.item(i).label(ctx.lang), "share", "percent") for i in items]
        every = [i.id for i in question.items]

        def multi_rows(design: SurveyDesign) -> list[_Run]:
            base = np.zeros(design.n, dtype=bool)
            for i in every:
                base |= ctx.column(design, i) >= 0
            base &= ctx.routed(design, question)
            # one run per item: the item's code (mentioned or not) over the question's base
            out = []
            for i in items:
                mentioned = (ctx.column(design, i) > 0).astype(np.int64)
                out.append(_Run(mentioned, base, 0, np.array([[0.0], [1.0]]), np.array([True, True])))
            return out

        makers.append(multi_rows)

    def measure(design: SurveyDesign) -> Iterator[_Run]:
        for make in makers:  # one item at a time: a long grid's columns are not all held at once
            yield from make(design)

    return defs, measure


# ------------------------------------------------------------------ covariance of domain estimates


def calibrated_influence(design: SurveyDesign, y: np.ndarray, domain: np.ndarray) -> tuple[float, np.ndarray]:
    """The weighted mean of ``y`` over ``domain`` and its calibrated influence value per respondent.

    The influence values are those whose variance :func:`pipeline.design.estimate_means` reports
    (``w (y − ȳ) / Σw`` in the domain, 0 outside, minus their fit on the calibration cells as R's
    ``svyrecvar`` does); their cross-products give the covariance of two estimates of one design.
    """
    cal = design.calibration
    w = design.weights
    wd = float(w[domain].sum())
    if wd <= 0:
        return math.nan, np.zeros(design.n)
    est = float((w * y)[domain].sum()) / wd
    u = np.where(domain, (y - est) / wd, 0.0)
    if cal.method == "rake":
        s_u = np.bincount(cal.cell, weights=u, minlength=cal.n_cells)
        shift = design.raking_sweeps @ s_u
    else:
        d = cal.design_weights
        s_du = np.bincount(cal.cell, weights=d * u, minlength=cal.n_cells)
        d_c = np.bincount(cal.cell, weights=d, minlength=cal.n_cells)
        shift = np.divide(s_du, d_c, out=np.zeros_like(s_du), where=d_c > 0)
    return est, w * (u - shift[cal.cell])


def covariance(design: SurveyDesign, influences: Sequence[np.ndarray]) -> np.ndarray:
    """Linearized covariance matrix of estimates from their calibrated influence values (``n/(n−1)`` × centred cross-products)."""
    n = design.n
    if n < 2 or not influences:
        return np.zeros((len(influences), len(influences)))
    r = np.column_stack(influences)
    total = r.sum(axis=0)
    out: np.ndarray = n / (n - 1) * (r.T @ r - np.outer(total, total) / n)
    return out


def domain_contrast(design: SurveyDesign, y: np.ndarray, domain_a: np.ndarray, domain_b: np.ndarray) -> tuple[float, float, float, float]:
    """Test mean(b) − mean(a) of ``y`` for two domains of one design: (difference, se, z, p), SE of the contrast."""
    a, ra = calibrated_influence(design, y, domain_a)
    b, rb = calibrated_influence(design, y, domain_b)
    cov = covariance(design, [ra, rb])
    return _z_test(b - a, cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])


@dataclass(frozen=True)
class _Summary:
    """What the covariance of an estimate with another over a disjoint domain of the same design needs, per cell."""

    shift: np.ndarray  # the calibration fit of the influence values (per cell, per unit weight)
    w2u: np.ndarray  # Σ w² u over the domain's respondents of each cell
    total: float  # Σ of the calibrated influence values over the wave
    var: float  # the estimate's linearized variance


def summarise(design: SurveyDesign, y: np.ndarray, domain: np.ndarray) -> _Summary:
    """Per-cell sums of one domain estimate's calibrated influence values (see :func:`calibrated_influence`).

    ``domain``: a boolean mask or the positions of the domain's respondents.

    With ``u = (y − ȳ)/Σw`` in the domain, the influence value is ``r = w (u − shift[cell])``; its
    sums over the wave follow from sums per calibration cell, so two estimates over disjoint domains
    have ``Σ r_a r_b = Σ_c shift_a shift_b Σw² − Σ_c (shift_b Σ_a w²u + shift_a Σ_b w²u)`` without a
    pass over the respondents.
    """
    cal = design.calibration
    at = np.flatnonzero(domain) if np.asarray(domain).dtype == bool else np.asarray(domain)
    cell, w, yv = cal.cell[at], design.weights[at], y[at]
    wd = float(w.sum())
    _, w_c, w2_c = design.cell_totals
    if wd <= 0:
        zero = np.zeros(cal.n_cells)
        return _Summary(zero, zero, 0.0, math.nan)
    u = (yv - float((w * yv).sum()) / wd) / wd
    if cal.method == "rake":
        shift = design.raking_sweeps @ np.bincount(cell, weights=u, minlength=cal.n_cells)
    else:
        s_du = np.bincount(cell, weights=cal.design_weights[at] * u, minlength=cal.n_cells)
        d_c = np.bincount(cal.cell, weights=cal.design_weights, minlength=cal.n_cells)
        shift = np.divide(s_du, d_c, out=np.zeros_like(s_du), where=d_c > 0)
    wu = np.bincount(cell, weights=w * u, minlength=cal.n_cells)
    w2u = np.bincount(cell, weights=w * w * u, minlength=cal.n_cells)
    w2u2 = float((w * w * u * u).sum())
    total = float((wu - shift * w_c).sum())
    n = design.n
    square = w2u2 - 2 * float(shift @ w2u) + float(shift * shift @ w2_c)
    var = n / (n - 1) * (square - total * total / n) if n > 1 else 0.0
    return _Summary(shift, w2u, total, var)


def disjoint_covariance(design: SurveyDesign, a: _Summary, b: _Summary) -> float:
    """Linearized covariance of two estimates over disjoint domains of one design, from their summaries."""
    n = design.n
    if n < 2:
        return 0.0
    w2_c = design.cell_totals[2]
    cross = float(a.shift * b.shift @ w2_c) - float(b.shift @ a.w2u) - float(a.shift @ b.w2u)
    return n / (n - 1) * (cross - a.total * b.total / n)


def _z_test(diff: float, var: float) -> tuple[float, float, float, float]:
    se = math.sqrt(var) if var > 0 else 0.0
    if not math.isfinite(diff) or se == 0 or not math.isfinite(se):
        return diff, se, math.nan, math.nan
    z = diff / se
    return diff, se, z, 2 * (1 - NormalDist().cdf(abs(z)))


def adjust(p: Sequence[float], correction: str) -> list[float]:
    """Adjusted p-values of one family: unchanged (``none``), × m (``bonferroni``) or Holm's step-down, capped at 1."""
    check_correction(correction)
    m = len(p)
    if correction == "none" or m == 0:
        return list(p)
    if correction == "bonferroni":
        return [min(1.0, q * m) for q in p]
    order = sorted(range(m), key=lambda i: (p[i], i))
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


# ------------------------------------------------------------------ building


@dataclass
class _Cell:
    value: float
    se: float
    n: int
    n_weighted: float
    n_effective: float
    flag: str
    summary: _Summary | None = None


def _group_part(whole: CodeSums, width: int, index: int) -> CodeSums:
    """The sums of group ``index`` from a CodeSums over group-and-code combined (``index × width + code``).

    The same sums as a CodeSums over the group's respondents alone (each cell's and code's sum is
    taken over the same respondents in the same order), so its estimates are the same bit for bit.
    """
    part = object.__new__(CodeSums)
    cut = slice(index * width, (index + 1) * width)
    part.design, part.n_codes = whole.design, width
    part.count, part.w, part.w2 = whole.count[:, cut], whole.w[:, cut], whole.w2[:, cut]
    part.d = None if whole.d is None else whole.d[:, cut]
    return part


def build_crosstab(
    ctx: MetricContext,
    question: Question,
    by: Sequence[str],
    *,
    waves: Sequence[int] | None = None,
    kind: str | None = None,
    request: MetricRequest | None = None,
    title: str | None = None,
    wording: str | None = None,
    decimals: dict[str, int] | None = None,
    alpha: float | None = None,
    correction: str | None = None,
    where: str = "--by",
) -> Crosstab:
    """The crosstab of ``question`` by the banner entries ``by`` (``sex``, ``region``, ``sex*age_group`` …).

    ``waves``: the waves whose totals are shown (default: the report wave ``ctx.wave``; the last one is
    the wave of the subgroup columns). ``decimals`` per unit (``percent``, ``points``, ``scale``) as the
    deck shows them. ``alpha``/``correction`` default to :func:`significance_alpha`/:func:`comparison_correction`.
    """
    stats = ctx.stats
    alpha = significance_alpha(stats) if alpha is None else alpha
    correction = comparison_correction(stats) if correction is None else correction
    check_correction(correction)
    digits = {**DEFAULT_DECIMALS, **(decimals or {})}
    shown = sorted(waves) if waves else [ctx.wave]
    for w in shown:
        if w not in ctx.designs:
            raise ConfigError(f"{where}: wave {w} is not loaded (loaded: {', '.join(map(str, sorted(ctx.designs)))})")
        if not question.asked(w):
            raise ConfigError(f"question {question.id!r} was not asked in {w} (codebook waves {question.waves})")
    report = shown[-1]
    defs, measure = question_rows(ctx, question, kind, request)
    specs = ["sex*age_group" if b == "sex_age" else b.replace(" ", "") for b in by]
    if len(set(specs)) < len(specs):
        repeated = next(b for b in specs if specs.count(b) > 1)
        raise ConfigError(f"{where}: {repeated!r} is given twice; name each grouping once")
    groups = [g for b in specs for g in banner_groups(ctx, b, where)]

    # every (wave, group) whose estimates the table needs: the shown totals, the groups, and their previous waves
    def prev_of(w: int) -> int | None:
        earlier = [x for x in sorted(ctx.designs) if x < w and question.asked(x)]
        return earlier[-1] if earlier else None

    total = _Group("wave", "total", ctx.text("total"), ())
    wanted: list[tuple[int, _Group]] = [(w, total) for w in shown] + [(report, g) for g in groups]
    extra = [(pw, g) for w, g in wanted if (pw := prev_of(w)) is not None]
    low = stats.low_base
    cells: dict[tuple[int, str, str], list[_Cell]] = {}
    for wave in sorted({w for w, _ in wanted + extra}):
        design = ctx.designs[wave]
        todo = list(dict.fromkeys((g.block, g.key) for w, g in wanted + extra if w == wave))
        group_of = {(g.block, g.key): g for _, g in wanted + extra}
        masks = {k: group_mask(ctx, design, group_of[k]) for k in todo}
        for k in todo:
            cells[(wave, *k)] = []
        # the groups of one block are disjoint: each respondent's group number in the block (-1: none)
        blocks: dict[str, list[tuple[str, str]]] = {}
        for k in todo:
            blocks.setdefault(k[0], []).append(k)
        numbers = {}
        for block, keys in blocks.items():
            number = np.full(design.n, -1, dtype=np.int64)
            for i, k in enumerate(keys):
                number[masks[k]] = i
            numbers[block] = number
        for run in measure(design):
            ys: list[np.ndarray] = []
            in_base: np.ndarray | None = None
            width = len(run.table)
            sums: dict[tuple[str, str], CodeSums] = {}
            for block, keys in blocks.items():
                if len(keys) == 1:  # one group (a wave's total): its codes as they are
                    k = keys[0]
                    dom = run.domain if k == ("wave", "total") else run.domain & masks[k]
                    sums[k] = CodeSums(design, run.values, width, dom, low=run.low)
                    continue
                # one pass over the block's respondents for all its groups: code and group combined into one code
                number = numbers[block]
                dom = run.domain & (number >= 0)
                combined = np.where(dom, number * width + (run.values - run.low), 0)
                whole = CodeSums(design, combined, width * len(keys), dom)
                sums.update((k, _group_part(whole, width, i)) for i, k in enumerate(keys))
            for k in todo:
                est = sums[k].means(run.table, run.base)
                flag = base_flag(est.n, low.suppress_below, low.flag_below)
                test = wave == report and k[0] != "wave" and flag != "suppressed"
                if test:
                    in_base = run.in_base() if in_base is None else in_base
                    at = np.flatnonzero(run.domain & masks[k] & in_base)
                    ys = ys or [run.y(j) for j in range(run.table.shape[1])]
                for j in range(run.table.shape[1]):
                    summary = summarise(design, ys[j], at) if test else None
                    cell = _Cell(float(est.value[j]), float(est.se[j]), est.n, est.weighted_n, est.effective_n, flag, summary)
                    cells[(wave, *k)].append(cell)

    columns: list[Column] = []
    col_keys: list[tuple[int, _Group]] = []
    for i, (w, g) in enumerate(wanted):
        first = cells[(w, g.block, g.key)][0]
        label = f"{g.label} {w}" if g.block == "wave" else g.label
        columns.append(Column(letter(i), g.block, block_label(ctx, g.block), "total" if g.block == "wave" else g.block, g.key, label, w,
                              first.n, first.n_weighted, first.n_effective, first.flag))
        col_keys.append((w, g))

    rows: list[Row] = []
    tests: list[PairTest] = []
    for r, rd in enumerate(defs):
        scale = UNIT_SCALE[rd.unit]
        col_cells = [cells[(w, g.block, g.key)][r] for w, g in col_keys]
        values = tuple(None if c.flag == "suppressed" or not math.isfinite(c.value) else c.value * scale for c in col_cells)
        ses = tuple(None if v is None else c.se * scale for v, c in zip(values, col_cells, strict=True))
        arrows = []
        for (w, g), c, v in zip(col_keys, col_cells, values, strict=True):
            pw = prev_of(w)
            old = cells.get((pw, g.block, g.key), [None] * len(defs))[r] if pw is not None else None
            arrow = ""
            if v is not None and old is not None and old.flag != "suppressed" and math.isfinite(old.value) and (c.se > 0 or old.se > 0):
                _, pv = difference_test(old.value, old.se, c.value, c.se)
                if pv < alpha:
                    arrow = "▲" if c.value > old.value else "▼"
            arrows.append(arrow)
        letters: list[list[str]] = [[] for _ in col_keys]
        for block in dict.fromkeys(col.block for col in columns):
            idx = [i for i, col in enumerate(columns) if col.block == block and values[i] is not None]
            family: list[tuple[int, int, float, float, float, float]] = []
            for i, j in itertools.combinations(idx, 2):
                a, b = col_cells[i], col_cells[j]
                if block == "wave":
                    z, p = difference_test(a.value, a.se, b.value, b.se)
                    diff, se = b.value - a.value, math.hypot(a.se, b.se)
                else:  # two disjoint domains of the report wave: the SE of the contrast
                    assert a.summary is not None and b.summary is not None, "a tested cell of a subgroup carries its summary"
                    cov = disjoint_covariance(ctx.designs[report], a.summary, b.summary)
                    diff, se, z, p = _z_test(b.value - a.value, a.summary.var + b.summary.var - 2 * cov)
                if math.isfinite(p):
                    family.append((i, j, diff * scale, se * scale, z, p))
            adjusted = adjust([f[5] for f in family], correction)
            for (i, j, diff, se, z, p), pa in zip(family, adjusted, strict=True):
                sig = pa < alpha
                tests.append(PairTest(rd.key, columns[i].letter, columns[j].letter, diff, se, z, p, pa, sig))
                if sig:
                    winner, loser = (j, i) if diff > 0 else (i, j)
                    letters[winner].append(columns[loser].letter)
        rows.append(Row(rd.key, rd.label, rd.measure, rd.unit, digits[rd.unit], values, ses, tuple(c.n for c in col_cells),
                        tuple("".join(sorted(x, key=lambda s: (len(s), s))) for x in letters), tuple(arrows),
                        tuple(c.flag for c in col_cells)))

    base = question.routing.description.get(ctx.lang) if question.routing is not None else ctx.text("xtab_base_all")
    return Crosstab(
        title=title or question.text.get(ctx.lang), question=wording or question.text.get(ctx.lang), base=base,
        question_id=question.id, wave=report, columns=tuple(columns), rows=tuple(rows), tests=tuple(tests),
        alpha=alpha, correction=correction,
    )


def question_crosstab(
    ctx: MetricContext, question_id: str, by: Sequence[str], waves: Sequence[int] | None = None, **options: Any
) -> Crosstab:
    """The ad-hoc crosstab of ``tables --question Q --by …``: ``question_id`` from the codebook, weighted as in the deck."""
    known = list(ctx.project.codebook.by_id)
    if question_id not in ctx.project.codebook.by_id:
        raise ConfigError(f"--question: the codebook has no question {question_id!r}{did_you_mean(question_id, known)}")
    return build_crosstab(ctx, ctx.project.codebook.question(question_id), by, waves=waves, **options)


def slide_crosstabs(ctx: MetricContext, slide: SlideSpec, decimals: dict[str, int] | None = None,
                    title: str | None = None, wording: str | None = None) -> dict[str, Crosstab]:
    """The crosstab of each metric of a slide that measures one question (kinds share, scale, nps, multi), by metric name.

    The banner is the metric's ``by`` (none: the wave totals only) and its waves those the deck shows;
    other metric kinds (trend, drivers, index …) have no crosstab and stay in the long table only.
    ``title``/``wording``: the slide's title and question as the deck rendered them (default: the
    slide's title and the codebook's question text).
    """
    out: dict[str, Crosstab] = {}
    for name, request in slide.metrics.items():
        if request.kind not in SUPPORTED_KINDS or not request.question:
            continue
        question = ctx.question(request)
        waves = ctx.waves_for(question, request)
        out[name] = build_crosstab(ctx, question, request.by, waves=waves, kind=request.kind, request=request,
                                   title=title or slide.title.get(ctx.lang), wording=wording or question.text.get(ctx.lang),
                                   decimals=decimals, where=f"deck.yaml slide {slide.id}, metric {name}")
    return out
