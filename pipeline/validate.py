"""``survey-deck validate``: the report as a dry run, without drawing or writing anything.

It goes through the stages of :mod:`pipeline.report` in the same order and with the
same functions, so a problem that stops ``report`` is found here with the same message:

1. the config, each file read once (every schema problem of every file);
2. the deck's metric and chart kinds and questions, and the template's layouts;
3. the output names (``report.name`` formatted with the wave, in every language);
4. every wave file: its population targets, code frames, columns and values, and its weighting;
5. every slide in every language: its metrics, chart specs (built, not drawn) and texts.

Unlike a report run, which stops at the first problem, validation goes on and lists every
problem it finds. A config file that cannot be used does not stop the checks that do not
need it (a broken deck.yaml still lets the wave files be checked). The slides are dry-run
once the config and every wave the report reads are usable: before that, their problems
would only repeat the ones listed. Problems are user errors (:class:`PipelineError`); any
other exception is a bug and is not hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pipeline.config import check_project
from pipeline.errors import PipelineError
from pipeline.report import Plan, load_waves, output_name, pick_wave, weight_waves

if TYPE_CHECKING:  # pragma: no cover
    from pipeline.config import DeckConfig, Project
    from pipeline.content import ChartAreas
    from pipeline.design import SurveyDesign

T = TypeVar("T")


def validate_all(config_dir: Path, data_dir: Path | None = None, wave: int | None = None) -> tuple[list[str], str]:
    """Dry-run the report of ``wave`` (default: as ``report``); return (every problem, what was checked)."""
    from pipeline.wavefiles import discover_waves

    project, problems, dropped = check_project(config_dir)
    config_usable = not problems
    checked = [f"config {config_dir}"]
    if project is None:
        # survey.yaml or codebook.yaml unusable: the wave files cannot be checked against them
        if data_dir is not None:
            _collect(problems, discover_waves, Path(data_dir))
        return _unique(problems), ", ".join(checked)
    static_bad = _check_deck_questions(project, config_dir, dropped, problems)
    areas = None
    if project.deck is not None:
        areas = _collect(problems, _chart_areas, project)
        if areas is not None:
            checked.append("template")
    waves_dir = Path(data_dir) if data_dir else project.waves_dir
    files = _collect(problems, discover_waves, waves_dir)
    if files is None:
        return _unique(problems), ", ".join(checked)
    report_wave = _collect(problems, pick_wave, files, wave if wave is not None else project.survey.report.wave, waves_dir)
    if report_wave is not None:
        for lang in project.languages:  # a name too long or unformattable in one language: said once
            if _collect(problems, output_name, project, report_wave, lang) is None:
                break
    plan = Plan(project, waves_dir, files, report_wave if report_wave is not None else max(files), project.survey.report.lang)
    designs = _check_waves(plan, problems)
    checked.append(f"{len(files)} wave file(s) in {waves_dir}")
    needed = set(plan.used)
    if config_usable and report_wave is not None and areas is not None and needed <= set(designs):
        _dry_run_slides(project, {y: designs[y] for y in sorted(needed)}, report_wave, areas, static_bad, problems)
        checked.append(f"{len(project.deck.slides)} slides in {', '.join(project.languages)}")
    return _unique(problems), ", ".join(checked)


def _collect(problems: list[str], fn: Callable[..., T], *args: Any) -> T | None:
    """``fn(*args)``, or None with its user error appended to ``problems``."""
    try:
        return fn(*args)
    except PipelineError as exc:
        problems.append(str(exc))
        return None


def _unique(problems: list[str]) -> list[str]:
    """Each problem once, in the order found (two languages or two stages can meet the same one)."""
    return list(dict.fromkeys(problems))


def _chart_areas(project: Project) -> ChartAreas:
    from pipeline.deck import chart_areas

    return chart_areas(project.path(project.deck.template), project.deck.layouts)


def _check_deck_questions(project: Project, config_dir: Path, dropped: frozenset[str], problems: list[str]) -> set[str]:
    """List the questions of deck.yaml that the codebook lacks; return the ids of the slides with such problems.

    Unknown metric and chart kinds and bad options are listed by ``check_project`` already.
    """
    deck: DeckConfig | None = project.deck  # None in the partial project validate builds when deck.yaml has problems
    if deck is None:
        return set()
    bad: set[str] = set()
    deck_path = config_dir / project.survey.files.deck
    for slide in deck.slides:
        for name, request in slide.metrics.items():
            # a question left out of the codebook for its own problems is listed already
            if request.question and request.question not in project.codebook.by_id and request.question not in dropped:
                problems.append(f"{deck_path}: slide {slide.id}, metric {name!r}: question {request.question!r} is not in the codebook")
                bad.add(slide.id)
    return bad


def _check_waves(plan: Plan, problems: list[str]) -> dict[int, SurveyDesign]:
    """Check every wave file as the report reads it, and weight it; return the designs of the waves that passed."""
    project = plan.project
    designs: dict[int, SurveyDesign] = {}
    for year, path in sorted(plan.files.items()):
        targets_ok = project.targets is not None and _collect(problems, _targets, project, year) is not None
        for question in project.codebook.asked_in(year):
            if question.type == "open":
                _collect(problems, question.frame_for, year)
        try:
            wave = load_waves(plan, years=[year])[year]  # as the report reads it: stops at the file's first problem
        except PipelineError as exc:
            problems.extend(_file_problems(project, year, path, str(exc)))
            continue
        if targets_ok:
            weighted = _collect(problems, weight_waves, plan, {year: wave})
            if weighted is not None:
                designs.update(weighted)
    return designs


def _targets(project: Project, year: int) -> bool:
    from pipeline.weight import build_targets

    if project.survey.weighting.method != "none":  # an unweighted survey needs no targets
        build_targets(project, year)
    return True


def _file_problems(project: Project, year: int, path: Path, first: str) -> list[str]:
    """Every column problem of a wave file whose first problem is ``first``, in file order."""
    from pipeline.load import load_wave

    found: list[str] = []
    try:
        load_wave(_without_routing(project), year, path, problems=found)
    except PipelineError as exc:
        found.append(str(exc))
    return found if first in found else [first, *found]


def _without_routing(project: Project) -> Project:
    """``project`` with no question routed, for listing a broken file's problems.

    Routing only feeds the loader's warnings, which validation does not list, and the loader's
    routing check assumes every routed question's columns are present (its collecting mode
    meets a question whose column is absent otherwise).
    """
    from pipeline.config import Codebook

    codebook = project.codebook
    questions = [q.model_copy(update={"routing": None}) if q.routing is not None else q for q in codebook.questions]
    fields = {name: getattr(codebook, name) for name in Codebook.model_fields}
    return project.model_copy(update={"codebook": Codebook.model_construct(**{**fields, "questions": questions})})


def _dry_run_slides(
    project: Project, designs: dict[int, SurveyDesign], wave: int, areas: ChartAreas, skip: set[str], problems: list[str]
) -> None:
    """Build every slide (metrics, chart specs, texts) in every language, as the report would; list each slide's problem."""
    from pipeline.config import MetricRequest
    from pipeline.metrics import MetricContext, compute
    from pipeline.slides import SlideBuilder

    for lang in project.languages:
        builder = SlideBuilder(project, designs, wave, lang, areas)
        for spec in project.deck.slides:
            if spec.id not in skip:
                _collect(problems, builder.build, spec)
        _collect(problems, compute, MetricContext(project, designs, wave), MetricRequest(kind="weighting", waves="all"))
