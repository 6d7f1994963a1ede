"""Every user mistake gives one `Error: …` line naming what is wrong and how to fix it, exit 1 (2 for usage), no traceback.

Each case runs the real command line (``python -m pipeline``) in a subprocess on its own temporary
copy of the config, the templates and a wave file, with one thing broken. Most cases use
``weights --wave 2022``, which stops at the first problem and needs only one wave.

A case is a setup function registered with ``@case(name)`` right above the test that checks it:
it breaks its copy and returns the command-line arguments. Starting Python with pandas costs
about a second per run, so the module's runs are started together, one per CPU core, the first
time a test asks for a result (the ``ran`` fixture); each test then asserts on its own run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from helpers import WAVES, copy_project, edit, run_cli

N_ROWS = 300  # a slice of the shipped 2022 wave: every sex × age cell present, quick to load
WEIGHTS = ["weights", "--wave", "2022", "--config", "config", "--data", "data", "--out", "w.csv"]
REPORT = ["report", "--config", "config", "--data", "data", "--wave", "2022", "--out", "out"]
VALIDATE = ["validate", "--config", "config", "--data", "data", "--wave", "2022"]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def error_line(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    """The single `Error: ` line of a failed run (asserting exit code, one line, no traceback, nothing else but warnings)."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    assert all(line.startswith(("Error: ", "WARNING: ")) for line in lines), result.stderr
    return errors[0]


def assert_names(line: str, *words: str) -> None:
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"


def load_slice() -> pd.DataFrame:
    """The first N_ROWS respondents of the shipped 2022 wave, every cell as text."""
    frame = pd.read_csv(WAVES / "2022.csv", dtype=str, keep_default_na=False, nrows=N_ROWS)
    cells = pd.crosstab(frame["sex"], pd.cut(frame["age"].astype(int), [0, 29, 44, 64, 200]))
    assert (cells.to_numpy() > 0).all() and cells.shape == (2, 4)  # the slice can be weighted
    assert frame["respondent_id"].is_unique  # the duplicate-id case makes its own duplicates
    return frame


# --------------------------------------------------------------------------- cases, run together


@dataclass
class Run:
    work: Path  # the case's folder (cwd of the run): config/, templates/, data/
    result: subprocess.CompletedProcess[str]
    wave: pd.DataFrame  # the wave slice as written before the case changed it
    validated: subprocess.CompletedProcess[str] | None  # `validate --wave 2022` on the same broken copy (input cases only)


Setup = Callable[[Path, pd.DataFrame], list[object]]
CASES: dict[str, Setup] = {}


def case(name: str) -> Callable[[Setup], Setup]:
    def register(setup: Setup) -> Setup:
        assert name not in CASES, name
        CASES[name] = setup
        return setup

    return register


def write_wave(work: Path, frame: pd.DataFrame, name: str = "2022.csv", **to_csv: object) -> Path:
    path = work / "data" / name
    frame.to_csv(path, index=False, **to_csv)
    return path


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Run]:
    """Set up every case, run them all concurrently, and return a lookup of the runs by case name."""
    wave = load_slice()
    prepared: dict[str, tuple[Path, list[object]]] = {}
    for name, setup in CASES.items():
        work = copy_project(tmp_path_factory.mktemp(name.replace("/", "-")))
        write_wave(work, wave)
        prepared[name] = (work, setup(work, wave.copy()))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {name: pool.submit(run_cli, *args, cwd=work) for name, (work, args) in prepared.items()}
        # validate writes nothing, so it can run on the same copy at the same time
        checks = {name: pool.submit(run_cli, *VALIDATE, cwd=prepared[name][0]) for name in prepared if _input_case(name)}
        runs = {name: Run(prepared[name][0], f.result(), wave, checks[name].result() if name in checks else None)
                for name, f in futures.items()}
    return runs.__getitem__


# --------------------------------------------------------------------------- data folder and wave files


@case("missing-data-folder")
def setup_missing_data_folder(work, wave):
    shutil.rmtree(work / "data")
    return WEIGHTS


def test_missing_data_folder(ran):
    line = error_line(ran("missing-data-folder").result)
    assert_names(line, "data: data folder not found", "--data DIR", "2022.csv")


@case("missing-wave-file")
def setup_missing_wave_file(work, wave):
    (work / "data" / "2022.csv").rename(work / "data" / "2021.csv")
    return WEIGHTS


def test_missing_wave_file_for_the_requested_year(ran):
    line = error_line(ran("missing-wave-file").result)
    assert_names(line, "data:", "no wave file for 2022", "found waves [2021]")


@case("no-wave-files")
def setup_no_wave_files(work, wave):
    (work / "data" / "2022.csv").rename(work / "data" / "README.txt")
    return WEIGHTS


def test_data_folder_without_any_wave_file(ran):
    line = error_line(ran("no-wave-files").result)
    assert_names(line, "data: no wave files found", "named by year such as 2022.csv")


EMPTY = {"csv-0-bytes": ("2022.csv", b""), "csv-only-bom": ("2022.csv", b"\xef\xbb\xbf\n"),
         "parquet-0-bytes": ("2022.parquet", b""), "xlsx-0-bytes": ("2022.xlsx", b"")}
for _key, (_name, _content) in EMPTY.items():
    def _empty(work, wave, name=_name, content=_content):
        (work / "data" / "2022.csv").unlink()
        (work / "data" / name).write_bytes(content)
        return WEIGHTS

    case(f"empty/{_key}")(_empty)


@pytest.mark.parametrize("key", EMPTY)
def test_empty_file(ran, key):
    line = error_line(ran(f"empty/{key}").result)
    assert_names(line, f"data/{EMPTY[key][0]}: wave 2022: the file is empty", "expected", "one row per respondent")


@case("header-only")
def setup_header_only(work, wave):
    write_wave(work, wave.iloc[:0])
    return WEIGHTS


def test_wave_with_no_respondents(ran):
    line = error_line(ran("header-only").result)
    assert_names(line, "data/2022.csv: wave 2022: no respondents", "header but no data rows", "one row per respondent")


@case("unknown-extension")
def setup_unknown_extension(work, wave):
    (work / "data" / "2022.csv").rename(work / "data" / "2022.txt")
    return WEIGHTS


def test_unknown_file_extension(ran):
    line = error_line(ran("unknown-extension").result)
    assert_names(line, "data/2022.txt", "unknown file type '.txt'", ".csv, .parquet, .sav, .xlsx")


CORRUPT = {"2022.xlsx": "Excel .xlsx", "2022.sav": "SPSS .sav", "2022.parquet": "Parquet"}
for _name in CORRUPT:
    def _corrupt(work, wave, name=_name):
        (work / "data" / "2022.csv").rename(work / "data" / name)  # a CSV renamed: not the container its name says
        return WEIGHTS

    case(f"corrupt/{_name}")(_corrupt)


@pytest.mark.parametrize("name", CORRUPT)
def test_corrupt_binary_file(ran, name):
    line = error_line(ran(f"corrupt/{name}").result)
    assert_names(line, f"data/{name}: wave 2022: cannot be read as {CORRUPT[name]}", "corrupt")


@case("truncated-parquet")
def setup_truncated_parquet(work, wave):
    (work / "data" / "2022.csv").unlink()
    path = work / "data" / "2022.parquet"
    wave.to_parquet(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a download cut off half-way
    return WEIGHTS


def test_truncated_parquet(ran):
    line = error_line(ran("truncated-parquet").result)
    assert_names(line, "data/2022.parquet: wave 2022: cannot be read as Parquet", "corrupt")


# --------------------------------------------------------------------------- encodings and separators: read correctly


VARIANTS = {  # name: (separator, encoding, note expected on stderr)
    "latin-1": (",", "latin-1", "not UTF-8 (first non-UTF-8 byte 0x"),
    "utf-8-bom": (",", "utf-8-sig", None),
    "semicolon": (";", "utf-8", "read with ';' as the column separator"),
    "semicolon+cp1252": (";", "cp1252", "read with ';' as the column separator"),
    "tab": ("\t", "utf-8", "read with '\\t' as the column separator"),
    "utf-16": (",", "utf-16", None),
}
for _variant, (_sep, _encoding, _) in VARIANTS.items():
    def _encoded(work, wave, sep=_sep, encoding=_encoding):
        write_wave(work, wave, sep=sep, encoding=encoding)
        return WEIGHTS

    case(f"encoding/{_variant}")(_encoded)


@pytest.mark.parametrize("variant", VARIANTS)
def test_csv_encodings_and_separators_are_read(ran, variant):
    """Latin-1, BOM, `;`, tab and UTF-16 files are read like the UTF-8 original: every respondent weighted."""
    run = ran(f"encoding/{variant}")
    assert any(ch in run.wave["advice_contact"].str.cat() for ch in "åäö")  # letters that differ between encodings
    assert run.result.returncode == 0, run.result.stderr
    assert "Error" not in run.result.stderr and "Traceback" not in run.result.stderr
    note = VARIANTS[variant][2]
    if note:
        assert note in run.result.stderr
    out = pd.read_csv(run.work / "w.csv", dtype={"respondent_id": str})
    assert len(out) == N_ROWS
    assert out["respondent_id"].tolist() == run.wave["respondent_id"].tolist()
    assert out["weight"].mean() == pytest.approx(1.0, rel=1e-12)


@case("nul-bytes")
def setup_nul_bytes(work, wave):
    (work / "data" / "2022.csv").write_bytes(wave.to_csv(index=False).encode("utf-16-le"))  # UTF-16 without BOM
    return WEIGHTS


def test_csv_with_nul_bytes_is_refused_clearly(ran):
    line = error_line(ran("nul-bytes").result)
    assert_names(line, "data/2022.csv: wave 2022", "NUL bytes", "UTF-16", "CSV UTF-8")


@case("ragged-row")
def setup_ragged_row(work, wave):
    path = work / "data" / "2022.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[5] += ",surplus"  # file line 6 has one field too many
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return WEIGHTS


def test_ragged_csv_row(ran):
    run = ran("ragged-row")
    line = error_line(run.result)
    assert_names(line, "data/2022.csv: wave 2022: not a readable CSV", "line 6", f"Expected {run.wave.shape[1]} fields")


# --------------------------------------------------------------------------- columns and values


MISSING = {"sex": (["sex"], "'sex'"), "age": (["age"], "'age' (or 'age_group')"),
           "id+sex": (["respondent_id", "sex"], "'respondent_id', 'sex'")}
for _key, (_drop, _) in MISSING.items():
    def _missing(work, wave, drop=_drop):
        write_wave(work, wave.drop(columns=drop))
        return WEIGHTS

    case(f"missing-column/{_key}")(_missing)


@pytest.mark.parametrize("key", MISSING)
def test_missing_required_column(ran, key):
    line = error_line(ran(f"missing-column/{key}").result)
    assert_names(line, "data/2022.csv: wave 2022: missing required column(s) " + MISSING[key][1],
                 "need respondent_id, sex, age (or age_group) (the weighting or the deck uses them", "docs/data-format.md")


@case("misspelt-column")
def setup_misspelt_column(work, wave):
    write_wave(work, wave.rename(columns={"sex": "Sex"}))
    return WEIGHTS


def test_misspelt_required_column_is_suggested(ran):
    line = error_line(ran("misspelt-column").result)
    assert_names(line, "missing required column(s) 'sex' (did you mean 'Sex'?", "case-sensitive")


@case("extra-columns")
def setup_extra_columns(work, wave):
    write_wave(work, wave.assign(panel_source="web", zz_internal="1"))
    return WEIGHTS


def test_extra_columns_warn_and_are_ignored(ran):
    run = ran("extra-columns")
    assert run.result.returncode == 0, run.result.stderr
    warning = [line for line in run.result.stderr.splitlines() if "unexpected column" in line]
    assert len(warning) == 1 and warning[0].startswith("WARNING: ")
    assert_names(warning[0], "data/2022.csv: wave 2022: 2 unexpected column(s) ignored: 'panel_source', 'zz_internal'")
    assert len(pd.read_csv(run.work / "w.csv")) == N_ROWS


OUT_OF_RANGE = {  # name: (column, bad value, 0-based data rows, what the message says is expected)
    "age-200": ("age", "200", [4, 9], "expected whole years 16–110"),
    "nps-11": ("recommend", "11", [0], "expects whole numbers 1–10"),
    "sex-X": ("sex", "X", [2, 3, 7, 8, 10, 12], "expected codes [1, 2] or names ['Man', 'Kvinna']"),
    "single-3": ("heard_of_1177", "3", [50], "expects codes [1, 2]"),
}
for _key, (_column, _value, _positions, _) in OUT_OF_RANGE.items():
    def _out_of_range(work, wave, column=_column, value=_value, positions=_positions):
        wave.loc[positions, column] = value
        write_wave(work, wave)
        return WEIGHTS

    case(f"out-of-range/{_key}")(_out_of_range)


@pytest.mark.parametrize("key", OUT_OF_RANGE)
def test_out_of_range_values(ran, key):
    column, value, positions, expected = OUT_OF_RANGE[key]
    run = ran(f"out-of-range/{key}")
    line = error_line(run.result)
    rows = [p + 2 for p in positions]  # file row numbers: the header is row 1
    shown_rows = ", ".join(map(str, rows[:5])) + (f", … ({len(rows)} in all)" if len(rows) > 5 else "")
    ids = ", ".join(repr(i) for i in run.wave.loc[positions[:3], "respondent_id"])
    assert_names(
        line,
        f"data/2022.csv: wave 2022, column {column!r}: {len(positions)} ",
        f"{value!r} in {'row' if len(rows) == 1 else 'rows'} {shown_rows} (respondent_id {ids})",
        expected,
    )
    assert line.count(repr(value)) == 1  # a repeated bad value is shown once, with the count in front


@case("duplicate-ids")
def setup_duplicate_ids(work, wave):
    wave.loc[[7, 30], "respondent_id"] = wave.loc[1, "respondent_id"]
    wave.loc[41, "respondent_id"] = wave.loc[20, "respondent_id"]
    write_wave(work, wave)
    return WEIGHTS


def test_duplicate_respondent_ids(ran):
    run = ran("duplicate-ids")
    first, second = run.wave.loc[1, "respondent_id"], run.wave.loc[20, "respondent_id"]
    line = error_line(run.result)
    assert_names(
        line,
        "data/2022.csv: wave 2022, column 'respondent_id': 2 respondent id(s) appear more than once",
        f"{first!r}, {second!r} in rows 3, 9, 22, 32, 43",  # data rows 1, 7, 20, 30, 41 + 2
        "each respondent must appear once",
    )


@case("empty-id")
def setup_empty_id(work, wave):
    wave.loc[[10, 11], "respondent_id"] = ""
    write_wave(work, wave)
    return WEIGHTS


def test_empty_respondent_id(ran):
    line = error_line(ran("empty-id").result)
    assert_names(line, "column 'respondent_id': 2 empty respondent id(s) in rows 12, 13", "unique id")


@case("absent-question")
def setup_absent_question(work, wave):
    write_wave(work, wave.drop(columns=["recommend"]))
    return WEIGHTS


def test_question_in_codebook_but_absent_from_wave(ran):
    line = error_line(ran("absent-question").result)
    assert_names(line, "data/2022.csv: wave 2022: question 'recommend' is asked in wave 2022", "'recommend' are absent",
                 "remove 2022 from the question's waves in codebook.yaml")


@case("absent-grid-items")
def setup_absent_grid_items(work, wave):
    write_wave(work, wave.drop(columns=["sv_safe", "sv_smooth"]))
    return WEIGHTS


def test_grid_items_absent_from_wave(ran):
    line = error_line(ran("absent-grid-items").result)
    assert_names(line, "question 'soft_values'", "'sv_safe', 'sv_smooth' are absent")


@case("trend-without-its-first-wave")
def setup_trend_without_first_wave(work, wave):
    deck = work / "config" / "deck.yaml"  # the shipped deck types no wave year; a user's deck may
    deck.write_text(deck.read_text(encoding="utf-8").replace("project_to: 2025}", "from_wave: 2018, project_to: 2025}"), encoding="utf-8")
    return ["tables", "--config", "config", "--data", "data", "--out", "t.xlsx"]  # only 2022.csv in data/


def test_trend_from_a_wave_that_is_not_there_names_slide_metric_and_fix(ran):
    """A trend typed to start at 2018; with only the 2022 file the message says so once, with the way out."""
    line = error_line(ran("trend-without-its-first-wave").result)
    assert line == ("Error: deck.yaml slide S46, metric 'trend': no value for from_wave 2018; waves with data: [2022]; "
                    "add the 2018 wave file or set options.from_wave to one of those waves")


# --------------------------------------------------------------------------- config


@case("bad-pattern")
def setup_bad_pattern(work, wave):
    edit(work / "config" / "codeframes" / "contact-2022.1.yaml", "patterns: ['\\bkry\\b']", "patterns: ['(kry']")
    return WEIGHTS


def test_invalid_code_frame_pattern(ran):
    line = error_line(ran("bad-pattern").result)
    assert_names(line, "codeframes/contact-2022.1.yaml: code frame contact@2022.1, category 'kry'",
                 "invalid regular expression '(kry'", "missing )", "escape ( )")


def _client_line(work: Path) -> tuple[Path, list[str], int]:
    path = work / "config" / "survey.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    return path, lines, next(i for i, line in enumerate(lines) if line.startswith("  client:"))


@case("yaml-syntax")
def setup_yaml_syntax(work, wave):
    path, lines, number = _client_line(work)
    lines[number] = "  client: Inera: AB"  # a second ': ' in a plain value
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return WEIGHTS


def test_yaml_syntax_error_names_file_line_and_column(ran):
    run = ran("yaml-syntax")
    _, lines, number = _client_line(run.work)
    column = lines[number].index(": AB") + 1  # 1-based column of the offending colon
    line = error_line(run.result)
    assert_names(line, f"config/survey.yaml: YAML syntax error at line {number + 1}, column {column}",
                 "mapping values are not allowed", "check the quotes")


@case("yaml-duplicate-key")
def setup_yaml_duplicate_key(work, wave):
    edit(work / "config" / "survey.yaml", "  max_iterations: 1000\n", "  max_iterations: 1000\n  method: poststratify\n")
    return WEIGHTS


def test_yaml_duplicate_key(ran):
    run = ran("yaml-duplicate-key")
    lines = (run.work / "config" / "survey.yaml").read_text(encoding="utf-8").splitlines()
    first, second = [i + 1 for i, line in enumerate(lines) if line.startswith("  method:")]
    line = error_line(run.result)
    assert_names(line, f"config/survey.yaml: line {second}, column 3: key 'method' appears twice", f"first at line {first}")


SCHEMA = {
    "bad-choice": ("  method: rake ", "  method: rank ",
                   ["weighting.method: Input should be 'rake', 'poststratify' or 'none'", "(got 'rank')"]),
    "unknown-key": ("  tolerance: 1.0e-12", "  tolerence: 1.0e-12",
                    ["weighting.tolerence: unknown key 'tolerence' (did you mean 'tolerance'?)",
                     "allowed keys here: method, variables, tolerance, max_iterations, trim, missing_demographics, collapse"]),
    "not-a-number": ("    suppress_below: 30", "    suppress_below: lots",
                     ["statistics.low_base.suppress_below: Input should be a valid integer", "(got 'lots')"]),
}
for _key, (_old, _new, _) in SCHEMA.items():
    def _schema(work, wave, old=_old, new=_new):
        edit(work / "config" / "survey.yaml", old, new)
        return WEIGHTS

    case(f"schema/{_key}")(_schema)


@pytest.mark.parametrize("key", SCHEMA)
def test_config_schema_error_names_key_path_and_what_is_allowed(ran, key):
    line = error_line(ran(f"schema/{key}").result)
    assert_names(line, "config/survey.yaml: ", *SCHEMA[key][2])


@case("schema-in-list")
def setup_schema_in_list(work, wave):
    edit(work / "config" / "deck.yaml", "  - id: S13\n    layout: chart\n", "  - id: S13\n    layout: charts\n")
    return WEIGHTS


def test_schema_error_in_a_list_names_the_item_id(ran):
    line = error_line(ran("schema-in-list").result)
    assert_names(line, "config/deck.yaml: slides[",
                 "] (id 'S13').layout: Input should be 'title', 'section', 'chart', 'two_charts' or 'text'", "(got 'charts')")


@case("no-targets-for-year")
def setup_no_targets_for_year(work, wave):
    path = work / "config" / "targets.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("\n  2022:")] + "\n", encoding="utf-8")
    return WEIGHTS


def test_population_targets_missing_for_wave_year(ran):
    line = error_line(ran("no-targets-for-year").result)
    assert_names(line, "config/targets.yaml: no population targets for wave year 2022", "have [2014, 2016, 2018, 2020, 2021]",
                 "add years.2022")


# --------------------------------------------------------------------------- template and output


@case("template-missing")
def setup_template_missing(work, wave):
    (work / "templates" / "1177.pptx").unlink()
    return REPORT


def test_missing_template(ran):
    run = ran("template-missing")
    line = error_line(run.result)
    assert_names(line, "templates/1177.pptx: slide template not found", "deck.yaml")
    assert not (run.work / "out" / "1177-2022.pptx").exists()


@case("template-without-layout")
def setup_template_without_layout(work, wave):
    from pptx import Presentation

    path = work / "templates" / "1177.pptx"
    prs = Presentation(str(path))
    prs.slide_layouts.remove(next(lay for lay in prs.slide_layouts if lay.name == "Två diagram"))
    prs.save(str(path))
    return REPORT


def test_template_without_a_required_layout(ran):
    line = error_line(ran("template-without-layout").result)
    assert_names(line, "templates/1177.pptx: the template has no slide layout named 'Två diagram'", "two_charts",
                 "'Avsnitt', 'Diagram', 'Text', 'Titel'", "change layouts in deck.yaml")


@case("template-not-pptx")
def setup_template_not_pptx(work, wave):
    (work / "templates" / "1177.pptx").write_bytes(b"not a zip file")
    return REPORT


def test_template_that_is_not_a_pptx(ran):
    line = error_line(ran("template-not-pptx").result)
    assert_names(line, "templates/1177.pptx: is not a PowerPoint file")


BLOCKED = {  # command: (arguments, expected message) with an output path whose parent is a regular file
    "report": (REPORT[:-1] + ["blocker/out"], "blocker/out: output folder cannot be created: blocker is a file"),
    "weights": (WEIGHTS[:-1] + ["blocker/w.csv"], "blocker: output folder is a file, not a folder"),
    "tables": (["tables", "--config", "config", "--data", "data", "--out", "blocker/t.xlsx"],
               "blocker: output folder is a file, not a folder"),
}
for _command, (_args, _) in BLOCKED.items():
    def _blocked(work, wave, args=_args):
        (work / "blocker").write_text("a file, not a folder", encoding="utf-8")
        return args

    case(f"output-below-file/{_command}")(_blocked)


@pytest.mark.parametrize("command", BLOCKED)
def test_output_folder_below_a_regular_file(ran, command):
    """An output path whose parent is a file cannot be written, even by root."""
    line = error_line(ran(f"output-below-file/{command}").result)
    assert_names(line, BLOCKED[command][1], "choose another with --out")


@case("weights-out-is-folder")
def setup_weights_out_is_folder(work, wave):
    (work / "w.csv").mkdir()
    return WEIGHTS


def test_weights_out_is_a_folder(ran):
    line = error_line(ran("weights-out-is-folder").result)
    assert_names(line, "w.csv: cannot be written (Is a directory)")


def setup_output_folder_read_only(work, wave):
    (work / "locked").mkdir()
    (work / "locked").chmod(0o500)
    return REPORT[:-1] + ["locked"]


if not IS_ROOT:  # as root the report would simply be written (a whole run for a skipped test)
    case("output-folder-read-only")(setup_output_folder_read_only)


@pytest.mark.skipif(IS_ROOT, reason="root can write into a 0o500 folder; test_output_folder_below_a_regular_file covers unwritable outputs")
def test_output_folder_without_write_permission(ran):
    line = error_line(ran("output-folder-read-only").result)
    assert_names(line, "locked: output folder cannot be written (Permission denied)", "--out DIR")


@case("failed-run-keeps-old-output")
def setup_failed_run_keeps_old_output(work, wave):
    wave.loc[3, "age"] = "200"
    write_wave(work, wave)
    (work / "w.csv").write_text("previous\n", encoding="utf-8")
    return WEIGHTS


def test_failed_run_leaves_the_previous_output(ran):
    run = ran("failed-run-keeps-old-output")
    error_line(run.result)
    assert (run.work / "w.csv").read_text(encoding="utf-8") == "previous\n"
    assert not [p.name for p in run.work.iterdir() if p.name.startswith(".w.csv")]


# --------------------------------------------------------------------------- command line


@case("debug")
def setup_debug(work, wave):
    return ["--debug", *WEIGHTS[:6], "nowhere", *WEIGHTS[7:]]


def test_debug_shows_the_traceback(ran):
    result = ran("debug").result
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "pipeline.errors.DataError: nowhere: data folder not found" in result.stderr


USAGE = {
    "unknown-option": (WEIGHTS + ["--bogus"], ["No such option: --bogus", "weights --help"]),
    "missing-option": (["weights", "--out", "w.csv"], ["Missing option '--wave'", "weights --help"]),
    "not-an-int": (["weights", "--wave", "twenty", "--out", "w.csv"], ["Invalid value for '--wave'", "weights --help"]),
    "unknown-command": (["frobnicate"], ["No such command 'frobnicate'", "--help"]),
}
for _key, (_args, _) in USAGE.items():
    case(f"usage/{_key}")(lambda work, wave, args=_args: args)


@pytest.mark.parametrize("key", USAGE)
def test_usage_errors_exit_2_with_one_line(ran, key):
    line = error_line(ran(f"usage/{key}").result, code=2)
    assert_names(line, *USAGE[key][1])


# --------------------------------------------------------------------------- validate agrees with report


# Cases that are not about the inputs validate checks: where the outputs go, how the command line is used,
# and inputs that are read correctly (--debug breaks only the --data path of its own command).
NOT_INPUT = ("output-below-file/", "weights-out-is-folder", "output-folder-read-only", "debug", "usage/", "encoding/", "extra-columns")


def _input_case(name: str) -> bool:
    return not name.startswith(NOT_INPUT)


# a config file with several problems: the run shows the first and says validate lists them all
MORE = re.compile(r" \(\d+ problems in this file; the first is shown, `survey-deck validate` lists them all\)$")


@pytest.mark.parametrize("name", [name for name in CASES if _input_case(name)])
def test_validate_lists_every_problem_that_stops_the_run(ran, name):
    """Every bad input that stops the run (report, tables or weights) makes `validate` fail too, with the same message."""
    run = ran(name)
    line = MORE.sub("", error_line(run.result))
    assert run.validated is not None
    assert run.validated.returncode == 1, run.validated.stderr
    assert "Traceback" not in run.validated.stderr
    assert line in run.validated.stderr.splitlines(), run.validated.stderr
