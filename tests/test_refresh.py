"""``survey-deck refresh``: a deck edited by hand gets the new wave's numbers and keeps every edit."""

from __future__ import annotations

import hashlib
import math

import pytest
from helpers import CONFIG, WAVES, run_cli
from pptx import Presentation as open_pptx
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches

from pipeline.report import load_waves, plan_run, present, run_refresh, run_report, weight_waves

pytestmark = pytest.mark.slow


def _slide(prs, sid):
    return next((s for s in prs.slides if s._element.cSld.get("name") == f"survey-deck:{sid}"), None)


def _named(slide, prefix):
    return next(sh for sh in slide.shapes if sh.name.startswith(prefix))


def _delete(prs, slide):
    ids = prs.slides._sldIdLst
    for entry in list(ids):
        if prs.part.related_part(entry.rId) is slide.part:
            prs.part.drop_rel(entry.rId)
            ids.remove(entry)


@pytest.fixture(scope="module")
def tables_2022():
    """Every value of the 2022 tables by slide id, and the 2022 slide contents."""
    plan = plan_run(CONFIG, WAVES, 2022)
    pres, _ = present(plan, weight_waves(plan, load_waves(plan)))
    by_slide: dict[str, set[float]] = {}
    for key, table in pres.tables.items():
        by_slide.setdefault(key.split(":")[0], set()).update(float(v) for v in table["value"] if not math.isnan(v))
    return by_slide, {s.id: s for s in pres.slides}


def test_refresh_keeps_every_edit_and_puts_the_new_numbers_in(tmp_path, tables_2022):
    """A 2021 native deck, edited (chart moved and resized, series recoloured, one bullet rewritten, one slide deleted,
    one added, one moved), refreshed with 2022: the chart holds the 2022 numbers and every edit is still there."""
    by_slide, content = tables_2022
    made = run_report(CONFIG, WAVES, wave=2021, out_dir=tmp_path / "2021", force=True, jobs=1, charts="native")
    prs = open_pptx(str(made.deck))
    s13 = _slide(prs, "S13")
    chart = _named(s13, "survey-deck:S13:chart:1")
    old_values = list(chart.chart.plots[0].series[0].values)
    chart.left, chart.width = chart.left + Inches(1), chart.width - Inches(1)
    moved = (chart.left, chart.top, chart.width, chart.height)
    fill = chart.chart.plots[0].series[0].format.fill
    fill.solid()
    fill.fore_color.rgb = RGBColor(0xFF, 0x00, 0x00)
    commentary = _named(s13, "survey-deck:S13:commentary")
    first = commentary.text_frame.paragraphs[0]
    first.runs[0].text = "Vår egen formulering."
    for run in first.runs[1:]:
        run._r.getparent().remove(run._r)
    restyled = _named(_slide(prs, "S16"), "survey-deck:S16:chart:1").chart  # clustered bars made stacked by hand
    restyled.plots[0]._element.find(qn("c:grouping")).set("val", "stacked")
    restyled.plots[0].overlap = 100
    own = prs.slides.add_slide(prs.slide_layouts[0])  # before the deletion: python-pptx names new slides by their count
    own.shapes.add_textbox(Emu(0), Emu(0), Inches(3), Inches(1)).text_frame.text = "Egen bild"
    _delete(prs, _slide(prs, "S14"))
    ids = prs.slides._sldIdLst
    s15 = next(e for e in ids if prs.part.related_part(e.rId) is _slide(prs, "S15").part)
    ids.remove(s15)
    ids.insert(1, s15)
    edited = tmp_path / "edited.pptx"
    prs.save(str(edited))

    result = run_refresh(edited, CONFIG, WAVES, 2022, out=tmp_path / "new.pptx", jobs=1)
    new = open_pptx(str(result.deck))
    n13 = _slide(new, "S13")
    frame = _named(n13, "survey-deck:S13:chart:1")
    assert (frame.left, frame.top, frame.width, frame.height) == moved
    series = frame.chart.plots[0].series[0]
    assert series.format.fill.fore_color.rgb == RGBColor(0xFF, 0x00, 0x00)
    # the 2021 deck had two waves; the third series the new data adds gets the third wave colour, not a copy
    added = frame.chart.plots[0].series[2]
    assert str(added.format.fill.fore_color.rgb) == (content["S13"].charts[0].spec.series[2].color or "#8DB8E2").lstrip("#").upper()
    values = [v for p in frame.chart.plots for s in p.series for v in s.values if v is not None]
    assert values and all(v in by_slide["S13"] for v in values)
    assert list(series.values) != old_values
    paragraphs = [p.text for p in _named(n13, "survey-deck:S13:commentary").text_frame.paragraphs]
    assert paragraphs[0] == "Vår egen formulering."
    assert paragraphs[1:] == list(content["S13"].commentary[1:])
    assert any(line.startswith("S13 commentary paragraph 1") for line in result.not_updated)
    assert _slide(new, "S14") is None
    s16 = _named(_slide(new, "S16"), "survey-deck:S16:chart:1").chart
    assert s16.chart_type == XL_CHART_TYPE.BAR_STACKED  # the person's chart type stays, with labels placed by PowerPoint
    assert s16._chartSpace.xpath(".//c:dLblPos") == [] and s16._chartSpace.xpath(".//c:dLbl")
    assert any("Egen bild" in sh.text_frame.text for sh in new.slides[len(new.slides) - 1].shapes if sh.has_text_frame)
    assert new.slides[1]._element.cSld.get("name") == "survey-deck:S15"
    outcome = {slide: (status, reason) for slide, status, reason in result.slides}
    assert outcome["S14"][0] == "skipped" and outcome["S13"][0] == "updated"
    assert outcome[f"slide {len(new.slides)}"][0] == "kept"
    assert outcome["S12"] == ("kept", "nothing to update: its computed texts read the same this wave")  # a section slide
    assert _named(n13, "survey-deck:S13:footnote").text_frame.text == content["S13"].footnote
    again = run_refresh(edited, CONFIG, WAVES, 2022, out=tmp_path / "again.pptx", jobs=1)
    assert again.deck.read_bytes() == result.deck.read_bytes()  # the same edited deck and data give the same bytes


def test_refresh_replaces_pictures_at_their_edited_size(tmp_path):
    """In a picture deck, a resized and moved chart picture is replaced by the new wave's image in the same box."""
    made = run_report(CONFIG, WAVES, wave=2021, out_dir=tmp_path / "2021", force=True, jobs=2)
    prs = open_pptx(str(made.deck))
    pic = _named(_slide(prs, "S18"), "survey-deck:S18:chart:1")
    old_sha = hashlib.sha256(pic.image.blob).hexdigest()
    pic.left, pic.top, pic.width, pic.height = Inches(1), Inches(2), Inches(5), Inches(3)
    edited = tmp_path / "edited.pptx"
    prs.save(str(edited))
    result = run_refresh(edited, CONFIG, WAVES, 2022, out=tmp_path / "new.pptx", jobs=2)
    new = _named(_slide(open_pptx(str(result.deck)), "S18"), "survey-deck:S18:chart:1")
    assert (new.left, new.top, new.width, new.height) == (Inches(1), Inches(2), Inches(5), Inches(3))
    assert hashlib.sha256(new.image.blob).hexdigest() != old_sha


def test_refresh_cli_reports_each_slide(tmp_path):
    """The refresh command prints a line per slide and the path it wrote; a missing deck is one Error line, exit 1."""
    made = run_report(CONFIG, WAVES, wave=2021, out_dir=tmp_path, force=True, jobs=1, charts="native")
    done = run_cli("refresh", str(made.deck), "--out", str(tmp_path / "r.pptx"))
    assert done.returncode == 0, done.stderr
    assert "S13" in done.stdout and "updated" in done.stdout and "Wrote" in done.stdout
    missing = run_cli("refresh", str(tmp_path / "nope.pptx"))
    assert missing.returncode == 1 and missing.stderr.startswith("Error: ") and missing.stderr.count("\n") == 1


def test_refresh_of_a_deck_without_ids_is_one_error(tmp_path):
    """A deck not written by survey-deck report (no ids) is refused with a DataError naming the file and the fix."""
    from pptx import Presentation

    from pipeline.errors import DataError

    plain = tmp_path / "plain.pptx"
    Presentation().save(str(plain))
    with pytest.raises(DataError, match="no slide carries a survey-deck id"):
        run_refresh(plain, CONFIG, WAVES, 2022, out=tmp_path / "new.pptx", jobs=1)
    assert not (tmp_path / "new.pptx").exists()
