"""Shared fixtures: the real project config and the shipped waves, weighted once per session."""

from __future__ import annotations

import os

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("CI", "true")  # no progress bars in tests

from helpers import CONFIG, WAVES

from pipeline.config import Project, load_project
from pipeline.design import SurveyDesign
from pipeline.weight import weight_wave


@pytest.fixture(scope="session")
def project() -> Project:
    """The shipped project config (config/)."""
    return load_project(CONFIG)


@pytest.fixture(scope="session")
def shipped_designs(project: Project) -> dict[int, SurveyDesign]:
    """The shipped sample waves, loaded and weighted once per session."""
    from pipeline.load import load_waves

    return {y: weight_wave(project, w) for y, w in load_waves(project, WAVES).items()}
