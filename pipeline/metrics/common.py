"""Shared machinery of the metric kinds: context, subgroups, rows, change and significance."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from pipeline.coding import CodedAnswers, code_answers
from pipeline.config import MetricRequest, Project, Question, Statistics
from pipeline.design import Estimates, SurveyDesign, difference_test
from pipeline.errors import ConfigError
from pipeline.load import MISSING, routed_mask
from pipeline.variables import crossed, grouping_names, variable

COLUMNS = [
    "metric", "measure", "question", "item", "item_label", "wave", "group_var", "group", "group_label", "category", "label",
    "value", "se", "ci_low", "ci_high", "unit", "n", "n_weighted", "n_effective", "base_flag",
    "prev_wave", "change", "change_rel", "p_value", "sig",
]

UNIT_SCALE = {"percent": 100.0, "points": 100.0, "scale": 1.0, "coefficient": 1.0, "growth": 100.0}


@dataclass(frozen=True)
class Group:
    """A subgroup (or the total) of respondents, defined on demographics or single-choice answers; its label is the
    presentation's (:meth:`pipeline.locale.Locale.label_rows`).

    A crossed group (``var`` ``unit*channel`` or ``sex_age``) has one ``parts`` entry per variable; its
    key joins the parts' keys with a space (``Man 18-29``).
    """

    var: str
    key: str
    parts: tuple[tuple[str, str], ...] = ()  # of a crossed group: (variable, category key) of each variable crossed


@dataclass(frozen=True)
class Cell:
    """One estimate of one wave and group, before change and significance are attached."""

    category: str
    label: str | None  # None: a word the presentation fills in the report language; a str: language-neutral ("7-10", "R²")
    measure: str
    value: float
    se: float
    n: int
    n_weighted: float
    n_effective: float
    unit: str


@dataclass
class MetricContext:
    """What every metric kind needs: the project, the weighted waves and the report wave.

    Metrics emit keys and values, no words: ``label``, ``group_label`` and ``item_label`` are left None for
    the presentation step (:meth:`pipeline.locale.Locale.label_rows`) to fill in the report language.
    ``lang`` and :meth:`text` serve only ``pipeline.crosstab`` until it takes a Locale; no metric kind reads them.
    """

    project: Project
    designs: dict[int, SurveyDesign]
    wave: int
    lang: str = "sv"  # crosstab only (see above)
    _masks: dict[tuple[Any, ...], np.ndarray] = field(default_factory=dict, repr=False)
    _coded: dict[tuple[str, int], CodedAnswers] = field(default_factory=dict, repr=False)
    results: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)  # metric rows per request (metrics.compute)

    # -------------------------------------------------------------- lookups

    @property
    def stats(self) -> Statistics:
        """The statistics settings of survey.yaml (confidence, significance, low bases)."""
        return self.project.survey.statistics

    def question(self, request: MetricRequest) -> Question:
        if not request.question:
            raise ConfigError(f"kind {request.kind!r} needs a question")
        return self.project.codebook.question(request.question)

    def text(self, key: str) -> str:
        """A fixed phrase in ``lang`` (crosstab only; metric kinds emit keys, not words)."""
        return self.project.text(key, self.lang)

    def asked_waves(self, question: Question) -> list[int]:
        """Waves up to the report wave that asked ``question`` and are loaded."""
        return [w for w in sorted(self.designs) if w <= self.wave and question.asked(w)]

    def waves_for(self, question: Question, request: MetricRequest) -> list[int]:
        """The waves a request shows, oldest first."""
        asked = self.asked_waves(question)
        spec = request.waves
        if spec == "all":
            chosen = asked
        elif isinstance(spec, int):
            chosen = asked[-spec:] if spec > 0 else asked
        else:
            chosen = [w for w in asked if w in spec]
        if not chosen:
            raise ConfigError(
                f"{request.kind!r} on {question.id!r}: no loaded wave up to {self.wave} asked it "
                f"(codebook waves {question.waves}, loaded {sorted(self.designs)})"
            )
        return chosen

    def previous_wave(self, question: Question, wave: int) -> int | None:
        earlier = [w for w in self.asked_waves(question) if w < wave]
        return earlier[-1] if earlier else None

    def frame_column(self, design: SurveyDesign, name: str) -> pd.Series:
        """The wave's column ``name`` as it is in the frame, or a ConfigError naming wave and column."""
        try:
            return design.frame[name]
        except KeyError:
            raise ConfigError(f"wave {design.year}: column {name!r} is not in the wave file") from None

    def column(self, design: SurveyDesign, name: str) -> np.ndarray:
        """The wave's column ``name`` as an array."""
        return self.frame_column(design, name).to_numpy()

    def coded(self, question: Question, design: SurveyDesign) -> CodedAnswers:
        """The open answers of ``question`` in the wave, coded with the wave's code frame (once per wave)."""
        key = (question.id, design.year)
        if key not in self._coded:
            frame = self.project.codeframes[question.frame_for(design.year)]
            # the column as it is (pandas' string dtype): coded per distinct verbatim without a str per respondent
            self._coded[key] = code_answers(frame, self.frame_column(design, question.id))
        return self._coded[key]

    def routed(self, design: SurveyDesign, question: Question) -> np.ndarray:
        key = ("routed", question.id, design.year)
        if key not in self._masks:
            self._masks[key] = routed_mask(design.frame, question)
        return self._masks[key]

    # -------------------------------------------------------------- groups

    def groups(self, request: MetricRequest, total: bool = True) -> list[Group]:
        """The total (unless ``total`` is False) and each requested subgroup.

        A grouping (``by``) is any demographic (``sex``, ``age_group``, ``region``) or single-choice
        question id, or a crossing of two or more of them such as ``unit*channel`` (every
        combination, first variable slowest; ``sex_age`` is ``sex*age_group`` under its own name).
        """
        out = [Group("total", "total")] if total else []
        for spec in request.by:
            out += self.grouping(spec, f"{request.kind!r} on {request.question!r}: by")
        return out

    def grouping(self, spec: str, where: str = "by") -> list[Group]:
        """The groups of one grouping ``spec`` (a variable or a crossing ``a*b``), in codebook order."""
        codebook = self.project.codebook
        names = grouping_names(spec)
        if len(names) == 1:
            var = variable(codebook, names[0], where)
            return [Group(var.name, key) for key in var.keys]
        variables = crossed(codebook, spec, where)
        out = []
        for combo in itertools.product(*[range(len(v.keys)) for v in variables]):
            keys = [v.keys[i] for v, i in zip(variables, combo, strict=True)]
            parts = tuple((v.name, k) for v, k in zip(variables, keys, strict=True))
            out.append(Group(spec, " ".join(keys), parts))
        return out

    def group_mask(self, design: SurveyDesign, group: Group) -> np.ndarray:
        key = ("group", design.year, group.var, group.key)
        if key not in self._masks:
            frame = design.frame
            if group.var == "total":
                mask = np.ones(len(frame), dtype=bool)
            else:
                mask = np.ones(len(frame), dtype=bool)
                for name, part in group.parts or ((group.var, group.key),):
                    mask &= self._category_mask(design, name, part)
            self._masks[key] = mask
        return self._masks[key]

    def _category_mask(self, design: SurveyDesign, name: str, key: str) -> np.ndarray:
        """True for the wave's respondents in category ``key`` of variable ``name``."""
        frame = design.frame
        var = variable(self.project.codebook, name)
        if var.source == "demographic":
            if name not in frame.columns:
                raise ConfigError(f"wave {design.year}: the deck groups by {name!r}, but the wave file has no {name} column; "
                                  f"add the column or remove {name!r} from the slide's by")
            return np.asarray(frame[name] == key, dtype=bool)
        values = frame[name].to_numpy() if name in frame else np.full(len(frame), MISSING)  # not asked in this wave
        return np.asarray(values == int(key), dtype=bool)


# ------------------------------------------------------------------ the part of a measure shared by its groups


class PerDesign:
    """``fn(design)`` memoised for the design last asked about.

    A measure is called once per wave and group (:func:`build_rows` goes through the
    groups of one wave before the next wave), and most of its work (the item's
    answered and routed respondents, its indicators, codes) does not depend on the
    group: compute that once per wave with ``PerDesign(prepare)(design)`` and only the
    group's domain per call. One wave is kept at a time, so a million-respondent wave's
    arrays are not held for every wave.
    """

    def __init__(self, fn: Callable[[SurveyDesign], Any]) -> None:
        self.fn = fn
        self.design: SurveyDesign | None = None
        self.value: Any = None

    def __call__(self, design: SurveyDesign) -> Any:
        if self.design is not design:
            self.value, self.design = None, None  # free the previous wave's arrays first
            self.value, self.design = self.fn(design), design
        return self.value


def code_range(values: np.ndarray) -> np.ndarray:
    """Every code from the smallest to the largest in a closed answer column (blank, -1, included).

    A :class:`~pipeline.design.CodeSums` over the column with ``low=codes[0]`` takes one pass over
    the respondents; every measure that is a function of the answer (bands, scores, indicators)
    is then worked out per code.
    """
    if len(values) == 0:
        return np.zeros(1, dtype=np.int64)
    return np.arange(int(values.min()), int(values.max()) + 1)


def columns_matrix(columns: list[np.ndarray]) -> np.ndarray:
    """n × K float matrix of the columns, column-major, so that each estimate column is read contiguously."""
    out = np.empty((len(columns[0]) if columns else 0, len(columns)), order="F")
    for j, c in enumerate(columns):
        out[:, j] = c
    return out


# ------------------------------------------------------------------ cells from estimates


def cells(est: Estimates, keys: Iterable[str], labels: Iterable[str] | None, measure: str, unit: str) -> list[Cell]:
    """Turn an :class:`Estimates` of K quantities into K cells in ``unit``.

    ``labels`` only for language-neutral labels ("7-10", "NPS"); None leaves the words to the presentation.
    """
    scale = UNIT_SCALE[unit]
    keys = [str(k) for k in keys]
    names: list[str | None] = [str(lab) for lab in labels] if labels is not None else [None] * len(keys)
    return [
        Cell(k, lab, measure, float(v) * scale, float(s) * scale, est.n, est.weighted_n, est.effective_n, unit)
        for k, lab, v, s in zip(keys, names, est.value, est.se, strict=True)
    ]


# ------------------------------------------------------------------ rows with change and significance


def build_rows(
    ctx: MetricContext,
    request: MetricRequest,
    question: Question | None,
    item: str,
    waves: list[int],
    groups: list[Group],
    measure: Callable[[SurveyDesign, np.ndarray], list[Cell]],
    previous: Callable[[int], int | None] | None = None,
) -> pd.DataFrame:
    """Evaluate ``measure`` for each wave and group and attach bases, flags, change and significance.

    ``measure(design, group_mask)`` returns the cells of one wave and group. The
    previous wave of each shown wave is evaluated too (if loaded) so that the
    first shown wave is also tested against its predecessor.
    """
    stats = ctx.stats
    z = NormalDist().inv_cdf(0.5 + stats.confidence_level / 2)
    alpha = stats.alpha
    previous = previous or (lambda w: ctx.previous_wave(question, w) if question is not None else None)
    needed = sorted(set(waves) | {earlier for w in waves if (earlier := previous(w)) is not None})
    results: dict[tuple[int, str], list[Cell]] = {}
    for wave in needed:
        design = ctx.designs[wave]
        for group in groups:
            results[(wave, group.key)] = measure(design, ctx.group_mask(design, group))
    item_label = None if question is not None else ""  # the question's or item's text: the presentation's
    rows = []
    for wave in waves:
        prev = previous(wave)
        for group in groups:
            before = {(c.category, c.measure): c for c in results.get((prev, group.key), [])} if prev else {}
            for c in results[(wave, group.key)]:
                flag = base_flag(c.n, stats.low_base.suppress_below, stats.low_base.flag_below)
                value, se = (c.value, c.se) if flag != "suppressed" else (math.nan, math.nan)
                row: dict[str, Any] = {
                    "metric": request.kind, "measure": c.measure, "question": question.id if question else "",
                    "item": item, "item_label": item_label, "wave": wave, "group_var": group.var, "group": group.key, "group_label": None,
                    "category": c.category, "label": c.label, "value": value, "se": se,
                    "ci_low": value - z * se if c.unit != "coefficient" else math.nan,
                    "ci_high": value + z * se if c.unit != "coefficient" else math.nan,
                    "unit": c.unit, "n": c.n, "n_weighted": c.n_weighted, "n_effective": c.n_effective,
                    "base_flag": flag, "prev_wave": prev if prev else None,
                    "change": math.nan, "change_rel": math.nan, "p_value": math.nan, "sig": "",
                }
                old = before.get((c.category, c.measure))
                if old is not None:
                    old_flag = base_flag(old.n, stats.low_base.suppress_below, stats.low_base.flag_below)
                    if flag != "suppressed" and old_flag != "suppressed" and np.isfinite(old.value) and np.isfinite(c.value):
                        row["change"] = c.value - old.value
                        row["change_rel"] = (c.value / old.value - 1) * 100 if old.value else math.nan
                        # one wave may have SE 0 (a share of 0 or 100 %): the test still holds on the other's SE
                        if c.unit != "coefficient" and (c.se > 0 or old.se > 0):
                            _, p = difference_test(old.value, old.se, c.value, c.se)
                            row["p_value"] = p
                            if p < alpha:
                                row["sig"] = "▲" if c.value > old.value else "▼"
                rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def base_flag(n: int, suppress_below: int, flag_below: int) -> str:
    """``suppressed`` below the suppression threshold, ``low`` below the flag threshold, else ``ok``."""
    if n < suppress_below:
        return "suppressed"
    if n < flag_below:
        return "low"
    return "ok"


def answered(values: np.ndarray) -> np.ndarray:
    """True where a closed answer is present (not blank)."""
    return np.asarray(values != MISSING, dtype=bool)
