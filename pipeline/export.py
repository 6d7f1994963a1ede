"""Tables export: every number behind every chart, with bases, SEs, flags and significance.

``.xlsx``: one sheet per slide (all the slide's metrics, ``table`` names
which), a ``Vägning`` sheet with the weighting diagnostics of every wave and
an ``Om tabellerna`` sheet explaining the columns. ``.csv``: one long table.
Text that could be read as a formula by a spreadsheet (starting with =, +, -
or @) is neutralised with a leading apostrophe. The xlsx is reproducible:
fixed document properties and zip timestamps.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import pandas as pd

from pipeline.errors import OutputError
from pipeline.metrics.common import COLUMNS
from pipeline.outputs import normalize_zip

FORMULA_START = ("=", "+", "-", "@")
COLUMN_HELP = {
    "slide": "Bildens id i kortleken (S13 …)",
    "table": "Måttets namn på bilden (main, reach …)",
    "metric": "Måttets typ (share, coded, scale, nps …)",
    "measure": "Vad raden mäter (share, mean, nps, top_box, agree, reach …)",
    "question": "Frågans id i kodboken",
    "item": "Delfrågans id (rutnät/flerval)",
    "item_label": "Delfrågans text",
    "wave": "Mätår",
    "group_var": "Undergruppens variabel (total, sex, age_group, sex_age, region eller en fråga)",
    "group": "Undergrupp",
    "group_label": "Undergruppens namn",
    "category": "Svarsalternativ/kod",
    "label": "Svarsalternativets text",
    "value": "Skattning (procent, NPS-poäng eller medelvärde) – vägd",
    "se": "Standardfel (Taylor-linjärisering med kalibrering, som R survey)",
    "ci_low": "Konfidensintervall, nedre gräns",
    "ci_high": "Konfidensintervall, övre gräns",
    "unit": "Enhet: percent, points (NPS), scale (medel), coefficient, growth",
    "n": "Ovägd bas (antal svarande)",
    "n_weighted": "Vägd bas",
    "n_effective": "Effektiv bas (Kish)",
    "base_flag": "ok, low (lågt underlag) eller suppressed (visas inte)",
    "prev_wave": "Föregående mätning som jämförs",
    "change": "Förändring mot föregående mätning (i värdets enhet)",
    "change_rel": "Relativ förändring i procent",
    "p_value": "p-värde för förändringen (tvåsidigt z-test, båda mätningarnas standardfel)",
    "sig": "▲/▼ om förändringen är signifikant på vald nivå",
}
CLAIM_HELP = {  # the Påståenden sheet
    "part": "Påståenden: textens plats på bilden (title, subtitle, body, commentary, notes)",
    "sentence": "Påståenden: texten som den står i kortleken",
    "claims": "Påståenden: vad texten påstår (riktning, rangordning, rekord, största förändring) och vilken form som valdes",
    "figures": "Påståenden: siffrorna bakom påståendet (värden per mätning, förändring, p-värde, α)",
    "test": "Påståenden: testet eller regeln bakom påståendet (t.ex. delad placering)",
    "check": "Påståenden: förhandskontrollens resultat (ok eller vad som inte stämde)",
}




def combined(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """All slide tables in one frame (columns: slide, table, then the metric columns)."""
    if not tables:
        return pd.DataFrame(columns=["slide", "table", *COLUMNS])
    frame = pd.concat(tables.values(), ignore_index=True)
    return frame[["slide", "table", *COLUMNS]]


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as objects, with formula-like text neutralised (vectorised: only the few hits change)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith(("string", "str")):
            values = out[col].astype(object)
            text = values.map(type).eq(str) if out[col].dtype == object else values.notna()
            hits = text & values.where(text, "").astype(str).str.startswith(FORMULA_START)
            if hits.any():
                values = values.copy()
                values[hits] = "'" + values[hits].astype(str)
            out[col] = values
    return out


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


CLAIMS_SHEET = "Påståenden"
CLAIM_COLUMNS = ["slide", "part", "sentence", "claims", "figures", "test", "check"]


def write_xlsx(tables: dict[str, pd.DataFrame], diagnostics: pd.DataFrame, path: Path, claims: list[dict] | None = None) -> None:
    """One sheet per slide plus the weighting diagnostics, the claims sheet and a column guide.

    The claims sheet (``Påståenden``) lists every sentence of the deck, the
    claims it makes, the figures and test behind them and the preflight result.

    Written with XlsxWriter (several times faster than openpyxl for writing); text
    is always written as a string cell, never as a formula.
    """
    import xlsxwriter

    by_slide: dict[str, list[pd.DataFrame]] = {}
    for key, table in tables.items():
        by_slide.setdefault(key.split(":")[0], []).append(table)
    sheets: list[tuple[str, list[str], list[list[object]]]] = []
    if by_slide:
        # clean all slide tables in one go (per-sheet pandas work costs more than writing the cells)
        names = list(by_slide)
        parts = [pd.concat(by_slide[n], ignore_index=True) for n in names]
        sizes = [len(p) for p in parts]
        every = _clean(pd.concat(parts, ignore_index=True))
        columns = [str(c) for c in every.columns]
        rows = every.to_numpy(dtype=object).tolist()
        start = 0
        for name, size, part in zip(names, sizes, parts):
            keep = [i for i, c in enumerate(every.columns) if c in part.columns]
            sheets.append((name, [columns[i] for i in keep], [[r[i] for i in keep] for r in rows[start : start + size]]))
            start += size
    help_rows = {**COLUMN_HELP, **(CLAIM_HELP if claims is not None else {})}
    guide = pd.DataFrame({"kolumn": list(help_rows), "betydelse": list(help_rows.values())})
    extra = [("Vägning", diagnostics)]
    if claims is not None:
        extra.append((CLAIMS_SHEET, pd.DataFrame(claims, columns=CLAIM_COLUMNS)))
    for name, frame in (*extra, ("Om tabellerna", guide)):
        frame = _clean(frame)
        sheets.append((name, [str(c) for c in frame.columns], frame.to_numpy(dtype=object).tolist()))
    fixed = datetime(2023, 1, 1)
    try:
        wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": False, "strings_to_formulas": False,
                                             "strings_to_urls": False, "strings_to_numbers": False})
        wb.set_properties({"created": fixed, "author": "survey-deck", "comments": "survey-deck tables export"})
        bold = wb.add_format({"bold": True})
        for name, columns, rows in sheets:
            ws = wb.add_worksheet(name[:31])
            ws.write_row(0, 0, columns, bold)
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row):
                    v = _cell(value)
                    if v is None:
                        continue
                    if isinstance(v, str):
                        ws.write_string(r, c, v)
                    elif isinstance(v, bool):
                        ws.write_boolean(r, c, v)
                    elif isinstance(v, (int, float)):
                        ws.write_number(r, c, v)
                    else:
                        ws.write_string(r, c, str(v))
            for i, col in enumerate(columns):
                ws.set_column(i, i, min(48, max(8, len(col) + 2)))
            ws.freeze_panes(1, 0)
        wb.close()
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the tables file ({exc.strerror})") from None
    normalize_zip(path)


def write_tables(tables: dict[str, pd.DataFrame], diagnostics: pd.DataFrame, path: Path, fmt: str,
                 claims: list[dict] | None = None) -> None:
    """Write the tables as ``fmt`` (``xlsx`` or ``csv``); ``claims`` (xlsx only) adds the claims sheet."""
    if fmt == "xlsx":
        write_xlsx(tables, diagnostics, path, claims)
    elif fmt == "csv":
        write_csv(tables, path)
    else:
        raise OutputError(f"{path}: unknown table format {fmt!r}; use a .xlsx or .csv file name")
