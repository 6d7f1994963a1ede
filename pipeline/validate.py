"""``survey-deck validate``: check config and wave files without building anything.

Unlike a report run, which stops at the first problem, validation goes on
and lists every problem it finds: every schema problem of every config file,
each wave file's column problems, missing population targets and code frames
per wave year, the template's layouts, and the deck's metric and chart kinds.
A config file that cannot be used does not stop the checks that do not need
it (a broken deck.yaml still lets the wave files be checked).
"""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import PipelineError


def validate_all(config_dir: Path, data_dir: Path | None = None) -> tuple[list[str], str]:
    """Return (problems, what was checked)."""
    from pipeline.config import check_project
    from pipeline.load import discover_waves, load_wave
    from pipeline.weight import build_targets

    project, problems = check_project(config_dir)
    checked = [f"config {config_dir}"]
    if project is None:
        # survey.yaml or codebook.yaml unusable: the wave files cannot be checked against them
        if data_dir is not None:
            try:
                discover_waves(Path(data_dir))
            except PipelineError as exc:
                problems.append(str(exc))
        return problems, ", ".join(checked)
    deck = project.deck
    if deck is not None:
        # unknown kinds and bad options are listed by check_project
        in_file = _question_ids_in_file(config_dir / project.survey.files.codebook)  # incl. questions with problems (listed already)
        for slide in deck.slides:
            for name, request in slide.metrics.items():
                if request.question and request.question not in project.codebook.by_id and request.question not in in_file:
                    problems.append(f"{config_dir / project.survey.files.deck}: slide {slide.id}, metric {name!r}: question {request.question!r} is not in the codebook")
        try:
            from pipeline.deck import chart_areas

            chart_areas(project.path(deck.template), deck.layouts)
            checked.append("template")
        except PipelineError as exc:
            problems.append(str(exc))
    waves_dir = Path(data_dir) if data_dir else project.waves_dir
    try:
        files = discover_waves(waves_dir)
    except PipelineError as exc:
        problems.append(str(exc))
        return problems, ", ".join(checked)
    for year, path in sorted(files.items()):
        if project.targets is not None:
            try:
                build_targets(project, year)
            except PipelineError as exc:
                problems.append(str(exc))
        for question in project.codebook.asked_in(year):
            if question.type != "open":
                continue
            try:
                question.frame_for(year)
            except PipelineError as exc:
                problems.append(str(exc))
        found: list[str] = []
        try:
            load_wave(project, year, path, problems=found)
        except PipelineError as exc:
            found.append(str(exc))
        problems.extend(found)
    checked.append(f"{len(files)} wave file(s) in {waves_dir}")
    return problems, ", ".join(checked)


def _question_ids_in_file(path: Path) -> set[str]:
    """The ids of every question written in codebook.yaml, usable or not."""
    from pipeline.yamlio import read_yaml

    try:
        data = read_yaml(path)
    except PipelineError:
        return set()
    questions = data.get("questions") if isinstance(data, dict) else None
    return {str(q["id"]) for q in questions or [] if isinstance(q, dict) and "id" in q}
