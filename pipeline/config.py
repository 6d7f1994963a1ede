"""Config, parsed once into frozen, typed objects.

The project config lives in one folder (``config/`` by default):

* ``survey.yaml``: the survey (name, fieldwork), where the waves are, weighting,
  statistics thresholds and the report defaults; it names the other files;
* ``codebook.yaml``: demographics and every question of the deck;
* ``targets.yaml``: population targets per wave year;
* ``codeframes/*.yaml``: versioned code frames for open-ended questions;
* ``deck.yaml``: the ordered list of slides.

:func:`load_project` reads and validates all of them and returns a
:class:`Project`. Stages receive these objects and never read YAML themselves.
A schema error names the file, the key path and what is allowed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from types import UnionType
from typing import Any, Literal, NamedTuple, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.errors import ConfigError, did_you_mean
from pipeline.yamlio import read_yaml

LANGS = ("sv", "en")  # the default of report.languages in survey.yaml


def wave_in(waves: list[int | str], wave: int) -> bool:
    """True if ``wave`` is listed in ``waves`` or inside an open range such as '2020-'."""
    for w in waves:
        if isinstance(w, int) and w == wave:
            return True
        if isinstance(w, str) and w.endswith("-") and w[:-1].isdigit() and wave >= int(w[:-1]):
            return True
    return False


def _check_waves(v: list[int | str]) -> list[int | str]:
    for w in v:
        if isinstance(w, str) and not (w.endswith("-") and w[:-1].isdigit()):
            raise ValueError(f"a wave is a year (2022) or an open range from a year ('2020-'); got {w!r}")
    return v


class Frozen(BaseModel):
    """Base for config objects: immutable, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class I18n(BaseModel):
    """A text in each language it is written in: ``{sv: …, en: …}``, keyed by language code.

    Any language codes are accepted; which ones every text must have is
    ``report.languages`` in survey.yaml, checked when the config is loaded.
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    @model_validator(mode="after")
    def _texts(self) -> I18n:
        texts = self.__pydantic_extra__ or {}
        if not texts:
            raise ValueError("a text needs at least one language, e.g. {sv: …, en: …}")
        for code, text in texts.items():
            if not isinstance(text, str):
                raise ValueError(f"the {code!r} text must be a string (got {type(text).__name__} {text!r}); quote it")
        return self

    @property
    def languages(self) -> tuple[str, ...]:
        """The language codes this text is written in, in file order."""
        return tuple(self.__pydantic_extra__ or {})

    def get(self, lang: str) -> str:
        """Return the text in ``lang``; a ConfigError if the text has none in that language."""
        texts: dict[str, str] = self.__pydantic_extra__ or {}
        try:
            return texts[lang]
        except KeyError:
            first = next(iter(texts.values()), "")
            raise ConfigError(
                f"the text {first[:40]!r} has no {lang!r} version (it has {', '.join(texts)}); add {lang}: … to it "
                f"and {lang} to report.languages in survey.yaml"
            ) from None


# --------------------------------------------------------------------------- codebook


class Category(Frozen):
    """One answer option of a closed question: its code in the file and its labels."""

    code: int
    label: I18n
    short: I18n | None = None

    def text(self, lang: str, short: bool = True) -> str:
        if short and self.short is not None:
            return self.short.get(lang)
        return self.label.get(lang)


class Scale(Frozen):
    """A numeric rating scale, e.g. 1–10 or 0–10, with its anchor labels."""

    min: int
    max: int
    anchors: dict[int, I18n] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Scale:
        if self.max <= self.min:
            raise ValueError(f"scale max ({self.max}) must be above min ({self.min})")
        return self

    @property
    def points(self) -> list[int]:
        return list(range(self.min, self.max + 1))


class NpsBands(Frozen):
    """Score bands of a Net Promoter item; NPS = % promoters − % detractors."""

    detractors: tuple[int, int]
    passives: tuple[int, int]
    promoters: tuple[int, int]


class WordingChange(Frozen):
    """The wording used in some waves when it differs from the current one."""

    waves: list[int]
    text: I18n


class Item(Frozen):
    """One item of a grid or multi-response question: one column in the wave file."""

    id: str
    text: I18n
    short: I18n | None = None
    wording_changes: list[WordingChange] = Field(default_factory=list)

    def label(self, lang: str) -> str:
        return (self.short or self.text).get(lang)


class Routing(Frozen):
    """Who was asked: only respondents whose ``column`` holds one of ``codes``."""

    column: str
    codes: list[int]
    description: I18n


class CodeFrameUse(Frozen):
    """Which code frame (``id@version``) codes an open question in which waves ('2022-' = from 2022 on)."""

    waves: list[int | str]
    frame: str

    _waves = field_validator("waves")(classmethod(lambda cls, v: _check_waves(v)))


class Question(Frozen):
    """A question of the survey as delivered in the wave files.

    ``type`` is one of: ``single`` (one code per respondent), ``scale`` (a
    numeric rating, e.g. 1–10), ``grid`` (several items sharing categories or a
    scale, one column each), ``multi`` (multi-response, one 0/1 column per
    item), ``open`` (raw text coded by a code frame).
    """

    id: str
    type: Literal["single", "scale", "grid", "multi", "open"]
    text: I18n
    waves: list[int | str]
    categories: list[Category] = Field(default_factory=list)
    scale: Scale | None = None
    items: list[Item] = Field(default_factory=list)
    dont_know: Literal["none", "keep", "exclude"] = "none"
    routing: Routing | None = None
    wording_changes: list[WordingChange] = Field(default_factory=list)
    codeframes: list[CodeFrameUse] = Field(default_factory=list)
    nps: NpsBands | None = None
    note: I18n | None = None

    _waves = field_validator("waves")(classmethod(lambda cls, v: _check_waves(v)))

    def asked(self, wave: int) -> bool:
        """True if the question is asked in ``wave`` (listed, or inside an open range such as '2020-')."""
        return wave_in(self.waves, wave)

    @model_validator(mode="after")
    def _check_shape(self) -> Question:
        if self.type in ("single",) and not self.categories:
            raise ValueError(f"question {self.id!r} of type single needs categories")
        if self.type == "scale" and self.scale is None:
            raise ValueError(f"question {self.id!r} of type scale needs a scale")
        if self.type in ("grid", "multi") and not self.items:
            raise ValueError(f"question {self.id!r} of type {self.type} needs items")
        if self.type == "grid" and (self.scale is None) == (not self.categories):
            raise ValueError(f"grid question {self.id!r} needs either a scale or categories (not both)")
        if self.type == "open" and not self.codeframes:
            raise ValueError(f"open question {self.id!r} needs codeframes")
        if self.nps is not None and self.scale is None:
            raise ValueError(f"question {self.id!r} has nps bands but no scale")
        return self

    @property
    def columns(self) -> list[str]:
        """Return the wave-file columns that hold this question's answers."""
        if self.type in ("grid", "multi"):
            return [item.id for item in self.items]
        return [self.id]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise ConfigError(f"question {self.id!r} has no item {item_id!r}; items are {[i.id for i in self.items]}")

    def valid_codes(self) -> set[int]:
        """Return the answer codes allowed in a column of this question (without 'Vet ej')."""
        if self.type == "multi":
            return {0, 1}
        if self.scale is not None:
            return set(self.scale.points)
        return {c.code for c in self.categories}

    def wording(self, wave: int, lang: str, item_id: str | None = None) -> str:
        """Return the question (or item) text as asked in ``wave``."""
        changes = self.wording_changes
        base = self.text
        if item_id is not None:
            item = self.item(item_id)
            changes, base = item.wording_changes, item.text
        for change in changes:
            if wave in change.waves:
                return change.text.get(lang)
        return base.get(lang)

    def frame_for(self, wave: int) -> str:
        for use in self.codeframes:
            if wave_in(use.waves, wave):
                return use.frame
        raise ConfigError(f"codebook: open question {self.id!r} has no code frame for wave {wave}; add the wave to one of its codeframes")


class DemographicCategory(Frozen):
    """A demographic category: canonical name (as in targets), codes/labels accepted in files."""

    name: str
    code: int
    label: I18n
    aliases: list[str] = Field(default_factory=list)


class AgeGroup(Frozen):
    name: str
    min: int
    max: int | None = None
    code: int
    label: I18n


class Demographics(Frozen):
    """Where respondent id, sex, age and region live in a wave file and how they are coded.

    Every demographic is optional: a survey without a region column declares no ``region``
    categories, and sex and age are only needed when the weighting or the deck uses them (a
    declared demographic whose column is absent from a wave file is left out of that wave;
    using it then stops the run with an error naming the column).
    """

    respondent_id: str = Field("respondent_id", description="column of the respondent id (unique per wave)")
    sex_column: str = Field("sex", description="column of sex")
    sex: list[DemographicCategory] = Field(default_factory=list, description="sex categories; empty: the survey has no sex")
    age_column: str = Field("age", description="column of age in years")
    age_group_column: str = Field("age_group", description="column of the age group, when only groups are delivered")
    age_min: int = Field(16, description="youngest possible age; a younger age is an error")
    age_max: int = Field(110, description="oldest possible age; an older age is an error")
    age_groups: list[AgeGroup] = Field(default_factory=list, description="age groups; empty: the survey has no age")
    region_column: str = Field("region", description="column of region")
    region: list[DemographicCategory] = Field(
        default_factory=list, description="region categories; empty (the default): the survey has no region")
    design_weight_column: str = Field(
        "design_weight", description="column of design weights (optional; every weight 1 without it)")

    def categories(self, variable: str) -> list[str]:
        """Return the canonical category names of a demographic variable (empty if it is not declared)."""
        if variable == "sex":
            return [c.name for c in self.sex]
        if variable == "age_group":
            return [g.name for g in self.age_groups]
        if variable == "region":
            return [c.name for c in self.region]
        raise ConfigError(f"unknown demographic variable {variable!r}; use sex, age_group or region")

    def category_label(self, variable: str, name: str) -> I18n:
        """The label of the category ``name`` of a demographic variable."""
        pool: list[AgeGroup] | list[DemographicCategory] = (
            self.age_groups if variable == "age_group" else self.sex if variable == "sex" else self.region)
        for c in pool:
            if c.name == name:
                return c.label
        raise ConfigError(f"demographic {variable!r} has no category {name!r}; it has {self.categories(variable)}")

    def label(self, variable: str, name: str, lang: str) -> str:
        if variable == "age_group":
            for g in self.age_groups:
                if g.name == name:
                    return g.label.get(lang)
        pool = self.sex if variable == "sex" else self.region
        for c in pool:
            if c.name == name:
                return c.label.get(lang)
        return name


class Codebook(Frozen):
    """All questions of the survey plus the demographic columns."""

    version: str
    dont_know_code: int = 99
    dont_know_label: I18n = I18n(sv="Vet ej", en="Don't know")
    demographics: Demographics
    questions: list[Question]

    @model_validator(mode="after")
    def _unique(self) -> Codebook:
        seen: dict[str, str] = {}
        for q in self.questions:
            for col in q.columns + ([q.id] if q.type in ("grid", "multi") else []):
                if col in seen and seen[col] != q.id:
                    raise ValueError(f"column {col!r} is used by both {seen[col]!r} and {q.id!r}")
                seen[col] = q.id
        return self

    @cached_property
    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def question(self, qid: str) -> Question:
        try:
            return self.by_id[qid]
        except KeyError:
            raise ConfigError(f"codebook has no question {qid!r}; known: {', '.join(sorted(self.by_id))}") from None

    def asked_in(self, wave: int) -> list[Question]:
        return [q for q in self.questions if q.asked(wave)]


# --------------------------------------------------------------------------- code frames


class CodeCategory(Frozen):
    key: str
    label: I18n
    patterns: list[str]


class CodeNet(Frozen):
    key: str
    label: I18n
    members: list[str]


class CodeFrame(Frozen):
    """A versioned code frame: regular-expression patterns per grouped category.

    Patterns are case-insensitive Python regular expressions matched anywhere
    in the verbatim. The first match (by position) is the first mention; every
    category that matches is a mention. Nets count people, not mentions.
    """

    id: str
    version: str
    description: I18n | None = None
    categories: list[CodeCategory]
    nets: list[CodeNet] = Field(default_factory=list)
    dont_know_patterns: list[str] = Field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"


# --------------------------------------------------------------------------- targets


def _text_keys(value: Any) -> Any:
    """A nested mapping with every key as text (YAML reads the key ``2`` of an answer code as a number)."""
    if isinstance(value, dict):
        return {str(k): _text_keys(v) for k, v in value.items()}
    return value


class CellTargets(Frozen):
    """Population targets in the cells of several variables crossed (post-stratification cells).

    ``shares`` nests one level per variable, in the order of ``variables``; e.g. for
    ``variables: [unit, channel]``: ``{"1": {"1": 0.12, "2": 0.05}, "2": {...}}``. A category is a
    demographic's name or a single-choice question's answer code.
    """

    variables: list[str] = Field(min_length=1, description="the crossed variables (demographics or single-choice question ids)")
    shares: dict[str, Any] = Field(description="the nested table of shares (or counts, see ``counts``), one level per variable")

    @field_validator("shares", mode="before")
    @classmethod
    def _keys(cls, v: Any) -> Any:
        return _text_keys(v)


class YearTargets(Frozen):
    """Population targets for one wave year: one-way ``margins`` and/or a joint ``cells`` table.

    Raking takes each weighting variable's shares from ``margins`` or, summed, from ``cells``;
    post-stratification needs ``cells`` over exactly the weighting variables. ``sex_age``
    (sex × age-group cells) and ``region`` (region margin) are the older forms of ``cells``
    and ``margins`` and are still read. Each table sums to 1 (checked to 1e-6) unless
    ``counts`` is true: then its values are population counts (e.g. visits) and are scaled to shares.
    """

    reference_date: str | None = Field(None, description="the date the population figures refer to")
    sex_age: dict[str, dict[str, float]] | None = Field(None, description="shares per sex and age group (older form of cells)")
    region: dict[str, float] | None = Field(None, description="shares per region (older form of margins.region)")
    margins: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="per variable, the share (or count) of each category, e.g. {channel: {1: 0.6, 2: 0.4}}")
    cells: CellTargets | None = Field(None, description="shares (or counts) of the crossed categories of several variables")
    counts: bool = Field(False, description="true: the values are population counts, scaled to shares per table")

    @field_validator("margins", mode="before")
    @classmethod
    def _keys(cls, v: Any) -> Any:
        return _text_keys(v)

    @model_validator(mode="after")
    def _one_form(self) -> YearTargets:
        if self.sex_age is not None and self.cells is not None:
            raise ValueError("give the cells either as sex_age (older form) or as cells, not both")
        if self.region is not None and "region" in self.margins:
            raise ValueError("give the region shares either as region (older form) or as margins.region, not both")
        return self

    def tables(self) -> list[tuple[tuple[str, ...], dict[str, Any], str]]:
        """Every target table: (its variables, its nested values, its key path in the year's block)."""
        out: list[tuple[tuple[str, ...], dict[str, Any], str]] = []
        if self.sex_age is not None:
            out.append((("sex", "age_group"), dict(self.sex_age), "sex_age"))
        if self.cells is not None:
            out.append((tuple(self.cells.variables), self.cells.shares, "cells.shares"))
        if self.region is not None:
            out.append((("region",), dict(self.region), "region"))
        out += [((v, ), dict(shares), f"margins.{v}") for v, shares in self.margins.items()]
        return out


class Targets(Frozen):
    """Where the figures come from, and one block of targets per wave year (not needed with ``weighting: none``)."""

    source: str = Field("", description="where the figures come from")
    population: str = Field("", description="the population they describe")
    years: dict[int, YearTargets] = Field(default_factory=dict, description="targets per wave year")


# --------------------------------------------------------------------------- survey


class Trim(Frozen):
    """Weight bounds relative to the mean weight; re-raking keeps the margins."""

    lower: float = 0.2
    upper: float = 5.0
    max_rounds: int = 100

    @model_validator(mode="after")
    def _check(self) -> Trim:
        if not (0 < self.lower < 1 < self.upper):
            raise ValueError(f"trim bounds must satisfy 0 < lower < 1 < upper (got lower={self.lower}, upper={self.upper})")
        return self


class Weighting(Frozen):
    """How each wave is weighted (survey.yaml ``weighting``).

    ``method: none`` gives every respondent weight 1 (or the design weight, if the file has a
    design-weight column) and standard errors without calibration, as R
    ``svydesign(ids = ~1, weights = ~w)``; ``weighting: none`` is short for it. ``rake`` and
    ``poststratify`` calibrate on ``variables``, which may be any declared demographic (``sex``,
    ``age_group``, ``region``) or single-choice question id, to the year's targets in targets.yaml.
    """

    method: Literal["rake", "poststratify", "none"] = Field(
        "rake", description="rake (margins), poststratify (cells of all variables crossed) or none (no calibration)")
    variables: list[str] = Field(
        default_factory=lambda: ["sex", "age_group"],
        description="calibration variables: demographics or single-choice question ids (ignored by method none)")
    tolerance: float = Field(1e-10, description="largest allowed gap between a weighted margin share and its target")
    max_iterations: int = Field(1000, description="raking sweeps before giving up")
    trim: Trim | None = Field(None, description="weight bounds relative to the mean weight")
    missing_demographics: Literal["error", "exclude", "impute"] = Field(
        "error", description="respondents without sex or age: stop, leave them out, or give them the commonest category")
    collapse: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="per variable, a category without respondents merged into a neighbour")

    @model_validator(mode="before")
    @classmethod
    def _short(cls, data: Any) -> Any:
        if data == "none":
            return {"method": "none"}
        return data

    @field_validator("collapse", mode="before")
    @classmethod
    def _collapse_keys(cls, v: Any) -> Any:
        return _text_keys(v) if isinstance(v, dict) else v

    @field_validator("variables")
    @classmethod
    def _vars(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("weighting variables repeat")
        return v

    @model_validator(mode="after")
    def _some(self) -> Weighting:
        if self.method != "none" and not self.variables:
            raise ValueError(f"weighting method {self.method} needs variables; list them, or use method: none")
        return self


class LowBase(Frozen):
    suppress_below: int = 30
    flag_below: int = 100


class Statistics(Frozen):
    """Interval and test settings, each in its own unmistakable form.

    ``confidence_level`` (0.8 ≤ c < 1, e.g. 0.95) sets the intervals ``ci_low``/``ci_high``;
    ``alpha`` (0 < alpha ≤ 0.2, e.g. 0.05) is the significance level of the test against the
    previous wave: a change is marked when its p-value is below alpha. The two ranges do not
    overlap, so a value written in the other's form is refused with the value probably meant.
    ``multiple_comparisons`` (``none``, ``bonferroni`` or ``holm``) corrects the crosstabs' column
    letters for the number of pairs tested within a block of columns.
    The old ``significance_level`` (a confidence level in disguise: 0.95 meant alpha 0.05) is
    refused with the same hint.
    """

    confidence_level: float = 0.95
    alpha: float = 0.05
    multiple_comparisons: Literal["none", "bonferroni", "holm"] = "none"
    low_base: LowBase = LowBase()

    @model_validator(mode="before")
    @classmethod
    def _old_key(cls, data: Any) -> Any:
        if isinstance(data, dict) and "significance_level" in data:
            value = data["significance_level"]
            if isinstance(value, (int, float)) and 0 < value <= 0.2:
                meant = f"{value!r} looks like alpha; write alpha: {value!r}"
            elif isinstance(value, (int, float)) and 0.8 <= value < 1:
                meant = f"{value!r} looks like a confidence level; write alpha: {_complement(value)} (= 1 − {value!r})"
            else:
                meant = "write alpha: 0.05 for tests at the 95 % level"
            raise ValueError(f"significance_level is no longer read (it was ambiguous); {meant}")
        return data

    @field_validator("alpha")
    @classmethod
    def _alpha(cls, v: float) -> float:
        if not 0 < v <= 0.2:
            hint = f"; {v!r} looks like a confidence level: write alpha: {_complement(v)}" if 0.8 <= v < 1 else ""
            raise ValueError(f"alpha is the significance level of the tests, 0 < alpha ≤ 0.2 (usually 0.05){hint}")
        return v

    @field_validator("confidence_level")
    @classmethod
    def _confidence(cls, v: float) -> float:
        if not 0.8 <= v < 1:
            hint = f"; {v!r} looks like alpha: write confidence_level: {_complement(v)}" if 0 < v <= 0.2 else ""
            raise ValueError(f"confidence_level of the intervals is 0.8 ≤ confidence_level < 1 (usually 0.95){hint}")
        return v


def _complement(value: float) -> str:
    """``1 − value`` as written by hand (0.95 → '0.05', not '0.050000000000000044')."""
    return f"{1 - value:.10g}"


class SurveyInfo(Frozen):
    """The survey as the deck's method slide and footers describe it; only ``name`` is required."""

    name: I18n = Field(description="the survey's name")
    client: str | I18n = Field("", description="who commissioned it (a name, or a text per language)")
    supplier: str = Field("", description="who collected the data (optional)")
    panel: I18n | None = Field(None, description="how respondents were recruited (optional)")
    fieldwork: dict[int, I18n] = Field(default_factory=dict, description="when each wave was collected, per year (optional)")
    contact: str | I18n = Field("", description="who to ask about the survey (optional; a name, or a text per language)")


class ReportDefaults(Frozen):
    wave: int | Literal["latest"] = "latest"
    lang: str = Field("sv", description="the default report language, one of ``languages`` (its outputs' names have no language suffix)")
    output_dir: str = "output"
    name: str = Field("report-{wave}", description="the outputs' file name; {wave} is the report wave")
    strict: bool = False  # a sentence whose claim fails the preflight check is an error (as `report --strict`)
    languages: list[str] = Field(
        default_factory=lambda: list(LANGS),
        description="the languages a deck can be made in: every text (survey.yaml, codebook, code frames, deck.yaml, "
                    "strings) must have each; a code Babel knows (sv, en, fi …)")

    @field_validator("languages")
    @classmethod
    def _languages(cls, v: list[str]) -> list[str]:
        from pipeline.numbers import babel_locale

        if not v:
            raise ValueError("list at least one language, e.g. [sv, en]")
        dupes = sorted({c for c in v if v.count(c) > 1})
        if dupes:
            raise ValueError(f"languages repeat: {dupes}")
        for code in v:
            try:
                babel_locale(code)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return v

    @model_validator(mode="after")
    def _lang_listed(self) -> ReportDefaults:
        if self.lang not in self.languages:
            raise ValueError(f"lang {self.lang!r} is not one of languages {self.languages}; add it there or pick one of them")
        return self


class Files(Frozen):
    """Where the survey's other files are, relative to the folder of survey.yaml."""

    codebook: str = "codebook.yaml"
    targets: str = Field("targets.yaml", description="population targets per year (not needed with weighting method none)")
    codeframes: str = "codeframes"
    deck: str = "deck.yaml"
    waves: str = Field("waves", description="the folder with one wave file per year")
    synth: str | None = Field(None, description="the population model `survey-deck synth` draws sample waves from (optional)")


class SurveyConfig(Frozen):
    survey: SurveyInfo
    files: Files = Files()
    weighting: Weighting = Weighting()
    statistics: Statistics = Statistics()
    report: ReportDefaults = ReportDefaults()


# --------------------------------------------------------------------------- deck


class MetricRequest(Frozen):
    """One metric a slide asks for: a registered kind applied to a question.

    ``options`` are checked against the kind's options model when the config is
    loaded (``pipeline.kinds``); the kind reads them typed.
    """

    kind: str = Field(description="the metric kind (see the metric kinds)")
    question: str | None = Field(None, description="codebook question id (not for ``weighting``)")
    items: list[str] | None = Field(None, description="grid or multi-response items to compute; default all")
    waves: int | Literal["all"] | list[int] = Field(
        1, description="the newest N waves that asked the question, ``all``, or a list of years")
    by: list[str] = Field(default_factory=list, description="subgroups besides the total: a demographic (``sex``, "
                          "``age_group``, ``region``), a single-choice question id, or a crossing such as ``unit*channel`` "
                          "(``sex_age`` = ``sex*age_group``)")
    options: dict[str, Any] = Field(default_factory=dict, description="the kind's options")


class ChartRequest(Frozen):
    """A chart of a slide: its kind, the metric it draws (by name) and kind-specific options
    (checked against the kind's options model when the config is loaded)."""

    kind: str = Field(description="the chart kind (see the chart kinds)")
    metric: str = Field("main", description="the name of the slide's metric the chart draws")
    options: dict[str, Any] = Field(default_factory=dict, description="the kind's options")


class SlideSpec(Frozen):
    """One slide of the deck: layout, metric(s), chart and jinja2 text templates."""

    id: str
    layout: Literal["title", "section", "chart", "two_charts", "text"]
    title: I18n
    subtitle: I18n | None = None
    question: I18n | None = None
    body: list[I18n] = Field(default_factory=list)
    metrics: dict[str, MetricRequest] = Field(default_factory=dict)
    charts: list[ChartRequest] = Field(default_factory=list)
    footnote: I18n | None = None
    commentary: list[I18n] = Field(default_factory=list)
    notes: list[I18n] = Field(default_factory=list)
    requires: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> SlideSpec:
        need = {"chart": 1, "two_charts": 2}.get(self.layout, 0)
        if len(self.charts) != need:
            raise ValueError(f"slide {self.id}: layout {self.layout!r} takes {need} chart(s), got {len(self.charts)}")
        for chart in self.charts:
            if chart.metric not in self.metrics:
                raise ValueError(f"slide {self.id}: chart uses metric {chart.metric!r}, which the slide does not define "
                                 f"(has {sorted(self.metrics)})")
        return self


class DeckConfig(Frozen):
    template: str
    layouts: dict[str, str] = Field(description="the template's layout name for each slide role the slides use "
                                    "(title, section, chart, two_charts, text); unused roles may be left out")
    strings: str = Field("strings.yaml", description="the fixed phrases of the deck per language (next to deck.yaml by default)")
    charts: Literal["picture", "native"] = Field(
        "picture", description="how charts go into the deck: 300 dpi pictures, or native PowerPoint charts whose data can be edited")
    slides: list[SlideSpec]

    @model_validator(mode="after")
    def _ids(self) -> DeckConfig:
        ids = [s.id for s in self.slides]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"slide ids repeat: {dupes}")
        used = {s.layout for s in self.slides}
        missing = sorted(used - set(self.layouts))
        if missing:
            users = {m: next(s.id for s in self.slides if s.layout == m) for m in missing}
            named = ", ".join(f"{m!r} (slide {users[m]})" for m in missing)
            raise ValueError(f"layouts lacks {named}; map each layout the slides use to a layout name of the template")
        return self


# --------------------------------------------------------------------------- project


class Project(Frozen):
    """Everything the pipeline needs to know, read once from the config folder."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    root: Path
    survey: SurveyConfig
    codebook: Codebook
    targets: Targets
    codeframes: dict[str, CodeFrame]
    deck: DeckConfig
    strings: dict[str, I18n]
    files_hash: str

    @property
    def waves_dir(self) -> Path:
        return (self.root / self.survey.files.waves).resolve()

    def path(self, relative: str) -> Path:
        """Resolve a path given in config relative to the config folder."""
        p = Path(relative)
        return p if p.is_absolute() else (self.root / p).resolve()

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages a deck can be made in (``report.languages`` of survey.yaml)."""
        return tuple(self.survey.report.languages)

    def text(self, key: str, lang: str) -> str:
        try:
            found = self.strings[key]
        except KeyError:
            raise ConfigError(f"{self.deck.strings}: no string {key!r}{did_you_mean(key, list(self.strings))}") from None
        return found.get(lang)


def _unwrap(annotation: Any) -> list[Any]:
    """The alternatives of a type annotation (``X | None`` → [X]); a plain type → [it]."""
    if get_origin(annotation) in (Union, UnionType):
        return [a for a in get_args(annotation) if a is not type(None)]
    return [annotation]


def _step(annotation: Any, key: object) -> Any:
    """The annotation one step down a schema: a model's field, a list's element or a dict's value."""
    for option in _unwrap(annotation):
        if isinstance(option, type) and issubclass(option, BaseModel):
            if isinstance(key, str) and key in option.model_fields:
                return option.model_fields[key].annotation
            continue
        origin = get_origin(option)
        if origin in (list, tuple) and isinstance(key, int):
            return get_args(option)[0] if get_args(option) else None
        if origin is dict:
            return get_args(option)[1] if len(get_args(option)) == 2 else None
    return None


def _allowed_keys(model: type[BaseModel], keys: list[object]) -> list[str] | None:
    """The keys a mapping at ``keys`` inside ``model`` may have, or None if unknown."""
    annotation: Any = model
    for key in keys:
        annotation = _step(annotation, key)
        if annotation is None:
            return None
    for option in _unwrap(annotation):
        if isinstance(option, type) and issubclass(option, BaseModel):
            return list(option.model_fields)
    return None


def _located(loc: tuple[Any, ...], data: Any, last_is_key: bool) -> tuple[list[object], str]:
    """Keys of an error location that exist in ``data`` (pydantic adds type tags such as 'int'
    for union members; they are dropped) and a readable path such as ``slides[3] (id 'S04').layout``."""
    keys: list[object] = []
    text = ""
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, list) and isinstance(part, int):
            node = node[part] if part < len(node) else None
            text += f"[{part}]"
            if isinstance(node, dict) and "id" in node and isinstance(node["id"], (str, int)):
                text += f" (id {node['id']!r})"
        elif isinstance(node, dict) and part in node or (last and last_is_key):
            node = node.get(part) if isinstance(node, dict) else None
            text += ("." if text else "") + str(part)
        else:
            continue  # a union-member tag, not a key of the file
        keys.append(part)
    return keys, text or "(top level)"


def validation_messages(path: Path, exc: ValidationError, model: type[BaseModel], data: Any, where: str = "") -> list[str]:
    """One line per schema problem: the file, the key path, what is wrong and what is allowed.

    ``where`` is the key path of ``data`` inside the file, if it is not the whole file.
    """
    grouped: dict[str, list[str]] = {}
    gots: dict[str, str] = {}
    for err in exc.errors():
        kind = err["type"]
        keys, at = _located(tuple(err["loc"]), data, last_is_key=kind in ("missing", "extra_forbidden"))
        at = f"{where}.{at}" if where and at != "(top level)" else (where or at)
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        got = err.get("input")
        if kind == "extra_forbidden" and keys:
            allowed = _allowed_keys(model, keys[:-1]) or []
            hint = did_you_mean(str(keys[-1]), allowed)
            msg = f"unknown key {keys[-1]!r}{hint}; allowed keys here: {', '.join(allowed)}" if allowed else f"unknown key {keys[-1]!r}"
        elif kind == "missing" and keys:
            msg = f"required key {keys[-1]!r} is missing; add it"
        elif not (isinstance(got, (dict, list)) or got is None):
            gots.setdefault(at, f" (got {got!r})")
        elif kind in ("model_type", "dict_type", "list_type") and got is not None:
            gots.setdefault(at, f" (got a {type(got).__name__})")
        grouped.setdefault(at, [])
        if msg not in grouped[at]:
            grouped[at].append(msg)
    return [f"{path}: {at}: {'; or '.join(msgs)}{gots.get(at, '')}" for at, msgs in grouped.items()]


def _format_validation(path: Path, exc: ValidationError, model: type[BaseModel] | None = None, data: Any = None, where: str = "") -> str:
    lines = validation_messages(path, exc, model or BaseModel, data, where)
    more = f" ({len(lines)} problems in this file; the first is shown, `survey-deck validate` lists them all)" if len(lines) > 1 else ""
    return lines[0] + more


def parse(model: type[BaseModel], data: Any, path: Path, problems: list[str] | None = None, where: str = "") -> Any:
    """Validate ``data`` (from ``path``) into ``model`` or raise a one-line ConfigError.

    With ``problems`` given, every schema problem is appended to it (one line
    each) and None is returned instead of raising.
    """
    if data is None:
        error = f"{path}: {where}: no value; expected a mapping" if where else f"{path}: file is empty; expected a mapping of settings"
    else:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            if problems is not None:
                problems.extend(validation_messages(path, exc, model, data, where))
                return None
            raise ConfigError(_format_validation(path, exc, model, data, where)) from None
    if problems is not None:
        problems.append(error)
        return None
    raise ConfigError(error)


def codeframe_problems(frame: CodeFrame, path: Path) -> list[str]:
    """Every invalid pattern and unknown net member of a code frame, one line each."""
    found = []
    for cat in frame.categories:
        for i, pattern in enumerate(cat.patterns):
            try:
                re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                found.append(
                    f"{path}: code frame {frame.key}, category {cat.key!r}, pattern {i + 1}: invalid regular expression "
                    f"{pattern!r} ({exc}); write a Python regular expression, e.g. '\\bvårdcentral' "
                    "(escape ( ) [ ] . + ? * with a backslash)"
                )
    for i, pattern in enumerate(frame.dont_know_patterns):
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            found.append(
                f"{path}: code frame {frame.key}, dont_know_patterns item {i + 1}: invalid regular expression {pattern!r} ({exc}); "
                "write a Python regular expression"
            )
    keys = {c.key for c in frame.categories}
    for net in frame.nets:
        unknown = [m for m in net.members if m not in keys]
        if unknown:
            found.append(f"{path}: code frame {frame.key}, net {net.key!r}: unknown members {unknown}; categories are {sorted(keys)}")
    return found


def _check_codeframe_patterns(frame: CodeFrame, path: Path) -> None:
    found = codeframe_problems(frame, path)
    if found:
        more = f" ({len(found)} problems in this file; `survey-deck validate` lists them all)" if len(found) > 1 else ""
        raise ConfigError(found[0] + more)


def _check_targets(targets: Targets, codebook: Codebook, path: Path) -> None:
    """Every target table names known variables and categories (one ConfigError for the first that does not)."""
    from pipeline.variables import variable

    for year, yt in targets.years.items():
        for names, values, at in yt.tables():
            where = f"{path}: years.{year}.{at}"
            variables = [variable(codebook, name, where) for name in names]

            def walk(node: Any, depth: int, trail: str, variables: list[Any] = variables, where: str = where) -> None:
                var = variables[depth]
                if not isinstance(node, dict):
                    raise ConfigError(f"{where}{trail}: expected one entry per {var.name} category")
                unknown = [k for k in node if k not in var.keys]
                if unknown:
                    what = {"sex": "sex", "age_group": "age group", "region": "regions"}.get(var.name, f"{var.name} category")
                    shown = repr(unknown[0]) if len(unknown) == 1 and var.name != "region" else repr(unknown)
                    raise ConfigError(f"{where}{trail}: unknown {what} {shown}"
                                      f"{did_you_mean(str(unknown[0]), var.keys)}; the codebook has {list(var.keys)}")
                if depth + 1 < len(variables):
                    for key, child in node.items():
                        walk(child, depth + 1, f"{trail}.{key}", variables, where)

            walk(values, 0, "")


def _check_groupings(deck: DeckConfig, codebook: Codebook, path: Path) -> None:
    """Every subgroup (``by``) of the deck names a demographic, a single-choice question or a crossing of them."""
    from pipeline.variables import crossed, grouping_names, variable

    for slide in deck.slides:
        for name, request in slide.metrics.items():
            for spec in request.by:
                where = f"{path}: slide {slide.id}: metric {name}: by"
                if len(grouping_names(spec)) == 1:
                    variable(codebook, spec, where)
                else:
                    crossed(codebook, spec, where)


def _check_weighting(survey: SurveyConfig, codebook: Codebook, path: Path) -> None:
    """The weighting variables are demographics or single-choice questions of the codebook."""
    from pipeline.variables import variable

    if survey.weighting.method != "none":
        for name in survey.weighting.variables:
            variable(codebook, name, f"{path}: weighting.variables")


def _check_kinds(deck: DeckConfig, path: Path, problems: list[str] | None, languages: list[str]) -> None:
    """Every metric and chart kind of the deck is known and its options fit the kind's model
    (raise on the first problem, or append them all to ``problems``)."""
    from pipeline.kinds import deck_problems

    found = deck_problems(deck, path, tuple(languages))
    if problems is not None:
        problems.extend(found)
    elif found:
        more = f" ({len(found)} problems in this file; `survey-deck validate` lists them all)" if len(found) > 1 else ""
        raise ConfigError(found[0] + more)


def text_language_gaps(value: Any, languages: tuple[str, ...] | list[str], where: str = "") -> list[str]:
    """The key paths of every text in ``value`` (a config object, recursively) lacking one of ``languages``.

    A text is an :class:`I18n`, or in free option mappings a dict whose keys are all language codes.
    Each entry reads ``key.path (no fi)``.
    """
    out: list[str] = []
    wanted = tuple(languages)
    if isinstance(value, I18n) or (isinstance(value, dict) and value and set(value) <= set(wanted)):
        have = value.languages if isinstance(value, I18n) else tuple(value)
        missing = [code for code in wanted if code not in have]
        if missing:
            out.append(f"{where or '(top)'} (no {', '.join(missing)})")
        return out
    if isinstance(value, BaseModel):
        items: list[tuple[str, Any]] = [(name, getattr(value, name)) for name in type(value).model_fields]
    elif isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, (list, tuple)):  # an entry named by its id, key or name where it has one: slides[S13]
        items = [(f"[{next((getattr(v, a) for a in ('id', 'key', 'name') if isinstance(getattr(v, a, None), str)), i)}]", v)
                 for i, v in enumerate(value)]
    else:
        return out
    for key, child in items:
        out += text_language_gaps(child, wanted, f"{where}{key}" if key.startswith("[") else f"{where}.{key}" if where else key)
    return out


def _check_languages(parts: list[tuple[Path, Any]], languages: tuple[str, ...] | list[str]) -> list[str]:
    """One line per config file some of whose texts lack a language of ``report.languages``."""
    out = []
    for path, value in parts:
        gaps = text_language_gaps(value, languages)
        if gaps:
            shown = "; ".join(gaps[:3]) + (f"; … ({len(gaps)} texts in all)" if len(gaps) > 3 else "")
            out.append(f"{path}: texts without every language of report.languages {list(languages)} in survey.yaml: {shown}; "
                       "add the missing language to each text or remove it from report.languages")
    return out


def _check_cross_refs(codebook: Codebook, frames: dict[str, CodeFrame], path: Path) -> None:
    columns = {c for q in codebook.questions for c in q.columns}
    for q in codebook.questions:
        for use in q.codeframes:
            if use.frame not in frames:
                raise ConfigError(f"{path}: question {q.id!r} uses code frame {use.frame!r}, which is not in codeframes/ "
                                  f"(have {sorted(frames)})")
        if q.routing is not None and q.routing.column not in columns:
            raise ConfigError(f"{path}: question {q.id!r} is routed on column {q.routing.column!r}, which no question has")


_SURVEY_STUB = {"name": {"sv": "", "en": ""}, "client": "", "supplier": "", "panel": {"sv": "", "en": ""}, "fieldwork": {}}


def _salvage(model: type[Frozen], data: dict[str, Any], exc: ValidationError, dropped: set[str]) -> Any:
    """For `validate` only, after the problems in ``exc`` were listed: the usable part of ``data``, or None.

    survey.yaml: top-level sections with problems fall back to their defaults (the survey texts to
    blanks); codebook.yaml: questions with problems are left out (their ids are added to ``dropped``).
    So a mistake in one section does not stop the wave files being checked against the rest.
    """
    locs = [tuple(e["loc"]) for e in exc.errors()]
    if model is SurveyConfig:
        bad = {loc[0] for loc in locs if loc}
        cleaned = {k: v for k, v in data.items() if k not in bad}
        if "survey" in bad or "survey" not in cleaned:
            cleaned["survey"] = _SURVEY_STUB
    elif model is Codebook:
        if any(len(loc) < 2 or loc[0] != "questions" or not isinstance(loc[1], int) for loc in locs):
            return None  # demographics or the codebook's own keys: the waves cannot be checked
        bad_questions = {loc[1] for loc in locs}
        questions = data["questions"]
        dropped.update(str(q["id"]) for i, q in enumerate(questions) if i in bad_questions and isinstance(q, dict) and "id" in q)
        cleaned = {**data, "questions": [q for i, q in enumerate(questions) if i not in bad_questions]}
    else:
        return None
    try:
        return model.model_validate(cleaned)
    except ValidationError:
        return None


def hash_files(paths: list[Path]) -> str:
    """Return a SHA-256 over the names and bytes of ``paths`` (sorted)."""
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def load_project(config_dir: Path) -> Project:
    """Read and validate the whole config folder into a :class:`Project`; stop at the first problem."""
    project = _load(Path(config_dir), None)
    assert project is not None
    return project


class ConfigCheck(NamedTuple):
    """What :func:`check_project` found: the (possibly partial) project, every problem, and the ids of
    questions written in codebook.yaml but left out for their problems (listed already)."""

    project: Project | None
    problems: list[str]
    dropped_questions: frozenset[str]


def check_project(config_dir: Path) -> ConfigCheck:
    """Read the config folder, each file once, collecting every problem instead of stopping at the first.

    When survey.yaml and codebook.yaml are usable the project is returned even if other
    files have problems, so the wave files can still be checked; its ``targets`` or
    ``deck`` is then None where that file could not be used. Otherwise the project is None.
    """
    problems: list[str] = []
    dropped: set[str] = set()
    try:
        project = _load(Path(config_dir), problems, dropped)
    except ConfigError as exc:
        return ConfigCheck(None, [*problems, str(exc)], frozenset(dropped))
    return ConfigCheck(project, problems, frozenset(dropped))


def _load(config_dir: Path, problems: list[str] | None, dropped: set[str] | None = None) -> Project | None:
    """The loader behind :func:`load_project` (``problems`` None: raise) and :func:`check_project` (collect)."""
    if not config_dir.is_dir():
        raise ConfigError(f"{config_dir}: config folder not found; pass --config DIR with survey.yaml in it")

    def attempt(fn: Callable[..., Any], *args: Any) -> Any:  # run a check, collecting its ConfigError when collecting
        if problems is None:
            return fn(*args)
        try:
            return fn(*args)
        except ConfigError as exc:
            problems.append(str(exc))
            return None

    def load(model: type[Frozen], path: Path, salvage: bool = False) -> Any:
        if problems is None:
            return parse(model, read_yaml(path), path)
        try:
            data = read_yaml(path)
        except ConfigError as exc:
            problems.append(str(exc))
            return None
        if not isinstance(data, dict):
            return parse(model, data, path, problems)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            problems.extend(validation_messages(path, exc, model, data))
            return _salvage(model, data, exc, dropped if dropped is not None else set()) if salvage else None

    survey_path = config_dir / "survey.yaml"
    survey = load(SurveyConfig, survey_path, salvage=True)
    files = survey.files if survey is not None else Files()
    codebook_path = config_dir / files.codebook
    codebook = load(Codebook, codebook_path, salvage=True)
    targets_path = config_dir / files.targets
    unweighted = survey is not None and survey.weighting.method == "none"
    # an unweighted survey may have no targets file
    targets = Targets() if unweighted and not targets_path.exists() else load(Targets, targets_path)
    if targets is not None and codebook is not None:
        try:
            _check_targets(targets, codebook, targets_path)
        except ConfigError as exc:
            if problems is None:
                raise
            problems.append(str(exc))
            targets = None
    frames: dict[str, CodeFrame] = {}
    frame_parts: list[tuple[Path, Any]] = []
    frame_dir = config_dir / files.codeframes
    frame_paths = sorted(frame_dir.glob("*.yaml")) if frame_dir.is_dir() else []
    for fp in frame_paths:
        frame = load(CodeFrame, fp)
        if frame is None:
            continue
        if problems is None:
            _check_codeframe_patterns(frame, fp)
        else:
            problems.extend(codeframe_problems(frame, fp))  # kept, so questions using it are not reported again
        frames[frame.key] = frame
        frame_parts.append((fp, frame))
    if codebook is not None:
        attempt(_check_cross_refs, codebook, frames, codebook_path)
        if survey is not None:
            attempt(_check_weighting, survey, codebook, survey_path)
    deck_path = config_dir / files.deck
    deck = load(DeckConfig, deck_path)
    if deck is not None:
        _check_kinds(deck, deck_path, problems, survey.report.languages if survey is not None else list(LANGS))
        if codebook is not None:
            attempt(_check_groupings, deck, codebook, deck_path)
    strings_rel = deck.strings if deck is not None else DeckConfig.model_fields["strings"].default
    strings_path = (config_dir / strings_rel).resolve()
    strings: dict[str, I18n] = {}
    raw_strings = attempt(read_yaml, strings_path)  # when collecting: None if unreadable (already listed)
    if isinstance(raw_strings, dict):
        for k, v in raw_strings.items():
            value = parse(I18n, v, strings_path, problems, where=str(k))
            if value is not None:
                strings[k] = value
    elif problems is None or not any(p.startswith(f"{strings_path}:") for p in problems):
        error = f"{strings_path}: expected a mapping of string keys to {{sv, en}} texts"
        if problems is None:
            raise ConfigError(error)
        problems.append(error)
    languages = survey.report.languages if survey is not None else list(LANGS)
    gaps = _check_languages([(survey_path, survey), (codebook_path, codebook), *frame_parts,
                             (deck_path, deck), (strings_path, strings)], languages)
    if problems is not None:
        problems.extend(gaps)
    elif gaps:
        raise ConfigError(gaps[0])
    if problems is None:
        all_files = [survey_path, codebook_path, *([targets_path] if targets_path.exists() else []), deck_path, strings_path, *frame_paths]
        return Project(
            root=config_dir.resolve(),
            survey=survey,
            codebook=codebook,
            targets=targets,
            codeframes=frames,
            deck=deck,
            strings=strings,
            files_hash=hash_files(all_files),
        )
    if survey is None or codebook is None:
        return None
    # Collecting for `validate`: a partial project (targets or deck may be None) so the waves can still be checked.
    return Project.model_construct(
        root=config_dir.resolve(), survey=survey, codebook=codebook, targets=targets, codeframes=frames,
        deck=deck, strings=strings, files_hash="",
    )
