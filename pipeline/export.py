"""Tables export: every number behind every chart, with bases, SEs, flags and significance.

``.xlsx`` is the analyst's crosstab workbook (:func:`write_crosstabs_xlsx`), read like SPSS Custom
Tables and written in the deck's language: a crosstab sheet per slide (categories down, waves and
subgroups across with column letters, bases, significance letters and ▲/▼), one filterable sheet with
every figure in the tidy long form, the weighting diagnostics, and a guide to the columns.
``.csv``: one long table (machine column names, for scripts). Text that could be read as a formula
by a spreadsheet (starting with =, +, - or @) is neutralised with a leading apostrophe. The xlsx is
reproducible: fixed document properties and zip timestamps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pandas as pd

from pipeline.errors import OutputError
from pipeline.metrics.common import COLUMNS
from pipeline.outputs import normalize_zip, os_error_message

if TYPE_CHECKING:  # xlsxwriter publishes no types: these names are Any to mypy, and document what is passed
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

    from pipeline.crosstab import Crosstab

FORMULA_START = ("=", "+", "-", "@")
CLAIM_COLUMNS = ["slide", "part", "sentence", "claims", "figures", "test", "check"]  # the claims sheet, one row per sentence


def combined(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """All slide tables in one frame (columns: slide, table, then the metric columns)."""
    if not tables:
        return pd.DataFrame(columns=["slide", "table", *COLUMNS])
    frame = pd.concat(tables.values(), ignore_index=True)
    return frame[["slide", "table", *COLUMNS]]


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as objects, with formula-like text neutralised (vectorised: only the few hits change).

    A cell starting with =, +, - or @ gets a leading apostrophe, so a spreadsheet shows it as
    text instead of running it (``=HYPERLINK(…)``, ``+cmd|…``). Used for every CSV and xlsx
    the pipeline writes: the tables and the weights (respondent ids).
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith(("string", "str")):
            values = out[col].astype(object)
            text = values.map(type).isin([str]) if out[col].dtype == object else values.notna()
            hits = text & values.where(text, "").astype(str).str.startswith(FORMULA_START)
            if hits.any():
                values = values.copy()
                values[hits] = "'" + values[hits].astype(str)
            out[col] = values
    return out


_clean = escape_formulas  # the name used inside this module


def write_csv(tables: dict[str, pd.DataFrame], path: Path) -> None:
    _clean(combined(tables)).to_csv(path, index=False, lineterminator="\n")


def _cell(value: object) -> object:
    """A value as xlsx wants it: None for missing, plain Python numbers, text as is."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


# ---------------------------------------------------------------------------- crosstab workbook
#
# Read like SPSS Custom Tables: one sheet per slide (or per ad-hoc question) with the crosstabs of its
# metrics, one filterable long sheet with every figure, the weighting diagnostics and a column guide,
# all in the deck's language (the phrases come in as a dict, see crosstab_phrases).

PHRASE_KEYS = (
    "xtab_base", "xtab_question", "xtab_n_unweighted", "xtab_n_weighted", "xtab_n_effective", "xtab_letters",
    "xtab_correction_none", "xtab_correction_bonferroni", "xtab_correction_holm", "xtab_low_base",
    "xtab_all_tables", "xtab_weighting", "xtab_guide", "xtab_guide_column", "xtab_guide_meaning",
)
LONG_FORMATS = {  # number format of each numeric column of the long sheet
    "wave": "0", "prev_wave": "0", "n": "#,##0", "n_weighted": "#,##0.0", "n_effective": "#,##0.0",
    "value": "0.00", "se": "0.000", "ci_low": "0.00", "ci_high": "0.00", "change": "0.00", "change_rel": "0.0",
    "p_value": "0.0000",
}
WEIGHTING_MEASURES = (  # the rows of the weighting diagnostics (metrics/weighting.py), in the sheet's order
    "n", "efficiency", "n_effective", "deff", "min_weight", "max_weight", "weight_ratio", "iterations", "capped",
    "max_margin_gap", "margin_unweighted", "margin_weighted", "margin_target",
)
WHOLE_NUMBERS = ("n", "iterations", "capped")


def crosstab_phrases(text: Callable[[str, str], str], lang: str) -> dict[str, str]:
    """The fixed phrases of the crosstab workbook in ``lang``, from ``text(key, lang)`` (``Project.text``):
    sheet names, base rows, notes, the long sheet's column headers (``xtab_col_<column>``), the column
    guide (``xtab_help_<column>``) and the weighting sheet's measures (``xtab_w_<measure>``)."""
    out = {key: text(key, lang) for key in PHRASE_KEYS}
    for col in ("slide", "table", *COLUMNS):
        out[f"xtab_help_{col}"] = text(f"xtab_help_{col}", lang)
        out[f"xtab_col_{col}"] = text(f"xtab_col_{col}", lang)
    for key in ("variable", *WEIGHTING_MEASURES):
        out[f"xtab_w_{key}"] = text(f"xtab_w_{key}", lang)
    return out


def _render(template: str, **values: object) -> str:
    """Fill ``{{ name }}`` placeholders of a phrase (the phrases use jinja2's spelling; nothing else is needed here)."""
    for key, value in values.items():
        template = template.replace("{{ " + key + " }}", str(value))
    return template


def _number_format(unit: str, decimals: int) -> str:
    """Excel number format for a crosstab value: percent as e.g. 45 % (the value is 0–100), NPS and means plain."""
    digits = "0" + ("." + "0" * decimals if decimals > 0 else "")
    return digits + '" %"' if unit == "percent" else digits


class _Formats:
    """The workbook's cell formats, made once per workbook."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self.title = wb.add_format({"bold": True, "font_size": 13})
        self.bold = wb.add_format({"bold": True})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.note = wb.add_format({"italic": True, "font_color": "#555555"})
        self.block = wb.add_format({"bold": True, "align": "center", "bottom": 1})
        self.head = wb.add_format({"bold": True, "align": "center", "text_wrap": True, "valign": "bottom"})
        self.letter = wb.add_format({"bold": True, "align": "center", "font_color": "#555555", "bottom": 1})
        self.label = wb.add_format({"text_wrap": True, "valign": "top"})
        self.sig = wb.add_format({"bold": True, "font_color": "#C00000", "align": "left"})
        self.base_label = wb.add_format({"italic": True, "top": 1})
        self.base_label_plain = wb.add_format({"italic": True})
        self._numbers: dict[tuple[str, bool, bool], Format] = {}

    def number(self, fmt: str, italic: bool = False, top: bool = False) -> Format:
        key = (fmt, italic, top)
        if key not in self._numbers:
            spec: dict[str, object] = {"num_format": fmt}
            if italic:
                spec["italic"] = True
            if top:
                spec["top"] = 1
            self._numbers[key] = self.wb.add_format(spec)
        return self._numbers[key]


def _write_crosstab(ws: Worksheet, fm: _Formats, xtab: Crosstab, phrases: dict[str, str], first_row: int,
                    low_base: tuple[int, int]) -> tuple[int, int, int]:
    """Write one crosstab from ``first_row``; returns (first header row, last header row, next free row).

    Layout: title, question, base; a row of block headings, a row of column labels and a row of
    column letters; then each row label with, per banner column, the value (number format to the
    row's decimals) and a narrow cell with the significance letters, ▲/▼ and a low-base mark; then
    the unweighted, weighted and effective bases; then the notes.
    """
    r = first_row
    ws.write_string(r, 0, str(xtab.title), fm.title)
    ws.write_string(r + 1, 0, f"{phrases['xtab_question']}: {xtab.question}", fm.bold)
    base = str(xtab.base)  # a routing description may already say "Bas: …"
    ws.write_string(r + 2, 0, base if base.lower().startswith(phrases["xtab_base"].lower()) else f"{phrases['xtab_base']}: {base}")
    head = r + 4
    columns = xtab.columns
    # block headings, merged over each block's value+letter cells
    start = 0
    while start < len(columns):
        end = start
        while end + 1 < len(columns) and columns[end + 1].block == columns[start].block:
            end += 1
        c0, c1 = 1 + 2 * start, 2 + 2 * end
        ws.merge_range(head, c0, head, c1, str(columns[start].block_label), fm.block)
        start = end + 1
    for i, col in enumerate(columns):
        c = 1 + 2 * i
        ws.merge_range(head + 1, c, head + 1, c + 1, str(col.label), fm.head)
        ws.merge_range(head + 2, c, head + 2, c + 1, f"({col.letter})", fm.letter)
    ws.write_blank(head + 2, 0, None, fm.letter)
    r = head + 3
    for row in xtab.rows:
        ws.write_string(r, 0, str(row.label), fm.label)
        fmt = fm.number(_number_format(row.unit, row.decimals))
        for i, col in enumerate(columns):
            c = 1 + 2 * i
            value = row.values[i]
            if value is None:
                ws.write_string(r, c, "–")
            else:
                ws.write_number(r, c, float(value), fmt)
            mark = row.letters[i] + (" " + row.arrows[i] if row.arrows[i] else "")
            flag = row.flags[i] if row.flags else col.base_flag
            if value is not None and flag == "low":
                mark = (mark + " *").strip()
            if mark:
                ws.write_string(r, c + 1, mark.strip(), fm.sig)
        r += 1
    for key, attr, fmt_text in (("xtab_n_unweighted", "n", "#,##0"), ("xtab_n_weighted", "n_weighted", "#,##0"),
                                ("xtab_n_effective", "n_effective", "#,##0")):
        top = key == "xtab_n_unweighted"
        ws.write_string(r, 0, phrases[key], fm.base_label if top else fm.base_label_plain)
        for i, col in enumerate(columns):
            ws.write_number(r, 1 + 2 * i, float(getattr(col, attr)), fm.number(fmt_text, italic=True, top=top))
            if top:
                ws.write_blank(r, 2 + 2 * i, None, fm.number(fmt_text, italic=True, top=True))
        r += 1
    level = round(100 * (1 - xtab.alpha), 1)
    level_text = str(int(level)) if level == int(level) else str(level)
    correction = phrases.get(f"xtab_correction_{xtab.correction}", "")
    ws.write_string(r + 1, 0, _render(phrases["xtab_letters"], level=level_text, correction=correction), fm.note)
    ws.write_string(r + 2, 0, _render(phrases["xtab_low_base"], suppress=low_base[0], flag=low_base[1]), fm.note)
    return head, head + 2, r + 4


def _set_up_printing(ws: Worksheet, header_rows: tuple[int, int] | None) -> None:
    """Landscape A4, fit to the page width (as many pages down as needed), header rows repeated on every page."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    if header_rows is not None:
        ws.repeat_rows(*header_rows)
    ws.repeat_columns(0, 0)


def sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unused sheet name: without the characters Excel refuses, at most 31 characters, numbered when taken."""
    clean = "".join("_" if ch in '[]:*?/\\' else ch for ch in str(name)).strip("'") or "_"
    out, k = clean[:31], 2
    while out.lower() in taken:
        suffix = f" ({k})"
        out, k = clean[: 31 - len(suffix)] + suffix, k + 1
    taken.add(out.lower())
    return out


def write_crosstab_sheet(wb: Workbook, fm: _Formats, name: str, crosstabs: Sequence[Crosstab], phrases: dict[str, str],
                         low_base: tuple[int, int]) -> None:
    """One sheet with the crosstabs of a slide, one under the other; panes frozen below the first header."""
    ws = wb.add_worksheet(name)
    widths = max((len(x.columns) for x in crosstabs), default=0)
    label_width = max([24] + [min(60, len(str(r.label)) + 2) for x in crosstabs for r in x.rows])
    ws.set_column(0, 0, label_width)
    for i in range(widths):
        # the mark cell as wide as its longest mark (letters, arrow, low-base star), so none is cut off when printed
        marks = [len(r.letters[i]) + (2 if r.arrows[i] else 0) + 2 for x in crosstabs for r in x.rows if i < len(r.letters)]
        ws.set_column(1 + 2 * i, 1 + 2 * i, 9)
        ws.set_column(2 + 2 * i, 2 + 2 * i, max([5, *marks]) * 1.1)
    row = 0
    first_header = None
    for xtab in crosstabs:
        head, head_end, row = _write_crosstab(ws, fm, xtab, phrases, row, low_base)
        if first_header is None:
            first_header = (head, head_end)
    if first_header is not None:
        ws.freeze_panes(first_header[1] + 1, 1)
    _set_up_printing(ws, first_header)


def write_long_sheet(wb: Workbook, fm: _Formats, name: str, frame: pd.DataFrame, headers: dict[str, str] | None = None) -> None:
    """The tidy long table as one sheet: header row frozen, autofilter over every column, numbers formatted.

    ``headers`` maps a column to its header in the deck's language (default: the column's name).
    """
    ws = wb.add_worksheet(name)
    frame = _clean(frame)
    columns = [str(c) for c in frame.columns]
    ws.write_row(0, 0, [(headers or {}).get(c, c) for c in columns], fm.bold)
    formats = [fm.number(LONG_FORMATS[c]) if c in LONG_FORMATS else None for c in columns]
    _write_rows(ws, frame, lambda c, v: formats[c], booleans=True)
    for i, col in enumerate(columns):
        ws.set_column(i, i, min(40, max(8, len(col) + 3)))
    ws.autofilter(0, 0, max(len(frame), 1), max(len(columns) - 1, 0))
    ws.freeze_panes(1, 0)
    _set_up_printing(ws, (0, 0))


def _write_rows(ws: Worksheet, frame: pd.DataFrame, number_format: Callable[[int, float], Format | None], booleans: bool) -> None:
    """The rows of ``frame`` from the sheet's second row: text as text (never a formula), numbers with
    ``number_format(column, value)``, booleans as booleans (else as text), blanks left empty."""
    for r, row in enumerate(frame.to_numpy(dtype=object).tolist(), start=1):
        for c, value in enumerate(row):
            v = _cell(value)
            if v is None:
                continue
            if isinstance(v, str):
                ws.write_string(r, c, v)
            elif isinstance(v, bool) and booleans:
                ws.write_boolean(r, c, v)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                fmt = number_format(c, v)
                ws.write_number(r, c, v, fmt) if fmt is not None else ws.write_number(r, c, v)
            else:
                ws.write_string(r, c, str(v))


def _write_plain_sheet(wb: Workbook, fm: _Formats, name: str, frame: pd.DataFrame) -> None:
    """A small table as a sheet: bold frozen header, whole numbers as #,##0, others to three decimals."""
    ws = wb.add_worksheet(name)
    frame = _clean(frame)
    ws.write_row(0, 0, [str(c) for c in frame.columns], fm.bold)
    _write_rows(ws, frame, lambda c, v: fm.number("#,##0" if isinstance(v, int) else "#,##0.000"), booleans=False)
    for i, col in enumerate(frame.columns):
        ws.set_column(i, i, 70 if i == 1 and len(frame.columns) == 2 else min(40, max(10, len(str(col)) + 3)))
    ws.freeze_panes(1, 0)
    _set_up_printing(ws, (0, 0))


def weighting_frame(diagnostics: pd.DataFrame, phrases: dict[str, str]) -> pd.DataFrame:
    """The weighting diagnostics (metrics kind ``weighting``) as the weighting sheet: one row per measure (and per
    margin category), one column per wave, headers and measure names in the phrases' language."""
    rows: dict[tuple[str, str, str], dict[int, object]] = {}
    frame = diagnostics.reindex(columns=["measure", "group_var", "group", "wave", "value"]).dropna(subset=["measure", "wave"])
    for rec in frame.itertuples(index=False):
        margin = str(rec.measure).startswith("margin_")
        key = (str(rec.measure), str(rec.group_var) if margin else "", str(rec.group) if margin else "")
        value = _cell(rec.value)
        if rec.measure in WHOLE_NUMBERS and isinstance(value, float) and value.is_integer():
            value = int(value)
        rows.setdefault(key, {})[int(cast("float", rec.wave))] = value  # a number: rows without a wave were dropped
    waves = sorted({w for values in rows.values() for w in values})
    order = {m: i for i, m in enumerate(WEIGHTING_MEASURES)}
    margins = list(dict.fromkeys((k[1], k[2]) for k in rows if k[1]))  # variables and categories as first met

    def rank(key: tuple[str, str, str]) -> tuple[int, int, int]:
        if not key[1]:
            return (0, order.get(key[0], len(order)), 0)
        return (1, margins.index((key[1], key[2])), order.get(key[0], len(order)))
    out = []
    for key in sorted(rows, key=rank):
        measure, variable, category = key
        out.append([phrases.get(f"xtab_w_{measure}", measure), variable or None, category or None, *(rows[key].get(w) for w in waves)])
    columns = [phrases["xtab_col_measure"], phrases["xtab_w_variable"], phrases["xtab_col_category"], *map(str, waves)]
    return pd.DataFrame(out, columns=columns, dtype=object)  # object: whole numbers stay int


def crosstab_frame(xtab: Crosstab) -> pd.DataFrame:
    """A crosstab as a tidy frame (one line per row and column: value, letters, arrow, bases), e.g. for CSV."""
    lines: list[dict[str, object]] = []
    for row in xtab.rows:
        for i, col in enumerate(xtab.columns):
            lines.append({
                "question": xtab.question_id, "row": row.key, "label": row.label, "measure": row.measure, "unit": row.unit,
                "column": col.letter, "block": col.block, "group": col.key, "group_label": col.label, "wave": col.wave,
                "value": row.values[i], "se": row.se[i], "letters": row.letters[i], "arrow": row.arrows[i],
                "n": row.n[i], "n_weighted": col.n_weighted, "n_effective": col.n_effective, "base_flag": col.base_flag,
            })
    return pd.DataFrame(lines)


def write_crosstabs_xlsx(path: Path, crosstabs: dict[str, list[Crosstab]], phrases: dict[str, str], *,
                         long_table: pd.DataFrame | None = None, diagnostics: pd.DataFrame | None = None,
                         low_base: tuple[int, int] = (30, 100),
                         extra_sheets: Sequence[tuple[str, pd.DataFrame]] = ()) -> None:
    """Write the analyst's workbook: a crosstab sheet per key of ``crosstabs`` (slide id or question, its crosstabs
    stacked), then the long table (one filterable sheet), the weighting diagnostics, any ``extra_sheets``
    ((name, table) in the deck's language, written as plain sheets) and the column guide.

    ``phrases`` from :func:`crosstab_phrases` in the deck's language; ``low_base`` is
    (suppress_below, flag_below) for the note. Reproducible: fixed properties, normalised zip.
    """
    import xlsxwriter

    fixed = datetime(2023, 1, 1)
    try:
        # in_memory: the sheets' XML is zipped from memory, not written to a temporary file each and deleted
        wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": False, "strings_to_formulas": False,
                                             "strings_to_urls": False, "strings_to_numbers": False, "in_memory": True})
        wb.set_properties({"created": fixed, "author": "survey-deck", "comments": "survey-deck crosstabs"})
        fm = _Formats(wb)
        taken: set[str] = set()
        fixed_names = {key: sheet_name(phrases[key], taken) for key in ("xtab_all_tables", "xtab_weighting", "xtab_guide")}
        extra_names = [sheet_name(name, taken) for name, _ in extra_sheets]
        for name, xtabs in crosstabs.items():
            if xtabs:
                write_crosstab_sheet(wb, fm, sheet_name(name, taken), xtabs, phrases, low_base)
        headers = {c: phrases.get(f"xtab_col_{c}", c) for c in ("slide", "table", *COLUMNS)}
        if long_table is not None:
            write_long_sheet(wb, fm, fixed_names["xtab_all_tables"], long_table, headers)
        if diagnostics is not None:
            _write_plain_sheet(wb, fm, fixed_names["xtab_weighting"], weighting_frame(diagnostics, phrases))
        for name, (_, frame) in zip(extra_names, extra_sheets, strict=True):
            _write_plain_sheet(wb, fm, name, frame)
        if long_table is not None:
            cols = [c for c in ("slide", "table", *COLUMNS) if c in long_table.columns]
            guide = pd.DataFrame({phrases["xtab_guide_column"]: [headers[c] for c in cols],
                                  phrases["xtab_guide_meaning"]: [phrases[f"xtab_help_{c}"] for c in cols]})
            _write_plain_sheet(wb, fm, fixed_names["xtab_guide"], guide)
        wb.close()
    except (OSError, xlsxwriter.exceptions.FileCreateError) as exc:  # XlsxWriter wraps the OSError of a full disk
        cause = exc if isinstance(exc, OSError) else exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
        if cause is None:
            raise OutputError(f"{path}: cannot write the tables file ({exc}); check the folder and run again") from None
        raise OutputError(os_error_message(cause, path)) from None
    normalize_zip(path)


def write_tables(path: Path, fmt: str, tables: dict[str, pd.DataFrame], diagnostics: pd.DataFrame,
                 crosstabs: dict[str, list[Crosstab]], phrases: dict[str, str], low_base: tuple[int, int] = (30, 100),
                 extra_sheets: Sequence[tuple[str, pd.DataFrame]] = ()) -> None:
    """The deck's tables as ``fmt``: ``xlsx`` the crosstab workbook (:func:`write_crosstabs_xlsx`; the long sheet
    is every slide table, :func:`combined`), ``csv`` the long table alone (:func:`write_csv`)."""
    if fmt == "xlsx":
        write_crosstabs_xlsx(path, crosstabs, phrases, long_table=combined(tables), diagnostics=diagnostics,
                             low_base=low_base, extra_sheets=extra_sheets)
    elif fmt == "csv":
        write_csv(tables, path)
    else:
        raise OutputError(f"{path}: unknown table format {fmt!r}; use a .xlsx or .csv file name")


def write_crosstabs_csv(path: Path, crosstabs: list[Crosstab]) -> None:
    """The crosstabs as one tidy CSV (:func:`crosstab_frame`, formula-like text neutralised), for ``tables --out x.csv``."""
    frame = pd.concat([crosstab_frame(x) for x in crosstabs], ignore_index=True) if crosstabs else pd.DataFrame()
    try:
        _clean(frame).to_csv(path, index=False, lineterminator="\n")
    except OSError as exc:
        raise OutputError(os_error_message(exc, path)) from None
