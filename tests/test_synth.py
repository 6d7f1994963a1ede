"""The sample-wave generator: deterministic, published bases, panel skew, raw open-ended verbatims."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from helpers import REPO, WAVES

BASES = {2014: 2000, 2016: 2002, 2018: 2024, 2020: 2026, 2021: 2111, 2022: 2001}  # DECK_1177_2022.md


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    done = subprocess.run([sys.executable, "-m", "pipeline", "synth", "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


def test_regenerating_gives_the_committed_files_byte_for_byte(regenerated):
    """Seeded: `survey-deck synth` reproduces data/waves exactly."""
    for year in BASES:
        assert (regenerated / f"{year}.csv").read_bytes() == (WAVES / f"{year}.csv").read_bytes(), year


def test_published_bases_and_unique_ids():
    for year, n in BASES.items():
        frame = pd.read_csv(WAVES / f"{year}.csv", dtype=str, keep_default_na=False)
        assert len(frame) == n
        assert frame["respondent_id"].is_unique


def test_sample_is_skewed_like_a_web_panel(project):
    """Unweighted: more women 65+ and fewer men 18–29 than in the population targets."""
    frame = pd.read_csv(WAVES / "2022.csv")
    targets = project.targets.years[2022].sex_age
    old_women = ((frame["sex"] == 2) & (frame["age"] >= 65)).mean()
    young_men = ((frame["sex"] == 1) & (frame["age"].between(18, 29))).mean()
    assert old_women > 1.3 * targets["Kvinna"]["65+"]
    assert young_men < 0.7 * targets["Man"]["18-29"]


def test_open_answers_are_raw_verbatims_with_realistic_variants():
    """Open-ended columns hold raw text: spelling variants, abbreviations, several mentions in one answer."""
    frame = pd.read_csv(WAVES / "2022.csv", dtype=str, keep_default_na=False)
    text = frame["worry_contact"].str.lower()
    for variant in ("1177", "vårdguiden", "vc", "vårdcentralen"):
        assert text.str.contains(variant, regex=False).any(), variant
    assert text.nunique() > 50
    assert text.str.contains(r",| och ", regex=True).any()  # several mentions in one answer
    columns = ("worry_contact", "advice_contact", "internet_search", "lifestyle")
    everything = " ".join(frame[c].str.lower().str.cat(sep=" ") for c in columns)
    for variant in ("googl", "kry"):
        assert variant in everything, variant
