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


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would evaluate as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def combined(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """All slide tables in one frame (columns: slide, table, then the metric columns)."""
    if not tables:
        return pd.DataFrame(columns=["slide", "table", *COLUMNS])
    frame = pd.concat(tables.values(), ignore_index=True)
    return frame[["slide", "table", *COLUMNS]]


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith(("string", "str")):
            out[col] = out[col].map(neutralise).astype(object)
    return out


def write_csv(tables: dict[str, pd.DataFrame], path: Path) -> None:
    _clean(combined(tables)).to_csv(path, index=False, lineterminator="\n")


def write_xlsx(tables: dict[str, pd.DataFrame], diagnostics: pd.DataFrame, path: Path) -> None:
    """One sheet per slide plus the weighting diagnostics and a column guide."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    by_slide: dict[str, list[pd.DataFrame]] = {}
    for key, table in tables.items():
        by_slide.setdefault(key.split(":")[0], []).append(table)
    sheets = [(slide, pd.concat(parts, ignore_index=True)) for slide, parts in by_slide.items()]
    sheets.append(("Vägning", diagnostics))
    guide = pd.DataFrame({"kolumn": list(COLUMN_HELP), "betydelse": list(COLUMN_HELP.values())})
    sheets.append(("Om tabellerna", guide))
    bold = Font(bold=True)
    for name, frame in sheets:
        ws = wb.create_sheet(title=name[:31])
        frame = _clean(frame)
        ws.append([str(c) for c in frame.columns])
        for cell in ws[1]:
            cell.font = bold
        for row in frame.itertuples(index=False):
            values = []
            for v in row:
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    values.append(None)
                elif hasattr(v, "item"):
                    values.append(v.item())
                else:
                    values.append(v)
            ws.append(values)
        for cell in (c for r in ws.iter_rows(min_row=2) for c in r):
            if isinstance(cell.value, str):
                cell.data_type = "s"
        for i, col in enumerate(frame.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = min(48, max(8, len(str(col)) + 2))
        ws.freeze_panes = "A2"
    fixed = datetime(2023, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "survey-deck"
    wb.properties.lastModifiedBy = "survey-deck"
    try:
        wb.save(path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the tables file ({exc.strerror})") from None
    normalize_zip(path)


def write_tables(tables: dict[str, pd.DataFrame], diagnostics: pd.DataFrame, path: Path, fmt: str) -> None:
    """Write the tables as ``fmt`` (``xlsx`` or ``csv``)."""
    if fmt == "xlsx":
        write_xlsx(tables, diagnostics, path)
    elif fmt == "csv":
        write_csv(tables, path)
    else:
        raise OutputError(f"{path}: unknown table format {fmt!r}; use a .xlsx or .csv file name")
