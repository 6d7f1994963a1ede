"""The brand templates built by templates/make_template.py: the hospital brand's layouts, placeholders, theme and
text contrast, no trace of 1177 in it, and both templates rebuilt byte for byte from the brand table."""

from __future__ import annotations

import zipfile

import pytest
from helpers import TEMPLATES, template_brands, template_script
from pptx import Presentation as open_pptx

from pipeline import deck
from pipeline.charts.palette import contrast

HOSPITAL = TEMPLATES / "hospital.pptx"
# deck.yaml → layouts of a deck on the hospital template (config/hus/deck.yaml)
LAYOUTS = {"title": "Title", "section": "Section", "chart": "Chart", "two_charts": "Two charts", "text": "Text"}
# the placeholders the deck stage finds by name (docs/config.md, "Slide template")
PLACEHOLDERS = {
    "Title": {"Title", "Subtitle", "Meta"},
    "Section": {"Title", "Subtitle"},
    "Chart": {"Title", "Question", "Chart", "Commentary", "Footnote"},
    "Two charts": {"Title", "Question", "Chart 1", "Chart 2", "Footnote"},
    "Text": {"Title", "Body"},
}
NS = {"a": "http://schemas.openxmlformats.org/drawingml/2006/main",
      "p": "http://schemas.openxmlformats.org/presentationml/2006/main"}


@pytest.fixture(scope="module")
def brands() -> dict:
    return template_brands()


def test_hospital_template_has_the_five_layouts_with_their_placeholders():
    """16:9, exactly the five layouts in role order, each with the placeholders the deck stage looks for."""
    prs = open_pptx(str(HOSPITAL))
    assert (prs.slide_width, prs.slide_height) == (12192000, 6858000)  # 13.333 × 7.5 in
    layouts = {layout.name: {ph.name for ph in layout.placeholders} for layout in prs.slide_layouts}
    assert list(layouts) == list(PLACEHOLDERS)
    assert layouts == PLACEHOLDERS


def test_the_deck_stage_finds_the_hospital_layouts_by_the_english_names():
    """deck.chart_areas maps the five roles to the English names and reads the chart areas (8.9 × 4.95 in chart,
    6.1 in half) and the theme font Arial."""
    areas = deck.chart_areas(HOSPITAL, LAYOUTS)
    assert areas.chart == pytest.approx((8.9, 4.95), abs=1e-3)
    assert areas.half == pytest.approx((6.1, 4.95), abs=1e-3)
    assert areas.chart_wide[0] == pytest.approx(9.55 + 3.35 - 0.45, abs=1e-3)  # chart to the commentary's right edge
    assert areas.font == "Arial"


def test_no_1177_in_any_part_of_the_hospital_template():
    """No part of the file (XML, properties, relationships) holds "1177", a wordmark or a Swedish text tag."""
    with zipfile.ZipFile(HOSPITAL) as z:
        names = z.namelist()
        assert names  # something was read
        for name in names:
            data = z.read(name)
            assert b"1177" not in data, name
            assert b"Wordmark" not in data and b"sv-SE" not in data, name


def test_hospital_theme_colours_are_the_brand_tables(brands):
    """The theme's a:clrScheme (as the deck stage reads it) holds the brand table's twelve slots, none the 1177 one's
    where the roles must differ (waves, positive, groups, alert)."""
    brand = brands["hospital"]
    theme, font = deck.theme_style(open_pptx(str(HOSPITAL)))
    assert dict(theme) == brand.theme
    assert font == brand.font == "Arial"
    assert dict(theme)["accent1"] == "0A4F5C" and dict(theme)["accent6"] == "912A08"
    ours = brands["1177"].theme
    assert all(brand.theme[slot] != ours[slot] for slot in ("dk2", "accent1", "accent2", "accent3", "accent4", "accent5", "accent6"))


def _text_colours(layout) -> list[tuple[str, str]]:
    """(placeholder name, its text colour) of a layout, from the placeholder's list style."""
    out = []
    for sp in layout._element.iter(f"{{{NS['p']}}}sp"):
        ph = sp.find(".//p:nvPr/p:ph", NS)
        rgb = sp.find(".//a:lstStyle/a:lvl1pPr/a:defRPr/a:solidFill/a:srgbClr", NS)
        if ph is not None and rgb is not None:
            out.append((sp.find(".//p:cNvPr", NS).get("name"), rgb.get("val")))
    return out


def test_hospital_text_meets_wcag_aa_on_its_backgrounds():
    """Every placeholder's text colour has at least 4.5:1 contrast with its layout's background (teal on the title
    and section slides, white elsewhere), the subtitle included."""
    prs = open_pptx(str(HOSPITAL))
    checked = 0
    for layout in prs.slide_layouts:
        bg = layout._element.find(".//p:bg/p:bgPr/a:solidFill/a:srgbClr", NS)
        background = bg.get("val") if bg is not None else "FFFFFF"
        assert (bg is not None) == (layout.name in ("Title", "Section"))
        for name, colour in _text_colours(layout):
            assert contrast(colour, background) >= 4.5, (layout.name, name, colour, background)
            checked += 1
    assert checked == 3 + 2 + 5 + 5 + 2


def test_contrast_is_the_wcag_ratio():
    """Black on white 21:1, a colour on itself 1:1, #777777 on white 4.48:1 (just under AA), #767676 4.54:1."""
    assert contrast("000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("0A4F5C", "0A4F5C") == pytest.approx(1.0)
    assert contrast("777777", "FFFFFF") == pytest.approx(4.48, abs=0.01)
    assert contrast("767676", "FFFFFF") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("name", ["1177", "hospital"])
def test_templates_are_rebuilt_byte_for_byte_from_the_brand_table(name, brands, tmp_path):
    """make_template.py reproduces the committed template exactly (the 1177 one unchanged by the brand table)."""
    out = tmp_path / brands[name].file
    template_script().build_template(out, name)
    assert out.read_bytes() == (TEMPLATES / brands[name].file).read_bytes()


def test_the_1177_template_keeps_its_wordmark_and_swedish_layout_names(brands):
    """The brand table still gives 1177 its wordmark on every layout and its Swedish layout names."""
    prs = open_pptx(str(TEMPLATES / "1177.pptx"))
    assert [layout.name for layout in prs.slide_layouts] == list(brands["1177"].layouts.values())
    for layout in prs.slide_layouts:
        texts = [t.text for t in layout._element.iter(f"{{{NS['a']}}}t")]
        assert texts == ["1177"], layout.name
