"""Native PowerPoint charts (``report --charts native``): one chart part per chart, the tables' numbers, real clients."""

from __future__ import annotations

import hashlib
import math
import re
import shutil
import subprocess
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO

import openpyxl
import pytest
from helpers import CONFIG, WAVES
from lxml import etree
from pptx import Presentation as open_pptx

from pipeline.report import plan_run, present, run_report

pytestmark = pytest.mark.slow

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    """The shipped waves' deck with native charts, and this run's slides and tables (``present``)."""
    out = tmp_path_factory.mktemp("native")
    result = run_report(CONFIG, WAVES, out_dir=out, force=True, jobs=2, charts="native")  # tables on the second core
    plan = plan_run(CONFIG, WAVES)
    from pipeline.report import load_waves, weight_waves

    pres, _ = present(plan, weight_waves(plan, load_waves(plan)))
    return result, pres


def _chart_frames(prs):
    """(slide id, chart graphic frame) of every native chart, groups opened."""
    out = []
    for slide in prs.slides:
        sid = (slide._element.cSld.get("name") or "").split(":")[-1]
        stack = list(slide.shapes)
        while stack:
            shape = stack.pop(0)
            if shape.shape_type == 6:  # group
                stack.extend(shape.shapes)
            elif getattr(shape, "has_chart", False):
                out.append((sid, shape))
    return out


def _cache_values(chart_xml: bytes) -> list[float]:
    root = etree.fromstring(chart_xml)
    vals = []
    for tag in ("val", "xVal", "yVal"):
        for ref in root.iter(f"{C}{tag}"):
            vals += [float(v.text) for v in ref.iter(f"{C}v")]
    return vals


def test_one_chart_part_per_chart_and_no_chart_pictures(native):
    """Every chart of the deck is a chart part (the NPS panel is two: distribution and bands) and none is a picture."""
    result, pres = native
    charts = sum(len(s.charts) for s in pres.slides)
    kinds = [c.spec.kind for s in pres.slides for c in s.charts]
    specs = [c.spec for s in pres.slides for c in s.charts]
    expected_parts = charts + sum(1 for spec in specs if spec.kind == "nps_panel" and spec.detail.distribution)
    with zipfile.ZipFile(result.deck) as z:
        parts = [n for n in z.namelist() if re.fullmatch(r"ppt/charts/chart\d+\.xml", n)]
        workbooks = [n for n in z.namelist() if n.startswith("ppt/embeddings/") and n.endswith(".xlsx")]
    assert charts == 28 and len(kinds) == 28
    assert len(parts) == expected_parts and len(workbooks) == expected_parts
    prs = open_pptx(str(result.deck))
    pictures = [sh.name for sl in prs.slides for sh in sl.shapes if sh.shape_type == 13 and ":chart:" in sh.name]
    assert pictures == []
    for _, frame in _chart_frames(prs):
        assert frame._element.nvGraphicFramePr.cNvPr.get("descr"), f"{frame.name} has no alt text"


def test_every_value_equals_the_tables(native):
    """Each number in each chart's XML cache and in its embedded workbook (Edit Data) is a value of its slide's
    tables, equal to the last bit."""
    result, pres = native
    by_slide: dict[str, set[float]] = {}
    for key, table in pres.tables.items():
        values = {float(v) for v in table["value"] if not math.isnan(v)}
        by_slide.setdefault(key.split(":")[0], set()).update(values)
    prs = open_pptx(str(result.deck))
    checked = 0
    for sid, frame in _chart_frames(prs):
        part = frame.chart.part
        values = _cache_values(part.blob if hasattr(part, "blob") and part.blob else etree.tostring(part._element))
        assert values, f"{sid}: chart without numbers"
        missing = [v for v in values if v not in by_slide[sid]]
        assert missing == [], f"{sid}: chart numbers not in the tables: {missing[:5]}"
        wb = openpyxl.load_workbook(BytesIO(part.chart_workbook.xlsx_part.blob), read_only=True)
        cells = [c for row in wb.active.iter_rows(values_only=True) for c in row if isinstance(c, float | int)]
        assert sorted(cells) == sorted(values), f"{sid}: the workbook holds other numbers than the chart"
        assert [c for c in cells if float(c) not in by_slide[sid]] == [], f"{sid}: workbook numbers not in the tables"
        checked += len(values)
    assert checked > 500


def _half_up(value: float) -> str:
    return str(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_labels_follow_the_decks_rounding(native):
    """A grouped bar chart's data labels are its values rounded half up to whole per cents, with ▲/▼ as a coloured run."""
    result, _ = native
    prs = open_pptx(str(result.deck))
    frames = [f for sid, f in _chart_frames(prs) if sid == "S13"]
    chart = frames[0].chart
    series = chart.plots[0].series[0]
    root = series._element
    labels = {int(d.find(f"{C}idx").get("val")): "".join(t.text for t in d.iter(f"{A}t")) for d in root.iter(f"{C}dLbl")}
    values = list(series.values)
    assert labels
    marks = 0
    for i, text in labels.items():
        number = text.replace("\u00a0", " ").split(" ")[0].rstrip("*")
        assert number == _half_up(values[i]), (i, text, values[i])
        marks += text.endswith(("▲", "▼"))
    assert marks >= 1  # S13 has significant changes against 2021


def test_python_pptx_round_trip(native, tmp_path):
    """The native deck opens, saves and reopens in python-pptx with the same charts and numbers."""
    result, _ = native
    prs = open_pptx(str(result.deck))
    before = [(sid, [list(p.series[0].values) for p in f.chart.plots]) for sid, f in _chart_frames(prs)]
    again = tmp_path / "again.pptx"
    prs.save(str(again))
    prs2 = open_pptx(str(again))
    after = [(sid, [list(p.series[0].values) for p in f.chart.plots]) for sid, f in _chart_frames(prs2)]
    assert after == before and len(before) == 29


def test_native_deck_is_reproducible(native, tmp_path):
    """A second native run from the same inputs writes the same deck bytes, and the tables written in the foreground
    (one process) are the bytes the first run wrote in the background."""
    result, _ = native
    again = run_report(CONFIG, WAVES, out_dir=tmp_path, force=True, jobs=1, charts="native")
    assert hashlib.sha256(again.deck.read_bytes()).hexdigest() == hashlib.sha256(result.deck.read_bytes()).hexdigest()
    assert again.tables.read_bytes() == result.tables.read_bytes()


def test_native_report_imports_no_matplotlib(tmp_path):
    """A native-chart report builds every chart spec without importing matplotlib (no chart is drawn, so its
    import time is not paid)."""
    import sys

    code = (
        "import sys; from pathlib import Path; from pipeline.report import run_report; "
        f"r = run_report(Path({str(CONFIG)!r}), Path({str(WAVES)!r}), out_dir=Path({str(tmp_path)!r}), force=True, jobs=1, "
        "charts='native'); print(r.slides, 'matplotlib' in sys.modules, 'pipeline.charts.style' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["39", "False", "False"]


def test_background_work_raises_its_error_in_the_parent():
    """An error in the background writer is raised again by wait(), with its type and message."""
    from pipeline.errors import OutputError
    from pipeline.report import Background

    def fail():
        raise OutputError("disk full while writing t.xlsx")

    job = Background(fail)
    with pytest.raises(OutputError, match="disk full while writing t.xlsx"):
        job.wait()
    Background(lambda: None).wait()


def test_background_work_returns_its_result():
    """wait() returns what the background work returned (the crosstab warnings come back this way)."""
    from pipeline.report import Background

    assert Background(lambda: ["slide S28: a warning"]).wait() == ["slide S28: a warning"]


def test_crosstab_warnings_of_the_background_tables_reach_the_report(tmp_path, monkeypatch):
    """With native charts on two cores the crosstabs are made in the background writer; a slide whose crosstab fails
    still gives its warning in the run's warnings, and the tables are written."""
    from pipeline import crosstab
    from pipeline.errors import ConfigError

    real = crosstab.slide_crosstabs

    def broken(ctx, slide, *args, **kwargs):
        if slide.id == "S28":
            raise ConfigError("deck.yaml slide S28: something the crosstab cannot do")
        return real(ctx, slide, *args, **kwargs)

    monkeypatch.setattr(crosstab, "slide_crosstabs", broken)
    result = run_report(CONFIG, WAVES, out_dir=tmp_path, force=True, jobs=2, charts="native")
    assert [w for w in result.warnings if "crosstab" in w] == [
        "slide S28: no crosstab sheet in the tables (deck.yaml slide S28: something the crosstab cannot do); its figures are in "
        "the long sheet"]
    assert result.tables.is_file()


def test_libreoffice_converts_the_native_deck(native, tmp_path):
    """LibreOffice converts the native deck to PDF with one page per slide."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; install libreoffice-impress to run this check")
    result, pres = native
    done = subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(result.deck)],
                          capture_output=True, text=True, timeout=240)
    pdf = tmp_path / (result.deck.stem + ".pdf")
    assert done.returncode == 0 and pdf.is_file(), done.stderr
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert pages == len(pres.slides)


def test_unknown_chart_form_is_a_config_error(tmp_path):
    """--charts with a typo names the nearest form."""
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="did you mean 'native'"):
        run_report(CONFIG, WAVES, out_dir=tmp_path, charts="natve")


def test_charts_key_of_deck_yaml_chooses_native(tmp_path):
    """``charts: native`` in deck.yaml makes a native deck without --charts; a wrong value is a config error naming the key."""
    from helpers import copy_project, edit

    from pipeline.config import load_project
    from pipeline.errors import ConfigError

    work = copy_project(tmp_path)
    deck_yaml = work / "config" / "deck.yaml"
    edit(deck_yaml, "strings: strings.yaml\n", "strings: strings.yaml\ncharts: native\n")
    result = run_report(work / "config", WAVES, out_dir=tmp_path / "out", force=True, jobs=1)
    assert result.form == "native"
    with zipfile.ZipFile(result.deck) as z:
        assert sum(1 for n in z.namelist() if re.fullmatch(r"ppt/charts/chart\d+\.xml", n)) == 29
    edit(deck_yaml, "charts: native\n", "charts: natives\n")
    with pytest.raises(ConfigError, match="charts"):
        load_project(work / "config")


@pytest.mark.parametrize("value, flag", [(1.0, "ok"), (float("nan"), "ok"), (5.0, "suppressed"), (5.0, "missing"), (5.0, "low")])
def test_restated_suppression_rules_match_the_charts(value, flag):
    """The deck stage's copy of the suppression, low-base and row-flag rules says what pipeline.charts.data says."""
    from pipeline import deck_native
    from pipeline.charts import Series
    from pipeline.charts import data as chart_data

    assert deck_native.suppressed(value, flag) == chart_data.suppressed(value, flag)
    assert deck_native.low_base_mark(flag) == chart_data.low_base_mark(flag)
    rows = [Series("a", (value,), flags=(flag,)), Series("b", (1.0,), flags=("low",))]
    assert deck_native.row_flag(rows, 0) == chart_data.row_flag(rows, 0)


DLBL_ORDER = ["idx", "delete", "layout", "tx", "numFmt", "spPr", "txPr", "dLblPos", "showLegendKey", "showVal", "showCatName",
              "showSerName", "showPercent", "showBubbleSize", "separator", "extLst"]  # CT_DLbl in ECMA-376 part 1, dml-chart.xsd


def test_data_labels_follow_the_schemas_order(native):
    """Every custom data label's elements come in the order of the OOXML schema (else PowerPoint repairs the file),
    and a stacked chart's labels are centred (the only inside position PowerPoint allows there besides inEnd/inBase)."""
    result, _ = native
    prs = open_pptx(str(result.deck))
    labels = 0
    for _, frame in _chart_frames(prs):
        root = etree.fromstring(etree.tostring(frame.chart._chartSpace))
        stacked = bool(root.findall(f".//{C}grouping[@val='stacked']"))
        for dlbl in root.iter(f"{C}dLbl"):
            names = [etree.QName(child).localname for child in dlbl]
            assert names == sorted(names, key=DLBL_ORDER.index), names
            pos = dlbl.find(f"{C}dLblPos")
            if stacked and pos is not None:
                assert pos.get("val") == "ctr"
            labels += 1
    assert labels > 400


def test_cli_charts_option_typo_is_one_error_line(tmp_path):
    """`report --charts natve` is one Error line naming the option and the nearest form, exit 1, nothing written."""
    from helpers import run_cli

    done = run_cli("report", "--charts", "natve", "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("Error: --charts 'natve'") and "'native'" in done.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").glob("*.pptx"))
