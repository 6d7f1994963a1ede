"""When R and its survey package are installed, re-running tests/r/golden.R reproduces the committed golden values."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from helpers import GOLDEN, REPO


def r_survey_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(["Rscript", "-e", "library(survey)"], capture_output=True, text=True)
    return probe.returncode == 0


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not r_survey_available(),
        reason="Rscript with the survey package is not installed (Debian: r-base-core r-cran-survey); "
        "committed golden values are still checked by test_design.py",
    ),
]


def test_rerun_of_golden_script_agrees_with_committed_values(tmp_path):
    """R survey on the fixture today gives the committed weights, estimates and SEs (to 1e-12 relative)."""
    run = subprocess.run(["Rscript", "tests/r/golden.R", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    for name in ("weights_rake.csv", "weights_poststratify.csv", "weights_rake_design.csv", "estimates.csv", "pairwise.csv"):
        fresh, committed = pd.read_csv(tmp_path / name), pd.read_csv(GOLDEN / name)
        assert list(fresh.columns) == list(committed.columns)
        for col in fresh.columns:
            if fresh[col].dtype.kind == "f":
                assert np.allclose(fresh[col], committed[col], rtol=1e-12, atol=0, equal_nan=True), (name, col)
            else:
                assert fresh[col].tolist() == committed[col].tolist(), (name, col)


def test_rerun_gives_the_committed_general_weighting_values(tmp_path):
    """R today gives the committed weights and estimates of the question rake, the counts post-stratification and no weighting."""
    run = subprocess.run(["Rscript", "tests/r/golden.R", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    names = ("weights_rake_questions.csv", "weights_poststratify_questions.csv", "weights_none.csv", "weights_none_design.csv",
             "estimates_general.csv")
    for name in names:
        fresh, committed = pd.read_csv(tmp_path / name), pd.read_csv(GOLDEN / name)
        assert list(fresh.columns) == list(committed.columns)
        for col in fresh.columns:
            if fresh[col].dtype.kind == "f":
                assert np.allclose(fresh[col], committed[col], rtol=1e-12, atol=0, equal_nan=True), (name, col)
            else:
                assert fresh[col].tolist() == committed[col].tolist(), (name, col)
