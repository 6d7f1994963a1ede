"""Load stage: wave files in, validated respondent frames out.

One file per wave lives in the waves folder, named by its year (``2022.csv``,
``2022.parquet``, ``2022.sav`` or ``2022.xlsx``). :func:`load_wave` reads one,
checks it against the codebook and returns a :class:`Wave` whose frame has:

* ``respondent_id`` (str), ``sex``, ``age_group``, ``region`` (categoricals with
  the codebook's canonical names; each only when the codebook declares it and the file
  has its column: a demographic the weighting or the deck uses is required), ``age``
  (float years, NaN if only a group was delivered or none), ``design_weight`` (float,
  1.0 when the file has none);
* one ``int16`` column per closed question or item, holding the answer code,
  the "Vet ej" code (99 by default) or :data:`MISSING` (-1) where the cell was
  blank (not asked or not answered);
* one text column per open question (``""`` where blank).

Anything that does not fit the data format (``docs/data-format.md``) raises
:class:`~pipeline.errors.DataError` naming file, wave, column, rows and values.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, TypeVarTuple, cast

import numpy as np
import pandas as pd

from pipeline.config import AgeGroup, Codebook, DemographicCategory, Project, Question
from pipeline.errors import DataError, did_you_mean, distinct_preview, preview
from pipeline.variables import used_variables, weighting_variables
from pipeline.wavefiles import SUFFIXES, discover_waves, file_sha256  # discover_waves is also imported from here (bench/run.py)

if TYPE_CHECKING:
    from pyreadstat.pyclasses import MissingRange

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")

MISSING = -1

# the dtype pandas gives a column of Python str: its string dtype (pandas ≥ 3) or object (pandas 2)
_TEXT_DTYPE = pd.Series(np.array(["x"], dtype=object)).dtype


@dataclass(frozen=True)
class Wave:
    """One validated wave: its year, source file and respondent frame."""

    year: int
    path: Path
    sha256: str
    frame: pd.DataFrame
    warnings: tuple[str, ...] = field(default_factory=tuple)
    excluded: int = 0

    @property
    def n(self) -> int:
        return len(self.frame)


# --------------------------------------------------------------------------- reading


@dataclass
class _Raw:
    frame: pd.DataFrame
    row_offset: int  # add to a 0-based data index to get the row number a user sees
    row_word: str
    value_labels: dict[str, dict[object, str]]
    notes: list[str]
    # SPSS: per column, the declared user-missing values as (low, high) ranges (a single value: low == high)
    user_missing: dict[str, list[tuple[object, object]]] = field(default_factory=dict)


def _sniff_separator(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda s: counts[s]) if max(counts.values()) > 0 else ","


def _decode(data: bytes, path: Path, wave: int, notes: list[str]) -> str:
    """Decode a CSV's bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252/Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path}: wave {wave}: starts like UTF-16 text but byte {exc.start} is not valid UTF-16; save the file as UTF-8 CSV"
            ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    if b"\x00" in data[:4096]:
        raise DataError(
            f"{path}: wave {wave}: contains NUL bytes, so it is not a text CSV (a UTF-16 file without BOM, or a binary file "
            "renamed to .csv?); save it as CSV UTF-8"
        )
    line = data.count(b"\n", 0, bad_at) + 1
    try:
        text, encoding = data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:  # bytes 0x81, 0x8d, 0x8f, 0x90, 0x9d are unused in Windows-1252
        text, encoding = data.decode("latin-1"), "Latin-1"
    notes.append(
        f"{path}: wave {wave}: not UTF-8 (first non-UTF-8 byte {data[bad_at]:#04x} on line {line}); read as {encoding}. "
        "Save the file as UTF-8 to be sure of the letters å, ä, ö"
    )
    return text


def _read_csv(path: Path, wave: int) -> _Raw:
    data = path.read_bytes()
    if not data.strip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n"):  # nothing but whitespace, a BOM or NULs
        raise DataError(f"{path}: wave {wave}: the file is empty; expected a header row and one row per respondent")
    notes: list[str] = []
    text = _decode(data, path, wave, notes)
    first_line = text.split("\n", 1)[0]
    sep = _sniff_separator(first_line)
    if sep != ",":
        notes.append(f"{path}: wave {wave}: read with {sep!r} as the column separator")
    import csv
    import io

    buffer = io.StringIO(text)
    try:
        header = next(csv.reader(buffer, delimiter=sep), [])  # as written: pandas renames a repeated name 'x.1'
    except csv.Error:
        header = []
    buffer.seek(0)
    try:
        frame = pd.read_csv(buffer, sep=sep, dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: wave {wave}: not a readable CSV ({str(exc).strip()}); check quoting and the separator") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: wave {wave}: the file is empty; expected a header row and one row per respondent") from None
    del buffer
    names = [str(c) for c in header] if len(header) == frame.shape[1] else [str(c) for c in frame.columns]
    frame.columns = [c.strip() for c in names]
    return _Raw(frame, 2, "row", {}, notes)


def _header_names(cells: list[object]) -> list[str]:
    """Column names from a header row as read (an empty cell named ``Unnamed: i`` as pandas does)."""
    names = []
    for i, cell in enumerate(cells):
        if _is_blank(cell):
            names.append(f"Unnamed: {i}")
        elif isinstance(cell, float) and cell.is_integer():
            names.append(str(int(cell)))
        else:
            names.append(str(cell).strip())
    return names


def _plain_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable number columns (pandas ``Int64``, ``boolean``, Arrow numbers) as NumPy ones: float with NaN if any null.

    A Parquet file written from pandas keeps whole-number columns with nulls as ``Int64``; read
    as they are, their nulls (pd.NA) would not be blanks to the checks below.
    """
    for column in range(frame.shape[1]):
        series = frame.iloc[:, column]
        dtype = series.dtype
        if not isinstance(dtype, pd.api.extensions.ExtensionDtype) or dtype.kind not in "iufb":
            continue
        numpy_dtype = getattr(dtype, "numpy_dtype", None)
        if series.hasnans or numpy_dtype is None:
            frame.isetitem(column, series.to_numpy(dtype=float, na_value=np.nan))
        else:
            frame.isetitem(column, series.to_numpy(dtype=numpy_dtype))
    return frame


def _read_other(path: Path, wave: int) -> _Raw:
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise DataError(f"{path}: wave {wave}: the file is empty; expected one row per respondent")
    labels: dict[str, dict[object, str]] = {}
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            # one column at a time, each freed from Arrow as it is converted: the file is never held twice
            table = pq.read_table(path)
            frame = table.to_pandas(split_blocks=True, self_destruct=True)
            del table
            return _Raw(_plain_numbers(frame), 1, "record", {}, [])
        if suffix == ".sav":
            import pyreadstat

            # user_missing=True: a declared user-missing value (99 "Vet ej") is read as its code, not as blank
            frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False, user_missing=True)
            value_labels = meta.variable_value_labels or {}
            labels = {col: dict(mapping.items()) for col, mapping in value_labels.items()}
            declared: dict[str, list[tuple[object, object]]] = {
                # a .sav file's ranges are {"lo": …, "hi": …} (pyreadstat's type covers every format's)
                col: [(r["lo"], r["hi"]) for r in cast("list[MissingRange]", ranges)]
                for col, ranges in (meta.missing_ranges or {}).items()
                if ranges
            }
            return _Raw(frame, 1, "record", labels, [], declared)
        # .xlsx (read_raw admits only SUFFIXES); the header row as written: pandas renames a repeated name 'x.1'
        frame = pd.read_excel(path, sheet_name=0, dtype=object, engine="openpyxl", header=None)
        frame.columns = _header_names(frame.iloc[0].tolist()) if len(frame) else []
        return _Raw(frame.iloc[1:].reset_index(drop=True), 2, "row", {}, [])
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure means a corrupt or foreign file
        kind = {".parquet": "Parquet", ".sav": "SPSS .sav", ".xlsx": "Excel .xlsx"}[suffix]
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"{path}: wave {wave}: cannot be read as {kind} ({reason[:160]}); the file may be corrupt or of another type"
        ) from None


def read_raw(path: Path, wave: int) -> _Raw:
    if not path.exists():
        raise DataError(f"{path}: wave {wave}: file not found; put the wave file there or pass --data DIR")
    if path.is_dir():
        raise DataError(f"{path}: wave {wave}: is a folder, not a wave file; remove or rename it")
    if path.suffix.lower() not in SUFFIXES:
        raise DataError(f"{path}: wave {wave}: unknown file type {path.suffix!r}; a wave file must be one of {', '.join(SUFFIXES)}")
    try:
        if path.suffix.lower() == ".csv":
            raw = _read_csv(path, wave)
        else:
            raw = _read_other(path, wave)
    except OSError as exc:
        raise DataError(
            f"{path}: wave {wave}: cannot be read ({exc.strerror or exc}); check that the file exists and is readable"
        ) from None
    if raw.frame.shape[1] == 0:
        raise DataError(f"{path}: wave {wave}: no columns found; expected a header row")
    names = [str(c) for c in raw.frame.columns]
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise DataError(
                f"{path}: wave {wave}: columns {seen[name]} and {position} are both named {name!r}; "
                "each column name must be unique: rename or delete one of them"
            )
        seen[name] = position
    return raw


# --------------------------------------------------------------------------- validation helpers


def _is_text(series: pd.Series) -> bool:
    """True if every cell is text or missing: pandas' string dtype, or object holding only ``str``.

    Such a column can be worked on per distinct value (``pd.factorize``) with the same result
    as per cell; a mixed object column (Excel: 1, 1.0 and True hash alike) cannot.
    """
    if isinstance(series.dtype, pd.StringDtype):
        return True
    return series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")


def _distinct(series: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """(position of each cell's value in the list of distinct values, or -1 where missing; that list)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes, list(uniques)


def _blank(series: pd.Series) -> np.ndarray:
    """True where a cell is empty (NaN, None or whitespace-only text)."""
    if series.dtype.kind in "fiub":
        return series.isna().to_numpy()
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        # Arrow's strip, as series.str.strip() does it, but without pandas' overhead per call (4× quicker per column)
        import pyarrow.compute as pc

        trimmed = pc.utf8_trim_whitespace(series.array.__arrow_array__())
        return np.asarray(pc.fill_null(pc.equal(pc.utf8_length(trimmed), 0), True).to_numpy(), dtype=bool)
    if isinstance(series.dtype, pd.StringDtype):  # stripped by Arrow, which strips what str.strip() strips
        empty = (series.str.strip() == "").to_numpy(dtype=bool, na_value=False)
        return series.isna().to_numpy() | empty
    values = series.astype(object)
    isna = pd.isna(values).to_numpy()
    text = values.where(~isna, "").astype(str).str.strip()
    return isna | (text == "").to_numpy()


def _as_codes(series: pd.Series, blank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (float codes with NaN for blank/unparseable, mask of unparseable non-blank cells)."""
    if series.dtype.kind in "iub":
        return series.to_numpy(dtype=float), np.zeros(len(series), dtype=bool)
    if series.dtype.kind == "f":
        values = series.to_numpy(dtype=float)
        bad = ~np.isnan(values) & (values != np.round(values))
        return values, bad
    if _is_text(series):  # parse each distinct text once
        codes, uniques = _distinct(series)
        parsed = _parse_numbers(uniques)
        values = np.append(parsed, np.nan)[codes]  # code -1 (missing) takes the appended NaN
        values[blank] = np.nan
    else:
        text = series.astype(object).where(~blank, None)
        values = _parse_numbers(text.tolist())
    bad = (~blank & np.isnan(values)) | (~np.isnan(values) & (values != np.round(values)))
    return values, bad


def _parse_numbers(cells: list[object]) -> np.ndarray:
    """Numbers in ``cells`` (decimal comma allowed, surrounding blanks ignored); NaN for None and non-numbers."""
    text = pd.Series([str(v).strip().replace(",", ".") if v is not None else None for v in cells], dtype=object)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)


class _Checker:
    """Collects context (file, wave, row numbering) for error messages."""

    def __init__(self, path: Path, wave: int, raw: _Raw, ids: np.ndarray | pd.api.extensions.ExtensionArray | None = None) -> None:
        self.path, self.wave, self.raw, self.ids = path, wave, raw, ids
        self.id_column = "respondent_id"  # the codebook's id column, named beside the ids in messages

    def rows(self, mask: np.ndarray, limit: int = 5) -> str:
        idx = np.flatnonzero(mask)
        nums = [int(i) + self.raw.row_offset for i in idx[:limit]]
        word = self.raw.row_word + ("s" if len(idx) != 1 else "")
        text = ", ".join(str(n) for n in nums)
        if len(idx) > limit:
            text += f", … ({len(idx)} in all)"
        if self.ids is not None:
            text += f" ({self.id_column} {preview([str(x) for x in self.ids[idx[:3]]], 3)})"
        return f"{word} {text}"

    def fail(self, column: str | None, message: str) -> DataError:
        where = f"{self.path}: wave {self.wave}"
        if column:
            where += f", column {column!r}"
        return DataError(f"{where}: {message}")


def _closed_column(
    check: _Checker, column: str, series: pd.Series, question: Question, codebook: Codebook, out: np.ndarray | None = None
) -> np.ndarray:
    """The column's answer codes as int16 (MISSING where blank), written into ``out`` if given."""
    allowed = question.valid_codes()
    dk_ok = question.dont_know != "none" and question.type != "multi"
    if dk_ok:
        allowed = allowed | {codebook.dont_know_code}
    present = unparseable = None  # None: every cell present / parseable
    if series.dtype.kind in "iu":
        values = series.to_numpy()
    elif series.dtype.kind == "f":
        values = series.to_numpy()
        present = ~np.isnan(values)
    else:
        values, unparseable = _as_codes(series, _blank(series))
        present = ~np.isnan(values)
    # Every present cell must be one of the codes: stored as int16 (blank: MISSING), a cell is valid if the
    # int16 round-trips to its value (no fraction, nothing out of int16's range) and the code is listed.
    codes = np.empty(len(series), dtype=np.int16) if out is None else out
    with np.errstate(invalid="ignore"):  # a float out of int16's range: caught by the round trip
        np.copyto(codes, values if present is None else np.where(present, values, MISSING), casting="unsafe")
    listed = np.zeros(1 << 16, dtype=bool)  # indexed by the int16's bits
    listed[np.array([c for c in allowed if -(1 << 15) <= c < 1 << 15], dtype=np.int16).view(np.uint16)] = True
    valid = listed[codes.view(np.uint16)] & (codes == values)
    bad = ~valid if present is None else present & ~valid
    if unparseable is not None:
        bad |= unparseable
    if bad.any():
        shown = series.astype(object)[bad].tolist()
        if question.scale is not None:
            expected = f"whole numbers {question.scale.min}–{question.scale.max}"
        elif question.type == "multi":
            expected = "1 (mentioned) or 0 (not mentioned)"
        else:
            expected = f"codes {sorted(question.valid_codes())}"
        if dk_ok:
            expected += f", {codebook.dont_know_code} for 'Vet ej'"
        raise check.fail(
            column,
            f"{int(bad.sum())} out-of-range value(s) {distinct_preview(shown)} in {check.rows(bad)}; "
            f"question {question.id!r} expects {expected}, or a blank cell if not asked",
        )
    return codes


def _category_column(
    check: _Checker,
    column: str,
    series: pd.Series,
    categories: Sequence[DemographicCategory | AgeGroup],
    labels: dict[object, str] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Map codes, names or aliases to category positions; return (positions, bad mask). -1 = blank."""
    lookup: dict[str, int] = {}
    for pos, cat in enumerate(categories):
        keys = [str(cat.code), cat.name, *(cat.label.get(lang) for lang in cat.label.languages), *getattr(cat, "aliases", [])]
        for key in keys:
            lookup[key.strip().lower()] = pos
    if labels:
        # SPSS value labels: a code whose label names one of our categories maps to it.
        for code, label in labels.items():
            key = str(label).strip().lower()
            if key in lookup:
                code_key = str(int(code)) if isinstance(code, float) and code.is_integer() else str(code)
                lookup[code_key.lower()] = lookup[key]
    blank = _blank(series)

    def norm(v: object) -> str:
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip().lower()

    # each distinct value is looked up once (values equal in Python, such as 1 and 1.0, share a lookup)
    codes, uniques = _distinct(series)
    at = np.array([lookup.get(norm(u), -2) for u in uniques] + [-1], dtype=np.int16)
    positions = at[codes]  # code -1 (missing) takes the appended -1
    positions[blank] = -1
    bad = positions == -2
    return positions, bad


def _declared_missing(series: pd.Series, ranges: list[tuple[object, object]]) -> np.ndarray:
    """True where a cell holds one of an SPSS column's declared user-missing values (ranges, low and high included)."""
    mask = np.zeros(len(series), dtype=bool)
    if series.dtype.kind in "fiu":
        values = series.to_numpy(dtype=float)
        for low, high in ranges:
            if isinstance(low, (int, float)) and isinstance(high, (int, float)):
                mask |= (values >= low) & (values <= high)
        return mask
    text = series.astype(object).where(~_blank(series), None).map(lambda v: None if v is None else str(v).strip())
    for low, high in ranges:
        if low == high:  # SPSS declares text missing values one by one
            mask |= (text == str(low).strip()).to_numpy(dtype=bool)
    return mask


def _user_missing_codes(
    check: _Checker, column: str, series: pd.Series, question: Question, codebook: Codebook, raw: _Raw
) -> pd.Series:
    """A closed column's declared user-missing codes mapped through the codebook (SPSS).

    The "Vet ej" code stays as it is; another code whose value label is the codebook's
    "Vet ej" label becomes that code; a code the question lists as an answer stays. A
    declared user-missing code the codebook does not know for this question is an error.
    """
    declared = _declared_missing(series, raw.user_missing[column])
    if not declared.any():
        return series
    values = _as_codes(series, _blank(series))[0].copy()
    dk = codebook.dont_know_code
    dk_ok = question.dont_know != "none" and question.type != "multi"
    dk_labels = {codebook.dont_know_label.get(lang).strip().lower() for lang in codebook.dont_know_label.languages}
    labels = {float(k): str(v) for k, v in raw.value_labels.get(column, {}).items() if isinstance(k, (int, float))}
    for code in sorted(set(values[declared & ~np.isnan(values)].tolist())):
        label = labels.get(code)
        if dk_ok and code == dk:
            continue
        if dk_ok and label is not None and label.strip().lower() in dk_labels:
            values[declared & (values == code)] = dk
            continue
        if code in question.valid_codes():
            continue
        cells = declared & (values == code)
        shown = (
            f"{int(code)} ({label!r})" if label is not None and code.is_integer() else (str(int(code)) if code.is_integer() else str(code))
        )
        dk_hint = f" ({dk} 'Vet ej' needs dont_know: keep)" if code == dk and not dk_ok else ""
        raise check.fail(
            column,
            f"{int(cells.sum())} cell(s) in {check.rows(cells)} hold the user-missing code {shown} declared in the .sav, which "
            f"question {question.id!r} does not have in the codebook (codes {sorted(question.valid_codes())}); add the code to "
            f"the question in the codebook (codebook.yaml){dk_hint}, or make those cells system-missing (blank) if the question "
            "was not asked",
        )
    return pd.Series(values, index=series.index, name=series.name)


def _header_row_below(frame: pd.DataFrame, names: list[str], limit: int = 20) -> int | None:
    """The 0-based data row among the first ``limit`` that holds every one of ``names`` (a header below a title), else None."""
    wanted = {n.strip().lower() for n in names}
    # a CSV row longer than its header (the title) has its leading cells in the index: search those too
    head = frame.head(limit).reset_index(drop=isinstance(frame.index, pd.RangeIndex))
    for index, row in enumerate(head.itertuples(index=False)):
        cells = {str(v).strip().lower() for v in row if not _is_blank(v)}
        if wanted <= cells:
            return index
    return None


def _age_groups(check: _Checker, frame: pd.DataFrame, codebook: Codebook, raw: _Raw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (age years float, group positions with -1 for unknown, bad mask)."""
    demo = codebook.demographics
    groups = demo.age_groups
    if demo.age_column in frame.columns:
        series = frame[demo.age_column]
        blank = _blank(series)
        years, unparseable = _as_codes(series, blank)
        present = ~np.isnan(years)
        out_of_range = present & ((years < demo.age_min) | (years > demo.age_max))
        bad = unparseable | out_of_range
        if bad.any():
            raise check.fail(
                demo.age_column,
                f"{int(bad.sum())} impossible age(s) {distinct_preview(series.astype(object)[bad].tolist())} in {check.rows(bad)}; "
                f"expected whole years {demo.age_min}–{demo.age_max}, or a blank cell if unknown",
            )
        pos = np.full(len(series), -1, dtype=np.int16)
        for i, g in enumerate(groups):
            upper = g.max if g.max is not None else demo.age_max
            pos[present & (years >= g.min) & (years <= upper)] = i
        outside = present & (pos == -1)
        if outside.any():
            raise check.fail(
                demo.age_column,
                f"age(s) {distinct_preview(series.astype(object)[outside].tolist())} in {check.rows(outside)} fall in no age group "
                f"of the codebook ({', '.join(g.name for g in groups)}); the survey covers adults only",
            )
        return years, pos, np.zeros(len(series), dtype=bool)
    series = frame[demo.age_group_column]
    pos, bad = _category_column(check, demo.age_group_column, series, groups, raw.value_labels.get(demo.age_group_column))
    return np.full(len(series), np.nan), pos, bad


def _required_names(respondent_id: str, columns: list[str], age: bool, age_column: str, age_group_column: str) -> list[str]:
    """The required columns as the missing-column message lists them."""
    return [respondent_id, *columns, *([f"{age_column} (or {age_group_column})"] if age else [])]


# --------------------------------------------------------------------------- main entry


def load_wave(
    project: Project, year: int, path: Path, problems: list[str] | None = None, sha256: str | None = None
) -> Wave:
    """Read and validate the wave file ``path`` for ``year`` into a :class:`Wave`.

    With ``problems`` given, column-level problems are appended to it (and the
    column skipped) instead of stopping at the first, so ``validate`` can list
    them all; problems that make the file unreadable still raise.
    """

    def guard(fn: Callable[[*_Ts], _T], *args: *_Ts) -> _T | None:
        """``fn(*args)``; a DataError it raises is collected in ``problems`` (None is returned) or, without them, raised."""
        try:
            return fn(*args)
        except DataError as exc:
            if problems is None:
                raise
            problems.append(str(exc))
            return None

    codebook = project.codebook
    demo = codebook.demographics
    raw = read_raw(path, year)
    frame = raw.frame
    warnings = list(raw.notes)
    check = _Checker(path, year, raw)
    demographic = (
        demo.respondent_id, demo.sex_column, demo.age_column, demo.age_group_column, demo.region_column, demo.design_weight_column
    )
    for column in demographic:
        if column in raw.user_missing and column in frame.columns:  # SPSS: a declared missing value is an unknown one
            declared = _declared_missing(frame[column], raw.user_missing[column])
            if declared.any():
                frame[column] = frame[column].where(~declared)
    if len(frame) == 0:
        raise check.fail(None, "no respondents (the file has a header but no data rows); expected one row per respondent")

    # sex, age and region are optional: a declared one is read when its column is there, and required only when the
    # weighting or the deck uses it (then a wave without it stops here, naming the column)
    used = used_variables(project)
    weighted = weighting_variables(project)
    has_age = demo.age_column in frame.columns or demo.age_group_column in frame.columns
    required = [demo.respondent_id] + [column for var, column in (("sex", demo.sex_column), ("region", demo.region_column))
                                       if var in used and demo.categories(var)]
    need_age = "age_group" in used and bool(demo.age_groups)
    missing = [c for c in required if c not in frame.columns]
    if need_age and not has_age:
        missing.append(f"{demo.age_column} (or {demo.age_group_column})")
    if missing:
        named = [repr(c) + did_you_mean(c, frame.columns) for c in missing if c in required]
        if need_age and not has_age:
            hint = did_you_mean(demo.age_column, frame.columns) or did_you_mean(demo.age_group_column, frame.columns)
            named.append(f"{demo.age_column!r} (or {demo.age_group_column!r}){hint}")
        below = _header_row_below(frame, [demo.respondent_id, demo.sex_column]) if raw.row_word == "row" else None
        if below is not None:
            row = below + raw.row_offset
            where = (  # a CSV's blank lines are skipped, so its row numbers would not be the file's
                f"in row {row}, below other text in row{'s 1–' + str(row - 1) if row > 2 else ' 1'}"
                if path.suffix.lower() == ".xlsx" else "below other text at the top of the file"
            )
            raise check.fail(
                None,
                f"the column names ({demo.respondent_id!r}, {demo.sex_column!r} …) are {where} (a title?); delete the row(s) "
                "above the column names so that they are in row 1",
            )
        one_column = ""
        if len(frame.columns) == 1:
            one_column = " Only one column was read: separate the columns with commas (or semicolons or tabs)."
        raise check.fail(
            None,
            f"missing required column(s) {', '.join(named)}; this survey's wave files need "
            f"{', '.join(_required_names(demo.respondent_id, required[1:], need_age, demo.age_column, demo.age_group_column))} "
            f"(the weighting or the deck uses them; see docs/data-format.md); "
            f"columns found: {preview(list(frame.columns), 8)}.{one_column}",
        )

    ids_blank = _blank(frame[demo.respondent_id])
    if ids_blank.any():
        guard(_raise, check.fail(
            demo.respondent_id,
            f"{int(ids_blank.sum())} empty respondent id(s) in {check.rows(ids_blank)}; every row needs a unique id",
        ))
    ids_arr = _respondent_ids(frame[demo.respondent_id])
    # whole-number ids are compared as numbers (the same ids as their text, and faster)
    id_keys = frame[demo.respondent_id] if frame[demo.respondent_id].dtype.kind in "iu" else pd.Series(ids_arr)
    dup = id_keys.duplicated(keep=False).to_numpy() & ~ids_blank
    if dup.any():
        repeated = pd.unique(ids_arr[dup])
        guard(_raise, check.fail(
            demo.respondent_id,
            f"{len(repeated)} respondent id(s) appear more than once: {distinct_preview(repeated.tolist())} in {check.rows(dup)}; "
            "each respondent must appear once (remove the repeated rows or give each respondent its own id)",
        ))
    check.ids, check.id_column = ids_arr, demo.respondent_id

    n_rows = len(frame)
    has_sex = bool(demo.sex) and demo.sex_column in frame.columns
    has_age = has_age and bool(demo.age_groups)
    has_region = bool(demo.region) and demo.region_column in frame.columns
    no_codes, no_rows = np.full(n_rows, -1, dtype=np.int16), np.zeros(n_rows, dtype=bool)
    sex_pos, sex_bad = (
        _category_column(check, demo.sex_column, frame[demo.sex_column], demo.sex, raw.value_labels.get(demo.sex_column))
        if has_sex else (no_codes.copy(), no_rows)
    )
    ages = guard(_age_groups, check, frame, codebook, raw) if has_age else None
    if ages is None:  # no age in this survey or wave (-1: none), or its problems were collected (0: as before)
        ages = (np.full(n_rows, np.nan), np.full(n_rows, 0 if has_age else -1, dtype=np.int16), np.zeros(n_rows, dtype=bool))
    years, age_pos, age_bad = ages
    region_pos, region_bad = (
        _category_column(check, demo.region_column, frame[demo.region_column], demo.region, raw.value_labels.get(demo.region_column))
        if has_region else (no_codes.copy(), no_rows)
    )

    policy = project.survey.weighting.missing_demographics
    demo_checks = {}
    if has_sex:
        demo_checks[demo.sex_column] = (
            sex_bad, sex_pos == -1 if "sex" in weighted else no_rows,
            f"codes {[c.code for c in demo.sex]} or names {[c.name for c in demo.sex]}",
        )
    if has_age:
        demo_checks[demo.age_column if demo.age_column in frame.columns else demo.age_group_column] = (
            age_bad,
            age_pos == -1 if "age_group" in weighted else no_rows,
            f"years {demo.age_min}–{demo.age_max} or groups {[g.name for g in demo.age_groups]}",
        )

    def region_check() -> None:
        if region_bad.any():
            shown = frame[demo.region_column].astype(object)[region_bad].tolist()
            raise check.fail(
                demo.region_column,
                f"{int(region_bad.sum())} unknown region value(s) {distinct_preview(shown)} in {check.rows(region_bad)}; "
                f"expected codes {[c.code for c in demo.region]} or names {[c.name for c in demo.region]}",
            )

    guard(region_check)
    drop = np.zeros(len(frame), dtype=bool)
    for column, (bad, blank, expected) in demo_checks.items():
        unusable = bad | blank
        if not unusable.any():
            continue
        if policy == "error" or (bad.any() and policy != "exclude"):
            what = "unknown" if bad.any() else "missing"
            shown = frame[column].astype(object)[unusable].tolist()
            guard(_raise, check.fail(
                column,
                f"{int(unusable.sum())} {what} value(s) {distinct_preview(['' if _is_blank(v) else v for v in shown])} "
                f"in {check.rows(unusable)}; "
                f"expected {expected}. Fix the file, or set weighting.missing_demographics to exclude or impute in survey.yaml",
            ))
            continue
        if policy == "exclude":
            drop |= unusable
    imputed = 0
    if policy == "impute":
        # Impute a missing sex or age group by the wave's most common cell among complete rows.
        for var, pos in (("sex", sex_pos), ("age_group", age_pos)):
            if var not in weighted:
                continue  # a demographic the weighting does not use keeps its blanks
            missing_mask = pos == -1
            if missing_mask.any():
                observed = pos[pos >= 0]
                mode = int(np.bincount(observed).argmax()) if observed.size else 0
                pos[missing_mask] = mode
                imputed += int(missing_mask.sum())
        if imputed:
            warnings.append(
                f"wave {year}: imputed {imputed} missing sex/age value(s) with the most common category "
                "(weighting.missing_demographics: impute)"
            )
    region_pos = np.where(region_pos < 0, -1, region_pos)

    out: dict[str, object] = {"respondent_id": ids_arr}
    if has_sex:
        out["sex"] = pd.Categorical.from_codes(np.where(sex_pos < 0, -1, sex_pos), categories=pd.Index(demo.categories("sex")))
    if has_age:
        out["age_group"] = pd.Categorical.from_codes(np.where(age_pos < 0, -1, age_pos), categories=pd.Index(demo.categories("age_group")))
    if has_region:
        out["region"] = pd.Categorical.from_codes(region_pos, categories=pd.Index(demo.categories("region")))
    out["age"] = years

    if demo.design_weight_column in frame.columns:
        series = frame[demo.design_weight_column]
        blank = _blank(series)
        values = _as_codes(series, blank)[0]  # numbers as they are; text parsed, a decimal comma allowed
        bad = blank | np.isnan(values) | (values <= 0) | ~np.isfinite(values)
        if bad.any():
            guard(_raise, check.fail(
                demo.design_weight_column,
                f"{int(bad.sum())} design weight(s) that are missing, not a number, zero or negative "
                f"{distinct_preview(series.astype(object)[bad].tolist())} "
                f"in {check.rows(bad)}; design weights must be positive numbers (drop the column if there are none)",
            ))
        out["design_weight"] = values
        if bad.any():
            out["design_weight"] = np.where(bad, 1.0, values)
    else:
        out["design_weight"] = np.ones(len(frame))

    failed: set[str] = set()  # columns whose problems were collected (validate); routing on them is not checked
    claimed = set(demographic) | {c for q in codebook.questions for c in q.columns}
    unclaimed = [c for c in frame.columns if c not in claimed]  # where a misspelt column name would be
    block = _ClosedBlock(codebook, year, frame, set(out))
    for question in codebook.questions:
        asked = question.asked(year)
        present = [c for c in question.columns if c in frame.columns]
        if not asked:
            continue
        absent = [c for c in question.columns if c not in frame.columns]
        if absent:
            guard(_raise, check.fail(
                None,
                f"question {question.id!r} is asked in wave {year} according to the codebook, but its column(s) "
                f"{', '.join(repr(c) + did_you_mean(c, unclaimed) for c in absent[:5])}"
                f"{f' … ({len(absent)} in all)' if len(absent) > 5 else ''} are absent; add them (blank cells where not asked) "
                f"or remove {year} from the question's waves in codebook.yaml",
            ))
            continue
        for column in present:
            if question.type == "open":
                text = _open_text(frame[column])
                out[column] = text
                no_answer = bool(np.asarray(text == "").all())
            else:
                cells: pd.Series | None = frame[column]
                if column in raw.user_missing:
                    cells = guard(_user_missing_codes, check, column, frame[column], question, codebook, raw)
                codes = None if cells is None else guard(_closed_column, check, column, cells, question, codebook, block.row(column))
                if codes is None:  # listed in problems; its codes are unknown
                    failed.add(column)
                    codes = np.full(len(frame), MISSING, dtype=np.int16)
                    no_answer = False
                else:
                    no_answer = bool((codes == MISSING).all())
                out[column] = block.keep(column, codes)
            if no_answer:
                guard(_raise, check.fail(
                    column,
                    f"no answers at all (every cell is blank), although the codebook says question {question.id!r} is asked in "
                    f"wave {year}; deliver its answers, or remove {year} from the question's waves in codebook.yaml",
                ))

    if unclaimed:
        warnings.append(
            f"{path}: wave {year}: {len(unclaimed)} unexpected column(s) ignored: {preview(unclaimed)}; "
            "add them to the codebook (codebook.yaml) if they should be reported"
        )

    result = block.frame(out)
    warnings.extend(_routing_warnings(result, codebook, year, path, failed))
    excluded = int(drop.sum())
    if excluded:
        result = result.loc[~drop].reset_index(drop=True)
        warnings.append(
            f"wave {year}: excluded {excluded} respondent(s) with missing or unknown sex/age (weighting.missing_demographics: exclude)"
        )
        if len(result) == 0:
            raise check.fail(None, "no respondents left after excluding rows with missing sex/age")
    for w in warnings:
        log.warning(w)
    return Wave(year=year, path=path, sha256=sha256 or file_sha256(path), frame=result, warnings=tuple(warnings), excluded=excluded)


class _ClosedBlock:
    """The int16 answer codes of a wave's closed questions in one (columns × respondents) array.

    ``pd.DataFrame`` of a dict of 80-odd million-row columns stacks them into a new block
    (another copy of them all, freshly paged in: 160 MB for a million respondents);
    written here row by row as each column is checked, the array becomes the frame's
    block as it is. Used when every closed column's name is its own (no clash with an
    open question or a demographic column); otherwise the frame is built from the dict.
    """

    _IN_BLOCK = object()  # placeholder in the dict of columns: the values are in the block

    def __init__(self, codebook: Codebook, year: int, frame: pd.DataFrame, taken: set[str]) -> None:
        rows: dict[str, int] = {}
        other = set(taken)
        for question in codebook.asked_in(year):  # the closed columns the loop in load_wave keeps, in its order
            if not all(c in frame.columns for c in question.columns):
                continue
            for column in question.columns:
                if question.type == "open":
                    other.add(column)
                else:
                    rows.setdefault(column, len(rows))
        self.rows = rows if rows and not (other & set(rows)) else {}
        self.codes = np.empty((len(self.rows), len(frame)), dtype=np.int16)

    def row(self, column: str) -> np.ndarray | None:
        """Where to write a closed column's codes (None: not in the block)."""
        return self.codes[self.rows[column]] if column in self.rows else None

    def keep(self, column: str, codes: np.ndarray) -> object:
        """Store a closed column's codes (unless written into its row already); return what goes into the dict of columns."""
        if column not in self.rows:
            return codes
        row = self.codes[self.rows[column]]
        if not np.may_share_memory(codes, row):  # not written in place (a column whose problems were collected)
            row[:] = codes
        return self._IN_BLOCK

    def frame(self, columns: dict[str, object]) -> pd.DataFrame:
        """The wave frame of ``columns`` (in their order), the closed codes taken from the block."""
        if not self.rows:
            return pd.DataFrame(columns)
        rest = pd.DataFrame({k: v for k, v in columns.items() if v is not self._IN_BLOCK})
        closed = pd.DataFrame(self.codes.T, columns=list(self.rows), copy=False)
        return pd.concat([rest, closed], axis=1)[list(columns)]


def _respondent_ids(series: pd.Series) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """Respondent ids as text: whole-number floats without ".0", text stripped of surrounding blanks."""
    text = None
    if not series.hasnans:
        if series.dtype.kind in "iu":
            text = series.astype(str)
        elif series.dtype.kind == "f":
            values = series.to_numpy()
            if np.all(values == np.floor(values)) and np.all(np.abs(values) < 2**62):
                text = pd.Series(values.astype(np.int64)).astype(str)
        elif series.dtype == _TEXT_DTYPE and isinstance(series.dtype, pd.StringDtype):
            text = series.str.strip()  # Arrow strips exactly what str.strip() strips
    if text is not None:
        return text.array
    # a missing id becomes "nan" here; such a file fails on its blank ids anyway
    ids = series.astype(object).map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip())
    return ids.to_numpy(dtype=object)


def _open_text(series: pd.Series) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """An open answer column as stripped text, ``""`` where blank (NaN, None or whitespace only)."""
    if series.dtype == _TEXT_DTYPE and isinstance(series.dtype, pd.StringDtype):
        return series.fillna("").str.strip().array  # in Arrow, which strips exactly what str.strip() strips
    if _is_text(series):  # strip each distinct text once
        codes, uniques = _distinct(series)
        stripped = pd.Series(np.array([u.strip() for u in uniques] + [""], dtype=object))  # the dtype a frame infers
        return stripped.array.take(np.where(codes < 0, len(uniques), codes))  # code -1 (missing) takes the ""
    blank = _blank(series)
    return series.astype(object).where(~blank, "").map(lambda v: str(v).strip()).to_numpy(dtype=object)


def _raise(exc: DataError) -> None:
    raise exc


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str) and not value.strip())


def routed_mask(frame: pd.DataFrame, question: Question) -> np.ndarray:
    """Return True for respondents who were asked ``question`` (all, if it is not routed)."""
    if question.routing is None:
        return np.ones(len(frame), dtype=bool)
    codes = frame[question.routing.column].to_numpy()
    return np.isin(codes, question.routing.codes)


def _routing_warnings(
    frame: pd.DataFrame, codebook: Codebook, year: int, path: Path, failed: set[str] | frozenset[str] = frozenset()
) -> list[str]:
    notes = []
    for q in codebook.asked_in(year):
        if q.routing is None or q.routing.column not in frame.columns or q.routing.column in failed:
            continue
        not_routed = ~routed_mask(frame, q)
        answered = np.zeros(len(frame), dtype=bool)
        for col in q.columns:
            series = frame[col]
            if series.dtype.kind in "iu":
                answered |= series.to_numpy() != MISSING
            else:  # open text ("" where blank), compared without making a Python str per cell
                answered |= (series != "").to_numpy(dtype=bool, na_value=True)
        stray = not_routed & answered
        if stray.any():
            notes.append(
                f"{path}: wave {year}: {int(stray.sum())} respondent(s) answered {q.id!r} although routing "
                f"({q.routing.column} in {q.routing.codes}) says they were not asked; their answers are not counted"
            )
    return notes


def load_waves(project: Project, waves_dir: Path, years: list[int] | None = None) -> dict[int, Wave]:
    """Load every wave file in ``waves_dir`` (or only ``years``), oldest first."""
    files = discover_waves(waves_dir)
    if years is not None:
        unknown = [y for y in years if y not in files]
        if unknown:
            raise DataError(f"{waves_dir}: no wave file for {preview(unknown)}; found waves {sorted(files)}")
        files = {y: files[y] for y in years}
    return {year: load_wave(project, year, path) for year, path in sorted(files.items())}
