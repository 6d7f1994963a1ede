"""The command line: every command's --help explains its options; `weights` writes R-equal weights and the targets used."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import CONFIG, FIXTURES, GOLDEN, REPO, copy_project, run_cli

HELP = {  # command: {option: words its help must contain}
    "report": {
        "--config": "Config folder with survey.yaml",
        "--data": "one wave file per year",
        "--wave": "default: the newest wave file",
        "--lang": "sv (default) or en",
        "--out": "Output folder",
        "--force": "Rebuild even if the outputs are up to date",
        "--jobs": "Processes for chart rendering",
    },
    "tables": {
        "--out": ".xlsx (the crosstab workbook: a crosstab sheet per slide",
        "--config": "Config folder",
        "--data": "one wave file per year",
        "--wave": "default: newest",
        "--lang": "sv or en",
        "--question": "Tabulate this codebook question",
        "--by": "cross two with *",
    },
    "weights": {
        "--wave": "Wave (year) to weight",
        "--out": "respondent_id, wave, sex, age_group, weight",
        "--config": "Config folder",
        "--data": "one wave file per year",
        "--targets-out": "variable, category, share",
    },
    "validate": {"--config": "Config folder", "--data": "one wave file per year", "--wave": "Report wave (year) to check"},
    "synth": {
        "--config": "Config folder",
        "--model": "Population model (YAML)",
        "--out": "Folder for the generated wave files",
        "--wave": "Only these waves (repeatable)",
    },
}


@pytest.mark.parametrize("command", HELP)
def test_help_of_every_command_explains_its_options(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())  # help is wrapped to the terminal width
    assert text.startswith(f"Usage: python -m pipeline {command} [OPTIONS]")
    for option, words in HELP[command].items():
        assert option in text, option
        assert words in text, (option, words)
    assert "--help Show this message and exit." in text


def test_top_level_help_lists_every_command_and_the_global_options():
    result = run_cli("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for command in HELP:
        assert f" {command} " in text
    for option, words in {"--debug": "full traceback", "--quiet": "only errors", "--verbose": "stage timings"}.items():
        assert option in text and words in text


def test_cli_reaches_the_pipeline_only_through_report_and_errors():
    """cli.py imports no pipeline module but `pipeline.report` and `pipeline.errors`: it parses and prints, report runs."""
    tree = ast.parse((REPO / "pipeline" / "cli.py").read_text(encoding="utf-8"))
    reached = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "pipeline":
            reached.update(f"pipeline.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            reached.add(node.module)
        elif isinstance(node, ast.Import):
            reached.update(alias.name for alias in node.names if alias.name.startswith("pipeline"))
    assert reached == {"pipeline.report", "pipeline.errors"}


def test_help_imports_no_pandas():
    """Importing the command line (all `--help` needs) loads neither pandas nor the statistics."""
    code = "import sys, pipeline.cli; print(sorted(m for m in ('pandas', 'numpy', 'pipeline.load', 'pipeline.config') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------- weights against R's survey package


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory) -> Path:
    """`weights --wave 2022` on tests/fixtures/wave_2022.csv with the targets of tests/fixtures/targets_2022.csv."""
    work = copy_project(tmp_path_factory.mktemp("weights"))
    targets = pd.read_csv(FIXTURES / "targets_2022.csv")
    sex_age: dict[str, dict[str, float]] = {}
    for row in targets.itertuples():
        sex_age.setdefault(row.sex, {})[row.age_group] = float(row.share)
    config = yaml.safe_load((CONFIG / "targets.yaml").read_text(encoding="utf-8"))
    config["years"] = {2022: {"reference_date": "2021-12-31", "sex_age": sex_age}}
    (work / "config" / "targets.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    shutil.copyfile(FIXTURES / "wave_2022.csv", work / "data" / "2022.csv")
    result = run_cli("weights", "--wave", 2022, "--config", "config", "--data", "data", "--out", "w.csv",
                     "--targets-out", "t.csv", cwd=work)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Error" not in result.stderr
    return work


def test_weights_equal_r_survey_golden(fixture_run):
    out = pd.read_csv(fixture_run / "w.csv", dtype={"respondent_id": str})
    assert list(out.columns) == ["respondent_id", "wave", "sex", "age_group", "weight"]
    golden = pd.read_csv(GOLDEN / "weights_rake.csv", dtype={"respondent_id": str})
    assert len(out) == len(golden) == 2001
    assert sorted(out["respondent_id"]) == sorted(golden["respondent_id"])
    merged = out.merge(golden, on="respondent_id", suffixes=("", "_r"), validate="one_to_one")
    assert np.abs(merged["weight"] - merged["weight_r"]).max() < 1e-9
    assert (out["wave"] == 2022).all()


def test_weights_file_has_each_respondents_sex_and_age_group(fixture_run):
    """sex and age_group as coded in the codebook: 1 = Man, 2 = Kvinna; ages 18–29, 30–44, 45–64, 65+."""
    out = pd.read_csv(fixture_run / "w.csv", dtype={"respondent_id": str})
    wave = pd.read_csv(FIXTURES / "wave_2022.csv", usecols=["respondent_id", "sex", "age"], dtype={"respondent_id": str})
    wave["sex_name"] = wave["sex"].map({1: "Man", 2: "Kvinna"})
    wave["age_name"] = pd.cut(wave["age"], [-np.inf, 29, 44, 64, np.inf], labels=["18-29", "30-44", "45-64", "65+"]).astype(str)
    merged = out.merge(wave, on="respondent_id", validate="one_to_one")
    assert len(merged) == len(out)
    assert (merged["sex_x"] == merged["sex_name"]).all()
    assert (merged["age_group"] == merged["age_name"]).all()


def test_targets_out_has_the_margins_used(fixture_run):
    targets = pd.read_csv(fixture_run / "t.csv")
    assert list(targets.columns) == ["variable", "category", "share"]
    sums = targets.groupby("variable")["share"].sum()
    assert set(sums.index) == {"sex", "age_group"}
    assert np.allclose(sums.to_numpy(), 1.0, rtol=0, atol=1e-9)
    cells = pd.read_csv(FIXTURES / "targets_2022.csv")
    expected = {("sex", k): v for k, v in cells.groupby("sex")["share"].sum().items()}
    expected |= {("age_group", k): v for k, v in cells.groupby("age_group")["share"].sum().items()}
    got = {(r.variable, r.category): r.share for r in targets.itertuples()}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-9), key


def test_weights_prints_its_diagnostics(fixture_run):
    """The run's summary names the wave, the respondent count and the method (checked on a fresh run's stdout)."""
    result = run_cli("weights", "--wave", 2022, "--config", "config", "--data", "data", "--out", "again.csv", cwd=fixture_run)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Wave 2022: 2001 respondents, rake on sex + age_group")
    assert "Kish efficiency" in result.stdout and "Wrote again.csv" in result.stdout
    assert (fixture_run / "again.csv").read_bytes() == (fixture_run / "w.csv").read_bytes()


# --------------------------------------------------------------------------- ad-hoc banners


def test_tables_question_by_crossed_groups_gives_nps_and_its_groups_per_cell(tmp_path):
    """`tables --question recommend --by 'sex*age_group'`: the total and 2 × 4 cells, each with NPS = promoters −
    detractors and the three groups summing to 100 %; the cells' respondents add up to the total's."""
    out = tmp_path / "nps.csv"
    result = run_cli("tables", "--question", "recommend", "--by", "sex*age_group", "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Wrote the crosstab of recommend by sex*age_group (4 rows × 9 columns): {out}"
    table = pd.read_csv(out)
    assert list(dict.fromkeys(table["row"])) == ["nps", "promoters", "passives", "detractors"]
    assert list(dict.fromkeys(table["column"])) == list("ABCDEFGHI")
    assert list(dict.fromkeys(table["group_label"]))[1:3] == ["Man 18-29 år", "Man 30-44 år"]
    wide = table.pivot(index="column", columns="row", values="value")
    assert np.allclose(wide["nps"], wide["promoters"] - wide["detractors"])
    assert np.allclose(wide["promoters"] + wide["passives"] + wide["detractors"], 100)
    bases = table[table["row"] == "nps"].set_index("column")["n"]
    assert bases.drop("A").sum() == bases["A"]


def test_tables_question_xlsx_in_english(tmp_path):
    """The ad-hoc xlsx: a sheet named after the question with English labels, then the English weighting sheet."""
    from openpyxl import load_workbook

    out = tmp_path / "nps.xlsx"
    result = run_cli("tables", "--question", "recommend", "--by", "sex,region", "--lang", "en", "--out", out)
    assert result.returncode == 0, result.stderr
    wb = load_workbook(out)
    assert wb.sheetnames == ["recommend", "Weighting"]
    ws = wb["recommend"]
    assert ws["A2"].value == "Question: I can recommend others to use 1177"
    assert [ws.cell(5, c).value for c in (2, 4, 8)] == ["Wave", "Sex", "Region"]
    assert [ws.cell(6, c).value for c in (2, 4, 6)] == ["Total 2022", "Men", "Women"]
    assert [ws.cell(r, 1).value for r in range(8, 12)] == ["NPS", "Promoters", "Passives", "Detractors"]


@pytest.mark.parametrize(("args", "message"), [
    (["--question", "recomend", "--by", "sex"], "Error: --question: the codebook has no question 'recomend' (did you mean 'recommend'?)"),
    (["--question", "recommend", "--by", "sex,agegroup"], "Error: --by: unknown grouping 'agegroup' (did you mean 'age_group'?)"),
    (["--question", "recommend", "--by", "sex*sex"], "Error: --by: 'sex*sex' crosses a variable with itself"),
    (["--by", "sex"], "Error: --by needs --question"),
])
def test_tables_banner_mistakes_are_one_line(tmp_path, args, message):
    """A misspelt question or variable, a self-crossing or --by alone: one Error line with the fix, exit 1, no file."""
    out = tmp_path / "x.xlsx"
    result = run_cli("tables", *args, "--out", out)
    assert result.returncode == 1
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert not out.exists()
