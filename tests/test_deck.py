"""Deck stage: slides first, chart images placed afterwards, and a reproducible pptx written through public API."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from helpers import REPO
from PIL import Image
from pptx import Presentation as open_pptx

from pipeline import deck
from pipeline.charts import ChartSpec, Series
from pipeline.content import ChartContent, SlideContent
from pipeline.outputs import normalize_zip

TEMPLATE = REPO / "templates" / "1177.pptx"
LAYOUTS = {"title": "Titel", "section": "Avsnitt", "chart": "Diagram", "two_charts": "Två diagram", "text": "Text"}


def _content() -> list[SlideContent]:
    spec = ChartSpec("grouped_bars", ("A",), (Series("2022", (10.0,)),))
    return [
        SlideContent("S01", "title", "Titel", subtitle="Undertitel", body=("Meta",)),
        SlideContent("S02", "chart", "Kännedom", question="Känner du till 1177?", footnote="Bas: 2 001",
                     notes="anteckning", charts=(ChartContent(spec, "k1", "alt ett", ""),)),
        SlideContent("S03", "two_charts", "Två", question="F", charts=(ChartContent(spec, "k2", "alt två", ""),
                                                                     ChartContent(spec, "k1", "alt ett", ""))),
    ]


@pytest.fixture
def images(tmp_path):
    out = {}
    for key, colour in (("k1", (200, 30, 30)), ("k2", (30, 30, 200))):
        path = tmp_path / f"{key}.png"
        Image.fromarray(np.full((300, 600, 3), colour, dtype=np.uint8)).save(path, dpi=(300, 300))
        out[key] = path
    return out


def _write(path, images) -> deck.DeckWriter:
    writer = deck.DeckWriter(TEMPLATE, LAYOUTS)
    for content in _content():
        writer.add(content)
    writer.write(images, path, "Test 2022", "sv")
    return writer


def test_pictures_are_placed_in_their_areas_with_alt_text_after_the_slides(tmp_path, images):
    """Each chart image lands in its layout's area with its alt text, aspect kept, after the slides were added."""
    path = tmp_path / "d.pptx"
    _write(path, images)
    prs = open_pptx(str(path))
    pictures = [[(sh.name, sh._element.nvPicPr.cNvPr.get("descr")) for sh in s.shapes if sh.shape_type == 13] for s in prs.slides]
    # named by slide id and chart number, the stable ids refresh finds them by
    assert pictures == [[], [("survey-deck:S02:chart:1", "alt ett")],
                        [("survey-deck:S03:chart:1", "alt två"), ("survey-deck:S03:chart:2", "alt ett")]]
    chart = next(sh for sh in prs.slides[1].shapes if sh.name == "survey-deck:S02:chart:1")
    assert abs(chart.width / chart.height - 2.0) < 0.01  # the image's 2:1 aspect kept
    assert prs.slides[1].notes_slide.notes_text_frame.text == "anteckning"
    # shape ids stay unique on every slide
    for s in prs.slides:
        ids = [sh.shape_id for sh in s.shapes]
        assert len(ids) == len(set(ids))


def test_deck_is_written_reproducibly(tmp_path, images):
    """Two writes give the same bytes: fixed times, images stored, XML deflated, nothing left for normalize_zip."""
    first = tmp_path / "first.pptx"
    _write(first, images)
    again = tmp_path / "again.pptx"
    _write(again, images)
    assert first.read_bytes() == again.read_bytes()
    normalized = tmp_path / "normalized.pptx"
    normalized.write_bytes(first.read_bytes())
    normalize_zip(normalized)
    assert normalized.read_bytes() == first.read_bytes()  # already in the fixed form
    with zipfile.ZipFile(first) as z:
        infos = z.infolist()
        assert {i.date_time for i in infos} == {(2023, 1, 1, 0, 0, 0)}
        media = [i for i in infos if i.filename.endswith(".png")]
        assert len(media) == 2 and all(i.compress_type == zipfile.ZIP_STORED for i in media)
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos if i.filename.endswith(".xml"))
        assert "2023-01-01T00:00:00Z" in z.read("docProps/core.xml").decode()


def test_reproducible_deck_holds_what_python_pptx_saves(tmp_path, images):
    """Rewriting the zip loses nothing: same members, same order, same contents as python-pptx's own save."""
    ours = tmp_path / "ours.pptx"
    writer = _write(ours, images)
    plain = tmp_path / "plain.pptx"
    writer.prs.save(str(plain))  # python-pptx's zip as it comes: every member deflated, its own timestamps
    with zipfile.ZipFile(ours) as a, zipfile.ZipFile(plain) as b:
        assert [i.filename for i in a.infolist()] == [i.filename for i in b.infolist()]
        assert a.namelist()[0] == "[Content_Types].xml"
        assert {n: a.read(n) for n in a.namelist()} == {n: b.read(n) for n in b.namelist()}
        assert {i.compress_type for i in b.infolist()} == {zipfile.ZIP_DEFLATED}  # so the PNGs were stored by us


def test_python_pptx_writes_every_member_itself(tmp_path, images, monkeypatch):
    """The deck stage replaces no python-pptx code while saving: python-pptx's own zip writer sees every member."""
    from pptx.opc import serialized

    written = []
    own_write = serialized._ZipPkgWriter.write  # observed here only; the deck stage must not swap it

    def spy(self, pack_uri, blob):
        written.append(pack_uri.membername)
        own_write(self, pack_uri, blob)

    monkeypatch.setattr(serialized._ZipPkgWriter, "write", spy)
    path = tmp_path / "d.pptx"
    _write(path, images)
    with zipfile.ZipFile(path) as z:
        assert sorted(written) == sorted(z.namelist()) and len(written) > 10


def test_titles_never_leave_one_word_alone_on_their_last_line():
    """Where a title wraps leaving one word alone, its last two words are bound by a no-break space (S37's
    title in a box 10.7 inches wide at 36 pt: 38 characters a line, so "… spontana val av" (37) over "1177")."""
    assert deck.no_widow("Analys kring minskade spontana val av 1177", 10.7, 36.0) == "Analys kring minskade spontana val av\u00a01177"
    # on one line (11.7 in: 42 characters a line) or wrapping with two words on the last line: unchanged
    assert deck.no_widow("Analys kring minskade spontana val av 1177", 11.7, 36.0) == "Analys kring minskade spontana val av 1177"
    assert deck.no_widow("Analys kring minskade spontana val av 1177 i år", 10.7, 36.0) == "Analys kring minskade spontana val av 1177 i år"
    assert deck.no_widow("Slutsats") == "Slutsats"


def test_text_slides_are_sized_to_fill_their_area():
    """Four short bullets in the 12.1 × 5.2 in body get the largest size (28 pt: 4 lines of 34 pt and 4 gaps of
    17 pt = 204 pt ≤ 0.92 × 374 pt); five long ones get a smaller size that still fits."""
    short = ("Kort punkt",) * 4
    assert deck.fill_size(short, 12.1, 5.2) == 28.0
    long_ = ("Ett långt stycke text som berättar om undersökningens metod och urval i detalj. " * 2,) * 5
    size = deck.fill_size(long_, 12.1, 5.2)
    assert 14.0 <= size < 28.0
    per_line = int((12.1 - 0.5) * 72 / (size * 0.5))
    lines = sum(-(-len(p) // per_line) for p in long_)
    assert lines * size * 1.2 + len(long_) * size * 0.6 <= 0.92 * 5.2 * 72


def test_theme_colours_and_font_are_read_from_the_template():
    """The 1177 template's theme: accent1 navy (the newest wave), accent6 the alert colour, body font Arial."""
    prs = open_pptx(str(TEMPLATE))
    theme, font = deck.theme_style(prs)
    colours = dict(theme)
    assert colours["accent1"] == "0E3B66" and colours["accent6"] == "D9502B" and font == "Arial"
    areas = deck.chart_areas(TEMPLATE, LAYOUTS)
    assert dict(areas.theme) == colours and areas.font == "Arial"
