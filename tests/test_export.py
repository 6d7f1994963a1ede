"""Tables export: formula-like text neutralised, numbers as numbers, blanks for missing, same bytes twice."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from openpyxl import load_workbook

from pipeline.export import write_csv, write_tables
from pipeline.metrics.common import COLUMNS


def _table(labels: list[str], values: list[float]) -> pd.DataFrame:
    rows = []
    for label, value in zip(labels, values, strict=True):
        row = dict.fromkeys(COLUMNS)
        row.update(metric="share", measure="share", question="q", wave=2022, group_var="total", group="total",
                   category=label, label=label, value=value, n=120, base_flag="ok")
        rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.insert(0, "table", "main")
    frame.insert(0, "slide", "S99")
    return frame


DANGEROUS = ["=HYPERLINK(\"http://x\")", "+46 70", "-1+2", "@SUM(A1)", "Vårdcentral"]


def _diagnostics() -> pd.DataFrame:
    """Weighting diagnostics as metrics/weighting.py gives them: two waves, n and one margin (all hand-made)."""
    rows = []
    for wave, n, women in ((2021, 1000.0, 0.52), (2022, 1200.0, 0.49)):
        base = dict.fromkeys(COLUMNS)
        base.update(metric="weighting", wave=wave, group_var="total", group="total")
        rows.append({**base, "measure": "n", "value": n, "unit": "scale"})
        rows.append({**base, "measure": "margin_target", "group_var": "sex", "group": "Kvinna", "value": women * 100, "unit": "percent"})
    return pd.DataFrame(rows, columns=COLUMNS)


def _phrases(project, lang: str) -> dict[str, str]:
    from pipeline.export import crosstab_phrases

    return crosstab_phrases(project.text, lang)


def test_xlsx_neutralises_formulas_and_keeps_numbers(project, tmp_path):
    """The long sheet writes formula-like labels as text with an apostrophe, numbers as numbers, NaN as blank."""
    path = tmp_path / "t.xlsx"
    tables = {"S99:main": _table(DANGEROUS, [12.5, math.nan, 3.0, 4.25, 55.0])}
    write_tables(path, "xlsx", tables, _diagnostics(), {}, _phrases(project, "sv"))
    wb = load_workbook(path)
    assert wb.sheetnames == ["Alla tal", "Vägning", "Om tabellerna"]
    ws = wb["Alla tal"]
    header = [c.value for c in ws[1]]
    label_col = header.index("svarsalternativ") + 1
    value_col = header.index("värde") + 1
    labels = [ws.cell(row=r, column=label_col) for r in range(2, 7)]
    assert [c.value for c in labels] == ["'=HYPERLINK(\"http://x\")", "'+46 70", "'-1+2", "'@SUM(A1)", "Vårdcentral"]
    assert all(c.data_type == "s" for c in labels)
    values = [ws.cell(row=r, column=value_col).value for r in range(2, 7)]
    assert values == [12.5, None, 3.0, 4.25, 55.0]
    assert ws.cell(row=2, column=header.index("n") + 1).value == 120
    assert ws.freeze_panes == "A2"


def test_weighting_sheet_has_a_column_per_wave_in_the_decks_language(project, tmp_path):
    """The weighting sheet: one row per measure and margin category, one column per wave, English with --lang en."""
    path = tmp_path / "t.xlsx"
    write_tables(path, "xlsx", {"S99:main": _table(["a"], [1.0])}, _diagnostics(), {}, _phrases(project, "en"))
    ws = load_workbook(path)["Weighting"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == ["measure", "variable", "category", "2021", "2022"]
    assert rows[1] == ["Respondents", None, None, 1000, 1200]
    assert rows[2] == ["Target share (%)", "sex", "Kvinna", 52.0, 49.0]
    assert ws.cell(2, 4).number_format == "#,##0"


def test_xlsx_is_byte_identical_when_written_twice(project, tmp_path):
    """Same tables, crosstabs and phrases: the same bytes."""
    tables = {"S99:main": _table(DANGEROUS, [1.0, 2.0, 3.0, 4.0, 5.0])}
    for name in ("a.xlsx", "b.xlsx"):
        write_tables(tmp_path / name, "xlsx", tables, _diagnostics(), {"S99": [_xtab()]}, _phrases(project, "sv"))
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_csv_neutralises_formulas(tmp_path):
    path = tmp_path / "t.csv"
    write_csv({"S99:main": _table(DANGEROUS, [1.0, 2.0, 3.0, 4.0, 5.0])}, path)
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert back["label"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+46 70", "'-1+2", "'@SUM(A1)", "Vårdcentral"]
    assert back["slide"].tolist() == ["S99"] * 5


# ---------------------------------------------------------------------------- crosstab workbook

# the crosstab tests' imports sit with them (E402)
from openpyxl.utils import get_column_letter  # noqa: E402 - see above

from pipeline.crosstab import Column, Crosstab, Row  # noqa: E402 - see above
from pipeline.export import crosstab_frame, crosstab_phrases, sheet_name, write_crosstabs_csv, write_crosstabs_xlsx  # noqa: E402 - see above


def _xtab(correction: str = "none") -> Crosstab:
    """A hand-made crosstab: totals of 2021 and 2022, then men and women of 2022 (women on a low base)."""
    cols = (
        Column("A", "wave", "Wave", "total", "total", "Total 2021", 2021, 1000, 1010.4, 900.2, "ok"),
        Column("B", "wave", "Wave", "total", "total", "Total 2022", 2022, 1200, 1190.6, 1001.7, "ok"),
        Column("C", "sex", "Sex", "sex", "Man", "Man", 2022, 600, 610.0, 540.3, "ok"),
        Column("D", "sex", "Sex", "sex", "Kvinna", "Woman", 2022, 80, 70.5, 66.0, "low"),
    )
    rows = (
        Row("nps", "NPS", "nps", "points", 0, (40.4, 45.26, 50.0, None), (2.0, 2.1, 3.0, None), (1000, 1200, 600, 80),
            ("", "A", "", ""), ("", "▲", "", "")),
        Row("promoters", "Promoters", "share", "percent", 1, (60.04, 61.55, 64.0, 55.0), (1.0, 1.0, 2.0, 5.0),
            (1000, 1200, 600, 80), ("", "", "D", ""), ("", "", "", "▼")),
    )
    return Crosstab("Recommendation", "I can recommend 1177", "All respondents", "recommend", 2022, cols, rows, (), 0.05, correction)


def test_crosstab_sheet_layout_formats_and_print_setup(project, tmp_path):
    """The crosstab sheet: title/question/base on top, unrounded values with the deck's decimals as number formats,
    letters, arrows and low-base mark beside, three base rows, frozen panes, landscape fit-to-width with repeated headers."""
    path = tmp_path / "x.xlsx"
    write_crosstabs_xlsx(path, {"S13": [_xtab()]}, crosstab_phrases(project.text, "en"), low_base=(30, 100))
    ws = load_workbook(path)["S13"]
    assert ws["A1"].value == "Recommendation"
    assert ws["A2"].value == "Question: I can recommend 1177"
    assert ws["A3"].value == "Base: All respondents"
    x = _xtab()
    routed = Crosstab(x.title, x.question, "Base: those asked", x.question_id, x.wave, x.columns, x.rows, (), 0.05, "none")
    write_crosstabs_xlsx(path, {"S13": [routed]}, crosstab_phrases(project.text, "en"))
    assert load_workbook(path)["S13"]["A3"].value == "Base: those asked"  # not "Base: Base: …"
    # rows 5-7: block headings, column labels, letters; values from row 8; each banner column takes two cells
    assert ws["B5"].value == "Wave" and ws["F5"].value == "Sex"
    assert [ws.cell(6, c).value for c in (2, 4, 6, 8)] == ["Total 2021", "Total 2022", "Man", "Woman"]
    assert [ws.cell(7, c).value for c in (2, 4, 6, 8)] == ["(A)", "(B)", "(C)", "(D)"]
    assert ws["A8"].value == "NPS" and ws["D8"].value == 45.26 and ws["D8"].number_format == "0"
    assert ws["E8"].value == "A ▲"
    assert ws["H8"].value == "–"  # suppressed
    assert ws["B9"].value == 60.04 and ws["B9"].number_format == '0.0" %"'
    assert ws["G9"].value == "D"
    assert ws["I9"].value == "▼ *"  # low base of the women's column
    assert [ws.cell(r, 1).value for r in (10, 11, 12)] == ["Unweighted base", "Weighted base", "Effective base"]
    assert [ws.cell(10, c).value for c in (2, 4, 6, 8)] == [1000, 1200, 600, 80]
    assert ws.cell(11, 4).value == 1190.6 and ws.cell(11, 4).number_format == "#,##0"
    assert ws.cell(12, 2).value == 900.2
    assert ws["A14"].value.startswith("Letter = significantly higher") and "95 % confidence level)" in ws["A14"].value
    assert ws.freeze_panes == "B8"
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1)  # 1 page wide: the OOXML default, which XlsxWriter leaves out
    assert ws.page_setup.fitToHeight == 0  # as many pages down as needed
    assert ws.print_title_rows == "$5:$7"


def test_crosstab_note_names_the_correction_in_swedish(project, tmp_path):
    """With Holm's correction the Swedish note says so, and the sheets have Swedish names."""
    path = tmp_path / "x.xlsx"
    long = _table(["a"], [1.0])
    write_crosstabs_xlsx(path, {"S13": [_xtab("holm")]}, crosstab_phrases(project.text, "sv"), long_table=long,
                         diagnostics=pd.DataFrame({"wave": [2022]}))
    wb = load_workbook(path)
    assert wb.sheetnames == ["S13", "Alla tal", "Vägning", "Om tabellerna"]
    assert "95 % konfidensnivå, Holm-korrigerat" in wb["S13"]["A14"].value


def test_long_sheet_is_filterable_with_number_formats_in_english(project, tmp_path):
    """The long table is one sheet with an autofilter over all columns and rows, typed number formats, and an English guide."""
    path = tmp_path / "x.xlsx"
    long = pd.concat([_table(["a", "b"], [12.3456, 7.0]), _table(["c"], [1.5])], ignore_index=True)
    write_crosstabs_xlsx(path, {}, crosstab_phrases(project.text, "en"), long_table=long, diagnostics=pd.DataFrame({"wave": [2022]}))
    wb = load_workbook(path)
    assert wb.sheetnames == ["All figures", "Weighting", "About the tables"]
    ws = wb["All figures"]
    header = [c.value for c in ws[1]]
    assert ws.auto_filter.ref == f"A1:{get_column_letter(len(header))}4"
    assert ws.freeze_panes == "A2"
    value = ws.cell(2, header.index("value") + 1)
    assert value.value == 12.3456 and value.number_format == "0.00"
    assert ws.cell(2, header.index("n") + 1).number_format == "#,##0"
    assert ws.cell(2, header.index("wave") + 1).number_format == "0"
    guide = wb["About the tables"]
    assert guide["A1"].value == "column"
    meaning_of_n = [guide.cell(r, 2).value for r in range(2, guide.max_row + 1) if guide.cell(r, 1).value == "n"]
    assert meaning_of_n == ["Unweighted base (respondents)"]


def test_crosstab_workbook_is_byte_identical_when_written_twice(project, tmp_path):
    """Same crosstabs and phrases, same bytes."""
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    for p in (a, b):
        write_crosstabs_xlsx(p, {"S13": [_xtab(), _xtab()]}, crosstab_phrases(project.text, "sv"), long_table=_table(["x"], [1.0]))
    assert a.read_bytes() == b.read_bytes()


def test_crosstab_frame_is_tidy():
    """One line per row and column, with the column's letter and the cell's letters and arrow."""
    frame = crosstab_frame(_xtab())
    assert len(frame) == 2 * 4
    line = frame[(frame["row"] == "nps") & (frame["column"] == "B")].iloc[0]
    assert (line["value"], line["letters"], line["arrow"], line["n"]) == (45.26, "A", "▲", 1200)


def test_sheet_names_are_valid_and_unique():
    """Characters Excel refuses become _, names are cut to 31 characters, a taken name (any case) is numbered."""
    taken: set[str] = set()
    assert sheet_name("a/b:c", taken) == "a_b_c"
    assert sheet_name("A/B:C", taken) == "A_B_C (2)"
    long = "x" * 40
    assert sheet_name(long, taken) == "x" * 31
    assert sheet_name(long, taken) == "x" * 27 + " (2)"


def test_low_base_mark_follows_the_rows_own_base(project, tmp_path):
    """A row whose own base is low (a mean without "Vet ej") gets * even where the column's base is fine."""
    x = _xtab()
    row = x.rows[0]
    low_row = Row(row.key, row.label, row.measure, row.unit, row.decimals, row.values, row.se, row.n, row.letters,
                  row.arrows, ("ok", "low", "ok", "suppressed"))
    x = Crosstab(x.title, x.question, x.base, x.question_id, x.wave, x.columns, (low_row,), (), 0.05, "none")
    path = tmp_path / "x.xlsx"
    write_crosstabs_xlsx(path, {"S13": [x]}, crosstab_phrases(project.text, "en"))
    ws = load_workbook(path)["S13"]
    assert ws["E8"].value == "A ▲ *"
    assert ws["C8"].value is None


def test_crosstab_csv_neutralises_formulas(tmp_path):
    """The ad-hoc CSV is the tidy crosstab, with a label starting with = written as text."""
    x = _xtab()
    row = x.rows[0]
    bad = Row(row.key, "=1+1", row.measure, row.unit, row.decimals, row.values, row.se, row.n, row.letters, row.arrows)
    x = Crosstab(x.title, x.question, x.base, x.question_id, x.wave, x.columns, (bad,), (), 0.05, "none")
    path = tmp_path / "x.csv"
    write_crosstabs_csv(path, [x])
    frame = pd.read_csv(path)
    assert len(frame) == 4
    assert set(frame["label"]) == {"'=1+1"}


def test_claims_sheet_is_written_after_the_weighting_and_before_the_guide(project, tmp_path):
    """An extra sheet (the deck's claims) comes after the weighting and before the guide, one row per sentence, text kept as text."""
    claims = pd.DataFrame([{"bild": "S38", "texten i kortleken": "=Totalt 58 % 2021 och 55 % 2022: andelen är oförändrad.",
                            "förhandskontroll": "ok"}])
    path = tmp_path / "t.xlsx"
    phrases = crosstab_phrases(project.text, "sv")
    write_crosstabs_xlsx(path, {}, phrases, long_table=_table(["a"], [1.0]).assign(slide="S38", table="main"),
                         diagnostics=None, extra_sheets=(("Påståenden", claims),))
    wb = load_workbook(path)
    assert wb.sheetnames == [phrases["xtab_all_tables"], "Påståenden", phrases["xtab_guide"]]
    rows = list(wb["Påståenden"].values)
    assert rows[0] == ("bild", "texten i kortleken", "förhandskontroll")
    assert rows[1] == ("S38", "'=Totalt 58 % 2021 och 55 % 2022: andelen är oförändrad.", "ok")  # never a formula


def test_a_full_disk_while_xlsxwriter_saves_is_one_line_saying_to_free_space(project, tmp_path, monkeypatch):
    """XlsxWriter wraps ENOSPC in its own FileCreateError: it still becomes an OutputError that says to free disk space."""
    import errno

    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    from pipeline.errors import OutputError

    def full(self: object) -> None:
        raise FileCreateError(OSError(errno.ENOSPC, "No space left on device"))

    monkeypatch.setattr(xlsxwriter.Workbook, "close", full)
    with pytest.raises(OutputError, match=r"t\.xlsx: cannot be written \(No space left on device\); free disk space"):
        write_crosstabs_xlsx(tmp_path / "t.xlsx", {}, crosstab_phrases(project.text, "sv"), long_table=_table(["a"], [1.0]))
