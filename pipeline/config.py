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
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.errors import ConfigError
from pipeline.yamlio import read_yaml

LANGS = ("sv", "en")
Lang = Literal["sv", "en"]


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


class I18n(Frozen):
    """A text in Swedish and English."""

    sv: str
    en: str

    def get(self, lang: str) -> str:
        """Return the text in ``lang`` ("sv" or "en")."""
        return self.sv if lang == "sv" else self.en


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
    def _check(self) -> "Scale":
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
    def _check_shape(self) -> "Question":
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
    """Where respondent id, sex, age and region live in a wave file and how they are coded."""

    respondent_id: str = "respondent_id"
    sex_column: str = "sex"
    sex: list[DemographicCategory]
    age_column: str = "age"
    age_group_column: str = "age_group"
    age_min: int = 16
    age_max: int = 110
    age_groups: list[AgeGroup]
    region_column: str = "region"
    region: list[DemographicCategory]
    design_weight_column: str = "design_weight"

    def categories(self, variable: str) -> list[str]:
        """Return the canonical category names of a demographic variable."""
        if variable == "sex":
            return [c.name for c in self.sex]
        if variable == "age_group":
            return [g.name for g in self.age_groups]
        if variable == "region":
            return [c.name for c in self.region]
        raise ConfigError(f"unknown demographic variable {variable!r}; use sex, age_group or region")

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
    def _unique(self) -> "Codebook":
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


class YearTargets(Frozen):
    """Population shares for one wave year: sex × age cells, optionally region."""

    reference_date: str
    sex_age: dict[str, dict[str, float]]
    region: dict[str, float] | None = None


class Targets(Frozen):
    source: str
    population: str
    years: dict[int, YearTargets]


# --------------------------------------------------------------------------- survey


class Trim(Frozen):
    """Weight bounds relative to the mean weight; re-raking keeps the margins."""

    lower: float = 0.2
    upper: float = 5.0
    max_rounds: int = 100

    @model_validator(mode="after")
    def _check(self) -> "Trim":
        if not (0 < self.lower < 1 < self.upper):
            raise ValueError(f"trim bounds must satisfy 0 < lower < 1 < upper (got lower={self.lower}, upper={self.upper})")
        return self


class Weighting(Frozen):
    method: Literal["rake", "poststratify"] = "rake"
    variables: list[Literal["sex", "age_group", "region"]] = Field(default_factory=lambda: ["sex", "age_group"])
    tolerance: float = 1e-10
    max_iterations: int = 1000
    trim: Trim | None = None
    missing_demographics: Literal["error", "exclude", "impute"] = "error"
    collapse: dict[str, dict[str, str]] = Field(default_factory=dict)

    @field_validator("variables")
    @classmethod
    def _vars(cls, v: list[str]) -> list[str]:
        if "sex" not in v or "age_group" not in v:
            raise ValueError("weighting variables must include sex and age_group")
        if len(set(v)) != len(v):
            raise ValueError("weighting variables repeat")
        return v


class LowBase(Frozen):
    suppress_below: int = 30
    flag_below: int = 100


class Statistics(Frozen):
    confidence_level: float = 0.95
    significance_level: float = 0.95
    low_base: LowBase = LowBase()


class SurveyInfo(Frozen):
    name: I18n
    client: str
    supplier: str
    panel: I18n
    fieldwork: dict[int, I18n]
    contact: str = ""


class ReportDefaults(Frozen):
    wave: int | Literal["latest"] = "latest"
    lang: Lang = "sv"
    output_dir: str = "output"
    name: str = "1177-{wave}"


class Files(Frozen):
    codebook: str = "codebook.yaml"
    targets: str = "targets.yaml"
    codeframes: str = "codeframes"
    deck: str = "deck.yaml"
    waves: str = "../data/waves"


class SurveyConfig(Frozen):
    survey: SurveyInfo
    files: Files = Files()
    weighting: Weighting = Weighting()
    statistics: Statistics = Statistics()
    report: ReportDefaults = ReportDefaults()


# --------------------------------------------------------------------------- deck


class MetricRequest(Frozen):
    """One metric a slide asks for: a registered kind applied to a question."""

    kind: str
    question: str | None = None
    items: list[str] | None = None
    waves: int | Literal["all"] | list[int] = 1
    by: list[str] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)


class ChartRequest(Frozen):
    """A chart of a slide: its kind, the metric it draws (by name) and kind-specific options."""

    kind: str
    metric: str = "main"
    options: dict[str, Any] = Field(default_factory=dict)


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
    def _check(self) -> "SlideSpec":
        need = {"chart": 1, "two_charts": 2}.get(self.layout, 0)
        if len(self.charts) != need:
            raise ValueError(f"slide {self.id}: layout {self.layout!r} takes {need} chart(s), got {len(self.charts)}")
        for chart in self.charts:
            if chart.metric not in self.metrics:
                raise ValueError(f"slide {self.id}: chart uses metric {chart.metric!r}, which the slide does not define (has {sorted(self.metrics)})")
        return self


class DeckConfig(Frozen):
    template: str
    layouts: dict[str, str]
    strings: str = "../templates/text/strings.yaml"
    slides: list[SlideSpec]

    @model_validator(mode="after")
    def _ids(self) -> "DeckConfig":
        ids = [s.id for s in self.slides]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"slide ids repeat: {dupes}")
        missing = {"title", "section", "chart", "two_charts", "text"} - set(self.layouts)
        if missing:
            raise ValueError(f"layouts lacks {sorted(missing)}")
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

    def text(self, key: str, lang: str) -> str:
        try:
            return self.strings[key].get(lang)
        except KeyError:
            raise ConfigError(f"{self.deck.strings}: no string {key!r}") from None


def _format_validation(path: Path, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    got = err.get("input")
    more = f" ({len(exc.errors())} problems; first shown)" if len(exc.errors()) > 1 else ""
    shown = "" if isinstance(got, (dict, list)) or got is None else f" (got {got!r})"
    return f"{path}: {loc}: {msg}{shown}{more}"


def parse(model: type[Frozen], data: Any, path: Path) -> Any:
    """Validate ``data`` (from ``path``) into ``model`` or raise a one-line ConfigError."""
    if data is None:
        raise ConfigError(f"{path}: file is empty; expected a mapping of settings")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation(path, exc)) from None


def _check_codeframe_patterns(frame: CodeFrame, path: Path) -> None:
    for cat in frame.categories:
        for pattern in cat.patterns:
            try:
                re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                raise ConfigError(
                    f"{path}: code frame {frame.key}, category {cat.key!r}: invalid pattern {pattern!r} ({exc}); "
                    "write a Python regular expression, e.g. '\\bvårdcentral'"
                ) from None
    for pattern in frame.dont_know_patterns:
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise ConfigError(f"{path}: code frame {frame.key}: invalid dont_know pattern {pattern!r} ({exc})") from None
    keys = {c.key for c in frame.categories}
    for net in frame.nets:
        unknown = [m for m in net.members if m not in keys]
        if unknown:
            raise ConfigError(f"{path}: code frame {frame.key}, net {net.key!r}: unknown members {unknown}; categories are {sorted(keys)}")


def _check_targets(targets: Targets, codebook: Codebook, path: Path) -> None:
    sexes = codebook.demographics.categories("sex")
    ages = codebook.demographics.categories("age_group")
    for year, yt in targets.years.items():
        for sex, row in yt.sex_age.items():
            if sex not in sexes:
                raise ConfigError(f"{path}: years.{year}.sex_age: unknown sex {sex!r}; the codebook has {sexes}")
            for age in row:
                if age not in ages:
                    raise ConfigError(f"{path}: years.{year}.sex_age.{sex}: unknown age group {age!r}; the codebook has {ages}")
        if yt.region is not None:
            regions = codebook.demographics.categories("region")
            unknown = [r for r in yt.region if r not in regions]
            if unknown:
                raise ConfigError(f"{path}: years.{year}.region: unknown regions {unknown}; the codebook has {regions}")


def _check_cross_refs(codebook: Codebook, frames: dict[str, CodeFrame], path: Path) -> None:
    columns = {c for q in codebook.questions for c in q.columns}
    for q in codebook.questions:
        for use in q.codeframes:
            if use.frame not in frames:
                raise ConfigError(f"{path}: question {q.id!r} uses code frame {use.frame!r}, which is not in codeframes/ (have {sorted(frames)})")
        if q.routing is not None and q.routing.column not in columns:
            raise ConfigError(f"{path}: question {q.id!r} is routed on column {q.routing.column!r}, which no question has")


def hash_files(paths: list[Path]) -> str:
    """Return a SHA-256 over the names and bytes of ``paths`` (sorted)."""
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def load_project(config_dir: Path) -> Project:
    """Read and validate the whole config folder into a :class:`Project`."""
    config_dir = Path(config_dir)
    if not config_dir.is_dir():
        raise ConfigError(f"{config_dir}: config folder not found; pass --config DIR with survey.yaml in it")
    survey_path = config_dir / "survey.yaml"
    survey = parse(SurveyConfig, read_yaml(survey_path), survey_path)
    files = survey.files
    codebook_path = config_dir / files.codebook
    codebook = parse(Codebook, read_yaml(codebook_path), codebook_path)
    targets_path = config_dir / files.targets
    targets = parse(Targets, read_yaml(targets_path), targets_path)
    _check_targets(targets, codebook, targets_path)
    frames: dict[str, CodeFrame] = {}
    frame_dir = config_dir / files.codeframes
    frame_paths = sorted(frame_dir.glob("*.yaml")) if frame_dir.is_dir() else []
    for fp in frame_paths:
        frame = parse(CodeFrame, read_yaml(fp), fp)
        _check_codeframe_patterns(frame, fp)
        frames[frame.key] = frame
    _check_cross_refs(codebook, frames, codebook_path)
    deck_path = config_dir / files.deck
    deck = parse(DeckConfig, read_yaml(deck_path), deck_path)
    strings_path = (config_dir / deck.strings).resolve()
    raw_strings = read_yaml(strings_path)
    if not isinstance(raw_strings, dict):
        raise ConfigError(f"{strings_path}: expected a mapping of string keys to {{sv, en}} texts")
    strings = {k: parse(I18n, v, strings_path) for k, v in raw_strings.items()}
    all_files = [survey_path, codebook_path, targets_path, deck_path, strings_path, *frame_paths]
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
