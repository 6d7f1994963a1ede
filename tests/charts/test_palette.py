"""The charts' palette from the template's theme: the hospital brand's theme colours (templates/make_template.py,
BRANDS["hospital"]) recolour both chart forms, the picture and the native chart, in their slots' roles; each
role stays distinguishable (waves, ▲/▼, ordered bands, NPS groups)."""

from __future__ import annotations

import numpy as np
import pytest
from chart_kit import context, drawn, frame, row, texts
from helpers import template_brands
from PIL import Image
from pptx import Presentation
from pptx.util import Inches

from pipeline import charts, deck_native
from pipeline.charts import ChartContext
from pipeline.charts.palette import Palette, contrast, readable

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


@pytest.fixture(scope="module")
def hospital() -> dict[str, str]:
    """The hospital brand's theme colours, slot → RRGGBB, from the brand table."""
    return template_brands()["hospital"].theme


def _ctx(theme: dict[str, str]) -> ChartContext:
    base = context("en", 2022)
    return ChartContext(base.lang, base.wave, base.strings, base.width, base.height, tuple(theme.items()), "",
                        (2020, 2021, 2022))


def _three_waves(theme: dict[str, str]):
    """Three answers in three waves; 2022 has a significant rise (Phone) and fall (App)."""
    values = {2022: (55.0, 20.0, 8.0), 2021: (58.0, 14.0, 12.0), 2020: (60.0, 15.0, 11.0)}
    sig = {(2022, "phone"): "▲", (2022, "app"): "▼"}
    rows = [row(metric="coded", measure="first", wave=w, category=key, label=label, value=v, n=1000, sig=sig.get((w, key), ""))
            for w, vs in values.items() for (key, label), v in zip((("web", "Web"), ("phone", "Phone"), ("app", "App")), vs, strict=True)]
    return charts.build("grouped_bars", frame(rows), {"description": "Bars"}, _ctx(theme))


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _pixels(spec, tmp_path) -> dict[tuple[int, int, int], int]:
    path = tmp_path / "chart.png"
    charts.render(spec, path)
    with Image.open(path) as im:
        flat = np.asarray(im.convert("RGB")).reshape(-1, 3)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    return {tuple(int(x) for x in c): int(n) for c, n in zip(colours, counts, strict=True)}


def test_hospital_palette_takes_each_role_from_its_slot(hospital):
    """Newest wave accent1 (deep teal), the two before accent2 and accent3, ▲ accent4 (green), subgroups accent5
    (amber), ▼ accent6 (deep red), a measure over time dk2, "don't know" lt2: all the brand table's values."""
    p = Palette.from_theme(hospital)
    assert p.waves[:3] == ("#0A4F5C", "#4A95A3", "#A9D3DA")
    assert (p.up, p.group, p.down, p.primary, p.dont_know, p.text) == ("#17825E", "#CB7B0B", "#912A08", "#0A4F5C", "#CDD1D3", "#1E2B2E")
    assert p.nps() == ("#912A08", p.passives, "#17825E")


def test_hospital_roles_stay_distinguishable(hospital):
    """Bands read low to high as an ordered scale (each darker than the one before, the highest the positive colour);
    ▲ and ▼ are readable text on white (≥ 4.5:1) and far apart; "don't know" stands apart from the lightest band;
    the waves get darker towards the newest."""
    p = Palette.from_theme(hospital)
    bands = p.bands(5)
    steps = [contrast(b, "#FFFFFF") for b in bands]
    assert steps == sorted(steps) and len(set(steps)) == 5 and bands[-1] == "#17825E"
    assert contrast(p.up, "#FFFFFF") >= 4.5 and contrast(p.down, "#FFFFFF") >= 4.5
    assert contrast(p.down, p.up) > 1.5  # a deep red and a mid green: told apart by lightness too
    # "don't know" follows the scale's lightest band: a grey a step darker, so the two segments do not merge
    assert contrast(p.dont_know, bands[0]) >= 1.2
    waves = [contrast(w, "#FFFFFF") for w in p.waves[:3]]
    assert waves == sorted(waves, reverse=True)


def test_picture_chart_is_drawn_in_the_hospital_colours(hospital, tmp_path):
    """A grouped_bars picture with the hospital theme has bars in accent1/2/3 (2022, 2021, 2020), ▲ in accent4 and
    ▼ in accent6, and no pixel in the 1177 navy."""
    spec = _three_waves(hospital)
    assert [s.color for s in spec.series] == ["#0A4F5C", "#4A95A3", "#A9D3DA"]
    pixels = _pixels(spec, tmp_path)
    for slot in ("accent1", "accent2", "accent3"):
        assert pixels.get(_rgb(hospital[slot]), 0) > 500, slot  # solid bars, not a stray edge pixel
    assert _rgb("0E3B66") not in pixels
    marks = {t.get_text(): t.get_color() for t in texts(drawn(spec)) if t.get_text() in ("▲", "▼")}
    assert marks == {"▲": "#17825E", "▼": "#912A08"}


def _native_chart_xml(spec) -> list[bytes]:
    """The chart parts' XML of ``spec`` added as a native chart to a blank slide."""
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    deck_native.add_chart(slide.shapes, spec, "chart", "alt", (0, 0, Inches(8.9), Inches(4.9)))
    return [part.blob for part in prs.part.package.iter_parts() if part.partname.startswith("/ppt/charts/chart")]


def _series_fills(xml: bytes) -> list[str]:
    from lxml import etree

    root = etree.fromstring(xml)
    return [ser.find(f"c:spPr/{A}solidFill/{A}srgbClr", {"c": C[1:-1]}).get("val") for ser in root.iter(f"{C}ser")]


def test_native_chart_is_drawn_in_the_hospital_colours(hospital):
    """The same spec as a native chart: the series' a:srgbClr are accent1/2/3, the ▲ run accent4 and the ▼ run
    accent6 (the picture's colours, not the 1177 green and coral)."""
    (xml,) = _native_chart_xml(_three_waves(hospital))
    assert _series_fills(xml) == [hospital["accent1"], hospital["accent2"], hospital["accent3"]]
    text = xml.decode()
    assert f'<a:srgbClr val="{hospital["accent4"]}"/></a:solidFill></a:rPr><a:t>\u00a0▲' in text
    assert f'<a:srgbClr val="{hospital["accent6"]}"/></a:solidFill></a:rPr><a:t>\u00a0▼' in text
    assert "2E8B57" not in text and "E4572E" not in text  # the 1177 house defaults


def _nps_rows() -> list[dict]:
    out = []
    for wave, (det, pas, pro, nps) in {2022: (20.0, 30.0, 50.0, 30.0), 2021: (25.0, 30.0, 45.0, 20.0)}.items():
        for cat, v in (("detractors", det), ("passives", pas), ("promoters", pro)):
            out.append(row(metric="nps", wave=wave, category=cat, label=cat.title(), value=v))
        out.append(row(metric="nps", measure="nps", wave=wave, category="nps", label="NPS", value=nps, unit="points"))
    dist = [2.0, 2.0, 2.0, 2.0, 3.0, 4.0, 5.0, 15.0, 15.0, 20.0, 30.0]  # scores 0..10: 0–6 = 20, 7–8 = 30, 9–10 = 50
    for score, v in enumerate(dist):
        out.append(row(metric="nps", measure="distribution", category=str(score), label=str(score), value=v))
    return out


def test_nps_panel_in_both_forms_takes_the_hospital_colours(hospital):
    """NPS panel: detractors accent6, promoters accent4 in both forms; the native score bar has score 10 in accent4
    and score 0 darker than accent6's deep red (the picture's ramp, not the 1177 blues); the NPS figures in dk2."""
    spec = charts.build("nps_panel", frame(_nps_rows()), {"description": "NPS"}, _ctx(hospital))
    assert spec.series[0].color == "#912A08" and spec.series[-1].color == "#17825E"
    dist_xml, bands_xml = _native_chart_xml(spec)
    assert _series_fills(bands_xml)[0] == hospital["accent6"] and _series_fills(bands_xml)[-1] == hospital["accent4"]
    fills = dict(zip([s for s, _ in spec.detail.distribution], _series_fills(dist_xml), strict=True))
    assert fills["10"] == hospital["accent4"]
    assert fills["1"] == hospital["accent6"]  # score 1 is the alert colour itself, 0 a shade darker
    assert contrast(fills["0"], "FFFFFF") > contrast(hospital["accent6"], "FFFFFF")
    assert "0E3B66" not in dist_xml.decode() and "2E77BB" not in dist_xml.decode()
    assert spec.detail.nps_color == "#0A4F5C"
    plan = deck_native.plan(spec)
    assert {e.color for e in plan.extras if e.text.startswith("NPS")} == {"#0A4F5C"}


def test_readable_darkens_a_light_colour_until_it_reads_on_white():
    """A light amber tint (≈ 1.9:1 on white) becomes a darker amber of at least 4.5:1; a dark colour stays itself."""
    tint = "#E5BD85"
    assert contrast(tint, "#FFFFFF") < 2.0
    out = readable(tint)
    assert contrast(out, "#FFFFFF") >= 4.5 and out != tint
    r, g, b = _rgb(out)
    assert r > g > b  # still a warm colour, not grey
    assert readable("#0A4F5C") == "#0A4F5C"


def test_the_same_chart_without_a_theme_is_in_the_1177_colours(hospital, tmp_path):
    """Guard of the pixel test: the same chart with the 1177 theme has no hospital teal, so the colours come from the
    theme and not from the kind."""
    pixels = _pixels(_three_waves({}), tmp_path)
    assert _rgb(hospital["accent1"]) not in pixels and _rgb("0E3B66") in pixels


def test_scores_of_a_0_to_10_scale_are_colours_for_a_dark_alert(hospital):
    """Score 0 of a 0–10 scale under the hospital's deep red: a valid colour 11 % of the way to black
    (0x91·0.89 = 129 = 0x81, 0x2A·0.89 = 37 = 0x25, 0x08·0.89 = 7), score 1 the red itself, 10 the green."""
    colours = Palette.from_theme(hospital).scores(list(range(11)))
    assert colours[0] == "#812507" and colours[1] == "#912A08" and colours[10] == "#17825E"
    assert all(len(c) == 7 and int(c[1:], 16) >= 0 for c in colours)


def test_driver_chart_draws_the_previous_wave_in_its_own_colour_natively(hospital):
    """Driver quadrant as a native chart: 2022's points in accent1, 2021's in accent2 (as the picture), not both
    in the newest wave's colour; the quadrant names in neutral grey, not the 1177 blue."""
    rows = []
    for key, x, y in (("a", 70.0, 12.0), ("b", 50.0, 5.0), ("c", 40.0, 8.0)):
        for wave, shift in ((2022, 0.0), (2021, -3.0)):
            rows.append(row(metric="drivers", measure="agree", wave=wave, category=key, label=key.upper(), value=x + shift))
            rows.append(row(metric="drivers", measure="relative_weight", wave=wave, category=key, label=key.upper(), value=y + shift))
    spec = charts.build("driver_quadrant", frame(rows), {"description": "Drivers"}, _ctx(hospital))
    plan = deck_native.plan(spec)
    assert plan.parts[0].colors == ["#" + hospital["accent1"], "#" + hospital["accent2"]]
    names = [e for e in plan.extras if e.kind == "text" and e.bold]
    assert names and {e.color for e in names} == {"#6B7280"}


def test_group_line_labels_read_on_white_in_both_forms(hospital):
    """Lines of two sexes in the hospital's amber (accent5) and its 50 % tint: the lines keep those colours, their
    end labels are drawn in colours of at least 4.5:1 on white, the same in the picture's spec and the native
    chart's text boxes; the native plot leaves the labels room for one line each (no wrap into the next label)."""
    rows = []
    # labels longer than the 1.6 in a label had right of the native plot before it gave up width
    for key, label, last in (("man", "Men who answered by paper form", 90.0), ("woman", "Women who answered by paper form", 93.0)):
        for k, wave in enumerate((2020, 2021, 2022)):
            rows.append(row(metric="index", measure="index", wave=wave, group_var="sex", group=key, group_label=label,
                            category="index", label="Aware", value=last - 3 * (2 - k), n=900))
    spec = charts.build("trend_line", frame(rows), {"group_var": ["sex"], "bases": False}, _ctx(hospital))
    amber = "#" + hospital["accent5"]
    tint = "#" + "".join(f"{round(int(amber[i:i + 2], 16) + (255 - int(amber[i:i + 2], 16)) * 0.5):02X}" for i in (1, 3, 5))
    assert sorted(s.color for s in spec.series) == sorted([amber, tint])
    assert contrast(tint, "#FFFFFF") < 3.0  # the tint alone would not read as text
    assert all(contrast(c, "#FFFFFF") >= 4.5 for c in spec.detail.label_colors)
    plan = deck_native.plan(spec)
    boxes = [e for e in plan.extras if e.kind == "text"]
    assert [e.color for e in boxes] == list(spec.detail.label_colors)
    longest = max(len(e.text) for e in boxes) * 8.5 * 0.52 / 72  # inches at 8.5 pt
    assert longest > 1.7 and boxes[0].w * spec.width >= longest


def test_native_change_bars_colour_their_marks_and_end_the_axis_on_whole_steps():
    """Change bars (−2.9 and +10.2 points) as a native chart: ▲ in the spec's positive colour, as the picture;
    the value axis padded by a fifth of the span (−5.52 … 12.82) and widened to steps of 2: −6 … 14, not the raw
    ends PowerPoint would print as −5.52…"""
    from pipeline.charts import ChartSpec, Series

    spec = ChartSpec("change_bars", ("A", "B"), (Series("2025", (10.2, -2.9), ("▲", ""), color="#CB7B0B"),),
                     unit="points", mark_colors=("#17825E", "#912A08"))
    part = deck_native.plan(spec).parts[0]
    assert part.labels[(0, 0)].mark == "▲" and part.labels[(0, 0)].mark_color == "#17825E"
    assert part.value_axis == (-6.0, 14.0)
