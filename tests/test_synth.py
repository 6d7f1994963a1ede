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
    done = subprocess.run([sys.executable, "-m", "pipeline", "synth", "--survey", "1177", "--out", str(out)],
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


# --------------------------------------------------------------------------- another survey


TINY = {
    "survey.yaml": """
survey:
  name: {sv: "Patientenkät", en: "Patient survey"}
weighting: {method: none}
report: {name: "tiny-{wave}"}
""",
    "codebook.yaml": """
version: "1"
demographics:
  sex:
    - {name: Nainen, code: 2, label: {sv: Kvinna, en: Woman}}
    - {name: Mies, code: 1, label: {sv: Man, en: Man}}
  age_groups:
    - {name: "0-49", min: 0, max: 49, code: 1, label: {sv: "0-49", en: "0-49"}}
    - {name: "50+", min: 50, code: 2, label: {sv: "50+", en: "50+"}}
  age_min: 0
questions:
  - id: channel
    type: single
    text: {sv: Kanal, en: Channel}
    waves: [2030]
    categories:
      - {code: 1, label: {sv: SMS, en: SMS}}
      - {code: 2, label: {sv: Webb, en: Web}}
""",
    "targets.yaml": """
years:
  2030:
    sex_age:
      Nainen: {"0-49": 0.3, "50+": 0.25}
      Mies: {"0-49": 0.25, "50+": 0.2}
""",
    "deck.yaml": """
template: none.pptx
layouts: {text: Text}
strings: strings.yaml
slides:
  - {id: T1, layout: text, title: {sv: Om, en: About}, body: [{sv: Text, en: Text}]}
""",
    "strings.yaml": "total: {sv: Totalt, en: Total}\n",
    "model.yaml": """
seed: 7
waves: {2030: 40}
panel_skew:
  Nainen: {"0-49": 1.0, "50+": 1.0}
  Mies: {"0-49": 1.0, "50+": 1.0}
questions:
  channel:
    targets:
      2030: {1: 60, 2: 40}
""",
}


@pytest.fixture
def tiny_config(tmp_path):
    """A second survey's config folder (no region, weighting none, one question, only a text layout) and its own model."""
    config = tmp_path / "config"
    config.mkdir()
    for name, text in TINY.items():
        (config / name).write_text(text.lstrip(), encoding="utf-8")
    return config


def test_synth_for_another_survey_with_the_1177_model_names_the_mismatch(tiny_config, tmp_path):
    """The 1177 model's waves (2014 …) have no targets in the other survey: one Error line, exit 1, no internal error."""
    done = subprocess.run([sys.executable, "-m", "pipeline", "synth", "--config", str(tiny_config), "--model", "data/1177/synth/model.yaml",
                           "--out", str(tmp_path / "out")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "data/1177/synth/model.yaml: the synth model draws waves 2014, 2016" in lines[0]
    assert "pass this survey's own model with --model" in lines[0]
    assert "internal error" not in done.stderr


def test_synth_for_another_survey_with_its_own_model(tiny_config, tmp_path):
    """With its own model the other survey gets its wave: 40 respondents, no region column, channel codes 1/2 near 60/40."""
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "pipeline", "synth", "--config", str(tiny_config), "--model",
                           str(tiny_config / "model.yaml"), "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out / "2030.csv")
    assert list(frame.columns) == ["respondent_id", "sex", "age", "channel"]
    assert len(frame) == 40
    assert set(frame["sex"]) <= {1, 2} and frame["channel"].value_counts().to_dict() == {1: 24, 2: 16}


def test_an_unweighted_survey_needs_no_targets_file(tiny_config):
    """weighting none: the config folder loads without targets.yaml (no targets at all), and with it the years are read."""
    from pipeline.config import load_project

    assert sorted(load_project(tiny_config).targets.years) == [2030]
    (tiny_config / "targets.yaml").unlink()
    assert load_project(tiny_config).targets.years == {}


def test_missing_only_draws_nothing_where_every_wave_is_there():
    """`synth --survey 1177 --missing` (what `make report` runs first): every wave file exists, so nothing is written."""
    before = {p.name: p.stat().st_mtime_ns for p in WAVES.iterdir()}
    done = subprocess.run([sys.executable, "-m", "pipeline", "synth", "--survey", "1177", "--missing"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Wrote" not in done.stdout
    assert {p.name: p.stat().st_mtime_ns for p in WAVES.iterdir()} == before


def test_missing_only_draws_the_absent_wave(tmp_path):
    """With one wave file taken away, `--missing` draws that wave alone, byte for byte the committed one."""
    out = tmp_path / "waves"
    out.mkdir()
    for p in WAVES.iterdir():
        if p.name != "2021.csv":
            (out / p.name).write_bytes(p.read_bytes())
    done = subprocess.run([sys.executable, "-m", "pipeline", "synth", "--survey", "1177", "--missing", "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Wrote") == 1 and "2021.csv" in done.stdout
    assert (out / "2021.csv").read_bytes() == (WAVES / "2021.csv").read_bytes()
