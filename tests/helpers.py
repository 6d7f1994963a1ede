"""Helpers for tests: tiny projects and designs built from inline frames, and the command line run on a
copy of the config (import as `from helpers import …`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from pipeline.config import Codebook, Project, Targets, Weighting
from pipeline.design import SurveyDesign
from pipeline.load import Wave, load_wave
from pipeline.weight import weight_wave

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config" / "1177"
WAVES = REPO / "data" / "1177" / "waves"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"
TEMPLATES = REPO / "templates"


def template_script():
    """``templates/make_template.py`` loaded as a module (its ``BRANDS`` table and ``build_template``)."""
    import importlib.util

    name = "make_template"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, TEMPLATES / "make_template.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # registered first: its dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules[name]


def template_brands() -> dict:
    """The brand table of ``templates/make_template.py`` (``BRANDS``: name → Brand)."""
    return template_script().BRANDS


def subset_project(
    project: Project,
    questions: list[str],
    *,
    targets: dict[int, dict[str, dict[str, float]]] | None = None,
    weighting: dict | None = None,
) -> Project:
    """A copy of ``project`` whose codebook holds only ``questions`` (so tiny wave files are valid),
    optionally with other sex × age targets per year and other weighting settings."""
    cb = project.codebook.model_dump()
    cb["questions"] = [q for q in cb["questions"] if q["id"] in questions]
    codebook = Codebook.model_validate(cb)
    update: dict = {"codebook": codebook}
    if targets is not None:
        t = project.targets.model_dump()
        t["years"] = {year: {"reference_date": "2000-12-31", "sex_age": sa} for year, sa in targets.items()}
        update["targets"] = Targets.model_validate(t)
    if weighting is not None:
        w = project.survey.weighting.model_dump()
        w.update(weighting)
        survey = project.survey.model_copy(update={"weighting": Weighting.model_validate(w)})
        update["survey"] = survey
    return project.model_copy(update=update)


EQUAL_TARGETS = {"Man": {"18-29": 0.125, "30-44": 0.125, "45-64": 0.125, "65+": 0.125},
                 "Kvinna": {"18-29": 0.125, "30-44": 0.125, "45-64": 0.125, "65+": 0.125}}


def write_csv(tmp_path: Path, year: int, frame: pd.DataFrame) -> Path:
    path = tmp_path / f"{year}.csv"
    frame.to_csv(path, index=False)
    return path


def wave_from_frame(project: Project, year: int, frame: pd.DataFrame, tmp_path: Path) -> Wave:
    """Write ``frame`` as a CSV wave file and read it back through the real loader."""
    return load_wave(project, year, write_csv(tmp_path, year, frame))


def design_from_frame(project: Project, year: int, frame: pd.DataFrame, tmp_path: Path) -> SurveyDesign:
    """Load ``frame`` through the loader and weight it with ``project``'s settings."""
    return weight_wave(project, wave_from_frame(project, year, frame, tmp_path))


# --------------------------------------------------------------------------- the command line on a copy of the config


def run_cli(*args: object, cwd: Path = REPO, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m pipeline ARGS`` in ``cwd`` (no progress bars) and return the finished process."""
    env = {**os.environ, "CI": "true", "SURVEY_DECK_SURVEY": "1177"}  # the shipped survey where no --config is given
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def copy_config(work: Path, source: Path = CONFIG) -> Path:
    """Copy a survey's config folder to ``work/config`` (the one-survey layout: config/ holds survey.yaml) and
    ``templates/`` to ``work/templates``, its paths to the template and the data made relative to ``work``."""
    shutil.copytree(source, work / "config")
    for name, old, new in (("deck.yaml", "../../templates/", "../templates/"),
                           ("survey.yaml", f"../../data/{source.name}/", "../data/")):
        path = work / "config" / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    if not (work / "templates").exists():
        shutil.copytree(REPO / "templates", work / "templates")
    return work / "config"


def copy_project(work: Path) -> Path:
    """Copy the 1177 config (as config/) and templates/ into ``work`` and make an empty ``work/data``; return ``work``."""
    copy_config(work)
    (work / "data").mkdir()
    return work


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in the text file ``path`` by ``new`` (failing if it is not there once)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")
