"""Tables export: formula-like text neutralised, numbers as numbers, blanks for missing, same bytes twice."""

from __future__ import annotations

import math

import pandas as pd
from openpyxl import load_workbook

from pipeline.export import write_csv, write_xlsx
from pipeline.metrics.common import COLUMNS


def _table(labels: list[str], values: list[float]) -> pd.DataFrame:
    rows = []
    for label, value in zip(labels, values):
        row = {c: None for c in COLUMNS}
        row.update(metric="share", measure="share", question="q", wave=2022, group_var="total", group="total",
                   category=label, label=label, value=value, n=120, base_flag="ok")
        rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.insert(0, "table", "main")
    frame.insert(0, "slide", "S99")
    return frame


DANGEROUS = ["=HYPERLINK(\"http://x\")", "+46 70", "-1+2", "@SUM(A1)", "Vårdcentral"]


def test_xlsx_neutralises_formulas_and_keeps_numbers(tmp_path):
    path = tmp_path / "t.xlsx"
    tables = {"S99:main": _table(DANGEROUS, [12.5, math.nan, 3.0, 4.25, 55.0])}
    diagnostics = _table(["n"], [2001.0]).drop(columns=["slide", "table"])
    write_xlsx(tables, diagnostics, path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["S99", "Vägning", "Om tabellerna"]
    ws = wb["S99"]
    header = [c.value for c in ws[1]]
    label_col = header.index("label") + 1
    value_col = header.index("value") + 1
    labels = [ws.cell(row=r, column=label_col) for r in range(2, 7)]
    assert [c.value for c in labels] == ["'=HYPERLINK(\"http://x\")", "'+46 70", "'-1+2", "'@SUM(A1)", "Vårdcentral"]
    assert all(c.data_type == "s" for c in labels)
    values = [ws.cell(row=r, column=value_col).value for r in range(2, 7)]
    assert values == [12.5, None, 3.0, 4.25, 55.0]
    assert ws.cell(row=2, column=header.index("n") + 1).value == 120
    assert ws.freeze_panes == "A2"


def test_xlsx_is_byte_identical_when_written_twice(tmp_path):
    tables = {"S99:main": _table(DANGEROUS, [1.0, 2.0, 3.0, 4.0, 5.0])}
    diagnostics = _table(["n"], [2001.0]).drop(columns=["slide", "table"])
    write_xlsx(tables, diagnostics, tmp_path / "a.xlsx")
    write_xlsx(tables, diagnostics, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_csv_neutralises_formulas(tmp_path):
    path = tmp_path / "t.csv"
    write_csv({"S99:main": _table(DANGEROUS, [1.0, 2.0, 3.0, 4.0, 5.0])}, path)
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert back["label"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+46 70", "'-1+2", "'@SUM(A1)", "Vårdcentral"]
    assert back["slide"].tolist() == ["S99"] * 5


def test_claims_sheet_lists_each_sentence_with_its_claims(tmp_path):
    """The Påståenden sheet has one row per sentence with its claims, figures, test and check, before the column guide."""
    claims = [{"slide": "S38", "part": "commentary", "sentence": "Totalt 58 % 2021 och 55 % 2022: andelen är oförändrad.",
               "claims": "1177: är oförändrad", "figures": "2021 58,0 % → 2022 55,0 % (−3,0); z-test p = 0,062, α = 0,05",
               "test": "", "check": "ok"}]
    path = tmp_path / "t.xlsx"
    write_xlsx({"S38:main": _table(["a"], [1.0])}, pd.DataFrame({"wave": [2022]}), path, claims)
    wb = load_workbook(path)
    assert wb.sheetnames == ["S38", "Vägning", "Påståenden", "Om tabellerna"]
    rows = list(wb["Påståenden"].values)
    assert rows[0] == ("slide", "part", "sentence", "claims", "figures", "test", "check")
    assert rows[1][:4] == ("S38", "commentary", "Totalt 58 % 2021 och 55 % 2022: andelen är oförändrad.", "1177: är oförändrad")
    assert rows[1][6] == "ok"
