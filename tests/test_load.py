"""Load stage: any cell content gives a frame or a PipelineError; encodings and separators read like UTF-8."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import subset_project
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pipeline.errors import DataError, PipelineError
from pipeline.load import MISSING, Wave, load_wave

QUESTIONS = ["heard_of_1177", "recommend", "advice_contact"]

BASE = pd.DataFrame(
    {
        "respondent_id": [101, 102, 103, 104, 105, 106, 107, 108],
        "sex": [1, 2, 1, 2, 1, 2, 1, 2],
        "age": [20, 35, 50, 70, 25, 40, 60, 80],
        "region": [1, 2, 3, 4, 5, 6, 1, 2],
        "heard_of_1177": [1, 1, 2, 1, 1, 1, 1, 2],
        "recommend": [9, 7, None, 3, 10, 8, 6, None],
        "advice_contact": ["ringer 1177", "vårdcentralen", "", "vet ej", "kry", "1177 och sjukhuset", "", "nej"],
    }
)


@pytest.fixture(scope="module")
def small(project):
    """The real codebook cut down to the questions of BASE (so an 8-row file is a complete wave)."""
    return subset_project(project, QUESTIONS)


def test_base_frame_is_a_valid_wave(small, tmp_path):
    """The starting point of the property test loads as it is, with the codes it holds."""
    path = tmp_path / "2022.csv"
    BASE.to_csv(path, index=False)
    wave = load_wave(small, 2022, path)
    assert wave.frame["respondent_id"].tolist() == [str(i) for i in BASE["respondent_id"]]
    assert wave.frame["sex"].astype(str).tolist() == ["Man", "Kvinna"] * 4
    assert wave.frame["age_group"].astype(str).tolist() == ["18-29", "30-44", "45-64", "65+", "18-29", "30-44", "45-64", "65+"]
    assert wave.frame["recommend"].tolist() == [9, 7, MISSING, 3, 10, 8, 6, MISSING]


PLAUSIBLE = st.sampled_from(["1", "2", 1, 2, 2.0, " 3 ", "Kvinna", "man", "K", "9,0", 10, "", None, "45-64", 33, "ringer 1177"])
CELL = st.one_of(
    PLAUSIBLE,  # often valid somewhere: the loaded branch gets exercised too
    PLAUSIBLE,
    st.text(max_size=12),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "nan", "NA", "99", "1.0", "1,5", "2.5", "Kvinna", "M", "X", "65+", "1e400", "-0", "\ufeff1", "0x1"]),
    st.none(),
    st.booleans(),
)
EDITS = st.lists(
    st.tuples(st.integers(0, len(BASE) - 1), st.sampled_from([*BASE.columns, "extra_column"]), CELL), min_size=1, max_size=6
)


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _write(frame: pd.DataFrame, fmt: str, folder: Path) -> Path:
    path = folder / f"2022.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
        return path
    # Parquet needs one type per column: numbers stay numbers, anything mixed becomes text.
    typed = {}
    for col in frame.columns:
        values = frame[col].tolist()
        if all(v is None or _is_number(v) for v in values):
            typed[col] = pd.Series([np.nan if v is None else float(v) for v in values], dtype=float)
        else:
            typed[col] = pd.Series([None if v is None else str(v) for v in values], dtype=object)
    pd.DataFrame(typed).to_parquet(path)
    return path


def _check_wave(wave: Wave, small) -> None:
    """A wave that loads is complete and clean: every respondent, known categories, allowed codes only."""
    frame = wave.frame
    assert len(frame) == len(BASE)  # missing_demographics: error, so nobody is dropped
    ids = frame["respondent_id"].tolist()
    assert len(set(ids)) == len(ids) and all(isinstance(i, str) and i.strip() for i in ids)
    assert frame["sex"].notna().all() and frame["age_group"].notna().all()
    for qid in ("heard_of_1177", "recommend"):
        q = small.codebook.question(qid)
        allowed = q.valid_codes() | {MISSING} | ({small.codebook.dont_know_code} if q.dont_know != "none" else set())
        assert set(frame[qid].tolist()) <= allowed
    assert all(isinstance(t, str) for t in frame["advice_contact"])


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(edits=EDITS, fmt=st.sampled_from(["csv", "parquet"]))
def test_random_cells_give_a_frame_or_a_pipeline_error(small, edits, fmt):
    """Whatever lands in the cells (text, huge numbers, NaN, inf, blanks, booleans), the loader returns
    a clean wave or raises a PipelineError; never another exception, in stop-at-first or collect mode."""
    frame = BASE.astype(object).where(BASE.notna(), None)
    frame["extra_column"] = None
    for row, column, value in edits:
        frame.at[row, column] = value
    with tempfile.TemporaryDirectory() as folder:
        path = _write(frame, fmt, Path(folder))
        try:
            wave = load_wave(small, 2022, path)
        except PipelineError as exc:
            event(f"{fmt}: {type(exc).__name__}")
            message = str(exc)
            assert "\n" not in message and message.startswith(str(path))
        else:
            event(f"{fmt}: loaded")
            _check_wave(wave, small)
        problems: list[str] = []
        try:
            load_wave(small, 2022, path, problems=problems)
        except PipelineError:
            pass
        assert all(p.startswith(str(path)) for p in problems)


# --------------------------------------------------------------------------- encodings and separators


TEXTS = ["vårdcentralen", "Ärligt talat: 1177", "köper på apoteket", "ringer 1177; sen vc", "€ och «citat»"]


@pytest.fixture(scope="module")
def text_wave() -> pd.DataFrame:
    frame = BASE.copy()
    frame["advice_contact"] = (TEXTS * 2)[: len(frame)]
    return frame


@pytest.mark.parametrize(
    "sep, encoding, note",
    [
        (",", "latin-1", "read as Windows-1252"),
        (",", "cp1252", "read as Windows-1252"),
        (",", "utf-8-sig", None),
        (";", "utf-8", "read with ';' as the column separator"),
        (";", "cp1252", "read with ';' as the column separator"),
        ("\t", "utf-8", "read with '\\t' as the column separator"),
        (",", "utf-16", None),
    ],
)
def test_encodings_and_separators_give_the_utf8_frame(small, text_wave, tmp_path, sep, encoding, note):
    if encoding == "latin-1":
        frame = text_wave.assign(advice_contact=[t.replace("€", "EUR") for t in text_wave["advice_contact"]])  # € is not Latin-1
    else:
        frame = text_wave
    reference = tmp_path / "ref" / "2022.csv"
    reference.parent.mkdir()
    frame.to_csv(reference, index=False)
    path = tmp_path / "2022.csv"
    frame.to_csv(path, index=False, sep=sep, encoding=encoding)
    expected = load_wave(small, 2022, reference).frame
    wave = load_wave(small, 2022, path)
    pd.testing.assert_frame_equal(wave.frame, expected)
    assert wave.frame["advice_contact"].tolist() == [t.strip() for t in frame["advice_contact"]]
    if note:
        assert any(note in w for w in wave.warnings)
    else:
        assert not any("UTF-8" in w or "separator" in w for w in wave.warnings)


def test_latin1_warning_names_the_first_bad_line(small, text_wave, tmp_path):
    path = tmp_path / "2022.csv"
    text_wave.to_csv(path, index=False, encoding="cp1252")
    first = next(i for i, t in enumerate(text_wave["advice_contact"]) if not t.isascii())
    wave = load_wave(small, 2022, path)
    assert any("not UTF-8 (first non-UTF-8 byte 0x" in w and f"on line {first + 2})" in w for w in wave.warnings)


def test_bytes_undefined_in_windows_1252_fall_back_to_latin1(small, tmp_path):
    """0x81 and 0x9d have no Windows-1252 character; the file is still read (as Latin-1), nothing replaced by '?'."""
    path = tmp_path / "2022.csv"
    BASE.assign(advice_contact="x").to_csv(path, index=False)
    lines = path.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b",x", b",a\x81b\x9d")  # first respondent's open answer
    path.write_bytes(b"\n".join(lines))
    wave = load_wave(small, 2022, path)
    assert wave.frame["advice_contact"].iloc[0] == "a\x81b\x9d"
    assert any("read as Latin-1" in w for w in wave.warnings)


def test_nul_bytes_without_bom_are_refused(small, tmp_path):
    path = tmp_path / "2022.csv"
    path.write_bytes(BASE.to_csv(index=False).replace("vårdcentralen", "vård").encode("utf-16-le"))
    with pytest.raises(DataError, match=r"2022\.csv: wave 2022: contains NUL bytes"):
        load_wave(small, 2022, path)


def test_decimal_comma_and_float_codes_are_read(small, tmp_path):
    """'9,0' and 9.0 are the code 9; '9,5' is not a code and is named with its row."""
    path = tmp_path / "2022.csv"
    BASE.astype(object).assign(recommend=["9,0", "7.0", "", "3", "10", "8", "6", ""]).to_csv(path, index=False)
    assert load_wave(small, 2022, path).frame["recommend"].tolist() == [9, 7, MISSING, 3, 10, 8, 6, MISSING]
    BASE.astype(object).assign(recommend=["9,5", "7", "", "3", "10", "8", "6", ""]).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"column 'recommend': 1 out-of-range value\(s\) '9,5' in row 2 \(respondent_id '101'\)"):
        load_wave(small, 2022, path)


def test_validate_mode_collects_column_problems(small, tmp_path):
    """With a problems list, bad columns are all listed and the loader goes on."""
    path = tmp_path / "2022.csv"
    BASE.astype(object).assign(region=[1, 2, 3, 4, 5, 6, 7, 2], recommend=["9", "7", "", "3", "12", "8", "6", ""]).to_csv(path, index=False)
    problems: list[str] = []
    load_wave(small, 2022, path, problems=problems)
    assert len(problems) == 2
    assert "column 'region': 1 unknown region value(s) '7' in row 8 (respondent_id '107')" in problems[0]
    assert "column 'recommend': 1 out-of-range value(s) '12' in row 6 (respondent_id '105')" in problems[1]


# --------------------------------------------------------------------------- SPSS user-missing values, other formats


SAV_BASE = BASE.assign(online_attitude=[1.0, 5.0, 99.0, 9.0, 3.0, 99.0, np.nan, 2.0])


@pytest.fixture(scope="module")
def with_dont_know(project):
    """BASE's questions plus 'online_attitude' (scale 1–5 that offers "Vet ej", asked of everyone)."""
    return subset_project(project, [*QUESTIONS, "online_attitude"])


def _sav(frame: pd.DataFrame, folder: Path, **meta: object) -> Path:
    import pyreadstat

    path = folder / "2022.sav"
    pyreadstat.write_sav(frame.astype({c: float for c in frame.columns if frame[c].dtype.kind == "i"}), str(path), **meta)
    return path


def test_sav_user_missing_dont_know_is_kept_and_a_dont_know_label_is_mapped(with_dont_know, tmp_path):
    """Declared missing 99 stays 99; 9 labelled "Vet ej" becomes 99; a system-missing cell is MISSING."""
    path = _sav(SAV_BASE, tmp_path, missing_ranges={"online_attitude": [9, 99]},
                variable_value_labels={"online_attitude": {9.0: "Vet ej", 99.0: "Vet ej"}})
    frame = load_wave(with_dont_know, 2022, path).frame
    assert frame["online_attitude"].tolist() == [1, 5, 99, 99, 3, 99, MISSING, 2]


def test_sav_user_missing_code_that_is_an_answer_keeps_its_meaning(with_dont_know, tmp_path):
    """A supplier declaring 1–2 user-missing (a range) does not turn those answers into blanks."""
    path = _sav(SAV_BASE.assign(online_attitude=[1.0, 5.0, 99.0, 2.0, 3.0, 99.0, np.nan, 2.0]), tmp_path,
                missing_ranges={"online_attitude": [{"lo": 1, "hi": 2}]})
    assert load_wave(with_dont_know, 2022, path).frame["online_attitude"].tolist() == [1, 5, 99, 2, 3, 99, MISSING, 2]


def test_sav_user_missing_99_in_a_question_without_dont_know_is_an_error(with_dont_know, tmp_path):
    """'recommend' offers no "Vet ej": a declared missing 99 in it is named with the fix (dont_know: keep)."""
    path = _sav(SAV_BASE.assign(recommend=[9.0, 99.0, np.nan, 3.0, 10.0, 8.0, 6.0, np.nan]), tmp_path,
                missing_ranges={"recommend": [99]})
    with pytest.raises(DataError, match=r"2022.sav: wave 2022, column 'recommend': 1 cell\(s\) in record 2 \(respondent_id '102'\) "
                                        r"hold the user-missing code 99 declared in the .sav.*needs dont_know: keep"):
        load_wave(with_dont_know, 2022, path)


def test_sav_user_missing_demographic_is_unknown(with_dont_know, tmp_path):
    """A sex declared missing (9) is an unknown sex: the default policy names the record, as for a blank cell."""
    path = _sav(SAV_BASE.assign(sex=[1, 2, 9, 2, 1, 2, 1, 2]), tmp_path, missing_ranges={"sex": [9]})
    with pytest.raises(DataError, match=r"column 'sex': 1 missing value\(s\) '' in record 3 \(respondent_id '103'\)"):
        load_wave(with_dont_know, 2022, path)


def test_nullable_boolean_and_integer_parquet_columns_are_codes(with_dont_know, tmp_path):
    """Parquet `Int64` and `boolean` columns with nulls: the nulls are blanks, the values their codes."""
    frame = SAV_BASE.assign(
        recommend=pd.array([9, 7, None, 3, 10, 8, 6, None], dtype="Int64"),
        online_attitude=pd.array([1, 5, 99, 99, 3, 99, None, 2], dtype="Int64"),
        heard_of_1177=pd.array([1, 1, 2, 1, 1, 1, 1, 2], dtype="Int64"),
        region=pd.array([1, 2, 3, 4, 5, 6, 1, 2], dtype="Int8"),
    )
    path = tmp_path / "2022.parquet"
    frame.to_parquet(path)
    loaded = load_wave(with_dont_know, 2022, path).frame
    assert loaded["recommend"].tolist() == [9, 7, MISSING, 3, 10, 8, 6, MISSING]
    assert loaded["online_attitude"].tolist() == [1, 5, 99, 99, 3, 99, MISSING, 2]
    assert loaded["region"].astype(str).tolist()[:2] == ["Norra", "Uppsala-Örebro"]


def test_design_weight_that_is_not_a_number_is_named(small, tmp_path):
    """'x' and '0' as design weights: one error naming both values and their rows; '1,5' is a number."""
    path = tmp_path / "2022.csv"
    BASE.assign(design_weight=["1,5", "x", "1", "0", "1", "1", "1", "1"]).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"column 'design_weight': 2 design weight\(s\) that are missing, not a number, zero or "
                                        r"negative 'x', '0' in rows 3, 5"):
        load_wave(small, 2022, path)


def test_duplicate_excel_header_is_an_error_naming_both_columns(small, tmp_path):
    """Two Excel header cells 'recommend' (columns 6 and 8) are named, not renamed 'recommend.1'."""
    path = tmp_path / "2022.xlsx"
    frame = BASE.assign(extra=BASE["recommend"])
    frame.columns = [*BASE.columns, "recommend"]
    frame.to_excel(path, index=False)
    with pytest.raises(DataError, match=r"2022.xlsx: wave 2022: columns 6 and 8 are both named 'recommend'"):
        load_wave(small, 2022, path)


def test_excel_wave_reads_like_the_csv(small, tmp_path):
    """The same respondents as .xlsx give the frame of the CSV (header row 1, data from row 2)."""
    csv_path = tmp_path / "2022.csv"
    BASE.to_csv(csv_path, index=False)
    xlsx_folder = tmp_path / "x"
    xlsx_folder.mkdir()
    BASE.to_excel(xlsx_folder / "2022.xlsx", index=False)
    from_csv = load_wave(small, 2022, csv_path).frame
    from_xlsx = load_wave(small, 2022, xlsx_folder / "2022.xlsx").frame
    pd.testing.assert_frame_equal(from_xlsx, from_csv)


# --------------------------------------------------------------------------- optional demographics


def test_a_wave_without_region_loads_when_nothing_uses_region(small, tmp_path):
    """The shipped deck and weighting do not use region: a wave without the column loads, without a region column."""
    path = tmp_path / "2022.csv"
    BASE.drop(columns=["region"]).to_csv(path, index=False)
    frame = load_wave(small, 2022, path).frame
    assert "region" not in frame.columns
    assert frame["sex"].astype(str).tolist()[:2] == ["Man", "Kvinna"]


def test_region_is_required_when_the_weighting_rakes_on_it(small, tmp_path):
    """Raking on region makes the region column required, named in one line."""
    project = subset_project(small, QUESTIONS, weighting={"variables": ["sex", "age_group", "region"]})
    path = tmp_path / "2022.csv"
    BASE.drop(columns=["region"]).to_csv(path, index=False)
    need = r"missing required column\(s\) 'region'; this survey's wave files need respondent_id, sex, region, age \(or age_group\)"
    with pytest.raises(DataError, match=need):
        load_wave(project, 2022, path)


def test_unweighted_survey_without_sex_and_age_loads_and_keeps_blanks(project, tmp_path):
    """weighting none and a deck cut to no subgroups: no sex or age needed; a codebook without region and a file with
    blank sex cells load (the blanks stay unknown instead of stopping the run)."""
    bare = subset_project(project, QUESTIONS, weighting={"method": "none"})
    codebook = bare.codebook.model_copy(update={"demographics": bare.codebook.demographics.model_copy(update={"region": []})})
    deck = bare.deck.model_copy(update={"slides": [s for s in bare.deck.slides if not any(m.by for m in s.metrics.values())]})
    bare = bare.model_copy(update={"codebook": codebook, "deck": deck})
    path = tmp_path / "2022.csv"
    BASE.drop(columns=["region", "age"]).assign(sex=[1, "", 2, "", 1, 2, 1, 2]).to_csv(path, index=False)
    frame = load_wave(bare, 2022, path).frame
    assert "region" not in frame.columns and "age_group" not in frame.columns
    assert frame["sex"].cat.codes.tolist()[:4] == [0, -1, 1, -1]
    path.write_text(BASE[["respondent_id", *QUESTIONS]].to_csv(index=False), encoding="utf-8")
    frame = load_wave(bare, 2022, path).frame
    assert not {"sex", "age_group", "region"} & set(frame.columns)


@pytest.mark.parametrize("storage", ["pyarrow", "python"])
def test_blank_cells_are_empty_or_whitespace_text_in_either_string_storage(storage):
    """A text cell is blank when missing or only whitespace (spaces, tab, CR LF, no-break and em spaces), whichever
    storage pandas' string dtype uses; 'a' and ' x ' are not blank."""
    from pipeline.load import _blank

    cells = ["", " ", "\t", "a", None, "\u00a0", " x ", "\r\n", "\u2003"]
    series = pd.Series(cells, dtype=pd.StringDtype(storage, na_value=float("nan")))
    assert _blank(series).tolist() == [True, True, True, False, True, True, False, True, True]
