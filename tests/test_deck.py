"""Deck stage: slides first, chart images placed afterwards, and a reproducible pptx written in one pass."""

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


def _write(path, images) -> None:
    writer = deck.DeckWriter(TEMPLATE, LAYOUTS)
    for content in _content():
        writer.add(content)
    writer.write(images, path, "Test 2022", "sv")


def test_pictures_are_placed_in_their_areas_with_alt_text_after_the_slides(tmp_path, images):
    path = tmp_path / "d.pptx"
    _write(path, images)
    prs = open_pptx(str(path))
    pictures = [[(sh.name, sh._element.nvPicPr.cNvPr.get("descr")) for sh in s.shapes if sh.shape_type == 13] for s in prs.slides]
    assert pictures == [[], [("Chart", "alt ett")], [("Chart 1", "alt två"), ("Chart 2", "alt ett")]]
    chart = next(sh for sh in prs.slides[1].shapes if sh.name == "Chart")
    assert abs(chart.width / chart.height - 2.0) < 0.01  # the image's 2:1 aspect kept
    assert prs.slides[1].notes_slide.notes_text_frame.text == "anteckning"
    # shape ids stay unique on every slide
    for s in prs.slides:
        ids = [sh.shape_id for sh in s.shapes]
        assert len(ids) == len(set(ids))


def test_deck_is_written_reproducibly_in_one_pass(tmp_path, images):
    """Direct write == the old write-then-normalize path, byte for byte; images stored, fixed times."""
    fast = tmp_path / "fast.pptx"
    _write(fast, images)
    again = tmp_path / "again.pptx"
    _write(again, images)
    assert fast.read_bytes() == again.read_bytes()
    normalized = tmp_path / "normalized.pptx"
    normalized.write_bytes(fast.read_bytes())
    normalize_zip(normalized)
    assert normalized.read_bytes() == fast.read_bytes()  # nothing left for normalize_zip to do
    with zipfile.ZipFile(fast) as z:
        infos = z.infolist()
        assert {i.date_time for i in infos} == {(2023, 1, 1, 0, 0, 0)}
        media = [i for i in infos if i.filename.endswith(".png")]
        assert len(media) == 2 and all(i.compress_type == zipfile.ZIP_STORED for i in media)
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos if i.filename.endswith(".xml"))
        assert "2023-01-01T00:00:00Z" in z.read("docProps/core.xml").decode()


def test_fallback_when_pptx_zip_writer_changes_gives_the_same_bytes(tmp_path, images, monkeypatch):
    from contextlib import contextmanager

    @contextmanager
    def unavailable():
        yield False

    fast = tmp_path / "fast.pptx"
    _write(fast, images)
    monkeypatch.setattr(deck, "_reproducible_members", unavailable)
    slow = tmp_path / "slow.pptx"
    _write(slow, images)
    assert slow.read_bytes() == fast.read_bytes()


def test_the_zip_writer_is_restored_after_saving(tmp_path, images):
    from pptx.opc.serialized import _ZipPkgWriter

    before = _ZipPkgWriter.write
    _write(tmp_path / "d.pptx", images)
    assert _ZipPkgWriter.write is before
