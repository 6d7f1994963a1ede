"""`survey-deck validate` lists every problem it finds (not only the first) and passes on the shipped inputs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from helpers import REPO, WAVES, copy_project, edit, run_cli

N_ROWS = 300


def errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("Error: ")]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """config/, templates/ and data/ with the first rows of the shipped 2021 and 2022 waves."""
    copy_project(tmp_path)
    for year in (2021, 2022):
        frame = pd.read_csv(WAVES / f"{year}.csv", dtype=str, keep_default_na=False, nrows=N_ROWS)
        frame.to_csv(tmp_path / "data" / f"{year}.csv", index=False)
    return tmp_path


def break_wave(work: Path, year: int, column: str, rows: list[int], value: str) -> list[str]:
    """Put ``value`` into ``column`` at 0-based data ``rows``; return those respondents' ids."""
    path = work / "data" / f"{year}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[rows, column] = value
    frame.to_csv(path, index=False)
    return frame.loc[rows, "respondent_id"].tolist()


def validate(work: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("validate", "--config", "config", "--data", "data", cwd=work)


def test_shipped_inputs_pass():
    result = run_cli("validate", cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert errors(result) == []
    assert "OK: config config/1177, template, 6 wave file(s) in" in result.stdout
    assert "no problems found" in result.stdout


def test_two_broken_waves_and_a_config_value_are_all_listed(work):
    ids_2021 = break_wave(work, 2021, "sex", [5], "X")
    ids_2022 = break_wave(work, 2022, "recommend", [0, 9], "11")
    targets = work / "config" / "targets.yaml"
    text = targets.read_text(encoding="utf-8")
    start, end = text.index("\n  2021:"), text.index("\n  2022:")
    targets.write_text(text[:start] + text[end:], encoding="utf-8")  # no population targets for 2021

    result = validate(work)
    assert result.returncode == 1
    found = errors(result)
    assert len(found) == 3, result.stderr
    assert any("config/targets.yaml: no population targets for wave year 2021" in e for e in found)
    assert any(
        f"data/2021.csv: wave 2021, column 'sex': 1 unknown value(s) 'X' in row 7 (respondent_id {ids_2021[0]!r})" in e for e in found
    )
    assert any(
        "data/2022.csv: wave 2022, column 'recommend': 2 out-of-range value(s) '11' in rows 2, 11 "
        f"(respondent_id {ids_2022[0]!r}, {ids_2022[1]!r})" in e
        for e in found
    )
    assert "3 problem(s) found" in result.stderr


def test_broken_config_files_do_not_hide_wave_problems(work):
    """Schema errors in deck.yaml and survey.yaml (two in one file) are all listed, and the waves are still checked."""
    edit(work / "config" / "deck.yaml", "  - id: S13\n    layout: chart\n", "  - id: S13\n    layout: charts\n")
    edit(work / "config" / "survey.yaml", "    suppress_below: 30", "    suppress_below: lots")
    edit(work / "config" / "survey.yaml", "  name: \"1177-{wave}\"", "  name: \"1177-{wave}\"\n  colour: blue")
    ids = break_wave(work, 2022, "age", [3], "200")

    result = validate(work)
    assert result.returncode == 1
    found = errors(result)
    assert len(found) == 4, result.stderr
    assert any("config/deck.yaml: slides[" in e and "(id 'S13').layout:" in e and "(got 'charts')" in e for e in found)
    assert any("config/survey.yaml: statistics.low_base.suppress_below: Input should be a valid integer" in e for e in found)
    assert any(
        "config/survey.yaml: report.colour: unknown key 'colour'; allowed keys here: wave, lang, output_dir, name" in e for e in found
    )
    assert any(f"data/2022.csv: wave 2022, column 'age': 1 impossible age(s) '200' in row 5 (respondent_id {ids[0]!r})" in e for e in found)


def test_broken_question_does_not_hide_wave_problems(work):
    """A codebook question with a schema error is listed; the waves are still checked against the other questions."""
    edit(
        work / "config" / "codebook.yaml",
        "    scale:\n      min: 1\n      max: 10\n      anchors:\n        1: {sv: \"Instämmer inte alls\"",
        "    scale:\n      min: 1\n      max: 1\n      anchors:\n        1: {sv: \"Instämmer inte alls\"",
    )
    ids = break_wave(work, 2021, "heard_of_1177", [12], "7")

    result = validate(work)
    assert result.returncode == 1
    found = errors(result)
    assert len(found) == 2, result.stderr
    assert "config/codebook.yaml: questions[" in found[0] and "(id 'recommend').scale: scale max (1) must be above min (1)" in found[0]
    assert f"data/2021.csv: wave 2021, column 'heard_of_1177': 1 out-of-range value(s) '7' in row 14 (respondent_id {ids[0]!r})" in found[1]


def test_unreadable_survey_file_still_lists_other_config_problems(work):
    """With survey.yaml unparseable the waves cannot be checked, but the other config files still are."""
    survey = work / "config" / "survey.yaml"
    line = next(i + 1 for i, text in enumerate(survey.read_text(encoding="utf-8").splitlines()) if text.startswith("  client:"))
    edit(survey, '  client: "Inera AB"', "  client: Inera: AB")
    edit(work / "config" / "codeframes" / "contact-2022.1.yaml", "patterns: ['\\bkry\\b']", "patterns: ['(kry', 'kry[']")

    result = validate(work)
    assert result.returncode == 1
    found = errors(result)
    assert len(found) == 3, result.stderr
    column = "  client: Inera: AB".index(": AB") + 1  # the second ':'
    assert f"config/survey.yaml: YAML syntax error at line {line}, column {column}" in found[0]
    assert "2 wave file(s)" not in result.stderr  # the waves are not checked without survey.yaml
    assert "category 'kry', pattern 1: invalid regular expression '(kry'" in found[1]
    assert "category 'kry', pattern 2: invalid regular expression 'kry['" in found[2]


def test_missing_data_folder_is_listed_with_config_problems(work):
    shutil.rmtree(work / "data")
    (work / "templates" / "1177.pptx").unlink()
    result = validate(work)
    assert result.returncode == 1
    found = errors(result)
    assert len(found) == 2, result.stderr
    assert "templates/1177.pptx: slide template not found" in found[0]
    assert "data: data folder not found" in found[1]


@pytest.fixture
def full_work(tmp_path: Path) -> Path:
    """config/, templates/ and data/ with the first rows of every shipped wave, so the whole report can be dry-run."""
    copy_project(tmp_path)
    for path in sorted(WAVES.glob("*.csv")):
        pd.read_csv(path, dtype=str, keep_default_na=False, nrows=N_ROWS).to_csv(tmp_path / "data" / path.name, index=False)
    return tmp_path


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path → bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_dry_run_passes_and_writes_nothing(full_work):
    """On usable inputs every slide is dry-run in both languages, and no file or folder is made or changed."""
    before = tree(full_work)
    result = validate(full_work)
    assert result.returncode == 0, result.stderr
    assert errors(result) == []
    assert "6 wave file(s) in data, 39 slides in sv, en checked, no problems found" in result.stdout
    assert tree(full_work) == before
    assert sorted(p.name for p in full_work.iterdir()) == ["config", "data", "templates"]  # no output/, no cache


def test_absent_question_column_is_listed_not_a_crash(work):
    """The issue's case: 2022.csv without the `recommend` column is listed (exit 1, not an internal error),
    and a problem in another wave is listed too."""
    path = work / "data" / "2022.csv"
    pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns=["recommend"]).to_csv(path, index=False)
    ids = break_wave(work, 2021, "sex", [4], "X")

    result = validate(work)
    assert result.returncode == 1, result.stderr
    found = errors(result)
    assert len(found) == 2, result.stderr
    assert f"data/2021.csv: wave 2021, column 'sex': 1 unknown value(s) 'X' in row 6 (respondent_id {ids[0]!r})" in found[0]
    assert ("data/2022.csv: wave 2022: question 'recommend' is asked in wave 2022 according to the codebook, "
            "but its column(s) 'recommend' are absent") in found[1]


def test_templates_of_every_language_and_the_output_name_are_checked(full_work):
    """A name with an unknown placeholder, a Swedish title the sandbox refuses and an English title with an undefined
    name are each listed, on different slides, in one run."""
    edit(full_work / "config" / "survey.yaml", 'name: "1177-{wave}"', 'name: "1177-{year}"')
    deck = full_work / "config" / "deck.yaml"
    edit(deck, 'title: {sv: "Hört talas om 1177", en: "Heard of 1177"}', 'title: {sv: "{{ wave.__class__ }}", en: "Heard of 1177"}')
    edit(deck, 'title: {sv: "Net Promoter Score", en: "Net Promoter Score"}',
         'title: {sv: "Net Promoter Score", en: "Net Promoter {{ scroe }}"}')

    result = validate(full_work)
    assert result.returncode == 1, result.stderr
    found = errors(result)
    assert len(found) == 3, result.stderr
    assert "config/survey.yaml: report.name '1177-{year}': unknown placeholder {year}; the name may use {wave} only" in found[0]
    assert "deck.yaml slide S18 title: template error: access to attribute '__class__' of 'int' object is unsafe" in found[1]
    assert "deck.yaml slide S29 title: undefined name in template: 'scroe' is undefined" in found[2]


def test_weighting_refusal_and_an_overlong_name_are_listed(full_work):
    """A wave whose youngest age group is empty (raking refuses it) and a 255-byte output name: both listed, once each."""
    path = full_work / "data" / "2020.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame[frame["age"].astype(int) >= 30].to_csv(path, index=False)
    edit(full_work / "config" / "survey.yaml", 'name: "1177-{wave}"', f'name: "{"x" * 250}-{{wave}}"')

    result = validate(full_work)
    assert result.returncode == 1, result.stderr
    found = errors(result)
    assert len(found) == 2, result.stderr
    assert "config/survey.yaml: report.name" in found[0] and "the output name is 255 bytes long" in found[0]
    assert "shorten report.name to 200 bytes or fewer" in found[0]
    assert "config/targets.yaml: years.2020: wave 2020 has no respondents in age_group '18-29'" in found[1]
    assert "add weighting.collapse" in found[1]
