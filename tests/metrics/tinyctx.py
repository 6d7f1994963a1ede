"""Tiny hand-computable metric contexts: a few respondents, chosen weights, one or more waves.

``tiny_ctx(questions, {year: frame})`` writes each frame as a wave file, loads it
through the real loader and weights it by post-stratification on sex × age cells
whose targets are the frame's own design-weight shares. Post-stratified weights
are then exactly the design weights scaled to mean 1, so a frame with a
``design_weight`` column of mean 1 gets those weights and a frame without one
gets weight 1 for everybody. Low-base thresholds default to 1 (nothing
suppressed or flagged) so that 6–12 respondents give values; pass
``low_base=(30, 100)`` for the shipped thresholds.
"""

from __future__ import annotations

import math

import pandas as pd
from helpers import design_from_frame

from pipeline.config import Codebook, LowBase, MetricRequest, Statistics, Targets, Weighting
from pipeline.locale import Locale
from pipeline.metrics import MetricContext, compute

AGE_YEARS = {"18-29": 25, "30-44": 40, "45-64": 50, "65+": 70}
SEX_CODES = {"Man": 1, "Kvinna": 2}
REGION_CODES = {"Norra": 1, "Uppsala-Örebro": 2, "Stockholm-Gotland": 3, "Sydöstra": 4, "Västra": 5, "Södra": 6}
SEXES = list(SEX_CODES)
AGES = list(AGE_YEARS)

Z95 = 1.959963984540054  # NormalDist().inv_cdf(0.975), the textbook 1.96


def wave_frame(columns: dict[str, list], *, sex=None, age_group=None, region=None, design_weight=None) -> pd.DataFrame:
    """A wave frame from answer columns (``None`` = blank cell) plus demographics (default: all men 18-29, Norra)."""
    n = len(next(iter(columns.values())))
    for name, values in columns.items():
        assert len(values) == n, f"column {name} has {len(values)} values, expected {n}"
    sex = sex or ["Man"] * n
    age_group = age_group or ["18-29"] * n
    region = region or ["Norra"] * n
    frame = pd.DataFrame({
        "respondent_id": list(range(1, n + 1)),
        "sex": [SEX_CODES[s] for s in sex],
        "age": [AGE_YEARS[a] for a in age_group],
        "region": [REGION_CODES[r] for r in region],
    })
    if design_weight is not None:
        frame["design_weight"] = design_weight
    for name, values in columns.items():
        frame[name] = pd.Series(values, dtype=object)
    return frame


def _cell_targets(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    dw = frame["design_weight"] if "design_weight" in frame else pd.Series(1.0, index=frame.index)
    inv_sex = {v: k for k, v in SEX_CODES.items()}
    inv_age = {v: k for k, v in AGE_YEARS.items()}
    out = {s: dict.fromkeys(AGES, 0.0) for s in SEXES}
    for (s, a), w in dw.groupby([frame["sex"], frame["age"]]).sum().items():
        out[inv_sex[s]][inv_age[a]] = float(w)
    total = float(dw.sum())
    return {s: {a: v / total for a, v in row.items()} for s, row in out.items()}


def build_ctx(project, questions, frames: dict[int, pd.DataFrame], tmp_path, *, wave=None, lang="sv",
              low_base=(1, 1), confidence=0.95, alpha=0.05) -> MetricContext:
    """A MetricContext over tiny waves; ``questions`` are codebook ids or new question dicts."""
    cb = project.codebook.model_dump()
    shipped = {q["id"]: q for q in cb["questions"]}
    cb["questions"] = [shipped[q] if isinstance(q, str) else q for q in questions]
    codebook = Codebook.model_validate(cb)
    t = project.targets.model_dump()
    t["years"] = {year: {"reference_date": "2000-12-31", "sex_age": _cell_targets(f)} for year, f in frames.items()}
    stats = Statistics(confidence_level=confidence, alpha=alpha,
                       low_base=LowBase(suppress_below=low_base[0], flag_below=low_base[1]))
    w = project.survey.weighting.model_dump()
    w.update(method="poststratify", variables=["sex", "age_group"], trim=None)
    survey = project.survey.model_copy(update={"weighting": Weighting.model_validate(w), "statistics": stats})
    proj = project.model_copy(update={"codebook": codebook, "targets": Targets.model_validate(t), "survey": survey})
    designs = {}
    for year, frame in frames.items():
        folder = tmp_path / f"wave{year}"
        folder.mkdir(exist_ok=True)
        designs[year] = design_from_frame(proj, year, frame, folder)
    return MetricContext(proj, designs, wave or max(frames), lang)


def run(ctx: MetricContext, kind: str, question: str | None = None, **kw) -> pd.DataFrame:
    """compute() one metric request (through the registry, so columns are checked too), its rows labelled in
    ``ctx.lang`` as the slides stage labels them (metrics emit keys; the Locale gives the words)."""
    request = MetricRequest(kind=kind, question=question, **kw)
    return Locale.of(ctx.project, ctx.lang).label_rows(compute(ctx, request), ctx.project, request)


def pick(table: pd.DataFrame, **filters) -> pd.Series:
    """The single row matching ``filters`` (compared as strings)."""
    t = table
    for k, v in filters.items():
        t = t[t[k].astype(str) == str(v)]
    assert len(t) == 1, f"{len(t)} rows match {filters}"
    return t.iloc[0]


def value(table: pd.DataFrame, **filters) -> float:
    return float(pick(table, **filters)["value"])


def srs_se_pct(p: float, n: int) -> float:
    """Linearized SE (in percentage points) of a share p over n equally weighted respondents in one
    post-stratification cell: the influence values sum to zero in the cell, so R's
    n/(n-1) Σ z² = n/(n-1) · p(1-p)/n = p(1-p)/(n-1)."""
    return 100 * math.sqrt(p * (1 - p) / (n - 1))
