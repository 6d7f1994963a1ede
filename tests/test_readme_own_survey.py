"""The README's "Your own survey" walk-through, followed word for word from an empty folder: its files, its shell
commands and its survey-deck commands give a deck whose NPS is the one worked out by hand from the wave files."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import REPO

SECTION = re.search(r"## Your own survey\n(.*?)\n## ", (REPO / "README.md").read_text(encoding="utf-8"), re.S)


def _section() -> str:
    assert SECTION is not None, "README.md has no 'Your own survey' section"
    return SECTION.group(1)


def _files() -> dict[str, str]:
    """The files the walk-through writes: a `<!-- file: PATH -->` line, then a fenced YAML block."""
    return dict(re.findall(r"<!-- file: (\S+) -->\n```yaml\n(.*?)```", _section(), re.S))


def _commands(prefix: str) -> list[str]:
    """The inline commands of the walk-through that start with ``prefix``."""
    return [c for c in re.findall(r"`([^`\n]+)`", _section()) if c.startswith(prefix)]


def _nps(scores: pd.Series) -> float:
    """NPS by its definition: % scoring 9–10 minus % scoring 0–6."""
    return 100 * ((scores >= 9).mean() - (scores <= 6).mean())


@pytest.mark.slow
def test_the_walk_through_builds_a_deck_from_an_empty_folder(tmp_path: Path):
    """Files and commands of the README, a seeded pair of waves: validate passes, report writes the named deck, and the
    deck's NPS sentence carries the NPS computed here from the CSV files."""
    files, shell, tool = _files(), _commands("mkdir") + _commands("cp "), _commands("survey-deck ")
    assert set(files) == {"config/visitors/survey.yaml", "config/visitors/codebook.yaml", "config/visitors/deck.yaml"}
    assert len(shell) == 2 and tool == ["survey-deck validate --survey visitors", "survey-deck report --survey visitors"]
    # the empty folder has what the repository has around it: the templates and the shipped strings to copy
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    (tmp_path / "config" / "1177").mkdir(parents=True)
    shutil.copy(REPO / "config" / "1177" / "strings.yaml", tmp_path / "config" / "1177" / "strings.yaml")
    for command in shell:
        subprocess.run(shlex.split(command), cwd=tmp_path, check=True)
    for path, text in files.items():
        (tmp_path / path).write_text(text, encoding="utf-8")
    rng = np.random.default_rng(7)
    waves = {}
    for year, p_high in ((2024, 0.50), (2025, 0.58)):
        n = 1500
        frame = pd.DataFrame({"id": np.arange(1, n + 1), "site": rng.integers(1, 3, n),
                              "recommend": np.where(rng.random(n) < p_high, rng.integers(9, 11, n), rng.integers(0, 9, n))})
        frame.to_csv(tmp_path / "data" / "visitors" / "waves" / f"{year}.csv", index=False)
        waves[year] = frame
    env = {**os.environ, "CI": "true"}
    env.pop("SURVEY_DECK_SURVEY", None)
    for command in tool:
        args = shlex.split(command)[1:]
        done = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
    deck = tmp_path / "output" / "visitors-2025.pptx"
    assert deck.is_file()
    from pptx import Presentation

    text = " ".join(shape.text_frame.text for slide in Presentation(str(deck)).slides for shape in slide.shapes if shape.has_text_frame)
    north = {year: frame[frame["site"] == 1]["recommend"] for year, frame in waves.items()}
    now, before = round(_nps(north[2025])), round(_nps(north[2024]))
    ses = {year: 100 * np.sqrt(((x >= 9).mean() + (x <= 6).mean() - ((x >= 9).mean() - (x <= 6).mean()) ** 2) / (len(x) - 1))
           for year, x in north.items()}
    z = (_nps(north[2025]) - _nps(north[2024])) / np.hypot(ses[2025], ses[2024])
    assert abs(abs(z) - 1.96) > 0.2, z  # the seeded waves are not a borderline case
    word = "is unchanged (no significant change)" if abs(z) < 1.96 else ("rises" if z > 0 else "falls")
    assert f"North gallery 2025: NPS {now} (2024: {before}); it {word}." in text.replace("\u2212", "-")
