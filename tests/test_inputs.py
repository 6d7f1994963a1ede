"""Every format's conventions are read as documented, and each input mistake is one `Error:` line (exit 1) with nothing written.

Each case runs the real command line (``python -m pipeline``) in a subprocess on its own copy of the
config and templates, with the first 300 respondents of the shipped 2022 wave as ``data/2022.csv``
(cases that compare tables also get the other shipped waves, which the deck's trends need). A case
is a setup function registered with ``@case(name)`` above its test; the runs start together, one
per CPU core, the first time a test asks for one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from helpers import CONFIG, WAVES, copy_config

N_ROWS = 300
WEIGHTS = ["weights", "--wave", "2022", "--config", "config", "--data", "data", "--out", "w.csv"]
TABLES = ["tables", "--wave", "2022", "--config", "config", "--data", "data", "--out", "t.csv"]


def run_cli(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "true"}
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def error_line(run: Run) -> str:
    """The one `Error: ` line of a failed run: exit 1, no traceback, no other line but warnings, no output file."""
    result = run.result
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    assert all(line.startswith(("Error: ", "WARNING: ")) for line in lines), result.stderr
    assert not (run.work / "w.csv").exists() and not (run.work / "t.csv").exists()
    return errors[0]


def assert_names(line: str, *words: str) -> None:
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"


@dataclass
class Run:
    work: Path
    result: subprocess.CompletedProcess[str]


Setup = Callable[[Path, pd.DataFrame], list[object]]
CASES: dict[str, Setup] = {}


def case(name: str) -> Callable[[Setup], Setup]:
    def register(setup: Setup) -> Setup:
        assert name not in CASES, name
        CASES[name] = setup
        return setup

    return register


def load_slice() -> pd.DataFrame:
    """The first N_ROWS respondents of the shipped 2022 wave, every cell as text."""
    return pd.read_csv(WAVES / "2022.csv", dtype=str, keep_default_na=False, nrows=N_ROWS)


def numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """The slice with its number columns as numbers (blank: NaN), as a binary format holds them."""
    out = frame.copy()
    for column in out.columns:
        parsed = pd.to_numeric(out[column].replace("", None), errors="coerce")
        if parsed.notna().sum() == (out[column] != "").sum():
            out[column] = parsed.astype(float)
    return out


def with_other_waves(work: Path) -> None:
    for path in WAVES.iterdir():
        if path.name != "2022.csv":
            shutil.copyfile(path, work / "data" / path.name)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Run]:
    """Set up every case, run them all concurrently, and return a lookup of the runs by case name."""
    wave = load_slice()
    prepared: dict[str, tuple[Path, list[object]]] = {}
    for name, setup in CASES.items():
        work = tmp_path_factory.mktemp(name)
        copy_config(work)
        (work / "data").mkdir()
        wave.to_csv(work / "data" / "2022.csv", index=False)
        prepared[name] = (work, setup(work, wave.copy()))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {name: pool.submit(run_cli, *args, cwd=work) for name, (work, args) in prepared.items()}
        runs = {name: Run(prepared[name][0], f.result()) for name, f in futures.items()}
    return runs.__getitem__


def ok(run: Run) -> None:
    assert run.result.returncode == 0, run.result.stderr
    assert "Error" not in run.result.stderr


# --------------------------------------------------------------------------- SPSS user-missing codes


def question_columns(frame: pd.DataFrame) -> list[str]:
    """The slice's number columns other than the demographics (closed questions)."""
    demographic = {"respondent_id", "sex", "age", "region"}
    return [c for c in frame.columns if c not in demographic and frame[c].dtype.kind == "f"]


@case("tables-csv")
def setup_tables_csv(work, wave):
    with_other_waves(work)
    return TABLES


@case("tables-sav")
def setup_tables_sav(work, wave):
    import pyreadstat

    with_other_waves(work)
    frame = numbers(wave)
    closed = question_columns(frame)
    held = sum(int((frame[c] == 99).sum()) for c in closed)
    assert held > 1000  # many "Vet ej" answers: reading them as blanks would change many figures
    pyreadstat.write_sav(
        frame, str(work / "data" / "2022.sav"),
        missing_ranges={c: [99] for c in closed},
        variable_value_labels={c: {99.0: "Vet ej"} for c in closed},
    )
    (work / "data" / "2022.csv").unlink()
    return TABLES


def test_sav_with_user_missing_codes_gives_the_tables_of_the_same_data_as_csv(ran):
    """A .sav declaring 99 ("Vet ej") user-missing in every question gives the very tables of the CSV: don't know stays don't know."""
    csv_run, sav_run = ran("tables-csv"), ran("tables-sav")
    ok(csv_run)
    ok(sav_run)
    from_csv = (csv_run.work / "t.csv").read_bytes()
    assert len(from_csv.splitlines()) > 1000
    assert (sav_run.work / "t.csv").read_bytes() == from_csv


@case("sav-unknown-missing-code")
def setup_sav_unknown_missing_code(work, wave):
    import pyreadstat

    frame = numbers(wave)
    frame.loc[[3, 8], "recommend"] = 98.0
    pyreadstat.write_sav(frame, str(work / "data" / "2022.sav"), missing_ranges={"recommend": [98, 99]},
                         variable_value_labels={"recommend": {98.0: "Vill ej svara"}})
    (work / "data" / "2022.csv").unlink()
    return WEIGHTS


def test_sav_user_missing_code_the_codebook_does_not_know_is_an_error(ran):
    """A declared user-missing code (98) that question 'recommend' does not have: one line naming file, wave, column, code, rows."""
    line = error_line(ran("sav-unknown-missing-code"))
    assert_names(line, "data/2022.sav: wave 2022, column 'recommend'", "2 cell(s)", "user-missing code 98 ('Vill ej svara')",
                 "records 4, 9", "codebook.yaml")


# --------------------------------------------------------------------------- each format's conventions


@case("weights-csv")
def setup_weights_csv(work, wave):
    return WEIGHTS


@case("parquet-nullable-int")
def setup_parquet_nullable_int(work, wave):
    frame = numbers(wave)
    converted = 0
    for column in frame.columns:
        if frame[column].dtype.kind == "f" and (frame[column].dropna() % 1 == 0).all():
            frame[column] = frame[column].astype("Int64")
            converted += int(frame[column].isna().any())
    assert converted > 10  # many whole-number columns with nulls ("not asked")
    frame.to_parquet(work / "data" / "2022.parquet")
    (work / "data" / "2022.csv").unlink()
    return WEIGHTS


def test_parquet_with_nullable_integers_is_read_like_the_csv(ran):
    """Int64 columns whose nulls mean "not asked" load, and weight the wave exactly as the CSV does."""
    ok(ran("parquet-nullable-int"))
    assert (ran("parquet-nullable-int").work / "w.csv").read_bytes() == (ran("weights-csv").work / "w.csv").read_bytes()


def _design_weights(wave: pd.DataFrame, text: list[str]) -> pd.DataFrame:
    wave.insert(4, "design_weight", [text[i % 2] for i in range(len(wave))])
    return wave


@case("design-weight-point")
def setup_design_weight_point(work, wave):
    _design_weights(wave, ["0.8", "1.25"]).to_csv(work / "data" / "2022.csv", index=False)
    return WEIGHTS


@case("design-weight-comma")
def setup_design_weight_comma(work, wave):
    _design_weights(wave, ["0,8", " 1,25"]).to_csv(work / "data" / "2022.csv", index=False, sep=";")
    return WEIGHTS


def test_design_weight_with_a_decimal_comma_is_read(ran):
    """Design weights 0,8 and 1,25 (Swedish Excel CSV) give the weights of 0.8 and 1.25, which differ from unweighted ones."""
    ok(ran("design-weight-comma"))
    ok(ran("design-weight-point"))
    comma = (ran("design-weight-comma").work / "w.csv").read_bytes()
    assert comma == (ran("design-weight-point").work / "w.csv").read_bytes()
    assert comma != (ran("weights-csv").work / "w.csv").read_bytes()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


# shares of 2022 as shipped: Man 18-29 0.101083, Kvinna 18-29 0.092659
@case("targets-rounded")
def setup_targets_rounded(work, wave):
    targets = work / "config" / "targets.yaml"
    edit(targets, 'Man: {"18-29": 0.101083,', 'Man: {"18-29": 0.101081,')
    edit(targets, 'Kvinna: {"18-29": 0.092659,', 'Kvinna: {"18-29": 0.092660,')
    return WEIGHTS


def test_target_shares_summing_to_0_999999_are_accepted(ran):
    """Shares rounded to six decimals summing to 0.999999 (-2e-6 + 1e-6) are within the documented 1e-6."""
    ok(ran("targets-rounded"))


@case("targets-off")
def setup_targets_off(work, wave):
    edit(work / "config" / "targets.yaml", 'Man: {"18-29": 0.101083,', 'Man: {"18-29": 0.101081,')
    return WEIGHTS


def test_target_shares_off_by_more_than_1e_6_are_refused(ran):
    """A sum of 0.999998 is outside the tolerance: the error names the file, the year and the sum."""
    line = error_line(ran("targets-off"))
    assert_names(line, "targets.yaml: years.2022", "sum to 0.999998, not 1")


@case("targets-zero")
def setup_targets_zero(work, wave):
    targets = work / "config" / "targets.yaml"
    # the 18-29 share of both sexes moved to 65+: the age group's margin is 0, yet the slice has respondents aged 18-29
    edit(targets, 'Man: {"18-29": 0.101083, "30-44": 0.126354, "45-64": 0.156438, "65+": 0.116727}',
         'Man: {"18-29": 0, "30-44": 0.126354, "45-64": 0.156438, "65+": 0.217810}')
    edit(targets, 'Kvinna: {"18-29": 0.092659, "30-44": 0.120337, "45-64": 0.151625, "65+": 0.134777}',
         'Kvinna: {"18-29": 0, "30-44": 0.120337, "45-64": 0.151625, "65+": 0.227436}')
    return WEIGHTS


def test_zero_target_share_for_a_group_with_respondents_is_an_error(ran):
    """A zero share for an age group that has respondents would weight them 0: one line naming the group and the fix."""
    slice_18_29 = int((pd.to_numeric(load_slice()["age"]) <= 29).sum())
    line = error_line(ran("targets-zero"))
    assert_names(line, "targets.yaml: years.2022", f"age_group '18-29' ({slice_18_29} respondents)", "target share of 0",
                 "give its population share")


# --------------------------------------------------------------------------- YAML


@case("yaml-alias-bomb")
def setup_yaml_alias_bomb(work, wave):
    levels = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]  # 9**9 strings expanded
    with (work / "config" / "deck.yaml").open("a", encoding="utf-8") as fh:
        fh.write("chart_defaults: {" + ", ".join(levels) + "}\n")
    return WEIGHTS


def test_yaml_alias_bomb_is_refused(ran):
    """Nine levels of nine aliases (387 million values expanded) are refused at once, naming the file and line."""
    last = len((CONFIG / "deck.yaml").read_text(encoding="utf-8").splitlines()) + 1
    line = error_line(ran("yaml-alias-bomb"))
    assert_names(line, f"config/deck.yaml: line {last}, column ", "expands to more than 100,000 values through its aliases")


@case("yaml-python-tag")
def setup_yaml_python_tag(work, wave):
    with (work / "config" / "survey.yaml").open("a", encoding="utf-8") as fh:
        fh.write('hook: !!python/object/apply:os.system ["touch hacked"]\n')
    return WEIGHTS


def test_yaml_python_tag_is_an_unsafe_tag_not_a_syntax_error(ran):
    """`!!python/object/apply:` is named as an unknown or unsafe tag (not "check the quotes"), and nothing runs."""
    line = error_line(ran("yaml-python-tag"))
    last = len((CONFIG / "survey.yaml").read_text(encoding="utf-8").splitlines()) + 1
    assert_names(line, f"config/survey.yaml: line {last}, column 7", "unknown or unsafe YAML tag '!!python/object/apply:os.system'",
                 "remove the tag")
    assert "quotes" not in line
    assert not (ran("yaml-python-tag").work / "hacked").exists()


# --------------------------------------------------------------------------- smaller ones


FORMULAS = ["=HYPERLINK(\"http://x\")", "@SUM(1)", "+cmd|' /C calc'!A0", "-2+3"]


@case("formula-ids")
def setup_formula_ids(work, wave):
    wave.loc[: len(FORMULAS) - 1, "respondent_id"] = FORMULAS
    wave.to_csv(work / "data" / "2022.csv", index=False)
    return WEIGHTS


def test_weights_csv_escapes_formula_like_respondent_ids(ran):
    """Ids starting with = @ + - are written with a leading apostrophe, so a spreadsheet shows them as text."""
    run = ran("formula-ids")
    ok(run)
    ids = pd.read_csv(run.work / "w.csv", dtype=str, keep_default_na=False)["respondent_id"].tolist()
    assert ids[: len(FORMULAS)] == ["'" + f for f in FORMULAS]
    assert ids[len(FORMULAS)] == load_slice()["respondent_id"][len(FORMULAS)]  # an ordinary id is as it was


@case("duplicate-csv-column")
def setup_duplicate_csv_column(work, wave):
    columns = list(wave.columns)
    position = columns.index("recommend")
    text = (work / "data" / "2022.csv").read_text(encoding="utf-8").split("\n", 1)
    header = columns[:]
    header[position + 1] = "recommend"  # the column after 'recommend' is named 'recommend' too
    (work / "data" / "2022.csv").write_text(",".join(header) + "\n" + text[1], encoding="utf-8")
    return WEIGHTS


def test_duplicate_csv_column_name_is_an_error_naming_both_columns(ran):
    """Two header cells 'recommend' (not renamed 'recommend.1'): one line naming both column positions."""
    position = list(load_slice().columns).index("recommend") + 1
    line = error_line(ran("duplicate-csv-column"))
    assert_names(line, "data/2022.csv: wave 2022", f"columns {position} and {position + 1} are both named 'recommend'",
                 "rename or delete one")


@case("stray-copy")
def setup_stray_copy(work, wave):
    shutil.copyfile(work / "data" / "2022.csv", work / "data" / "2022 (1).csv")
    (work / "data" / "README.txt").write_text("delivered by the supplier\n")
    (work / "data" / "~$2022.xlsx").write_bytes(b"lock")  # Excel's lock file of an open 2022.xlsx: ignored
    return WEIGHTS


def test_stray_wave_copy_is_refused_naming_it(ran):
    """`2022 (1).csv` beside 2022.csv is refused with a line naming it (a README and an Excel lock file are not)."""
    line = error_line(ran("stray-copy"))
    assert_names(line, "data/2022 (1).csv: not a wave file name", "named by its year alone (e.g. 2022.csv)", "rename it")


@case("excel-title-row")
def setup_excel_title_row(work, wave):
    with pd.ExcelWriter(work / "data" / "2022.xlsx", engine="openpyxl") as writer:
        numbers(wave).to_excel(writer, index=False, startrow=2)
        writer.sheets["Sheet1"]["A1"] = "Varumärkesundersökning 1177, 2022"
    (work / "data" / "2022.csv").unlink()
    return WEIGHTS


def test_title_row_above_the_excel_header_is_named(ran):
    """A title in row 1 and the header in row 3: the error says so (not "separate the columns with commas")."""
    line = error_line(ran("excel-title-row"))
    assert_names(line, "data/2022.xlsx: wave 2022", "are in row 3, below other text in rows 1–2 (a title?)", "delete the row(s) above")
    assert "commas" not in line


@case("csv-title-row")
def setup_csv_title_row(work, wave):
    path = work / "data" / "2022.csv"
    path.write_text("Varumärkesundersökning 1177 2022\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    return WEIGHTS


def test_title_line_above_the_csv_header_is_named(ran):
    """A title line above a CSV's header (read as a one-column file) is named as such, not "separate the columns with commas"."""
    line = error_line(ran("csv-title-row"))
    assert_names(line, "data/2022.csv: wave 2022: the column names ('respondent_id', 'sex' …) are below other text at the top",
                 "delete the row(s) above")
    assert "commas" not in line


@case("no-answers")
def setup_no_answers(work, wave):
    wave["recommend"] = ""
    wave.to_csv(work / "data" / "2022.csv", index=False)
    return WEIGHTS


def test_question_column_without_any_answer_is_an_error(ran):
    """An asked question whose column is blank throughout (the driver chart divided by zero on it): one line and the fix."""
    line = error_line(ran("no-answers"))
    assert_names(line, "data/2022.csv: wave 2022, column 'recommend'", "no answers at all", "remove 2022 from the question's waves")


@case("all-dont-know-item")
def setup_all_dont_know_item(work, wave):
    with_other_waves(work)
    wave["sv_inspiring"] = wave["sv_inspiring"].where(wave["sv_inspiring"] == "", "99")  # everyone asked says "Vet ej"
    wave.to_csv(work / "data" / "2022.csv", index=False)
    return TABLES


def test_driver_item_answered_only_with_dont_know_is_an_error(ran):
    """A driver item with no answer but "Vet ej" has no correlation (the regression failed, exit 3): one line naming slide and item."""
    line = error_line(ran("all-dont-know-item"))
    assert_names(line, "slide S27, metric 'main'", "wave 2022: no correlation for item(s) 'sv_inspiring'", "'recommend'")
