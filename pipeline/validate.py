"""``survey-deck validate``: check config and wave files without building anything.

Unlike a report run, which stops at the first problem, validation goes on
and lists every problem it finds: each wave file's column problems, missing
population targets, the template's layouts, and the deck's metric and chart
kinds.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import PipelineError


def validate_all(config_dir: Path, data_dir: Path | None = None) -> tuple[list[str], str]:
    """Return (problems, what was checked)."""
    from pipeline import charts
    from pipeline.config import load_project
    from pipeline.load import discover_waves, load_wave
    from pipeline.metrics import kinds
    from pipeline.weight import build_targets

    problems: list[str] = []
    try:
        project = load_project(config_dir)
    except PipelineError as exc:
        return [str(exc)], f"config {config_dir}"
    checked = [f"config {config_dir}"]
    metric_kinds = set(kinds())
    for slide in project.deck.slides:
        for name, request in slide.metrics.items():
            if request.kind not in metric_kinds:
                problems.append(f"deck.yaml slide {slide.id}, metric {name!r}: unknown kind {request.kind!r}; supported: {', '.join(sorted(metric_kinds))}")
            if request.question and request.question not in project.codebook.by_id:
                problems.append(f"deck.yaml slide {slide.id}, metric {name!r}: question {request.question!r} is not in the codebook")
        for chart in slide.charts:
            if chart.kind not in charts.KINDS:
                problems.append(f"deck.yaml slide {slide.id}: unknown chart kind {chart.kind!r}; supported: {', '.join(sorted(charts.KINDS))}")
    try:
        from pipeline.deck import chart_areas

        chart_areas(project.path(project.deck.template), project.deck.layouts)
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
        try:
            build_targets(project, year)
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
